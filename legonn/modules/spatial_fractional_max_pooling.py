"""SpatialFractionalMaxPooling: max pooling over pseudo-random overlapping windows (Graham, 2014)."""
import numpy as np

from ..tensor import Tensor
from ..tensor.scatter_kernels import scatter_add
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_hyper, input_error
from .base.module import Module
from .base.batching import batched
from .base.pooling import check_every_window_won


class SpatialFractionalMaxPooling(Module):
    """Fractional max pooling with poolSizeW x poolSizeH windows at pseudo-random starts.

    ``SpatialFractionalMaxPooling(poolSizeW, poolSizeH, outW, outH)`` fixes the
    output size; ``SpatialFractionalMaxPooling(poolSizeW, poolSizeH, ratioW, ratioH)``
    with ratios in (0, 1) gives floor(iW ratioW) x floor(iH ratioH). Each (batch,
    plane) draws two samples u in [0, 1) (``randomSamples``, (N, C, 2): width then
    height); window i starts at floor((i + u) a) - floor(u a), a = (I - pool) / (O - 1),
    the last at I - pool. Samples are redrawn every forward unless
    ``fixPoolingRegions()``. A window's maximum skips NaNs, as THNN's; a window of only NaN and -inf is
    refused (THNN asserts). Input (C, H, W) or (N, C, H, W).
    """

    positive_ints = ('poolSizeW', 'poolSizeH')

    def __init__(self, poolSizeW, poolSizeH, arg1, arg2):
        super().__init__()
        name = type(self).__name__
        self.checkHyper(poolSizeW=poolSizeW, poolSizeH=poolSizeH)
        if min(poolSizeW, poolSizeH) < 2:   # SpatialFractionalMaxPooling.lua asserts poolSizeW, poolSizeH >= 2
            raise ValueError(f"{name}: pool sizes must be at least 2, got ({poolSizeW}, {poolSizeH})")
        self.poolSizeW, self.poolSizeH = poolSizeW, poolSizeH
        self.outW = self.outH = self.ratioW = self.ratioH = None
        if arg1 >= 1 and arg2 >= 1:
            check_hyper(name, positive=dict(outW=arg1, outH=arg2))
            self.outW, self.outH = arg1, arg2
        elif 0 < arg1 < 1 and 0 < arg2 < 1:
            self.ratioW, self.ratioH = arg1, arg2
        else:
            raise ValueError(f"{name}: expected output sizes >= 1 or ratios in (0, 1), got {arg1!r}, {arg2!r}")
        self.randomSamples = None
        self.newRandomPool = False

    def fixPoolingRegions(self, val=True):
        """Keep the current pooling regions (no new samples) on later forwards."""
        self.newRandomPool = val
        return self

    def initSampleBuffer_(self, input):
        """``randomSamples`` (N, C, 2) for ``input`` (C, H, W) or (N, C, H, W), as SpatialFractionalMaxPooling.lua's:
        drawn when missing or of another (N, C) (here also of another type than the input's), redrawn unless
        ``fixPoolingRegions()``; returns them."""
        x, _ = batched(self, input, (3, 4))
        n, c = x.shape[:2]
        samples = self.randomSamples
        if samples is None or type(samples) is not type(input) or tuple(samples.size()) != (n, c, 2):
            self.randomSamples = samples = input.new(n, c, 2).uniform()
        elif not self.newRandomPool:
            samples.uniform()
        return samples

    def _sizes(self, h, w):
        if self.outW is not None:
            return self.outH, self.outW
        return int(np.floor(h * self.ratioH)), int(np.floor(w * self.ratioW))

    def _check(self, input, gradOutput=None):
        x, _ = batched(self, input, (3, 4))
        oh, ow = self._sizes(*x.shape[2:])
        if oh < 1 or ow < 1 or oh + self.poolSizeH - 1 >= x.shape[2] or ow + self.poolSizeW - 1 >= x.shape[3]:
            raise input_error(self, f"an input larger than output + pool - 1 in each dimension (output {ow}x{oh}, "
                              f"pool {self.poolSizeW}x{self.poolSizeH})", f"{x.shape[3]}x{x.shape[2]} (width x height)")
        if gradOutput is None:
            return x, (oh, ow)
        self.checkSize(gradOutput, tuple(input.size())[:-2] + (oh, ow))
        return x, (oh, ow), batched(self, gradOutput, (3, 4), 'gradOutput')[0]

    def _starts(self, sample, size, out, pool):
        """Window starts (N, C, out) from samples (N, C), as THNN's generateIntervals."""
        xp = Tensor._from_array(sample).xp
        if out == 1:
            return xp.full(sample.shape + (1,), size - pool, dtype=np.int64)
        alpha = (size - pool) / (out - 1)
        i = xp.arange(out - 1, dtype=sample.dtype)
        seq = xp.floor((i + sample[..., None]) * alpha) - xp.floor(sample[..., None] * alpha)
        last = xp.full(sample.shape + (1,), size - pool, dtype=sample.dtype)
        return xp.concatenate([seq, last], axis=-1).astype(np.int64)

    def updateOutput(self, input):
        x, (oh, ow) = self._check(input)
        xp = input.xp
        n, c, h, w = x.shape
        u = self.initSampleBuffer_(input).array
        hs = self._starts(u[..., 1], h, oh, self.poolSizeH)[..., :, None]   # (N, C, oH, 1)
        ws = self._starts(u[..., 0], w, ow, self.poolSizeW)[..., None, :]   # (N, C, 1, oW)
        planes = x.reshape(n, c, h * w)
        out = self.bufferLike('output', input, tuple(input.size())[:-2] + (oh, ow))
        out = out if out.ndim == 4 else out[None]
        # THNN and THCUNN keep a value only when ``val > maxVal``, from -inf: a NaN never wins
        out.fill(-np.inf)
        best = None
        for jh in range(self.poolSizeH):
            for jw in range(self.poolSizeW):
                flat = (hs + jh) * w + (ws + jw)                               # (N, C, oH, oW)
                v = xp.take_along_axis(planes, flat.reshape(n, c, -1), axis=2).reshape(out.shape)
                wins = v > out
                xp.copyto(out, v, where=wins)
                best = flat if best is None else xp.where(wins, flat, best)
        check_every_window_won(self, out == -np.inf)
        self.indices = Tensor._from_array(best if input.dim() == 4 else best[0])
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, (oh, ow), go = self._check(input, gradOutput)
        if self.__dict__.get('indices') is None or tuple(self.indices.size()) != tuple(gradOutput.size()):
            raise input_error(self, "a forward() on this input before backward()", "no matching forward")
        xp = input.xp
        n, c, h, w = x.shape
        gi = self.bufferLike('gradInput', input)
        gi.fill(0)
        idx = self.indices.array.reshape(n * c, -1) + (xp.arange(n * c) * (h * w))[:, None]
        scatter_add(gi.reshape(-1), idx.reshape(-1), go.reshape(-1))
        return self.gradInput

    def clearState(self):
        return super().clearState('indices', 'randomSamples')

    def __repr__(self):
        w = self.outW if self.outW is not None else self.ratioW
        h = self.outH if self.outH is not None else self.ratioH
        return f"{lua_typename(self)}({w}x{h}, {self.poolSizeW},{self.poolSizeH})"
