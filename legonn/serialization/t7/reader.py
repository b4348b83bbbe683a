"""Reading the objects of a Torch7 file (torch/File.lua's ``readObject``), never running any of it.

A file is one object: a type tag, then the value. Tables, Torch objects and
functions carry an index; an index seen before stands for the object already
read, which is how Torch7 keeps shared references and cycles. Lua functions
(dumped bytecode) are refused, so nothing in a file can run.

Reading happens in two passes so that cycles come back as cycles: the first
builds storages and tensors and records tables as raw key/value pairs; the
second turns each table into a ``list`` (keys exactly 1..n) or a ``LuaTable``
and each other Torch object into a ``TorchObject``, all created before any is
filled. Numbers that are whole (and exactly representable) become ``int``;
strings become ``str`` when they are UTF-8, else stay ``bytes``. tds's containers
(``tds.Hash``, ``tds.Vec``, ``tds.AtomicCounter``) become legonn.tds's, found
through the class registry (legonn.tds sits above serialization).
"""
import numpy as np

from ...tensor import backend
from ...tensor.storage import Storage
from ...tensor.tensor import TENSOR_CLASSES
from ...tensor.types import TYPES
from ..classes import builtin_class
from ..decode import device_type_name
from ..lua_table import LuaTable

NIL, NUMBER, STRING, TABLE, TORCH, BOOLEAN, FUNCTION, LEGACY_RECUR_FUNCTION, RECUR_FUNCTION = range(9)
_EXACT_INT = 2 ** 53
_BUSY = object()   # a storage or tensor whose fields are being read
# tds's containers, whose __write (hash.lua, vec.lua) puts a long count and then the elements in place of a table
# of fields: a Hash its key and value objects, a Vec its values (nil included) in order
TDS_CONTAINERS = ('tds.Hash', 'tds.Vec')


class TorchObject(LuaTable):
    """An object of a Torch class legonn does not turn into one of its own: its fields, and ``typename``."""

    def __init__(self, typename, version):
        super().__init__()
        self.typename, self.version = typename, version

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{self.typename} object has no field {name!r}") from None

    def __repr__(self):
        return f"TorchObject({self.typename}, fields {sorted(map(str, self))})"


class _RawTable:
    """A table as read: its (key, value) pairs, before the second pass decides list or dict."""
    __slots__ = ('pairs', 'target')

    def __init__(self):
        self.pairs, self.target = [], None


class _RawObject(_RawTable):
    __slots__ = ('typename', 'version')

    def __init__(self, typename, version):
        super().__init__()
        self.typename, self.version = typename, version


def _tensor_type(typename, suffix):
    """'torch.CudaDoubleStorage' -> 'CudaDoubleTensor' when it names a tensor type, else None."""
    if not typename.startswith('torch.') or not typename.endswith(suffix):
        return None
    short = typename[len('torch.'):-len(suffix)] + 'Tensor'
    return short if short in TYPES else None


class ObjectReader:
    """Reads one object (and everything it refers to) from a stream."""

    def __init__(self, stream, cuda=False):
        self.s, self.cuda = stream, cuda
        self.seen = {}     # file index -> object
        self.tables = []   # every _RawTable, in reading order

    def read(self):
        root = self.object()
        if self.s.left():
            raise self.s.fail(f"{self.s.left()} bytes follow the object")
        return root

    def object(self):
        tag = self.s.int('a type tag')
        if tag == NIL:
            return None
        if tag == NUMBER:
            return _number(self.s.double())
        if tag == STRING:
            return self._string()
        if tag == BOOLEAN:
            value = self.s.int('a boolean')
            if value not in (0, 1):
                raise self.s.fail(f"a boolean must be 0 or 1, got {value}")
            return value == 1
        if tag in (FUNCTION, LEGACY_RECUR_FUNCTION, RECUR_FUNCTION):
            raise self.s.fail("the file holds a Lua function (compiled Lua code); legonn never runs code from a "
                              "file, so it refuses to load one")
        if tag not in (TABLE, TORCH):
            raise self.s.fail(f"unknown type tag {tag} (Torch7 writes 0 to 8)")
        index = self.s.int('an object index')
        if index in self.seen:
            found = self.seen[index]
            if found is _BUSY:
                raise self.s.fail(f"object {index} refers to itself while being read")
            return found
        if tag == TABLE:
            table = self.seen[index] = _RawTable()
            self._fill(table, self._count('a table size', 8))
            return table
        return self._torch(index)

    def _string(self):
        raw = self.s.chars(self._count('a string length', 1), 'a string')
        try:
            return raw.decode('utf-8')
        except UnicodeDecodeError:
            return raw

    def _count(self, what, bytes_each):
        """A size read from the file, refused when the bytes left could not hold that many items."""
        n = self.s.int(what)
        if n < 0 or n * bytes_each > self.s.left():
            raise self.s.fail(f"{what} of {n} cannot fit in the {self.s.left()} bytes left")
        return n

    def _fill(self, table, n):
        self.tables.append(table)
        for _ in range(n):
            key = self.object()
            if key is None:
                raise self.s.fail("a table key is nil")
            table.pairs.append((key, self.object()))

    def _class_name(self):
        first = self.s.chars(self._count('a class name length', 1), 'a class name')
        if first.startswith(b'V '):
            try:
                version = int(first[2:])
            except ValueError:
                raise self.s.fail(f"bad class version {first!r}") from None
            name = self.s.chars(self._count('a class name length', 1), 'a class name')
        else:
            version, name = 0, first
        try:
            return name.decode('ascii'), version
        except UnicodeDecodeError:
            raise self.s.fail(f"class name {name[:40]!r} is not ascii") from None

    def _torch(self, index):
        typename, version = self._class_name()
        for suffix, build in (('Storage', self._storage), ('Tensor', self._tensor)):
            short = _tensor_type(typename, suffix)
            if short is not None:
                self.seen[index] = _BUSY
                self.seen[index] = build(short)
                return self.seen[index]
        if typename == 'tds.AtomicCounter':   # atomic.lua's __write: its value, one long
            counter = self.seen[index] = builtin_class(typename)()
            counter.set(self.s.longs(1, 'the value of a tds.AtomicCounter')[0])
            return counter
        obj = self.seen[index] = _RawObject(typename, version)
        if typename in TDS_CONTAINERS:
            n = self.s.longs(1, f'the size of a {typename}')[0]
            if n < 0 or n * 4 > self.s.left():
                raise self.s.fail(f"a {typename} of {n} elements cannot fit in the {self.s.left()} bytes left")
            self.tables.append(obj)
            for i in range(n):
                key = i + 1 if typename == 'tds.Vec' else self.object()
                obj.pairs.append((key, self.object()))
            return obj
        if typename == 'nn.DataParallelTable' and version >= 2:
            # cunn's __write puts the GPU assignments before the fields (which hold them too)
            self.object()
        fields = self.object()
        if not isinstance(fields, _RawTable) or isinstance(fields, _RawObject):
            raise self.s.fail(f"a {typename} object must hold a table of fields, got {type(fields).__name__}")
        obj.pairs = fields.pairs
        self.tables.append(obj)
        return obj

    def _storage(self, short):
        dtype = np.dtype(TYPES[short][0])
        n = self.s.longs(1, 'a storage size')[0]
        if n < 0 or n > self.s.left():   # every element takes at least one byte, in either encoding
            raise self.s.fail(f"a storage of {n} elements cannot fit in the {self.s.left()} bytes left")
        data = self.s.array(dtype, n, f'the data of a {short[:-6]}Storage')
        if self.cuda or (self.cuda is None and short.startswith('Cuda')):
            data = backend.cupy().asarray(data)
        return Storage(data)

    def _tensor(self, short):
        typename = f'torch.{short}'   # what the file named it: _tensor_type only strips 'torch.'
        ndim = self.s.int('a tensor dimension count')
        if ndim < 0 or ndim * 2 > self.s.left():
            raise self.s.fail(f"a tensor of {ndim} dimensions cannot fit in the {self.s.left()} bytes left")
        sizes = self.s.longs(ndim, 'tensor sizes')
        strides = self.s.longs(ndim, 'tensor strides')
        offset = self.s.longs(1, 'a storage offset')[0] - 1   # Torch7 counts elements from 1
        storage = self.object()
        cls = TENSOR_CLASSES[device_type_name(short, self.cuda)]
        if min(sizes, default=0) < 0:   # before the empty tensor below: its sizes are checked only here
            raise self.s.fail(f"a {typename} has negative sizes {sizes}")
        if storage is None or ndim == 0 or 0 in sizes:
            if ndim and 0 not in sizes:
                raise self.s.fail(f"a {typename} of sizes {sizes} has no storage")
            try:
                return cls(*sizes) if ndim else cls()
            except ValueError:
                # an empty tensor whose other sizes multiply past what NumPy can describe
                raise self.s.fail(f"a {typename} of sizes {sizes} is larger than NumPy allows, even empty") from None
        if not isinstance(storage, Storage) or storage.dtype != cls._dtype:
            kind = storage.type() if isinstance(storage, Storage) else type(storage).__name__
            raise self.s.fail(f"a {typename} must view a storage of its own type, got {kind}")
        if min(strides) < 0 or offset < 0:
            raise self.s.fail(f"a {typename} has negative strides {strides} or offset {offset + 1}")
        try:
            return cls(storage, offset, sizes, strides)
        except ValueError:
            # with sizes, strides and offset non-negative, a ValueError here is only the view's bounds check failing
            raise self.s.fail(f"a {typename} (sizes {sizes}, strides {strides}, offset {offset + 1}) reaches "
                              f"past its storage of {storage.size()} elements") from None

    def plain(self, root, start=0):
        """Second pass: every raw table read from the ``start``-th on becomes a list, LuaTable, TorchObject or
        tds container (those before keep the values an earlier pass gave them: a DiskFile's later objects
        refer to its earlier ones); returns root's value."""
        tables = self.tables[start:]
        used_as_key = {id(k) for t in tables for k, _ in t.pairs if isinstance(k, _RawTable)}
        for t in tables:
            if isinstance(t, _RawObject) and t.typename in TDS_CONTAINERS:
                t.target = builtin_class(t.typename)()
            elif isinstance(t, _RawObject):
                t.target = TorchObject(t.typename, t.version)
            elif id(t) not in used_as_key and _is_list(t.pairs):
                t.target = []
            else:
                t.target = LuaTable()
        for t in tables:
            if isinstance(t.target, list):
                t.target.extend(_target(v) for _, v in sorted(t.pairs, key=lambda kv: kv[0]))
            elif isinstance(t.target, dict):
                for k, v in t.pairs:
                    t.target[self._distinct_key(t.target, _target(k))] = _target(v)
            else:
                self._fill_tds(t)
        return _target(root)

    def _distinct_key(self, table, key):
        """``key``, refused when ``table`` (a dict or a tds.Hash) holds the key equal to it in Python but not in
        Lua."""
        if isinstance(key, (bool, int, float)) and key in table:
            # a Lua table's keys are distinct, so this is true and 1 (or false and 0): Lua keeps them apart, a
            # Python dict cannot
            other = int(key) if isinstance(key, bool) else bool(key)
            raise self.s.fail(f"a table with both the key {key!r} and the key {other!r}; Python cannot keep a "
                              f"boolean key apart from the number equal to it")
        return key

    def _fill_tds(self, t):
        """A legonn.tds container filled from its raw pairs (a Vec's in order); what tds cannot hold (a table, a
        storage, a nil key) is refused, as tds's elem.set refuses it where Torch7 reads the file."""
        container = t.target
        for k, v in t.pairs:
            try:
                if t.typename == 'tds.Vec':
                    container.insert(_target(v))
                    continue
                container[self._distinct_key(container, _target(k))] = _target(v)
            except TypeError as err:
                raise self.s.fail(f"a {t.typename} holding what tds never stores ({err})") from None


def _target(v):
    return v.target if isinstance(v, _RawTable) else v


def _number(x):
    return int(x) if x.is_integer() and abs(x) <= _EXACT_INT else x


def _is_list(pairs):
    keys = [k for k, _ in pairs]
    return bool(keys) and all(type(k) is int for k in keys) and sorted(keys) == list(range(1, len(keys) + 1))
