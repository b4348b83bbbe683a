"""onmt/modules/MarginalNLLCriterion.lua of harvardnlp/data2text: -log of the summed probability of a row's correct
labels, for probabilities (N x V, after a SoftMax) and a target N x (numNZ+1) whose last column counts the correct
label ids (0-based) before it; a row with no label adds nothing. Summed, or averaged over N (sizeAverage)."""
import legonn as lg
from legonn import nn


class MarginalNLLCriterion(nn.Criterion):
    def __init__(self):
        super().__init__()
        self.sizeAverage = True

    def updateOutput(self, input, target):
        if getattr(self, 'buf', None) is None:
            self.buf = lg.Tensor().typeAs(input)
            self.rowSums = lg.Tensor().typeAs(input)
            self.gradInput = self.gradInput.typeAs(input)
        maxIndices = target.size(1) - 1
        self.buf.resize(target.size(0), maxIndices).zero()
        self.buf.select(1, 0).fill(1)   # if we ignore a row it will sum to 1, so no loss
        self.rowSums.resize(input.size(0), 1)
        # could do this w/o looping, but would require a lot of extra arithmetic
        # that might not end up being much more efficient
        for i in range(target.size(0)):
            nnz_i = int(target[i][maxIndices])
            if nnz_i > 0:
                self.buf[i].sub(0, nnz_i - 1).index(input[i], 0, target[i].sub(0, nnz_i - 1))
        self.rowSums.sum(self.buf, 1)
        logRowSums = self.buf.narrow(1, 0, 1)
        logRowSums.log(self.rowSums)
        self.output = -logRowSums.sum()
        if self.sizeAverage:
            self.output = self.output / input.size(0)
        return self.output

    def updateGradInput(self, input, target):
        self.gradInput.resizeAs(input).zero()
        if self.sizeAverage:
            self.rowSums.mul(input.size(0))
        maxIndices = target.size(1) - 1
        for i in range(target.size(0)):
            nnz_i = int(target[i][maxIndices])
            if nnz_i > 0:
                self.gradInput[i].indexFill(0, target[i].sub(0, nnz_i - 1), 1)
        # faster than doing the arithmetic up there for some reason
        self.rowSums.neg()
        self.gradInput.cdiv(self.rowSums.expand(input.size(0), input.size(1)))
        return self.gradInput


lg.register(MarginalNLLCriterion, 'nn.MarginalNLLCriterion')
