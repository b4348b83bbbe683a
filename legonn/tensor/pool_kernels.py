"""Pooling kernels for any number of spatial axes (inputs ``(N, C, *spatial)``).

Each window reduction is a loop over kernel offsets (``prod(kernel)`` steps),
each step one vectorised operation on a strided slice holding that offset's
element of every window: no loop over batch elements or pixels and no copy
of the windows. Max pooling keeps, per output, the kernel offset that won
(``argmax``: uint8 on the CPU when the kernel has at most 255 offsets, else
int32; ``offset_dtype``), or the offset count ``prod(ksize)`` where nothing
won; ``max_pool_indices`` turns it into Torch7's flat index within the input
plane, -1 where nothing won. Backward passes are the same loops adding into the
gradient. All functions take their array module from their arguments (NumPy
or CuPy); on CuPy with 2-D spatial data the max and average pooling passes run
as single RawKernels from ``cuda_kernels``, and on NumPy float32/float64 data as
Numba kernels (``pool2d_kernels``) where a loop over each window pays
(``_window_loop_pays``; max pooling's backward always).
"""
import math

import numpy as np

from . import parallel, pool2d_kernels
from .backend import array_module
from .conv_kernels import _fits, _gpu_kernels, kernel_offsets, window_slice


def pool_output_size(size, k, stride, pad=0, dilation=1, ceil=False, trim=False):
    """Windows along one axis by Torch7's rule: floor (or ceil) of (size + 2 pad - span) / stride, plus one.

    With ``trim`` a last window starting beyond the left-padded input is
    dropped. THNN trims only when the module has padding, so ceil mode without
    it can leave a window that reads no input (-inf from max pooling); the
    legonn pooling modules always trim. The result may be <= 0.
    """
    room = size + 2 * pad - (dilation * (k - 1) + 1)
    n = (-(-room // stride) if ceil else room // stride) + 1
    if trim and (n - 1) * stride >= size + pad:
        n -= 1
    return n


def lowest(dtype):
    """The value padding holds in max pooling: -inf for floats, the minimum for integers."""
    return -np.inf if np.dtype(dtype).kind == 'f' else np.iinfo(dtype).min


def windows_source(x, ksize, stride, pad, dilation, counts, fill):
    """``x`` inside a border of ``fill`` wide enough for every window (``x`` itself when none is needed)."""
    spatial = x.shape[2:]
    hi = tuple(max(0, (n - 1) * s + d * (k - 1) + 1 - (sz + p))
               for n, s, d, k, sz, p in zip(counts, stride, dilation, ksize, spatial, pad))
    if not any(pad) and not any(hi):
        return x
    xp = array_module(x)
    src = xp.full(x.shape[:2] + tuple(sz + p + h for sz, p, h in zip(spatial, pad, hi)), fill, dtype=x.dtype)
    src[(Ellipsis,) + tuple(slice(p, p + sz) for p, sz in zip(pad, spatial))] = x
    return src


def _window_loop_pays(ksize, stride, counts):
    """Whether ``pool2d_kernels``' loop over each window beats the offset loop's NumPy passes (both on the CPU):
    for windows of 9 or more elements moved by 2 or more (strided views vectorise poorly: 3x3 stride-2 max
    pooling 5.5 -> 4.0 ms CPU time at 32x64x28x28) or about as many as the plane has windows (a global
    pooling, where the offset loop is a NumPy call per element of the window: 8x8 averages 0.26 -> 0.09 ms).
    Elsewhere the passes win: 2x2 windows of stride 2 (LeNet's, VGG's, DenseNet's; 1.0 against 2.2 ms for
    averages at 32x128x16x16) and 3x3 of stride 1 (Inception's; 4.9 against 7.4 ms for maxima at 32x64x16x16).
    Max pooling's backward is a loop over windows on every geometry (a scatter beats a pass an offset)."""
    taps = math.prod(ksize)
    return taps >= 9 and (min(stride) >= 2 or math.prod(counts) <= taps)


def _disjoint(ksize, stride, dilation):
    """True when no input element is read by two (window, offset) pairs: gradients can be assigned."""
    return all(s >= d * (k - 1) + 1 for k, s, d in zip(ksize, stride, dilation))


def _crop(acc, pad, spatial):
    return acc[(Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(pad, spatial))]


def _accumulator(out, shape, pad, spatial, ksize, stride, dilation, counts):
    """A zeroed array to add window gradients into: ``out`` itself when no border is needed. Half gradients add
    up in float32 and round once (THC's accreal for half is float): overlapping windows summed in half lose a
    rounding per window, past Torch7's half tolerance where a small stride stacks many of them."""
    xp = array_module(out)
    hi = tuple(max(0, (n - 1) * s + d * (k - 1) + 1 - (sz + p))
               for n, s, d, k, sz, p in zip(counts, stride, dilation, ksize, spatial, pad))
    half = out.dtype == np.float16
    if any(pad) or any(hi) or half:
        return xp.zeros(shape[:2] + tuple(sz + p + h for sz, p, h in zip(spatial, pad, hi)),
                        dtype=np.float32 if half else out.dtype)
    # windows that tile the input exactly write every element: nothing to clear
    if not all(d == 1 and s == k and n * s == sz for n, s, d, k, sz in zip(counts, stride, dilation, ksize, spatial)):
        out.fill(0)
    return out


def offset_dtype(ksize, xp=np):
    """dtype of max pooling's winning offsets: one byte on the CPU when it can hold them and the no-winner
    mark ``prod(ksize)`` (a quarter of the memory traffic of int32), int32 on the GPU (its RawKernels write
    int32)."""
    return np.dtype(np.uint8 if xp is np and math.prod(ksize) < 256 else np.int32)


def max_pool_forward(x, ksize, stride, pad, dilation, counts, out=None, argmax=None):
    """Max over each window of ``x``; padding never wins, nor does a NaN (THNN and THCUNN keep a value only when
    ``val > maxval``, from ``maxval = -inf``: a window of NaNs and -infs gives -inf, and no winner).

    Returns ``(output (N, C, *counts), argmax)`` where ``argmax`` (``offset_dtype``) is the
    winning kernel offset in C order, ``prod(ksize)`` where nothing won (THNN's index -1: no gradient flows
    there); ``out``/``argmax`` are reused when they fit.
    """
    xp = array_module(x)
    shape = x.shape[:2] + tuple(counts)
    if not _fits(out, shape, x.dtype):
        out = xp.empty(shape, dtype=x.dtype)
    if not _fits(argmax, shape, offset_dtype(ksize, xp)):
        argmax = xp.empty(shape, dtype=offset_dtype(ksize, xp))
    gpu = _gpu_kernels(x)
    if gpu is not None and out.flags.c_contiguous and argmax.flags.c_contiguous:
        return gpu.max_pool_forward(x, ksize, stride, pad, dilation, out, argmax)
    if x.ndim == 4 and _window_loop_pays(ksize, stride, counts) and pool2d_kernels.takes(x, out) and \
            pool2d_kernels.takes_offsets(argmax):
        return pool2d_kernels.max_forward(x, ksize, stride, pad, dilation, out, argmax)

    def part(p):
        src = windows_source(x[p], ksize, stride, pad, dilation, counts, lowest(x.dtype))
        views = [src[(slice(None), slice(None)) + window_slice(o, stride, dilation, counts)]
                 for o in kernel_offsets(ksize)]
        _running_max(xp, views, out[p], argmax[p], exact=False)
        # ``maximum`` lets NaN win and makes a -inf the winner of its window: redo those rare cases
        # with THNN's strict comparison
        if x.dtype.kind == 'f' and not bool((out[p] > -np.inf).all()):
            _running_max(xp, views, out[p], argmax[p], exact=True)

    parallel.run_parts(part, parallel.leading_parts(x))
    return out, argmax


def _running_max(xp, views, out, argmax, exact):
    """out, argmax = max and first winning offset over ``views``; ``exact`` follows THNN's loop, ``val > maxval``
    from ``maxval = -inf``, so NaNs never win (offset ``len(views)`` where nothing does)."""
    if not exact:
        _max_then_first(xp, views, out, argmax)
        return
    out.fill(-np.inf)
    argmax.fill(len(views))
    wins = xp.empty(out.shape, dtype=bool)
    for i, v in enumerate(views):
        xp.greater(v, out, out=wins)
        xp.copyto(out, v, where=wins)
        xp.copyto(argmax, i, where=wins)


def _max_then_first(xp, views, out, argmax):
    """The max of ``views``, then the first offset holding it: the count of leading views that miss it.

    Fewer passes over the (strided) views than a running argmax: one ``maximum`` and
    one ``not_equal`` per view; the bookkeeping runs on one-byte masks.
    """
    if len(views) == 1:
        out[...] = views[0]
        argmax.fill(0)
        return
    xp.maximum(views[0], views[1], out=out)
    for v in views[2:]:
        xp.maximum(out, v, out=out)
    missed = xp.not_equal(views[0], out)           # no view so far holds the max
    argmax[...] = missed
    miss = xp.empty(out.shape, dtype=bool)
    for v in views[1:-1]:
        xp.not_equal(v, out, out=miss)
        missed &= miss
        argmax += missed


def max_pool_backward(grad_out, argmax, input_shape, ksize, stride, pad, dilation, out=None):
    """gradInput of ``max_pool_forward``: each window's gradient goes to the element that won it."""
    xp = array_module(grad_out)
    counts = grad_out.shape[2:]
    if not _fits(out, tuple(input_shape), grad_out.dtype):
        out = xp.empty(tuple(input_shape), dtype=grad_out.dtype)
    gpu = _gpu_kernels(grad_out)
    if gpu is not None and out.flags.c_contiguous and argmax.flags.c_contiguous:
        return gpu.max_pool_backward(grad_out, argmax, ksize, stride, pad, dilation, out)
    if out.ndim == 4 and pool2d_kernels.takes(grad_out, out) and pool2d_kernels.takes_offsets(argmax):
        return pool2d_kernels.max_backward(grad_out, argmax, ksize, stride, pad, dilation, out)
    spatial = tuple(input_shape[2:])
    disjoint = _disjoint(ksize, stride, dilation)
    lead = (slice(None), slice(None))

    def part(p):
        go, won, gi = grad_out[p], argmax[p], out[p]
        acc = _accumulator(gi, gi.shape, pad, spatial, ksize, stride, dilation, counts)
        chosen = xp.empty(go.shape, dtype=bool)
        product = None if disjoint else xp.empty(go.shape, dtype=go.dtype)
        for i, offset in enumerate(kernel_offsets(ksize)):
            target = acc[lead + window_slice(offset, stride, dilation, counts)]
            xp.equal(won, i, out=chosen)
            if disjoint:
                xp.multiply(go, chosen, out=target)
            else:
                xp.multiply(go, chosen, out=product)
                target += product
        if acc is not gi:
            gi[...] = _crop(acc, pad, spatial)

    parallel.run_parts(part, parallel.leading_parts(out))
    return out


def max_pool_indices(argmax, spatial, ksize, stride, pad, dilation):
    """Torch7's indices: the winner's flat position in its (unpadded) input plane, int64, 0-based; -1 where
    nothing won (THNN's ``maxindex = -1``)."""
    xp = array_module(argmax)
    nsp = len(ksize)
    index = xp.zeros(argmax.shape, dtype=np.int64)
    rest = argmax.astype(np.int64)
    for i in reversed(range(nsp)):
        off = rest % ksize[i]
        rest = rest // ksize[i]
        shape = [1] * argmax.ndim
        shape[2 + i] = argmax.shape[2 + i]
        start = (xp.arange(argmax.shape[2 + i], dtype=np.int64) * stride[i] - pad[i]).reshape(shape)
        index += (start + off * dilation[i]) * math.prod(spatial[i + 1:])
    return xp.where(argmax == math.prod(ksize), -1, index)


def sum_pool_forward(x, ksize, stride, pad, counts, out=None):
    """Sum over each window of ``x`` zero padded by ``pad`` (windows may run past the end in ceil mode)."""
    xp = array_module(x)
    shape = x.shape[:2] + tuple(counts)
    if not _fits(out, shape, x.dtype):
        out = xp.empty(shape, dtype=x.dtype)
    ones = (1,) * len(ksize)
    lead = (slice(None), slice(None))

    def part(p):
        src, total = windows_source(x[p], ksize, stride, pad, ones, counts, 0), out[p]
        for i, offset in enumerate(kernel_offsets(ksize)):
            v = src[lead + window_slice(offset, stride, ones, counts)]
            if i == 0:
                total[...] = v
            else:
                total += v

    parallel.run_parts(part, parallel.leading_parts(x))
    return out


def sum_pool_backward(grad_out, input_shape, ksize, stride, pad, out=None):
    """gradInput of ``sum_pool_forward``: every element of a window receives the window's gradient."""
    xp = array_module(grad_out)
    counts = grad_out.shape[2:]
    if not _fits(out, tuple(input_shape), grad_out.dtype):
        out = xp.empty(tuple(input_shape), dtype=grad_out.dtype)
    spatial = tuple(input_shape[2:])
    ones = (1,) * len(ksize)
    disjoint = _disjoint(ksize, stride, ones)
    lead = (slice(None), slice(None))

    def part(p):
        go, gi = grad_out[p], out[p]
        acc = _accumulator(gi, gi.shape, pad, spatial, ksize, stride, ones, counts)
        for offset in kernel_offsets(ksize):
            target = acc[lead + window_slice(offset, stride, ones, counts)]
            if disjoint:
                target[...] = go
            else:
                target += go
        if acc is not gi:
            gi[...] = _crop(acc, pad, spatial)

    parallel.run_parts(part, parallel.leading_parts(out))
    return out


def avg_pool_divisor(spatial, ksize, stride, pad, counts, count_include_pad, xp, dtype):
    """Per-window divisor of Torch7's SpatialAveragePooling, shape ``counts``.

    With ``count_include_pad`` it is the window clipped to the padded input
    (padding counts, overhang past it in ceil mode does not); otherwise the
    number of real input elements in the window.
    """
    div = np.ones((), dtype=np.float64)
    for size, k, s, p, n in zip(spatial, ksize, stride, pad, counts):
        start = np.arange(n) * s - p
        end = np.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        div = np.multiply.outer(div, np.maximum(end - start, 1))
    return xp.asarray(div.astype(dtype))


def avg_pool_forward(x, ksize, stride, pad, counts, count_include_pad, out=None):
    """Torch7's average pooling of ``x`` (SpatialAveragePooling.c, VolumetricAveragePooling.c): each window's sum
    over its ``avg_pool_divisor``; ``out`` is reused when it fits."""
    gpu = _gpu_kernels(x)
    fits = _fits(out, x.shape[:2] + tuple(counts), x.dtype)
    if gpu is not None and fits and out.flags.c_contiguous:
        return gpu.avg_pool_forward(x, ksize, stride, pad, count_include_pad, out)
    if x.ndim == 4 and fits and _window_loop_pays(ksize, stride, counts) and pool2d_kernels.takes(x, out):
        return pool2d_kernels.avg_forward(x, ksize, stride, pad, count_include_pad, out)
    out = sum_pool_forward(x, ksize, stride, pad, counts, out=out)
    out /= avg_pool_divisor(x.shape[2:], ksize, stride, pad, counts, count_include_pad, array_module(x), x.dtype)
    return out


def avg_pool_backward(grad_out, input_shape, ksize, stride, pad, count_include_pad, out=None):
    """gradInput of ``avg_pool_forward``: every element of a window receives the window's gradient over its
    divisor."""
    gpu = _gpu_kernels(grad_out)
    fits = _fits(out, tuple(input_shape), grad_out.dtype)
    if gpu is not None and fits and out.flags.c_contiguous:
        return gpu.avg_pool_backward(grad_out, ksize, stride, pad, count_include_pad, out)
    if grad_out.ndim == 4 and fits and _window_loop_pays(ksize, stride, grad_out.shape[2:]) and \
            pool2d_kernels.takes(grad_out, out):
        return pool2d_kernels.avg_backward(grad_out, ksize, stride, pad, count_include_pad, out)
    divisor = avg_pool_divisor(input_shape[2:], ksize, stride, pad, grad_out.shape[2:], count_include_pad,
                               array_module(grad_out), grad_out.dtype)
    return sum_pool_backward(grad_out / divisor, input_shape, ksize, stride, pad, out=out)
