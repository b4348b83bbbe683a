"""torch/image's cropping, translation, flips and rotation (init.lua's argument forms over generic/image.c's
loops, vectorised). Pixel coordinates are 0-based in torch/image already and stay as they are; ``flip``'s
dimension is 0-based here (Torch7's is 1-based). Every form that takes a ``dst`` writes into it and returns it."""
import math
import numbers

import numpy as np

from ..tensor import as_tensor
from ..tensor.indexing import whole_number
from .arguments import image_arg, split_dst
from .planes import bilinear_mix, from_intermediate, gather, planes_of, planes_result, result, temp_dtype
from .scaling import scale

CROP_FORMATS = ('c', 'tl', 'tr', 'bl', 'br')


def crop(*args):
    """Crop an image: ``crop(src, x1, y1, x2, y2)`` is columns ``x1 .. x2-1`` and rows ``y1 .. y2-1``
    (0-based, the end excluded, as image.crop); ``crop(src, format, width, height)`` takes a ``width x height``
    window at the centre ('c', the offsets floored) or a corner ('tl', 'tr', 'bl', 'br').
    ``crop(dst, src, x1, y1, x2, y2)`` and ``crop(dst, src, format, width, height)`` scale the window into
    ``dst``'s size (bilinear); ``crop(dst, src, x1, y1)`` copies the ``dst``-sized window at ``(x1, y1)``.
    Sources are ``C x H x W`` or ``H x W``; a window reaching outside ``src`` is an error."""
    dst, src, rest = split_dst('crop', args)
    if rest and isinstance(rest[0], str):
        if len(rest) != 3:
            raise TypeError(f"image.crop: the format form takes (format, width, height), got {rest!r}")
        fmt, width, height = rest[0], whole_number(rest[1], 'image.crop'), whole_number(rest[2], 'image.crop')
        ih, iw = src.size()[-2:]
        corners = {'c': ((iw - width) // 2, (ih - height) // 2), 'tl': (0, 0), 'tr': (iw - width, 0),
                   'bl': (0, ih - height), 'br': (iw - width, ih - height)}
        if fmt not in corners:
            raise ValueError(f"image.crop: format must be one of {CROP_FORMATS}, got {fmt!r}")
        x1, y1 = corners[fmt]
        rest = [x1, y1, x1 + width, y1 + height]
    if len(rest) == 2 and dst is not None:
        image_arg('crop', dst, 'the destination')
        x1, y1 = (whole_number(v, 'image.crop') for v in rest)
        return result(src, dst, _window(src, x1, y1, dst.size(-1), dst.size(-2)))
    if len(rest) != 4:
        raise TypeError("image.crop: expected (src, x1, y1, x2, y2), (src, format, width, height), their dst "
                        f"forms, or (dst, src, x1, y1); got {len(args)} arguments")
    x1, y1, x2, y2 = (whole_number(v, 'image.crop') for v in rest)
    window = _window(src, x1, y1, x2 - x1, y2 - y1)
    if dst is None:
        return result(src, None, window)
    return scale(dst, as_tensor(window))


def _window(src, x1, y1, width, height):
    """A copy of the ``width x height`` window at ``(x1, y1)`` (image.c's cropNoScale bounds check)."""
    ih, iw = src.size()[-2:]
    if x1 < 0 or y1 < 0 or width < 0 or height < 0 or x1 + width > iw or y1 + height > ih:
        raise ValueError(f"image.crop: the window x {x1}..{x1 + width}, y {y1}..{y1 + height} goes outside "
                         f"the {iw}x{ih} source")
    return src.array[..., y1:y1 + height, x1:x1 + width].copy()


def translate(*args):
    """Shift an image by ``x`` columns and ``y`` rows (integers, either sign): ``translate(src, x, y)`` or
    ``translate(dst, src, x, y)``. The result has ``src``'s size; pixels shifted out are dropped and the
    uncovered ones are 0 (image.c's translate)."""
    dst, src, rest = split_dst('translate', args)
    if len(rest) != 2:
        raise TypeError(f"image.translate: expected (src, x, y) or (dst, src, x, y), got {len(args)} arguments")
    x, y = (whole_number(v, 'image.translate') for v in rest)
    arr = src.array
    out = src.xp.zeros_like(arr)
    h, w = arr.shape[-2:]
    # the rows and columns that land inside the image after the shift, on each side
    ys, yd = slice(max(0, -y), max(0, min(h, h - y))), slice(max(0, y), max(0, min(h, h + y)))
    xs, xd = slice(max(0, -x), max(0, min(w, w - x))), slice(max(0, x), max(0, min(w, w + x)))
    out[..., yd, xd] = arr[..., ys, xs]
    return result(src, dst, out)


def _flipped(name, args, axis):
    """hflip and vflip: ``src`` reversed along ``axis``."""
    dst, src, rest = split_dst(name, args)
    if rest:
        raise TypeError(f"image.{name}: expected (src) or (dst, src), got {len(args)} arguments")
    # a copy, so that dst may be src (the C flips in place then)
    return result(src, dst, src.xp.flip(src.array, axis).copy())


def hflip(*args):
    """Mirror an image left to right: ``hflip(src)`` or ``hflip(dst, src)`` (``dst`` may be ``src``);
    ``C x H x W`` or ``H x W``."""
    return _flipped('hflip', args, -1)


def vflip(*args):
    """Mirror an image upside down: ``vflip(src)`` or ``vflip(dst, src)`` (``dst`` may be ``src``);
    ``C x H x W`` or ``H x W``."""
    return _flipped('vflip', args, -2)


def flip(*args):
    """Reverse a tensor of 1 to 5 dimensions along ``dim`` (0-based; Torch7's is 1-based): ``flip(src, dim)``
    or ``flip(dst, src, dim)``."""
    if len(args) == 3:
        dst, src, dim = image_arg('flip', args[0], 'the destination', None), args[1], args[2]
    elif len(args) == 2:
        dst, src, dim = None, args[0], args[1]
    else:
        raise TypeError(f"image.flip: expected (src, dim) or (dst, src, dim), got {len(args)} arguments")
    src = image_arg('flip', src, dims=range(1, 6))
    dim = whole_number(dim, 'image.flip')
    if not 0 <= dim < src.dim():
        raise ValueError(f"image.flip: dim must be in [0, {src.dim()}) (0-based) for a {src.dim()}-D tensor, "
                         f"got {dim}")
    return result(src, dst, src.xp.flip(src.array, dim).copy())


def rotate(*args):
    """Rotate an image by ``theta`` radians about its centre ``((W-1)/2, (H-1)/2)``: ``rotate(src, theta,
    mode='simple')`` or ``rotate(dst, src, theta, mode)``; the result has ``src``'s size and the corners
    rotated in from outside are 0. Destination pixel ``(i, j)`` reads the source at ``(cos t (i-xc) -
    sin t (j-yc) + xc, cos t (j-yc) + sin t (i-xc) + yc)``: 'simple' rounds it to the nearest pixel,
    'bilinear' interpolates (taking the nearest pixel within half a pixel of the border), as image.c's
    rotate and rotateBilinear, in their single precision."""
    dst, src, rest = split_dst('rotate', args)
    if len(rest) not in (1, 2):
        raise TypeError(f"image.rotate: expected (src, theta [, mode]) or (dst, src, theta [, mode]), "
                        f"got {len(args)} arguments")
    theta, mode = rest[0], rest[1] if len(rest) == 2 and rest[1] is not None else 'simple'
    if isinstance(theta, bool) or not isinstance(theta, numbers.Real):
        raise TypeError(f"image.rotate: expected theta to be a number (radians), got {theta!r}")
    if not abs(theta) <= float(np.finfo(np.float32).max):
        # the C's float theta would be infinite or NaN, its positions NaN, converted to pixels with no defined value
        raise ValueError(f"image.rotate: expected a finite theta (within a C float's range), got {theta!r}")
    if mode not in ('simple', 'bilinear'):
        raise ValueError(f"image.rotate: mode must be 'simple' or 'bilinear', got {mode!r}")
    if dst is src:
        raise ValueError("image.rotate: in-place rotation is not supported (dst is src)")
    xp, planes = src.xp, planes_of(src)
    _, h, w = planes.shape
    f32 = np.float32
    xc, yc = f32((w - 1) / 2.0), f32((h - 1) / 2.0)
    jd, id_ = xp.meshgrid(xp.arange(h, dtype=f32), xp.arange(w, dtype=f32), indexing='ij')
    t = float(f32(theta))   # the C's float theta
    if mode == 'simple':
        # float cosine and sine, as the C declares them; round() is half away from zero
        cos_t, sin_t = f32(math.cos(t)), f32(math.sin(t))
        ii = _round_half_away(xp, cos_t * (id_ - xc) - sin_t * (jd - yc) + xc)
        jj = _round_half_away(xp, cos_t * (jd - yc) + sin_t * (id_ - xc) + yc)
        inside = (ii >= 0) & (ii < w) & (jj >= 0) & (jj < h)
        # 0 set outside, as the C's val = 0 (a mask multiplied in would keep a border's NaN or infinity there)
        values = xp.where(inside, gather(xp, planes, xp.clip(jj, 0, h - 1), xp.clip(ii, 0, w - 1)), 0)
        return planes_result(src, dst, from_intermediate(xp, values, planes.dtype))
    tmp = temp_dtype(planes.dtype)
    ri = (math.cos(t) * (id_ - xc).astype(np.float64) - math.sin(t) * (jd - yc).astype(np.float64)).astype(tmp)
    rj = (math.cos(t) * (jd - yc).astype(np.float64) + math.sin(t) * (id_ - xc).astype(np.float64)).astype(tmp)
    ri, rj = ri + tmp(xc), rj + tmp(yc)
    i0, j0 = xp.floor(ri).astype(np.int64), xp.floor(rj).astype(np.int64)
    # the weights are temp_t, as the C's wi and wj
    wi, wj = (ri - i0).astype(tmp), (rj - j0).astype(tmp)
    i0, i1, in_x = _bilinear_border(xp, i0, wi, w)
    j0, j1, in_y = _bilinear_border(xp, j0, wj, h)
    values = xp.where(in_x & in_y, bilinear_mix(xp, planes, i0, i1, j0, j1, wi, wj), 0)
    return planes_result(src, dst, from_intermediate(xp, values, planes.dtype))


def _round_half_away(xp, x):
    """C's round() of a float, as an int64 array."""
    x = x.astype(np.float64)
    return (xp.sign(x) * xp.floor(xp.abs(x) + 0.5)).astype(np.int64)


def _bilinear_border(xp, i0, wi, n):
    """rotateBilinear's border rule along one axis of ``n`` pixels: the upper neighbour ``i0 + 1`` past the
    end is replaced by ``i0`` when the point is within half a pixel of it, the lower one ``-1`` by ``0``
    likewise; else the point is outside (0). Returns (lower, upper, inside), the indices clipped for reading."""
    i1 = i0 + 1
    i1 = xp.where((i1 == n) & (wi < 0.5), i0, i1)
    inside = i1 < n
    i0 = xp.where((i0 == -1) & (wi > 0.5), i1, i0)
    inside &= i0 >= 0
    return xp.clip(i0, 0, n - 1), xp.clip(i1, 0, n - 1), inside
