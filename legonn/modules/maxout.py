"""Maxout: the largest of several affine maps per output unit (Goodfellow et al., 2013)."""
from .base.errors import check_hyper, input_error
from .base.module import Module
from .base.initialisation import uniform_reset
from ..tensor.introspection import typename as lua_typename


class Maxout(Module):
    """y_j = max_g (x W_{g*outputSize + j}^T + b_{g*outputSize + j}) over g in [0, maxoutNumber).

    ``Maxout(inputSize, outputSize, maxoutNumber)``: Torch7's Linear(inputSize,
    outputSize * maxoutNumber) -> View(maxoutNumber, outputSize) -> Max over the
    groups, as one module. ``weight`` ``(outputSize * maxoutNumber, inputSize)``,
    ``bias`` ``(outputSize * maxoutNumber,)``. Input ``(inputSize,)`` or
    ``(batch, inputSize)``; output ``(outputSize,)`` or ``(batch, outputSize)``.
    """

    input_ranks = (1, 2)
    # Maxout.lua reads a fourth argument, a module run on the (maxoutNumber, outputSize) pieces before the max
    unread_arguments_note = ("Torch7's Maxout takes a fourth argument, preprocess, which legonn's fused Maxout "
                             "lacks: build nn.Sequential():add(nn.Linear(inputSize, outputSize * maxoutNumber))"
                             ":add(nn.View(maxoutNumber, outputSize):setNumInputDims(1)):add(preprocess)"
                             ":add(nn.Max(0, 2)), Maxout.lua's own modules")

    def __init__(self, inputSize, outputSize, maxoutNumber):
        super().__init__()
        check_hyper('Maxout', positive=dict(inputSize=inputSize, outputSize=outputSize, maxoutNumber=maxoutNumber))
        self.outputSize, self.maxoutNumber = outputSize, maxoutNumber
        self.weight = self.output.new(outputSize * maxoutNumber, inputSize)
        self.gradWeight = self.output.new(outputSize * maxoutNumber, inputSize)
        self.bias = self.output.new(outputSize * maxoutNumber)
        self.gradBias = self.output.new(outputSize * maxoutNumber)
        self.reset()

    def reset(self, stdv=None):
        uniform_reset(stdv, self.weight.size(1), self.weight, self.bias)
        return self

    def _check(self, input):
        self.checkInput(input)
        self.checkSameType(input, self.weight)
        if input.size(-1) != self.weight.size(1):
            raise input_error(self, f"{self.weight.size(1)} input features", f"input of size {tuple(input.size())}")
        return input.array.reshape(-1, self.weight.size(1))

    def _out_sizes(self, input):
        return tuple(input.size())[:-1] + (self.outputSize,)

    def _winners(self, x, xp):
        """Pre-activations (batch, groups, outputSize) and the winning group of each output."""
        z = (x @ self.weight.array.T + self.bias.array).reshape(x.shape[0], self.maxoutNumber, self.outputSize)
        return z, z.argmax(axis=1)

    def _grad_z(self, input, gradOutput):
        x = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        xp = input.xp
        _, win = self._winners(x, xp)
        won = xp.arange(self.maxoutNumber)[None, :, None] == win[:, None, :]
        # nn.Max's backward scatters gradOutput to the winners (a select): losers get exactly 0 even for inf
        gz = xp.where(won, gradOutput.array.reshape(x.shape[0], 1, self.outputSize), 0)
        return x, gz.reshape(x.shape[0], -1)

    def updateOutput(self, input):
        x = self._check(input)
        z, _ = self._winners(x, input.xp)
        out = self.bufferLike('output', input, self._out_sizes(input))
        out[...] = z.max(axis=1).reshape(out.shape)
        return self.output

    def updateGradInput(self, input, gradOutput):
        _, gz = self._grad_z(input, gradOutput)
        gi = self.bufferLike('gradInput', input)
        gi[...] = (gz @ self.weight.array).reshape(gi.shape)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x, gz = self._grad_z(input, gradOutput)
        self.gradWeight.array += scale * (gz.T @ x)
        self.gradBias.array += scale * gz.sum(axis=0)

    def __repr__(self):
        return f"{lua_typename(self)}({self.weight.size(1)} -> {self.outputSize} x {self.maxoutNumber})"
