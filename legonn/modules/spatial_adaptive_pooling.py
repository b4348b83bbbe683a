"""Adaptive 2-D pooling: the window sizes adapt so the output is always oH x oW.

Output cell i along an axis of input length I pools input positions
floor(i I / O) .. ceil((i + 1) I / O) - 1 (Torch7's rule); the max pooling computes those bounds in float32,
as THNN and THCUNN do, which widens some windows by one (``float_bounds``).
"""
import numpy as np

from ..tensor import Tensor
from ..tensor import pool_kernels as pk
from ..tensor.reductions import reducer
from ..tensor.scatter_kernels import scatter_add
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module
from .base.batching import batched


def adaptive_bounds(size, out):
    """(start, end) arrays of the adaptive windows along one axis."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def float_bounds(size, out):
    """(start, end) arrays of SpatialAdaptiveMaxPooling's windows along one axis, computed in float32 as THNN's
    SpatialAdaptiveMaxPooling.c:27-35 and THCUNN's kernel do: floor((float)i / O * I), ceil((float)(i + 1) / O
    * I). The rounded i / O can move an edge past the exact one: 25 inputs to 5 outputs make the third window
    rows 10..15 (``adaptive_bounds``: 10..14), overlapping the fourth."""
    edge = np.arange(out + 1, dtype=np.float32) / np.float32(out) * np.float32(size)
    return np.floor(edge[:-1]).astype(np.int64), np.ceil(edge[1:]).astype(np.int64)


class _Adaptive2d(Module):
    positive_ints = ('W', 'H')
    def __init__(self, W, H):
        super().__init__()
        self.checkHyper(W=W, H=H)
        self.W, self.H = W, H

    def _check(self, input, gradOutput=None):
        x, _ = batched(self, input, (3, 4))
        if gradOutput is None:
            return x
        expected = tuple(input.size())[:-2] + (self.H, self.W)
        if not hasattr(gradOutput, 'size') or tuple(gradOutput.size()) != expected:
            raise input_error(self, f"gradOutput of size {expected}", tuple(getattr(gradOutput, 'size', tuple)()))
        self.checkSameType(gradOutput, input, 'gradOutput')
        return x, batched(self, gradOutput, (3, 4), 'gradOutput')[0]

    def _out(self, name, input, sizes):
        arr = self.bufferLike(name, input, sizes)
        return arr if arr.ndim == 4 else arr[None]

    def __repr__(self):
        return f"{lua_typename(self)}({self.W}x{self.H})"


class SpatialAdaptiveAveragePooling(_Adaptive2d):
    """Mean over adaptive windows. ``SpatialAdaptiveAveragePooling(W, H)``; input (C, iH, iW) or (N, C, iH, iW).

    Averaging is separable: window sums over rows, then over columns, divided by kW then kH as THNN's loop.
    Each window is a slice (not a product with a 0/1 window matrix, whose zeros turn an inf or NaN pixel into
    NaN in every output of its row and column; THNN's loop only reads the windows that hold the pixel).
    """

    def updateOutput(self, input):
        # summed from a contiguous copy: a strided input then sums in the same order, hence to the same bits,
        # as its contiguous copy (THNN's loops; nn/test.lua compares them with ==)
        x = input.xp.ascontiguousarray(self._check(input))
        (ys, ye), (xs, xe) = adaptive_bounds(x.shape[2], self.H), adaptive_bounds(x.shape[3], self.W)
        rows = input.xp.empty(x.shape[:2] + (self.H, x.shape[3]), dtype=x.dtype)
        total = reducer(input.xp, 'sum')   # silent on inf - inf, as THNN's sums
        for i in range(self.H):
            total(x[:, :, ys[i]:ye[i]], axis=2, out=rows[:, :, i])
        out = self._out('output', input, tuple(input.size())[:-2] + (self.H, self.W))
        for j in range(self.W):
            total(rows[..., xs[j]:xe[j]], axis=3, out=out[..., j])
        out /= input.xp.asarray((xe - xs).astype(x.dtype))
        out /= input.xp.asarray((ye - ys).astype(x.dtype))[:, None]
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, go = self._check(input, gradOutput)
        xp = input.xp
        (ys, ye), (xs, xe) = adaptive_bounds(x.shape[2], self.H), adaptive_bounds(x.shape[3], self.W)
        g = go / xp.asarray((xe - xs).astype(x.dtype)) / xp.asarray((ye - ys).astype(x.dtype))[:, None]
        cols = xp.zeros(x.shape[:2] + (self.H, x.shape[3]), dtype=x.dtype)
        for j in range(self.W):   # each output's share spread over its window's columns, then its rows
            cols[..., xs[j]:xe[j]] += g[..., j:j + 1]
        gi = self._out('gradInput', input, tuple(input.size()))
        gi[...] = 0
        for i in range(self.H):
            gi[:, :, ys[i]:ye[i]] += cols[:, :, i:i + 1]
        return self.gradInput


class SpatialAdaptiveMaxPooling(_Adaptive2d):
    """Maximum over adaptive windows. ``SpatialAdaptiveMaxPooling(W, H)``; ``indices`` holds, per output,
    the flat 0-based position of the maximum in its input plane, -1 for a window of NaNs and -infs (output
    -inf, no gradient). The windows are bounded in float32 as Torch7's (``float_bounds``).

    A Python loop over whichever is shorter: the offsets inside the largest window (each step one gather of
    every window's element) or the output cells (each step one window reduced for every plane): a global
    pooling of a 64x64 map is one reduction, not 4096 gathers.
    """

    def updateOutput(self, input):
        x = self._check(input)
        xp = input.xp
        n, c, h, w = x.shape
        hs, he = float_bounds(h, self.H)
        ws, we = float_bounds(w, self.W)
        out = self._out('output', input, tuple(input.size())[:-2] + (self.H, self.W))
        # THNN and THCUNN keep a value only when ``val > maxval``: a NaN never wins; a window of NaNs and -infs
        # has no winner (index -1, no gradient). THNN starts from -FLT_MAX, not -inf, and puts that window's
        # gradient beside it (its -1 splits into row 0, column -1): legonn keeps the other poolings' -inf and -1
        if self.H * self.W < int((he - hs).max()) * int((we - ws).max()):
            best_idx = self._by_cells(xp, x, out, hs, he, ws, we)
            self.indices = Tensor._from_array(best_idx if input.dim() == 4 else best_idx[0])
            return self.output
        out.fill(pk.lowest(out.dtype))
        best_idx = xp.full(out.shape, -1, dtype=np.int64)
        for jh in range(int((he - hs).max())):
            rows = np.minimum(hs + jh, he - 1)   # short windows repeat their last element: harmless for a max
            for jw in range(int((we - ws).max())):
                cols = np.minimum(ws + jw, we - 1)
                flat = xp.asarray(rows[:, None] * w + cols[None, :])
                v = x.reshape(n, c, h * w)[:, :, flat]
                wins = v > out
                xp.copyto(out, v, where=wins)
                xp.copyto(best_idx, xp.broadcast_to(flat, out.shape), where=wins)
        self.indices = Tensor._from_array(best_idx if input.dim() == 4 else best_idx[0])
        return self.output

    def _by_cells(self, xp, x, out, hs, he, ws, we):
        """Fills ``out`` (N, C, H, W) cell by cell; returns the flat in-plane indices of the maxima: the scan's
        rule above (the first maximum above the type's lowest value, NaNs never winning; -1 and that lowest value
        where nothing wins), one window reduced for every plane at a time."""
        n, c, h, w = x.shape
        low = pk.lowest(x.dtype)
        best_idx = xp.empty(out.shape, dtype=np.int64)
        for i in range(self.H):
            for j in range(self.W):
                win = x[:, :, hs[i]:he[i], ws[j]:we[j]].reshape(n, c, -1)
                if win.dtype.kind == 'f':
                    win = xp.where(win != win, low, win)
                top = win.max(axis=2)
                k = (win == top[:, :, None]).argmax(axis=2)   # the first of the maxima, in the scan's row order
                won = top > low
                span = int(we[j] - ws[j])
                out[:, :, i, j] = xp.where(won, top, low)
                best_idx[:, :, i, j] = xp.where(won, (hs[i] + k // span) * w + ws[j] + k % span, -1)
        return best_idx

    def updateGradInput(self, input, gradOutput):
        x, go = self._check(input, gradOutput)
        # the indices are positions in the planes forward saw: another plane size would misplace them
        self.checkForwardInput(input)
        xp = input.xp
        n, c, h, w = x.shape
        gi = self._out('gradInput', input, tuple(input.size()))
        gi.fill(0)
        idx = self.indices.array.reshape(n * c, -1)
        won = idx >= 0
        idx = xp.where(won, idx, 0) + (xp.arange(n * c) * (h * w))[:, None]
        scatter_add(gi.reshape(-1), idx.reshape(-1), xp.where(won, go.reshape(n * c, -1), 0).reshape(-1))
        return self.gradInput

    def clearState(self):
        return super().clearState('indices')
