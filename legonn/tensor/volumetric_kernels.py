"""Sliding-window kernels for any number of spatial axes (temporal 1-D, volumetric 3-D, ...).

Convolution and pooling here follow one recipe: take a zero-copy strided view
of every window (``sliding_windows``), copy it once into a column buffer and
run one (batched) GEMM or one reduction over it; the adjoint
(``scatter_windows``) adds columns back with one vectorised slice-add per
kernel offset (kT*kH*kW steps, never a loop over batch elements or outputs).
Every function takes its array module from its arguments, so the same code
runs on NumPy and CuPy.
"""
import math

from .backend import array_module


def pooled_size(size, k, stride, pad=0, dilation=1, ceil=False):
    """Number of windows along one axis (Torch7's floor/ceil rule).

    In ceil mode the last window must start inside the (left-padded) input,
    as THNN's ``ensure that the last pooling starts inside the image``.
    """
    span = dilation * (k - 1) + 1
    room = size + 2 * pad - span
    if room < 0:
        return 0
    n = (-(-room // stride) if ceil else room // stride) + 1
    if ceil and (n - 1) * stride >= size + pad:
        n -= 1
    return n


def padded(x, axes, pads, value=0):
    """A new array: ``x`` with ``pads[i] = (before, after)`` elements of ``value`` around axis ``axes[i]``."""
    xp = array_module(x)
    shape = list(x.shape)
    inner = [slice(None)] * x.ndim
    for ax, (lo, hi) in zip(axes, pads):
        shape[ax] += lo + hi
        inner[ax] = slice(lo, lo + x.shape[ax])
    out = xp.full(shape, value, dtype=x.dtype)
    out[tuple(inner)] = x
    return out


def sliding_windows(x, axes, ksize, stride, dilation=None, counts=None):
    """A strided view of ``x``'s windows (no copy).

    Each axis in ``axes`` becomes the number of window positions (``counts`` or
    as many as fit); one kernel axis per entry of ``axes`` is appended at the end.
    """
    xp = array_module(x)
    dilation = dilation or (1,) * len(axes)
    shape, strides = list(x.shape), list(x.strides)
    k_shape, k_strides = [], []
    for i, (ax, k, s, d) in enumerate(zip(axes, ksize, stride, dilation)):
        n = counts[i] if counts is not None else (x.shape[ax] - d * (k - 1) - 1) // s + 1
        k_shape.append(k)
        k_strides.append(x.strides[ax] * d)
        shape[ax] = n
        strides[ax] = x.strides[ax] * s
    return xp.lib.stride_tricks.as_strided(x, shape=tuple(shape + k_shape), strides=tuple(strides + k_strides))


def scatter_windows(target, cols, axes, ksize, stride, dilation=None):
    """Adjoint of ``sliding_windows``: ``target[window] += cols`` for every window, overlaps summed.

    ``cols`` has the shape of ``sliding_windows(target, ...)`` (it may be a
    broadcast view); ``target`` is updated in place.
    """
    dilation = dilation or (1,) * len(axes)
    counts = [cols.shape[ax] for ax in axes]
    nk = len(axes)
    for offset in _kernel_offsets(ksize):
        index = [slice(None)] * target.ndim
        for ax, o, n, s, d in zip(axes, offset, counts, stride, dilation):
            start = o * d
            index[ax] = slice(start, start + s * (n - 1) + 1, s)
        target[tuple(index)] += cols[(Ellipsis,) + tuple(offset)] if nk else cols


def _kernel_offsets(ksize):
    offsets = [()]
    for k in ksize:
        offsets = [o + (i,) for o in offsets for i in range(k)]
    return offsets


def unfold_columns(x, ksize, stride, pads, dilation, counts, out):
    """Fill ``out`` (N, C*prod(k), prod(counts)) with the windows of ``x`` (N, C, *spatial), zero padded.

    This is im2col for any number of spatial axes; one copy of the window view.
    """
    nsp = len(ksize)
    axes = tuple(range(2, 2 + nsp))
    src = padded(x, axes, [(p, p) for p in pads]) if any(pads) else x
    win = sliding_windows(src, axes, ksize, stride, dilation, counts)
    # (N, C, *out, *k) -> (N, C, *k, *out): kernel offsets next to channels, as Torch7's finput
    order = (0, 1) + tuple(range(2 + nsp, 2 + 2 * nsp)) + axes
    shaped = out.reshape((x.shape[0], x.shape[1]) + tuple(ksize) + tuple(counts))
    array_module(x).copyto(shaped, win.transpose(order))
    return out


def fold_columns(cols, channels, spatial, ksize, stride, pads, dilation, counts, out):
    """Adjoint of ``unfold_columns``: write into ``out`` (N, C, *spatial) the sum of columns over windows."""
    xp = array_module(cols)
    nsp = len(ksize)
    axes = tuple(range(2, 2 + nsp))
    n = cols.shape[0]
    full = tuple(s + 2 * p for s, p in zip(spatial, pads))
    acc = xp.zeros((n, channels) + full, dtype=out.dtype) if any(pads) else out
    if acc is out:
        out.fill(0)
    shaped = cols.reshape((n, channels) + tuple(ksize) + tuple(counts))
    order = (0, 1) + tuple(range(2 + nsp, 2 + 2 * nsp)) + tuple(range(2, 2 + nsp))
    scatter_windows(acc, shaped.transpose(order), axes, ksize, stride, dilation)
    if acc is not out:
        crop = (slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pads, spatial))
        out[...] = acc[crop]
    return out


def max_windows(x, ksize, stride, pads, dilation, counts):
    """Max over each window of ``x`` (N, C, *spatial); padding never wins.

    Returns (values (N, C, *counts), flat indices into the unpadded spatial
    volume, int64, same shape).
    """
    xp = array_module(x)
    nsp = len(ksize)
    axes = tuple(range(2, 2 + nsp))
    # padding holds -inf so it can only be chosen if a whole window is padding, which the sizes rule out
    src = padded(x, axes, [(p, p + s) for p, s in zip(pads, stride)], -xp.inf) if x.dtype.kind == 'f' else x
    win = sliding_windows(src, axes, ksize, stride, dilation, counts)
    k_total = math.prod(ksize)
    flat = win.reshape(win.shape[:2 + nsp] + (k_total,))
    arg = flat.argmax(axis=-1)
    values = xp.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    # turn (window position, offset in window) into a coordinate per axis, then into a flat index
    index = xp.zeros(arg.shape, dtype=xp.int64)
    rest = arg
    for i in reversed(range(nsp)):
        off = rest % ksize[i]
        rest = rest // ksize[i]
        pos_shape = [1] * arg.ndim
        pos_shape[2 + i] = counts[i]
        start = (xp.arange(counts[i], dtype=xp.int64) * stride[i] - pads[i]).reshape(pos_shape)
        coord = start + off * dilation[i]
        index += coord * math.prod(x.shape[3 + i:])
    return values, index


def scatter_flat(target, index, values):
    """``target`` (N, C, P) += ``values`` at ``index`` (N, C, Q) along the last axis, repeats summed."""
    xp = array_module(target)
    n, c, p = target.shape
    base = (xp.arange(n * c, dtype=xp.int64) * p).reshape(n, c, 1)
    flat = (index.reshape(n, c, -1) + base).reshape(-1)
    summed = xp.bincount(flat, weights=values.reshape(-1).astype(xp.float64), minlength=n * c * p)
    target += summed.reshape(n, c, p).astype(target.dtype, copy=False)
    return target
