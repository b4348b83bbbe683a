"""_Elementwise: the shared body of parameter-free pointwise modules.

A subclass writes ``_forward(x, out, xp)`` (fill ``out`` with f(x)) and
``_backward(x, y, gradOutput, gradInput, xp)`` (fill ``gradInput``); the base
checks the input, reuses the ``output``/``gradInput`` buffers and handles
Torch7's in-place variants. In place, ``x`` is ``y`` (the input was
overwritten by the output), so in-place subclasses compute their gradient
from ``y`` alone, as the Lua/C code does.
"""
from .errors import input_error
from .module import Module


def check_float_tensor(module, x, what='input'):
    """Raise a path-naming TypeError unless ``x`` is a floating-point tensor."""
    if not hasattr(x, 'dim'):
        raise input_error(module, f"a floating-point tensor {what}", type(x).__name__, TypeError)
    if x.dtype.kind != 'f':
        raise input_error(module, f"a floating-point tensor {what}", x.type(), TypeError)
    return x


def alias(module, name, tensor):
    """Make ``module.<name>`` a view of ``tensor`` (Torch7's ``self.output:set(input)``)."""
    buf = module.__dict__.get(name)
    if type(buf) is not type(tensor):
        buf = tensor.new()
        module.__dict__[name] = buf
    buf.set(tensor)
    return buf


class _Elementwise(Module):
    """y = f(x) element by element; any input shape, output of the input's shape."""

    inplace = False

    def _forward(self, x, out, xp):
        raise NotImplementedError

    def _backward(self, x, y, gradOutput, gradInput, xp):
        raise NotImplementedError

    def updateOutput(self, input):
        check_float_tensor(self, input)
        if self.inplace:
            out = input.array
            self._forward(out, out, input.xp)
            alias(self, 'output', input)
        else:
            self._forward(input.array, self.bufferLike('output', input), input.xp)
        return self.output

    def updateGradInput(self, input, gradOutput):
        check_float_tensor(self, input)
        self.checkGradOutput(gradOutput, input)
        if self.inplace:
            # Torch7 writes the gradient over gradOutput and hands that back
            gi = gradOutput.array
            self._backward(input.array, self.output.array, gi, gi, input.xp)
            alias(self, 'gradInput', gradOutput)
        else:
            self._backward(input.array, self.output.array, gradOutput.array,
                           self.bufferLike('gradInput', input), input.xp)
        return self.gradInput
