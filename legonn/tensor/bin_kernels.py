"""Pooling over rectangular bins of irregular sizes, on NumPy or CuPy: each output cell ``(i, j)`` covers input
rows ``rows[0][i] <= y < rows[1][i]`` and columns ``cols[0][j] <= x < cols[1][j]`` (nnx's SpatialMaxSampling grid,
inn's ROIPooling bins, inn's stochastic pooling windows clipped at the border).

The bins are gathered into one padded array ``(..., oh, ow, K)``, K the largest bin's area, with a mask of the
real entries, so every cell is reduced at once whatever its size; bounds come as host (NumPy) integer arrays."""
import numpy as np

from .scatter_kernels import scatter_add


def bin_positions(rows, cols, height, width):
    """(flat input position ``y * width + x`` of each bin entry, mask of the real entries), both ``(oh, ow, K)``
    NumPy arrays; padding entries point at position 0 and are masked out."""
    (ys, ye), (xs, xe) = rows, cols
    kh = max(int((ye - ys).max(initial=0)), 1)
    kw = max(int((xe - xs).max(initial=0)), 1)
    r = ys[:, None] + np.arange(kh)                                      # (oh, kh)
    c = xs[:, None] + np.arange(kw)                                      # (ow, kw)
    valid = ((r < ye[:, None]) & (r < height))[:, None, :, None] & ((c < xe[:, None]) & (c < width))[None, :, None, :]
    flat = np.where(valid, np.clip(r, 0, height - 1)[:, None, :, None] * width +
                    np.clip(c, 0, width - 1)[None, :, None, :], 0)
    oh, ow = len(ys), len(xs)
    return flat.reshape(oh, ow, kh * kw), valid.reshape(oh, ow, kh * kw)


def gather_bins(xp, planes, positions):
    """``planes`` ``(..., H, W)`` gathered at ``positions`` ``(oh, ow, K)`` (host or ``xp`` array): ``(..., oh,
    ow, K)``."""
    lead = planes.shape[:-2]
    flat = planes.reshape(lead + (-1,))
    return flat[..., xp.asarray(positions.reshape(-1))].reshape(lead + positions.shape)


def bin_max(xp, planes, rows, cols, start=-np.inf):
    """Max of each bin of ``planes`` ``(..., H, W)`` as the C loops take it, ``if (v > maxval)`` from ``maxval =
    start``: (values ``(..., oh, ow)``, flat input position of the first maximum in row-major order). A NaN never
    wins (it compares false); a bin where nothing exceeds ``start`` gives ``start`` and position -1, an empty bin
    0 and -1."""
    positions, valid = (xp.asarray(a) for a in bin_positions(rows, cols, planes.shape[-2], planes.shape[-1]))
    windows = gather_bins(xp, planes, positions)
    candidate = valid & (windows > np.float64(start))   # a strong scalar: a half input compares without overflow
    windows = xp.where(candidate, windows, -xp.inf)
    best = windows.argmax(axis=-1)
    values = xp.take_along_axis(windows, best[..., None], -1)[..., 0]
    where = xp.take_along_axis(xp.broadcast_to(positions, windows.shape), best[..., None], -1)[..., 0]
    found = candidate.any(-1)
    values = xp.where(found, values, xp.where(valid.any(-1), start, 0)).astype(planes.dtype, copy=False)
    return values, xp.where(found, where, -1)


def scatter_bins(xp, grad_planes, where, grad):
    """``grad_planes`` ``(..., H, W)`` += ``grad`` ``(..., oh, ow)`` at the flat positions ``where`` (same shape as
    ``grad``; -1 entries are skipped): the backward pass of ``bin_max``. ``grad_planes`` must be contiguous."""
    lead = grad_planes.shape[:-2]
    area = grad_planes.shape[-2] * grad_planes.shape[-1]
    planes = int(np.prod(lead, dtype=np.int64))
    base = (xp.arange(planes) * area).reshape(lead + (1, 1))
    keep = where >= 0
    scatter_add(grad_planes.reshape(-1), (base + where)[keep], grad[keep])
    return grad_planes
