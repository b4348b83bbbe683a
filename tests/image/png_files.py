"""PNG files written by hand from the PNG specification (zlib and struct), for the sample depths legonn's
writer (8 bits, through Pillow) does not make: the tests of legonn.image and the torch/image test.lua port."""
import struct
import zlib

import numpy as np

from legonn.image.png16 import ADAM7


def png_chunk(kind, data):
    """A PNG chunk: the length, the type, ``data`` and the CRC of type and data."""
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))


def png16_file(samples, colour_type, interlace=0):
    """The bytes of a 16-bit PNG of ``samples`` (``H x W x C`` integers; colour type 0 grey, 2 RGB, 4 grey+alpha,
    6 RGBA): its rows filtered with the five filters in turn (row r with filter r mod 5, each pass's rows
    counted from 0), Adam7 passes when ``interlace``."""
    def filtered(raw, bpp):
        # the forward filters: the byte minus its predictor from the unfiltered bytes a (left), b (up), c
        out = []
        for r, row in enumerate(raw.astype(np.int64)):
            up = raw[r - 1].astype(np.int64) if r else np.zeros_like(row)
            a = np.concatenate([np.zeros(bpp, np.int64), row[:-bpp]])
            c = np.concatenate([np.zeros(bpp, np.int64), up[:-bpp]])
            p = a + up - c
            pa, pb, pc = np.abs(p - a), np.abs(p - up), np.abs(p - c)
            paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, up, c))
            kind = r % 5
            guess = [0 * row, a, up, (a + up) // 2, paeth][kind]
            out.append(bytes([kind]) + ((row - guess) & 255).astype(np.uint8).tobytes())
        return b''.join(out)

    samples = np.asarray(samples, '>u2')
    height, width, channels = samples.shape
    # the decoder's table of Adam7 passes: test_png_16_bit_colour checks it against Pillow's reading
    passes = ADAM7 if interlace else ((0, 0, 1, 1),)
    body = b''
    for r0, c0, dr, dc in passes:
        part = samples[r0::dr, c0::dc]
        if part.size:
            body += filtered(np.frombuffer(part.tobytes(), np.uint8).reshape(part.shape[0], -1), 2 * channels)
    ihdr = struct.pack('>IIBBBBB', width, height, 16, colour_type, 0, 0, interlace)
    return (b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', ihdr) + png_chunk(b'IDAT', zlib.compress(body))
            + png_chunk(b'IEND', b''))
