"""fbnn's spatial modules: Upsample (fbnn/Upsample.lua) and CrossMapNormalization (fbnn/CrossMapNormalization.lua,
src/CrossMapNormalization.cpp)."""
import numbers

from ..modules.base.errors import check_hyper
from ..modules.base.module import Module


class Upsample(Module):
    """Nearest-neighbour up-sampling by an integer ``factor``: ``(C, H, W)`` -> ``(C, H * f, W * f)`` (or
    batched, ``(N, C, H, W)``), output pixel ``(y, x)`` = input pixel ``(y // f, x // f)``; gradInput sums
    each input pixel's ``f x f`` gradOutput block.

    ``Upsample(factor)``, a whole number >= 1 (Lua numbers: 2.0 is accepted).
    """

    lua_package = 'fbnn'
    input_ranks = (3, 4)

    def __init__(self, factor):
        super().__init__()
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or factor != int(factor) \
                or factor < 1:
            raise ValueError(f"fbnn.Upsample: factor must be a whole number >= 1, got {factor!r}")
        self.factor = int(factor)

    def _shapes(self, input):
        """(input as (lead, H, 1, W, 1), output sizes, output as (lead, H, f, W, f))."""
        self.checkInput(input)
        f, sizes = self.factor, tuple(input.size())
        lead, (h, w) = sizes[:-2], sizes[-2:]
        return lead + (h, 1, w, 1), lead + (h * f, w * f), lead + (h, f, w, f)

    def updateOutput(self, input):
        small, out_sizes, big = self._shapes(input)
        self.bufferLike('output', input, out_sizes).reshape(big)[...] = input.array.reshape(small)
        return self.output

    def updateGradInput(self, input, gradOutput):
        small, out_sizes, big = self._shapes(input)
        self.checkSize(gradOutput, out_sizes)
        self.checkSameType(gradOutput, input, 'gradOutput')
        gi = self.bufferLike('gradInput', input)
        gi.reshape(small)[...] = gradOutput.array.reshape(big).sum(axis=(-3, -1), keepdims=True)
        return self.gradInput

    def __repr__(self):
        return f"fbnn.Upsample(factor {self.factor})"


def _channel_window_sums(xp, a, size):
    """For (..., C, H, W) ``a``: each channel's sum over channels c - size // 2 .. c + size // 2 (zero beyond
    the ends), the C++'s running ``convolve``."""
    half = size // 2
    c = a.shape[-3]
    pad = [(0, 0)] * a.ndim
    pad[-3] = (half + 1, half)
    run = xp.cumsum(xp.pad(a, pad), axis=-3)
    hi = [slice(None)] * a.ndim
    lo = [slice(None)] * a.ndim
    hi[-3], lo[-3] = slice(size, size + c), slice(0, c)
    return run[tuple(hi)] - run[tuple(lo)]


class CrossMapNormalization(Module):
    """Local response normalisation across feature maps (cuda-convnet's): ``y_c = x_c / (1 + scale / size *
    sum_{c'} x_{c'}^2)^power`` over the ``size`` channels centred on c (zero-padded), each pixel apart.

    ``CrossMapNormalization(size, scale, power)``, ``size`` odd; input ``(C, H, W)`` or ``(N, C, H, W)``.
    """

    lua_package = 'fbnn'
    input_ranks = (3, 4)

    def __init__(self, size, scale, power):
        super().__init__()
        check_hyper('fbnn.CrossMapNormalization', positive=dict(size=size))
        if size % 2 == 0:
            raise ValueError(f"fbnn.CrossMapNormalization: kernel size must be odd, got {size}")
        for name, value in (('scale', scale), ('power', power)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"fbnn.CrossMapNormalization: {name} must be a number, got {value!r}")
        self.size, self.scale, self.power = size, scale, power

    def _denominator(self, input):
        self.checkInput(input)
        x = input.array
        return 1 + (self.scale / self.size) * _channel_window_sums(input.xp, x * x, self.size)

    def updateOutput(self, input):
        d = self._denominator(input)
        self.bufferLike('output', input)[...] = input.array * d ** -self.power
        return self.output

    def updateGradInput(self, input, gradOutput):
        d = self._denominator(input)
        self.checkGradOutput(gradOutput, input)
        x = input.array
        s = gradOutput.array * d ** -self.power
        t = (-2 * self.scale / self.size * self.power) * x * s / d
        self.bufferLike('gradInput', input)[...] = x * _channel_window_sums(input.xp, t, self.size) + s
        return self.gradInput

    def __repr__(self):
        return f"fbnn.CrossMapNormalization({self.size}, {self.scale:g}, {self.power:g})"
