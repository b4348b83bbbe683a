"""2-D convolution kernels for the CPU, compiled by Numba (serial, ``nogil``, cached on disk).

The direct convolution (``forward``, ``grad_input``, ``grad_params``) is called only through
``conv_direct.DirectConv`` and its subclass ``conv_blocked.BlockedConv``, as are their eight-planes-a-pass
twins (``forward_blocked``, ``grad_params_blocked``), the padded copy (``pad_planes``) through ``SourceConv``,
``col2im_batch_last`` only through ``conv_kernels.conv_grad_input``, the chunk copies (``rows_to_columns``,
``columns_to_rows``, ``chunk_rows``) only through ``conv_chunks.ChunkedConv``; all check every operand first:
the kernels index without bounds checks. The direct kernels take stride 1, any dilation, source planes already
zero padded.

The "wide row" trick: with stride 1, the input element that kernel offset (kh, kw) pairs with output
(oh, ow) is at flat position ``(oh + kh dh) Ws + ow + kw dw`` of the (Hs, Ws) source plane, i.e. at
``p + off(kh, kw)`` for ``p = oh Ws + ow``. So each kernel offset is one multiply-add over a contiguous
run of ``span = (oH - 1) Ws + oW`` elements (LLVM vectorises it), on an output plane laid out at the
source's pitch Ws (a scratch row, ``wide``) whose ``Ws - oW`` extra columns per row are never read
back (forward) or hold zeros (backward). That replaces im2col's copy of every window (prod(kernel)
times the input) and a GEMM whose inner dimension C kH kW is too short for BLAS to run well.

The loops take kernel offsets four at a time (``GROUP``): one pass over the accumulator per four
multiply-adds instead of one per multiply-add, which is what bounds these loops (loads and stores,
not arithmetic). The sums keep their order (``acc + w0 x0 + w1 x1 + ...`` left to right). The four
views are spelled out in each kernel: a helper returning them as a tuple made the kernels 8-25%
slower (bench/lenet_cpu.md).
"""
from numba import njit

from .conv_direct import BLOCK

_OPTIONS = dict(nogil=True, cache=True, boundscheck=False, error_model='numpy')
kernel = njit(**_OPTIONS)
GROUP = 4


@kernel
def pad_planes(x, source, first, stop):
    """source[n] = x[n] (C, H, W) inside a zero border (centred: source is (N, C, H + 2 ph, W + 2 pw)), for n in
    [first, stop): the padded copy the direct and chunked kernels read, one pass writing each element once
    (NumPy's slice assignments took a loop call per 8- to 32-element row, twice the time on 32x32 planes)."""
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    Hs, Ws = source.shape[2], source.shape[3]
    ph, pw = (Hs - H) // 2, (Ws - W) // 2
    zero = source.dtype.type(0)
    for n in range(first, stop):
        for c in range(C):
            for h in range(Hs):
                row = source[n, c, h]
                if h < ph or h >= ph + H:
                    for w in range(Ws):
                        row[w] = zero
                    continue
                for w in range(pw):
                    row[w] = zero
                inner, run = row[pw:pw + W], x[n, c, h - ph]
                for w in range(W):
                    inner[w] = run[w]
                for w in range(pw + W, Ws):
                    row[w] = zero


@kernel
def _offset(t, kW, pitch, dil_h, dil_w):
    """Flat offset, in a plane of row pitch ``pitch``, of kernel offset number ``t`` (C order over kH x kW)."""
    return (t // kW) * dil_h * pitch + (t % kW) * dil_w


@kernel
def _spread(plane, wide, pitch, start):
    """wide[start + oh * pitch + ow] = plane[oh, ow], zeros everywhere else in ``wide``."""
    rows, cols = plane.shape
    zero = wide.dtype.type(0)
    for i in range(wide.shape[0]):
        wide[i] = zero
    for oh in range(rows):
        row = wide[start + oh * pitch:]
        for ow in range(cols):
            row[ow] = plane[oh, ow]


@kernel
def forward(source, weight, bias, out, wide, dil_h, dil_w, first, stop):
    """out[n, o] = sum over c, kh, kw of weight[o, c, kh, kw] * source[n, c, oh + kh dil_h, ow + kw dil_w],
    plus bias[o] when ``bias`` is not empty, for n in [first, stop). ``wide`` is scratch of at least the span."""
    C, Ws = source.shape[1], source.shape[3]
    O, kW = weight.shape[0], weight.shape[3]
    T = weight.shape[2] * kW
    oH, oW = out.shape[2], out.shape[3]
    span = (oH - 1) * Ws + oW
    zero = wide.dtype.type(0)
    for n in range(first, stop):
        for o in range(O):
            for p in range(span):
                wide[p] = zero
            for c in range(C):
                plane, w = source[n, c].reshape(-1), weight[o, c].reshape(-1)
                t = 0
                while t + GROUP <= T:
                    x0 = plane[_offset(t, kW, Ws, dil_h, dil_w):]
                    x1 = plane[_offset(t + 1, kW, Ws, dil_h, dil_w):]
                    x2 = plane[_offset(t + 2, kW, Ws, dil_h, dil_w):]
                    x3 = plane[_offset(t + 3, kW, Ws, dil_h, dil_w):]
                    w0, w1, w2, w3 = w[t], w[t + 1], w[t + 2], w[t + 3]
                    for p in range(span):
                        wide[p] = wide[p] + w0 * x0[p] + w1 * x1[p] + w2 * x2[p] + w3 * x3[p]
                    t += GROUP
                for t in range(t, T):
                    x0, w0 = plane[_offset(t, kW, Ws, dil_h, dil_w):], w[t]
                    for p in range(span):
                        wide[p] += w0 * x0[p]
            result = out[n, o]
            if bias.shape[0]:   # the sum first, then the bias: the order of the GEMM path
                b = bias[o]
                for oh in range(oH):
                    for ow in range(oW):
                        result[oh, ow] = wide[oh * Ws + ow] + b
            else:
                for oh in range(oH):
                    for ow in range(oW):
                        result[oh, ow] = wide[oh * Ws + ow]


@kernel
def grad_input(grad_out, weight, grad_in, planes, wide, pad_h, pad_w, dil_h, dil_w, first, stop):
    """grad_in[n] (N, C, H, W) = the adjoint of ``forward`` applied to grad_out[n] (N, O, oH, oW), for n in
    [first, stop). The sums run in ``planes`` (C, H + 2 pad_h, W + 2 pad_w), then the interior is copied
    out; without padding they run in grad_in[n] itself.

    Each source position q gathers ``weight[o, c, t] * g[q - off(t)]`` over the offsets t, ``g`` being
    grad_out[n, o] spread at the source's pitch: ``wide`` (Hs Ws + off(last)) holds it after a margin of
    off(last) zeros, so every read lands inside and the gather is one contiguous pass per offset group.
    """
    C, H, W = grad_in.shape[1], grad_in.shape[2], grad_in.shape[3]
    O, kW = weight.shape[0], weight.shape[3]
    T = weight.shape[2] * kW
    Hs, Ws = H + 2 * pad_h, W + 2 * pad_w
    margin = _offset(T - 1, kW, Ws, dil_h, dil_w)
    padded = pad_h > 0 or pad_w > 0
    for n in range(first, stop):
        acc = planes if padded else grad_in[n]
        acc[...] = 0
        for o in range(O):
            _spread(grad_out[n, o], wide, Ws, margin)
            for c in range(C):
                dest, w = acc[c].reshape(-1), weight[o, c].reshape(-1)
                t = 0
                while t + GROUP <= T:
                    g0 = wide[margin - _offset(t, kW, Ws, dil_h, dil_w):]
                    g1 = wide[margin - _offset(t + 1, kW, Ws, dil_h, dil_w):]
                    g2 = wide[margin - _offset(t + 2, kW, Ws, dil_h, dil_w):]
                    g3 = wide[margin - _offset(t + 3, kW, Ws, dil_h, dil_w):]
                    w0, w1, w2, w3 = w[t], w[t + 1], w[t + 2], w[t + 3]
                    for q in range(Hs * Ws):
                        dest[q] = dest[q] + w0 * g0[q] + w1 * g1[q] + w2 * g2[q] + w3 * g3[q]
                    t += GROUP
                for t in range(t, T):
                    g0, w0 = wide[margin - _offset(t, kW, Ws, dil_h, dil_w):], w[t]
                    for q in range(Hs * Ws):
                        dest[q] += w0 * g0[q]
        if padded:
            grad_in[n] = planes[:, pad_h:pad_h + H, pad_w:pad_w + W]


@njit(**_OPTIONS, fastmath={'reassoc'})
def grad_params(grad_out, source, grad_weight, grad_bias, wide, dil_h, dil_w, first, stop):
    """grad_weight[o, c, kh, kw] = sum over n in [first, stop), oh, ow of grad_out[n, o, oh, ow] *
    source[n, c, oh + kh dil_h, ow + kw dil_w], and grad_bias[o] = the sum of grad_out[n, o] (both
    overwritten: a part's share, which the caller adds up). ``wide`` is scratch of at least the span; the sums
    may be reassociated (``reassoc``), which lets LLVM vectorise each dot product."""
    C, Ws = source.shape[1], source.shape[3]
    O, kW = grad_weight.shape[0], grad_weight.shape[3]
    T = grad_weight.shape[2] * kW
    oH, oW = grad_out.shape[2], grad_out.shape[3]
    span = (oH - 1) * Ws + oW
    zero = wide.dtype.type(0)
    grad_weight[...] = 0
    grad_bias[...] = 0
    for n in range(first, stop):
        for o in range(O):
            _spread(grad_out[n, o], wide[:span], Ws, 0)
            total = zero
            for p in range(span):
                total += wide[p]
            grad_bias[o] += total
            for c in range(C):
                plane, gw = source[n, c].reshape(-1), grad_weight[o, c].reshape(-1)
                t = 0
                while t + GROUP <= T:
                    x0 = plane[_offset(t, kW, Ws, dil_h, dil_w):]
                    x1 = plane[_offset(t + 1, kW, Ws, dil_h, dil_w):]
                    x2 = plane[_offset(t + 2, kW, Ws, dil_h, dil_w):]
                    x3 = plane[_offset(t + 3, kW, Ws, dil_h, dil_w):]
                    d0 = d1 = d2 = d3 = zero
                    for p in range(span):
                        g = wide[p]
                        d0 += g * x0[p]
                        d1 += g * x1[p]
                        d2 += g * x2[p]
                        d3 += g * x3[p]
                    gw[t] += d0
                    gw[t + 1] += d1
                    gw[t + 2] += d2
                    gw[t + 3] += d3
                    t += GROUP
                for t in range(t, T):
                    x0, d0 = plane[_offset(t, kW, Ws, dil_h, dil_w):], zero
                    for p in range(span):
                        d0 += wide[p] * x0[p]
                    gw[t] += d0


# Eight output planes a pass (``BLOCK``), each pass one kernel row of three taps: 24 multiply-adds for every
# three source loads and eight accumulator loads and stores, where ``forward`` does four for five loads and a
# store, so the loop runs on the FMA units instead of the loads (82 against 45 GFLOPS a core on the Xeon of
# bench/conv_resnet.md); ``contract`` lets LLVM fuse each multiply-add (one rounding instead of two). The
# eight rows are spelled out, as the four views of ``forward`` are.


@njit(**_OPTIONS, fastmath={'contract'})
def forward_blocked(source, weight, bias, out, wide, dil_h, dil_w, first, stop):
    """``forward`` for a kernel three taps wide and output planes a multiple of ``BLOCK``: out[n, o] = sum over
    c, kh, kw of weight[o, c, kh, kw] * source[n, c, oh + kh dil_h, ow + kw dil_w] (+ bias[o] unless ``bias``
    is empty) for n in [first, stop), taps added in C order, a kernel row's three in one step. ``wide`` is
    scratch of ``BLOCK`` x at least the span."""
    C, Ws = source.shape[1], source.shape[3]
    O, kH = weight.shape[0], weight.shape[2]
    oH, oW = out.shape[2], out.shape[3]
    span = (oH - 1) * Ws + oW
    zero = wide.dtype.type(0)
    for n in range(first, stop):
        for ob in range(0, O, BLOCK):
            a0, a1, a2, a3 = wide[0], wide[1], wide[2], wide[3]
            a4, a5, a6, a7 = wide[4], wide[5], wide[6], wide[7]
            for p in range(span):
                a0[p] = a1[p] = a2[p] = a3[p] = a4[p] = a5[p] = a6[p] = a7[p] = zero
            for c in range(C):
                plane = source[n, c].reshape(-1)
                for kh in range(kH):
                    row = kh * dil_h * Ws
                    x0, x1, x2 = plane[row:], plane[row + dil_w:], plane[row + 2 * dil_w:]
                    w = weight[ob:ob + BLOCK, c, kh]
                    w00, w01, w02 = w[0, 0], w[0, 1], w[0, 2]
                    w10, w11, w12 = w[1, 0], w[1, 1], w[1, 2]
                    w20, w21, w22 = w[2, 0], w[2, 1], w[2, 2]
                    w30, w31, w32 = w[3, 0], w[3, 1], w[3, 2]
                    w40, w41, w42 = w[4, 0], w[4, 1], w[4, 2]
                    w50, w51, w52 = w[5, 0], w[5, 1], w[5, 2]
                    w60, w61, w62 = w[6, 0], w[6, 1], w[6, 2]
                    w70, w71, w72 = w[7, 0], w[7, 1], w[7, 2]
                    for p in range(span):
                        v0, v1, v2 = x0[p], x1[p], x2[p]
                        a0[p] = a0[p] + w00 * v0 + w01 * v1 + w02 * v2
                        a1[p] = a1[p] + w10 * v0 + w11 * v1 + w12 * v2
                        a2[p] = a2[p] + w20 * v0 + w21 * v1 + w22 * v2
                        a3[p] = a3[p] + w30 * v0 + w31 * v1 + w32 * v2
                        a4[p] = a4[p] + w40 * v0 + w41 * v1 + w42 * v2
                        a5[p] = a5[p] + w50 * v0 + w51 * v1 + w52 * v2
                        a6[p] = a6[p] + w60 * v0 + w61 * v1 + w62 * v2
                        a7[p] = a7[p] + w70 * v0 + w71 * v1 + w72 * v2
            for j in range(BLOCK):
                result, acc = out[n, ob + j], wide[j]
                b = bias[ob + j] if bias.shape[0] else zero   # the sum first, then the bias: the GEMM path's order
                for oh in range(oH):
                    for ow in range(oW):
                        result[oh, ow] = acc[oh * Ws + ow] + b


@njit(**_OPTIONS, fastmath={'reassoc', 'contract'})
def grad_params_blocked(grad_out, source, grad_weight, grad_bias, wide, dil_h, dil_w, first, stop):
    """``grad_params`` for a kernel three taps wide and output planes a multiple of ``BLOCK`` (the same sums,
    overwriting a part's share): the dot products of ``BLOCK`` gradOutput planes, spread at the source's pitch
    into the rows of ``wide`` (``BLOCK`` x at least the span), with one kernel row's three shifted source
    planes at a time, 24 sums in one pass (reassociated, so LLVM vectorises each)."""
    C, Ws = source.shape[1], source.shape[3]
    O, kH = grad_weight.shape[0], grad_weight.shape[2]
    oH, oW = grad_out.shape[2], grad_out.shape[3]
    span = (oH - 1) * Ws + oW
    zero = wide.dtype.type(0)
    grad_weight[...] = 0
    grad_bias[...] = 0
    for n in range(first, stop):
        for ob in range(0, O, BLOCK):
            for j in range(BLOCK):
                _spread(grad_out[n, ob + j], wide[j, :span], Ws, 0)
                total = zero
                for p in range(span):
                    total += wide[j, p]
                grad_bias[ob + j] += total
            g0, g1, g2, g3 = wide[0], wide[1], wide[2], wide[3]
            g4, g5, g6, g7 = wide[4], wide[5], wide[6], wide[7]
            for c in range(C):
                plane = source[n, c].reshape(-1)
                for kh in range(kH):
                    row = kh * dil_h * Ws
                    x0, x1, x2 = plane[row:], plane[row + dil_w:], plane[row + 2 * dil_w:]
                    d00 = d01 = d02 = d10 = d11 = d12 = d20 = d21 = d22 = d30 = d31 = d32 = zero
                    d40 = d41 = d42 = d50 = d51 = d52 = d60 = d61 = d62 = d70 = d71 = d72 = zero
                    for p in range(span):
                        v0, v1, v2 = x0[p], x1[p], x2[p]
                        e = g0[p]
                        d00 += e * v0
                        d01 += e * v1
                        d02 += e * v2
                        e = g1[p]
                        d10 += e * v0
                        d11 += e * v1
                        d12 += e * v2
                        e = g2[p]
                        d20 += e * v0
                        d21 += e * v1
                        d22 += e * v2
                        e = g3[p]
                        d30 += e * v0
                        d31 += e * v1
                        d32 += e * v2
                        e = g4[p]
                        d40 += e * v0
                        d41 += e * v1
                        d42 += e * v2
                        e = g5[p]
                        d50 += e * v0
                        d51 += e * v1
                        d52 += e * v2
                        e = g6[p]
                        d60 += e * v0
                        d61 += e * v1
                        d62 += e * v2
                        e = g7[p]
                        d70 += e * v0
                        d71 += e * v1
                        d72 += e * v2
                    gw = grad_weight[ob:ob + BLOCK, c, kh]
                    gw[0, 0] += d00
                    gw[0, 1] += d01
                    gw[0, 2] += d02
                    gw[1, 0] += d10
                    gw[1, 1] += d11
                    gw[1, 2] += d12
                    gw[2, 0] += d20
                    gw[2, 1] += d21
                    gw[2, 2] += d22
                    gw[3, 0] += d30
                    gw[3, 1] += d31
                    gw[3, 2] += d32
                    gw[4, 0] += d40
                    gw[4, 1] += d41
                    gw[4, 2] += d42
                    gw[5, 0] += d50
                    gw[5, 1] += d51
                    gw[5, 2] += d52
                    gw[6, 0] += d60
                    gw[6, 1] += d61
                    gw[6, 2] += d62
                    gw[7, 0] += d70
                    gw[7, 1] += d71
                    gw[7, 2] += d72


@kernel
def col2im_batch_last(cols, sums, sH, sW, pH, pW, dH, dW, first, stop):
    """sums[c, h, w, :] = the sum of cols[c, kh, kw, oh, ow, :] over the (window, kernel offset) pairs that
    read input pixel (h, w), offsets in C order (the order of the NumPy slice-adds, so the same sums), for
    channels c in [first, stop). ``cols`` is (C, kH, kW, oH, oW, N), ``sums`` (C, H, W, N): the column
    gradients and the input gradient of the GEMM path, the batch innermost. One pass: each pixel's N
    sums are built in place and written once (the slice-adds pass over the image once per offset)."""
    kH, kW, oH, oW, N = cols.shape[1], cols.shape[2], cols.shape[3], cols.shape[4], cols.shape[5]
    H, W = sums.shape[1], sums.shape[2]
    zero = sums.dtype.type(0)
    for c in range(first, stop):
        for h in range(H):
            for w in range(W):
                row = sums[c, h, w]
                for n in range(N):
                    row[n] = zero
                for kh in range(kH):
                    a = h + pH - kh * dH
                    if a < 0 or a % sH != 0 or a // sH >= oH:
                        continue
                    for kw in range(kW):
                        b = w + pW - kw * dW
                        if b < 0 or b % sW != 0 or b // sW >= oW:
                            continue
                        src = cols[c, kh, kw, a // sH, b // sW]
                        for n in range(N):
                            row[n] += src[n]


# The chunked GEMM path (``conv_chunks.ChunkedConv``): the columns of a few output rows at a time, the
# product, then the rows written out. An output row is numbered g = n oH + oh (image n, row oh); a chunk is
# rows [first, stop), its columns ((stop - first) oW of them) in row order; the kernels are called only
# through ``ChunkedConv``, which checks every operand first. Each run of oW elements is
# copied between two 1-D slices taken first: LLVM vectorises that loop, not one indexing the whole arrays
# (3x slower: it cannot rule out that they overlap), nor a slice assignment (4x).

@kernel
def _next_row(n, oh, oH):
    """(image, row) of the output row after row ``oh`` of image ``n`` (``oH`` rows an image)."""
    return (n + 1, 0) if oh + 1 == oH else (n, oh + 1)


@kernel
def rows_to_columns(source, cols, sH, sW, dH, dW, oH, first, stop):
    """cols[c, kh, kw, (g - first) oW + ow] = source[n, c, oh sH + kh dH, ow sW + kw dW] for the output rows
    g = n oH + oh in [first, stop): the chunk's im2col. ``source`` (N, C, Hs, Ws) is zero padded already, so
    every read lands inside; ``cols`` is (C, kH, kW, (stop - first) oW)."""
    C, Hs, Ws = source.shape[1], source.shape[2], source.shape[3]
    kH, kW = cols.shape[1], cols.shape[2]
    oW = cols.shape[3] // (stop - first)
    src = source.reshape(-1)
    for c in range(C):
        for kh in range(kH):
            for kw in range(kW):
                dest = cols[c, kh, kw]
                j = 0
                n, oh = first // oH, first % oH
                for _ in range(first, stop):
                    base = ((n * C + c) * Hs + oh * sH + kh * dH) * Ws + kw * dW
                    if sW == 1:   # a contiguous run: its own loop on 1-D views, which LLVM vectorises
                        to, run = dest[j:j + oW], src[base:base + oW]
                        for ow in range(oW):
                            to[ow] = run[ow]
                    else:   # flat indices: a strided run is not vectorised, and a view a row costs more
                        for ow in range(oW):
                            dest[j + ow] = src[base + ow * sW]
                    j += oW
                    n, oh = _next_row(n, oh, oH)


@kernel
def columns_to_rows(cols, grad_in, sH, sW, pH, pW, dH, dW, oH, first, stop):
    """grad_in[n, c, oh sH - pH + kh dH, ow sW - pW + kw dW] += cols[c, kh, kw, (g - first) oW + ow] for the
    output rows g = n oH + oh in [first, stop), wherever that pixel lies inside the unpadded ``grad_in``
    (N, C, H, W): the chunk's col2im (``rows_to_columns``' adjoint), column gradients ``cols`` (C, kH, kW,
    (stop - first) oW) added in that C order. Flat indices, not a view a row: the runs are short (8 to 16)."""
    C, H, W = grad_in.shape[1], grad_in.shape[2], grad_in.shape[3]
    kH, kW = cols.shape[1], cols.shape[2]
    oW = cols.shape[3] // (stop - first)
    flat, src = grad_in.reshape(-1), cols.reshape(-1)
    for c in range(C):
        for kh in range(kH):
            for kw in range(kW):
                shift = kw * dW - pW
                # the windows whose pixel w = ow sW + shift is inside [0, W)
                low = max(0, (sW - 1 - shift) // sW)
                high = min(oW, (W - 1 - shift) // sW + 1)
                j = ((c * kH + kh) * kW + kw) * cols.shape[3]
                n, oh = first // oH, first % oH
                for _ in range(first, stop):
                    h = oh * sH - pH + kh * dH
                    if 0 <= h < H:
                        base = ((n * C + c) * H + h) * W + shift
                        for ow in range(low, high):
                            flat[base + ow * sW] += src[j + ow]
                    j += oW
                    n, oh = _next_row(n, oh, oH)


@kernel
def chunk_rows(chunk, planes, extra, first, stop, into_planes):
    """Between a chunk's matrix ``chunk`` (O, (stop - first) oW) and the rows g = n oH + oh in [first, stop) of
    ``planes`` (N, O, oH, oW), column (g - first) oW + ow holding planes[n, :, oh, ow]. ``into_planes``: the
    chunk's GEMM result written in place, planes = chunk + extra[o] (the bias; none when ``extra`` is empty),
    the sum first and then the bias, as the whole-batch path. Else the chunk's gradOutput gathered, chunk =
    planes, each plane's sum added into ``extra[o]`` unless it is empty (the bias gradient)."""
    O, oH, oW = planes.shape[1], planes.shape[2], planes.shape[3]
    flat = planes.reshape(-1)
    with_extra = extra.shape[0] > 0
    for o in range(O):
        row = chunk[o]
        b = extra[o] if with_extra and into_planes else chunk.dtype.type(0)
        j = 0
        n, oh = first // oH, first % oH
        for _ in range(first, stop):
            base = ((n * O + o) * oH + oh) * oW
            if into_planes:
                to, run = flat[base:base + oW], row[j:j + oW]
                if with_extra:
                    for ow in range(oW):
                        to[ow] = run[ow] + b
                else:
                    for ow in range(oW):
                        to[ow] = run[ow]
            else:
                to, run = row[j:j + oW], flat[base:base + oW]
                for ow in range(oW):
                    to[ow] = run[ow]
            j += oW
            n, oh = _next_row(n, oh, oH)
        if with_extra and not into_planes:
            total = chunk.dtype.type(0)
            for i in range(j):
                total += row[i]
            extra[o] += total
