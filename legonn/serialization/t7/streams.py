"""The two encodings of a Torch7 file: raw little-endian binary and ascii.

Torch7's ``torch.DiskFile`` writes the same sequence of typed reads in either
mode; these classes give the object reader one interface over both. Every
read checks the bytes left first, so a truncated or crafted file raises
``FormatError`` before anything of the declared size is allocated.
"""
import re
import struct

import numpy as np

from ..archive import FormatError

_TOKEN = re.compile(rb'[ \t\r\n]*([^ \t\r\n]+)')
# Torch7 writes Byte and Char data (strings included) raw even in ascii mode
_RAW_DTYPES = (np.dtype(np.uint8), np.dtype(np.int8))


class BinaryStream:
    """Reads Torch7's binary encoding: native little-endian values, ``long`` of ``long_size`` bytes."""

    def __init__(self, data, name, long_size=8):
        if long_size not in (4, 8):
            raise ValueError(f"legonn.load_lua: long_size must be 4 or 8, got {long_size!r}")
        self.data, self.name, self.pos = data, name, 0
        self._view = memoryview(data)   # reads slice this, so storage data is copied once, into its array
        self.long_dtype = np.dtype('<i8' if long_size == 8 else '<i4')

    def fail(self, what):
        return FormatError(f"{self.name}: {what} (at byte {self.pos} of {len(self.data)})")

    def left(self):
        return len(self.data) - self.pos

    def _take(self, n, what):
        if n < 0 or n > self.left():
            raise self.fail(f"{what} needs {n} bytes, {self.left()} are left: truncated or corrupted")
        start = self.pos
        self.pos += n
        return self._view[start:self.pos]

    def int(self, what='an int'):
        return struct.unpack('<i', self._take(4, what))[0]

    def double(self, what='a number'):
        return struct.unpack('<d', self._take(8, what))[0]

    def longs(self, n, what='longs'):
        return [int(v) for v in self.array(self.long_dtype, n, what)]

    def chars(self, n, what='a string'):
        return bytes(self._take(n, what))

    def array(self, dtype, n, what='storage data'):
        dtype = np.dtype(dtype).newbyteorder('<')
        raw = self._take(n * dtype.itemsize, what)
        return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder('='), copy=True)


class AsciiStream(BinaryStream):
    """Reads Torch7's ascii encoding: numbers as text separated by blanks, chars raw.

    Torch7 ends every write of ``n > 0`` items with a newline ("auto-spacing"),
    which each read here consumes the same way Torch7's reader does.
    """

    def _end_of_write(self):
        if self.pos < len(self.data) and self.data[self.pos:self.pos + 1] == b'\n':
            self.pos += 1

    def _tokens(self, n, what):
        if n < 0 or n > self.left():   # every number takes at least one byte and a separator
            raise self.fail(f"{what} declares {n} numbers, more than the {self.left()} bytes left")
        out = []
        for _ in range(n):
            m = _TOKEN.match(self.data, self.pos)
            if m is None:
                raise self.fail(f"{what}: expected {n} numbers, the file ends after {len(out)}")
            out.append(m.group(1))
            self.pos = m.end()
        self._end_of_write()
        return out

    def int(self, what='an int'):
        return self._parse(self._tokens(1, what), int, what)[0]

    def double(self, what='a number'):
        return self._parse(self._tokens(1, what), float, what)[0]

    def longs(self, n, what='longs'):
        return self._parse(self._tokens(n, what), int, what)

    def _raw(self, n, what):
        out = self._take(n, what)
        if n:
            self._end_of_write()
        return out

    def chars(self, n, what='a string'):
        return bytes(self._raw(n, what))

    def array(self, dtype, n, what='storage data'):
        dtype = np.dtype(dtype)
        if dtype in _RAW_DTYPES:
            return np.frombuffer(self._raw(n, what), dtype=dtype).copy()
        kind = float if dtype.kind == 'f' else int
        try:
            return np.array(self._parse(self._tokens(n, what), kind, what), dtype=dtype)
        except OverflowError:
            raise self.fail(f"{what}: a number does not fit its {dtype.name} values") from None

    def _parse(self, tokens, kind, what):
        try:
            return [kind(t.decode('ascii')) for t in tokens]
        except (UnicodeDecodeError, ValueError):
            raise self.fail(f"{what}: {b' '.join(tokens)[:40]!r} is not a {kind.__name__}") from None


def open_stream(data, name, long_size=8):
    """The stream for ``data``: ascii when it starts with a decimal digit, binary otherwise.

    A binary file starts with a little-endian type tag (0 to 8), so its first
    byte is never an ascii digit; an ascii file starts with that tag as text.
    """
    if data[:1].isdigit():
        return AsciiStream(data, name)
    return BinaryStream(data, name, long_size)
