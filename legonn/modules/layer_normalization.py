"""LayerNormalization (Ba, Kiros and Hinton, 2016), Torch7's formulation."""
import math

from .base.errors import input_error
from .base.module import Module
from ..tensor.introspection import typename as lua_typename
from ..tensor.reductions import reducer, silent_mean


class LayerNormalization(Module):
    """Normalises each sample over its ``nOutput`` features, then applies a gain and a bias.

    ``LayerNormalization(nOutput, bias=0, eps=1e-10, affine=True)``:
    ``y = (x - mean(x)) * sqrt(nOutput) / sqrt(sum((x - mean(x))^2) + eps) * weight + bias``, as Torch7's
    Sequential of Mean, CSubTable, Normalize(2, eps), MulConstant(sqrt(nOutput)), CMul and Add.
    ``weight`` starts at 1 and ``bias`` at ``bias``; ``affine=False`` drops both. Input ``(nOutput,)`` or
    ``(batch, nOutput)``.
    """

    input_ranks = (1, 2)
    positive_ints = ('nOutput',)

    def parameterSizes(self):
        return {'weight': (self.nOutput,), 'bias': (self.nOutput,)}

    def __init__(self, nOutput, bias=0, eps=1e-10, affine=True):
        super().__init__()
        self.checkHyper(nOutput=nOutput)
        if not isinstance(eps, (int, float)) or eps < 0:
            raise ValueError(f"LayerNormalization: eps must be a non-negative number, got {eps!r}")
        self.nOutput, self.eps, self.affine = nOutput, float(eps), bool(affine)
        self.weight = self.output.new(nOutput).fill(1) if affine else None
        self.bias = self.output.new(nOutput).fill(bias) if affine else None
        self.gradWeight = self.output.new(nOutput) if affine else None
        self.gradBias = self.output.new(nOutput) if affine else None

    def _check(self, input):
        self.checkInput(input)
        if self.weight is not None:
            self.checkSameType(input, self.weight)
        if input.size(-1) != self.nOutput:
            raise input_error(self, f"{self.nOutput} features (last dimension)",
                              f"{input.size(-1)} (input of size {tuple(input.size())})")
        x = input.array
        return x if x.ndim == 2 else x[None]

    def _normalised(self, xp, x):
        """(z, centred input, norm) with z = centred * sqrt(n) / norm."""
        centred = x - silent_mean(xp, x, 1, keepdims=True)
        norm = xp.sqrt(reducer(xp, 'sum')(centred * centred, axis=1, keepdims=True) + self.eps)
        return centred * (math.sqrt(self.nOutput) / norm), centred, norm

    def updateOutput(self, input):
        x = self._check(input)
        z, _, _ = self._normalised(input.xp, x)
        out = self.bufferLike('output', input).reshape(x.shape)
        out[...] = z
        if self.weight is not None:
            out *= self.weight.array
            out += self.bias.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        x = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        _, centred, norm = self._normalised(input.xp, x)
        gz = gradOutput.array.reshape(x.shape)
        if self.weight is not None:
            gz = gz * self.weight.array
        dot = (gz * centred).sum(axis=1, keepdims=True)
        gi = self.bufferLike('gradInput', input).reshape(x.shape)
        gi[...] = (gz - gz.mean(axis=1, keepdims=True) - centred * (dot / norm ** 2)) * (math.sqrt(self.nOutput) / norm)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        if self.weight is None:
            return
        x = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        z, _, _ = self._normalised(input.xp, x)
        go = gradOutput.array.reshape(x.shape)
        self.gradWeight.array += scale * (go * z).sum(axis=0)
        self.gradBias.array += scale * go.sum(axis=0)

    def __repr__(self):
        return f"{lua_typename(self)}({self.nOutput})"
