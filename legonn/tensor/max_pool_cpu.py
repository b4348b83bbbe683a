"""2-D max pooling's CPU kernels, compiled by Numba (serial, ``nogil``, cached on disk); called only through
``max_pool_kernels``, which checks their operands: they index without bounds checks.

The data is a stack of planes ``x`` (P, H, W) (the batch's N * C planes), the results (P, oH, oW); each call takes
the planes ``first`` to ``stop`` (a thread's share). The geometry is THNN's: window (oh, ow) reads
``x[oh * sH - pH + kh * dH, ow * sW - pW + kw * dW]`` for each kernel offset ``kh * kW + kw``.
"""
from numba import njit


@njit(nogil=True, cache=True, boundscheck=False, error_model='numpy')
def max_pool_forward(x, out, argmax, kH, kW, sH, sW, pH, pW, dH, dW, first, stop):
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


@njit(nogil=True, cache=True, boundscheck=False, error_model='numpy')
def max_pool_backward(grad_out, argmax, grad_in, kH, kW, sH, sW, pH, pW, dH, dW, first, stop):
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
