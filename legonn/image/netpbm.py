"""PPM and PGM files without a dependency, as torch/image's ppm.c: binary P6/P5 and ASCII P3/P2 read,
binary P6/P5 written at maxval 255."""
import os

import numpy as np

from ..tensor import as_tensor
from .samples import clamped_bytes, to_depth, typed_image

_SEPARATORS = b' ,\t\n\r'
_INT_MAX = 2 ** 31 - 1   # a C int, which ppm.c reads header numbers and ASCII samples into


class _Header:
    """ppm.c's reading of a header: numbers after any separators (space, comma, tab, newline) and
    ``#`` comments; the character after a number's last digit is consumed with it."""

    def __init__(self, name, filename, data):
        self.name, self.filename, self.data, self.pos = name, filename, data, 0

    def getc(self):
        """The next character, a ``#`` comment read through to its end of line (which is returned)."""
        ch = self._next()
        if ch == b'#':
            while ch not in (b'\n', b'\r'):
                ch = self._next()
        return ch

    def _next(self):
        if self.pos >= len(self.data):
            raise ValueError(f"image.{self.name}: {os.fspath(self.filename)!r} ends inside its header")
        self.pos += 1
        return self.data[self.pos - 1:self.pos]

    def number(self):
        ch = self.getc()
        while ch in _SEPARATORS:
            ch = self.getc()
        if not ch.isdigit():
            raise ValueError(f"image.{self.name}: expected a number in the header of {os.fspath(self.filename)!r}, "
                             f"got {ch!r}")
        value = 0
        while ch.isdigit():
            value = value * 10 + int(ch)
            if value > _INT_MAX:   # ppm.c reads an int; refused here before a long run of digits costs time
                raise ValueError(f"image.{self.name}: a header number of {os.fspath(self.filename)!r} is past "
                                 f"{_INT_MAX} (at byte {self.pos})")
            ch = self.getc() if self.pos < len(self.data) else b''
        return value

    def magic(self):
        if self.data[:1] != b'P' or self.data[1:2] not in (b'2', b'3', b'5', b'6'):
            # ppm.c's words, which torch/image's test.lua matches
            raise ValueError(f"image.{self.name}: unsupported magic number: {self.data[:2].decode('latin-1')!r} "
                             f"in {os.fspath(self.filename)!r} (expected a P2, P3, P5 or P6 file)")
        self.pos = 2
        return self.data[1:2]


def getPPMsize(filename):
    """``(C, H, W)`` of a PPM (3 channels) or PGM (1) file, from its header."""
    with open(filename, 'rb') as f:
        header = _Header('getPPMsize', filename, f.read(4096))
    kind = header.magic()
    width, height = header.number(), header.number()
    return (3 if kind in (b'3', b'6') else 1), height, width


def loadPPM(filename, depth=None, tensortype=None):
    """A PPM/PGM file as a ``C x H x W`` tensor (C 3 or 1) of ``tensortype`` (see ``load``). Binary samples are
    taken as stored (ppm.c ignores a maxval below 255) and ASCII ones as ``255 * c // maxval``; non-byte types
    are divided by 255. Samples of 16 bits (maxval above 255) are read big-endian, as the Netpbm format says."""
    with open(filename, 'rb') as f:
        return decoded(filename, f.read(), depth, tensortype)


def decoded(filename, data, depth=None, tensortype=None):
    """``loadPPM`` of ``data``, the bytes of the file ``filename`` (named in errors)."""
    header = _Header('loadPPM', filename, data)
    kind = header.magic()
    width, height, maxval = header.number(), header.number(), header.number()
    if not 1 <= maxval <= 65535:   # the Netpbm range; a maxval of 0 would divide by zero below
        raise ValueError(f"image.loadPPM: {os.fspath(filename)!r} has maxval {maxval}, expected 1 to 65535")
    channels = 3 if kind in (b'3', b'6') else 1
    count = width * height * channels
    if kind in (b'5', b'6'):
        dtype = np.dtype('>u2') if maxval > 255 else np.dtype(np.uint8)
        if len(data) - header.pos < count * dtype.itemsize:
            raise ValueError(f"image.loadPPM: {os.fspath(filename)!r} is corrupted or truncated (expected "
                             f"{count} samples)")
        samples = np.frombuffer(data, dtype, count, header.pos).astype(np.int64)
        if maxval > 255 and tensortype == 'byte':
            raise ValueError("image.loadPPM: a 16-bit file does not fit a ByteTensor; load it as 'float' or "
                             "'double'")
    else:
        words = data[header.pos:].split()
        if len(words) < count:
            raise ValueError(f"image.loadPPM: {os.fspath(filename)!r} is corrupted or truncated (expected "
                             f"{count} samples, found {len(words)})")
        bad = next((w for w in words[:count] if not (w.isdigit() and len(w) <= 10 and int(w) <= _INT_MAX)), None)
        if bad is not None:
            raise ValueError(f"image.loadPPM: {os.fspath(filename)!r} has the sample {bad[:20]!r}, expected a "
                             f"decimal integer from 0 to {_INT_MAX}")
        # ppm.c stores 255 * c / maxval in an unsigned char
        samples = (np.array([int(w) for w in words[:count]], dtype=np.int64) * 255 // maxval) % 256
    planes = samples.reshape(height, width, channels).transpose(2, 0, 1)
    return to_depth('loadPPM', typed_image('loadPPM', planes, tensortype), depth)


def _write(filename, magic, planes):
    height, width = planes.shape[1:]
    with open(filename, 'wb') as f:
        f.write(b'%s\n%d %d\n255\n' % (magic, width, height))
        f.write(np.ascontiguousarray(planes.transpose(1, 2, 0)).tobytes())


def savePPM(filename, tensor):
    """Write a ``3 x H x W`` image as a binary PPM (P6), clamped as ``save`` does."""
    if as_tensor(tensor).dim() != 3:
        raise ValueError(f"image.savePPM: can only save 3 x H x W images as PPM, got size "
                         f"{tuple(as_tensor(tensor).size())}")
    _write(filename, b'P6', clamped_bytes('savePPM', tensor, (3,)))


def savePGM(filename, tensor):
    """Write a ``1 x H x W`` or ``H x W`` image as a binary PGM (P5), clamped as ``save`` does."""
    _write(filename, b'P5', clamped_bytes('savePGM', tensor, (1,)))
