"""``torch.DiskFile`` as a file of Torch7 objects: ``writeObject`` call after call, then ``readObject`` in the
same order until the end (neuralconvo's dataset.lua streams its examples through one file so; ``torch.load``
reads a file holding one object, which ``load_lua`` does)."""
import os
import re

import numpy as np

from ...tensor.storage import (ByteStorage, CharStorage, DoubleStorage, FloatStorage, IntStorage, LongStorage,
                               ShortStorage, Storage)
from ...tensor.introspection import typename
from ..archive import FormatError
from ..decode import cuda_flag
from .load import deep_recursion
from .modules import ModuleConverter
from .reader import ObjectReader
from .streams import AsciiStream, BinaryStream
from .writer import AsciiObjectWriter, ObjectWriter

_MODES = ('r', 'w')
# what may follow the last object: nothing in binary, white space in ascii (matched in place, never a copy of the
# rest of the file at each read)
_END = {True: re.compile(rb'\Z'), False: re.compile(rb'[ \t\r\n]*\Z')}
# File.c's IMPLEMENT_TORCH_FILE_RW types: the name in readX/writeX and the storage class it reads into
_TYPED = {'Byte': (ByteStorage, np.uint8), 'Char': (CharStorage, np.int8), 'Short': (ShortStorage, np.int16),
          'Int': (IntStorage, np.int32), 'Long': (LongStorage, np.int64), 'Float': (FloatStorage, np.float32),
          'Double': (DoubleStorage, np.float64)}


def _storage_of(storage, cls):
    """Whether ``storage`` is a ``cls`` as Torch7 sees it: by its type name, since ``x:storage()`` of a
    FloatTensor is a plain ``Storage`` over float32 (spynet's flowExtensions.lua writes a flow so:
    ``ff:writeFloat(F:storage())``) where ``lg.FloatStorage(n)`` builds the subclass."""
    return typename(storage) == f"legonn.{cls.__name__}"


class DiskFile:
    """Torch7's ``torch.DiskFile(name, mode, quiet)`` for objects (torch7's File.lua ``writeObject`` and
    ``readObject``, THDiskFile's modes and quiet flag).

    ``mode`` 'r' reads an existing file, 'w' creates or truncates one. As in Torch7 the file is ascii until
    ``binary()`` is called (``torch.save`` calls it), and one table of references serves every call on the
    file: an object written (or read) a second time is a reference to the first, so what was shared stays
    shared across the calls. ``readObject`` past the last object raises EOFError, or, after ``quiet()`` (or
    with ``quiet`` true), returns None as Torch7's quiet file does (its failed read of the type tag gives 0,
    the nil tag). Objects come back as ``load_lua`` gives them (``nn`` modules as legonn's, tables as lists
    or dicts), CUDA tensors on the device ``device`` says, as ``load_lua``'s. ``seek``, ``seekEnd`` and
    ``position`` move in the file (0-based byte positions). Text reads and writes (``readString``,
    ``writeString``, ...) are not here: a Python file does them (docs/porting.md)."""

    def __init__(self, name, mode='r', quiet=False, *, device=None):
        if mode not in _MODES:
            raise ValueError(f"legonn.DiskFile: mode must be 'r' or 'w', got {mode!r}")
        self._cuda = cuda_flag('legonn.DiskFile', device)
        self.name, self.mode = os.fspath(name), mode
        self._quiet, self._binary = bool(quiet), False
        self._writer = self._reader = self._converter = None
        self._file = self._data = None
        self._start = 0   # a read position set by seek before the first read
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
        if self._writer is not None and binary != self._binary:
            raise ValueError(f"legonn.DiskFile: {self.name}: switching between binary and ascii after the first "
                             f"write is not supported")
        if self._reader is not None and binary != self._binary:
            # THFile_binary/THFile_ascii (torch7's lib/TH/THFile.c) only set isBinary: the next read decodes the
            # bytes from where the last one stopped in the new mode (word2vec.torch's bintot7.lua reads the
            # header's two counts in ascii, then each word's chars and floats in binary)
            pos = self._reader.s.pos
            self._reader.s = (BinaryStream if binary else AsciiStream)(self._data, self.name)
            self._reader.s.pos = pos
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
        w = self._object_writer()
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

    def _object_writer(self):
        if self._writer is None:
            self._writer = (ObjectWriter if self._binary else AsciiObjectWriter)()
        return self._writer

    def _object_reader(self):
        if self._reader is None:
            stream = BinaryStream(self._data, self.name) if self._binary else AsciiStream(self._data, self.name)
            stream.pos = self._start
            self._reader = ObjectReader(stream, self._cuda)
            self._converter = ModuleConverter(self.name, self._cuda)
        return self._reader

    # File.c's seek/seekEnd/position (recurrent.torch's textDataProvider.lua sizes a text file with seekEnd and
    # position, then seeks back to read its bytes); positions are 0-based here, where File.c adds and takes 1
    def seek(self, position):
        """Moves to byte ``position`` (0-based: ``seek(0)`` is the start, Torch7's ``seek(1)``); a position
        past the end is taken, as fseek takes it, and a read there fails. Returns the file."""
        self._check(self.mode, 'seek')
        if isinstance(position, bool) or not isinstance(position, (int, np.integer)) or position < 0:
            raise ValueError(f"legonn.DiskFile: {self.name}: seek: position must be an integer >= 0 (0-based), "
                             f"got {position!r}")
        if self.mode == 'w':
            self._file.seek(int(position))
        elif self._reader is None:
            self._start = int(position)
        else:
            self._reader.s.pos = int(position)
        return self

    def seekEnd(self):
        """Moves to the end of the file (its size in bytes is then ``position()``). Returns the file."""
        self._check(self.mode, 'seekEnd')
        if self.mode == 'w':
            self._file.seek(0, os.SEEK_END)
            return self
        return self.seek(len(self._data))

    def position(self):
        """The current byte position, 0-based (Torch7's ``position()`` is 1-based: its start is 1)."""
        self._check(self.mode, 'position')
        if self.mode == 'w':
            return self._file.tell()
        return self._start if self._reader is None else self._reader.s.pos

    def readObject(self):
        """The next object of the file; at the end None if quiet, else EOFError."""
        self._check('r', 'readObject')
        s = self._object_reader().s
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

    def _read_typed(self, kind, arg):
        """File.c's ``read<kind>``: no argument reads one number and returns it; a count ``n`` returns a new
        storage of the n numbers read; a storage of the type is filled and the count read returned. Reading
        past the end raises EOFError (THDiskFile's "read error"), except on a quiet file, where a count or a
        storage gets the numbers there are (a binary file's) and a number reads as 0."""
        where = f"legonn.DiskFile: {self.name}: read{kind}"
        self._check('r', f'read{kind}')
        cls, dtype = _TYPED[kind]
        if arg is None:
            n, into = 1, None
        elif isinstance(arg, Storage):
            if not _storage_of(arg, cls):
                raise TypeError(f"{where}: expected nothing, a number, or a {cls.__name__}, got a "
                                f"{typename(arg)}")
            n, into = len(arg), arg
        elif isinstance(arg, (int, np.integer)) and not isinstance(arg, bool) and arg >= 0:
            n, into = int(arg), None
        else:
            raise TypeError(f"{where}: expected nothing, a number, or a {cls.__name__}, got {arg!r}")
        stream = self._object_reader().s
        dtype = np.dtype(dtype)
        count = n
        if self._binary and stream.left() < n * dtype.itemsize:
            count = stream.left() // dtype.itemsize
            if not self._quiet:
                raise EOFError(f"{where}: read {count} blocks instead of {n} (the file ends; quiet() reads what "
                               f"is there, as Torch7's quiet file does)")
        try:
            values = stream.array(dtype, count, f'read{kind}')
        except FormatError as e:
            if not self._quiet:
                raise EOFError(f"{where}: {e}") from None
            values = np.zeros(0, dtype)
        if arg is None:
            return values[0].item() if len(values) else 0
        if into is None:
            return cls(values)
        into.data[:len(values)] = values
        return len(values)

    def _write_typed(self, kind, value):
        """File.c's ``write<kind>``: a number writes one value (converted to the C type); a storage of the type
        writes its elements and returns their count."""
        where = f"legonn.DiskFile: {self.name}: write{kind}"
        self._check('w', f'write{kind}')
        cls, dtype = _TYPED[kind]
        w = self._object_writer()
        if isinstance(value, Storage):
            if not _storage_of(value, cls):
                raise TypeError(f"{where}: expected a number or a {cls.__name__}, got a {typename(value)}")
            array = np.asarray(value.data)
        elif isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            array = np.array([value]).astype(dtype)
        else:
            raise TypeError(f"{where}: expected a number or a {cls.__name__}, got {value!r}")
        w.data(array)
        self._file.write(bytes(w.out))
        w.out.clear()
        return len(array) if isinstance(value, Storage) else None

    def close(self):
        if self._file is not None:
            self._file.close()
        self._file = self._data = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _typed_methods(kind):
    def read(self, arg=None):
        return self._read_typed(kind, arg)

    def write(self, value):
        return self._write_typed(kind, value)

    read.__name__, write.__name__ = f'read{kind}', f'write{kind}'
    name = _TYPED[kind][0].__name__
    read.__doc__ = f"File.c's read{kind}(): one number; read{kind}(n): a new {name} of n; read{kind}(storage): " \
                   f"fills it, returns the count."
    write.__doc__ = f"File.c's write{kind}(x): one number, or a {name}'s elements (returns the count)."
    return read, write


for _kind in _TYPED:
    _read, _write = _typed_methods(_kind)
    setattr(DiskFile, _read.__name__, _read)
    setattr(DiskFile, _write.__name__, _write)
