"""models/CRF.lua: nn.CRF, a linear-chain CRF layer. Input: node potentials, batch x n x C; output: the log edge
marginals, batch x (n+1) x C x C (a start node before position 0 and an end node after n-1), computed by
forward-backward in log space; ``weight`` (C x C) is the edge potential shared by every position. Backward runs
the gradient recursions in log space with signs (Markov.backwardGrad / forwardGrad).

Edits beyond syntax and 0-based indexing:
- ``if self._logForwardGrad:dim() > 0 then`` is ``nElement() != 0`` (docs/porting.md's empty-tensor row: legonn's
  empty tensor has one dimension).
- ``require "cuda-mod"`` on a CudaTensor is not ported (the package's docstring)."""
import math

import legonn as lg
from legonn import nn

from .Markov import Markov
from .Util import Util


class CRF(nn.Module):

    def __init__(self, nstates):
        super().__init__()

        self.nstates = nstates
        self.weight = lg.zeros(nstates, nstates)
        self.gradWeight = lg.zeros(nstates, nstates)
        self.gradInput = lg.Tensor()
        self.output = lg.Tensor()

        self._logGradInput = lg.Tensor()
        self._logGradInputSign = lg.Tensor()
        self._logGradInputTemp = lg.Tensor()
        self._logGradInputSignTemp = lg.Tensor()

        self._expandedWeight = lg.Tensor()
        self._gradExpandedWeight = lg.Tensor()
        self._logGradExpandedWeight = lg.Tensor()
        self._logGradExpandedWeightSign = lg.Tensor()
        self._logTables = lg.Tensor()
        self._logGradTables = lg.Tensor()
        self._logGradTablesSign = lg.Tensor()
        self._logForwardGrad = lg.Tensor()
        self._logBackwardGrad = lg.Tensor()
        self._logForwardGradSign = lg.Tensor()
        self._logBackwardGradSign = lg.Tensor()
        self._logMarginalProduct = lg.Tensor()

        self._nodeMarginals = lg.Tensor()
        self._nodeMarginalsSign = lg.Tensor()

        self._logbmm = lg.Tensor()
        self._logbmmSign = lg.Tensor()
        self._logB = lg.Tensor()
        self._logF = lg.Tensor()

        self._markov = Markov(nstates, 'torch.CudaTensor')

        self.reset()

    def updateOutput(self, input):
        # Input is the unary potentials of size batch x n x C
        n, batches = input.size(1), input.size(0)

        # Expand the weights to form an entire lattice
        self._expandedWeight.resize(batches, n+1, self.nstates, self.nstates)
        self._expandedWeight.copy(
            self.weight.view(-1, 1, self.nstates, self.nstates)
            .expandAs(self._expandedWeight))

        # Handle start/end of lattice; weights are geometric mean of regular params
        self._expandedWeight[:, 0, 0].copy(lg.sum(self._expandedWeight[:, 0], 1)
                                           .div(self.nstates))
        self._expandedWeight[:, n, :, 0].copy(lg.sum(self._expandedWeight[:, n], 2)
                                              .div(self.nstates))
        self._expandedWeight[:, 0, 1:].fill(-math.inf)
        self._expandedWeight[:, n, :, 1:].fill(-math.inf)

        # Run forward/backward
        self._markov.forwardBackward(input, self._expandedWeight, self._logTables)

        # Combine tables into marginals
        self.output.resize(batches, n+1, self.nstates, self.nstates)
        self._markov.marginals(self.output, self._logTables, self._expandedWeight)

        Util.fixnan(self.output)
        return self.output

    def updateGradInput(self, input, gradOutput):
        # gradOutput is the gradient of the loss wrt marginals, size {batch x n+1 x C x C}
        batches, n = gradOutput.size(0), gradOutput.size(1) - 1

        # Switch to log space
        logGradOutput = lg.abs(gradOutput).log()
        logGradOutputSign = lg.sign(gradOutput)

        # Account for the fact that we output log-marginals rather than marginals
        logGradOutput.add(-1, self.output)
        Util.fixnan(logGradOutput)

        # Run dynamic programming to get intermediate gradient tables
        self.updateGradTables(input, logGradOutput, logGradOutputSign)

        # Initialize
        self._logGradInput.resize(batches, n, self.nstates).zero()
        self._logGradInputSign.resizeAs(self._logGradInput).fill(1)
        self._logGradInputTemp.resizeAs(self._logGradInput)
        self._logGradInputSignTemp.resizeAs(self._logGradInput)

        # dL/d(node potential) = alpha*beta_hat + beta*alpha_hat (at that node)
        Util.logadd(self._logGradInput, self._logGradInputSign,
                    lg.add(self._logTables[0, 1:-1].transpose(0, 1),
                           self._logBackwardGrad[:, 1:]),
                    lg.add(self._logTables[1, 1:-1].transpose(0, 1),
                           self._logForwardGrad[:, :-1]),
                    self._logBackwardGradSign[:, 1:],
                    self._logForwardGradSign[:, :-1],
                    self._logGradInputTemp, self._logGradInputSignTemp)

        # Account for dL/dZ
        factor = Util.logsumNumber(self._logMarginalProduct, logGradOutputSign)[0]
        factor.add(-1, self._logTables[0, n+1, :, 0])

        nodes = self._logTables[0, 1:-1].transpose(0, 1)
        self._nodeMarginals.resizeAs(nodes).copy(nodes) \
            .add(self._logTables[1, 1:-1].transpose(0, 1))

        self._nodeMarginals.add(-1, input)
        self._nodeMarginals.add(factor.view(-1, 1, 1).expandAs(self._nodeMarginals))
        self._nodeMarginalsSign.typeAs(self._nodeMarginals).resizeAs(self._nodeMarginals).fill(-1)

        Util.logadd(self._logGradInput, self._logGradInputSign,
                    self._logGradInput, self._nodeMarginals,
                    self._logGradInputSign, self._nodeMarginalsSign,
                    self._logGradInputTemp, self._logGradInputSignTemp)

        self.gradInput.resize(batches, n, self.nstates)
        self.gradInput.copy(self._logGradInput).exp().cmul(self._logGradInputSign)
        Util.fixnan(self.gradInput)
        return self.gradInput

    # Set the gradWeight
    def accGradParameters(self, input, gradOutput, scale=None):
        scale = scale if scale is not None else 1
        batches, n, C = input.size(0), input.size(1), self.nstates

        logGradOutputSign = lg.sign(gradOutput)

        # dL/d(edge potential) = alpha*backwardGrad*w + beta*forwardGrad*w + dL/dM*dM/dw
        self._logGradExpandedWeight.resize(n+1, batches, C, C).fill(-math.inf)
        self._logGradExpandedWeightSign.resize(n+1, batches, C, C).fill(1)

        # these tensors are used to batch the two computations done in this loop
        self._logbmm.resize(batches, C, C).typeAs(input)
        self._logbmmSign.resize(batches, C, C).fill(1)

        self._logB = self._logB.resizeAs(input).copy(input).add(self._logBackwardGrad[:, 1:]) \
            .view(batches, -1, 1, C).transpose(0, 1).contiguous()
        self._logF = self._logF.resizeAs(input).copy(input).add(self._logForwardGrad[:, :-1]) \
            .view(batches, -1, C, 1).transpose(0, 1).contiguous()

        forward = self._logTables.view(2, -1, batches, C, 1)[0]
        backward = self._logTables.view(2, -1, batches, 1, C)[1]

        # temp variables
        ones1 = lg.ones(self._logTables[0, 0].size()).typeAs(self._logTables)
        ones2 = lg.ones(self._logTables[1, 0].size()).typeAs(self._logForwardGradSign)
        t1a = lg.Tensor(batches, forward[0].size(1), forward[0].size(2), self._logB[0].size(2)).typeAs(self._logTables)
        t1b = lg.Tensor(batches, forward[0].size(1), forward[0].size(2), self._logB[0].size(2)).typeAs(self._logTables)
        t1 = self._logbmm.clone()
        t2 = self._logbmm.clone()

        for i in range(n):
            Util.logbmm(self._logbmm, self._logbmmSign, forward[i], self._logB[i],
                        ones1, self._logBackwardGradSign.select(1, i+1),
                        t1a, t1b)
            Util.logadd(self._logGradExpandedWeight[i],
                        self._logGradExpandedWeightSign[i],
                        self._logGradExpandedWeight[i],
                        self._logbmm, self._logGradExpandedWeightSign[i], self._logbmmSign,
                        t1, t2)

            Util.logbmm(self._logbmm, self._logbmmSign, self._logF[i], backward[i+2],
                        self._logForwardGradSign.select(1, i), ones2,
                        t1a, t1b)
            Util.logadd(self._logGradExpandedWeight[i+1],
                        self._logGradExpandedWeightSign[i+1],
                        self._logGradExpandedWeight[i+1],
                        self._logbmm, self._logGradExpandedWeightSign[i+1], self._logbmmSign,
                        t1, t2)

        # multiply by w and add dL/d(marginal)*d(marginal)/d(edge)
        t1 = self._logGradExpandedWeight.clone()
        self._logGradExpandedWeight.add(self._expandedWeight.transpose(0, 1))

        Util.logadd(self._logGradExpandedWeight, self._logGradExpandedWeightSign,
                    self._logGradExpandedWeight, self._logMarginalProduct.transpose(0, 1),
                    self._logGradExpandedWeightSign, logGradOutputSign.transpose(0, 1),
                    None, None)

        # partial with respect to the partition
        factor = Util.logsumNumber(self._logMarginalProduct, logGradOutputSign)[0]

        Util.logadd(self._logGradExpandedWeight, self._logGradExpandedWeightSign,
                    self._logGradExpandedWeight,
                    lg.add(self.output, factor.view(-1, 1, 1, 1)
                           .expandAs(self.output)).transpose(0, 1),
                    self._logGradExpandedWeightSign,
                    lg.Tensor(gradOutput.size()).typeAs(gradOutput).fill(-1))

        # come out of log space
        self._gradExpandedWeight.resize(batches, n+1, C, C)
        self._gradExpandedWeight.copy(self._logGradExpandedWeight.exp()
                                      .cmul(self._logGradExpandedWeightSign).transpose(0, 1))

        # handle edge cases at start node
        # initial and final weights are combinations of other terms, so we expand to capture this
        self._gradExpandedWeight[:, 0, 0].div(self.nstates)
        self._gradExpandedWeight[:, n, :, 0].div(self.nstates)
        self._gradExpandedWeight[:, 0, 1:].copy(
            self._gradExpandedWeight[:, 0, 0].contiguous().view(-1, 1, C)
            .expand(batches, C-1, C))
        self._gradExpandedWeight[:, n, :, 1:].copy(
            self._gradExpandedWeight[:, n, :, 0].contiguous().view(-1, C, 1)
            .expand(batches, C, C-1))

        self.gradWeight.add(scale, self._gradExpandedWeight.sum(0).sum(1).squeeze())
        Util.fixnan(self.gradWeight)

    def updateGradTables(self, input, logGradOutput, logGradOutputSign):
        # calculate dL/dalpha, dL/dbeta, backwardGrad, forwardGrad
        # note: self._gradTables has size n+1 rather than n+2; the final node is ignored for forward
        # and the initial node is ignored for backward because they don't affect the marginals.
        # the initial for forward and final for backward are kept for convenience in
        # backwardGrad and forwardGrad.

        batches, n = input.size(0), input.size(1)

        # marginalProduct = marginal * dL/d(marginal)
        self._logMarginalProduct.resizeAs(self.output).zero()
        self._logMarginalProduct.add(logGradOutput, self.output)
        Util.fixnan(self._logMarginalProduct)

        # compute gradient of loss with respect to forward and backward
        # 1. accumulate marginalProduct terms with the same forward term
        # 2. divide by the relevant forward terms
        # 3. accumulate marginalProduct terms with the same backward term
        # 4. divide by the relevant backward terms
        # 5. zero out ends
        self._logGradTables.resize(2, n+1, batches, self.nstates).zero()
        self._logGradTablesSign.resizeAs(self._logGradTables).fill(0)

        logsum, logsumSign = Util.logsum(self._logMarginalProduct, 3, logGradOutputSign)
        self._logGradTables[0].add(logsum.view(batches, n+1, self.nstates).transpose(0, 1))
        self._logGradTablesSign[0].add(logsumSign.view(batches, n+1, self.nstates).transpose(0, 1))
        self._logGradTables[0].add(-1, self._logTables[0, :-1])

        logsum, logsumSign = Util.logsum(self._logMarginalProduct, 2, logGradOutputSign)
        self._logGradTables[1].add(logsum.view(batches, n+1, self.nstates).transpose(0, 1))
        self._logGradTablesSign[1].add(logsumSign.view(batches, n+1, self.nstates).transpose(0, 1))
        self._logGradTables[1].add(-1, self._logTables[1, 1:])
        self._logGradTables[0, 0, :, 1:].fill(-math.inf)
        self._logGradTables[1, n, :, 1:].fill(-math.inf)

        # Run dynamic programming
        if self._logForwardGrad.nElement() != 0:
            self._logForwardGrad = self._logForwardGrad.transpose(0, 1)
            self._logForwardGradSign = self._logForwardGradSign.transpose(0, 1)
            self._logBackwardGrad = self._logBackwardGrad.transpose(0, 1)
            self._logBackwardGradSign = self._logBackwardGradSign.transpose(0, 1)

        self._markov.makePotentials(input, self._expandedWeight, True)
        self._markov.backwardGrad(self._logBackwardGrad, self._logBackwardGradSign,
                                  self._logGradTables[0], self._logGradTablesSign[0])
        self._markov.forwardGrad(self._logForwardGrad, self._logForwardGradSign,
                                 self._logGradTables[1], self._logGradTablesSign[1])

        self._logForwardGrad = self._logForwardGrad.transpose(0, 1)
        self._logForwardGradSign = self._logForwardGradSign.transpose(0, 1)
        self._logBackwardGrad = self._logBackwardGrad.transpose(0, 1)
        self._logBackwardGradSign = self._logBackwardGradSign.transpose(0, 1)


lg.register(CRF)   # torch.class: lg.save and lg.load rebuild it (docs/porting.md's torch.class row)
