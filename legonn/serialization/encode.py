"""Turning an object graph into a manifest (JSON) plus host arrays.

Every list, tuple, dict, set, tensor, storage, array and object gets one
entry in ``objects`` and is referred to by index (``{"$ref": i}``), so shared
and cyclic references come back shared (two tensors on one storage load on
one storage) and no recursion follows long chains such as graph nodes. Objects are
visited breadth first, so an error names each object by its shortest path from the
root (a gModule's ``modules[3]``, not a walk along its graph's edges).
"""
import math
from collections import deque

import numpy as np

from ..tensor import backend
from ..tensor.storage import Storage
from ..tensor.tensor import Size, Tensor
from .lua_table import LuaTable

# version 2: an empty storage names no array member (version 1 wrote an empty .npy for each); both are read
FORMAT, VERSION = 'legonn', 2
READABLE_VERSIONS = (1, 2)
# the dtypes an array or scalar may hold, as the manifest spells them: bool, integers, IEEE floats and complex,
# little-endian (never objects, strings, records, big-endian or platform-sized long doubles)
ARRAY_DTYPES = ('|b1', '|i1', '|u1', '<i2', '<u2', '<i4', '<u4', '<i8', '<u8', '<f2', '<f4', '<f8', '<c8', '<c16')


def plain_float(v):
    """A float as JSON: itself when finite, else {"$float": "nan" | "inf" | "-inf"}."""
    return v if math.isfinite(v) else {'$float': repr(v)}


def _complex_pair(v):
    """A complex number as JSON, which has none: its [real, imag] pair."""
    return [plain_float(v.real), plain_float(v.imag)]


class Encoder:
    def __init__(self, classes, hook=None):
        self.classes = classes
        self.hook = hook     # File:writeObject's hook: each value is replaced by hook(value) before it is written
        self.objects = []
        self.arrays = {}
        self._index = {}     # id(obj) -> position in objects
        self._alive = []     # keeps encoded objects alive so their ids stay unique
        self._pending = deque()   # (index, object, path) in the order found: breadth first

    def encode(self, root):
        """The manifest for ``root``; ``self.arrays`` then maps member names to host arrays."""
        top = self.value(root, 'the saved object')
        while self._pending:
            i, obj, where = self._pending.popleft()
            self.objects[i] = self.entry(obj, where)
        return {'format': FORMAT, 'version': VERSION, 'root': top, 'objects': self.objects}

    def value(self, v, where):
        original = v     # references are tracked by the object met, not by what the hook gave for it
        if self.hook is not None:
            v = self.hook(v)
        if v is None or isinstance(v, (bool, str)):
            return str(v) if isinstance(v, str) and type(v) is not str else v
        if isinstance(v, int):
            return int(v)
        if isinstance(v, float):
            return plain_float(float(v))
        i = self._index.get(id(original))
        if i is None:
            i = len(self.objects)
            self._index[id(original)] = i
            self._alive += [original, v]
            self.objects.append(None)
            self._pending.append((i, v, where))
        return {'$ref': i}

    def _array(self, arr):
        name = f'arrays/{len(self.arrays)}.npy'
        self.arrays[name] = backend.to_module(arr, np)
        return name

    def entry(self, obj, where):
        if isinstance(obj, Tensor):
            return {'kind': 'tensor', 'type': obj.type().replace('legonn.', ''),
                    'storage': self.value(obj.storage(), where), 'offset': obj.storageOffset(),
                    'size': list(obj.size()), 'stride': list(obj.stride())}
        if isinstance(obj, Storage):
            entry = {'kind': 'storage', 'dtype': obj.dtype.str, 'size': obj.size(), 'cuda': obj.is_cuda}
            # a cleared model holds thousands of empty buffers: a zip member each made most of a save's time
            if obj.size():
                entry['array'] = self._array(obj.data)
            return entry
        if isinstance(obj, np.ndarray) or backend.is_cupy_array(obj):
            self._check_dtype(obj.dtype, where)
            cuda = backend.is_cupy_array(obj)
            host = np.ascontiguousarray(backend.to_module(obj, np))
            return {'kind': 'ndarray', 'dtype': host.dtype.str, 'shape': list(host.shape), 'cuda': cuda,
                    'array': self._array(host)}
        if isinstance(obj, np.generic):
            self._check_dtype(obj.dtype, where)
            value = obj.item()
            return {'kind': 'scalar', 'dtype': obj.dtype.str,
                    'value': _complex_pair(value) if obj.dtype.kind == 'c' else self.value(value, where)}
        if type(obj) is complex:   # a Python complex, kept apart from NumPy's so it loads as the same type
            return {'kind': 'complex', 'value': _complex_pair(obj)}
        if isinstance(obj, type) and issubclass(obj, Tensor) and obj._typename is not None:
            return {'kind': 'tensortype', 'type': obj._typename.replace('legonn.', '')}
        if isinstance(obj, np.dtype):
            self._check_dtype(obj, where)
            return {'kind': 'dtype', 'dtype': obj.str}
        # a class whose objects Torch7 writes as plain tables (Penlight's List and OrderedMap: Lua metatables, not
        # torch classes, which torch.save drops) names the plain type they load as
        plain = getattr(type(obj), 'torch7_saves_as', None)
        kind = {list: 'list', tuple: 'tuple', set: 'set', frozenset: 'frozenset', Size: 'size'}.get(type(obj))
        if kind is not None or plain is list:
            return {'kind': kind or 'list', 'items': [self.value(v, f'{where}[{i}]') for i, v in enumerate(obj)]}
        if type(obj) is dict or type(obj) is LuaTable or plain is dict:
            # a LuaTable (a .t7's table, kept by its own kind): torch.load then torch.save round trips in Torch7
            return {'kind': 'luatable' if type(obj) is LuaTable else 'dict',
                    'items': [[self.value(k, f'a key of {where}'), self.value(v, f'{where}[{k!r}]')]
                              for k, v in obj.items()]}
        name = self.classes.name_of(type(obj), where)
        return {'kind': 'object', 'class': name,
                'state': {k: self.value(v, f'{where}.{k}') for k, v in vars(obj).items()}}

    @staticmethod
    def _check_dtype(dtype, where):
        if dtype.str not in ARRAY_DTYPES:
            hint = (f"; convert it with .astype('{dtype.newbyteorder('<').str}')"
                    if dtype.newbyteorder('<').str in ARRAY_DTYPES else '')
            raise TypeError(f"legonn.save: {where} holds {dtype.str} values; the format stores little-endian "
                            f"bool, integer, float (up to 64 bits) and complex (up to 128 bits) numbers{hint}")
