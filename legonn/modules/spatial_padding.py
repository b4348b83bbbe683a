"""Padding of image planes and volumes: SpatialZeroPadding, SpatialReflectionPadding,
SpatialReplicationPadding, VolumetricReplicationPadding.

Negative padding crops, as in Torch7. Each padded axis is done in turn: the interior is one slice copy, and
each border position (at most the pad's width) copies its source row (reflection, replication) or zeros.
The backward pass is the transpose: the interior's gradient is a slice, and each border position adds its
gradient into its source, so repeated sources sum and a NaN or inf stays in the rows THNN's loops put it in.
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

    def _source(self, n, before, after):
        """The input position each output position copies along an axis of length n, as a host list (the border
        loops read it without touching the device); None where the border is zeros."""
        raise NotImplementedError

    def _plan(self, input):
        """Per padded axis, outermost first: (axis, input length n, output length, the interior's output run
        (lo, hi) and input run (s0, s1), the sources of the border positions or None)."""
        self.checkTensor(input, self.ranks)
        nd = len(self._pads)
        spatial = tuple(input.size())[-nd:]
        out = tuple(n + b + a for n, (b, a) in zip(spatial, self._pads))
        if min(out) < 1:
            raise input_error(self, "padding that leaves a non-empty output", f"an output of {out} from input of "
                              f"size {tuple(input.size())}")
        self._check_sizes(spatial, input)
        plan = []
        for i, (n, (before, after), n_out) in enumerate(zip(spatial, self._pads, out)):
            # output positions lo..hi-1 copy input positions lo-before..hi-before-1 one to one
            lo = min(max(before, 0), n_out)
            hi = max(lo, min(n_out, n + before))
            s0, s1 = (lo - before, hi - before) if hi > lo else (0, 0)
            plan.append((input.dim() - nd + i, n, n_out, (lo, hi), (s0, s1), self._source(n, before, after)))
        return plan, out

    def _check_sizes(self, spatial, input):
        pass

    def updateOutput(self, input):
        plan, out_sizes = self._plan(input)
        y = input.array
        output = self.bufferLike('output', input, tuple(input.size())[:-len(plan)] + out_sizes)
        for axis, n, n_out, (lo, hi), (s0, s1), source in plan:
            on = _on_axis(axis)
            padded = output if axis == output.ndim - 1 else input.xp.empty(y.shape[:axis] + (n_out,) +
                                                                            y.shape[axis + 1:], y.dtype)
            padded[on(slice(lo, hi))] = y[on(slice(s0, s1))]
            if source is None:
                padded[on(slice(0, lo))] = 0
                padded[on(slice(hi, n_out))] = 0
            else:
                for o in _border(lo, hi, n_out):
                    padded[on(o)] = y[on(source[o])]
            y = padded
        return self.output

    def updateGradInput(self, input, gradOutput):
        plan, _ = self._plan(input)
        self.checkGradOutput(gradOutput, self.output)
        g = gradOutput.array
        grad_input = self.bufferLike('gradInput', input)
        first_axis = plan[0][0]
        for axis, n, n_out, (lo, hi), (s0, s1), source in reversed(plan):
            on = _on_axis(axis)
            folded = grad_input if axis == first_axis else input.xp.empty(g.shape[:axis] + (n,) + g.shape[axis + 1:],
                                                                          g.dtype)
            folded[on(slice(0, s0))] = 0
            folded[on(slice(s0, s1))] = g[on(slice(lo, hi))]
            folded[on(slice(s1, n))] = 0
            if source is not None:
                for o in _border(lo, hi, n_out):
                    folded[on(source[o])] += g[on(o)]
            g = folded
        return self.gradInput


def _on_axis(axis):
    """``on(k)``: the index tuple that picks ``k`` (a position or a slice) along ``axis``."""
    return lambda k: (slice(None),) * axis + (k,)


def _border(lo, hi, n_out):
    """The output positions outside the interior run [lo, hi) along an axis of n_out positions."""
    return [*range(lo), *range(hi, n_out)]


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

    def _source(self, n, before, after):
        return None


class SpatialReflectionPadding(_SpatialPadding):
    """Pads ``(nPlanes, H, W)`` (or batched) with the mirror image of the border (border not repeated):
    ``SpatialReflectionPadding(pad_l, pad_r=pad_l, pad_t=pad_l, pad_b=pad_l)``; each pad must be smaller than
    the padded dimension."""

    def _source(self, n, before, after):
        mirrored = (abs(p) for p in range(-before, n + after))
        return [2 * (n - 1) - p if p > n - 1 else p for p in mirrored]

    def _check_sizes(self, spatial, input):
        for n, (b, a), axis in zip(spatial, self._pads, ('height', 'width')):
            if b >= n or a >= n:
                raise input_error(self, f"padding smaller than the input {axis} ({n})",
                                  f"padding ({b}, {a}) for input of size {tuple(input.size())}")


class SpatialReplicationPadding(_SpatialPadding):
    """Pads ``(nPlanes, H, W)`` (or batched) by repeating the border pixels:
    ``SpatialReplicationPadding(pad_l, pad_r=pad_l, pad_t=pad_l, pad_b=pad_l)``."""

    def _source(self, n, before, after):
        return [min(max(p, 0), n - 1) for p in range(-before, n + after)]


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
