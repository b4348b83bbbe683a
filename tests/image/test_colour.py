"""torch/image's colour spaces and colour maps against float64 transcriptions of its loops (generic/image.c's
per-pixel C, init.lua's per-channel Lua), written here one pixel at a time."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import image


def _image(seed, shape=(3, 5, 6), grey_pixels=True):
    """A double RGB image in [0, 1] with grey pixels and pixels where two channels tie for the max."""
    x = np.random.default_rng(seed).random(shape)
    if grey_pixels:
        x[:, 0, 0] = 0.25
        x[:, 0, 1] = 0.0
        x[:, 0, 2] = 1.0
        x[1, 1, 0] = x[0, 1, 0]          # red and green tie for the max
        x[2, 1, 1] = x[1, 1, 1] = 0.9    # green and blue tie
        x[:, 1, 2] = [0.9, 0.3, 0.3]     # red is the max, green equals blue: hue 0, not 1
    return x


def _per_pixel(f, x):
    """``f(a, b, c) -> (p, q, r)`` applied to each pixel of a 3 x H x W array."""
    out = np.empty_like(x, dtype=np.float64)
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            out[:, i, j] = f(*x[:, i, j])
    return out


def _hue(r, g, b, mx, d):
    if mx == r:
        h = (g - b) / d + (6 if g < b else 0)
    elif mx == g:
        h = (b - r) / d + 2
    else:
        h = (r - g) / d + 4
    return h / 6


def _rgb2hsl(r, g, b):
    mx, mn = max(r, g, b), min(r, g, b)
    if mx == mn:
        return 0, 0, mx
    d = mx - mn
    l = (mx + mn) / 2
    return _hue(r, g, b, mx, d), (d / (2 - mx - mn) if l > 0.5 else d / (mx + mn)), l


def _rgb2hsv(r, g, b):
    mx, mn = max(r, g, b), min(r, g, b)
    if mx == mn:
        return 0, 0, mx
    d = mx - mn
    return _hue(r, g, b, mx, d), d / mx, mx


def _hue2rgb(p, q, t):
    if t < 0:
        t += 1
    if t > 1:
        t -= 1
    if t < 1 / 6:
        return p + (q - p) * 6 * t
    if t < 1 / 2:
        return q
    if t < 2 / 3:
        return p + (q - p) * (2 / 3 - t) * 6
    return p


def _hsl2rgb(h, s, l):
    if s == 0:
        return l, l, l
    q = l * (1 + s) if l < 0.5 else l + s - l * s
    p = 2 * l - q
    return _hue2rgb(p, q, h + 1 / 3), _hue2rgb(p, q, h), _hue2rgb(p, q, h - 1 / 3)


def _hsv2rgb(h, s, v):
    i = math.floor(h * 6)
    f = h * 6 - i
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    case = int(math.fmod(i, 6))
    return {0: (v, t, p), 1: (q, v, p), 2: (p, v, t), 3: (p, q, v), 4: (t, p, v), 5: (v, p, q)}.get(case, (0, 0, 0))


def _expand(c):
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _compress(c):
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


EPS, KAPPA = 216 / 24389, 24389 / 27


def _rgb2lab(r, g, b):
    r, g, b = _expand(r), _expand(g), _expand(b)
    X = (0.412453 * r + 0.357580 * g + 0.180423 * b) / 0.950456
    Y = 0.212671 * r + 0.715160 * g + 0.072169 * b
    Z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / 1.088754
    fx, fy, fz = (math.pow(c, 1 / 3) if c > EPS else (KAPPA * c + 16) / 116 for c in (X, Y, Z))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _lab2rgb(l, a, b):
    fy = (l + 16) / 116
    fz = fy - b / 200
    fx = a / 500 + fy
    X = fx ** 3 if fx ** 3 > EPS else (116 * fx - 16) / KAPPA
    Y = ((l + 16) / 116) ** 3 if l > KAPPA * EPS else l / KAPPA
    Z = fz ** 3 if fz ** 3 > EPS else (116 * fz - 16) / KAPPA
    X, Z = X * 0.950456, Z * 1.088754
    return (_compress(3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z),
            _compress(-0.9692660 * X + 1.8760108 * Y + 0.0415560 * Z),
            _compress(0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z))


def test_yuv_matches_init_lua_and_round_trips():
    """init.lua's rgb2yuv/yuv2rgb: three weighted sums per pixel; the inverse undoes the forward to the
    precision of its five-digit constants."""
    x = _image(0)
    yuv = _per_pixel(lambda r, g, b: (0.299 * r + 0.587 * g + 0.114 * b, -0.14713 * r - 0.28886 * g + 0.436 * b,
                                      0.615 * r - 0.51499 * g - 0.10001 * b), x)
    got = image.rgb2yuv(lg.DoubleTensor(x))
    assert isinstance(got, lg.DoubleTensor) and tuple(got.size()) == (3, 5, 6)
    np.testing.assert_allclose(got.numpy(), yuv, rtol=0, atol=1e-15)
    rgb = _per_pixel(lambda y, u, v: (y + 1.13983 * v, y - 0.39465 * u - 0.58060 * v, y + 2.03211 * u), yuv)
    back = image.yuv2rgb(got)
    np.testing.assert_allclose(back.numpy(), rgb, rtol=0, atol=1e-15)
    np.testing.assert_allclose(back.numpy(), x, rtol=0, atol=5e-5)


@pytest.mark.parametrize('forward, inverse, f_loop, i_loop', [
    (image.rgb2hsl, image.hsl2rgb, _rgb2hsl, _hsl2rgb), (image.rgb2hsv, image.hsv2rgb, _rgb2hsv, _hsv2rgb)])
def test_hsl_hsv_match_image_c_and_round_trip(forward, inverse, f_loop, i_loop):
    """image.c's rgb2hsl/hsl2rgb and rgb2hsv/hsv2rgb, grey pixels and tied maxima included, and the round trip."""
    x = _image(1)
    converted = forward(lg.DoubleTensor(x))
    np.testing.assert_allclose(converted.numpy(), _per_pixel(f_loop, x), rtol=0, atol=1e-15)
    back = inverse(converted)
    np.testing.assert_allclose(back.numpy(), _per_pixel(i_loop, converted.numpy()), rtol=0, atol=1e-15)
    np.testing.assert_allclose(back.numpy(), x, rtol=0, atol=1e-12)


def test_hsv2rgb_wraps_hue_one_and_blacks_out_negative_hues():
    """image.c's switch on ``i % 6``: hue 1 is sector 6 -> case 0; a negative hue leaves C's remainder negative,
    which no case matches (black)."""
    hsv = np.array([[1.0, -0.1], [0.5, 0.5], [0.8, 0.8]]).reshape(3, 1, 2)
    got = image.hsv2rgb(lg.DoubleTensor(hsv)).numpy()
    np.testing.assert_allclose(got[:, 0, 0], _hsv2rgb(1.0, 0.5, 0.8))
    np.testing.assert_allclose(got[:, 0, 0], [0.8, 0.4, 0.4])
    assert got[:, 0, 1].tolist() == [0, 0, 0]


def test_lab_matches_image_c_and_round_trips():
    """image.c's rgb2lab/lab2rgb (sRGB gamma, XYZ, D65), both branches of each piecewise function (dark
    pixels take the linear ones)."""
    x = _image(2)
    x[:, 2, 0] = [0.01, 0.02, 0.0]   # linear gamma branch and the linear Lab branch
    lab = image.rgb2lab(lg.DoubleTensor(x))
    np.testing.assert_allclose(lab.numpy(), _per_pixel(_rgb2lab, x), rtol=1e-13, atol=1e-12)
    back = image.lab2rgb(lab)
    np.testing.assert_allclose(back.numpy(), _per_pixel(_lab2rgb, lab.numpy()), rtol=1e-13, atol=1e-13)
    # the forward and inverse matrices are rounded differently in image.c
    np.testing.assert_allclose(back.numpy(), x, rtol=0, atol=1e-4)


def test_rgb2y_and_rgb2nrgb():
    """image.c's rgb2y (a 1 x H x W luma) and init.lua's rgb2nrgb (each channel over R + G + B + 1e-6)."""
    x = _image(3)
    y = image.rgb2y(lg.DoubleTensor(x))
    assert tuple(y.size()) == (1, 5, 6)
    np.testing.assert_allclose(y.numpy()[0], _per_pixel(lambda r, g, b: (0.299 * r + 0.587 * g + 0.114 * b,) * 3,
                                                         x)[0], rtol=0, atol=1e-15)
    n = image.rgb2nrgb(lg.DoubleTensor(x)).numpy()
    np.testing.assert_allclose(n, _per_pixel(lambda r, g, b: (r / (r + g + b + 1e-6), g / (r + g + b + 1e-6),
                                                              b / (r + g + b + 1e-6)), x), rtol=1e-15)


def test_byte_images_as_image_c_stores_them():
    """A ByteTensor: image.c reads HSV/HSL channels as value / 255 in float, stores results times 255 plus 0.5,
    clamped and truncated (FromIntermediate); rgb2y neither scales nor skips the rounding. The transcription
    computes in float32, as temp_t is for bytes."""
    f = np.float32
    x = np.random.default_rng(4).integers(0, 256, (3, 4, 5)).astype(np.uint8)
    x[:, 0, 0] = 77

    def store(v):
        v = f(v) + f(0.5)
        return np.uint8(0 if v <= 0 else 255 if v >= 255 else v)

    def hsv(r, g, b):
        r, g, b = f(r) / f(255), f(g) / f(255), f(b) / f(255)
        return tuple(store(c * f(255)) for c in _rgb2hsv(r, g, b))

    got = image.rgb2hsv(lg.ByteTensor(x))
    assert isinstance(got, lg.ByteTensor)
    assert (got.numpy() == _per_pixel(hsv, x)).all()
    y = image.rgb2y(lg.ByteTensor(x)).numpy()[0]
    want = [[store(f(0.299 * r + 0.587 * g + 0.114 * b)) for r, g, b in zip(*x[:, i])] for i in range(4)]
    assert (y == np.array(want)).all()


def test_float_images_round_as_image_c_does():
    """For a FloatTensor image.c's temp_t is float: hsl2rgb's expressions with double constants (1./3, 6.) are
    computed in double and rounded into float, those without (``q - p``) in float. A float32 transcription of
    hsl2rgb gives the same bits."""
    f = np.float32
    # values outside [0, 1] too (image.c takes them as they are), where a float q - p drops bits of a double one
    hsl = (np.random.default_rng(0).random((3, 6, 6)) * 3 - 1).astype(np.float32)

    def hue2rgb(p, q, t):
        if t < 0:
            t = f(t + f(1))
        if t > 1:
            t = f(t - f(1))
        # q - p has no double in it: a float difference, before 6. makes the rest double
        span, p, t = float(q - p), float(p), float(t)
        if t < 1. / 6:
            return f(p + span * 6. * t)
        if t < 1. / 2:
            return q
        if t < 2. / 3:
            return f(p + span * (2. / 3 - t) * 6.)
        return f(p)

    def loop(h, s, l):
        q = f(l * (f(1) + s)) if l < 0.5 else f(l + s - l * s)
        p = f(f(2) * l - q)
        return tuple(hue2rgb(p, q, f(float(h) + shift)) for shift in (1. / 3, 0.0, -1. / 3))

    want = np.empty_like(hsl)
    for i in range(hsl.shape[1]):
        for j in range(hsl.shape[2]):
            want[:, i, j] = loop(*hsl[:, i, j])
    assert (image.hsl2rgb(lg.FloatTensor(hsl)).numpy() == want).all()


def test_hsv_hsl_of_nan_channels_follow_image_c_max_and_min():
    """image.c's max/min macros, ``(a > b) ? a : b``, keep the other value against a NaN in the first place and
    take a NaN in the second: (NaN, .2, .6) has max .6 and min .2, so v = .6, s = .4 / .6, l = .4, s_hsl =
    .4 / .8, and a NaN hue ((r - g) / d + 4); (.3, NaN, .1) has max and min (NaN then .1) .1: a grey pixel."""
    rgb = np.array([[[np.nan, 0.3]], [[0.2, np.nan]], [[0.6, 0.1]]])
    hsv = image.rgb2hsv(lg.DoubleTensor(rgb)).numpy()[:, 0]
    assert np.isnan(hsv[0, 0])
    np.testing.assert_array_equal(hsv[1:, 0], [(0.6 - 0.2) / 0.6, 0.6])
    np.testing.assert_array_equal(hsv[:, 1], [0, 0, 0.1])
    hsl = image.rgb2hsl(lg.DoubleTensor(rgb)).numpy()[:, 0]
    assert np.isnan(hsl[0, 0])
    np.testing.assert_array_equal(hsl[1:, 0], [(0.6 - 0.2) / (0.6 + 0.2), (0.6 + 0.2) / 2])
    np.testing.assert_array_equal(hsl[:, 1], [0, 0, 0.1])


def test_dst_forms_and_arrays():
    """init.lua's ``f(dst, src)``: dst is resized, filled and returned; arrays are taken without copying and
    give tensors of their type."""
    x = _image(6)
    dst = lg.DoubleTensor()
    assert image.rgb2hsv(dst, x) is dst
    assert np.array_equal(dst.numpy(), image.rgb2hsv(lg.DoubleTensor(x)).numpy())
    y = lg.DoubleTensor(7)
    assert image.rgb2y(y, x) is y and tuple(y.size()) == (1, 5, 6)
    out = image.rgb2yuv(x.astype(np.float32))
    assert isinstance(out, lg.FloatTensor)


def test_bad_input_names_the_function():
    """Shape, type and argument-count errors say which image function and what it expected."""
    with pytest.raises(ValueError, match=r'image\.rgb2yuv: expected a 3 x H x W image'):
        image.rgb2yuv(lg.DoubleTensor(4, 5))
    with pytest.raises(ValueError, match=r'image\.rgb2hsl: expected a 3 x H x W'):
        image.rgb2hsl(lg.DoubleTensor(4, 2, 2))
    with pytest.raises(TypeError, match=r'image\.rgb2hsv: expected a Float, Double or Byte tensor, got a '):
        image.rgb2hsv(lg.LongTensor(3, 2, 2))
    with pytest.raises(TypeError, match=r'image\.rgb2lab: expected a Float or Double tensor'):
        image.rgb2lab(lg.ByteTensor(3, 2, 2))
    with pytest.raises(TypeError, match=r'image\.yuv2rgb: expected \(\[dst,\] src\), got 3 arguments'):
        image.yuv2rgb(lg.DoubleTensor(3, 2, 2), lg.DoubleTensor(3, 2, 2), 1)
    with pytest.raises(TypeError, match=r'image\.rgb2y: expected the source image as a legonn.Tensor'):
        image.rgb2y('picture.png')


def test_jet_colormap_by_hand():
    """init.lua's jetColormap(4): v = 4 i / 4 = i for the 1-based row i."""
    assert image.jetColormap(4).numpy().tolist() == [[0, 0.5, 1], [0.5, 1, 0.5], [1, 0.5, 0], [0.5, 0, 0]]
    assert isinstance(image.jetColormap(4), lg.FloatTensor)


def test_colormap_matches_init_lua():
    """init.lua's colormap: a running hue (+39 degrees) and saturation (+1/9, wrapped at 0.7), HSL to RGB."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    n = 100
    want, huef, satf = [], 0.0, 0.0
    for _ in range(n):
        hue, sat, light = math.fmod(huef, 360), math.fmod(satf, 0.7) + 0.3, 0.5
        huef += 39
        satf += 1 / 9
        c = (1 - abs(2 * light - 1)) * sat
        huep = hue / 60
        x = c * (1 - abs(math.fmod(huep, 2) - 1))
        rgb = [(c, x, 0), (x, c, 0), (0, c, x), (0, x, c), (x, 0, c), (c, 0, x)][min(int(huep), 5)]
        m = light - c / 2
        want.append([v + m for v in rgb])
    got = image.colormap(n)
    assert isinstance(got, lg.DoubleTensor)
    np.testing.assert_array_equal(got.numpy(), want)


def test_y2jet_paints_0_based_levels():
    """init.lua's y2jet (image.c's colorize): level v (0-based here, v + 1 in Torch7) takes row v of
    jetColormap(L), L the highest level plus one; a ByteTensor's colours are times 255, rounded."""
    levels = np.array([[0, 1, 2], [3, 3, 0]])
    jet = image.jetColormap(4).numpy().astype(np.float64)
    got = image.y2jet(lg.DoubleTensor(levels))
    assert tuple(got.size()) == (3, 2, 3)
    for i in range(2):
        for j in range(3):
            assert got.numpy()[:, i, j].tolist() == jet[levels[i, j]].tolist()
    as_bytes = image.y2jet(lg.ByteTensor(levels[None])).numpy()
    assert as_bytes[:, 0, 1].tolist() == [128, 255, 128]   # (0.5, 1, 0.5) * 255 rounded half up
    with pytest.raises(ValueError, match=r'image\.y2jet: expected levels from 0'):
        image.y2jet(lg.DoubleTensor([[-1.0, 2.0]]))
    with pytest.raises(ValueError, match=r'image\.y2jet: expected levels from 0 \(0-based\), got a highest level of '
                                         r'-0\.5'):
        image.y2jet(lg.DoubleTensor([[-0.5, -0.75]]))


def test_y2jet_of_fractional_levels():
    """init.lua's y2jet takes L = input:max() as it is: jetColormap(L) of a fractional L has floor(L) rows, row i
    (1-based) of ``4 i / L``; a pixel takes row (int)(level - 1). Here the 1-based levels 1.5, 2.2 and 3.5
    (0-based 0.5, 1.2, 2.5): L = 3.5, rows of 4/3.5, 8/3.5 and 12/3.5."""
    def jet_row(four):
        return [max(min(four - 1.5, -four + 4.5, 1), 0), max(min(four - 0.5, -four + 3.5, 1), 0),
                max(min(four + 0.5, -four + 2.5, 1), 0)]

    got = image.y2jet(lg.DoubleTensor([[0.5, 1.2, 2.5]])).numpy()
    for j, row in enumerate((1, 2, 3)):
        assert got[:, 0, j].tolist() == jet_row(4 * row / 3.5)
    with pytest.raises(ValueError, match=r'image\.jetColormap: expected nbColor to be a non-negative whole number'):
        image.jetColormap('8')


@pytest.mark.gpu
def test_on_cuda_tensors():
    """The conversions run on CuPy arrays and give the CPU's numbers."""
    x = _image(7)
    for f in (image.rgb2yuv, image.rgb2hsl, image.hsv2rgb, image.rgb2lab, image.rgb2y, image.rgb2nrgb):
        gpu = f(lg.DoubleTensor(x).cudaDouble())
        assert gpu.is_cuda
        np.testing.assert_allclose(gpu.cpu().numpy(), f(lg.DoubleTensor(x)).numpy(), rtol=1e-12, atol=1e-12)
    levels = lg.DoubleTensor([[0.0, 1.0], [2.0, 1.0]])
    assert np.array_equal(image.y2jet(levels.cudaDouble()).cpu().numpy(), image.y2jet(levels).numpy())
