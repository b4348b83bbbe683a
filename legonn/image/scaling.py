"""torch/image's ``scale``: init.lua's size forms over generic/image.c's scaleSimple, scaleBilinear and
scaleBicubic. The two interpolating modes are separable: image.c resamples each row into a temporary image of
the source's type (so a Byte image is rounded there too), then each column. Each 1-D pass here gathers the
neighbours of the C's single-precision positions and mixes them in its arithmetic (image.c's float
expressions in float), so a Byte or Float image gets Torch7's values."""
import re

import numpy as np

from .arguments import check_same_depth, number_text, result_sizes, split_dst
from .planes import cubic_interpolate, from_intermediate, gather, planes_of, planes_result, temp_dtype

MODES = ('simple', 'bilinear', 'bicubic')


def scale(*args):
    """Resize an image (``C x H x W`` or ``H x W``):

    - ``scale(src, width, height, mode='bilinear')``;
    - ``scale(src, size, mode='bilinear')`` with ``size`` a number (the longer side becomes ``size``) or a
      string: ``'WxH'``, ``'^MIN'`` (the shorter side becomes MIN), ``'*n/d'`` or ``'*sc'`` (a factor);
      computed sizes are truncated to integers, at least 1;
    - ``scale(dst, src, mode='bilinear')``: into ``dst``'s size.

    ``mode``: 'simple' (the pixel at ``floor(i * srcW / dstW)``), 'bilinear' (corners aligned when
    enlarging, an area average when shrinking, as image.c) or 'bicubic' (corners aligned; the curve extended
    linearly past the ends; a Byte image is rounded and saturated to 0..255)."""
    dst, src, rest = split_dst('scale', args)
    if dst is not None:
        if len(rest) > 1:
            raise TypeError(f"image.scale: the dst form takes (dst, src [, mode]), got {len(args)} arguments")
        mode = rest[0] if rest else None
        check_same_depth('scale', dst, src)
        height, width = dst.size()[-2:]
    else:
        # as init.lua: a string after the first value makes that value a size
        if len(rest) == 1 or len(rest) == 2 and isinstance(rest[1], str):
            try:
                width, height = _parse_size(rest[0], *src.size()[-2:][::-1])
            except OverflowError:   # a size scaled past what a float holds
                raise ValueError(f"image.scale: expected a size a float can scale, got "
                                 f"{number_text(rest[0])}") from None
            mode = rest[1] if len(rest) == 2 else None
        elif len(rest) in (2, 3):
            width, height = (_truncated(v) for v in rest[:2])
            mode = rest[2] if len(rest) == 3 else None
        else:
            raise TypeError("image.scale: expected (src, width, height [, mode]), (src, size [, mode]) or "
                            f"(dst, src [, mode]), got {len(args)} arguments")
        channels = src.size(0) if src.dim() == 3 else 1
        width, height = result_sizes('scale', 'an output size', others=channels, width=max(width, 1),
                                     height=max(height, 1))
    mode = 'bilinear' if mode is None else mode
    if mode not in MODES:
        raise ValueError(f"image.scale: mode must be one of {MODES}, got {mode!r}")
    planes = planes_of(src)
    if height * width == 0:
        # a dst without pixels: image.c's loops write nothing
        return planes_result(src, dst, src.xp.zeros((planes.shape[0], height, width), planes.dtype))
    if 0 in planes.shape[1:]:
        # image.c would read past the source
        raise ValueError(f"image.scale: expected a source image with pixels, got size {tuple(src.size())}")
    values = _RESAMPLERS[mode](src.xp, planes, height, width)
    return planes_result(src, dst, values)


def _truncated(value):
    """A size as Torch7 makes one from a Lua number: truncated towards zero."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"image.scale: expected a number for a size, got {value!r}")
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        raise ValueError(f"image.scale: expected a finite size, got {value!r}")
    return int(value)


def _parse_size(size, iwidth, iheight):
    """(width, height) from init.lua's size forms, tried in its order: a number (the longer side), 'WxH',
    '^MIN', '*n/d', '*sc'."""
    number = _number(size)
    if number is not None:
        longer = max(iwidth, iheight)
        return _truncated(iwidth * number / longer), _truncated(iheight * number / longer)
    if isinstance(size, str):
        found = re.search(r'(\d+)x(\d+)', size)
        if found:
            return int(found.group(1)), int(found.group(2))
        found = re.search(r'\^(\d+)', size)
        if found:
            shorter = min(iwidth, iheight)
            return (_truncated(iwidth * int(found.group(1)) / shorter),
                    _truncated(iheight * int(found.group(1)) / shorter))
        found = re.search(r'\*(\d+)/(\d+)', size)
        if found:
            # init.lua's iwidth*scn/scd: the product first (49 * 2 / 49 is 2, 49 * (2 / 49) is not)
            scn, scd = int(found.group(1)), int(found.group(2))
            return _truncated(iwidth * scn / scd), _truncated(iheight * scn / scd)
        found = re.search(r'\*(.+)', size)
        if found and _number(found.group(1)) is not None:
            factor = _number(found.group(1))
            return _truncated(iwidth * factor), _truncated(iheight * factor)
    raise ValueError(f"image.scale: could not find a valid destination size in {size!r} (expected a number, "
                     "'WxH', '^MIN', '*n/d' or '*sc')")


def _number(value):
    """Lua's tonumber: the number, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _simple(xp, planes, height, width):
    """scaleSimple: destination pixel (i, j) copies source pixel (floor(i * sx), floor(j * sy)), the ratios and
    products in single precision, clamped to the last pixel."""
    _, ih, iw = planes.shape
    sx, sy = np.float32(iw) / np.float32(width), np.float32(ih) / np.float32(height)
    cols = xp.minimum((xp.arange(width, dtype=np.float32) * sx).astype(np.int64), iw - 1)
    rows = xp.minimum((xp.arange(height, dtype=np.float32) * sy).astype(np.int64), ih - 1)
    return gather(xp, planes, rows[:, None], cols[None, :])


def _positions(xp, n_in, n_out):
    """The C's ``si_f = di * scale; si_i = (long)si_f; si_f -= si_i`` for ``di = 0 .. n_out - 2`` with
    ``scale = (float)(n_in - 1) / (n_out - 1)`` (``n_in - 1`` when ``n_out`` is 1), in float: (si_i, si_f)."""
    scale = np.float32(n_in - 1) / np.float32(max(n_out - 1, 1))
    pos = xp.arange(n_out - 1, dtype=np.float32) * scale
    low = pos.astype(np.int64)
    return low, pos - low.astype(np.float32)


def _weights_shape(values, axis, weights):
    """1-D ``weights`` shaped to multiply ``values`` along ``axis``."""
    shape = [1] * values.ndim
    shape[axis] = weights.shape[0]
    return weights.reshape(shape)


def _linear(xp, values, n_out, axis):
    """scaleLinear_rowcol along ``axis`` of ``values`` (C x H x W): enlarging, ``(1 - si_f) * p[si_i] + si_f *
    p[si_i + 1]`` and the last pixel copied; shrinking, the average of the source interval ``[di * scale,
    (di + 1) * scale)`` (``scale = n_in / n_out``), the pixels cut by its ends weighted by the part inside,
    summed in the C's order. Computed in temp_t, which is the C's float arithmetic for a Byte or Float image (a
    Double one is kept in double where the C's accumulator is float: docs/porting.md), then FromIntermediate."""
    n_in = values.shape[axis]
    dtype = values.dtype
    real = temp_dtype(dtype)
    if n_out == n_in:
        return values.copy()
    if n_out > n_in:
        if n_in == 1:
            return xp.repeat(values, n_out, axis=axis)
        low, frac = _positions(xp, n_in, n_out)
        frac = _weights_shape(values, axis, frac.astype(real))
        # si_i + 1 kept on the last pixel: a float position rounded up onto it (an image of millions of pixels)
        # gives the pixel past the end, which the C reads, weight 0
        mixed = (1 - frac) * xp.take(values, low, axis=axis).astype(real) + \
            frac * xp.take(values, xp.minimum(low + 1, n_in - 1), axis=axis).astype(real)
        last = xp.take(values, xp.asarray([n_in - 1]), axis=axis)
        return xp.concatenate([from_intermediate(xp, mixed, dtype), last], axis=axis)
    ends = xp.arange(n_out + 1, dtype=np.float32) * (np.float32(n_in) / np.float32(n_out))
    whole = ends.astype(np.int64)
    part = ends - whole.astype(np.float32)
    first, stop = whole[:-1], whole[1:]
    head = _weights_shape(values, axis, (1 - part[:-1]).astype(real))
    total = head * xp.take(values, first, axis=axis).astype(real)
    count = 1 - part[:-1]
    # each pixel is added only where the C adds it, in its order: a band shorter than k adds nothing
    for k in range(1, int((stop - first).max())):
        inner = first + k < stop
        read = xp.take(values, xp.minimum(first + k, n_in - 1), axis=axis).astype(real)
        total = xp.where(_weights_shape(values, axis, inner), total + read, total)
        count = count + xp.where(inner, np.float32(1), np.float32(0))
    # the pixel cut by the interval's end, when there is one (a weight of 0 would make an infinite one NaN)
    tail = stop < n_in
    shaped = _weights_shape(values, axis, tail)
    read = xp.where(shaped, xp.take(values, xp.minimum(stop, n_in - 1), axis=axis).astype(real), real(0))
    total = xp.where(shaped, total + _weights_shape(values, axis, part[1:].astype(real)) * read, total)
    count = count + xp.where(tail, part[1:], np.float32(0))
    return from_intermediate(xp, total / _weights_shape(values, axis, count.astype(real)), dtype)


def _cubic(xp, values, n_out, axis):
    """scaleCubic_rowcol along ``axis`` of ``values``: the Catmull-Rom curve (planes.cubic_interpolate) through
    the four neighbours of ``si_i``, a missing outer one extrapolated (``2 p1 - p2``, ``2 p2 - p1``, in
    temp_t), then FromIntermediate; the last pixel copied."""
    n_in = values.shape[axis]
    dtype = values.dtype
    real = temp_dtype(dtype)
    if n_out == n_in:
        return values.copy()
    if n_in == 1:
        # image.c leaves the last destination pixel unwritten here; it gets the only source value too
        return xp.repeat(values, n_out, axis=axis)
    low, frac = _positions(xp, n_in, n_out)
    p0, p1, p2, p3 = (xp.take(values, xp.clip(low + k, 0, n_in - 1), axis=axis).astype(real, copy=False)
                      for k in (-1, 0, 1, 2))
    # the positions grow with di: those with no left neighbour (si_i = 0) come first, those with no second right
    # one (si_i + 2 >= n_in) last
    first, last = int((low == 0).sum()), int((low + 2 >= n_in).sum())
    head, tail = [slice(None)] * values.ndim, [slice(None)] * values.ndim
    head[axis], tail[axis] = slice(0, first), slice(n_out - 1 - last, n_out - 1)
    head, tail = tuple(head), tuple(tail)
    p0[head] = 2 * p1[head] - p2[head]
    p3[tail] = 2 * p2[tail] - p1[tail]
    mixed = cubic_interpolate(p0, p1, p2, p3, _weights_shape(values, axis, frac.astype(real)))
    end = xp.take(values, xp.asarray([n_in - 1]), axis=axis)
    return xp.concatenate([from_intermediate(xp, mixed, dtype), end], axis=axis)


def _separable(rowcol):
    def resample(xp, planes, height, width):
        # rows first into a temporary image of the source's type (image.c's Ttmp), then columns
        return rowcol(xp, rowcol(xp, planes, width, 2), height, 1)
    return resample


_RESAMPLERS = {'simple': _simple, 'bilinear': _separable(_linear), 'bicubic': _separable(_cubic)}
