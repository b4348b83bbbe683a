"""torch/image's ``scale``: init.lua's size forms over generic/image.c's scaleSimple, scaleBilinear and
scaleBicubic. The two interpolating modes are separable: image.c resamples each row into a temporary image of
the source's type (so a Byte image is rounded there too), then each column. Each 1-D pass here is a weight
matrix built from the C's single-precision positions."""
import re

import numpy as np

from .arguments import check_same_depth, number_text, result_sizes, split_dst
from .planes import from_intermediate, gather, planes_of, planes_result, temp_dtype

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
            factor = int(found.group(1)) / int(found.group(2))
            return _truncated(iwidth * factor), _truncated(iheight * factor)
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


def _linear_weights(xp, n_in, n_out):
    """scaleLinear_rowcol as an (n_out, n_in) matrix: enlarging interpolates between the two neighbours of
    ``i * (n_in-1)/(n_out-1)`` and copies the last pixel; shrinking averages the source interval
    ``[i * n_in/n_out, (i+1) * n_in/n_out)``, pixels cut by its ends weighted by the part inside."""
    if n_out == n_in:
        return xp.eye(n_in)
    if n_out > n_in:
        weights = xp.zeros((n_out, n_in))
        if n_in == 1:
            weights[:, 0] = 1
            return weights
        pos = xp.arange(n_out - 1, dtype=np.float32) * (np.float32(n_in - 1) / np.float32(n_out - 1))
        low = pos.astype(np.int64)
        frac = (pos - low.astype(np.float32)).astype(np.float64)
        rows = xp.arange(n_out - 1)
        weights[rows, low] = 1 - frac
        weights[rows, xp.minimum(low + 1, n_in - 1)] += frac
        weights[n_out - 1, n_in - 1] = 1
        return weights
    ratio = np.float32(n_in) / np.float32(n_out)
    ends = (xp.arange(n_out + 1, dtype=np.float32) * ratio).astype(np.float64)
    pixels = xp.arange(n_in, dtype=np.float64)
    covered = (xp.minimum(pixels[None, :] + 1, ends[1:, None]) - xp.maximum(pixels[None, :], ends[:-1, None]))
    covered = xp.clip(covered, 0, 1)
    return covered / covered.sum(axis=1, keepdims=True)


def _cubic_weights(xp, n_in, n_out):
    """scaleCubic_rowcol as an (n_out, n_in) matrix: the Catmull-Rom curve through the four neighbours of
    ``i * (n_in-1)/(n_out-1)``, the missing outer neighbour extrapolated (``2 p1 - p2``), the last pixel
    copied."""
    if n_out == n_in:
        return xp.eye(n_in)
    weights = xp.zeros((n_out, n_in))
    if n_in == 1:
        # image.c leaves the last destination pixel unwritten here; it gets the only source value too
        weights[:, 0] = 1
        return weights
    weights[n_out - 1, n_in - 1] = 1
    if n_out == 1:
        return weights
    pos = xp.arange(n_out - 1, dtype=np.float32) * (np.float32(n_in - 1) / np.float32(n_out - 1))
    low = pos.astype(np.int64)
    x = (pos - low.astype(np.float32)).astype(np.float64)
    c0 = 0.5 * (-x + 2 * x ** 2 - x ** 3)
    c1 = 1 + 0.5 * (-5 * x ** 2 + 3 * x ** 3)
    c2 = 0.5 * (x + 4 * x ** 2 - 3 * x ** 3)
    c3 = 0.5 * (-x ** 2 + x ** 3)
    first, last = low == 0, low + 2 >= n_in
    # a missing p0 is 2 p1 - p2, a missing p3 is 2 p2 - p1
    w1 = c1 + xp.where(first, 2 * c0, 0) - xp.where(last, c3, 0)
    w2 = c2 - xp.where(first, c0, 0) + xp.where(last, 2 * c3, 0)
    rows = xp.arange(n_out - 1)
    weights[rows, low] += w1
    weights[rows, low + 1] += w2
    inner = ~first
    weights[rows[inner], low[inner] - 1] += c0[inner]
    inner = ~last
    weights[rows[inner], low[inner] + 2] += c3[inner]
    return weights


def _banded(xp, weights, values, axis):
    """``values`` resampled along ``axis`` by ``weights`` (``n_out x n_in``), reading for each output only the
    band of inputs from its first to its last non-zero weight (2 or 4 when enlarging, about n_in/n_out when
    shrinking): one gather per position in the band, where the full product costs n_in per output."""
    n_out, n_in = weights.shape
    nonzero = weights != 0
    start = xp.argmax(nonzero, axis=1)
    stop = n_in - xp.argmax(nonzero[:, ::-1], axis=1)
    shape = [1] * values.ndim
    shape[axis] = n_out
    total = 0
    for k in range(int((stop - start).max())):
        cols = start + k
        # a band running past the last input reads it again with weight 0
        weight = xp.where(cols < n_in, weights[xp.arange(n_out), xp.minimum(cols, n_in - 1)], 0)
        total = total + xp.take(values, xp.minimum(cols, n_in - 1), axis=axis) * weight.reshape(shape)
    return total


def _separable(weights_of):
    def resample(xp, planes, height, width):
        _, ih, iw = planes.shape
        dtype = planes.dtype
        rows = _banded(xp, weights_of(xp, iw, width), planes, 2)
        # the temporary image has the source's type, as image.c's Ttmp
        rows = from_intermediate(xp, rows.astype(temp_dtype(dtype)), dtype)
        cols = _banded(xp, weights_of(xp, ih, height), rows, 1)
        return from_intermediate(xp, cols.astype(temp_dtype(dtype)), dtype)
    return resample


_RESAMPLERS = {'simple': _simple, 'bilinear': _separable(_linear_weights), 'bicubic': _separable(_cubic_weights)}
