"""Distance layers: Euclidean, WeightedEuclidean, Cosine (Torch7 doc/simple.md).

Each takes ``(inputSize,)`` or ``(batch, inputSize)`` and returns ``(outputSize,)`` or
``(batch, outputSize)``: one distance or similarity to each of ``outputSize`` learnt
templates.
"""
from .base.errors import check_hyper, input_error
from .base.module import Module
from .base.initialisation import uniform_reset
from ..tensor.introspection import typename as lua_typename


class _Templates(Module):
    """Input checks shared by the three layers: 1-D or 2-D, of ``inputSize`` features."""

    input_ranks = (1, 2)

    def _rows(self, input, inputSize):
        """The input as a 2-D array (a 1-D input is one row)."""
        self.checkInput(input)
        self.checkSameType(input, self.weight)
        if input.size(-1) != inputSize:
            raise input_error(self, f"{inputSize} input features", f"input of size {tuple(input.size())}")
        return input.array.reshape(-1, inputSize)

    def _out_sizes(self, input, outputSize):
        return (outputSize,) if input.dim() == 1 else (input.size(0), outputSize)

    def _grad_rows(self, input, gradOutput, outputSize):
        self.checkGradOutput(gradOutput, self.output)
        return gradOutput.array.reshape(-1, outputSize)

    def _scaled(self, input, gradOutput):
        """gradOutput / (y + 1e-7), shaped (batch, 1, out), for the distances y of Euclidean and
        WeightedEuclidean: Euclidean.lua:114 and WeightedEuclidean.lua:114 add 1e-7 to y "to prevent div by
        zero (NaN) bugs" (at y = 0 the difference it multiplies is zero, and so is the gradient)."""
        go = self._grad_rows(input, gradOutput, self.weight.size(1))
        return (go / (self.output.array.reshape(go.shape) + 1e-7))[:, None, :]


class Euclidean(_Templates):
    """y_j = || x - w_j ||, with templates the columns of ``weight`` ``(inputSize, outputSize)``.

    ``Euclidean(inputSize, outputSize)``. The gradients divide by y_j + 1e-7, as Torch7's (0 where y_j is 0).
    """

    def __init__(self, inputSize, outputSize):
        super().__init__()
        check_hyper('Euclidean', positive=dict(inputSize=inputSize, outputSize=outputSize))
        self.weight = self.output.new(inputSize, outputSize)
        self.gradWeight = self.output.new(inputSize, outputSize)
        self.reset()

    def reset(self, stdv=None):
        uniform_reset(stdv, self.weight.size(0), self.weight)
        return self

    def _diff(self, input):
        x = self._rows(input, self.weight.size(0))
        return x[:, :, None] - self.weight.array[None]           # (batch, in, out)

    def updateOutput(self, input):
        diff = self._diff(input)
        out = self.bufferLike('output', input, self._out_sizes(input, self.weight.size(1)))
        input.xp.sqrt((diff * diff).sum(axis=1).reshape(out.shape), out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        diff = self._diff(input)
        g = (diff * self._scaled(input, gradOutput)).sum(axis=2)
        gi = self.bufferLike('gradInput', input)
        gi[...] = g.reshape(gi.shape)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        diff = self._diff(input)
        self.gradWeight.array -= scale * (diff * self._scaled(input, gradOutput)).sum(axis=0)

    def __repr__(self):
        return f"{lua_typename(self)}({self.weight.size(0)} -> {self.weight.size(1)})"


class WeightedEuclidean(_Templates):
    """y_j = || c_j * (x - w_j) ||: a Euclidean distance with a learnt diagonal scaling per template.

    ``WeightedEuclidean(inputSize, outputSize)``; ``weight`` and ``diagCov`` are
    ``(inputSize, outputSize)`` (templates and scalings in columns); ``diagCov`` starts at 1.
    """

    def __init__(self, inputSize, outputSize):
        super().__init__()
        check_hyper('WeightedEuclidean', positive=dict(inputSize=inputSize, outputSize=outputSize))
        self.weight = self.output.new(inputSize, outputSize)
        self.gradWeight = self.output.new(inputSize, outputSize)
        self.diagCov = self.output.new(inputSize, outputSize)
        self.gradDiagCov = self.output.new(inputSize, outputSize)
        self.reset()

    def parameters(self):
        return [self.weight, self.diagCov], [self.gradWeight, self.gradDiagCov]

    def reset(self, stdv=None):
        uniform_reset(stdv, self.weight.size(0), self.weight)
        self.diagCov.fill(1)
        return self

    def _diff(self, input):
        x = self._rows(input, self.weight.size(0))
        self.checkSameType(input, self.diagCov)
        diff = x[:, :, None] - self.weight.array[None]
        return diff, diff * self.diagCov.array[None]              # (batch, in, out) twice

    def updateOutput(self, input):
        _, z = self._diff(input)
        out = self.bufferLike('output', input, self._out_sizes(input, self.weight.size(1)))
        input.xp.sqrt((z * z).sum(axis=1).reshape(out.shape), out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        _, z = self._diff(input)
        g = (z * self.diagCov.array[None] * self._scaled(input, gradOutput)).sum(axis=2)
        gi = self.bufferLike('gradInput', input)
        gi[...] = g.reshape(gi.shape)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        diff, z = self._diff(input)
        s = z * self._scaled(input, gradOutput)
        self.gradWeight.array -= scale * (s * self.diagCov.array[None]).sum(axis=0)
        self.gradDiagCov.array += scale * (s * diff).sum(axis=0)

    def accUpdatePairs(self):
        # WeightedEuclidean.lua's own accUpdateGradParameters steps diagCov with the weight (there is no bias)
        return ((self, 'gradWeight', 'weight'), (self, 'gradDiagCov', 'diagCov'))

    def __repr__(self):
        return f"{lua_typename(self)}({self.weight.size(0)} -> {self.weight.size(1)})"


class Cosine(_Templates):
    """y_j = (w_j . x) / (||w_j|| ||x||), with templates the rows of ``weight`` ``(outputSize, inputSize)``.

    ``Cosine(inputSize, outputSize)``; 1e-12 is added to each norm, as in Torch7.
    """

    EPS = 1e-12

    def __init__(self, inputSize, outputSize):
        super().__init__()
        check_hyper('Cosine', positive=dict(inputSize=inputSize, outputSize=outputSize))
        self.weight = self.output.new(outputSize, inputSize)
        self.gradWeight = self.output.new(outputSize, inputSize)
        self.reset()

    def reset(self, stdv=None):
        uniform_reset(stdv, self.weight.size(0), self.weight)
        return self

    def _parts(self, input):
        x = self._rows(input, self.weight.size(1))
        xp = input.xp
        w = self.weight.array
        xn = xp.sqrt((x * x).sum(axis=1, keepdims=True)) + self.EPS      # (batch, 1)
        wn = xp.sqrt((w * w).sum(axis=1)) + self.EPS                     # (out,)
        return x, w, xn, wn

    def updateOutput(self, input):
        x, w, xn, wn = self._parts(input)
        out = self.bufferLike('output', input, self._out_sizes(input, w.shape[0]))
        out[...] = ((x @ w.T) / xn / wn).reshape(out.shape)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, w, xn, wn = self._parts(input)
        go = self._grad_rows(input, gradOutput, w.shape[0])
        y = self.output.array.reshape(go.shape)
        # d y_j / d x = w_j / (|w_j| |x|) - y_j x / |x|^2, both norms with their epsilon as Cosine.lua's (the exact
        # derivative's |x| (|x| + eps) is 0 at a zero input, whose gradient would be 0/0)
        g = (go / wn) @ w / xn - (go * y).sum(axis=1, keepdims=True) * x / xn ** 2
        gi = self.bufferLike('gradInput', input)
        gi[...] = g.reshape(gi.shape)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x, w, xn, wn = self._parts(input)
        go = self._grad_rows(input, gradOutput, w.shape[0])
        y = self.output.array.reshape(go.shape)
        # the same rule for a template: y_j w_j / |w_j|^2 with the epsilon, finite at a zero row
        g = (go / xn).T @ x / wn[:, None] - (go * y).sum(axis=0)[:, None] * w / (wn ** 2)[:, None]
        self.gradWeight.array += scale * g

    def __repr__(self):
        return f"{lua_typename(self)}({self.weight.size(1)} -> {self.weight.size(0)})"
