"""``torch.DiskFile`` as a file of Torch7 objects: ``writeObject`` call after call, then ``readObject`` in the
same order until the end (neuralconvo's dataset.lua streams its examples through one file so; ``torch.load``
reads a file holding one object, which ``load_lua`` does)."""
import os
import re

from ..archive import FormatError
from .load import deep_recursion
from .modules import ModuleConverter
from .reader import ObjectReader
from .streams import AsciiStream, BinaryStream
from .writer import AsciiObjectWriter, ObjectWriter

_MODES = ('r', 'w')
# what may follow the last object: nothing in binary, white space in ascii (matched in place, never a copy of the
# rest of the file at each read)
_END = {True: re.compile(rb'\Z'), False: re.compile(rb'[ \t\r\n]*\Z')}


class DiskFile:
    """Torch7's ``torch.DiskFile(name, mode, quiet)`` for objects (torch7's File.lua ``writeObject`` and
    ``readObject``, THDiskFile's modes and quiet flag).

    ``mode`` 'r' reads an existing file, 'w' creates or truncates one. As in Torch7 the file is ascii until
    ``binary()`` is called (``torch.save`` calls it), and one table of references serves every call on the
    file: an object written (or read) a second time is a reference to the first, so what was shared stays
    shared across the calls. ``readObject`` past the last object raises EOFError, or, after ``quiet()`` (or
    with ``quiet`` true), returns None as Torch7's quiet file does (its failed read of the type tag gives 0,
    the nil tag). Objects come back as ``load_lua`` gives them (``nn`` modules as legonn's, tables as lists
    or dicts). Text reads and writes (``readString``, ``writeString``, ...) are not here: a Python file does
    them (docs/porting.md)."""

    def __init__(self, name, mode='r', quiet=False):
        if mode not in _MODES:
            raise ValueError(f"legonn.DiskFile: mode must be 'r' or 'w', got {mode!r}")
        self.name, self.mode = os.fspath(name), mode
        self._quiet, self._binary = bool(quiet), False
        self._writer = self._reader = self._converter = None
        self._file = self._data = None
        if mode == 'w':
            self._file = open(self.name, 'wb')
        else:
            with open(self.name, 'rb') as f:
                self._data = f.read()

    def binary(self):
        """Numbers raw little-endian from now on (THDiskFile's binary mode); returns the file."""
        return self._set_binary(True)

    def ascii(self):
        """Numbers as text from now on (the default); returns the file."""
        return self._set_binary(False)

    def _set_binary(self, binary):
        if (self._writer or self._reader) is not None and binary != self._binary:
            raise ValueError(f"legonn.DiskFile: {self.name}: switching between binary and ascii after the first "
                             f"object is not supported")
        self._binary = binary
        return self

    def quiet(self):
        """A read past the end returns None instead of raising; returns the file."""
        self._quiet = True
        return self

    def pedantic(self):
        """A read past the end raises (the default); returns the file."""
        self._quiet = False
        return self

    def isQuiet(self):
        return self._quiet

    def isBinary(self):
        return self._binary

    def _check(self, mode, what):
        if self._file is None and self._data is None:
            raise ValueError(f"legonn.DiskFile: {self.name}: {what} on a closed file")
        if self.mode != mode:
            raise ValueError(f"legonn.DiskFile: {self.name}: {what} on a file opened with mode {self.mode!r}")

    def writeObject(self, obj):
        """Appends ``obj`` (what ``save_lua`` writes); an object already written by this file is written as a
        reference to it. A value that cannot be written raises TypeError and leaves the file as it was."""
        self._check('w', 'writeObject')
        if self._writer is None:
            self._writer = (ObjectWriter if self._binary else AsciiObjectWriter)()
        w = self._writer
        kept = (dict(w.index), w.count, len(w._alive))
        try:
            with deep_recursion():
                w.object(obj, 'the written object')
        except BaseException:
            # nothing of a failed object reaches the file, and later objects must not refer to its parts
            w.out.clear()
            w.index, w.count = kept[0], kept[1]
            del w._alive[kept[2]:]
            raise
        self._file.write(bytes(w.out))
        w.out.clear()

    def readObject(self):
        """The next object of the file; at the end None if quiet, else EOFError."""
        self._check('r', 'readObject')
        if self._reader is None:
            stream = BinaryStream(self._data, self.name) if self._binary else AsciiStream(self._data, self.name)
            self._reader = ObjectReader(stream)
            self._converter = ModuleConverter(self.name)
        s = self._reader.s
        if _END[self._binary].match(self._data, s.pos):
            if self._quiet:
                return None
            raise EOFError(f"legonn.DiskFile: {self.name}: readObject past the last object (quiet() makes it "
                           f"return None there, as Torch7's quiet file does)")
        first_new = len(self._reader.tables)
        try:
            with deep_recursion():
                value = self._reader.plain(self._reader.object(), first_new)
                return self._converter.convert(value)
        except RecursionError:
            raise FormatError(f"{self.name}: objects nest too deeply") from None

    def close(self):
        if self._file is not None:
            self._file.close()
        self._file = self._data = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
