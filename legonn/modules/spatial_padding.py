"""Padding of image planes and volumes: SpatialZeroPadding, SpatialReflectionPadding,
SpatialReplicationPadding, VolumetricReplicationPadding.

Negative padding crops, as in Torch7. Every form is a gather along each padded
axis (``take`` with a source index per output position); the backward pass is
the transpose of that gather, one small 0/1 matrix product per axis, so
repeated sources (reflection, replication) sum their gradients.
"""
from .base.errors import input_error
from .base.module import Module
from ..tensor.introspection import typename as lua_typename


class _Padding(Module):
    """Pads the last ``len(pads)`` axes; ``pads`` lists (before, after) per axis, outermost first."""

    ranks = (3, 4)

    def __init__(self, *pads):
        super().__init__()
        for name, v in zip(self._names, pads):
            if not isinstance(v, int) or isinstance(v, bool):
                raise ValueError(f"{type(self).__name__}: {name} must be an integer, got {v!r}")

    def _source(self, xp, n, before, after):
        """(source index per output position, validity mask or None) along one axis of length n."""
        raise NotImplementedError

    def _plan(self, input):
        self.checkTensor(input, self.ranks)
        spatial = tuple(input.size())[-len(self._pads):]
        out = tuple(n + b + a for n, (b, a) in zip(spatial, self._pads))
        if min(out) < 1:
            raise input_error(self, "padding that leaves a non-empty output", f"an output of {out} from input of "
                              f"size {tuple(input.size())}")
        self._check_sizes(spatial, input)
        return [self._source(input.xp, n, b, a) for n, (b, a) in zip(spatial, self._pads)], out

    def _check_sizes(self, spatial, input):
        pass

    def updateOutput(self, input):
        plan, out_sizes = self._plan(input)
        xp = input.xp
        y = input.array
        nd = len(plan)
        for i, (index, valid) in enumerate(plan):
            axis = y.ndim - nd + i
            y = xp.take(y, index, axis=axis)
            if valid is not None:
                shape = [1] * y.ndim
                shape[axis] = valid.shape[0]
                y = y * valid.reshape(shape).astype(y.dtype)
        out = self.bufferLike('output', input, tuple(input.size())[:-nd] + out_sizes)
        out[...] = y
        return self.output

    def updateGradInput(self, input, gradOutput):
        plan, _ = self._plan(input)
        self.checkGradOutput(gradOutput, self.output)
        xp = input.xp
        g = gradOutput.array
        nd = len(plan)
        for i, (index, valid) in enumerate(plan):
            axis = g.ndim - nd + i
            n = input.size(axis)
            gather = (index[:, None] == xp.arange(n)[None, :]).astype(g.dtype)     # (n_out, n_in)
            if valid is not None:
                gather *= valid[:, None]
            g = xp.moveaxis(xp.moveaxis(g, axis, -1) @ gather, -1, axis)
        self.bufferLike('gradInput', input)[...] = g
        return self.gradInput


class _SpatialPadding(_Padding):
    _names = ('pad_l', 'pad_r', 'pad_t', 'pad_b')

    def __init__(self, pad_l, pad_r=None, pad_t=None, pad_b=None):
        pad_r = pad_l if pad_r is None else pad_r
        pad_t = pad_l if pad_t is None else pad_t
        pad_b = pad_l if pad_b is None else pad_b
        super().__init__(pad_l, pad_r, pad_t, pad_b)
        self.pad_l, self.pad_r, self.pad_t, self.pad_b = pad_l, pad_r, pad_t, pad_b

    @property
    def _pads(self):
        return ((self.pad_t, self.pad_b), (self.pad_l, self.pad_r))

    def __repr__(self):
        return f"{lua_typename(self)}(l={self.pad_l}, r={self.pad_r}, t={self.pad_t}, b={self.pad_b})"


class SpatialZeroPadding(_SpatialPadding):
    """Pads ``(nPlanes, H, W)`` (or batched) with zeros: ``SpatialZeroPadding(pad_l, pad_r=pad_l, pad_t=pad_l,
    pad_b=pad_l)``; output ``(nPlanes, H + pad_t + pad_b, W + pad_l + pad_r)``; negative values crop."""

    input_dtypes = 'any'  # moves values without arithmetic, so any element type (SpatialZeroPadding.lua's copy)

    def _source(self, xp, n, before, after):
        index = xp.arange(-before, n + after)
        valid = (index >= 0) & (index < n)
        return xp.clip(index, 0, n - 1), valid


class SpatialReflectionPadding(_SpatialPadding):
    """Pads ``(nPlanes, H, W)`` (or batched) with the mirror image of the border (border not repeated):
    ``SpatialReflectionPadding(pad_l, pad_r=pad_l, pad_t=pad_l, pad_b=pad_l)``; each pad must be smaller than
    the padded dimension."""

    def _source(self, xp, n, before, after):
        index = xp.abs(xp.arange(-before, n + after))
        return xp.where(index > n - 1, 2 * (n - 1) - index, index), None

    def _check_sizes(self, spatial, input):
        for n, (b, a), axis in zip(spatial, self._pads, ('height', 'width')):
            if b >= n or a >= n:
                raise input_error(self, f"padding smaller than the input {axis} ({n})",
                                  f"padding ({b}, {a}) for input of size {tuple(input.size())}")


class SpatialReplicationPadding(_SpatialPadding):
    """Pads ``(nPlanes, H, W)`` (or batched) by repeating the border pixels:
    ``SpatialReplicationPadding(pad_l, pad_r=pad_l, pad_t=pad_l, pad_b=pad_l)``."""

    def _source(self, xp, n, before, after):
        return xp.clip(xp.arange(-before, n + after), 0, n - 1), None


class VolumetricReplicationPadding(SpatialReplicationPadding):
    """Pads ``(nPlanes, T, H, W)`` (or batched) by repeating the border voxels:
    ``VolumetricReplicationPadding(pleft, pright=pleft, ptop=pleft, pbottom=pleft, pfront=pleft, pback=pleft)``;
    output ``(nPlanes, T + pfront + pback, H + ptop + pbottom, W + pleft + pright)``."""

    ranks = (4, 5)
    _names = ('pleft', 'pright', 'ptop', 'pbottom', 'pfront', 'pback')

    def __init__(self, pleft, pright=None, ptop=None, pbottom=None, pfront=None, pback=None):
        pads = [pleft] + [pleft if p is None else p for p in (pright, ptop, pbottom, pfront, pback)]
        _Padding.__init__(self, *pads)
        self.pleft, self.pright, self.ptop, self.pbottom, self.pfront, self.pback = pads

    @property
    def _pads(self):
        return ((self.pfront, self.pback), (self.ptop, self.pbottom), (self.pleft, self.pright))

    def __repr__(self):
        return (f"{lua_typename(self)}(left={self.pleft}, right={self.pright}, top={self.ptop}, "
                f"bottom={self.pbottom}, front={self.pfront}, back={self.pback})")
