"""Linear: y = x W^T + b."""
import math

from ..tensor.blas_kernels import addmm_into
from .errors import input_error
from .module import Module


class Linear(Module):
    """Affine map from ``inputSize`` to ``outputSize`` features.

    Input ``(inputSize,)`` or ``(batch, inputSize)``; output ``(outputSize,)`` or
    ``(batch, outputSize)``. ``weight`` is ``(outputSize, inputSize)``, ``bias``
    ``(outputSize,)``; ``Linear(n, m, bias=False)`` or ``noBias()`` drops the bias.
    """

    def __init__(self, inputSize, outputSize, bias=True):
        super().__init__()
        for name, v in (('inputSize', inputSize), ('outputSize', outputSize)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"Linear: {name} must be a positive integer, got {v!r}")
        self.weight = self.output.new(outputSize, inputSize)
        self.gradWeight = self.output.new(outputSize, inputSize)
        self.bias = self.output.new(outputSize) if bias else None
        self.gradBias = self.output.new(outputSize) if bias else None
        self.reset()

    def noBias(self):
        self.bias = None
        self.gradBias = None
        return self

    def reset(self, stdv=None):
        """Uniform in [-stdv, stdv], stdv = 1/sqrt(inputSize) by default (Torch7's rule)."""
        stdv = stdv * math.sqrt(3) if stdv is not None else 1.0 / math.sqrt(self.weight.size(1))
        self.weight.uniform(-stdv, stdv)
        if self.bias is not None:
            self.bias.uniform(-stdv, stdv)
        return self

    def _check(self, input):
        self.checkTensor(input, (1, 2))
        self.checkSameType(input, self.weight)
        if input.size(-1) != self.weight.size(1):
            raise input_error(self, f"{self.weight.size(1)} input features", f"{input.size(-1)} (input of size "
                              f"{tuple(input.size())})")

    def updateOutput(self, input):
        self._check(input)
        x = input.array
        xp = input.xp
        out = self.output.resize(*x.shape[:-1], self.weight.size(0)).array
        xp.matmul(x, self.weight.array.T, out=out)
        if self.bias is not None:
            out += self.bias.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._check(input)
        self.checkSameType(gradOutput, self.weight, 'gradOutput')
        if tuple(gradOutput.size()) != tuple(self.output.size()):
            raise input_error(self, f"gradOutput of size {tuple(self.output.size())}", tuple(gradOutput.size()))
        gi = self.gradInput.resizeAs(input).array
        input.xp.matmul(gradOutput.array, self.weight.array, out=gi)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self._check(input)
        go, x = gradOutput.array, input.array
        if x.ndim == 1:
            go, x = go[None, :], x[None, :]
        # gradWeight += scale * gradOutput^T input, accumulated by BLAS without a temporary
        addmm_into(self.gradWeight.array, go.T, x, scale, 1.0)
        if self.bias is not None:
            gb = go.sum(0)
            if scale != 1:
                gb *= scale
            self.gradBias.array += gb

    def __repr__(self):
        suffix = '' if self.bias is not None else ' without bias'
        return f"nn.Linear({self.weight.size(1)} -> {self.weight.size(0)}){suffix}"
