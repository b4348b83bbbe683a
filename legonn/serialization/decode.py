"""Rebuilding objects from a manifest, checking every field before using it.

Nothing from the file is executed: classes come from the ``ClassTable``
(never imported by name), instances are made with ``object.__new__`` and get
their saved ``__dict__`` without any of their methods running. Every
malformed field raises ``FormatError``, and since the caller only receives
the root once everything was built, a failed load returns no partial object.
"""
import numpy as np

from ..tensor import backend
from ..tensor.storage import Storage
from ..tensor.tensor import TENSOR_CLASSES
from ..tensor.types import TYPES
from .archive import FormatError
from .encode import ARRAY_KINDS, FORMAT, VERSION

_PENDING = object()   # an entry not built yet
_BUILDING = object()  # an immutable entry being built (a cycle through it is an error)
_FLOATS = {'nan': float('nan'), 'inf': float('inf'), '-inf': float('-inf')}


def device_type_name(short, cuda):
    """'CudaDoubleTensor' -> 'DoubleTensor' on the CPU, 'FloatTensor' -> 'CudaTensor' on the GPU."""
    base = short[4:] if short.startswith('Cuda') else short
    base = 'FloatTensor' if base == 'Tensor' else base
    if not cuda:
        return base
    return 'CudaTensor' if base == 'FloatTensor' else 'Cuda' + base


def _int(v, what, low=0):
    if type(v) is not int or v < low:
        raise FormatError(f"{what} must be an integer >= {low}, got {v!r}")
    return v


def _ints(v, what, low=0):
    if type(v) is not list:
        raise FormatError(f"{what} must be a list of integers, got {v!r}")
    return [_int(x, what, low) for x in v]


def _dtype(text, what):
    try:
        dtype = np.dtype(text) if isinstance(text, str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in ARRAY_KINDS:
        raise FormatError(f"{what}: {text!r} is not a numeric dtype")
    return dtype


class Decoder:
    def __init__(self, manifest, reader, classes, cuda):
        if manifest.get('format') != FORMAT:
            raise FormatError(f"not a legonn archive (format {manifest.get('format')!r})")
        if manifest.get('version') != VERSION:
            raise FormatError(f"archive format version {manifest.get('version')!r}; this legonn reads version "
                              f"{VERSION}")
        self.entries = manifest.get('objects')
        if type(self.entries) is not list or not all(type(e) is dict for e in self.entries):
            raise FormatError("the manifest's 'objects' must be a list of JSON objects")
        self.root = manifest.get('root')
        self.reader, self.classes, self.cuda = reader, classes, cuda
        self.built = [_PENDING] * len(self.entries)
        self._members = set()

    def decode(self):
        # mutable containers and leaves first, so references between them (cycles included) resolve
        for i, e in enumerate(self.entries):
            if e.get('kind') not in ('tuple', 'frozenset', 'tensor'):
                self.built[i] = self._create(i, e)
        for i, e in enumerate(self.entries):
            if self.built[i] is _PENDING:
                self._ref(i)
        for i, e in enumerate(self.entries):
            self._fill(self.built[i], e, i)
        for i, obj in enumerate(self.built):
            # a module whose sizes or hyper-parameters no constructor could make is a malformed file
            if callable(getattr(type(obj), 'validateState', None)):
                try:
                    obj.validateState()
                except (ValueError, TypeError) as err:
                    raise FormatError(f"object {i}: {err}") from None
        return self.value(self.root)

    # --- values and references ----------------------------------------------------------
    def value(self, v):
        if v is None or type(v) in (bool, int, float, str):
            return v
        if type(v) is dict and len(v) == 1:
            if '$ref' in v:
                return self._ref(v['$ref'])
            if v.get('$float') in _FLOATS:
                return _FLOATS[v['$float']]
        raise FormatError(f"malformed value {v!r} in the manifest")

    def _ref(self, i):
        if type(i) is not int or not 0 <= i < len(self.entries):
            raise FormatError(f"reference {i!r} points outside the manifest's {len(self.entries)} objects")
        obj = self.built[i]
        if obj is _BUILDING:
            raise FormatError(f"object {i} (a {self.entries[i].get('kind')}) contains itself")
        if obj is _PENDING:
            self.built[i] = _BUILDING
            self.built[i] = obj = self._create_immutable(i, self.entries[i])
        return obj

    def _items(self, e, i):
        items = e.get('items')
        if type(items) is not list:
            raise FormatError(f"object {i}: 'items' must be a list")
        return items

    # --- building ----------------------------------------------------------------------------
    def _create(self, i, e):
        kind = e.get('kind')
        if kind in ('list', 'set'):
            return [] if kind == 'list' else set()
        if kind == 'dict':
            return {}
        if kind == 'object':
            cls = self.classes.lookup(e.get('class'), FormatError)
            if type(e.get('state')) is not dict:
                raise FormatError(f"object {i}: 'state' must be a JSON object")
            return object.__new__(cls)
        if kind == 'storage':
            dtype = _dtype(e.get('dtype'), f"storage {i}")
            arr = self._load_array(e, dtype, [_int(e.get('size'), f"storage {i} size")])
            return Storage(self._to_device(arr))
        if kind == 'ndarray':
            dtype = _dtype(e.get('dtype'), f"array {i}")
            arr = self._load_array(e, dtype, _ints(e.get('shape'), f"array {i} shape"))
            return self._to_device(arr)
        if kind == 'scalar':
            dtype = _dtype(e.get('dtype'), f"scalar {i}")
            return dtype.type(self.value(e.get('value')))
        if kind == 'dtype':
            return _dtype(e.get('dtype'), f"dtype {i}")
        if kind == 'tensortype':
            if e.get('type') not in TYPES:
                raise FormatError(f"object {i}: unknown tensor type {e.get('type')!r}")
            return TENSOR_CLASSES[device_type_name(e['type'], self.cuda)]
        raise FormatError(f"object {i} has unknown kind {kind!r}")

    def _create_immutable(self, i, e):
        kind = e.get('kind')
        if kind == 'tuple':
            return tuple(self.value(v) for v in self._items(e, i))
        if kind == 'frozenset':
            return frozenset(self._hashable(self.value(v), i) for v in self._items(e, i))
        if kind == 'tensor':
            return self._tensor(i, e)
        raise FormatError(f"object {i} has unknown kind {kind!r}")

    def _hashable(self, key, i):
        try:
            hash(key)
        except TypeError:
            raise FormatError(f"object {i}: an unhashable {type(key).__name__} used as a key") from None
        return key

    def _fill(self, obj, e, i):
        kind = e['kind']
        if kind == 'list':
            obj.extend(self.value(v) for v in self._items(e, i))
        elif kind == 'set':
            obj.update(self._hashable(self.value(v), i) for v in self._items(e, i))
        elif kind == 'dict':
            for pair in self._items(e, i):
                if type(pair) is not list or len(pair) != 2:
                    raise FormatError(f"object {i}: dict items must be [key, value] pairs")
                obj[self._hashable(self.value(pair[0]), i)] = self.value(pair[1])
        elif kind == 'object':
            state = {}
            for key, v in e['state'].items():
                if key.startswith('__'):
                    raise FormatError(f"object {i}: attribute name {key!r} refused")
                state[key] = self.value(v)
            typename = state.get('_type')
            if isinstance(typename, str) and typename.replace('legonn.', '') in TYPES:
                # a module's type follows its tensors to the device they were loaded on
                state['_type'] = 'legonn.' + device_type_name(typename.replace('legonn.', ''), self.cuda)
            vars(obj).update(state)

    def _tensor(self, i, e):
        short = e.get('type')
        if short not in TYPES:
            raise FormatError(f"tensor {i}: unknown tensor type {short!r}")
        cls = TENSOR_CLASSES[device_type_name(short, self.cuda)]
        storage = self.value(e.get('storage'))
        if not isinstance(storage, Storage) or storage.dtype != cls._dtype:
            raise FormatError(f"tensor {i}: its storage is not a {np.dtype(cls._dtype)} storage")
        offset = _int(e.get('offset'), f"tensor {i} offset")
        size = _ints(e.get('size'), f"tensor {i} size")
        stride = _ints(e.get('stride'), f"tensor {i} stride", low=-2 ** 62)
        if len(size) != len(stride):
            raise FormatError(f"tensor {i}: {len(size)} sizes but {len(stride)} strides")
        if 0 not in size:
            lo = offset + sum(s * (n - 1) for s, n in zip(stride, size) if s < 0)
            hi = offset + sum(s * (n - 1) for s, n in zip(stride, size) if s > 0)
            if lo < 0 or hi >= storage.size():
                raise FormatError(f"tensor {i}: view (offset {offset}, sizes {size}, strides {stride}) reaches "
                                  f"outside its storage of {storage.size()} elements")
        t = object.__new__(cls)
        t._set(storage, offset, tuple(size), tuple(stride))
        return t

    # --- arrays ---------------------------------------------------------------------------
    def _load_array(self, e, dtype, shape):
        name = e.get('array')
        if name in self._members:
            raise FormatError(f"member {name!r} is named by two objects")
        self._members.add(name)
        return self.reader.array(name, dtype, shape)

    def _to_device(self, arr):
        return backend.cupy().asarray(arr) if self.cuda else arr
