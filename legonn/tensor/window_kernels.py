"""Sliding windows over arbitrary axes of an array, for layers whose layout is not (N, C, *spatial).

``conv_kernels``/``pool_kernels`` serve channel-first data; these helpers take
any list of axes (frames of a ``(N, T, F)`` sequence, the rows of an image
used by a local correlation): ``sliding_windows`` is a zero-copy strided view
of every window and ``scatter_windows`` its adjoint, one vectorised slice-add
per kernel offset (never a loop over batch elements or outputs). Both take
their array module from their arguments, so they run on NumPy and CuPy.
"""
from .backend import array_module
from .conv_kernels import kernel_offsets


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
    for offset in kernel_offsets(ksize):
        index = [slice(None)] * target.ndim
        for ax, o, n, s, d in zip(axes, offset, counts, stride, dilation):
            start = o * d
            index[ax] = slice(start, start + s * (n - 1) + 1, s)
        target[tuple(index)] += cols[(Ellipsis,) + tuple(offset)]
