"""fbnn's SegSparseLinear: a linear layer over a batch given as one list of (sample, feature, value) entries
(SegSparseLinear.lua)."""
import math

from ..modules.base.errors import check_hyper, input_error
from ..modules.base.module import Module
from ..tensor.indexing import is_whole
from ..tensor.scatter_kernels import scatter_add
from .base import FbnnClass


def _batch_size(module, value):
    """The input's 4th item as an int: a number, or one held in a 1-element tensor (tree conversions make one)."""
    if hasattr(value, 'nElement') and value.nElement() == 1:
        value = value.array.reshape(-1)[0].item()
    if not is_whole(value) or value < 0:
        raise input_error(module, "a batch size (a whole number >= 0) after [segs, keys, vals]", repr(value))
    return int(value)


class SegSparseLinear(FbnnClass, Module):
    """fbnn.SegSparseLinear(inputSize, outputSize, useSparseGrad=False, learningRateMul=1): input
    ``[segs, keys, vals]`` (optionally a 4th item, the batch size; the Lua's ``input.batch_size``), three 1-D
    tensors of n entries: entry i adds ``vals[i] * weight[keys[i]]`` to output row ``segs[i]`` (both 0-based).
    Output ``(batch, outputSize)``, batch the given size or ``max(segs) + 1``, each row starting at ``bias``.
    ``weight`` is ``(inputSize, outputSize)`` (the Lua's transposed layout), ``gradWeight`` too, or None with
    ``useSparseGrad``, where each backward keeps the rows of the keys it saw apart (``sparseGradWeight``).

    As the Lua: ``updateParameters(lr)`` (times ``learningRateMul``) steps only the last backward's key rows
    and the bias, then zeroes those gradients and gradBias; ``zeroGradParameters`` only forgets the sparse
    rows; no gradient reaches the input (gradInput is the module's empty tensor).
    """

    input_dtypes = 'any'
    lua_name = 'fbnn'

    def __init__(self, inputSize, outputSize, useSparseGrad=False, learningRateMul=1):
        super().__init__()
        check_hyper('SegSparseLinear', positive=dict(inputSize=inputSize, outputSize=outputSize))
        new = self.output.new
        self.weight = new(outputSize, inputSize)
        self.bias = new(outputSize).zero()
        self.useSparseGrad = bool(useSparseGrad)
        self.gradWeight = None if self.useSparseGrad else new(inputSize, outputSize).zero()
        self.sparseGradWeight = {}
        self.gradBias = new(outputSize).zero()
        self.learningRateMul = learningRateMul
        self.lastInput = None
        self.reset()

    def reset(self, stdv=None):
        """Uniform in [-stdv, stdv] (stdv * sqrt(3) when given, else 1/sqrt(inputSize)), drawn in the
        (outputSize, inputSize) order of the Lua and then transposed; the bias the same times 1e-6."""
        # the constructor's weight is (outputSize, inputSize) until this first reset lays it out transposed
        size_in = self.weight.size(1) if self.weight.size(0) == self.bias.size(0) else self.weight.size(0)
        stdv = stdv * math.sqrt(3) if stdv is not None else 1 / math.sqrt(size_in)
        drawn = self.weight.new(self.bias.size(0), size_in).uniform(-stdv, stdv)
        self.weight = drawn.t().contiguous()
        self.bias.uniform(-stdv, stdv).mul(1e-6)
        return self

    def parameters(self):
        """([weight, bias], [gradWeight, gradBias]); with useSparseGrad ([bias], [gradBias]), the weight's
        gradient being the sparse rows."""
        if self.useSparseGrad:
            return [self.bias], [self.gradBias]
        return [self.weight, self.bias], [self.gradWeight, self.gradBias]

    def setLearningRateMul(self, learningRateMul):
        self.learningRateMul = learningRateMul

    def setUseSparseGrad(self, useSparseGrad):
        if self.useSparseGrad == bool(useSparseGrad):
            return
        self.gradWeight = None if useSparseGrad else self.weight.clone().zero()
        self.useSparseGrad = bool(useSparseGrad)

    def _entries(self, input):
        """(segs, keys, vals arrays, batch size) of a checked input."""
        if not isinstance(input, (list, tuple)) or len(input) not in (3, 4):
            raise input_error(self, "an input [segs, keys, vals] (or with a batch size after them)",
                              f"a {type(input).__name__}", TypeError)
        segs, keys, vals = input[:3]
        n = vals.nElement() if hasattr(vals, 'nElement') else -1
        if n < 0 or any(not hasattr(t, 'nElement') or t.dim() > 1 or t.nElement() != n for t in (segs, keys)):
            raise input_error(self, "segs, keys and vals: 1-D tensors of one length",
                              " / ".join(str(tuple(t.size())) if hasattr(t, 'size') else type(t).__name__
                                         for t in (segs, keys, vals)))
        self.checkSameType(vals, self.weight, 'vals')
        keys_a = self.checkIndices(keys, self.weight.size(0), 'keys', self.weight.xp)
        batch = _batch_size(self, input[3]) if len(input) == 4 else (int(segs.max()) + 1 if n else 0)
        segs_a = self.checkIndices(segs, batch, 'segs', self.weight.xp)
        return segs_a, keys_a, vals.array, batch

    def updateOutput(self, input):
        segs, keys, vals, batch = self._entries(input)
        out = self.bufferLike('output', self.weight, (batch, self.bias.size(0)))
        out[...] = self.bias.array
        scatter_add(out, segs, vals[:, None] * self.weight.array[keys])
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._entries(input)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        segs, keys, vals, batch = self._entries(input)
        self.checkSize(gradOutput, (batch, self.bias.size(0)), 'gradOutput')
        xp, go = self.weight.xp, gradOutput.array
        rows = scale * vals[:, None] * go[segs]
        if self.useSparseGrad:
            # fresh zero rows for this backward's keys, as the Lua's resized buffer
            self.sparseGradWeight = {int(k): xp.zeros(self.bias.size(0), self.weight.dtype) for k in keys.tolist()}
            for key, row in zip(keys.tolist(), rows):
                self.sparseGradWeight[int(key)] += row
        else:
            scatter_add(self.gradWeight.array, keys, rows)
        self.gradBias.array[...] += scale * go.sum(axis=0)
        self.lastInput = input

    def updateParameters(self, learningRate):
        if self.lastInput is None:
            raise RuntimeError(f"{self.shortName()}: updateParameters needs a backward first")
        lr = learningRate * self.learningRateMul
        _, keys, _, _ = self._entries(self.lastInput)
        for key in dict.fromkeys(int(k) for k in keys.tolist()):
            grad = self.sparseGradWeight[key] if self.useSparseGrad else self.gradWeight.array[key]
            self.weight.array[key] -= lr * grad
            if not self.useSparseGrad:
                grad[...] = 0
        self.bias.array[...] -= lr * self.gradBias.array
        self.gradBias.zero()
        self.lastInput = None

    def zeroGradParameters(self):
        self.sparseGradWeight = {}
