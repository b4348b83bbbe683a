"""Writing Torch7's files (torch/File.lua's ``writeObject``), binary or ascii, for the values a Torch7 program reads
back without legonn: nil, booleans, numbers (as doubles, Lua's one number type), strings, tables (lists and tuples
become keys 1..n, dicts keep their keys; None values are left out, as Lua's nil), tensors and storages (a
storage once, however many tensors view it), tds's containers (what their ``__write`` writes: a long count,
then a Hash's key and value objects, a Vec's values in order, nil included; a counter's value) and the
``TorchObject``s of ``load_lua(..., convert=False)`` (their class name, version and table of fields), and legonn
modules and criterions of the classes ``nn_objects.FIELDS`` lists and gModules (``nngraph_objects``), as the ``nn``
and nngraph objects Torch7 would have saved.

A table or object written again is written as its index, as Torch7 does, so shared references and cycles
survive. The two encodings differ only in how THDiskFile writes numbers and chars: raw little-endian in binary;
in ascii (``torch.save(path, obj, 'ascii')``) each number as text (doubles ``%.17g``, floats ``%.9g``, as
THDiskFile prints them), the items of one write separated by spaces, chars (strings, byte and char storages)
raw, and every write of one item or more ended by a newline (its auto-spacing). Other Python objects, and modules
Torch7's classes cannot express, are refused: legonn's own format (``lg.save``) keeps them.
"""
import numbers
import os
import struct

import numpy as np

from ...tensor import backend
from ...tensor.storage import Storage
from ...tensor.tensor import Tensor
from ..archive import is_file_object
from ..atomic import replacing
from ..classes import builtin_class
from .load import RECURSION_LIMIT, deep_recursion
from .nn_objects import NnObjects, is_module
from .reader import BOOLEAN, NIL, NUMBER, STRING, TABLE, TORCH, TorchObject

_WRITABLE = ("nil (None), booleans, numbers, strings, lists, tuples, dicts, tensors, storages, tds containers, "
             "load_lua's TorchObjects and nn modules")


class ObjectWriter:
    """Writes one object (and everything it refers to) as ``torch.save(path, obj)`` does, in binary (the ascii
    writer below changes only how numbers and raw chars go out)."""

    def __init__(self, hook=None):
        self.hook = hook    # File:writeObject's hook: each value is written as hook(value)
        self.out = bytearray()
        self.index = {}     # id(table or object) -> its index in the file
        self.count = 0      # indices given so far (a Torch object's table of fields takes one too)
        self._alive = []    # keeps written objects alive so their ids stay unique
        self.tds = {builtin_class(name): name for name in ('tds.Hash', 'tds.Vec', 'tds.AtomicCounter')}
        self.modules = NnObjects()

    def int(self, v):
        self.out += struct.pack('<i', v)

    def long(self, *vs):
        self.out += struct.pack(f'<{len(vs)}q', *vs)

    def double(self, v):
        self.out += struct.pack('<d', v)

    def chars(self, raw):
        self.int(len(raw))
        self._raw(raw)

    def _raw(self, raw):
        self.out += raw

    def data(self, array):
        """A storage's elements (a NumPy array), raw little-endian."""
        self.out += np.ascontiguousarray(array, dtype=array.dtype.newbyteorder('<')).tobytes()

    def object(self, v, where):
        original = v     # File.lua keeps references to the object met, not to what the hook gave for it
        if self.hook is not None:
            v = self.hook(v)
        if v is None:
            self.int(NIL)
        elif isinstance(v, (bool, np.bool_)):
            self.int(BOOLEAN)
            self.int(int(v))
        elif isinstance(v, numbers.Real):
            self.int(NUMBER)
            self.double(float(v))
        elif isinstance(v, (str, bytes)):
            self.int(STRING)
            self.chars(v.encode('utf-8', 'surrogateescape') if isinstance(v, str) else v)
        elif is_module(v):
            self._referenced(self.modules.of(v, where), where, original if original is not v else None)
        else:
            self._referenced(v, where, original)

    def _referenced(self, v, where, key=None):
        """A table or Torch object: its index, and its content the first time (``key``, the object its
        references are tracked by: ``v`` unless given)."""
        key = v if key is None else key
        write = self._writer(v, where)
        self.int(TABLE if write is None else TORCH)
        known = self.index.get(id(key))
        if known is not None:
            self.int(known)
            return
        self._alive += [key, v]
        self.index[id(key)] = self._new_index()
        if write is None and isinstance(v, dict):
            self._table(list(v.items()), where)
        elif write is None:
            self._table([(i + 1, x) for i, x in enumerate(v)], where, shift=1)
        else:
            write()

    def _new_index(self):
        self.count += 1
        self.int(self.count)
        return self.count

    def _table(self, pairs, where, shift=0):
        """A Lua table's size and pairs (its type tag and index already written); nil values are left out. A
        list's keys are its positions plus ``shift`` (1: Lua's), named in errors without it."""
        pairs = [(k, x) for k, x in pairs if x is not None]
        self.int(len(pairs))
        for k, x in pairs:
            if k is None:
                raise TypeError(f"legonn.save_lua: {where} has the key None, which a Lua table cannot hold")
            self.object(k, f'a key of {where}')
            self.object(x, f'{where}[{k - shift if shift else _key_name(k)}]')

    def _writer(self, v, where):
        """None for a plain table (list, tuple, dict), else the function writing the Torch object ``v`` after its
        index; a TypeError for what a Torch7 file cannot hold."""
        if isinstance(v, TorchObject):
            return lambda: self._torch_object(v, where)
        if isinstance(v, (list, tuple, dict)):
            return None
        if isinstance(v, Tensor):
            return lambda: self._tensor(v, where)
        if isinstance(v, Storage):
            return lambda: self._storage(v)
        kind = self.tds.get(type(v))
        if kind is not None:
            return lambda: self._tds(kind, v, where)
        raise TypeError(f"legonn.save_lua: {where} is a {type(v).__module__}.{type(v).__qualname__}, which a "
                        f"Torch7 file cannot hold ({_WRITABLE} can; lg.save keeps the rest)")

    def _class(self, name, version):
        self.chars(f'V {version}'.encode('ascii'))
        self.chars(name.encode('ascii'))

    def _tensor(self, t, where):
        """generic/Tensor.c's write: dimensions, sizes, strides, the 1-based storage offset, then the storage. An
        empty tensor is Torch7's: no dimensions (TH cuts its sizes at the first 0) and no storage."""
        self._class(t.type().replace('legonn.', 'torch.'), 1)
        if t.nElement() == 0:
            self.int(0)
            self.long(1)
            self.object(None, where)
            return
        self.int(t.dim())
        self.long(*t.size())
        self.long(*t.stride())
        self.long(t.storageOffset() + 1)
        self.object(t.storage(), where)

    def _storage(self, s):
        """generic/Storage.c's write: the element count, then the elements raw (little-endian)."""
        self._class(s.type().replace('legonn.', 'torch.'), 1)
        data = backend.to_module(s.data, np)
        self.long(data.size)
        self.data(data)

    def _tds(self, kind, v, where):
        """tds's __write (hash.lua, vec.lua, atomic.lua), under its version 0."""
        self._class(kind, 0)
        if kind == 'tds.AtomicCounter':
            self.long(v.get())
            return
        self.long(len(v))
        if kind == 'tds.Vec':
            for i, x in enumerate(v):
                self.object(x, f'{where}[{i}]')
            return
        for k, x in v.items():
            self.object(k, f'a key of {where}')
            self.object(x, f'{where}[{_key_name(k)}]')

    def _torch_object(self, obj, where):
        """File.lua's default for a Torch class: its name and version, then a new table of its fields."""
        self._class(obj.typename, obj.version)
        self.int(TABLE)
        self._new_index()
        self._table(list(obj.items()), where)


def _key_name(k):
    """A key as errors name it: its repr when it is a string or a number; a table or an object used as a key
    (nngraph's ``mapindex``, ``children``) by its kind, as its repr would spell out everything it holds."""
    if isinstance(k, (str, bytes, numbers.Number)):
        return repr(k)
    if isinstance(k, TorchObject):
        return f"<{k.typename}>"
    return '<table>' if isinstance(k, (dict, list, tuple)) else f"<{type(k).__name__}>"


class AsciiObjectWriter(ObjectWriter):
    """Writes as ``torch.save(path, obj, 'ascii')`` does (THDiskFile's ascii mode, auto-spacing on)."""

    def _numbers(self, texts):
        if texts:
            self.out += ' '.join(texts).encode('ascii') + b'\n'

    def int(self, v):
        self._numbers(['%d' % v])

    def long(self, *vs):
        self._numbers(['%d' % v for v in vs])

    def double(self, v):
        self._numbers(['%.17g' % v])

    def _raw(self, raw):
        if raw:
            self.out += raw + b'\n'

    def data(self, array):
        """Bytes and chars raw; other elements as THDiskFile prints them: %.17g doubles, %.9g floats (and
        halves, which it prints as floats), whole numbers %d."""
        if array.dtype in (np.uint8, np.int8):
            self._raw(array.tobytes())
        elif array.dtype.kind == 'f':
            style = '%.17g' if array.dtype == np.float64 else '%.9g'
            self._numbers([style % v for v in array.astype(np.float64).tolist()])
        else:
            self._numbers(['%d' % v for v in array.tolist()])


_WRITERS = {'binary': ObjectWriter, 'ascii': AsciiObjectWriter}


def save_lua(target, obj, format='binary', hook=None):
    """Write ``obj`` as Torch7's ``torch.save(target, obj, format)`` would, ``format`` ``'binary'`` (8-byte longs,
    the default) or ``'ascii'``, so that Torch7 (with ``require 'tds'`` for tds's containers) and ``lg.load``
    read it back: to a path (replaced only once the new file is complete) or a writable binary file object
    (written at its position, left open). ``obj`` may hold what the module docstring lists; anything else is a
    TypeError naming where it is. ``hook`` is ``File:writeObject``'s: each value met is written as
    ``hook(value)``. Returns ``target`` (a path as given, through ``os.fspath``)."""
    if format not in _WRITERS:
        raise ValueError(f"legonn.save_lua: format must be 'binary' or 'ascii' (torch.save's), got {format!r}")
    writer = _WRITERS[format](hook)
    try:
        with deep_recursion():
            writer.object(obj, 'the saved object')
    except RecursionError:   # File.lua's writeObject recurses as this writer does, and load_lua refuses as deep
        raise ValueError(f"legonn.save_lua: the saved object nests tables and objects too deeply (a chain of "
                         f"thousands, such as a gModule of thousands of nodes in a row); the writer, like Torch7's "
                         f"and load_lua, goes through them recursively, up to {RECURSION_LIMIT} calls") from None
    if is_file_object(target):
        target.write(bytes(writer.out))
        return target
    with replacing(os.fsdecode(os.fspath(target))) as f:
        f.write(bytes(writer.out))
    return os.fspath(target)
