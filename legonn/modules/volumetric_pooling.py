"""Volumetric (3-D) pooling: VolumetricMaxPooling, VolumetricDilatedMaxPooling, VolumetricAveragePooling,
VolumetricMaxUnpooling, VolumetricFractionalMaxPooling.

Inputs are ``(nPlanes, T, H, W)`` or ``(batch, nPlanes, T, H, W)``; arguments in
Torch7's order (``kT, kW, kH, dT, dW, dH, padT, padW, padH``). Max pooling keeps
``indices`` (a LongTensor shaped like the output) holding, for each output
element, the 0-based flat index ``(t * H + h) * W + w`` of the chosen input
element within its plane (Torch7 packed kernel offsets into bytes instead; a
flat index is what unpooling needs and what PyTorch settled on).
"""
import math

from ..tensor import pool_kernels as pk
from ..tensor.scatter_kernels import scatter_add_along
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_hyper, input_error
from .base.module import Module
from .base.typed import kind_class
from .base.pooling import CeilMode, check_every_window_won, check_unpool_indices, offset_kind
from .base.batching import batched


class _VolumetricPoolingBase(CeilMode, Module):
    positive_ints = ('kT', 'kW', 'kH', 'dT', 'dW', 'dH', 'dilationT', 'dilationW', 'dilationH')
    nonnegative_ints = ('padT', 'padW', 'padH')
    def __init__(self, kT, kW, kH, dT=None, dW=None, dH=None, padT=0, padW=0, padH=0,
                 dilationT=1, dilationW=1, dilationH=1):
        super().__init__()
        dT, dW, dH = dT or kT, dW or kW, dH or kH
        self.checkHyper(kT=kT, kW=kW, kH=kH, dT=dT, dW=dW, dH=dH, dilationT=dilationT, dilationW=dilationW,
                        dilationH=dilationH, padT=padT, padW=padW, padH=padH)
        if padT > kT // 2 or padW > kW // 2 or padH > kH // 2:
            raise ValueError(f"{type(self).__name__}: padding must be at most half the kernel size, got pad "
                             f"(T={padT}, W={padW}, H={padH}) for kernel (T={kT}, W={kW}, H={kH})")
        self.kT, self.kW, self.kH = kT, kW, kH
        self.dT, self.dW, self.dH = dT, dW, dH
        self.padT, self.padW, self.padH = padT, padW, padH
        self.dilationT, self.dilationW, self.dilationH = dilationT, dilationW, dilationH

    @property
    def _geometry(self):
        return ((self.kT, self.kH, self.kW), (self.dT, self.dH, self.dW), (self.padT, self.padH, self.padW),
                (self.dilationT, self.dilationH, self.dilationW))

    def _check(self, input):
        x, is_batch = batched(self, input, (4, 5))
        if input.dtype.kind != 'f':
            raise input_error(self, "a floating-point input", input.type(), TypeError)
        k, s, p, d = self._geometry
        # trim always: a ceil-mode window starting past the input would only see padding
        counts = tuple(pk.pool_output_size(n, kk, ss, pp, dd, self.ceil_mode, trim=True)
                       for n, kk, ss, pp, dd in zip(x.shape[2:], k, s, p, d))
        if min(counts) < 1:
            need = tuple(dd * (kk - 1) + 1 - 2 * pp for kk, pp, dd in zip(k, p, d))
            raise input_error(self, f"an input of at least {need} (T x H x W) for this kernel and padding",
                              f"{tuple(x.shape[2:])} (input of size {tuple(input.size())})")
        return x, is_batch, counts

    def _describe(self):
        s = f"nn.{type(self).__name__}({self.kT}x{self.kW}x{self.kH}, {self.dT},{self.dW},{self.dH}"
        if (self.padT, self.padW, self.padH) != (0, 0, 0):
            s += f", {self.padT},{self.padW},{self.padH}"
        return s


class VolumetricMaxPooling(_VolumetricPoolingBase):
    """Max over ``kT x kH x kW`` windows moved by ``(dT, dH, dW)``, with implicit -inf padding.

    ``VolumetricMaxPooling(kT, kW, kH, dT=kT, dW=kW, dH=kH, padT=0, padW=0, padH=0)``, ``:ceil()`` /
    ``:floor()`` pick the rounding of ``oT = (T + 2 padT - kT) / dT + 1``. Output ``(nPlanes, oT, oH, oW)``.
    """

    def __init__(self, kT, kW, kH, dT=None, dW=None, dH=None, padT=0, padW=0, padH=0):
        super().__init__(kT, kW, kH, dT, dW, dH, padT, padW, padH)
        self.indices = kind_class(self.output, 'Long')()

    def updateOutput(self, input):
        x, is_batch, counts = self._check(input)
        k, s, p, d = self._geometry
        out_size = tuple(input.size())[:-3] + counts
        out = self.bufferLike('output', input, out_size).reshape(x.shape[:2] + counts)
        argmax = self.bufferLike('_argmax', input, x.shape[:2] + counts, kind=offset_kind(k, input))
        pk.max_pool_forward(x, k, s, p, d, counts, out=out, argmax=argmax)
        self.itime, self.iheight, self.iwidth = x.shape[2:]
        indices = pk.max_pool_indices(argmax, x.shape[2:], k, s, p, d)
        self.bufferLike('indices', input, out_size, kind='Long')[...] = indices.reshape(out_size)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, is_batch, counts = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        argmax = self.__dict__.get('_argmax')
        if argmax is None or tuple(argmax.size()) != x.shape[:2] + counts:
            raise input_error(self, "a forward call on this input before backward", "no matching forward")
        k, s, p, d = self._geometry
        gi = self.bufferLike('gradInput', input)
        pk.max_pool_backward(gradOutput.array.reshape(x.shape[:2] + counts), argmax.array, x.shape, k, s, p, d,
                             out=gi.reshape(x.shape))
        return self.gradInput

    def clearState(self):
        self.indices.set()
        return super().clearState('_argmax')

    def __repr__(self):
        return self._describe() + ')'


class VolumetricDilatedMaxPooling(VolumetricMaxPooling):
    """VolumetricMaxPooling whose window taps are ``dilation`` apart.

    ``VolumetricDilatedMaxPooling(kT, kW, kH, dT=kT, dW=kW, dH=kH, padT=0, padW=0, padH=0, dilationT=1,
    dilationW=1, dilationH=1)``; ``oT = (T + 2 padT - dilationT (kT - 1) - 1) / dT + 1``, floor or ceil.
    """

    def __init__(self, kT, kW, kH, dT=None, dW=None, dH=None, padT=0, padW=0, padH=0,
                 dilationT=1, dilationW=1, dilationH=1):
        _VolumetricPoolingBase.__init__(self, kT, kW, kH, dT, dW, dH, padT, padW, padH,
                                        dilationT, dilationW, dilationH)
        self.indices = kind_class(self.output, 'Long')()

    def __repr__(self):
        return self._describe() + f", {self.dilationT},{self.dilationW},{self.dilationH})"


class VolumetricAveragePooling(_VolumetricPoolingBase):
    """Mean over ``kT x kH x kW`` windows moved by ``(dT, dH, dW)``.

    ``VolumetricAveragePooling(kT, kW, kH, dT=kT, dW=kW, dH=kH)``: VolumetricAveragePooling.lua's constructor
    reads no padding (its updateOutput hands THNN pads of 0), so none is taken; cudnn's takes
    ``padT, padW, padH`` after them, and zero padding counts in the mean (Torch7's count_include_pad): each
    window divides by its size clipped to the padded input, kT*kH*kW except where a ceil-mode window
    overhangs it (THNN's VolumetricAveragePooling.c). Output ``(nPlanes, oT, oH, oW)``,
    ``oT = (T + 2 padT - kT) // dT + 1``.
    """
    unread_arguments_note = ("Torch7's nn.VolumetricAveragePooling reads no padding (a Lua padT there is "
                             "dropped and it pools unpadded): leave it out; cudnn.VolumetricAveragePooling takes "
                             "padT, padW, padH")

    def __init__(self, kT, kW, kH, dT=None, dW=None, dH=None):
        super().__init__(kT, kW, kH, dT, dW, dH)

    def updateOutput(self, input):
        x, is_batch, counts = self._check(input)
        k, s, p, _ = self._geometry
        out = self.bufferLike('output', input, tuple(input.size())[:-3] + counts).reshape(x.shape[:2] + counts)
        pk.avg_pool_forward(x, k, s, p, counts, True, out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, is_batch, counts = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        k, s, p, _ = self._geometry
        pk.avg_pool_backward(gradOutput.array.reshape(x.shape[:2] + counts), x.shape, k, s, p, True,
                             out=self.bufferLike('gradInput', input).reshape(x.shape))
        return self.gradInput

    def __repr__(self):
        return self._describe() + ')'


class VolumetricMaxUnpooling(Module):
    """Inverse of a VolumetricMaxPooling: puts each input value back where the pooling found its max.

    ``VolumetricMaxUnpooling(poolingModule)`` reads the pooling module's ``indices`` and input size (from its
    last forward); the pooling kernel must equal its stride. Input is shaped like the pooling's output;
    the output like its input, zero where no maximum came from.
    """

    def __init__(self, poolingModule):
        super().__init__()
        if not isinstance(poolingModule, VolumetricMaxPooling) or \
                isinstance(poolingModule, VolumetricDilatedMaxPooling):
            raise ValueError(f"VolumetricMaxUnpooling: expected a VolumetricMaxPooling module, got "
                             f"{poolingModule!r}")
        pm = poolingModule
        if (pm.kT, pm.kW, pm.kH) != (pm.dT, pm.dW, pm.dH):
            raise ValueError(f"VolumetricMaxUnpooling: the pooling module's kernel must equal its stride, got "
                             f"kernel {pm.kT}x{pm.kW}x{pm.kH} and stride {pm.dT},{pm.dW},{pm.dH}")
        self.pooling = poolingModule

    def _check(self, input):
        x, is_batch = batched(self, input, (4, 5))
        indices = self.pooling.indices
        if getattr(self.pooling, 'itime', None) is None or indices.nElement() == 0:
            raise input_error(self, "a pooling module that has run forward (its indices are empty)",
                              "no indices")
        if tuple(indices.size()) != tuple(input.size()):
            raise input_error(self, f"an input of the pooling output's size {tuple(indices.size())}",
                              tuple(input.size()))
        check_unpool_indices(self, indices.array)
        return x, is_batch

    def updateOutput(self, input):
        x, is_batch = self._check(input)
        pm = self.pooling
        n, c = x.shape[:2]
        size = tuple(input.size())[:-3] + (pm.itime, pm.iheight, pm.iwidth)
        out = self.bufferLike('output', input, size)
        out.fill(0)
        scatter_add_along(out.reshape(n, c, -1), self.pooling.indices.array.reshape(n, c, -1), x.reshape(n, c, -1), -1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, is_batch = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        n, c = x.shape[:2]
        gi = self.bufferLike('gradInput', input)
        go = gradOutput.array.reshape(n, c, -1)
        gi.reshape(n, c, -1)[...] = input.xp.take_along_axis(go, self.pooling.indices.array.reshape(n, c, -1), -1)
        return self.gradInput

    def __repr__(self):
        return 'nn.VolumetricMaxUnpooling associated to ' + repr(self.pooling)


class VolumetricFractionalMaxPooling(Module):
    """Fractional max pooling (Graham, 2014) over three axes, pseudo-random pooling regions per plane.

    ``VolumetricFractionalMaxPooling(poolSizeT, poolSizeW, poolSizeH, outT, outW, outH)`` with output sizes,
    or ``(..., ratioT, ratioW, ratioH)`` with ratios in (0, 1). As Torch7, the input is read as
    ``(nPlanes, H, W, T)`` (or batched), i.e. time is the last axis. ``fixPoolingRegions()`` keeps the
    regions across calls; ``indices`` hold flat indices into each plane. A window's maximum skips NaNs, as
    THNN's; a window of only NaN and -inf is refused (THNN asserts).
    """

    positive_ints = ('poolSizeT', 'poolSizeW', 'poolSizeH')

    def __init__(self, poolSizeT, poolSizeW, poolSizeH, arg1, arg2, arg3):
        super().__init__()
        self.checkHyper(poolSizeT=poolSizeT, poolSizeW=poolSizeW, poolSizeH=poolSizeH)
        if min(poolSizeT, poolSizeW, poolSizeH) < 2:
            raise ValueError(f"VolumetricFractionalMaxPooling: pool sizes must be at least 2, got "
                             f"({poolSizeT}, {poolSizeW}, {poolSizeH})")
        self.poolSizeT, self.poolSizeW, self.poolSizeH = poolSizeT, poolSizeW, poolSizeH
        self.outT = self.outW = self.outH = None
        self.ratioT = self.ratioW = self.ratioH = None
        if arg1 >= 1 and arg2 >= 1 and arg3 >= 1:
            check_hyper('VolumetricFractionalMaxPooling', positive=dict(outT=arg1, outW=arg2, outH=arg3))
            self.outT, self.outW, self.outH = arg1, arg2, arg3
        else:
            if not all(0 < r < 1 for r in (arg1, arg2, arg3)):
                raise ValueError(f"VolumetricFractionalMaxPooling: expected three output sizes >= 1 or three "
                                 f"ratios in (0, 1), got ({arg1}, {arg2}, {arg3})")
            self.ratioT, self.ratioW, self.ratioH = arg1, arg2, arg3
        self.newRandomPool = False
        self.randomSamples = None
        self.indices = kind_class(self.output, 'Long')()

    def fixPoolingRegions(self, val=True):
        """With True, keep the current random samples (pooling regions) for later calls."""
        self.newRandomPool = val
        return self

    def _check(self, input):
        x, is_batch = batched(self, input, (4, 5))
        h, w, t = x.shape[2:]
        if self.ratioT is not None:
            out = (int(h * self.ratioH), int(w * self.ratioW), int(t * self.ratioT))
        else:
            out = (self.outH, self.outW, self.outT)
        pool = (self.poolSizeH, self.poolSizeW, self.poolSizeT)
        for name, o, k, n in zip(('height', 'width', 'time'), out, pool, (h, w, t)):
            if o < 1 or o + k - 1 >= n:
                raise input_error(self, f"an input {name} above output size + pool size - 1 = {o + k - 1} "
                                  f"(input read as planes x H x W x T)",
                                  f"{n} (input of size {tuple(input.size())})")
        return x, is_batch, out, pool

    def initSampleBuffer_(self, input):
        """``randomSamples`` (N, C, 3) for ``input`` (C, H, W, T) or (N, C, H, W, T), as
        VolumetricFractionalMaxPooling.lua's: drawn when missing or of another (N, C) (here also of another type
        than the input's), redrawn unless ``fixPoolingRegions()``; returns them."""
        x, _ = batched(self, input, (4, 5))
        shape = (x.shape[0], x.shape[1], 3)
        fresh = self.randomSamples is None or tuple(self.randomSamples.size()) != shape or \
            type(self.randomSamples) is not type(input)
        if fresh:
            self.randomSamples = input.new(*shape)
        if fresh or not self.newRandomPool:
            self.randomSamples.uniform()
        return self.randomSamples

    def _window_starts(self, xp, samples, n_in, n_out, pool):
        """Torch7's interval rule per plane: starts (N, C, n_out) of windows of size ``pool``, computed in the
        samples' type as THNN's ``real`` arithmetic (float32 rounding can move a start by one)."""
        real = samples.dtype.type
        alpha = real(n_in - pool) / real(n_out - 1) if n_out > 1 else real(0)
        u = samples[..., None]
        i = xp.arange(n_out, dtype=samples.dtype)
        starts = xp.floor((i + u) * alpha) - xp.floor(u * alpha)
        starts[..., -1] = n_in - pool
        return starts.astype(xp.int64)

    def updateOutput(self, input):
        x, is_batch, out, pool = self._check(input)
        xp = input.xp
        samples = self.initSampleBuffer_(input).array
        n, c = x.shape[:2]
        # randomSamples[..., 0] drives time, 1 width, 2 height (Torch7's order)
        coords = []
        for axis, (col, o, k) in enumerate(zip((2, 1, 0), out, pool)):
            starts = self._window_starts(xp, samples[..., col], x.shape[2 + axis], o, k)
            coords.append(starts[..., :, None] + xp.arange(k))        # (N, C, o, k)
        ch, cw, ct = coords
        h, w, t = x.shape[2:]
        flat = ((ch[:, :, :, None, None, :, None, None] * w + cw[:, :, None, :, None, None, :, None]) * t +
                ct[:, :, None, None, :, None, None, :])                  # (N, C, oH, oW, oT, kH, kW, kT)
        flat = flat.reshape(n, c, math.prod(out), math.prod(pool))
        vals = xp.take_along_axis(x.reshape(n, c, -1), flat.reshape(n, c, -1), -1).reshape(flat.shape)
        # THNN keeps a value only when ``val > maxVal``: NaNs never win (the first of equal maxima does)
        beaten = xp.where(vals != vals, -xp.inf, vals)
        arg = beaten.argmax(axis=-1)[..., None]
        check_every_window_won(self, xp.take_along_axis(beaten, arg, -1) == -xp.inf)
        size = tuple(input.size())[:-3] + out
        self.bufferLike('output', input, size)[...] = xp.take_along_axis(vals, arg, -1).reshape(size)
        self.bufferLike('indices', input, size, kind='Long')[...] = xp.take_along_axis(flat, arg, -1).reshape(size)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, is_batch, out, pool = self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        n, c = x.shape[:2]
        gi = self.bufferLike('gradInput', input)
        gi.fill(0)
        scatter_add_along(gi.reshape(n, c, -1), self.indices.array.reshape(n, c, -1),
                          gradOutput.array.reshape(n, c, -1), -1)
        return self.gradInput

    def clearState(self):
        self.randomSamples = None
        self.indices.set()
        return super().clearState()

    def __repr__(self):
        sizes = (self.outT, self.outW, self.outH) if self.outT is not None else (self.ratioT, self.ratioW,
                                                                                 self.ratioH)
        return (f"{lua_typename(self)}({sizes[0]}x{sizes[1]}x{sizes[2]}, "
                f"{self.poolSizeT},{self.poolSizeW},{self.poolSizeH})")
