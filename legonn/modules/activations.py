"""Element-wise activations: Tanh, Sigmoid, Threshold, ReLU, HardTanh.

Each takes a tensor of any shape and returns one of the same shape and type.
The in-place variants (Torch7's ``ip``/``inplace`` flag) overwrite the input
with the output and the gradOutput with the gradInput, saving two buffers.
"""
from ..tensor import parallel
from ..tensor.pointwise import sigmoid_into
from .base.module import Module


def _check_number(owner, name, x):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"{owner}: {name} must be a number, got {x!r}")


def _check_flag(owner, flag):
    if not isinstance(flag, bool):
        raise ValueError(f"{owner}: the in-place flag must be a bool, got {flag!r}")


class Tanh(Module):
    """y = tanh(x); dy/dx = 1 - y^2."""

    def updateOutput(self, input):
        self.checkTensor(input)
        input.xp.tanh(input.array, out=self.bufferLike('output', input))
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkGradOutput(gradOutput, self.output)
        xp, y = input.xp, self.output.array
        gi = self.bufferLike('gradInput', input)
        xp.multiply(y, y, out=gi)
        xp.subtract(1, gi, out=gi)
        gi *= gradOutput.array
        return self.gradInput


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x)); dy/dx = y (1 - y)."""

    def updateOutput(self, input):
        self.checkTensor(input)
        sigmoid_into(input.xp, input.array, self.bufferLike('output', input))  # overflow-free for large |x|
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkGradOutput(gradOutput, self.output)
        xp, y = input.xp, self.output.array
        gi = self.bufferLike('gradInput', input)
        xp.subtract(1, y, out=gi)
        gi *= y
        gi *= gradOutput.array
        return self.gradInput


class _PassMask(Module):
    """Shared by Threshold and HardTanh: the in-place switch and the backward
    gradInput = gradOutput * mask, where the subclass's ``_mask(xp, x, out)`` writes 1 where the
    input passed through and 0 where the output is constant."""

    def _outputArray(self, input):
        """Where to write: the input itself in place (``output`` becomes the input), else the buffer."""
        if self.inplace:
            self.output = input
            return input.array
        return self.bufferLike('output', input)

    def updateGradInput(self, input, gradOutput):
        self.checkGradOutput(gradOutput, input)
        xp = input.xp
        mask = self.bufferLike('_passed', input, kind='Byte')
        if self.inplace:
            self.gradInput = gradOutput
            gi = gradOutput.array
        else:
            gi = self.bufferLike('gradInput', input)

        def backward(x, passed, go, grad_in):
            # in place the input now holds the output, which gives the same mask (see the subclasses)
            self._mask(xp, x, passed)
            xp.multiply(go, passed, out=grad_in)

        parallel.map_parts(backward, input.array, mask, gradOutput.array, gi)
        return self.gradInput

    def clearState(self, *names):
        return super().clearState('_passed', *names)


class Threshold(_PassMask):
    """y = x where x > th, else v; gradient 1 where x > th, else 0.

    ``Threshold(th=1e-6, v=0, ip=False)`` as in Torch7. In place needs ``v <= th`` so
    that the overwritten input still tells which elements passed.
    """

    def __init__(self, th=1e-6, v=0, ip=False):
        super().__init__()
        name = type(self).__name__
        _check_number(name, 'th', th)
        _check_number(name, 'v', v)
        _check_flag(name, ip)
        if ip and v > th:
            raise ValueError(f"{name}: in-place processing needs value ({v}) <= threshold ({th})")
        self.threshold = th
        self.val = v
        self.inplace = ip

    def updateOutput(self, input):
        self.checkTensor(input)
        xp, x = input.xp, input.array
        out = self._outputArray(input)
        if self.val == self.threshold:
            # ReLU's case in one pass: max(x, th) is x above th and th (== v) elsewhere
            parallel.map_parts(lambda a, b: xp.maximum(a, self.threshold, out=b), x, out)
        else:
            below = self.bufferLike('_passed', input, kind='Byte')
            xp.less_equal(x, self.threshold, out=below)
            if out is not x:
                xp.copyto(out, x)
            xp.copyto(out, self.val, where=below.view(bool), casting='unsafe')
        return self.output

    def _mask(self, xp, x, out):
        xp.greater(x, self.threshold, out=out)


class ReLU(Threshold):
    """y = max(0, x); ``ReLU(ip=False)`` is ``Threshold(0, 0, ip)``."""

    def __init__(self, ip=False):
        super().__init__(0, 0, ip)


class HardTanh(_PassMask):
    """y = min(max(x, min_value), max_value); gradient 1 strictly inside (min_value, max_value), else 0.

    ``HardTanh(min_value=-1, max_value=1, inplace=False)`` as in Torch7.
    """

    def __init__(self, min_value=-1, max_value=1, inplace=False):
        super().__init__()
        name = type(self).__name__
        _check_number(name, 'min_value', min_value)
        _check_number(name, 'max_value', max_value)
        _check_flag(name, inplace)
        if not max_value > min_value:
            raise ValueError(f"{name}: max_value ({max_value}) must be larger than min_value ({min_value})")
        self.min_val = min_value
        self.max_val = max_value
        self.inplace = inplace

    def updateOutput(self, input):
        self.checkTensor(input)
        input.xp.clip(input.array, self.min_val, self.max_val, out=self._outputArray(input))
        return self.output

    def _mask(self, xp, x, out):
        # clipped values sit on the bounds, so the test gives the same mask in place
        xp.greater(x, self.min_val, out=out)
        out &= x < self.max_val
