"""Convert: change a tensor's axis layout, named by letters ('bchw' -> 'bhwc', 'bchw' -> 'bf', ...)."""
from ..modules.base.errors import input_error
from ..modules.shape import Collapse, Select, Transpose, Unsqueeze
from ..modules.base.table_buffers import view_buffer
from .container import Container
from .sequential import Sequential
from ..tensor.introspection import typename as lua_typename


class Convert(Container):
    """Convert between axis layouts given as strings of letters, ``b`` the batch axis.

    Same letters in another order transpose ('bchw' -> 'bhwc'); 'bf' flattens every non-batch
    axis into features; 'b' selects the only feature / first time step of 'bf', 'fb', 'bt' or 'tb';
    'bt' adds a time axis to 'b'; 'b*' (the default) passes anything through. A shape without 'b'
    gets one in front. Inputs with one dimension fewer than the input shape are single samples. An input
    of another tensor type or device is first copied into the module's type, and gradInput has that type.
    The converter (built on first use) is the container's child.
    """
    input_dtypes = 'any'  # converts between types and devices
    any_device = True

    def __init__(self, inputShape='b*', outputShape=None):
        super().__init__()
        outputShape = outputShape or inputShape
        self.inputShape = inputShape if 'b' in inputShape else 'b' + inputShape
        self.outputShape = outputShape if 'b' in outputShape else 'b' + outputShape
        self.inputBatchDim = self.inputShape.index('b')
        self.outputBatchDim = self.outputShape.index('b')
        if '*' in self.inputShape + self.outputShape:
            if self.inputShape != 'b*' or self.outputShape != 'b*':
                raise ValueError(f"Convert: both or neither shapes must be 'b*', got {inputShape!r}, {outputShape!r}")
            self.nInputDim = self.nOutputDim = -1
            self.transposition = True
        else:
            self.nInputDim, self.nOutputDim = len(self.inputShape), len(self.outputShape)
            self.transposition = sorted(self.inputShape) == sorted(self.outputShape)
            if not self.transposition and self.outputShape not in ('bf', 'b', 'bt'):
                raise ValueError(f"Convert: unrecognised conversion of shape {self.inputShape} to {self.outputShape}")
            if self.outputShape == 'b' and self.inputShape not in ('bt', 'tb', 'bf', 'fb'):
                raise ValueError(f"Convert: cannot convert shape {self.inputShape} to shape b")
            if self.outputShape == 'bt' and self.inputShape != 'b':
                raise ValueError(f"Convert: cannot convert shape {self.inputShape} to bt")
            if self.outputShape == 'bf' and self.inputShape == 'bt':
                raise ValueError("Convert: conversion of shape bt to bf is not supported")

    def _swaps(self):
        current, pairs = list(self.inputShape), []
        for i, letter in enumerate(self.outputShape):
            j = current.index(letter)
            if i != j:
                current[i], current[j] = current[j], current[i]
                pairs.append((j, i))
        return pairs

    def _build(self, input):
        shape = self.inputShape
        if self.transposition:
            pairs = [] if shape == 'b*' else self._swaps()
            return Transpose(*pairs) if pairs else Sequential()
        if self.outputShape == 'bf':
            steps = []
            if len(shape) == 1:
                steps.append(Unsqueeze(1))
            if shape.index('b') != 0:
                steps.append(Transpose((0, shape.index('b'))))
            if len(shape) > 2:
                steps.append(Collapse(1))
            converter = Sequential()
            for s in steps:
                converter.add(s)
            return converter
        if self.outputShape == 'b':
            axis = shape.index('t' if 't' in shape else 'f')
            if 'f' in shape and input.size(axis) > 1:
                raise input_error(self, f"one feature to convert {shape} to b", f"{input.size(axis)} features")
            return Select(axis, 0)
        return Unsqueeze(1)

    def _batched(self, input):
        self.checkTensor(input)
        if input.type() != self._type:
            # Convert.lua copies an input of another type into its own: nn.Convert() alone is dp's type
            # converter (a LongTensor of labels or a CPU batch into a CUDA criterion or model)
            input = input.type(self._type)
        if input.dim() < self.nInputDim:
            return input.unsqueeze(self.inputBatchDim), False
        return input, True

    def updateOutput(self, input):
        x, batch = self._batched(input)
        if not self.modules:
            self.add(self._build(x).type(self.output.type()))
        out = self.run_child(0, 'updateOutput', x)
        if not batch:
            out = out._squeezed(self.outputBatchDim)
        return view_buffer(self, 'output', out)

    def _grad_out(self, gradOutput, batch):
        self.checkSize(gradOutput, self.output.size())
        return gradOutput if batch else gradOutput.unsqueeze(self.outputBatchDim)

    def updateGradInput(self, input, gradOutput):
        x, batch = self._batched(input)
        grad = self.run_child(0, 'updateGradInput', x, self._grad_out(gradOutput, batch))
        return view_buffer(self, 'gradInput', grad if batch else grad.contiguous().view(*input.size()))

    def accGradParameters(self, input, gradOutput, scale=1):
        x, batch = self._batched(input)
        self.run_child(0, 'accGradParameters', x, self._grad_out(gradOutput, batch), scale)

    def __repr__(self):
        return f'{lua_typename(self)}({self.inputShape} -> {self.outputShape})'
