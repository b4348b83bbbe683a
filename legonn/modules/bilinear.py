"""Bilinear: y_k = x1^T W_k x2 + b_k."""
from .base.errors import check_hyper, input_error
from .base.module import Module
from .base.initialisation import uniform_reset
from ..tensor.introspection import typename as lua_typename


class Bilinear(Module):
    """A bilinear form of two inputs per output feature.

    ``Bilinear(inputSize1, inputSize2, outputSize, bias=True)``. Input: a list
    ``[x1, x2]`` of ``(batch, inputSize1)`` and ``(batch, inputSize2)``; output
    ``(batch, outputSize)``; ``gradInput`` is a list of two. ``weight`` is
    ``(outputSize, inputSize1, inputSize2)``, ``bias`` ``(outputSize,)``.
    """

    def __init__(self, inputSize1, inputSize2, outputSize, bias=True):
        super().__init__()
        check_hyper('Bilinear', positive=dict(inputSize1=inputSize1, inputSize2=inputSize2, outputSize=outputSize))
        self.weight = self.output.new(outputSize, inputSize1, inputSize2)
        self.gradWeight = self.output.new(outputSize, inputSize1, inputSize2)
        self.bias = self.output.new(outputSize) if bias else None
        self.gradBias = self.output.new(outputSize) if bias else None
        self.gradInput = [self.output.new(), self.output.new()]
        self.reset()

    def reset(self, stdv=None):
        uniform_reset(stdv, self.weight.size(1), self.weight, self.bias)
        return self

    def _check(self, input):
        if not isinstance(input, list) or len(input) != 2:
            got = f"a list of {len(input)}" if isinstance(input, list) else type(input).__name__
            raise input_error(self, "a list of two tensors [x1, x2]", got, TypeError)
        x1, x2 = input
        for i, (x, n) in enumerate(((x1, self.weight.size(1)), (x2, self.weight.size(2)))):
            self.checkTensor(x, what=f'input[{i}]', floating=True)
            self.checkSameType(x, self.weight, f'input[{i}]')
            if x.dim() != 2 or x.size(1) != n:
                raise input_error(self, f"input[{i}] of size (batch, {n})", tuple(x.size()))
        if x1.size(0) != x2.size(0):
            raise input_error(self, "inputs with the same batch size", f"{x1.size(0)} and {x2.size(0)}")
        return x1.array, x2.array, x1.xp

    def updateOutput(self, input):
        x1, x2, xp = self._check(input)
        out = self.bufferLike('output', input[0], (x1.shape[0], self.weight.size(0)))
        out[...] = xp.einsum('bi,kij,bj->bk', x1, self.weight.array, x2)
        if self.bias is not None:
            out += self.bias.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        x1, x2, xp = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        go, w = gradOutput.array, self.weight.array
        for i, (ref, spec, other) in enumerate(((input[0], 'bk,kij,bj->bi', x2), (input[1], 'bk,kij,bi->bj', x1))):
            grad = self.gradInput[i]
            if type(grad) is not type(ref):
                grad = self.gradInput[i] = ref.new()
            grad.resizeAs(ref).array[...] = xp.einsum(spec, go, w, other)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x1, x2, xp = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        go = gradOutput.array
        self.gradWeight.array += scale * xp.einsum('bk,bi,bj->kij', go, x1, x2)
        if self.bias is not None:
            self.gradBias.array += scale * go.sum(axis=0)

    def __repr__(self):
        k, i, j = self.weight.size()
        return f"{lua_typename(self)}(({i}x{j}) -> {k}){'' if self.bias is not None else ' without bias'}"
