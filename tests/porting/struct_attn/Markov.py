"""models/Markov.lua: the linear-chain dynamic programmes in log space: potentials from node and edge scores,
forward and backward tables, edge marginals, the two gradient recursions (backwardGrad, forwardGrad), Viterbi and
sampling. ``Markov`` is a module only to inherit ``type()`` (the Lua says so); its ``forward`` is the forward
algorithm, not Module.forward, as in the Lua. Sizes: batches x n x C node scores, batches x (n+1) x C x C edges."""
import math

import legonn as lg
from legonn import nn

from .Util import Util


class Markov(nn.Module):
    # Fake being a module to inherit :type()
    lua_package = None

    def __init__(self, nstates, typ):
        self.nstates = nstates
        self._tempDp = lg.Tensor()
        self._tempDpGrad1 = lg.Tensor()
        self._tempDpGrad2 = lg.Tensor()
        self._tempMarginals = lg.Tensor()
        self._ones = lg.Tensor()

        self._forwardPotentials = lg.Tensor()
        self._backwardPotentials = lg.Tensor()

    # Run Viterbi algorithm
    @staticmethod
    def viterbi(logMarginals):
        useCuda = (logMarginals.type() == 'torch.CudaTensor')

        batches = logMarginals.size(0)
        n = logMarginals.size(1) - 1
        C = logMarginals.size(2)

        # convert to conditional marginals
        logConditionalMarginals = logMarginals.clone()
        margSum, _ = Util.logsum(logConditionalMarginals, 3)
        logConditionalMarginals.add(-1, margSum.expandAs(logConditionalMarginals))

        bestPaths = lg.Tensor(batches, n, C).typeAs(logMarginals)
        if useCuda:
            backPointers = lg.CudaTensor(batches, n, C)
        else:
            backPointers = lg.LongTensor(batches, n, C)

        # compute dynamic programming tables
        bestPaths[:, 0].copy(logConditionalMarginals[:, 0, 0])
        backPointers[:, 0].fill(0)
        for i in range(1, n):
            m, idx = lg.max(lg.add(bestPaths[:, i-1].contiguous().view(-1, C, 1)
                                   .expand(batches, C, C), logConditionalMarginals[:, i]), 1)
            bestPaths[:, i].copy(m)
            backPointers[:, i].copy(idx)

        # compute paths from backpointers
        paths = lg.LongTensor(batches, n)
        bestScore, paths[:, n-1] = bestPaths[:, n-1].double().max(1)

        for i in range(n-2, -1, -1):
            for b in range(batches):
                paths[b][i] = backPointers[b][i+1][paths[b][i+1]]
        if useCuda:
            return lg.exp(bestScore), paths.cuda()
        return lg.exp(bestScore), paths

    # Sample from the marginal distribution
    @staticmethod
    def sample(logMarginals):
        batches = logMarginals.size(0)
        n = logMarginals.size(1) - 1
        C = logMarginals.size(2)

        conditionalMarginals = lg.exp(logMarginals)
        conditionalMarginals.cdiv(conditionalMarginals.sum(3).expandAs(conditionalMarginals))

        sample = lg.Tensor(batches, n)
        prob = 1
        lastTag = 0
        for batch in range(batches):
            for i in range(n):
                sample[batch][i] = lg.multinomial(conditionalMarginals[batch][i][lastTag], 1).squeeze()
                prob = prob*conditionalMarginals[batch][i][lastTag][sample[batch][i]]
                lastTag = sample[batch][i]

        return prob, sample

    # Build potentials (node and edge)
    def makePotentials(self, unaryPotentials, binaryPotentials, grad=None):
        batches, n, C = get_sizes_uni(unaryPotentials)
        binaryPotentials = binaryPotentials.transpose(0, 1)

        self._backwardPotentials.resizeAs(binaryPotentials)
        self._forwardPotentials.resizeAs(binaryPotentials)
        unaryPotentials = unaryPotentials.view(-1, n, 1, C).transpose(0, 1).expand(n, batches, C, C)

        self._backwardPotentials.copy(binaryPotentials)
        if not grad:
            self._backwardPotentials[1:].add(unaryPotentials.transpose(2, 3))
        else:
            self._backwardPotentials[:-1].transpose(2, 3).add(unaryPotentials.transpose(2, 3))
        self._backwardPotentials[0, :, 1:].fill(-math.inf)
        self._backwardPotentials[n, :, :, 1:].fill(-math.inf)

        # Forward
        self._forwardPotentials.transpose(2, 3).copy(binaryPotentials)
        if not grad:
            self._forwardPotentials[:-1].transpose(2, 3).add(unaryPotentials)
        else:
            self._forwardPotentials[1:].add(unaryPotentials)
        self._forwardPotentials[0, :, :, 1:].fill(-math.inf)
        self._forwardPotentials[n, :, 1:].fill(-math.inf)

    # Run forward algorithm
    def forward(self, forwardTable):
        batches, n, C = get_sizes_dp(forwardTable)
        potentials = self._forwardPotentials

        # compute forward table with dynamic programming
        # initialize with 1 0 ... 0 (in log space equivalent)
        forwardTable = forwardTable.view(n+2, batches, C, 1)

        forwardTable.fill(-math.inf)
        forwardTable[0, :, 0].zero()

        self._tempDp.resize(batches, potentials[0].size(1),
                            forwardTable[0].size(2), potentials[0].size(2))
        for i in range(1, n+2):
            Util.logbmm2(forwardTable[i],
                         potentials[i-1],
                         forwardTable[i-1],
                         self._tempDp)
        forwardTable[n+1, :, 1:].fill(-math.inf)

    # Run backward algorithm
    def backward(self, backwardTable):
        batches, n, C = get_sizes_dp(backwardTable)
        potentials = self._backwardPotentials

        # compute backward table with dynamic programming
        # initialize with 1 0 ... 0
        backwardTable = backwardTable.view(n+2, batches, C, 1)
        backwardTable.fill(-math.inf)
        backwardTable[n+1, :, 0].zero()

        self._tempDp.resize(batches, potentials[0].size(1),
                            backwardTable[0].size(2), potentials[0].size(2))
        for i in range(n, -1, -1):
            Util.logbmm2(backwardTable[i],
                         potentials[i],
                         backwardTable[i+1], self._tempDp)
        backwardTable[0, :, 1:].fill(-math.inf)

    # Run forward/backward
    def forwardBackward(self, unaryPotentials, binaryPotentials, logTables):
        # run forward and backward
        batches, n, C = get_sizes_uni(unaryPotentials)
        logTables.resize(2, n+2, batches, self.nstates)
        self.makePotentials(unaryPotentials, binaryPotentials)
        self.forward(logTables[0])
        self.backward(logTables[1])

    # Compute marginals
    def marginals(self, marginals, logTables, binaryPotentials):
        # combine tables into marginals
        batches, n, C = get_sizes_dp(logTables[0])

        # multiply forward, backward, and edge weights
        forward = logTables.view(2, -1, batches, C, 1)[0]
        backward = logTables.view(2, -1, batches, 1, C)[1]
        marginals.zero()

        self._tempMarginals.resize(batches, forward[0].size(1),
                                   backward[0].size(2), forward[0].size(2))
        for i in range(n+1):
            Util.logbmm2(marginals.select(1, i),
                         forward[i],
                         backward[i+1], self._tempMarginals)
        marginals.add(binaryPotentials)

        # divide by partition to normalize
        marginals.add(-1, logTables[0, n+1, :, 0].contiguous().view(-1, 1, 1, 1)
                      .expandAs(marginals))
        marginals[:, 0, 1:].fill(-math.inf)
        marginals[:, n, :, 1:].fill(-math.inf)

    # Run backward dynamic programming (intermediate in gradient computation)
    def backwardGrad(self, logBackwardGrad, logBackwardGradSign,
                     logGradForward, logGradForwardSign):
        # gradForward is the gradient of the loss wrt to the forward table
        batches, n, C = get_sizes_dp_grad(logGradForward)
        potentials = self._backwardPotentials

        # initialize dynamic programming
        logBackwardGrad.resize(n+1, batches, C, 1)
        logBackwardGradSign.resize(n+1, batches, C, 1)
        logBackwardGrad[n].copy(logGradForward[n])
        logBackwardGradSign[n].copy(logGradForwardSign[n])

        # Make temp variables
        self._ones.resize(potentials[0].size()).contiguous().fill(1)
        self._tempDpGrad1.resize(batches, potentials[0].size(1),
                                 logBackwardGrad[0].size(1)+1, logBackwardGrad[0].size(2)).contiguous()
        self._tempDpGrad2.resizeAs(self._tempDpGrad1).contiguous()

        # recursive step
        for i in range(n-1, -1, -1):
            self._tempDpGrad1.narrow(2, 0, 1).squeeze().copy(logGradForward[i])
            self._tempDpGrad2.narrow(2, 0, 1).squeeze().copy(logGradForwardSign[i])
            Util.logbmm(logBackwardGrad[i], logBackwardGradSign[i],
                        potentials[i], logBackwardGrad[i+1],
                        self._ones, logBackwardGradSign[i+1],
                        self._tempDpGrad1, self._tempDpGrad2, 1, 1)

    # Run forward dynamic programming (intermediate in gradient computation)
    def forwardGrad(self, logForwardGrad, logForwardGradSign,
                    logGradBackward, logGradBackwardSign):
        # gradBackward is the gradient of the loss wrt to the backward table
        batches, n, C = get_sizes_dp_grad(logGradBackward)
        potentials = self._forwardPotentials

        # initialize dynamic programming
        logForwardGrad.resize(n+1, batches, C, 1)
        logForwardGradSign.resize(n+1, batches, C, 1)
        logForwardGrad[0].copy(logGradBackward[0])
        logForwardGradSign[0].copy(logGradBackwardSign[0])

        # Make temp variables
        self._ones.resize(potentials[0].size()).fill(1)
        self._tempDpGrad1.resize(batches, potentials[0].size(1),
                                 logForwardGrad[0].size(1) + 1, logForwardGrad[0].size(2))
        self._tempDpGrad2.resizeAs(self._tempDpGrad1)

        # recursive step
        for i in range(1, n+1):
            self._tempDpGrad1.narrow(2, 0, 1).squeeze().copy(logGradBackward[i])
            self._tempDpGrad2.narrow(2, 0, 1).squeeze().copy(logGradBackwardSign[i])
            Util.logbmm(logForwardGrad[i], logForwardGradSign[i],
                        potentials[i],
                        logForwardGrad[i-1],
                        self._ones,
                        logForwardGradSign[i-1],
                        self._tempDpGrad1, self._tempDpGrad2, 1, 1)


# Convenience functions for sizing
def get_sizes_uni(unaryPotentials):
    batches = unaryPotentials.size(0)
    n = unaryPotentials.size(1)
    C = unaryPotentials.size(2)
    return batches, n, C


def get_sizes_dp(forwardTable):
    batches = forwardTable.size(1)
    n = forwardTable.size(0) - 2
    C = forwardTable.size(2)
    return batches, n, C


def get_sizes_dp_grad(forwardTable):
    batches = forwardTable.size(1)
    n = forwardTable.size(0) - 1
    C = forwardTable.size(2)
    return batches, n, C


lg.register(Markov)   # torch.class: lg.save and lg.load rebuild it (docs/porting.md's torch.class row)
