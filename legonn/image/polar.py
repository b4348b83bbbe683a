"""torch/image's ``polar`` and ``logpolar``: init.lua's argument forms over generic/image.c's polar,
polarBilinear, logPolar and logPolarBilinear (single-precision positions, as the C)."""
import math

import numpy as np

from .arguments import check_same_depth, split_dst
from .planes import bilinear_mix, from_intermediate, gather, planes_of, planes_result, temp_dtype


def polar(*args):
    """An image in polar coordinates: ``polar(src, interp='simple', mode='valid')`` or ``polar(dst, src,
    interp, mode)``. Destination row ``j`` is the angle ``2 pi j / H'``, column ``i`` the radius ``m i / W'``
    from the centre ``(W/2, H/2)``, which reads the source at ``(-r sin a + W/2, r cos a + H/2)``; ``m`` is
    half the shorter side ('valid') or half the diagonal ('full'). 'simple' floors that point, 'bilinear'
    interpolates (the floored pixel where a neighbour is missing); points outside are 0. Without ``dst`` the
    result is ``C x M x M`` (``M`` the longer side)."""
    return _polar('polar', args, lambda xp, m, width, i: (m * i) / np.float32(width))


def logpolar(*args):
    """An image in log-polar coordinates: as ``polar`` with the radius of column ``i`` ``exp(i log(m) / W')``."""
    def radius(xp, m, width, i):
        fw = np.float32(math.log(m) / float(width))
        return xp.exp((i * fw).astype(np.float64)).astype(np.float32)
    return _polar('logpolar', args, radius)


def _polar(name, args, radius):
    """polar and logpolar, which differ only in ``radius(xp, m, W', i)``, the float radius of column ``i``."""
    dst, src, rest = split_dst(name, args)
    if len(rest) > 2:
        raise TypeError(f"image.{name}: expected (src [, interp [, mode]]) or (dst, src [, interp [, mode]]), "
                        f"got {len(args)} arguments")
    interp = rest[0] if rest and rest[0] is not None else 'simple'
    mode = rest[1] if len(rest) == 2 and rest[1] is not None else 'valid'
    if interp not in ('simple', 'bilinear'):
        raise ValueError(f"image.{name}: interpolation must be 'simple' or 'bilinear', got {interp!r}")
    if mode not in ('valid', 'full'):
        raise ValueError(f"image.{name}: mode must be 'valid' or 'full', got {mode!r}")
    xp = src.xp
    planes = planes_of(src)
    _, h, w = planes.shape
    if dst is None:
        side = max(h, w)
        oh, ow = side, side
    else:
        check_same_depth(name, dst, src)
        oh, ow = dst.size()[-2:]
    if h == 0 or w == 0:
        # no point is inside a source without pixels: image.c writes 0 everywhere
        return planes_result(src, dst, xp.zeros((planes.shape[0], oh, ow), planes.dtype))
    f32 = np.float32
    mid_y, mid_x = f32(h) / f32(2), f32(w) / f32(2)
    if mode == 'full':
        m = f32(math.sqrt(float(f32(w) * f32(w) + f32(h) * f32(h))) / 2.0)
    else:
        m = mid_x if w < h else mid_y
    angle = ((2 * math.pi * xp.arange(oh, dtype=np.float64)) / float(f32(oh))).astype(f32)[:, None]
    r = radius(xp, m, ow, xp.arange(ow, dtype=f32))[None, :].astype(np.float64)
    y = r * xp.cos(angle.astype(np.float64)) + float(mid_y)
    x = -r * xp.sin(angle.astype(np.float64)) + float(mid_x)
    if interp == 'bilinear':
        # polarBilinear keeps the point in temp_t, logPolarBilinear in float
        keep = temp_dtype(planes.dtype) if name == 'polar' else np.float32
        y, x = y.astype(keep), x.astype(keep)
    i0, j0 = xp.floor(x).astype(np.int64), xp.floor(y).astype(np.int64)
    inside = (i0 >= 0) & (i0 < w) & (j0 >= 0) & (j0 < h)
    ci0, cj0 = xp.clip(i0, 0, w - 1), xp.clip(j0, 0, h - 1)
    # 0 set outside, as the C's val = 0 (a mask multiplied in would keep a border's NaN or infinity there)
    values = xp.where(inside, gather(xp, planes, cj0, ci0), 0)
    if interp == 'bilinear':
        both = (i0 >= 0) & (i0 + 1 < w) & (j0 >= 0) & (j0 + 1 < h)
        ci1, cj1 = xp.clip(i0 + 1, 0, w - 1), xp.clip(j0 + 1, 0, h - 1)
        mixed = bilinear_mix(xp, planes, ci0, ci1, cj0, cj1, (x - i0).astype(keep), (y - j0).astype(keep))
        values = xp.where(both, mixed, values)
    values = from_intermediate(xp, values, planes.dtype)
    return planes_result(src, dst, values)
