"""torch/image's ``warp`` (a flow field) and ``affinetransform`` (a 2x2 matrix made into one): init.lua's
argument forms over generic/image.c's warp, vectorised; positions in single precision as the C."""
import math
import numbers

import numpy as np

from ..tensor import as_tensor, backend
from ..tensor.functions import is_tensor_like
from .arguments import image_arg
from .planes import cubic_interpolate, from_intermediate, gather, planes_of, planes_result, temp_dtype

MODES = ('simple', 'bilinear', 'bicubic', 'lanczos')
CLAMP_MODES = ('clamp', 'pad')
LANCZOS_RADIUS = 3


def warp(*args, **options):
    """Resample ``src`` (``C x H x W`` or ``H x W``) at the points of a ``2 x H' x W'`` flow ``field`` (row 0
    the y, row 1 the x of each destination pixel, 0-based pixel units): ``warp(src, field, mode='bilinear',
    offset_mode=True, clamp_mode='clamp', pad_value=0)`` or ``warp(dst, src, field, mode, ...)``; the
    options may be given by name too. ``offset_mode`` adds the pixel's own ``(y, x)`` to the field (a
    displacement); else the field holds absolute positions. A point off the image is ``pad_value`` with
    clamp_mode 'pad', else it is moved to the nearest border point. ``mode``: 'simple' (nearest), 'bilinear',
    'bicubic' (Catmull-Rom; neighbours off the image read ``pad_value``) or 'lanczos' (radius 3, neighbours
    clamped to the image, normalised by the sum of the weights). The result is ``C x H' x W'``."""
    dst, src, field, opts = _warp_args('warp', args, options, 'field', ('offset_mode', True))
    field = as_tensor(field)
    if field.dim() != 3 or field.size(0) != 2:
        raise ValueError(f"image.warp: field must be 2 x H x W (y then x), got size {tuple(field.size())}")
    return _warped(src, dst, backend.to_module(field.array, src.xp), opts)


def affinetransform(*args, **options):
    """Apply a 2x2 ``matrix`` (acting on ``(y, x)`` about the image centre) to ``src``:
    ``affinetransform(src, matrix, mode='bilinear', translation=(0, 0), clamp_mode='clamp', pad_value=0)`` or
    ``affinetransform(dst, src, matrix, ...)``. As init.lua: with ``g`` the grid of ``-(y - (H-1)/2)`` and
    ``-(x - (W-1)/2)``, the displacement field is ``g - matrix @ g - translation`` (computed in double, as
    Torch7's default tensor type), then ``warp`` with offset_mode on; the result has ``src``'s size."""
    dst, src, matrix, opts = _warp_args('affinetransform', args, options, 'matrix', ('translation', (0, 0)))
    matrix = backend.to_module(as_tensor(matrix).array, np).astype(np.float64)
    if matrix.shape != (2, 2):
        raise ValueError(f"image.affinetransform: matrix must be 2x2, got shape {matrix.shape}")
    translation = np.asarray(backend.to_module(as_tensor(opts['translation']).array, np), dtype=np.float64)
    if translation.size != 2:
        raise ValueError(f"image.affinetransform: translation must hold 2 values (y, x), got {translation.size}")
    h, w = src.size()[-2:]
    grid = np.stack([np.broadcast_to(np.linspace(-1, 1, h)[:, None], (h, w)) * ((h - 1) / 2) * -1,
                     np.broadcast_to(np.linspace(-1, 1, w)[None, :], (h, w)) * ((w - 1) / 2) * -1])
    field = grid - (matrix @ grid.reshape(2, h * w)).reshape(2, h, w) - translation.reshape(2, 1, 1)
    opts['offset_mode'] = True
    return _warped(src, dst, src.xp.asarray(field), opts)


def _warp_args(name, args, options, what, third):
    """(dst, src, field or matrix, options) from init.lua's positional forms and Python keywords."""
    # as init.lua: a third argument that is not a mode string means the first is dst
    if len(args) >= 3 and is_tensor_like(args[2]):
        dst, src, rest = image_arg(name, args[0], 'the destination', None), image_arg(name, args[1]), list(args[2:])
    elif args:
        dst, src, rest = None, image_arg(name, args[0]), list(args[1:])
    else:
        raise TypeError(f"image.{name}: expected a source image, got no arguments")
    names = [what, 'mode', third[0], 'clamp_mode', 'pad_value']
    if len(rest) > len(names):
        raise TypeError(f"image.{name}: expected at most ({', '.join(names)}) after src, got {len(rest)} values")
    given = dict(zip(names, rest))
    for key, value in options.items():
        if key not in names[1:] or key in given:
            raise TypeError(f"image.{name}: unexpected or repeated argument {key!r}")
        given[key] = value
    if what not in given:
        raise TypeError(f"image.{name}: expected a {what} after src")
    opts = {'mode': 'bilinear', third[0]: third[1], 'clamp_mode': 'clamp', 'pad_value': 0}
    opts.update({k: v for k, v in given.items() if k != what})
    if opts['mode'] not in MODES:
        raise ValueError(f"image.{name}: mode must be one of {MODES}, got {opts['mode']!r}")
    if opts['clamp_mode'] not in CLAMP_MODES:
        raise ValueError(f"image.{name}: clamp_mode must be one of {CLAMP_MODES}, got {opts['clamp_mode']!r}")
    if 'pad_value' in given and opts['clamp_mode'] != 'pad':
        raise ValueError(f"image.{name}: pad_value can only be given with clamp_mode 'pad'")
    # None is 0, as the C's lua_tonumber of nil
    pad = opts['pad_value'] = 0 if opts['pad_value'] is None else opts['pad_value']
    if isinstance(pad, bool) or not isinstance(pad, numbers.Real):
        raise TypeError(f"image.{name}: expected pad_value to be a number, got {pad!r}")
    # the C's (real) cast truncates towards zero; a Byte image's value past 0..255 has no defined conversion
    if src.array.dtype == np.uint8 and not -1 < pad < 256:
        raise ValueError(f"image.{name}: expected pad_value within 0..255 for a ByteTensor image, got {pad!r}")
    return dst, src, given[what], opts


def _warped(src, dst, field, opts):
    xp = src.xp
    planes = planes_of(src)
    _, h, w = planes.shape
    dtype = planes.dtype
    fy, fx = field[0].astype(np.float32), field[1].astype(np.float32)
    oh, ow = fy.shape
    if opts['offset_mode']:
        fy = fy + xp.arange(oh, dtype=np.float32)[:, None]
        fx = fx + xp.arange(ow, dtype=np.float32)[None, :]
    off = (fy < 0) | (fy > h - 1) | (fx < 0) | (fx > w - 1)
    # the C's MAX(p, 0) then MIN(p, n - 1), whose comparisons take a NaN position to 0
    iy, ix = xp.where(fy > 0, fy, np.float32(0)), xp.where(fx > 0, fx, np.float32(0))
    iy, ix = xp.where(iy < h - 1, iy, np.float32(h - 1)), xp.where(ix < w - 1, ix, np.float32(w - 1))
    pad = dtype.type(opts['pad_value'])   # the C's (real) cast
    if (h == 0 or w == 0) and oh * ow:
        # every point is off a source without pixels: pad_value, or nothing to clamp to (the C reads past it)
        if opts['clamp_mode'] != 'pad':
            raise ValueError(f"image.warp: cannot clamp to a source without pixels (size {tuple(src.size())}); "
                             "clamp_mode 'pad' fills the result with pad_value")
        return planes_result(src, dst, xp.full((planes.shape[0], oh, ow), pad, dtype))
    values = _SAMPLERS[opts['mode']](xp, planes, iy, ix, pad)
    if opts['mode'] != 'simple':
        values = from_intermediate(xp, values, dtype)
    if opts['clamp_mode'] == 'pad':
        values = xp.where(off, pad, values)
    values = values.astype(dtype)
    return planes_result(src, dst, values)


def _nearest(xp, planes, iy, ix, pad):
    """The pixel at ``floor(p + 0.5)``."""
    rows = xp.floor(iy.astype(np.float64) + 0.5).astype(np.int64)
    cols = xp.floor(ix.astype(np.float64) + 0.5).astype(np.int64)
    return gather(xp, planes, rows, cols)


def _bilinear(xp, planes, iy, ix, pad):
    """The C's four surfaces (single-precision products) times the neighbours, clamped to the image."""
    _, h, w = planes.shape
    tmp = temp_dtype(planes.dtype)
    y0, x0 = xp.floor(iy).astype(np.int64), xp.floor(ix).astype(np.int64)
    fy0, fx0 = y0.astype(np.float32), x0.astype(np.float32)
    nw = ((fx0 + 1 - ix) * (fy0 + 1 - iy)).astype(tmp)
    ne = ((ix - fx0) * (fy0 + 1 - iy)).astype(tmp)
    sw = ((fx0 + 1 - ix) * (iy - fy0)).astype(tmp)
    se = ((ix - fx0) * (iy - fy0)).astype(tmp)
    y1, x1 = xp.minimum(y0 + 1, h - 1), xp.minimum(x0 + 1, w - 1)
    return (gather(xp, planes, y0, x0) * nw + gather(xp, planes, y0, x1) * ne + gather(xp, planes, y1, x0) * sw
            + gather(xp, planes, y1, x1) * se).astype(np.float64)


def _bicubic(xp, planes, iy, ix, pad):
    """The 4x4 neighbours of ``floor(p)`` from -1 to +2, those off the image read ``pad``: rows first, then
    the column of their four results, in temp_t."""
    _, h, w = planes.shape
    tmp = temp_dtype(planes.dtype)
    y0, x0 = xp.floor(iy).astype(np.int64), xp.floor(ix).astype(np.int64)
    dy, dx = (iy - y0.astype(np.float32)).astype(tmp), (ix - x0.astype(np.float32)).astype(tmp)
    mixed = []
    for a in range(-1, 3):
        v = y0 + a
        taps = []
        for b in range(-1, 3):
            u = x0 + b
            inside = (v >= 0) & (v < h) & (u >= 0) & (u < w)
            read = gather(xp, planes, xp.clip(v, 0, h - 1), xp.clip(u, 0, w - 1)).astype(tmp)
            taps.append(xp.where(inside, read, tmp(pad)))
        mixed.append(cubic_interpolate(*taps, dx))
    return cubic_interpolate(*mixed, dy).astype(np.float64)


def _lanczos_taps(xp, p, start):
    """The six Lanczos-3 weights of taps ``start .. start+5`` for points ``p``, in float as the C."""
    f32 = np.float32
    d = xp.abs(p[..., None] - (start[..., None] + xp.arange(2 * LANCZOS_RADIUS)).astype(f32))
    near = d < f32(1e-6)
    safe = xp.where(near, f32(1), d)   # the formula's 0/0 at a tap on the point, which weighs 1
    pi, rad = f32(math.pi), f32(LANCZOS_RADIUS)
    lobes = (rad * xp.sin((pi * safe).astype(np.float64)) * xp.sin((pi * safe / rad).astype(np.float64))
             / (f32(math.pi * math.pi) * safe * safe).astype(np.float64)).astype(f32)
    return xp.where(near, f32(1), xp.where(d > rad, f32(0), lobes))


def _lanczos(xp, planes, iy, ix, pad):
    """Lanczos-3 over the 6x6 neighbours ``floor(p) - 2 .. floor(p) + 3`` (clamped to the image), divided by the
    sum of the 36 weights (float), in the C's order: the products of the weights in float, the weighted pixels
    summed in temp_t."""
    _, h, w = planes.shape
    tmp = temp_dtype(planes.dtype)
    ys = xp.floor(iy).astype(np.int64) - LANCZOS_RADIUS + 1
    xs = xp.floor(ix).astype(np.int64) - LANCZOS_RADIUS + 1
    lv, lu = _lanczos_taps(xp, iy, ys), _lanczos_taps(xp, ix, xs)
    total, norm = tmp(0), np.float32(0)
    for b in range(2 * LANCZOS_RADIUS):
        cols = xp.clip(xs + b, 0, w - 1)
        for a in range(2 * LANCZOS_RADIUS):
            weight = lv[..., a] * lu[..., b]
            total = total + gather(xp, planes, xp.clip(ys + a, 0, h - 1), cols).astype(tmp) * weight.astype(tmp)
            norm = norm + weight
    return (total / norm.astype(tmp)).astype(np.float64)


_SAMPLERS = {'simple': _nearest, 'bilinear': _bilinear, 'bicubic': _bicubic, 'lanczos': _lanczos}
