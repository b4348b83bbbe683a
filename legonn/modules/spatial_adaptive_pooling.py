"""Adaptive 2-D pooling: the window sizes adapt so the output is always oH x oW.

Output cell i along an axis of input length I pools input positions
floor(i I / O) .. ceil((i + 1) I / O) - 1 (Torch7's rule).
"""
import numpy as np

from ..tensor import Tensor
from ..tensor.scatter_kernels import scatter_add
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module
from .base.batching import batched


def adaptive_bounds(size, out):
    """(start, end) arrays of the adaptive windows along one axis."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


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

    Averaging is separable, so it is two small matrix products (rows then columns).
    """

    def _matrix(self, size, out, xp, dtype):
        start, end = adaptive_bounds(size, out)
        pos = np.arange(size)
        m = ((pos >= start[:, None]) & (pos < end[:, None])) / (end - start)[:, None]
        return xp.asarray(m.astype(dtype))

    def updateOutput(self, input):
        x = self._check(input)
        xp = input.xp
        a_h = self._matrix(x.shape[2], self.H, xp, x.dtype)
        a_w = self._matrix(x.shape[3], self.W, xp, x.dtype)
        out = self._out('output', input, tuple(input.size())[:-2] + (self.H, self.W))
        # BLAS rounds differently on strided operands: a contiguous copy makes a transposed input give
        # exactly the contiguous input's result, as THNN's loops do (nn/test.lua compares them with ==)
        xp.matmul(xp.matmul(a_h, xp.ascontiguousarray(x)), a_w.T, out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, go = self._check(input, gradOutput)
        xp = input.xp
        a_h = self._matrix(x.shape[2], self.H, xp, x.dtype)
        a_w = self._matrix(x.shape[3], self.W, xp, x.dtype)
        gi = self._out('gradInput', input, tuple(input.size()))
        xp.matmul(xp.matmul(a_h.T, xp.ascontiguousarray(go)), a_w, out=gi)
        return self.gradInput


class SpatialAdaptiveMaxPooling(_Adaptive2d):
    """Maximum over adaptive windows. ``SpatialAdaptiveMaxPooling(W, H)``; ``indices`` holds, per output,
    the flat 0-based position of the maximum in its input plane.

    A Python loop over whichever is shorter: the offsets inside the largest window (each step one gather of
    every window's element) or the output cells (each step one window reduced for every plane): a global
    pooling of a 64x64 map is one reduction, not 4096 gathers.
    """

    def updateOutput(self, input):
        x = self._check(input)
        xp = input.xp
        n, c, h, w = x.shape
        hs, he = adaptive_bounds(h, self.H)
        ws, we = adaptive_bounds(w, self.W)
        out = self._out('output', input, tuple(input.size())[:-2] + (self.H, self.W))
        if self.H * self.W < int((he - hs).max()) * int((we - ws).max()):
            best_idx = self._by_cells(xp, x, out, hs, he, ws, we)
            self.indices = Tensor._from_array(best_idx if input.dim() == 4 else best_idx[0])
            return self.output
        best_idx = None
        for jh in range(int((he - hs).max())):
            rows = np.minimum(hs + jh, he - 1)   # short windows repeat their last element: harmless for a max
            for jw in range(int((we - ws).max())):
                cols = np.minimum(ws + jw, we - 1)
                flat = xp.asarray(rows[:, None] * w + cols[None, :])
                v = x.reshape(n, c, h * w)[:, :, flat]
                if best_idx is None:
                    out[...] = v
                    best_idx = xp.broadcast_to(flat, out.shape).copy()
                    continue
                # THNN and THCUNN keep a value only when ``val > maxval``: a NaN never wins over a number;
                # ``out != out`` lets any value replace a NaN first element
                wins = (v > out) | (out != out)
                xp.copyto(out, v, where=wins)
                xp.copyto(best_idx, xp.broadcast_to(flat, out.shape), where=wins)
        self.indices = Tensor._from_array(best_idx if input.dim() == 4 else best_idx[0])
        return self.output

    def _by_cells(self, xp, x, out, hs, he, ws, we):
        """Fills ``out`` (N, C, H, W) cell by cell; returns the flat in-plane indices of the maxima. THNN's
        scan (row by row, ``val > maxval`` replacing, a NaN first element replaced by anything) keeps the first
        maximum of the numbers, or the window's last element when all are NaN."""
        n, c, h, w = x.shape
        best_idx = xp.empty(out.shape, dtype=np.int64)
        for i in range(self.H):
            for j in range(self.W):
                win = x[:, :, hs[i]:he[i], ws[j]:we[j]].reshape(n, c, -1)
                nan = win != win
                top = xp.where(nan, -xp.inf, win).max(axis=2, keepdims=True) if win.dtype.kind == 'f' else \
                    win.max(axis=2, keepdims=True)
                hit = win == top   # never at a NaN, so a real -inf is found where NaNs precede it
                k = xp.where(hit.any(axis=2), hit.argmax(axis=2), win.shape[2] - 1)
                out[:, :, i, j] = xp.take_along_axis(win, k[:, :, None], axis=2)[:, :, 0]
                span = int(we[j] - ws[j])
                best_idx[:, :, i, j] = (hs[i] + k // span) * w + ws[j] + k % span
        return best_idx

    def updateGradInput(self, input, gradOutput):
        x, go = self._check(input, gradOutput)
        # the indices are positions in the planes forward saw: another plane size would misplace them
        self.checkForwardInput(input)
        xp = input.xp
        n, c, h, w = x.shape
        gi = self._out('gradInput', input, tuple(input.size()))
        gi.fill(0)
        idx = self.indices.array.reshape(n * c, -1) + (xp.arange(n * c) * (h * w))[:, None]
        scatter_add(gi.reshape(-1), idx.reshape(-1), go.reshape(-1))
        return self.gradInput

    def clearState(self):
        return super().clearState('indices')
