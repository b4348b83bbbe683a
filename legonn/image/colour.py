"""torch/image's colour-space conversions (init.lua and generic/image.c): ``image.rgb2yuv([dst,] src)`` and its
kin take a ``3 x H x W`` image (channels first) and return (or write into ``dst``, resized) the converted image.

The maths are image.c's and init.lua's, vectorised: the same constants, the same branches, and the same
roundings where the C rounds a double expression into a float (``temp_t``), so a FloatTensor gives Torch7's
float numbers. HSL, HSV and Y take ByteTensors as image.c does (channels read as ``value / 255``, results
stored rounded into [0, 255]); YUV, Lab and normalised RGB take Float and Double tensors only.
"""
import numpy as np

from .arguments import dst_and_src
from .pixels import read, real_type, stored
from .planes import into


def _rgb(name, args):
    """``(dst, src)`` of ``image.<name>([dst,] src)``, src checked to be a ``3 x H x W`` image."""
    dst, src = dst_and_src(name, args)
    if src.dim() != 3 or src.size(0) != 3:
        raise ValueError(f"image.{name}: expected a 3 x H x W image (3 channels first), got sizes {tuple(src.size())}")
    return dst, src


def _floating(name, args):
    """``(dst, src, channels)`` for the conversions init.lua writes with tensor arithmetic (Float, Double)."""
    dst, src = _rgb(name, args)
    real = real_type(name, src, byte=False)
    return dst, src, src.array.astype(real, copy=False)


def _combine(xp, rows, a, b, c):
    """``rows[k][0] * a + rows[k][1] * b + rows[k][2] * c`` for each row k, as init.lua's chained
    ``zero():add(w0, a):add(w1, b):add(w2, c)`` adds in the channels' type; a ``3 x H x W`` result."""
    real = a.dtype.type
    return xp.stack([((real(w0) * a + real(w1) * b) + real(w2) * c) for w0, w1, w2 in rows])


def rgb2yuv(*args):
    """``rgb2yuv([dst,] src)``: RGB to YUV, ``Y = .299 R + .587 G + .114 B``, ``U = -.14713 R - .28886 G +
    .436 B``, ``V = .615 R - .51499 G - .10001 B``; a ``3 x H x W`` image in and out."""
    dst, src, x = _floating('rgb2yuv', args)
    rows = ((0.299, 0.587, 0.114), (-0.14713, -0.28886, 0.436), (0.615, -0.51499, -0.10001))
    return into(dst, src, _combine(src.xp, rows, x[0], x[1], x[2]))


def yuv2rgb(*args):
    """``yuv2rgb([dst,] src)``: YUV to RGB, ``R = Y + 1.13983 V``, ``G = Y - .39465 U - .5806 V``,
    ``B = Y + 2.03211 U``; a ``3 x H x W`` image in and out."""
    dst, src, x = _floating('yuv2rgb', args)
    real = x.dtype.type
    y, u, v = x
    out = src.xp.stack([y + real(1.13983) * v, (y + real(-0.39465) * u) + real(-0.58060) * v,
                        y + real(2.03211) * u])
    return into(dst, src, out)


def rgb2y(*args):
    """``rgb2y([dst,] src)``: the luma ``Y = .299 R + .587 G + .114 B`` of a ``3 x H x W`` image, a
    ``1 x H x W`` image (a ByteTensor's rounded, its values not scaled)."""
    dst, src = _rgb('rgb2y', args)
    real = real_type('rgb2y', src)
    r, g, b = read(src, np.float64, scale=False)
    # image.c sums in double (its constants are doubles) and stores into temp_t
    y = (0.299 * r + 0.587 * g + 0.114 * b).astype(real)
    return into(dst, src, stored(y, src.array.dtype, scale=False)[None])


def _hue(xp, r, g, b, mx, d):
    """image.c's hue in [0, 1) of the channels r, g, b (of one float type), their max ``mx`` and range ``d``
    (1 where the pixel is grey, which gets hue 0 afterwards)."""
    real = r.dtype.type
    from_r = (g - b) / d + xp.where(g < b, real(6), real(0))
    from_g = (b - r) / d + real(2)
    from_b = (r - g) / d + real(4)
    return xp.where(mx == r, from_r, xp.where(mx == g, from_g, from_b)) / real(6)


def _hue_chroma(name, args):
    """``(dst, src, r, g, b, mx, mn, grey, d)`` for rgb2hsl/rgb2hsv: the channels in temp_t, their max, min,
    the mask of grey (achromatic) pixels and the range (1 on grey pixels, where nothing divides by it)."""
    dst, src = _rgb(name, args)
    r, g, b = read(src, real_type(name, src))
    xp = src.xp
    # image.c's max and min macros, (a > b) ? a : b: a NaN loses to the other value unless it comes second
    mx = xp.where(r > g, r, g)
    mx = xp.where(mx > b, mx, b)
    mn = xp.where(r < g, r, g)
    mn = xp.where(mn < b, mn, b)
    grey = mx == mn
    d = xp.where(grey, r.dtype.type(1), mx - mn)
    return dst, src, r, g, b, mx, mn, grey, d


def rgb2hsl(*args):
    """``rgb2hsl([dst,] src)``: RGB in [0, 1] to hue, saturation, lightness in [0, 1] (grey pixels: hue and
    saturation 0); a ``3 x H x W`` image in and out."""
    dst, src, r, g, b, mx, mn, grey, d = _hue_chroma('rgb2hsl', args)
    xp, real = src.xp, r.dtype.type
    h = _hue(xp, r, g, b, mx, d)
    total = mx + mn
    l = total / real(2)
    # the branch image.c does not take divides by 1 instead of a zero
    s = xp.where(l > 0.5, d / xp.where(grey, real(1), real(2) - mx - mn), d / xp.where(grey, real(1), total))
    hsl = xp.stack([xp.where(grey, real(0), h), xp.where(grey, real(0), s), xp.where(grey, mx, l)])
    return into(dst, src, stored(hsl, src.array.dtype))


def rgb2hsv(*args):
    """``rgb2hsv([dst,] src)``: RGB in [0, 1] to hue, saturation, value in [0, 1] (grey pixels: hue and
    saturation 0); a ``3 x H x W`` image in and out."""
    dst, src, r, g, b, mx, mn, grey, d = _hue_chroma('rgb2hsv', args)
    xp, real = src.xp, r.dtype.type
    h = _hue(xp, r, g, b, mx, d)
    s = d / xp.where(grey, real(1), mx)
    hsv = xp.stack([xp.where(grey, real(0), h), xp.where(grey, real(0), s), mx])
    return into(dst, src, stored(hsv, src.array.dtype))


def _hue2rgb(xp, p, q, t):
    """image.c's hue2rgb: one channel from p, q and the shifted hue t (temp_t); its expressions with double
    constants are computed in double and rounded back, as C does."""
    real = t.dtype.type
    t = xp.where(t < 0, t + real(1), t)
    t = xp.where(t > 1, t - real(1), t)
    # q - p has no double in it: it is computed in temp_t before meeting 6.
    span = (q - p).astype(np.float64)
    p64, q64, t64 = p.astype(np.float64), q.astype(np.float64), t.astype(np.float64)
    rising = p64 + span * 6.0 * t64
    falling = p64 + span * (2.0 / 3 - t64) * 6.0
    out = xp.where(t64 < 1.0 / 6, rising, xp.where(t64 < 0.5, q64, xp.where(t64 < 2.0 / 3, falling, p64)))
    return out.astype(real)


def hsl2rgb(*args):
    """``hsl2rgb([dst,] src)``: hue, saturation, lightness in [0, 1] to RGB in [0, 1]; a ``3 x H x W`` image in
    and out."""
    dst, src = _rgb('hsl2rgb', args)
    h, s, l = read(src, real_type('hsl2rgb', src))
    xp, real = src.xp, h.dtype.type
    q = xp.where(l < 0.5, l * (real(1) + s), l + s - l * s)
    p = real(2) * l - q
    h64 = h.astype(np.float64)
    channels = [_hue2rgb(xp, p, q, (h64 + shift).astype(real)) for shift in (1.0 / 3, 0.0, -1.0 / 3)]
    rgb = xp.stack([xp.where(s == 0, l, c) for c in channels])
    return into(dst, src, stored(rgb, src.array.dtype))


def hsv2rgb(*args):
    """``hsv2rgb([dst,] src)``: hue, saturation, value in [0, 1] to RGB in [0, 1] (hue 1 wraps to 0; a negative
    hue gives black, as image.c's switch); a ``3 x H x W`` image in and out."""
    dst, src = _rgb('hsv2rgb', args)
    h, s, v = read(src, real_type('hsv2rgb', src))
    xp, real = src.xp, h.dtype.type
    sector = xp.floor(h.astype(np.float64) * 6.0)
    f = h * real(6) - sector.astype(real)
    p = v * (real(1) - s)
    q = v * (real(1) - f * s)
    t = v * (real(1) - (real(1) - f) * s)
    # C's remainder keeps the sign: a negative sector matches no case and gives 0
    case = xp.fmod(sector, 6)
    zero = xp.zeros_like(v)
    table = {0: (v, t, p), 1: (q, v, p), 2: (p, v, t), 3: (p, q, v), 4: (t, p, v), 5: (v, p, q)}
    rgb = []
    for channel in range(3):
        out = zero
        for k, values in table.items():
            out = xp.where(case == k, values[channel], out)
        rgb.append(out)
    return into(dst, src, stored(xp.stack(rgb), src.array.dtype))


# CIE constants and the D65 white point of image.c's Lab conversions
_EPSILON = 216.0 / 24389.0
_KAPPA = 24389.0 / 27.0
_XN, _ZN = 0.950456, 1.088754


def rgb2lab(*args):
    """``rgb2lab([dst,] src)``: sRGB in [0, 1] to CIE Lab (D65 white; L in [0, 100], a and b unbounded), through
    linear sRGB and XYZ as Bruce Lindbloom's equations; a ``3 x H x W`` image in and out."""
    dst, src = _rgb('rgb2lab', args)
    real_type('rgb2lab', src, byte=False)
    real = src.array.dtype.type
    xp = src.xp
    x = src.array.astype(np.float64)
    # gamma expansion, rounded to the tensor's type as image.c's returns `real`
    r, g, b = xp.where(x <= 0.04045, x / 12.92, ((xp.maximum(x, 0.04045) + 0.055) / 1.055) ** 2.4).astype(real)
    r, g, b = r.astype(np.float64), g.astype(np.float64), b.astype(np.float64)
    X = (0.412453 * r + 0.357580 * g + 0.180423 * b) / _XN
    Y = 0.212671 * r + 0.715160 * g + 0.072169 * b
    Z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / _ZN
    fx, fy, fz = (xp.where(c > _EPSILON, xp.maximum(c, _EPSILON) ** (1 / 3.0), (_KAPPA * c + 16) / 116)
                  for c in (X, Y, Z))
    lab = xp.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)])
    return into(dst, src, lab.astype(real))


def lab2rgb(*args):
    """``lab2rgb([dst,] src)``: CIE Lab (D65 white) to sRGB (in [0, 1] for colours inside the sRGB gamut); a
    ``3 x H x W`` image in and out."""
    dst, src = _rgb('lab2rgb', args)
    real_type('lab2rgb', src, byte=False)
    real = src.array.dtype.type
    xp = src.xp
    l, a, b = src.array
    # image.c divides the `real` channels by integer constants in their own type, then works in double
    fy = ((l + real(16)) / real(116)).astype(np.float64)
    fz = fy - (b / real(200)).astype(np.float64)
    fx = (a / real(500)).astype(np.float64) + fy
    X = xp.where(fx ** 3 <= _EPSILON, (116 * fx - 16) / _KAPPA, fx ** 3) * _XN
    Y = xp.where(l.astype(np.float64) > _KAPPA * _EPSILON, fy ** 3, l.astype(np.float64) / _KAPPA)
    Z = xp.where(fz ** 3 <= _EPSILON, (116 * fz - 16) / _KAPPA, fz ** 3) * _ZN
    linear = xp.stack([3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z,
                       -0.9692660 * X + 1.8760108 * Y + 0.0415560 * Z,
                       0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z]).astype(real).astype(np.float64)
    rgb = xp.where(linear <= 0.0031308, 12.92 * linear,
                   1.055 * xp.maximum(linear, 0.0031308) ** (1.0 / 2.4) - 0.055)
    return into(dst, src, rgb.astype(real))


def rgb2nrgb(*args):
    """``rgb2nrgb([dst,] src)``: normalised RGB, each channel divided by ``R + G + B + 1e-6``; a ``3 x H x W``
    image in and out."""
    dst, src, x = _floating('rgb2nrgb', args)
    total = ((x[0] + x[1]) + x[2]) + x.dtype.type(1e-6)
    return into(dst, src, x / total)
