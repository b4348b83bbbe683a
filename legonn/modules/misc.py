"""Small utility layers: one-hot encoding, gradient tricks (reversal, L1 penalty,
zeroing), constants, training noise and a size printer."""
import numbers

import numpy as np

from ..tensor import Tensor, as_tensor
from ..tensor.storage import LongStorage
from ..tensor.backend import to_module
from ..tensor.scatter_kernels import out_of_range
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_number, input_error
from .base.module import Module
from .base.table_buffers import describe, view_buffer, zero_mirror


class OneHot(Module):
    """0-based class indices (any type; fractions truncate) of size S -> one-hot rows of size
    S x outputSize (the module's type). A number is one index (a row of outputSize); a CUDA module
    takes host indices too, copied to its device as OneHot.lua does.

    The input is not differentiable: gradInput is zeros of the input's size, of the module's type
    (OneHot.lua's ``self.gradInput``).
    """

    reads_grad_output = False  # backward never reads gradOutput
    input_dtypes = 'any'  # integer indices are part of its input
    any_device = True     # host indices serve a CUDA module (OneHot.lua copies them); updateOutput refuses the reverse
    positive_ints = ('outputSize',)

    def __init__(self, outputSize):
        super().__init__()
        self.checkHyper(outputSize=outputSize)
        self.outputSize = outputSize

    def forward(self, input):
        # OneHot.lua takes a number as one index of no dimension (its output has the size {outputSize}): a 0-d
        # index tensor, where forward would make a number a 1-element vector
        if isinstance(input, numbers.Real) and not isinstance(input, bool):
            input = as_tensor(np.asarray(input))
        return super().forward(input)

    def updateOutput(self, input):
        self.checkTensor(input)
        if input.is_cuda and not self.output.is_cuda:
            raise input_error(self, f"input on the module's device ({self.output.type()})", input.type(), TypeError)
        xp = self.output.xp
        # like Torch7's copy into a LongTensor (a CudaTensor for a CUDA module), fractional indices truncate
        idx = to_module(input.array.astype('int64'), xp)
        bad = out_of_range(idx, self.outputSize)
        if bad:
            raise input_error(self, f"class indices in [0, {self.outputSize - 1}]",
                              f"indices from {bad[0]} to {bad[1]}", IndexError)
        out = self.output.resize(*input.size(), self.outputSize)
        hot = xp.arange(self.outputSize) == idx[..., None]
        out.array[...] = hot
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkTensor(input)
        self.bufferLike('gradInput', self.output, input.size())[...] = 0
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.outputSize})'


class GradientReversal(Module):
    """Identity forward (a view); backward multiplies the gradient by ``-lambda``."""

    def __init__(self, lambda_=1):
        super().__init__()
        self.setLambda(lambda_)

    def setLambda(self, lambda_):
        self.lambda_ = check_number('GradientReversal', 'lambda', lambda_)
        return self

    def updateOutput(self, input):
        self.checkTensor(input)
        return view_buffer(self, 'output', input)

    def updateGradInput(self, input, gradOutput):
        self.checkGradOutput(gradOutput, input)
        input.xp.multiply(gradOutput.array, -self.lambda_, out=self.bufferLike('gradInput', gradOutput))
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.lambda_})'


class L1Penalty(Module):
    """Identity forward that records ``loss = l1weight * |input|_1`` (divided by the element count with
    ``sizeAverage``) and adds its gradient ``l1weight * sign(input)`` on the way back (plus gradOutput when
    ``provideOutput``)."""

    def __init__(self, l1weight, sizeAverage=False, provideOutput=True):
        super().__init__()
        self.l1weight = check_number('L1Penalty', 'l1weight', l1weight)
        self.sizeAverage, self.provideOutput = sizeAverage, provideOutput
        self.loss = 0.0

    def _weight(self, input):
        return self.l1weight / input.nElement() if self.sizeAverage else self.l1weight

    def updateOutput(self, input):
        self.checkTensor(input)
        self.loss = float(self._weight(input) * input.xp.abs(input.array).sum())
        return view_buffer(self, 'output', input)

    def updateGradInput(self, input, gradOutput):
        self.checkTensor(input)
        if self.provideOutput:
            self.checkGradOutput(gradOutput, input)
        gi = self.bufferLike('gradInput', input)
        input.xp.sign(input.array, out=gi)
        gi *= self._weight(input)
        if self.provideOutput:
            gi += gradOutput.array
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)}({self.l1weight})'


class ZeroGrad(Module):
    """Identity forward (a view); the gradient it passes back is zero (tensor or table input)."""

    reads_grad_output = False  # backward never reads gradOutput

    def updateOutput(self, input):
        if isinstance(input, list):
            self.output = input
            return self.output
        return view_buffer(self, 'output', input)

    def updateGradInput(self, input, gradOutput):
        self.gradInput = zero_mirror(self.gradInput, input)
        return self.gradInput


class Constant(Module):
    """Output a constant ``value`` (a number or tensor) whatever the input; with ``nInputDim``, an input of
    more dimensions is a batch and the constant is repeated along its first dimension. gradInput is zeros."""

    reads_grad_output = False  # backward never reads gradOutput

    def __init__(self, value, nInputDim=None):
        super().__init__()
        self.value = as_tensor(value).type(self.output.type()).clone()
        self.nInputDim = nInputDim

    def updateOutput(self, input):
        self.checkTensor(input)
        value = self.value
        if self.nInputDim is not None and input.dim() > self.nInputDim:
            sizes = (input.size(0),) + tuple(value.size())
            self.output.resize(*sizes).array[...] = value.array[None]
        else:
            self.output.resize(*value.size()).array[...] = value.array
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkTensor(input)
        self.bufferLike('gradInput', input)[...] = 0
        return self.gradInput


class WhiteNoise(Module):
    """Training: output = input + N(mean, std^2) noise; evaluation: output = input + mean.

    The gradient is only defined while training (identity).
    """

    def __init__(self, mean=0, std=0.1):
        super().__init__()
        if std < 0:
            raise ValueError(f"WhiteNoise: std must be >= 0, got {std!r}")
        self.mean, self.std = mean, std

    def updateOutput(self, input):
        self.checkTensor(input)
        out = self.bufferLike('output', input)
        if self.train:
            noise = self.bufferLike('noise', input)
            if self.std > 0:
                self.noise.normal(self.mean, self.std)
            else:
                noise.fill(self.mean)
            input.xp.add(input.array, noise, out=out)
        else:
            input.xp.add(input.array, self.mean, out=out)
        return self.output

    def clearState(self):
        return super().clearState('noise')

    def updateGradInput(self, input, gradOutput):
        self.checkTraining()
        self.checkSize(gradOutput, input.size())
        self.bufferLike('gradInput', gradOutput)[...] = gradOutput.array
        return self.gradInput

    def __repr__(self):
        return f'{lua_typename(self)} mean: {self.mean:f}, std: {self.std:f}'


class PrintSize(Module):
    """Identity (tensor or table) that prints the input's size forward and gradOutput's size backward, as
    PrintSize.lua's ``print(prefix..":input\n", size)``: the prefix line, then a tab and the size as a LongStorage
    prints (a table described by its entries)."""
    input_dtypes = 'any'  # moves values without arithmetic, so any element type

    def __init__(self, prefix='PrintSize'):
        super().__init__()
        self.prefix = prefix

    @staticmethod
    def _size(value):
        return repr(LongStorage(list(value.size()))) if isinstance(value, Tensor) else describe(value)

    def updateOutput(self, input):
        print(f"{self.prefix}:input\n", self._size(input), sep='\t')
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkGradTree(gradOutput, input)
        print(f"{self.prefix}:gradOutput\n", self._size(gradOutput), sep='\t')
        self.gradInput = gradOutput
        return self.gradInput
