"""Nearest-neighbour up-sampling (SpatialUpSamplingNearest, fbnn's Upsample), Torch7's bilinear interpolation as a
matrix along one axis (SpatialUpSamplingBilinear, UpSampling), and nnx's bilinear resampling with its C arithmetic
(SpatialReSampling, SpatialUniformCrop's scaled crops)."""
import functools

import numpy as np

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


def interpolation_matrix(xp, n_in, n_out, dtype):
    """(n_out, n_in) weights of Torch7's bilinear rule along one axis (corners aligned)."""
    ratio = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    pos = xp.arange(n_out, dtype=xp.float64) * ratio
    low = xp.floor(pos).astype(xp.int64)
    frac = pos - low
    high = xp.minimum(low + 1, n_in - 1)
    cols = xp.arange(n_in)[None, :]
    m = (cols == low[:, None]) * (1 - frac)[:, None] + (cols == high[:, None]) * frac[:, None]
    return m.astype(dtype)


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
