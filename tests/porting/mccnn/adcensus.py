"""adcensus.cu (jzbontar/mc-cnn's ``libadcensus``, a CUDA binding legonn does not have), the functions main.lua and
its modules call, written with the array module of their tensors (NumPy for a FloatTensor, CuPy for a CudaTensor).
Each function takes the binding's arguments in its order; those the binding fills (``out``, ``vol_out``, ``norm``)
are written into, those it returns (``interpolate_*``, ``subpixel_enchancement``, ``median2d``, ``mean2d``) are new
CudaTensors, as ``new_tensor_like`` makes them. A kernel's thread (one pixel, one disparity) becomes the same arithmetic
on every pixel at once; the loops a thread runs (over a window, an arm, a scanline) stay loops.

Left out: ``sgm``/``sgm3`` (main.lua calls ``sgm2``), ``fliplr``, ``StereoL2R``, ``copy_fill``, ``bilateral_filter``,
the dataset builders (``make_dataset*``, ``subset_dataset``, ``remove_*``: preprocess_kitti.lua's), ``grey2jet``,
``readPNG16``/``writePNG16``/``writePFM`` (the submit and debug images) and ``spatial_argmin`` (savePNG, never
called). StereoJoin.lua's ``adcensus.StereoJoin_forward2`` is not in the binding's table (adcensus.cu:2061-2095), so
``nn.StereoJoin:forward`` fails in Lua as in the port; main.lua never runs it.
"""
import math

import legonn as lg


def _plane(t, h, w):
    """The first h x w plane of a tensor, as the kernels index it (``y * size3 + x``)."""
    return t.array.reshape(-1)[:h * w].reshape(h, w)


def _box_sum(xp, a, r):
    """Sum of ``a`` over the (2r+1) x (2r+1) window around each pixel, zeros outside."""
    p = xp.pad(a, r)
    c = xp.zeros((p.shape[0] + 1, p.shape[1] + 1), dtype=a.dtype)
    c[1:, 1:] = p.cumsum(0).cumsum(1)
    k = 2 * r + 1
    h, w = a.shape
    return c[k:k + h, k:k + w] - c[:h, k:k + w] - c[k:k + h, :w] + c[:h, :w]


def new_tensor_like(x):
    """adcensus.cu:40: a new float tensor of x's sizes, on x's device (the binding's are CudaTensors)."""
    return (lg.CudaTensor() if x.is_cuda else lg.FloatTensor()).resizeAs(x)


def _shift(xp, a, d, fill):
    """``b[y, x] = a[y, x + d]`` (``fill`` where x + d is outside)."""
    b = xp.full_like(a, fill)
    w = a.shape[-1]
    if d >= 0:
        b[..., :w - d] = a[..., d:]
    else:
        b[..., -d:] = a[..., :w + d]
    return b


def ad(x0, x1, output, direction):
    """adcensus.cu:62: the mean absolute difference over the 9 x 9 window (pixels inside both images only) between
    the left image and the right one shifted by ``d * direction``; NaN where x + d * direction leaves the image."""
    assert direction in (-1, 1)
    xp = output.xp
    _, D, H, W = output.size()
    a0, a1 = _plane(x0, H, W), _plane(x1, H, W)
    out = output.array.reshape(D, H, W)
    cols = xp.arange(W)
    for d in range(D):
        s = d * direction
        inside = ((cols + s >= 0) & (cols + s < W))[None, :].repeat(H, 0)
        diff = xp.where(inside, xp.abs(a0 - _shift(xp, a1, s, 0)), 0).astype(a0.dtype)
        dist = _box_sum(xp, diff, 4) / _box_sum(xp, inside.astype(a0.dtype), 4)
        out[d] = xp.where(inside, dist, math.nan)


def census(x0, x1, output, direction):
    """adcensus.cu:117: the number of 9 x 9 window pixels whose order against the centre differs between the left
    image and the right one shifted by ``d * direction`` (a pixel outside either image counts), averaged over the
    channels; NaN where x + d * direction leaves the image."""
    assert direction in (-1, 1)
    xp = output.xp
    _, D, H, W = output.size()
    C = x0.size(1)
    a0 = x0.array.reshape(-1)[:C * H * W].reshape(C, H, W)
    a1 = x1.array.reshape(-1)[:C * H * W].reshape(C, H, W)
    out = output.array.reshape(D, H, W)
    ys, xs = xp.arange(H)[:, None], xp.arange(W)[None, :]
    for d in range(D):
        s = d * direction
        dist = xp.zeros((H, W), dtype=out.dtype)
        for c in range(C):
            r1 = _shift(xp, a1[c], s, 0)
            for oy in range(-4, 5):
                for ox in range(-4, 5):
                    yy, xx = ys + oy, xs + ox
                    inside = (xx >= 0) & (xx < W) & (xx + s >= 0) & (xx + s < W) & (yy >= 0) & (yy < H)
                    yc, xc = xp.clip(yy, 0, H - 1), xp.clip(xx, 0, W - 1)
                    xr = xp.clip(xx + s, 0, W - 1)
                    differ = (a0[c][yc, xc] < a0[c]) != (a1[c][yc, xr] < r1)
                    dist += xp.where(inside, differ, True)
        dist /= C
        out[d] = xp.where((xs + s >= 0) & (xs + s < W), dist, math.nan)


def cross(x0, out, L1, tau1):
    """adcensus.cu:280: each pixel's four arms (left, right, up, down): the first position, walking away from it,
    that leaves the image, differs from it by ``tau1`` or more, or lies ``L1`` or more away (the neighbour at
    distance 1 is always taken). out is (1, 4, H, W): the x of the left and right ends, the y of the top and bottom
    ones."""
    L1 = int(L1)  # luaL_checkinteger
    xp = out.xp
    _, _, H, W = out.size()
    img = _plane(x0, H, W)
    o = out.array.reshape(4, H, W)
    ys, xs = xp.broadcast_to(xp.arange(H)[:, None], (H, W)), xp.broadcast_to(xp.arange(W)[None, :], (H, W))
    for dir, (dx, dy) in enumerate(((-1, 0), (1, 0), (0, -1), (0, 1))):
        end = xp.zeros((H, W), dtype=o.dtype)
        active = xp.ones((H, W), dtype=bool)
        k = 1
        while bool(active.any()):
            xx, yy = xs + k * dx, ys + k * dy
            pos = xx if dir <= 1 else yy
            outside = (xx < 0) | (xx >= W) | (yy < 0) | (yy >= H)
            stop = active & outside
            if k >= 2:
                far = img[xp.clip(yy, 0, H - 1), xp.clip(xx, 0, W - 1)]
                stop |= active & ~outside & ((xp.abs(img - far) >= tau1) | (k >= L1))
            end = xp.where(stop, pos, end)
            active &= ~stop
            k += 1
        o[dir] = end


def cbca(x0c, x1c, vol_in, vol_out, direction):
    """adcensus.cu:343: cross-based cost aggregation: the mean of the volume over the support region the left and
    the (shifted) right pixel's crosses share, rows strictly between the shared top and bottom arms, each row's
    columns strictly between the shared left and right arms; unchanged where x + d * direction leaves the image."""
    assert direction in (-1, 1)
    xp = vol_out.xp
    _, D, H, W = vol_out.size()
    c0 = x0c.array.reshape(4, H, W)
    c1 = x1c.array.reshape(4, H, W)
    vin = vol_in.array.reshape(D, H, W)
    vout = vol_out.array.reshape(D, H, W)
    ys, xs = xp.broadcast_to(xp.arange(H)[:, None], (H, W)), xp.broadcast_to(xp.arange(W)[None, :], (H, W))
    result = xp.empty_like(vin)
    for d in range(D):
        s = d * direction
        valid = (xs + s >= 0) & (xs + s < W)
        xr = xp.clip(xs + s, 0, W - 1)
        v = vin[d]
        nan = xp.isnan(v)
        rows = xp.zeros((H, W + 1), dtype=v.dtype)
        rows[:, 1:] = xp.where(nan, 0, v).cumsum(1)
        nans = xp.zeros((H, W + 1), dtype=xp.int64)
        nans[:, 1:] = nan.cumsum(1)
        yy_s = xp.maximum(c0[2], c1[2][ys, xr]).astype(xp.int64)
        yy_t = xp.minimum(c0[3], c1[3][ys, xr]).astype(xp.int64)
        total = xp.zeros((H, W), dtype=v.dtype)
        cnt = xp.zeros((H, W), dtype=xp.int64)
        bad = xp.zeros((H, W), dtype=bool)
        for k in range(int((yy_s - ys).min()) + 1, int((yy_t - ys).max())):
            yy = ys + k
            take = valid & (yy > yy_s) & (yy < yy_t)
            yc = xp.clip(yy, 0, H - 1)
            xx_s = xp.maximum(c0[0][yc, xs], c1[0][yc, xr] - s).astype(xp.int64)
            xx_t = xp.minimum(c0[1][yc, xs], c1[1][yc, xr] - s).astype(xp.int64)
            lo, hi = xp.clip(xx_s + 1, 0, W), xp.clip(xx_t, 0, W)
            take &= hi > lo
            total += xp.where(take, rows[yc, hi] - rows[yc, lo], 0)
            cnt += xp.where(take, hi - lo, 0)
            bad |= take & (nans[yc, hi] != nans[yc, lo])
        assert not bool((valid & (bad | (cnt == 0))).any()), 'cbca: NaN or empty support region'
        result[d] = xp.where(valid, total / xp.maximum(cnt, 1), v)
    vout[...] = result


def _sgm2_pass(xp, a0, a1, inp, out, pi1, pi2, tau_so, alpha1, sgm_q1, sgm_q2, direction, sgm_direction):
    """One of sgm2's four scans (adcensus.cu:536), every scanline at once: ``sgm_direction`` 0 walks right, 1 left,
    2 down, 3 up. inp and out are (H, W, D); the running costs (the kernel's ``tmp``) are ``prev``."""
    H, W, D = inp.shape
    dx, dy = ((1, 0), (-1, 0), (0, 1), (0, -1))[sgm_direction]
    n = W if dy == 0 else H
    ds = xp.arange(D)
    prev = None
    for step in range(n):
        pos = step if dx + dy > 0 else n - 1 - step
        if dy == 0:
            cur, cur0, cur1 = inp[:, pos, :], a0[:, pos], a1
        else:
            cur, cur0, cur1 = inp[pos, :, :], a0[pos, :], a1
        if prev is None:
            val = cur.copy()
        else:
            # the kernel's shared-memory min over the disparities: a tree whose `<` leaves a NaN entry in place
            m = prev.copy()
            i = 256
            while i > 0:
                if i < D:
                    take = m[:, i:min(2 * i, D)] < m[:, :min(i, D - i)]
                    m[:, :min(i, D - i)] = xp.where(take, m[:, i:min(2 * i, D)], m[:, :min(i, D - i)])
                i //= 2
            min0 = m[:, :1]
            if dy == 0:
                d1 = xp.abs(cur0 - a0[:, pos - dx])[:, None]
                xx = pos + ds * direction
                ok = (xx >= 0) & (xx < W) & (xx - dx >= 0) & (xx - dx < W)
                xc, xcp = xp.clip(xx, 0, W - 1), xp.clip(xx - dx, 0, W - 1)
                d2 = xp.where(ok[None, :], xp.abs(a1[:, xc] - a1[:, xcp]), 10)
            else:
                d1 = xp.abs(cur0 - a0[pos - dy, :])[:, None]
                xx = xp.arange(W)[:, None] + ds[None, :] * direction
                ok = (xx >= 0) & (xx < W)
                xc = xp.clip(xx, 0, W - 1)
                d2 = xp.where(ok, xp.abs(a1[pos, xc] - a1[pos - dy, xc]), 10)
            both = (d1 < tau_so) & (d2 < tau_so)
            neither = (d1 > tau_so) & (d2 > tau_so)
            q = xp.where(both, 1, xp.where(neither, sgm_q1 * sgm_q2, sgm_q1))
            P1, P2 = pi1 / q, pi2 / q
            # CUDA's min of floats is fminf: a NaN operand gives the other one
            cost = xp.fmin(prev, min0 + P2)
            cost[:, 1:] = xp.fmin(cost[:, 1:], prev[:, :-1] + (P1[:, 1:] / alpha1 if sgm_direction == 2 else P1[:, 1:]))
            cost[:, :-1] = xp.fmin(cost[:, :-1], prev[:, 1:] + (P1[:, :-1] / alpha1 if sgm_direction == 3 else
                                                                P1[:, :-1]))
            val = cur + cost - min0
        if dy == 0:
            out[:, pos, :] += val
        else:
            out[pos, :, :] += val
        prev = val


def sgm2(x0, x1, input, output, tmp, pi1, pi2, tau_so, alpha1, sgm_q1, sgm_q2, direction):
    """adcensus.cu:620: semi-global matching, the sum into ``output`` of the four scans (right, left, down, up) over
    the (1, H, W, D) cost volume ``input``; the penalties P1, P2 are divided by sgm_q1 where the left or the right
    image has an edge (a step of tau_so or more) along the scan and by sgm_q1 * sgm_q2 where both have; the vertical
    scans divide P1 by alpha1 for one disparity neighbour. ``tmp`` is the kernel's scratch, not read here."""
    _, H, W, D = input.size()
    assert D <= 400, 'sgm2: at most 400 disparities (the shared arrays)'
    a0, a1 = _plane(x0, H, W), _plane(x1, H, W)
    inp = input.array.reshape(H, W, D)
    out = output.array.reshape(H, W, D)
    for sgm_direction in range(4):
        _sgm2_pass(input.xp, a0, a1, inp, out, pi1, pi2, tau_so, alpha1, sgm_q1, sgm_q2, direction, sgm_direction)


def outlier_detection(d0, d1, outlier, disp_max):
    """adcensus.cu:878: the left-right check: 0 where the left disparity and the right one it points at agree
    within 1.1, else 2 (mismatch) if some disparity under disp_max agrees so, else 1 (occlusion)."""
    disp_max = int(disp_max)  # luaL_checkinteger
    xp = d0.xp
    H, W = d0.size(2), d0.size(3)
    a0, a1, o = _plane(d0, H, W), _plane(d1, H, W), outlier.array.reshape(H, W)
    xs = xp.arange(W)[None, :]
    ys = xp.arange(H)[:, None]
    d0i = a0.astype(xp.int64)
    inside = xs - d0i >= 0
    match = inside & (xp.abs(a0 - a1[ys, xp.clip(xs - d0i, 0, W - 1)]) < 1.1)
    mismatch = xp.zeros((H, W), dtype=bool)
    for d in range(disp_max):
        mismatch |= (xs - d >= 0) & (xp.abs(d - a1[:, xp.clip(xs - d, 0, W - 1)[0]]) < 1.1)
    o[...] = xp.where(match, 0, xp.where(inside & mismatch, 2, 1))


def interpolate_occlusion(d0, outlier):
    """adcensus.cu:1079: each occluded pixel (1) takes the disparity of the nearest matched pixel (0) to its left,
    or if there is none, to its right (its own where the row has none)."""
    xp = d0.xp
    H, W = d0.size(2), d0.size(3)
    a, o = _plane(d0, H, W), _plane(outlier, H, W)
    out = new_tensor_like(d0)
    cols = xp.broadcast_to(xp.arange(W)[None, :], (H, W))
    left = xp.maximum.accumulate(xp.where(o == 0, cols, -1), axis=1)
    right = xp.flip(xp.minimum.accumulate(xp.flip(xp.where(o == 0, cols, W), 1), axis=1), 1)
    src = xp.where(left >= 0, left, xp.where(right < W, right, cols))
    rows = xp.arange(H)[:, None]
    out.array.reshape(H, W)[...] = xp.where(o == 1, a[rows, src], a)
    return out


def _round(xp, v):
    """CUDA's round: halves away from zero."""
    return (xp.sign(v) * xp.floor(xp.abs(v) + 0.5)).astype(xp.int64)


def interpolate_mismatch(d0, outlier):
    """adcensus.cu:1001: each mismatched pixel (2) takes the median (the upper one of an even count) of the
    disparities of the first pixel that is not a mismatch along each of 16 directions."""
    xp = d0.xp
    H, W = d0.size(2), d0.size(3)
    a, o = _plane(d0, H, W), _plane(outlier, H, W)
    dirs = ((0, 1), (-0.5, 1), (-1, 1), (-1, 0.5), (-1, 0), (-1, -0.5), (-1, -1), (-0.5, -1),
            (0, -1), (0.5, -1), (1, -1), (1, -0.5), (1, 0), (1, 0.5), (1, 1), (0.5, 1))
    ys = xp.broadcast_to(xp.arange(H, dtype=xp.float64)[:, None], (H, W))
    xs = xp.broadcast_to(xp.arange(W, dtype=xp.float64)[None, :], (H, W))
    vals = xp.full((16, H, W), math.nan, dtype=a.dtype)
    todo = o == 2
    for k, (dx, dy) in enumerate(dirs):
        xx, yy = xs.copy(), ys.copy()
        walking = todo.copy()
        while True:
            xi, yi = _round(xp, xx), _round(xp, yy)
            inside = (yi >= 0) & (yi < H) & (xi >= 0) & (xi < W)
            on = o[xp.clip(yi, 0, H - 1), xp.clip(xi, 0, W - 1)] == 2
            walking &= inside & on
            if not bool(walking.any()):
                break
            xx = xp.where(walking, xx + dx, xx)
            yy = xp.where(walking, yy + dy, yy)
        vals[k] = xp.where(todo & inside, a[xp.clip(yi, 0, H - 1), xp.clip(xi, 0, W - 1)], math.nan)
    n = (~xp.isnan(vals)).sum(0)
    assert not bool((todo & (n == 0)).any()), 'interpolate_mismatch: no direction leaves the mismatch'
    med = xp.take_along_axis(xp.sort(vals, axis=0), (n // 2)[None], 0)[0]
    out = new_tensor_like(d0)
    out.array.reshape(H, W)[...] = xp.where(todo, med, a)
    return out


def subpixel_enchancement(d0, c2, disp_max):
    """adcensus.cu:1205: a parabola through the costs at d - 1, d, d + 1 moves each disparity by at most 1 (where
    its curvature is over 1e-5 and 1 <= d < disp_max - 1)."""
    disp_max = int(disp_max)  # luaL_checkinteger
    xp = d0.xp
    H, W = d0.size(2), d0.size(3)
    d = _plane(d0, H, W).astype(xp.int64)
    vol = c2.array.reshape(-1, H, W)
    inner = (d >= 1) & (d < disp_max - 1)
    rows, cols = xp.arange(H)[:, None], xp.arange(W)[None, :]
    cn = vol[xp.clip(d - 1, 0, vol.shape[0] - 1), rows, cols]
    cz = vol[xp.clip(d, 0, vol.shape[0] - 1), rows, cols]
    cp = vol[xp.clip(d + 1, 0, vol.shape[0] - 1), rows, cols]
    denom = 2 * (cp + cn - 2 * cz)
    step = xp.clip((cp - cn) / xp.where(denom > 1e-5, denom, 1), -1.0, 1.0)
    out = new_tensor_like(d0)
    out.array.reshape(H, W)[...] = xp.where(inner & (denom > 1e-5), d - step, d)
    return out


def median2d(img, kernel_size):
    """adcensus.cu:1575: the median (the upper one of an even count) of the kernel_size x kernel_size window,
    clipped at the borders."""
    assert kernel_size % 2 == 1 and kernel_size <= 11
    xp = img.xp
    H, W = img.size(2), img.size(3)
    r = kernel_size // 2
    p = xp.pad(_plane(img, H, W).astype(xp.float64), r, constant_values=math.nan)
    xs = xp.stack([p[r + oy:r + oy + H, r + ox:r + ox + W] for ox in range(-r, r + 1) for oy in range(-r, r + 1)])
    n = (~xp.isnan(xs)).sum(0)
    out = new_tensor_like(img)
    out.array.reshape(H, W)[...] = xp.take_along_axis(xp.sort(xs, axis=0), (n // 2)[None], 0)[0]
    return out


def mean2d(img, kernel, alpha2):
    """adcensus.cu:1241: the kernel-weighted mean over the window of the pixels within alpha2 of the centre's value
    (an edge-preserving blur). The kernel's flat index runs over xx outer, yy inner, so its first index is the
    column offset (main.lua's Gaussian is symmetric)."""
    assert kernel.size(0) % 2 == 1
    xp = img.xp
    H, W = img.size(2), img.size(3)
    r = kernel.size(0) // 2
    a = _plane(img, H, W)
    k = kernel.array.reshape(2 * r + 1, 2 * r + 1)
    p = xp.pad(a, r, constant_values=math.nan)
    total = xp.zeros((H, W), dtype=a.dtype)
    cnt = xp.zeros((H, W), dtype=a.dtype)
    for ox in range(-r, r + 1):
        for oy in range(-r, r + 1):
            q = p[r + oy:r + oy + H, r + ox:r + ox + W]
            take = xp.abs(q - a) < alpha2
            total += xp.where(take, q * k[ox + r, oy + r], 0)
            cnt += xp.where(take, k[ox + r, oy + r], 0)
    out = new_tensor_like(img)
    out.array.reshape(H, W)[...] = total / cnt
    return out


def Normalize_forward(input, norm, output):
    """adcensus.cu:1284-1333: norm = the sum of squares over the feature maps + 1e-5; output = input / sqrt(norm)."""
    x = input.array
    n = (x * x).sum(1, keepdims=True) + 1e-5
    norm.array[...] = n
    output.array[...] = x / input.xp.sqrt(n)


def Normalize_backward_input(grad_output, input, norm, grad_input):
    """adcensus.cu:1335: the gradient of x / sqrt(sum x^2 + 1e-5) over the feature maps, as the kernel writes it:
    ((n - x_i^2) g_i - x_i sum_{j != i} x_j g_j) / n^1.5."""
    x, g, n = input.array, grad_output.array, norm.array
    denom = n ** 1.5
    other = (x * g).sum(1, keepdims=True) - x * g
    grad_input.array[...] = (n - x * x) / denom * g - other * x / denom


def Margin2(input, tmp, gradInput, margin, pow):
    """adcensus.cu:1380-1453: for each (positive, negative) pair of scores (input's rows 2i, 2i + 1) the hinge
    max(0, neg - pos + margin) (pow 1) or its half square (pow 2) into tmp, and its derivatives into gradInput."""
    x = input.array.reshape(-1, 2)
    pos, neg = x[:, 0], x[:, 1]
    f = neg - pos + margin
    g = gradInput.array.reshape(-1, 2)
    if pow == 1:
        tmp.array[...] = input.xp.maximum(0, f)
        g[:, 0] = -1. * (f > 0)
        g[:, 1] = f > 0
    elif pow == 2:
        dd = input.xp.maximum(0, f)
        tmp.array[...] = dd * dd * 0.5
        g[:, 0] = -f * (f > 0)
        g[:, 1] = f * (f > 0)


def StereoJoin(input_L, input_R, output_L, output_R):
    """adcensus.cu:1455: minus the dot product of the left features at x and the right ones at x - d, into
    output_L[d, y, x] and output_R[d, y, x - d]; entries with x - d < 0 are left as they were."""
    _, D, H, W = output_L.size()
    C = input_L.size(1)
    assert C <= 128
    L = input_L.array.reshape(C, H, W)
    R = input_R.array.reshape(C, H, W)
    oL = output_L.array.reshape(D, H, W)
    oR = output_R.array.reshape(D, H, W)
    for d in range(min(D, W)):
        s = -(L[:, :, d:] * R[:, :, :W - d]).sum(0)
        oL[d, :, d:] = s
        oR[d, :, :W - d] = s
