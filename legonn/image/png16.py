"""PNGs of 16-bit colour (colour types 2 RGB, 4 grey+alpha and 6 RGBA at 16 bits per sample), which Pillow
reads at 8 bits: decoded here from the PNG specification (the IHDR and IDAT chunks, zlib, the five row
filters, Adam7 interlacing) so that the 16-bit samples png.c gives come through. 16-bit grey, palettes and
the 8-bit types stay with Pillow, which reads them as png.c does."""
import struct
import warnings
import zlib

import numpy as np
from numba import njit

SIGNATURE = b'\x89PNG\r\n\x1a\n'
CHANNELS = {2: 3, 4: 2, 6: 4}   # the colour types decoded here, to their channel counts
# Pillow's DecompressionBombError threshold (twice its Image.MAX_IMAGE_PIXELS), for the PNGs decoded here
MAX_PIXELS = 2 * 89478485
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
    stream = b''.join(_idat(name, data))   # every chunk's CRC first, as libpng checks a chunk before using it
    width, height, _, colour, compression, filtering, interlace = struct.unpack('>IIBBBBB', data[16:29])
    if width == 0 or height == 0 or compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise ValueError(f"image.{name}: cannot decode the PNG: its IHDR is invalid (size {width} x {height}, "
                         f"compression {compression}, filter {filtering}, interlace {interlace})")
    if width * height > MAX_PIXELS:
        raise ValueError(f"image.{name}: cannot decode the PNG: its IHDR claims {width} x {height} pixels, more "
                         f"than the {MAX_PIXELS} Pillow refuses as a decompression bomb")
    channels = CHANNELS[colour]
    bpp = 2 * channels
    # each pass's (first row, first column, row step, column step, rows, columns), passes without pixels left
    # out: they have no rows in the data, not even filter bytes
    passes = [(r0, c0, dr, dc, len(range(r0, height, dr)), len(range(c0, width, dc)))
              for r0, c0, dr, dc in (ADAM7 if interlace else ((0, 0, 1, 1),))]
    passes = [p for p in passes if p[4] and p[5]]
    raw = _inflated(name, stream, sum(rows * (cols * bpp + 1) for *_, rows, cols in passes))
    out = np.zeros((height, width, channels), np.int64)
    offset = 0
    for row0, col0, row_step, col_step, rows, cols in passes:
        size = rows * (cols * bpp + 1)
        pixels = _unfiltered(raw[offset:offset + size].reshape(rows, cols * bpp + 1), bpp)
        if pixels is None:
            raise ValueError(f"image.{name}: cannot decode the PNG: a row has a filter type above 4")
        offset += size
        out[row0::row_step, col0::col_step] = pixels.view('>u2').reshape(rows, cols, channels)
    return out.transpose(2, 0, 1)


def _inflated(name, stream, size):
    """The first ``size`` bytes the zlib ``stream`` inflates to, inflating no further (a small IDAT may inflate
    to gigabytes); a ValueError naming ``image.<name>`` when the stream is corrupt or gives fewer bytes."""
    try:
        raw = zlib.decompressobj().decompress(stream, size)
    except zlib.error as err:
        raise ValueError(f"image.{name}: cannot decode the PNG: its image data is corrupt ({err})") from None
    if len(raw) < size:
        raise ValueError(f"image.{name}: cannot decode the PNG: its image data is truncated ({len(raw)} bytes "
                         f"inflated, the IHDR's size needs {size})")
    return np.frombuffer(raw, np.uint8)


def _idat(name, data):
    """The IDAT chunks' contents, in order, up to IEND, each chunk's CRC (of its type and data) checked with
    libpng's defaults: a mismatch in a critical chunk (type's first letter upper case: IHDR, PLTE, IDAT, IEND)
    is an error, in an ancillary one a warning, the chunk then ignored (as all ancillary chunks are here)."""
    pos, parts = 8, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        end = pos + 8 + length
        if end + 4 <= len(data) and zlib.crc32(data[pos + 4:end]) != struct.unpack('>I', data[end:end + 4])[0]:
            chunk = kind.decode('latin-1')
            if not kind[0] & 0x20:
                raise ValueError(f"image.{name}: cannot decode the PNG: its {chunk} chunk fails its CRC (libpng's "
                                 f"CRC error)")
            warnings.warn(f"image.{name}: the PNG's {chunk} chunk fails its CRC: ignored, as libpng does",
                          stacklevel=4)
        elif kind == b'IEND':
            break
        elif kind == b'IDAT':
            parts.append(data[pos + 8:end])
        pos = end + 4   # length, type, data, CRC
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
