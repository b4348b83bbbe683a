"""FeatureLPPooling: Lp pooling across the feature dimension (Torch7's nn.FeatureLPPooling)."""
import numbers

from .base.errors import input_error
from .base.module import Module
from ..tensor.introspection import typename as lua_typename


class FeatureLPPooling(Module):
    """y[o] = (sum_{i < width} x[o * stride + i] ^ power) ^ (1 / power) along the feature dimension.

    ``FeatureLPPooling(width, stride, power, batch_mode=False)``; width in [2, 16], stride in
    [1, 4] (Torch7's limits). Without batch mode the input is ``(features,)``,
    ``(features, d1)`` or ``(features, d1, d2)``; with it a leading batch dimension comes
    first (2-D to 4-D). The feature dimension shrinks to ``(features - width) // stride + 1``,
    the other dimensions are kept. As in Torch7 the input is not made absolute: a
    non-integer power of a negative value is NaN. The gradient of an output that is 0 is 0.
    """

    def __init__(self, width, stride, power, batch_mode=False):
        super().__init__()
        for name, v, lo, hi in (('width', width, 2, 16), ('stride', stride, 1, 4)):
            if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
                raise ValueError(f"FeatureLPPooling: {name} must be an integer in [{lo}, {hi}], got {v!r}")
        if not isinstance(power, numbers.Real) or isinstance(power, bool) or not 0 < power < float('inf'):
            raise ValueError(f"FeatureLPPooling: power must be a positive number, got {power!r}")
        if not isinstance(batch_mode, bool):
            raise ValueError(f"FeatureLPPooling: batch_mode must be a boolean, got {batch_mode!r}")
        self.width, self.stride, self.power, self.batch_mode = width, stride, power, batch_mode

    def _geometry(self, input):
        """(feature axis, number of output features) after checking the input."""
        self.checkTensor(input, (2, 3, 4) if self.batch_mode else (1, 2, 3))
        if input.dtype.kind != 'f':
            raise input_error(self, "a floating-point input", input.type(), TypeError)
        axis = 1 if self.batch_mode else 0
        n = input.size(axis)
        if n < self.width:
            raise input_error(self, f"at least width={self.width} features along dimension {axis}",
                              f"{n} (input of size {tuple(input.size())})")
        return axis, (n - self.width) // self.stride + 1

    def _window(self, array, axis, i, n_out):
        """The view of ``array`` holding element ``i`` of every pooling window."""
        index = [slice(None)] * array.ndim
        index[axis] = slice(i, i + self.stride * (n_out - 1) + 1, self.stride)
        return array[tuple(index)]

    def updateOutput(self, input):
        axis, n_out = self._geometry(input)
        sizes = list(input.size())
        sizes[axis] = n_out
        out = self.bufferLike('output', input, sizes)
        x, p = input.array, self.power
        out[...] = 0
        for i in range(self.width):
            out += self._window(x, axis, i, n_out) ** p
        input.xp.power(out, 1.0 / p, out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        axis, n_out = self._geometry(input)
        self.checkGradOutput(gradOutput, self.output)
        if self.output.size(axis) != n_out or self.output.dim() != input.dim():
            raise input_error(self, "the input of the last forward call",
                              f"an input of size {tuple(input.size())} that gives another output size")
        xp = input.xp
        y, go = self.output.array, gradOutput.array
        nonzero = y != 0
        # d y / d x_i = (x_i / y) ^ (power - 1); outputs that are 0 pass no gradient (Torch7's rule)
        safe_y = xp.where(nonzero, y, 1)
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        for i in range(self.width):
            ratio = self._window(input.array, axis, i, n_out) / safe_y
            self._window(gi, axis, i, n_out)[...] += xp.where(nonzero, go * ratio ** (self.power - 1), 0)
        return self.gradInput

    def __repr__(self):
        return (f"{lua_typename(self)}(w{self.width} s{self.stride} power {self.power:g} "
                f"batch {int(self.batch_mode)})")
