"""``pool2d_kernels``' CPU kernels, compiled by Numba (serial, ``nogil``, cached on disk); called only through
``pool2d_kernels``, which checks every operand first: the kernels index without bounds checks.

The data is ``x`` (P, H, W): planes (batch times channels) of one image each, C-contiguous; the output
(P, OH, OW). Each kernel handles the planes [first, stop), so the callers split the planes over threads.
Average pooling is THNN's SpatialAveragePooling.c in the data's type: a window's values summed in order (rows,
then columns within a row), divided by its divisor; the gradient adds each window's ``gradOutput / divisor`` to
the window's elements, windows in order. Max pooling is SpatialMaxPooling.c's: a value wins its window only when
greater than the best so far from -inf, offsets in order; the gradient goes to each window's winner, windows in
order. Max pooling's geometry also has dilations: window (i, j) reads ``x[i sH - pH + kh dH, j sW - pW + kw dW]``
for kernel offset ``kh kW + kw``.
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


@kernel
def max_forward(x, kH, kW, sH, sW, pH, pW, dH, dW, out, argmax, first, stop):
    """out = the max of each window, argmax = the first kernel offset holding it; a value wins only when greater
    than the best so far from -inf (THNN's ``val > maxval``), so neither padding nor a NaN ever wins, and a window
    of NaNs and -infs gives -inf and the no-winner mark kH * kW. Offsets are visited in order; a window inside
    the input reads without bounds tests. (Elements are indexed directly: a row view costs more than a window.)"""
    oH, oW = out.shape[1], out.shape[2]
    H, W = x.shape[1], x.shape[2]
    lowest = out.dtype.type(-float('inf'))
    for p in range(first, stop):
        for oh in range(oH):
            h0 = oh * sH - pH
            inside_h = h0 >= 0 and h0 + (kH - 1) * dH < H
            for ow in range(oW):
                w0 = ow * sW - pW
                best = lowest
                won = kH * kW
                if inside_h and w0 >= 0 and w0 + (kW - 1) * dW < W:
                    for kh in range(kH):
                        for kw in range(kW):
                            v = x[p, h0 + kh * dH, w0 + kw * dW]
                            if v > best:
                                best = v
                                won = kh * kW + kw
                else:
                    for kh in range(kH):
                        h = h0 + kh * dH
                        if h < 0 or h >= H:
                            continue
                        for kw in range(kW):
                            w = w0 + kw * dW
                            if w >= 0 and w < W:
                                v = x[p, h, w]
                                if v > best:
                                    best = v
                                    won = kh * kW + kw
                out[p, oh, ow] = best
                argmax[p, oh, ow] = won


@kernel
def max_backward(grad_out, argmax, kH, kW, sH, sW, pH, pW, dH, dW, grad_in, first, stop):
    """grad_in = 0, then each window's gradient added to the element that won it, windows in THNN's order (row by
    row), so overlapping windows sum as SpatialMaxPooling.c sums them; no-winner windows pass nothing."""
    oH, oW = grad_out.shape[1], grad_out.shape[2]
    H, W = grad_in.shape[1], grad_in.shape[2]
    zero = grad_in.dtype.type(0)
    for p in range(first, stop):
        for h in range(H):
            for w in range(W):
                grad_in[p, h, w] = zero
        for oh in range(oH):
            for ow in range(oW):
                offset = argmax[p, oh, ow]
                if offset >= kH * kW:   # the no-winner mark
                    continue
                h = oh * sH - pH + offset // kW * dH
                w = ow * sW - pW + offset % kW * dW
                if 0 <= h < H and 0 <= w < W:   # always, for the argmax forward made: memory safety
                    grad_in[p, h, w] += grad_out[p, oh, ow]
