"""``pool2d_kernels``' CPU kernels, compiled by Numba (serial, ``nogil``, cached on disk); called only through
``pool2d_kernels``, which checks every operand first: the kernels index without bounds checks.

The data is ``x`` (P, H, W): planes (batch times channels) of one image each, C-contiguous; the output
(P, OH, OW). Each kernel handles the planes [first, stop), so the callers split the planes over threads.
Average pooling is THNN's SpatialAveragePooling.c in the data's type: a window's values summed in order (rows,
then columns within a row), divided by its divisor; the gradient adds each window's ``gradOutput / divisor`` to
the window's elements, windows in order.
"""
from numba import njit

kernel = njit(nogil=True, cache=True, boundscheck=False, error_model='numpy')


@kernel
def _window(o, k, s, p, size):
    """(first, stop, padded length) of window ``o`` along one axis: the window clipped to the input, and its
    length clipped to the padded input (overhang past it in ceil mode does not count), at least 1."""
    start = o * s - p
    end = min(start + k, size + p)
    padded = max(end - start, 1)
    start, end = max(start, 0), min(end, size)
    return start, end, padded


@kernel
def avg_forward(x, kh, kw, sh, sw, ph, pw, include_pad, out, first, stop):
    """out[q, i, j] = the sum of window (i, j) of plane q over its divisor, for q in [first, stop): the padded
    window's size with ``include_pad``, else the count of input values in it (at least 1)."""
    H, W = x.shape[1], x.shape[2]
    OH, OW = out.shape[1], out.shape[2]
    real = x.dtype.type
    for q in range(first, stop):
        for i in range(OH):
            h0, h1, hp = _window(i, kh, sh, ph, H)
            for j in range(OW):
                w0, w1, wp = _window(j, kw, sw, pw, W)
                total = real(0)
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        total += x[q, h, w]
                divisor = hp * wp if include_pad else max(h1 - h0, 1) * max(w1 - w0, 1)
                out[q, i, j] = total / real(divisor)


@kernel
def avg_backward(grad_out, kh, kw, sh, sw, ph, pw, include_pad, grad_in, first, stop):
    """grad_in[q] = the sum over the windows of plane q of ``grad_out / divisor`` spread over each window's input
    values (``avg_forward``'s divisor), for q in [first, stop)."""
    H, W = grad_in.shape[1], grad_in.shape[2]
    OH, OW = grad_out.shape[1], grad_out.shape[2]
    real = grad_in.dtype.type
    for q in range(first, stop):
        grad_in[q] = 0
        for i in range(OH):
            h0, h1, hp = _window(i, kh, sh, ph, H)
            for j in range(OW):
                w0, w1, wp = _window(j, kw, sw, pw, W)
                divisor = hp * wp if include_pad else max(h1 - h0, 1) * max(w1 - w0, 1)
                share = grad_out[q, i, j] / real(divisor)
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        grad_in[q, h, w] += share

