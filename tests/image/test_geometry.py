"""legonn.image's geometry against loop transcriptions of torch/image's generic/image.c and init.lua's argument
forms. The transcriptions keep the C's types: its ``float`` variables and ``temp_t`` (float for a Byte or Float
image, double for a Double one) as NumPy scalars of that type, so that an expression without a double in it is
rounded as the C's, and Python floats where the C computes in double; Byte and Float results are compared
exactly."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import image

f32 = np.float32


def images(dtype, shape=(2, 5, 7), seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        return rng.integers(0, 256, shape).astype(np.uint8)
    return rng.random(shape).astype(dtype)


def from_intermediate(x, dtype):
    """image.c's FromIntermediate: a byte adds 0.5 and saturates, then C truncates to unsigned char."""
    if dtype == np.uint8:
        x = float(f32(x) + f32(0.5))
        return 0 if x <= 0 else 255 if x >= 255 else int(x)
    return x


def temp_t(dtype):
    """image.c's temp_t: double for a Double image, else float."""
    return np.float64 if dtype == np.float64 else f32


def check(got, want, dtype):
    """Byte and Float images exactly as the C's arithmetic; a Double one, which image.c passes through float
    variables in places (docs/porting.md), to double precision of the transcription's double arithmetic."""
    got = got.numpy() if hasattr(got, 'numpy') else got
    assert got.shape == want.shape
    if dtype == np.float64:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_array_equal(got, want)


# --- crop, translate, flips ------------------------------------------------------------------------------

def test_crop_forms_match_crop_no_scale():
    """image.c cropNoScale: dst[j][i] = src[j + starty][i + startx]; init.lua crop's 'c' offsets floored and
    the corner forms; the window ends x2, y2 are excluded."""
    src = images(np.float32, (3, 6, 9))
    x1, y1, x2, y2 = 2, 1, 7, 5
    want = np.zeros((3, y2 - y1, x2 - x1), np.float32)
    for k in range(3):
        for j in range(y2 - y1):
            for i in range(x2 - x1):
                want[k, j, i] = src[k, j + y1, i + x1]
    check(image.crop(src, x1, y1, x2, y2), want, np.float32)
    # the format forms: a 4 x 3 window of a 9 x 6 image
    starts = {'c': (2, 1), 'tl': (0, 0), 'tr': (5, 0), 'bl': (0, 3), 'br': (5, 3)}
    for fmt, (x, y) in starts.items():
        check(image.crop(src, fmt, 4, 3), src[:, y:y + 3, x:x + 4], np.float32)
    grey = src[0]
    check(image.crop(grey, 'br', 4, 3), grey[3:, 5:], np.float32)
    # (dst, src, x, y): a dst-sized window
    dst = lg.FloatTensor(3, 2, 3)
    assert image.crop(dst, src, 4, 2) is dst
    check(dst, src[:, 2:4, 4:7], np.float32)


def test_crop_into_dst_scales_the_window():
    """init.lua crop with a dst and an end: the window is cropped then image.scale(dst, window) (bilinear)."""
    src = images(np.float32, (2, 8, 8))
    dst = lg.FloatTensor(2, 3, 3)
    out = image.crop(dst, src, 1, 2, 7, 8)
    assert out is dst
    check(dst, image.scale(src[:, 2:8, 1:7].copy(), 3, 3, 'bilinear').numpy(), np.float32)
    out = image.crop(dst, src, 'tl', 6, 6)
    check(dst, image.scale(src[:, :6, :6].copy(), 3, 3).numpy(), np.float32)


def test_crop_outside_the_source_raises():
    """image.c cropNoScale: 'crop goes outside bounds of src'; init.lua: the format must be c|tl|tr|bl|br."""
    src = images(np.float32, (1, 4, 4))
    with pytest.raises(ValueError, match='image.crop'):
        image.crop(src, 1, 1, 5, 3)
    with pytest.raises(ValueError, match='image.crop'):
        image.crop(src, -1, 0, 2, 2)
    with pytest.raises(ValueError, match='image.crop.*format'):
        image.crop(src, 'middle', 2, 2)


@pytest.mark.parametrize('dtype', [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize('shift', [(2, 1), (-3, 2), (0, -4), (9, 0)])
def test_translate(dtype, shift):
    """image.c translate: dst zeroed (init.lua), then dst[j + y][i + x] = src[j][i] where it lands inside."""
    src = images(dtype, (2, 5, 7))
    x, y = shift
    want = np.zeros_like(src)
    for k in range(2):
        for j in range(5):
            for i in range(7):
                if 0 <= i + x < 7 and 0 <= j + y < 5:
                    want[k, j + y, i + x] = src[k, j, i]
    check(image.translate(src, x, y), want, dtype)
    dst = type(image.translate(src, 0, 0))()
    assert image.translate(dst, src, x, y) is dst
    check(dst, want, dtype)
    check(image.translate(src[0], x, y), want[0], dtype)


def test_hflip_vflip():
    """image.c hflip: dst[k][y][width-x-1] = src[k][y][x]; vflip: dst[k][height-1-y][x] = src[k][y][x]; in place
    when dst is src; init.lua takes H x W images as one plane."""
    src = images(np.float32, (3, 4, 5))
    h = np.zeros_like(src)
    v = np.zeros_like(src)
    for k in range(3):
        for y in range(4):
            for x in range(5):
                h[k, y, 5 - x - 1] = src[k, y, x]
                v[k, 4 - 1 - y, x] = src[k, y, x]
    check(image.hflip(src), h, np.float32)
    check(image.vflip(src), v, np.float32)
    check(image.hflip(src[1]), h[1], np.float32)
    t = lg.from_numpy(src.copy())
    assert image.vflip(t, t) is t
    check(t, v, np.float32)


def test_flip_each_dimension_of_a_5d_tensor():
    """image.c flip: the index along flip_dim becomes size - 1 - index; the dim is 0-based here (Lua's 1-based
    flip_dim - 1); init.lua pads smaller tensors to 5-D, so a 2-D tensor flips too."""
    src = images(np.float64, (2, 3, 2, 4, 3))
    for dim in range(5):
        want = np.zeros_like(src)
        for idx in np.ndindex(*src.shape):
            out = list(idx)
            out[dim] = src.shape[dim] - 1 - idx[dim]
            want[tuple(out)] = src[idx]
        check(image.flip(src, dim), want, np.float64)
    m = images(np.float32, (3, 4))
    dst = lg.FloatTensor()
    assert image.flip(dst, m, 1) is dst
    check(dst, m[:, ::-1], np.float32)
    with pytest.raises(ValueError, match='image.flip.*0-based'):
        image.flip(m, 2)


# --- scale ---------------------------------------------------------------------------------------------

def linear_rowcol(src, dst_len, dtype):
    """image.c scaleLinear_rowcol on a 1-D list: float positions, weights and (shrinking) accumulator; the
    pixels in temp_t. A Double image's accumulator is double here, as legonn keeps it (the C's is float)."""
    real = temp_t(dtype)
    src = [real(v) for v in src]
    src_len = len(src)
    dst = [0.0] * dst_len
    if dst_len > src_len:
        scale = f32(src_len - 1) / f32(dst_len - 1)
        for di in range(dst_len - 1):
            if src_len == 1:
                dst[di] = src[0]
                continue
            si_f = f32(di) * scale
            si_i = int(si_f)
            si_f = si_f - f32(si_i)
            dst[di] = from_intermediate((real(1) - real(si_f)) * src[si_i] + real(si_f) * src[si_i + 1], dtype)
        dst[dst_len - 1] = src[src_len - 1]
    elif dst_len < src_len:
        scale = f32(src_len) / f32(dst_len)
        si0_i, si0_f = 0, f32(0)
        for di in range(dst_len):
            si1_f = f32(di + 1) * scale
            si1_i = int(si1_f)
            si1_f = si1_f - f32(si1_i)
            acc = real(f32(1) - si0_f) * src[si0_i]
            n = f32(1) - si0_f
            for si in range(si0_i + 1, si1_i):
                acc += src[si]
                n += f32(1)
            if si1_i < src_len:
                acc += real(si1_f) * src[si1_i]
                n += si1_f
            dst[di] = from_intermediate(acc / real(n), dtype)
            si0_i, si0_f = si1_i, si1_f
    else:
        dst = list(src)
    return dst


def cubic(p0, p1, p2, p3, x):
    """image.c cubicInterpolate of temp_t scalars: a1, a2, a3 in temp_t, then ``a0 + 0.5 * x * (...)`` in
    double (0.5 is a double), returned as temp_t."""
    real = type(p1)
    a0, a1 = p1, p2 - p0
    a2 = real(2) * p0 - real(5) * p1 + real(4) * p2 - p3
    a3 = real(3) * (p1 - p2) + p3 - p0
    return real(float(a0) + 0.5 * float(x) * float(a1 + x * (a2 + x * a3)))


def cubic_rowcol(src, dst_len, dtype):
    """image.c scaleCubic_rowcol on a 1-D list (its unwritten last pixel for a 1-pixel source: that pixel)."""
    real = temp_t(dtype)
    src = [real(v) for v in src]
    src_len = len(src)
    if dst_len == src_len:
        return list(src)
    if src_len == 1:
        return [src[0]] * dst_len
    dst = [0.0] * dst_len
    scale = f32(src_len - 1) if dst_len == 1 else f32(src_len - 1) / f32(dst_len - 1)
    for di in range(dst_len - 1):
        si_f = f32(di) * scale
        si_i = int(si_f)
        si_f = si_f - f32(si_i)
        p1, p2 = src[si_i], src[si_i + 1]
        p0 = src[si_i - 1] if si_i > 0 else real(2) * p1 - p2
        p3 = src[si_i + 2] if si_i + 2 < src_len else real(2) * p2 - p1
        dst[di] = from_intermediate(cubic(p0, p1, p2, p3, real(si_f)), dtype)
    dst[dst_len - 1] = src[src_len - 1]
    return dst


def separable(src, height, width, rowcol, dtype):
    """image.c scaleBilinear / scaleBicubic: rows into a temporary of the source's type, then columns."""
    c, h, _ = src.shape
    tmp = np.zeros((c, h, width), dtype)
    out = np.zeros((c, height, width), dtype)
    for k in range(c):
        for j in range(h):
            tmp[k, j] = rowcol([float(v) for v in src[k, j]], width, dtype)
        for i in range(width):
            out[k, :, i] = rowcol([float(v) for v in tmp[k, :, i]], height, dtype)
    return out


SIZES = [(13, 9), (4, 3), (7, 5), (1, 1), (3, 11), (20, 2)]


@pytest.mark.parametrize('dtype', [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize('width,height', SIZES)
def test_scale_bilinear(dtype, width, height):
    """image.c scaleBilinear: scaleLinear_rowcol along rows then columns (interpolation when enlarging, area
    average when shrinking, a copy when equal)."""
    src = images(dtype, (2, 5, 7))
    check(image.scale(src, width, height), separable(src, height, width, linear_rowcol, dtype), dtype)
    check(image.scale(src[0], width, height, 'bilinear'),
          separable(src[:1], height, width, linear_rowcol, dtype)[0], dtype)


@pytest.mark.parametrize('dtype', [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize('width,height', SIZES)
def test_scale_bicubic(dtype, width, height):
    """image.c scaleBicubic: scaleCubic_rowcol (Catmull-Rom, outer neighbours extrapolated 2 p1 - p2, the last
    pixel copied); a byte image is rounded and clamped to 0..255 by FromIntermediate after each pass."""
    src = images(dtype, (2, 5, 7))
    check(image.scale(src, width, height, 'bicubic'), separable(src, height, width, cubic_rowcol, dtype), dtype)


def test_scale_bicubic_clamps_bytes_only():
    """FromIntermediate saturates a byte image's overshoot; a float image keeps it (no clamping in the C)."""
    step = np.zeros((1, 1, 6))
    step[..., 3:] = 1
    floats = image.scale(step.astype(np.float32), 11, 1, 'bicubic').numpy()
    assert floats.min() < 0 and floats.max() > 1
    bytes_ = image.scale((step * 255).astype(np.uint8), 11, 1, 'bicubic').numpy()
    np.testing.assert_array_equal(bytes_, separable((step * 255).astype(np.uint8), 1, 11, cubic_rowcol, np.uint8))
    assert bytes_.min() == 0 and bytes_.max() == 255


@pytest.mark.parametrize('dtype', [np.uint8, np.float32])
@pytest.mark.parametrize('width,height', SIZES)
def test_scale_simple(dtype, width, height):
    """image.c scaleSimple: dst[j][i] = src[(long)(j * scy)][(long)(i * scx)], float ratios, clamped."""
    src = images(dtype, (2, 5, 7))
    scx, scy = f32(7) / f32(width), f32(5) / f32(height)
    want = np.zeros((2, height, width), dtype)
    for j in range(height):
        for i in range(width):
            ii, jj = min(int(f32(i) * scx), 6), min(int(f32(j) * scy), 4)
            want[:, j, i] = src[:, jj, ii]
    check(image.scale(src, width, height, 'simple'), want, dtype)


def test_scale_size_forms():
    """init.lua scale's size: a number (the longer side), 'WxH', '^MIN', '*n/d', '*sc'; sizes truncated as
    Torch7's tensor constructor does, at least 1."""
    src = images(np.float32, (3, 30, 45))     # width 45, height 30
    assert image.scale(src, 90).size() == (3, 60, 90)
    assert image.scale(src, 20).size() == (3, 13, 20)           # 30 * 20 / 45 = 13.3
    assert image.scale(src, '20x10').size() == (3, 10, 20)
    assert image.scale(src, '^15').size() == (3, 15, 22)        # 45 * 15 / 30 = 22.5
    assert image.scale(src, '*2/3').size() == (3, 20, 30)
    # multiplied before dividing, as init.lua's iwidth*scn/scd: 47 * (3 / 47) is 2.9999999999999996
    assert image.scale(images(np.float32, (1, 47, 94)), '*3/47').size() == (1, 3, 6)
    assert image.scale(src, '*0.5', 'simple').size() == (3, 15, 22)
    assert image.scale(src, '100').size() == (3, 66, 100)
    assert image.scale(src, 0.5).size() == (3, 1, 1)
    assert image.scale(src, 7.9, 3.2).size() == (3, 3, 7)
    dst = lg.FloatTensor(3, 4, 6)
    assert image.scale(dst, src, 'simple') is dst
    check(dst, image.scale(src, 6, 4, 'simple').numpy(), np.float32)


def test_scale_bad_input():
    """init.lua: 'mode must be one of: simple | bicubic | bilinear', 'could not find valid dest size'; image.c:
    src not 2 or 3 dimensional, src and dst depths do not match."""
    src = images(np.float32, (3, 4, 4))
    with pytest.raises(ValueError, match='image.scale.*mode'):
        image.scale(src, 2, 2, 'nearest')
    with pytest.raises(ValueError, match='image.scale.*size'):
        image.scale(src, 'big')
    with pytest.raises(ValueError, match='image.scale.*dimensions'):
        image.scale(images(np.float32, (1, 3, 4, 4)), 2, 2)
    with pytest.raises(ValueError, match='image.scale.*depth'):
        image.scale(lg.FloatTensor(2, 3, 3), src)
    with pytest.raises(TypeError, match='image.scale.*Byte, Float or Double'):
        image.scale(np.ones((3, 4, 4), np.int32), 2, 2)


# --- rotate ----------------------------------------------------------------------------------------------

def c_round(x):
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def rotate_simple(src, theta):
    """image.c rotate, its float theta, cosine, sine and centre."""
    c, h, w = src.shape
    out = np.zeros_like(src)
    theta = f32(theta)
    cos_t, sin_t = f32(math.cos(float(theta))), f32(math.sin(float(theta)))
    xc, yc = f32((w - 1) / 2.0), f32((h - 1) / 2.0)
    for j in range(h):
        jd = f32(j)
        for i in range(w):
            id_ = f32(i)
            ii = c_round(float(cos_t * (id_ - xc) - sin_t * (jd - yc) + xc))
            jj = c_round(float(cos_t * (jd - yc) + sin_t * (id_ - xc) + yc))
            inside = 0 <= ii < w and 0 <= jj < h
            for k in range(c):
                out[k, j, i] = from_intermediate(float(src[k, jj, ii]) if inside else 0.0, src.dtype)
    return out


def rotate_bilinear(src, theta):
    """image.c rotateBilinear: positions in double stored as temp_t (float unless the image is double), the
    border rule that takes the nearest pixel within half a pixel of the edge."""
    c, h, w = src.shape
    tmp = np.float64 if src.dtype == np.float64 else f32
    out = np.zeros_like(src)
    theta = float(f32(theta))
    xc, yc = f32((w - 1) / 2.0), f32((h - 1) / 2.0)
    for j in range(h):
        jd = f32(j)
        for i in range(w):
            id_ = f32(i)
            ri = tmp(math.cos(theta) * float(id_ - xc) - math.sin(theta) * float(jd - yc))
            rj = tmp(math.cos(theta) * float(jd - yc) + math.sin(theta) * float(id_ - xc))
            ii_0, jj_0 = math.floor(ri + tmp(xc)), math.floor(rj + tmp(yc))
            ii_1, jj_1 = ii_0 + 1, jj_0 + 1
            wi, wj = tmp(ri + tmp(xc) - tmp(ii_0)), tmp(rj + tmp(yc) - tmp(jj_0))
            zero = False
            if ii_1 == w and wi < 0.5:
                ii_1 = ii_0
            elif ii_1 >= w:
                zero = True
            if jj_1 == h and wj < 0.5:
                jj_1 = jj_0
            elif jj_1 >= h:
                zero = True
            if ii_0 == -1 and wi > 0.5:
                ii_0 = ii_1
            elif ii_0 < 0:
                zero = True
            if jj_0 == -1 and wj > 0.5:
                jj_0 = jj_1
            elif jj_0 < 0:
                zero = True
            for k in range(c):
                val = 0.0 if zero else mix(src[k], ii_0, ii_1, jj_0, jj_1, wi, wj)
                out[k, j, i] = from_intermediate(val, src.dtype)
    return out


def mix(plane, ii_0, ii_1, jj_0, jj_1, wi, wj):
    """image.c's bilinear sum of rotateBilinear and the polar loops, ``wi`` and ``wj`` of their C type: the
    three terms with ``1.0 - w`` in double, ``wi * wj * p`` (no double constant in it) in the C's promotion of
    that type and the image's, which NumPy's scalars follow (float for float weights and a Byte image)."""
    return ((1.0 - float(wi)) * (1.0 - float(wj)) * float(plane[jj_0, ii_0])
            + float(wi) * (1.0 - float(wj)) * float(plane[jj_0, ii_1])
            + (1.0 - float(wi)) * float(wj) * float(plane[jj_1, ii_0])
            + float(wi * wj * plane[jj_1, ii_1]))


@pytest.mark.parametrize('dtype', [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize('theta', [0.0, 0.3, -1.1, math.pi / 2, 2.5])
def test_rotate(dtype, theta):
    """image.c rotate (nearest, C's round) and rotateBilinear; init.lua's default mode is 'simple'."""
    src = images(dtype, (2, 6, 7))
    check(image.rotate(src, theta), rotate_simple(src, theta), dtype)
    check(image.rotate(src, theta, 'bilinear'), rotate_bilinear(src, theta), dtype)
    dst = type(image.rotate(src, theta))()
    assert image.rotate(dst, src, theta, 'bilinear') is dst
    check(dst, rotate_bilinear(src, theta), dtype)
    check(image.rotate(src[1], theta, 'simple'), rotate_simple(src[1:], theta)[0], dtype)


def test_rotate_bad_input():
    """init.lua: 'mode must be one of: simple | bilinear'; image.c: in-place rotate not supported."""
    src = lg.from_numpy(images(np.float32))
    with pytest.raises(ValueError, match='image.rotate.*mode'):
        image.rotate(src, 0.1, 'bicubic')
    with pytest.raises(ValueError, match='image.rotate.*in-place'):
        image.rotate(src, src, 0.1)
    with pytest.raises(TypeError, match=r"^image\.rotate: expected theta to be a number \(radians\), got '0\.1'$"):
        image.rotate(src, '0.1')
    for theta in (math.inf, math.nan, 1e300):
        with pytest.raises(ValueError, match=r"^image\.rotate: expected a finite theta \(within a C float's range\)"):
            image.rotate(src, theta, 'bilinear')


def test_sources_without_pixels():
    """A source of 0 rows or columns: image.c's polar loops find no point inside it (0 everywhere), warp's 'pad'
    puts pad_value everywhere; scaling it, or clamping a warp to it, would read past it: refused. A dst without
    pixels is left as it is (image.c's loops write nothing)."""
    empty = np.zeros((2, 0, 4), np.float32)
    for interp in ('simple', 'bilinear'):
        for mode in ('valid', 'full'):
            check(image.polar(empty, interp, mode), np.zeros((2, 4, 4), np.float32), np.float32)
            check(image.logpolar(empty, interp, mode), np.zeros((2, 4, 4), np.float32), np.float32)
    field = np.zeros((2, 3, 5), np.float32)
    check(image.warp(empty, field, 'bicubic', True, 'pad', 0.25), np.full((2, 3, 5), 0.25, np.float32), np.float32)
    with pytest.raises(ValueError, match=r"^image\.warp: cannot clamp to a source without pixels \(size \(2, 0, 4\)\)"):
        image.warp(empty, field)
    with pytest.raises(ValueError, match=r"^image\.scale: expected a source image with pixels, got size \(2, 0, 4\)$"):
        image.scale(empty, 3, 3)
    dst = lg.FloatTensor(2, 0, 3)
    assert image.scale(dst, images(np.float32, (2, 4, 4)), 'bicubic') is dst and tuple(dst.size()) == (2, 0, 3)


# --- polar, logpolar -------------------------------------------------------------------------------------

def polar_loop(src, oh, ow, interp, full, log):
    """image.c polar / polarBilinear / logPolar / logPolarBilinear."""
    c, h, w = src.shape
    out = np.zeros((c, oh, ow), src.dtype)
    mid_y, mid_x = f32(h) / f32(2.0), f32(w) / f32(2.0)
    if full:
        m = f32(math.sqrt(float(f32(w) * f32(w) + f32(h) * f32(h))) / 2.0)
    else:
        m = mid_x if w < h else mid_y
    fw = f32(math.log(m) / float(f32(ow)))
    keep = f32 if log or src.dtype != np.float64 else np.float64
    for j in range(oh):
        a = f32((2 * math.pi * float(j)) / float(f32(oh)))
        for i in range(ow):
            r = f32(math.exp(float(f32(i) * fw))) if log else (m * f32(i)) / f32(ow)
            rj = float(r) * math.cos(float(a)) + float(mid_y)
            ri = -float(r) * math.sin(float(a)) + float(mid_x)
            if interp == 'bilinear':
                rj, ri = keep(rj), keep(ri)
            ii_0, jj_0 = math.floor(ri), math.floor(rj)
            ii_1, jj_1 = ii_0 + 1, jj_0 + 1
            if interp == 'bilinear':
                wi, wj = keep(ri - keep(ii_0)), keep(rj - keep(jj_0))
            for k in range(c):
                if interp == 'simple' or ii_1 > w - 1 or jj_1 > h - 1 or ii_0 < 0 or jj_0 < 0:
                    inside = 0 <= ii_0 < w and 0 <= jj_0 < h
                    val = float(src[k, jj_0, ii_0]) if inside else 0.0
                else:
                    val = mix(src[k], ii_0, ii_1, jj_0, jj_1, wi, wj)
                out[k, j, i] = from_intermediate(val, src.dtype)
    return out


@pytest.mark.parametrize('dtype', [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize('interp', ['simple', 'bilinear'])
@pytest.mark.parametrize('mode', ['valid', 'full'])
def test_polar_and_logpolar(dtype, interp, mode):
    """init.lua polar/logpolar (dst C x M x M, M the longer side) over image.c's four polar loops."""
    src = images(dtype, (2, 6, 9))
    full = mode == 'full'
    check(image.polar(src, interp, mode), polar_loop(src, 9, 9, interp, full, False), dtype)
    check(image.logpolar(src, interp, mode), polar_loop(src, 9, 9, interp, full, True), dtype)
    dst = type(image.polar(src))(2, 5, 8)
    assert image.polar(dst, src, interp, mode) is dst
    check(dst, polar_loop(src, 5, 8, interp, full, False), dtype)
    assert image.logpolar(dst, src, interp, mode) is dst
    check(dst, polar_loop(src, 5, 8, interp, full, True), dtype)


def test_polar_defaults_and_bad_input():
    """The defaults are 'simple' and 'valid' (init.lua swaps them, so its image.polar(src) fails);
    init.lua: 'interpolation must be one of: simple | bilinear', 'mode must be one of: valid | full'."""
    src = images(np.float32, (1, 4, 6))
    check(image.polar(src), polar_loop(src, 6, 6, 'simple', False, False), np.float32)
    with pytest.raises(ValueError, match='image.polar.*interpolation'):
        image.polar(src, 'bicubic')
    with pytest.raises(ValueError, match='image.logpolar.*mode'):
        image.logpolar(src, 'simple', 'same')


def test_byte_images_round_the_c_float_sums():
    """A Byte image's interpolations are computed in float as image.c's: scaleLinear_rowcol's float weights and
    accumulator, the ``wi * wj * p`` term of rotateBilinear and polarBilinear; then rounded half up. The same
    sums in double land on the other side of a .5 for a pixel of each of these images."""
    src = images(np.uint8, (1, 4, 5), seed=0)
    check(image.scale(src, 9, 3), separable(src, 3, 9, linear_rowcol, np.uint8), np.uint8)
    src = images(np.uint8, (1, 7, 8), seed=2)
    check(image.rotate(src, math.pi / 2, 'bilinear'), rotate_bilinear(src, math.pi / 2), np.uint8)
    src = images(np.uint8, (1, 4, 5), seed=396)
    check(image.polar(src, 'bilinear'), polar_loop(src, 5, 5, 'bilinear', False, False), np.uint8)


def test_nan_and_infinite_pixels_go_where_image_c_puts_them():
    """image.c sets a point outside the image to 0 and adds a shrinking scale's cut pixel only when there is one:
    a NaN or infinite border pixel stays out of those (a 0 mask or weight multiplied in would make them NaN)."""
    src = images(np.float32, (1, 5, 6))
    src[0, 0, :], src[0, 1:, 5] = np.nan, np.inf
    check(image.rotate(src, 0.7), rotate_simple(src, 0.7), np.float32)
    check(image.rotate(src, 0.7, 'bilinear'), rotate_bilinear(src, 0.7), np.float32)
    check(image.polar(src, 'bilinear', 'full'), polar_loop(src, 6, 6, 'bilinear', True, False), np.float32)
    check(image.scale(src, 4, 3), separable(src, 3, 4, linear_rowcol, np.float32), np.float32)
    assert image.rotate(src, 0.7).numpy()[0, 0, 0] == 0


# --- warp, affinetransform -------------------------------------------------------------------------------

def lanczos_weights(p, start):
    out = []
    for u in range(start, start + 6):
        d = abs(f32(p) - f32(u))
        if d < f32(0.000001):
            out.append(f32(1))
        elif d > f32(3):
            out.append(f32(0))
        else:
            # (float)rad times sin's double is double: a Python float here, as f32(3) * a Python float is float
            out.append(f32((3.0 * math.sin(float(f32(math.pi) * d)) * math.sin(float(f32(math.pi) * d / f32(3))))
                           / float(f32(math.pi * math.pi) * d * d)))
    return out


def warp_loop(src, field, mode, offset_mode=True, clamp_mode='clamp', pad_value=0.0):
    """image.c warp: float flow and positions, clamped to the image unless 'pad' puts pad_value off it."""
    c, h, w = src.shape
    oh, ow = field.shape[1:]
    tmp = np.float64 if src.dtype == np.float64 else f32
    out = np.zeros((c, oh, ow), src.dtype)
    for y in range(oh):
        for x in range(ow):
            iy = f32(int(offset_mode) * y) + f32(field[0, y, x])
            ix = f32(int(offset_mode) * x) + f32(field[1, y, x])
            if (iy < 0 or iy > h - 1 or ix < 0 or ix > w - 1) and clamp_mode == 'pad':
                out[:, y, x] = pad_value
                continue
            # MAX(p, 0) then MIN(p, n - 1): C's comparisons, which take a NaN to 0
            ix, iy = (ix if ix > 0 else f32(0)), (iy if iy > 0 else f32(0))
            ix, iy = (ix if ix < w - 1 else f32(w - 1)), (iy if iy < h - 1 else f32(h - 1))
            for k in range(c):
                if mode == 'simple':
                    out[k, y, x] = src[k, math.floor(float(iy) + 0.5), math.floor(float(ix) + 0.5)]
                    continue
                if mode == 'bilinear':
                    x0, y0 = math.floor(ix), math.floor(iy)
                    nw = tmp((f32(x0 + 1) - ix) * (f32(y0 + 1) - iy))
                    ne = tmp((ix - f32(x0)) * (f32(y0 + 1) - iy))
                    sw = tmp((f32(x0 + 1) - ix) * (iy - f32(y0)))
                    se = tmp((ix - f32(x0)) * (iy - f32(y0)))
                    val = (float(src[k, y0, x0]) * nw + float(src[k, y0, min(x0 + 1, w - 1)]) * ne
                           + float(src[k, min(y0 + 1, h - 1), x0]) * sw
                           + float(src[k, min(y0 + 1, h - 1), min(x0 + 1, w - 1)]) * se)
                elif mode == 'bicubic':
                    x0, y0 = math.floor(ix), math.floor(iy)
                    dx, dy = tmp(ix - f32(x0)), tmp(iy - f32(y0))
                    rows = []
                    for a in range(4):
                        v = y0 + a - 1
                        p = [tmp(src.dtype.type(pad_value)) if not (0 <= v < h and 0 <= x0 + b - 1 < w)
                             else tmp(src[k, v, x0 + b - 1]) for b in range(4)]
                        rows.append(cubic(*p, dx))
                    val = cubic(*rows, dy)
                else:
                    x0, y0 = math.floor(ix), math.floor(iy)
                    lu, lv = lanczos_weights(ix, x0 - 2), lanczos_weights(iy, y0 - 2)
                    # the sum of the weights in float, the weighted pixels in temp_t, x outer and y inner
                    total = f32(0)
                    for a in lu:
                        for b in lv:
                            total += a * b
                    val = tmp(0)
                    for i, u in enumerate(range(x0 - 2, x0 + 4)):
                        for j, v in enumerate(range(y0 - 2, y0 + 4)):
                            val += tmp(src[k, min(max(v, 0), h - 1), min(max(u, 0), w - 1)]) * tmp(lu[i] * lv[j])
                    val /= tmp(total)
                out[k, y, x] = from_intermediate(float(val), src.dtype)
    return out


@pytest.mark.parametrize('dtype', [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize('mode', ['simple', 'bilinear', 'bicubic', 'lanczos'])
def test_warp(dtype, mode):
    """image.c warp's four modes, offset and absolute fields, clamp and pad (init.lua's defaults: bilinear,
    offset_mode true, clamp)."""
    src = images(dtype, (2, 6, 8))
    rng = np.random.default_rng(1)
    field = (rng.random((2, 5, 7)) * 6 - 3).astype(np.float32)
    check(image.warp(src, field, mode), warp_loop(src, field, mode), dtype)
    absolute = np.stack([rng.random((5, 7)) * 7 - 0.5, rng.random((5, 7)) * 9 - 0.5]).astype(np.float32)
    check(image.warp(src, absolute, mode, False), warp_loop(src, absolute, mode, False), dtype)
    dst = type(image.warp(src, field))()
    assert image.warp(dst, src, field, mode, True, 'pad', 7) is dst
    check(dst, warp_loop(src, field, mode, True, 'pad', 7), dtype)
    check(image.warp(src[0], field, mode=mode, clamp_mode='pad'),
          warp_loop(src[:1], field, mode, True, 'pad')[0], dtype)


@pytest.mark.parametrize('mode', ['simple', 'bilinear', 'bicubic', 'lanczos'])
def test_warp_of_nan_and_infinite_positions(mode):
    """image.c warp clamps a position with MAX(p, 0) and MIN(p, n - 1): a NaN (not off the image for the 'pad'
    test either) reads row or column 0, an infinity the border."""
    src = images(np.float32, (2, 5, 6))
    field = (np.random.default_rng(3).random((2, 4, 5)) * 8 - 2).astype(np.float32)
    field[0, 1, :] = np.nan
    field[1, :, 2] = np.nan
    field[0, 3, 1], field[1, 0, 4] = np.inf, -np.inf
    check(image.warp(src, field, mode, False), warp_loop(src, field, mode, False), np.float32)
    check(image.warp(src, field, mode, False, 'pad', 0.5), warp_loop(src, field, mode, False, 'pad', 0.5),
          np.float32)
    assert (image.warp(src, field, mode, False).numpy()[:, 1, 2] == src[:, 0, 0]).all()


def test_warp_default_is_bilinear_and_bad_input():
    """init.lua warp: bilinear by default; mode and clamp_mode checked; pad_value only with 'pad'; image.c reads
    the field as 2 x H x W."""
    src = images(np.float32, (1, 4, 5))
    field = np.full((2, 4, 5), 0.25, np.float32)
    check(image.warp(src, field), warp_loop(src, field, 'bilinear'), np.float32)
    with pytest.raises(ValueError, match='image.warp.*mode'):
        image.warp(src, field, 'cubic')
    with pytest.raises(ValueError, match='image.warp.*clamp_mode'):
        image.warp(src, field, 'simple', True, 'wrap')
    with pytest.raises(ValueError, match='image.warp.*pad_value'):
        image.warp(src, field, 'simple', True, 'clamp', 1)
    with pytest.raises(TypeError, match=r"^image\.warp: expected pad_value to be a number, got '1'$"):
        image.warp(src, field, 'simple', True, 'pad', '1')
    with pytest.raises(ValueError, match=r"^image\.affinetransform: expected pad_value within 0\.\.255 for a "
                                         r"ByteTensor image, got 300$"):
        image.affinetransform(images(np.uint8, (1, 4, 5)), np.eye(2), clamp_mode='pad', pad_value=300)
    # the C's (unsigned char) cast of 255.9 and of -0.5: 255 and 0
    off = np.full((2, 4, 5), -9, np.float32)
    assert (image.warp(images(np.uint8, (1, 4, 5)), off, 'simple', True, 'pad', 255.9).numpy() == 255).all()
    assert (image.warp(images(np.uint8, (1, 4, 5)), off, 'simple', True, 'pad', -0.5).numpy() == 0).all()
    # None is 0, as lua_tonumber(nil)
    assert (image.warp(src, off, 'simple', True, 'pad', None).numpy() == 0).all()
    with pytest.raises(ValueError, match='image.warp.*field'):
        image.warp(src, field[:1], 'simple')


@pytest.mark.parametrize('mode', ['simple', 'bilinear', 'bicubic'])
def test_affinetransform(mode):
    """init.lua affinetransform: grid g of -(y - (H-1)/2), -(x - (W-1)/2) (via linspace), field
    g - matrix g - translation in double, then image.c warp with offset_mode on."""
    src = images(np.float32, (2, 5, 6))
    h, w = 5, 6
    matrix = np.array([[0.9, -0.3], [0.2, 1.1]])
    translation = np.array([0.5, -1.25])
    field = np.zeros((2, h, w))
    for y in range(h):
        for x in range(w):
            gy = (-1 + 2 * y / (h - 1)) * ((h - 1) / 2) * -1
            gx = (-1 + 2 * x / (w - 1)) * ((w - 1) / 2) * -1
            field[0, y, x] = gy - (matrix[0, 0] * gy + matrix[0, 1] * gx) - translation[0]
            field[1, y, x] = gx - (matrix[1, 0] * gy + matrix[1, 1] * gx) - translation[1]
    want = warp_loop(src, field, mode)
    check(image.affinetransform(src, matrix, mode, translation), want, np.float32)
    dst = lg.FloatTensor()
    assert image.affinetransform(dst, src, lg.from_numpy(matrix), mode, translation) is dst
    check(dst, want, np.float32)
    # the identity matrix leaves the image as it is
    check(image.affinetransform(src, np.eye(2)), src, np.float32)


# --- on the GPU --------------------------------------------------------------------------------------------

@pytest.mark.gpu
def test_geometry_on_cuda_tensors_matches_the_cpu():
    """Every function computes on a CUDA tensor's CuPy array and gives a CUDA tensor of the same values."""
    src = lg.from_numpy(images(np.float32, (2, 6, 8)))
    gpu = src.cuda()
    field = lg.from_numpy(np.full((2, 5, 7), 0.4, np.float32))
    calls = [lambda s: image.scale(s, 11, 4, 'bicubic'), lambda s: image.scale(s, 3, 2),
             lambda s: image.scale(s, '*2', 'simple'), lambda s: image.rotate(s, 0.7, 'bilinear'),
             lambda s: image.rotate(s, 0.7), lambda s: image.crop(s, 'c', 4, 3), lambda s: image.translate(s, 2, -1),
             lambda s: image.hflip(s), lambda s: image.vflip(s), lambda s: image.flip(s, 0),
             lambda s: image.polar(s, 'bilinear', 'full'), lambda s: image.logpolar(s),
             lambda s: image.warp(s, field.cuda() if s.is_cuda else field, 'lanczos'),
             lambda s: image.warp(s, field.cuda() if s.is_cuda else field, 'bicubic', True, 'pad', 0.5),
             lambda s: image.affinetransform(s, np.array([[1.0, 0.2], [0.0, 1.0]]))]
    for call in calls:
        want, got = call(src), call(gpu)
        assert got.is_cuda
        np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
