"""Nearest-neighbour up-sampling (SpatialUpSamplingNearest, fbnn's Upsample), Torch7's linear interpolation one
axis at a time (SpatialUpSamplingBilinear, UpSampling), and nnx's bilinear resampling with its C arithmetic
(SpatialReSampling, SpatialUniformCrop's scaled crops)."""
import functools

import numpy as np

from .backend import array_module
from .scatter_kernels import scatter_add


def repeat_pixels(x, scale, out):
    """Each pixel of ``x`` (``(..., H, W)``) repeated ``scale x scale`` times into ``out``, a contiguous
    ``(..., H * scale, W * scale)`` array of the same module; returns ``out``."""
    lead, (h, w) = x.shape[:-2], x.shape[-2:]
    out.reshape(lead + (h, scale, w, scale))[...] = x[..., :, None, :, None]
    return out


def sum_pixel_blocks(grad, scale, out):
    """``repeat_pixels``'s gradient: each ``scale x scale`` block of ``grad`` (``(..., H * scale, W * scale)``)
    summed into ``out`` (``(..., H, W)``); returns ``out``."""
    lead, (h, w) = out.shape[:-2], out.shape[-2:]
    grad.reshape(lead + (h, scale, w, scale)).sum(axis=(-3, -1), out=out)
    return out


def _linear_axis(xp, n_in, n_out, dtype):
    """Torch7's linear rule along one axis (corners aligned): each output position's low input neighbour, its
    high one (the low one again on the last input, as the C's ``h1p``), and their weights ``1 - frac`` and
    ``frac``."""
    ratio = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    pos = np.arange(n_out) * ratio
    low = pos.astype(np.int64)
    high = np.minimum(low + 1, n_in - 1)
    frac = (pos - low).astype(dtype)
    return xp.asarray(low), xp.asarray(high), xp.asarray(dtype.type(1) - frac), xp.asarray(frac)


def _along(weights, axis, ndim):
    return weights.reshape(weights.shape + (1,) * (ndim - 1 - axis % ndim))


def interpolate_linear(xp, x, out_sizes):
    """Torch7's (bi/tri)linear up-sampling with aligned corners of the last ``len(out_sizes)`` axes of ``x``:
    a new array. Equal sizes copy (the C's special case); otherwise, as the C's
    ``h0 * (w0 * x[h, w] + w1 * x[h, w + 1]) + h1 * (...)``, the last axis is interpolated first, each output
    reading its two neighbours only (a product with a dense interpolation matrix cost O(n_in) per output and
    turned one inf or NaN input into NaN across whole rows)."""
    k = len(out_sizes)
    if x.shape[-k:] == tuple(out_sizes):
        return x.copy()
    for axis in range(-1, -k - 1, -1):
        low, high, w0, w1 = _linear_axis(xp, x.shape[axis], out_sizes[axis], x.dtype)
        x = (_along(w0, axis, x.ndim) * xp.take(x, low, axis=axis)
             + _along(w1, axis, x.ndim) * xp.take(x, high, axis=axis))
    return x


def interpolate_linear_grad(xp, g, in_sizes):
    """``interpolate_linear``'s gradient: ``g`` (..., *out_sizes) to a new (..., *in_sizes) array, each output's
    gradient added to its two neighbours with their weights along each axis (THNN's ``updateGradInput``)."""
    k = len(in_sizes)
    if g.shape[-k:] == tuple(in_sizes):
        return g.copy()
    for axis in range(-k, 0):
        low, high, w0, w1 = _linear_axis(xp, in_sizes[axis], g.shape[axis], g.dtype)
        moved = xp.moveaxis(g, axis, 0)
        acc = xp.zeros((in_sizes[axis],) + moved.shape[1:], dtype=g.dtype)
        _add_rows(acc, low, _along(w0, 0, moved.ndim) * moved)
        _add_rows(acc, high, _along(w1, 0, moved.ndim) * moved)
        g = xp.moveaxis(acc, 0, axis)
    return g


def _add_rows(acc, rows, values):
    """``acc[rows[j]] += values[j]`` for non-decreasing ``rows``: on the host one ``add.reduceat`` per run of
    equal rows (``np.add.at`` is several times slower), on the GPU atomic adds."""
    if array_module(acc) is not np:
        scatter_add(acc, rows, values)
        return
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    acc[rows[starts]] += np.add.reduceat(values, starts, axis=0)


def _resampling_axis(xp, n_in, n_out):
    """Along one axis, as nnx's C computes it in single precision: (low neighbour, clamped high neighbour,
    weight of the high one ``pos - low``, weight of the low one ``low + 1 - pos``), each of length ``n_out``;
    ``pos = ((n_in - 1) / (n_out - 1)) * i`` puts the first and last output pixels on the input's corners."""
    ratio = np.float32(n_in - 1) / np.float32(n_out - 1)
    pos = xp.arange(n_out, dtype=xp.float32) * ratio
    low = xp.floor(pos)
    index = low.astype(xp.int64)
    return index, xp.minimum(index + 1, n_in - 1), pos - low, (low + 1) - pos


@functools.lru_cache(maxsize=64)
def _resampling_taps(xp, ih, iw, oh, ow, dtype):
    """The four neighbours of each output pixel in nnx's order nw, ne, sw, se: their flat indices into an ih*iw
    plane and their weights (each (oh, ow), weights in ``dtype``), and the indices flattened pixel by pixel, tap
    by tap ((oh * ow * 4,), the order the C's backward adds in). Made once per sizes and type, shared by every
    call: never write into them. The C's surfaces nw = (ix_se-ix)*(iy_se-iy), ne = (ix-ix_sw)*(iy_sw-iy),
    sw = (ix_ne-ix)*(iy-iy_ne), se = (ix-ix_nw)*(iy-iy_nw) are single-precision products taken before they meet
    the input."""
    y0, y1, fy, gy = _resampling_axis(xp, ih, oh)
    x0, x1, fx, gx = _resampling_axis(xp, iw, ow)
    index = [r[:, None] * iw + c[None, :] for r, c in ((y0, x0), (y0, x1), (y1, x0), (y1, x1))]
    weights = [(a[None, :] * b[:, None]).astype(dtype) for a, b in ((gx, gy), (fx, gy), (gx, fy), (fx, fy))]
    flat_index = xp.stack([i.reshape(-1) for i in index], axis=1).reshape(-1)
    if xp is np:
        for a in index + weights + [flat_index]:
            a.flags.writeable = False
    return index, weights, flat_index


def resample_bilinear(xp, x, oh, ow):
    """nnx's SpatialReSampling forward: ``x`` (..., H, W) to a new (..., oh, ow) array, each output pixel the
    weighted sum of its four neighbours in the C's order (oh, ow >= 2)."""
    ih, iw = x.shape[-2:]
    index, weights, _ = _resampling_taps(xp, ih, iw, oh, ow, x.dtype)
    flat = x.reshape(x.shape[:-2] + (ih * iw,))
    total = flat[..., index[0]] * weights[0]
    for i, w in zip(index[1:], weights[1:]):
        total += flat[..., i] * w
    return total


def resample_bilinear_grad(xp, gradOutput, out):
    """nnx's SpatialReSampling backward: add into ``out`` (..., H, W), a contiguous array, the gradient of
    ``resample_bilinear`` for ``gradOutput`` (..., oh, ow), each output pixel's four contributions in the C's
    order; returns ``out``."""
    (ih, iw), (oh, ow) = out.shape[-2:], gradOutput.shape[-2:]
    _, weights, flat_index = _resampling_taps(xp, ih, iw, oh, ow, out.dtype)
    go = gradOutput.reshape(-1, oh * ow)
    values = xp.stack([go * w.reshape(-1) for w in weights], axis=2).reshape(go.shape[0], -1)
    scatter_add(out.reshape(-1, ih * iw).T, flat_index, values.T)
    return out
