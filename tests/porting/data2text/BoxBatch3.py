"""onmt/data/BoxBatch3.lua of harvardnlp/data2text: a batch of box-score tables and their summaries. The source
is every row's cells after the row name, all rows of all examples one after another: size*nRows*(bsLen-1) x 4
ids (cell value, row name, column name, home/away feature); targets are right padded, targetLength x size, and
may be cut into pieces of maxBptt steps (splitIntoPieces, nextPiece)."""
import math

import legonn as lg
from tests.porting.test_opennmt_modules import Constants

from . import G


def getLength(seq, ignore=None):
    """The maxLength, sizes, and non-zero count of ``seq`` ignoring ``ignore`` words."""
    sizes = lg.IntTensor(len(seq)).zero()
    max_ = 0
    sum_ = 0
    for i in range(len(seq)):
        len_ = seq[i].size(0)
        if ignore is not None:
            len_ = len_ - ignore
        max_ = max(max_, len_)
        sum_ = sum_ + len_
        sizes[i] = len_
    return max_, sizes, sum_


class BoxBatch3:
    def __init__(self, srcs, srcFeatures, tgt, tgtFeatures, bsLen, colStartIdx, nFeatures, tripIdxs=None,
                 tripV=None):
        srcs = srcs or []
        if tgt is not None:
            assert len(srcs[0]) == len(tgt), "source and target must have the same batch size"
        self.size = len(tgt)
        self.sourceLength = bsLen - 1   # skipping first col...
        self.totalSourceLength = len(srcs) * self.sourceLength   # all rows
        assert srcs[0][0].size(0) == bsLen
        srcLen = self.sourceLength
        # source concatenates all rows in the table into a single column (and concatenates everything in the batch too)
        self.sourceInput = lg.LongTensor(self.size * self.totalSourceLength, nFeatures)
        if tgt is not None:
            # N.B. targetSize is now wrongish....
            self.rulTargetLength, self.rulTargetSize, self.rulTargetNonZeros = getLength(tgt, 1)
            self.targetLength = self.rulTargetLength   # will change this, since this is what decoder looks at
            self.targetNonZeros = self.rulTargetNonZeros
            self.targetSize = self.rulTargetSize
            targetSeq = lg.LongTensor(self.rulTargetLength, self.size).fill(Constants.PAD)
            self.targetInput = targetSeq.clone()
            self.targetOutput = targetSeq.clone()
        if tripIdxs is not None and len(tripIdxs) > 0 and tripV:
            self.triples = lg.zeros(self.size, tripIdxs[0].size(0), tripV[0] + tripV[1] + tripV[2])
        currRow = 0
        for b in range(self.size):
            for j in range(len(srcs)):
                sourceInput = srcs[j][b].sub(1, srcs[j][b].size(0) - 1)   # skip first (ok for linescore since padded)
                self.sourceInput.sub(currRow, currRow + srcLen - 1, 0, 0).copy(sourceInput)
                if j + 1 <= 2 * G.g_nRegRows:
                    # second feature is row name; conceivable we would want a different vocab for these but
                    # since they don't appear in the rows it's probably fine
                    self.sourceInput.sub(currRow, currRow + srcLen - 1, 1, 1).fill(srcs[j][b][0])
                    # third feature is col name
                    self.sourceInput.sub(currRow, currRow + srcLen - 1, 2, 2).range(colStartIdx,
                                                                                    colStartIdx + srcLen - 1)
                    # fourth feature is home or away
                    lastFeat = colStartIdx + 2 * srcLen if j + 1 <= G.g_nRegRows else colStartIdx + 2 * srcLen + 1
                    self.sourceInput.sub(currRow, currRow + srcLen - 1, 3, 3).fill(lastFeat)
                else:
                    self.sourceInput.sub(currRow, currRow + srcLen - 1, 1, 1).fill(srcs[j][b][G.g_specPadding])
                    self.sourceInput.sub(currRow, currRow + srcLen - 1, 2, 2).range(colStartIdx + srcLen,
                                                                                    colStartIdx + 2 * srcLen - 1)
                    lastFeat = colStartIdx + 2 * srcLen if j + 1 < len(srcs) else colStartIdx + 2 * srcLen + 1
                    self.sourceInput.sub(currRow, currRow + srcLen - 1, 3, 3).fill(lastFeat)
                currRow = currRow + srcLen
            if tgt is not None:
                # Input: [<s>ABCDE]
                # Output: [ABCDE</s>]
                targetLength = tgt[b].size(0) - 1
                targetInput = tgt[b].narrow(0, 0, targetLength)
                targetOutput = tgt[b].narrow(0, 1, targetLength)
                # Target is right padded [<S>ABCDEPPPPPP] .
                self.targetInput[0:targetLength, b].copy(targetInput)
                self.targetOutput[0:targetLength, b].copy(targetOutput)
            # make one hot (concatenated) triple representation
            if tripIdxs is not None and len(tripIdxs) > 0 and tripV:
                self.triples[b].narrow(1, 0, tripV[0]).scatter(1, tripIdxs[b].narrow(1, 0, 1), 1)
                self.triples[b].narrow(1, tripV[0], tripV[1]).scatter(1, tripIdxs[b].narrow(1, 1, 1), 1)
                self.triples[b].narrow(1, tripV[0] + tripV[1], tripV[2]).scatter(1, tripIdxs[b].narrow(1, 2, 1), 1)
        assert currRow == self.sourceInput.size(0)
        self.targetOffset = 0   # used for long target stuff

    def splitIntoPieces(self, maxBptt):
        self.maxBptt = maxBptt
        self.targetLength = min(self.rulTargetLength, maxBptt)
        return math.ceil(self.rulTargetLength / maxBptt)

    def nextPiece(self):
        self.targetOffset = self.targetOffset + self.maxBptt
        self.targetLength = min(self.rulTargetLength - self.targetOffset, self.maxBptt)
        self.targetNonZeros = 0   # so we only count this once...

    def getSource(self):
        """The nRows*srcLen*size x nFeatures source."""
        return self.sourceInput

    def getSourceWords(self):
        return self.sourceInput.select(1, 0).reshape(self.size, self.totalSourceLength)

    def getCellsForExample(self, b):
        return self.sourceInput.sub(b * self.totalSourceLength, (b + 1) * self.totalSourceLength - 1).select(1, 0)

    def getSourceTriples(self):
        return self.triples

    def getTargetInput(self, t):
        """Target input batch at timestep ``t``."""
        return self.targetInput[self.targetOffset + t]

    def getTargetOutput(self, t):
        """Target output batch at timestep ``t`` (values t+1), in a table of one."""
        return [self.targetOutput[self.targetOffset + t]]
