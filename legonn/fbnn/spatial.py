"""fbnn's spatial modules: Upsample (fbnn/Upsample.lua), CrossMapNormalization (fbnn/CrossMapNormalization.lua,
src/CrossMapNormalization.cpp) and LocallyConnected (fbnn/LocallyConnected.lua, src/LocallyConnected.cpp)."""
import numbers

from ..modules.base.errors import check_hyper, input_error
from ..modules.base.initialisation import uniform_reset
from ..modules.base.module import Module
from ..tensor.indexing import is_whole
from ..tensor.interpolation_kernels import repeat_pixels, sum_pixel_blocks
from ..tensor.window_kernels import scatter_windows, sliding_windows
from .base import FbnnClass


class Upsample(FbnnClass, Module):
    """Nearest-neighbour up-sampling by an integer ``factor``: ``(C, H, W)`` -> ``(C, H * f, W * f)`` (or
    batched, ``(N, C, H, W)``), output pixel ``(y, x)`` = input pixel ``(y // f, x // f)``; gradInput sums
    each input pixel's ``f x f`` gradOutput block.

    ``Upsample(factor)``, a whole number >= 1 (Lua numbers: 2.0 is accepted).
    """

    input_ranks = (3, 4)

    def __init__(self, factor):
        super().__init__()
        if not is_whole(factor) or factor < 1:
            raise ValueError(f"{self.lua_name}.Upsample: factor must be a whole number >= 1, got {factor!r}")
        self.factor = int(factor)

    def _output_sizes(self, input):
        self.checkInput(input)
        sizes = tuple(input.size())
        return sizes[:-2] + tuple(n * self.factor for n in sizes[-2:])

    def updateOutput(self, input):
        repeat_pixels(input.array, self.factor, self.bufferLike('output', input, self._output_sizes(input)))
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkSize(gradOutput, self._output_sizes(input))
        self.checkSameType(gradOutput, input, 'gradOutput')
        sum_pixel_blocks(gradOutput.array, self.factor, self.bufferLike('gradInput', input))
        return self.gradInput

    def __repr__(self):
        return f"{self.lua_name}.Upsample(factor {self.factor})"


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


class CrossMapNormalization(FbnnClass, Module):
    """Local response normalisation across feature maps (cuda-convnet's): ``y_c = x_c / (1 + scale / size *
    sum_{c'} x_{c'}^2)^power`` over the ``size`` channels centred on c (zero-padded), each pixel apart.

    ``CrossMapNormalization(size, scale, power)``, ``size`` odd; input ``(C, H, W)`` or ``(N, C, H, W)``.
    """

    input_ranks = (3, 4)

    def __init__(self, size, scale, power):
        super().__init__()
        check_hyper('fbnn.CrossMapNormalization', positive=dict(size=size))
        if size % 2 == 0:
            raise ValueError(f"{self.lua_name}.CrossMapNormalization: kernel size must be odd, got {size}")
        for name, value in (('scale', scale), ('power', power)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{self.lua_name}.CrossMapNormalization: {name} must be a number, got {value!r}")
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
        return f"{self.lua_name}.CrossMapNormalization({self.size}, {self.scale:g}, {self.power:g})"


class LocallyConnected(FbnnClass, Module):
    """A convolution whose filters are not shared: each output position ``(y, x)`` has its own weights,
    ``out[o, y, x] = bias[o, y, x] + sum_{i, a, b} weight[o, y, x, i, a, b] * in[i, y dH + a, x dW + b]``.

    ``LocallyConnected(nInputPlane, iW, iH, nOutputPlane, kW, kH, dW=1, dH=1)``; input ``(nInputPlane, iH,
    iW)`` or batched, output ``(nOutputPlane, oH, oW)`` with ``oH = (iH - kH) // dH + 1`` (oW alike).
    ``weight`` ``(nOutputPlane, oH, oW, nInputPlane, kH, kW)``, ``bias`` ``(nOutputPlane, oH, oW)``, uniform in
    +-1/sqrt(kW kH nInputPlane). The layout is this planar one on the GPU too (the Lua interleaves CUDA
    weights, ``toInterleaved``, which is not provided).
    """

    input_ranks = (3, 4)

    def parameterSizes(self):
        o_w, o_h = self.outputSize()
        return {'weight': (self.nOutputPlane, o_h, o_w, self.nInputPlane, self.kH, self.kW),
                'bias': (self.nOutputPlane, o_h, o_w)}

    def __init__(self, nInputPlane, iW, iH, nOutputPlane, kW, kH, dW=1, dH=1):
        super().__init__()
        check_hyper('fbnn.LocallyConnected', positive=dict(nInputPlane=nInputPlane, iW=iW, iH=iH,
                                                           nOutputPlane=nOutputPlane, kW=kW, kH=kH, dW=dW, dH=dH))
        if kW > iW or kH > iH:
            raise ValueError(f"{self.lua_name}.LocallyConnected: the kernel {kW}x{kH} (kW x kH) must not exceed "
                             f"the input image {iW}x{iH} (iW x iH)")
        self.nInputPlane, self.iW, self.iH, self.nOutputPlane = nInputPlane, iW, iH, nOutputPlane
        self.kW, self.kH, self.dW, self.dH = kW, kH, dW, dH
        sizes = self.parameterSizes()
        self.weight = self.output.new(*sizes['weight'])
        self.gradWeight = self.output.new(*sizes['weight']).zero()
        self.bias = self.output.new(*sizes['bias'])
        self.gradBias = self.output.new(*sizes['bias']).zero()
        self.reset()

    def outputSize(self):
        """(oW, oH), as the Lua."""
        return (self.iW - self.kW) // self.dW + 1, (self.iH - self.kH) // self.dH + 1

    def reset(self, stdv=None):
        uniform_reset(stdv, self.kW * self.kH * self.nInputPlane, self.weight, self.bias)
        return self

    def _windows(self, input):
        """The input's windows as (N, nInputPlane, oH, oW, kH, kW) (a view)."""
        self.checkInput(input)
        self.checkSameType(input, self.weight)
        expected = (self.nInputPlane, self.iH, self.iW)
        if tuple(input.size())[-3:] != expected:
            raise input_error(self, f"planes x height x width {expected}", tuple(input.size()))
        x = input.array.reshape((-1,) + expected)
        return sliding_windows(x, (2, 3), (self.kH, self.kW), (self.dH, self.dW))

    def _out_sizes(self, input):
        o_w, o_h = self.outputSize()
        return tuple(input.size())[:-3] + (self.nOutputPlane, o_h, o_w)

    def updateOutput(self, input):
        win = self._windows(input)
        out = self.bufferLike('output', input, self._out_sizes(input))
        res = input.xp.einsum('niyxab,oyxiab->noyx', win, self.weight.array) + self.bias.array
        out.reshape(res.shape)[...] = res
        return self.output

    def _grad(self, input, gradOutput):
        self.checkSize(gradOutput, self._out_sizes(input))
        self.checkSameType(gradOutput, input, 'gradOutput')
        return gradOutput.array.reshape((-1,) + self._out_sizes(input)[-3:])

    def updateGradInput(self, input, gradOutput):
        self._windows(input)   # the input checks
        g = self._grad(input, gradOutput)
        gwin = input.xp.einsum('noyx,oyxiab->niyxab', g, self.weight.array)
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        scatter_windows(gi.reshape((-1,) + gi.shape[-3:]), gwin, (2, 3), (self.kH, self.kW), (self.dH, self.dW))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        win = self._windows(input)
        g = self._grad(input, gradOutput)
        self.gradWeight.array[...] += scale * input.xp.einsum('noyx,niyxab->oyxiab', g, win)
        self.gradBias.array[...] += scale * g.sum(axis=0)

    def __repr__(self):
        return (f"{self.lua_name}.LocallyConnected({self.nInputPlane} -> {self.nOutputPlane}, {self.iW}x{self.iH}, "
                f"{self.kW}x{self.kH}, {self.dW},{self.dH})")
