"""SpatialReSamplingEx: nnx's extended resampling of any two adjacent axes, by nearest pixel, block average or
bilinear interpolation (nnx's SpatialReSamplingEx.lua and generic/SpatialReSamplingEx.c)."""
import numpy as np

from ..tensor.interpolation_kernels import resample_bilinear, resample_bilinear_grad
from ..tensor.scatter_kernels import scatter_add
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.lua_arguments import table_arguments
from .base.module import Module

MODES = ('simple', 'average', 'bilinear')


class SpatialReSamplingEx(Module):
    """Resample axes ``yDim`` and ``xDim = yDim + 1`` (0-based; default 1 and 2, Lua's 2 and 3) of a tensor of
    any rank to ``oheight`` x ``owidth``, or to ``round(rheight * H)`` x ``round(rwidth * W)`` (``floor(a +
    0.5)``, from each input); the other axes are kept. Both sides grow or both shrink.

    ``SpatialReSamplingEx({'owidth': .., 'oheight': .., 'mode': .., 'yDim': .., 'xDim': ..})`` or keywords
    (``rwidth``/``rheight`` for ratios). ``mode``, as nnx's C:

    - ``'simple'`` (default): growing, output pixel (y, x) copies input (y // dH, x // dW) with ``dH =
      ceil(oheight / H)``; shrinking, it copies (y * dH, x * dW) with ``dH = H // oheight``;
    - ``'average'``: growing as simple; shrinking, the mean of the dH x dW block at (y * dH, x * dW), summed in
      the C's order and scaled by the single-precision ``1 / (dH * dW)`` (the gradient by the tensor type's);
    - ``'bilinear'``: nnx's SpatialReSampling arithmetic (corners aligned; sides of at least 2).

    The gradients are those of these maps (simple shrinking: each gradOutput pixel put on its input pixel)."""

    input_dtypes = 'floating'

    def __init__(self, rwidth=None, rheight=None, owidth=None, oheight=None, mode='simple', yDim=1, xDim=2):
        super().__init__()
        if isinstance(rwidth, dict):   # the Lua call with a table
            rwidth, rheight, owidth, oheight, mode, yDim, xDim = table_arguments(
                'SpatialReSamplingEx', rwidth, ('rwidth', 'rheight', 'owidth', 'oheight', 'mode', 'yDim', 'xDim'),
                (None,) * 4 + ('simple', 1, 2))
        if mode not in MODES:
            raise ValueError(f"SpatialReSamplingEx: mode must be simple | average | bilinear, got {mode!r}")
        for name, value in (('yDim', yDim), ('xDim', xDim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"SpatialReSamplingEx: {name} must be a non-negative integer, got {value!r}")
        if yDim + 1 != xDim:
            raise ValueError(f"SpatialReSamplingEx: yDim must be equal to xDim - 1, got yDim={yDim}, xDim={xDim}")
        for side, fixed, ratio in (('width', owidth, rwidth), ('height', oheight, rheight)):
            if fixed is not None:
                if isinstance(fixed, bool) or not isinstance(fixed, int) or fixed < 1:
                    raise ValueError(f"SpatialReSamplingEx: o{side} must be a positive integer, got {fixed!r}")
            elif isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio > 0:
                raise ValueError(f"SpatialReSamplingEx: give o{side} or a positive ratio r{side}, got "
                                 f"o{side}={fixed!r}, r{side}={ratio!r}")
        self.rwidth, self.rheight, self.owidth, self.oheight = rwidth, rheight, owidth, oheight
        self.mode, self.yDim, self.xDim = mode, yDim, xDim

    def _planes(self, input):
        """(K1, H, W, K2) of the input, and (oheight, owidth) for it."""
        self.checkInput(input)
        sizes = tuple(input.size())
        if len(sizes) <= self.xDim:
            raise input_error(self, f"a tensor with an axis xDim={self.xDim}", f"{len(sizes)} dimensions")
        h, w = sizes[self.yDim], sizes[self.xDim]
        oh = self.oheight if self.oheight is not None else int(np.floor(self.rheight * h + 0.5))
        ow = self.owidth if self.owidth is not None else int(np.floor(self.rwidth * w + 0.5))
        if (oh >= h) != (ow >= w):
            raise input_error(self, "both sides grown or both shrunk (nnx cannot upsample one and downsample the "
                                    "other)", f"{h}x{w} to {oh}x{ow}")
        if oh < 1 or ow < 1 or (self.mode == 'bilinear' and (oh < 2 or ow < 2)):
            raise input_error(self, f"an output of at least {'2x2' if self.mode == 'bilinear' else '1x1'}",
                              f"{oh}x{ow} from a {h}x{w} input")
        k1 = int(np.prod(sizes[:self.yDim], dtype=np.int64))
        k2 = int(np.prod(sizes[self.xDim + 1:], dtype=np.int64))
        return (k1, h, w, k2), (oh, ow)

    def _nearest_up(self, xp, h, w, oh, ow):
        """Growing (simple and average): the flat input index of each output pixel, (oh, ow)."""
        dh, dw = -(-oh // h), -(-ow // w)
        return (xp.arange(oh) // dh)[:, None] * w + (xp.arange(ow) // dw)[None, :]

    def updateOutput(self, input):
        (k1, h, w, k2), (oh, ow) = self._planes(input)
        xp = input.xp
        x = xp.moveaxis(input.array.reshape(k1, h, w, k2), 3, 1)   # (K1, K2, H, W) views
        if self.mode == 'bilinear':
            y = resample_bilinear(xp, x, oh, ow)
        elif oh >= h:
            y = x.reshape(k1, k2, h * w)[..., self._nearest_up(xp, h, w, oh, ow)]
        elif self.mode == 'simple':
            y = x[..., :oh * (h // oh):h // oh, :ow * (w // ow):w // ow]
        else:
            dh, dw = h // oh, w // ow
            y = xp.zeros((k1, k2, oh, ow), dtype=x.dtype)
            for i in range(dh):   # the C's summation order: block rows, then columns
                for j in range(dw):
                    y += x[..., i:oh * dh:dh, j:ow * dw:dw]
            y *= x.dtype.type(np.float32(1) / np.float32(dh * dw))
        sizes = list(input.size())
        sizes[self.yDim], sizes[self.xDim] = oh, ow
        out = self.bufferLike('output', input, tuple(sizes))
        out.reshape(k1, oh, ow, k2)[...] = xp.moveaxis(y, 1, 3)
        return self.output

    def updateGradInput(self, input, gradOutput):
        (k1, h, w, k2), (oh, ow) = self._planes(input)
        self.checkGradOutput(gradOutput, self.output)
        xp = input.xp
        go = xp.moveaxis(gradOutput.array.reshape(k1, oh, ow, k2), 3, 1)
        g = xp.zeros((k1, k2, h, w), dtype=go.dtype)
        if self.mode == 'bilinear':
            resample_bilinear_grad(xp, go, g)
        elif oh >= h:
            scatter_add(g.reshape(k1 * k2, h * w).T, self._nearest_up(xp, h, w, oh, ow).reshape(-1),
                        go.reshape(k1 * k2, oh * ow).T)
        elif self.mode == 'simple':
            g[..., :oh * (h // oh):h // oh, :ow * (w // ow):w // ow] = go
        else:
            dh, dw = h // oh, w // ow
            for i in range(dh):
                for j in range(dw):
                    g[..., i:oh * dh:dh, j:ow * dw:dw] += go
            g *= g.dtype.type(1) / (dh * dw)
        gi = self.bufferLike('gradInput', input)
        gi.reshape(k1, h, w, k2)[...] = xp.moveaxis(g, 1, 3)
        return self.gradInput

    def __repr__(self):
        size = (f"{self.oheight}x{self.owidth}" if self.owidth is not None and self.oheight is not None else
                f"owidth={self.owidth}, oheight={self.oheight}, rwidth={self.rwidth}, rheight={self.rheight}")
        return f"{lua_typename(self)}({size}, {self.mode!r}, yDim={self.yDim}, xDim={self.xDim})"
