"""models/CRFB.lua: nn.CRFB, the CRF that takes its edge potentials as input and has no weight. Input: batch x
(n+1) x C x C edge scores (node scores are zero); output: the log edge marginals of the same size.

Edits beyond syntax and 0-based indexing:
- ``Markov(nstates, ...)`` in the constructor reads ``nstates``, a global the file never sets: train-qa.lua sets
  it (``nstates = opt.max_history + 1``) before building nn.CRFB, and Lua globals are shared by every file.
  Python's globals are a module's own, so the name is this module's global ``nstates`` (None until a script
  sets ``CRFB.nstates``, as train_qa.py does); Markov's forwardBackward sizes its tables with it.
- ``if self._logForwardGrad:dim() > 0 then`` is ``nElement() != 0`` (as in CRF.py), ``local factor =
  Util.logsumNumber(...)`` keeps the first result with ``[0]`` (as in CRF.py).
- ``require "cuda-mod"`` on a CudaTensor is not ported (the package's docstring)."""
import math

import legonn as lg
from legonn import nn

from .Markov import Markov
from .Util import Util

nstates = None   # train-qa.lua's global


class CRFB(nn.Module):

    def __init__(self):
        super().__init__()

        self.gradInput = lg.Tensor()
        self.output = lg.Tensor()

        self._unaryPotentials = lg.Tensor()
        self._logGradInput = lg.Tensor()
        self._logGradInputSign = lg.Tensor()
        self._logGradInputTemp = lg.Tensor()
        self._logGradInputSignTemp = lg.Tensor()

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
        # Input is the binary potentials of size batch x (n + 1) x C x C
        batches = input.size(0)
        n = input.size(1) - 1
        nstates = input.size(2)
        assert nstates == input.size(3), "invalid input, the input size must be [batch x (n + 1) x C x C]"
        self._unaryPotentials.resize(batches, n, nstates).zero()

        # Run forward/backward
        self._markov.forwardBackward(self._unaryPotentials, input, self._logTables)

        # Combine tables into marginals
        self.output.resize(batches, n+1, nstates, nstates)
        self._markov.marginals(self.output, self._logTables, input)

        Util.fixnan(self.output)
        return self.output

    def updateGradInput(self, input, gradOutput):
        # gradOutput is the gradient of the loss wrt marginals, size {batch x n+1 x C x C}
        batches, n, C = gradOutput.size(0), gradOutput.size(1) - 1, gradOutput.size(2)

        # Switch to log space
        logGradOutput = lg.abs(gradOutput).log()
        logGradOutputSign = lg.sign(gradOutput)

        # Account for the fact that we output log-marginals rather than marginals
        logGradOutput.add(-1, self.output)
        Util.fixnan(logGradOutput)

        # Run dynamic programming to get intermediate gradient tables
        self.updateGradTables(input, logGradOutput, logGradOutputSign)

        # Set the gradWeight

        # dL/d(edge potential) = alpha*backwardGrad*w + beta*forwardGrad*w + dL/dM*dM/dw
        self._logGradExpandedWeight.resize(n+1, batches, C, C).fill(-math.inf)
        self._logGradExpandedWeightSign.resize(n+1, batches, C, C).fill(1)

        # these tensors are used to batch the two computations done in this loop
        self._logbmm.resize(batches, C, C).typeAs(input)
        self._logbmmSign.resize(batches, C, C).fill(1)

        self._logB = self._logB.resizeAs(self._unaryPotentials).copy(self._unaryPotentials) \
            .add(self._logBackwardGrad[:, 1:]).view(batches, -1, 1, C).transpose(0, 1).contiguous()
        self._logF = self._logF.resizeAs(self._unaryPotentials).copy(self._unaryPotentials) \
            .add(self._logForwardGrad[:, :-1]).view(batches, -1, C, 1).transpose(0, 1).contiguous()

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
        self._logGradExpandedWeight.add(input.transpose(0, 1))

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
        self.gradInput.resize(batches, n+1, C, C)
        self.gradInput.copy(self._logGradExpandedWeight.exp()
                            .cmul(self._logGradExpandedWeightSign).transpose(0, 1))
        Util.fixnan(self.gradInput)
        return self.gradInput

    def updateGradTables(self, input, logGradOutput, logGradOutputSign):
        # calculate dL/dalpha, dL/dbeta, backwardGrad, forwardGrad
        # note: self._gradTables has size n+1 rather than n+2; the final node is ignored for forward
        # and the initial node is ignored for backward because they don't affect the marginals.
        # the initial for forward and final for backward are kept for convenience in
        # backwardGrad and forwardGrad.

        batches, n, nstates = input.size(0), input.size(1) - 1, input.size(2)

        assert (self._unaryPotentials.size(0) == batches and
                self._unaryPotentials.size(1) == n and
                self._unaryPotentials.size(2) == nstates), \
            "Unary potentials not initialized properly, size mismatch"

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
        self._logGradTables.resize(2, n+1, batches, nstates).zero()
        self._logGradTablesSign.resizeAs(self._logGradTables).fill(0)

        logsum, logsumSign = Util.logsum(self._logMarginalProduct, 3, logGradOutputSign)
        self._logGradTables[0].add(logsum.view(batches, n+1, nstates).transpose(0, 1))
        self._logGradTablesSign[0].add(logsumSign.view(batches, n+1, nstates).transpose(0, 1))
        self._logGradTables[0].add(-1, self._logTables[0, :-1])

        logsum, logsumSign = Util.logsum(self._logMarginalProduct, 2, logGradOutputSign)
        self._logGradTables[1].add(logsum.view(batches, n+1, nstates).transpose(0, 1))
        self._logGradTablesSign[1].add(logsumSign.view(batches, n+1, nstates).transpose(0, 1))
        self._logGradTables[1].add(-1, self._logTables[1, 1:])
        self._logGradTables[0, 0, :, 1:].fill(-math.inf)
        self._logGradTables[1, n, :, 1:].fill(-math.inf)

        # Run dynamic programming
        if self._logForwardGrad.nElement() != 0:
            self._logForwardGrad = self._logForwardGrad.transpose(0, 1)
            self._logForwardGradSign = self._logForwardGradSign.transpose(0, 1)
            self._logBackwardGrad = self._logBackwardGrad.transpose(0, 1)
            self._logBackwardGradSign = self._logBackwardGradSign.transpose(0, 1)

        self._markov.makePotentials(self._unaryPotentials, input, True)
        self._markov.backwardGrad(self._logBackwardGrad, self._logBackwardGradSign,
                                  self._logGradTables[0], self._logGradTablesSign[0])
        self._markov.forwardGrad(self._logForwardGrad, self._logForwardGradSign,
                                 self._logGradTables[1], self._logGradTablesSign[1])

        self._logForwardGrad = self._logForwardGrad.transpose(0, 1)
        self._logForwardGradSign = self._logForwardGradSign.transpose(0, 1)
        self._logBackwardGrad = self._logBackwardGrad.transpose(0, 1)
        self._logBackwardGradSign = self._logBackwardGradSign.transpose(0, 1)


lg.register(CRFB)   # torch.class: lg.save and lg.load rebuild it (docs/porting.md's torch.class row)
