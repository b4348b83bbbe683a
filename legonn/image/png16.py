"""PNGs of 16-bit colour (colour types 2 RGB, 4 grey+alpha and 6 RGBA at 16 bits per sample), which Pillow
reads at 8 bits: decoded here from the PNG specification (the IHDR and IDAT chunks, zlib, the five row
filters, Adam7 interlacing) so that the 16-bit samples png.c gives come through. 16-bit grey, palettes and
the 8-bit types stay with Pillow, which reads them as png.c does."""
import struct
import zlib

import numpy as np
from numba import njit

SIGNATURE = b'\x89PNG\r\n\x1a\n'
CHANNELS = {2: 3, 4: 2, 6: 4}   # the colour types decoded here, to their channel counts
# Adam7's seven passes: (first row, first column, row step, column step)
ADAM7 = ((0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1))


def is_wide_colour(data):
    """Whether the bytes ``data`` are a PNG whose IHDR (the first chunk) says 16-bit RGB, grey+alpha or RGBA."""
    return (data[:8] == SIGNATURE and len(data) >= 29 and data[12:16] == b'IHDR' and data[24] == 16
            and data[25] in CHANNELS)


def size(data):
    """``(C, H, W)`` of a PNG for which ``is_wide_colour`` holds, from its IHDR."""
    width, height = struct.unpack('>II', data[16:24])
    return CHANNELS[data[25]], height, width


def decode(name, data):
    """The ``C x H x W`` int64 samples (0..65535) of a PNG for which ``is_wide_colour`` holds; a file that breaks
    the format is a ValueError naming ``image.<name>``."""
    width, height, _, colour, compression, filtering, interlace = struct.unpack('>IIBBBBB', data[16:29])
    if width == 0 or height == 0 or compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise ValueError(f"image.{name}: cannot decode the PNG: its IHDR is invalid (size {width} x {height}, "
                         f"compression {compression}, filter {filtering}, interlace {interlace})")
    try:
        raw = np.frombuffer(zlib.decompress(b''.join(_idat(data))), np.uint8)
    except zlib.error as err:
        raise ValueError(f"image.{name}: cannot decode the PNG: its image data is corrupt ({err})") from None
    channels = CHANNELS[colour]
    bpp = 2 * channels
    out = np.zeros((height, width, channels), np.int64)
    offset = 0
    for row0, col0, row_step, col_step in (ADAM7 if interlace else ((0, 0, 1, 1),)):
        rows, cols = len(range(row0, height, row_step)), len(range(col0, width, col_step))
        if rows == 0 or cols == 0:
            continue   # a pass with no pixel has no rows in the data (not even filter bytes)
        size = rows * (cols * bpp + 1)
        if offset + size > raw.size:
            raise ValueError(f"image.{name}: cannot decode the PNG: its image data is truncated")
        pixels = _unfiltered(raw[offset:offset + size].reshape(rows, cols * bpp + 1), bpp)
        if pixels is None:
            raise ValueError(f"image.{name}: cannot decode the PNG: a row has a filter type above 4")
        offset += size
        out[row0::row_step, col0::col_step] = pixels.view('>u2').reshape(rows, cols, channels)
    return out.transpose(2, 0, 1)


def _idat(data):
    """The IDAT chunks' contents, in order, up to IEND."""
    pos, parts = 8, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        if kind == b'IEND':
            break
        if kind == b'IDAT':
            parts.append(data[pos + 8:pos + 8 + length])
        pos += 12 + length   # length, type, data, CRC
    return parts


def _unfiltered(rows, bpp):
    """The bytes of filtered scanlines ``rows`` (each its filter type byte, then the bytes) unfiltered; None
    when a filter type is unknown."""
    out = np.zeros((rows.shape[0], rows.shape[1] - 1), np.uint8)
    return out if _unfilter(np.ascontiguousarray(rows), bpp, out) else None


@njit(nogil=True, cache=True, boundscheck=True)
def _unfilter(rows, bpp, out):
    """The specification's reconstruction, byte by byte: a the byte ``bpp`` to the left, b the one above, c
    the one above a; filters 0 none, 1 Sub, 2 Up, 3 Average, 4 Paeth. False on an unknown filter type."""
    for y in range(rows.shape[0]):
        kind = rows[y, 0]
        if kind > 4:
            return False
        for x in range(rows.shape[1] - 1):
            a = np.int64(out[y, x - bpp]) if x >= bpp else 0
            b = np.int64(out[y - 1, x]) if y > 0 else 0
            c = np.int64(out[y - 1, x - bpp]) if y > 0 and x >= bpp else 0
            if kind == 1:
                guess = a
            elif kind == 2:
                guess = b
            elif kind == 3:
                guess = (a + b) // 2
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                guess = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            else:
                guess = 0
            out[y, x] = (np.int64(rows[y, x + 1]) + guess) & 255
    return True
