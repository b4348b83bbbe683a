"""Balance: nnx's rebalancing of a softmax's class distribution over recent batches (nnx's Balance.lua)."""
from .base.errors import input_error
from .base.module import Module
from ..tensor.introspection import typename as lua_typename
from ..tensor.reductions import reducer


class Balance(Module):
    """``Balance(nBatch=10)``: input ``(batch, classes)`` probabilities (a SoftMax's); while training, output =
    input / P(y), each row renormalised to sum 1, where P(y) is the class distribution (column sums over the
    total) of the last ``nBatch`` batches, kept in ``inputCache`` (zeroed and restarted when the batch size
    changes). In evaluate mode the output is the input.

    Backward is nnx's: gradOutput divided by the row sums and by P(y) of the last forward, both held constant
    (not the derivative of the normalisations); in evaluate mode gradOutput is passed on (the Lua file divides
    by a previous training forward's buffers)."""

    input_kind = 'tensor'
    input_ranks = (2,)

    def __init__(self, nBatch=10):
        super().__init__()
        if isinstance(nBatch, bool) or not isinstance(nBatch, int) or nBatch < 1:
            raise ValueError(f"Balance: nBatch must be a positive int, got {nBatch!r}")
        self.nBatch = nBatch
        self.inputCache, self.prob, self.sum = self.output.new(), self.output.new(), self.output.new()
        self.batchSize = 0
        self.startIdx = 0

    def updateOutput(self, input):
        self.checkInput(input)
        rows, classes = input.size(0), input.size(1)
        if self.batchSize != rows or type(self.inputCache) is not type(input) or \
                self.inputCache.size(-1) != classes:
            self.inputCache = input.new(rows * self.nBatch, classes).zero()
            self.batchSize, self.startIdx = rows, 0
        out = self.bufferLike('output', input)
        out[...] = input.array
        if not self.train:
            return self.output
        self.inputCache.narrow(0, self.startIdx, rows).copy(input)
        cache = self.inputCache.array
        prob = self.bufferLike('prob', input, (1, classes))
        total = reducer(input.xp, 'sum')
        prob[...] = total(cache, axis=0, keepdims=True) / total(cache, axis=None)
        out /= prob
        sums = self.bufferLike('sum', input, (rows, 1))
        sums[...] = out.sum(axis=1, keepdims=True)
        out /= sums
        self.startIdx += rows
        if self.startIdx >= self.inputCache.size(0):
            self.startIdx = 0
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkGradOutput(gradOutput, input)
        gi = self.bufferLike('gradInput', input)
        gi[...] = gradOutput.array
        if not self.train:
            return self.gradInput
        if self.sum.size(0) != input.size(0) or self.prob.nElement() != input.size(1):
            raise input_error(self, f"a training forward on a batch of size {tuple(input.size())} before backward",
                              "none" if not self.sum.nElement() else f"one of {self.sum.size(0)} rows")
        gi /= self.sum.array
        gi /= self.prob.array
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.nBatch})"
