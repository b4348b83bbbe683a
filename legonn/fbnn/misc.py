"""fbnn's small modules: Constant (fbnn/Constant.lua) and LeakyReLU (fbnn/LeakyReLU.lua)."""
import numbers

from .. import nn
from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..tensor import Tensor
from .base import FbnnClass


class Constant(FbnnClass, Module):
    """Outputs ``value`` repeated over the input's first dimension (taken as the batch): ``(N,) + value``'s
    size, whatever the input holds; gradInput is zero.

    ``Constant(value)``: a number (a 1-element tensor, so the output is ``(N, 1)``) or a tensor.
    """

    reads_grad_output = False  # backward never reads gradOutput

    lua_name = 'fbnn'
    input_dtypes = 'any'

    def __init__(self, value):
        super().__init__()
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            value = self.output.new([float(value)])
        if not isinstance(value, Tensor):
            raise TypeError(f"{self.lua_name}.Constant: value must be a number or a tensor, got {type(value).__name__}")
        self.value = value

    def updateOutput(self, input):
        self.checkTensor(input)
        if input.dim() == 0:
            raise input_error(self, "an input with a first (batch) dimension", "a 0-D tensor")
        sizes = (input.size(0),) + tuple(self.value.size())
        out = self.bufferLike('output', self.value, sizes)
        out[...] = self.value.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkTensor(input)
        self.bufferLike('gradInput', input)[...] = 0
        return self.gradInput

    def __repr__(self):
        return 'fbnn.Constant'


class LeakyReLU(FbnnClass, nn.PReLU):
    """y = x for x > 0, p * x otherwise, with a fixed slope ``p``: nn.PReLU whose one weight is ``p`` and
    never learns (accGradParameters, zeroGradParameters and updateParameters do nothing; gradWeight stays 0).

    ``LeakyReLU(p)``; any input shape. (nn.LeakyReLU(negval, inplace) is torch/nn's, a separate class.)
    """

    lua_name = 'fbnn'

    def __init__(self, p):
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"{self.lua_name}.LeakyReLU: p must be a number, got {type(p).__name__}")
        super().__init__()
        self.weight.fill(p)
        self.gradWeight.fill(0)

    def reset(self, stdv=None):
        return self

    def accGradParameters(self, input, gradOutput, scale=1):
        pass

    def zeroGradParameters(self):
        pass

    def updateParameters(self, learningRate):
        pass

    def __repr__(self):
        return f"{self.lua_name}.LeakyReLU({float(self.weight[0]):g})"
