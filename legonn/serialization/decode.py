"""Rebuilding objects from a manifest, checking every field before using it.

Nothing from the file is executed: classes come from the ``ClassTable``
(never imported by name), instances are made with ``object.__new__`` and get
their saved ``__dict__`` without any of their methods running. Every
malformed field raises ``FormatError``. Once every object is built, each
whose class defines ``validateState`` checks its own state (a module's
parameter sizes against its hyper-parameters); since the caller only receives
the root after that, a failed load returns no partial object.
"""
import cmath

import numpy as np

from ..tensor import backend
from ..tensor.storage import Storage
from ..tensor.tensor import TENSOR_CLASSES, Size
from ..tensor.types import TYPES
from .archive import FormatError
from .encode import ARRAY_DTYPES, FORMAT, READABLE_VERSIONS
from .lua_table import LuaTable

_PENDING = object()   # an entry not built yet
_BUILDING = object()  # an immutable entry being built (a cycle through it is an error)
_FLOATS = {'nan': float('nan'), 'inf': float('inf'), '-inf': float('-inf')}
# the format allows 64 dimensions (NumPy 2's limit); NumPy 1 builds at most 32
MAX_DIMS = 64 if np.lib.NumpyVersion(np.__version__) >= '2.0.0' else 32
_STORAGE_DTYPES = {np.dtype(dtype).str for dtype, _ in TYPES.values()}
_SCALAR_VALUE_TYPES = {'b': bool, 'i': int, 'u': int, 'f': float, 'c': complex}


# a load's device argument -> the decoders' cuda flag: False to the CPU, True to the GPU, None as saved
DEVICES = {'cpu': False, 'cuda': True, 'saved': None}


def cuda_flag(where, device):
    """The decoders' cuda flag for the ``device`` argument of ``where`` (``'legonn.load'``, ...). ``None``, the
    default, is Torch7's ``torch.load`` (torch7 File.lua:392, whose readObject at File.lua:345 rebuilds a
    ``torch.CudaTensor`` as one): ``'saved'`` where legonn can use CUDA (CuPy sees a GPU, or its simulator
    stands in), else ``'cpu'``, so a checkpoint written on a GPU still loads on a machine without one.
    ``'saved'`` asked for outright needs CuPy for a CUDA value, as ``'cuda'`` does."""
    if device is None:
        return None if backend.gpu_available() else False
    if not isinstance(device, str) or device not in DEVICES:
        raise ValueError(f"{where}: device must be 'cpu', 'cuda', 'saved' or None (each tensor where it was "
                         f"saved when CUDA is usable, else on the CPU), got {device!r}")
    return DEVICES[device]


def device_type_name(short, cuda):
    """'CudaDoubleTensor' -> 'DoubleTensor' on the CPU (``cuda`` False), 'FloatTensor' -> 'CudaTensor' on the
    GPU (True); ``cuda`` None keeps the device the name says."""
    if cuda is None:
        cuda = short.startswith('Cuda')
    base = short[4:] if short.startswith('Cuda') else short
    base = 'FloatTensor' if base == 'Tensor' else base
    if not cuda:
        return base
    return 'CudaTensor' if base == 'FloatTensor' else 'Cuda' + base


def _named_in(name, table):
    """Whether the manifest's ``name`` is a key of ``table`` (a JSON list or object is not, and is unhashable)."""
    return isinstance(name, str) and name in table


def _int(v, what, low=0):
    if type(v) is not int or v < low:
        raise FormatError(f"{what} must be an integer >= {low}, got {v!r:.60}")
    return v


def _ints(v, what, low=0):
    if type(v) is not list or len(v) > MAX_DIMS:
        raise FormatError(f"{what} must be a list of at most {MAX_DIMS} integers, got {v!r:.60}")
    return [_int(x, what, low) for x in v]


def _dtype(text, what, allowed=ARRAY_DTYPES):
    if not isinstance(text, str) or text not in allowed:
        raise FormatError(f"{what}: dtype {text!r:.60} is not one the format allows ({', '.join(sorted(allowed))})")
    return np.dtype(text)


class Decoder:
    def __init__(self, manifest, reader, classes, cuda):
        if manifest.get('format') != FORMAT:
            raise FormatError(f"not a legonn archive (format {manifest.get('format')!r:.60})")
        version = manifest.get('version')
        if type(version) is not int or version not in READABLE_VERSIONS:
            raise FormatError(f"archive format version {version!r:.60}; this legonn reads versions "
                              f"{', '.join(map(str, READABLE_VERSIONS))}")
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
            if e.get('kind') not in ('tuple', 'size', 'frozenset', 'tensor'):
                self.built[i] = self._create(i, e)
        for i, e in enumerate(self.entries):
            if self.built[i] is _PENDING:
                self._ref(i)
        for i, e in enumerate(self.entries):
            self._fill(self.built[i], e, i)
        root = self.value(self.root)
        for i, e in enumerate(self.entries):
            if e['kind'] == 'object':
                self._validate(i, self.built[i])
        return root

    def _validate(self, i, obj):
        """Run the class's own ``validateState`` (parameter sizes its hyper-parameters imply, ...), if any."""
        if not callable(getattr(type(obj), 'validateState', None)):
            return
        if 'validateState' in vars(obj):
            raise FormatError(f"object {i} ({type(obj).__name__}): attribute name 'validateState' refused")
        try:
            obj.validateState()
        except (ValueError, TypeError) as err:
            raise FormatError(f"object {i} ({type(obj).__name__}) has an invalid state: {err}") from err
        except AttributeError as err:   # the file left out a field every object of the class has
            raise FormatError(f"object {i} ({type(obj).__name__}) has an invalid state: a field is missing "
                              f"({err})") from err

    # --- values and references ----------------------------------------------------------
    def value(self, v):
        if v is None or type(v) in (bool, int, float, str):
            return v
        if type(v) is dict and len(v) == 1:
            if '$ref' in v:
                return self._ref(v['$ref'])
            if _named_in(v.get('$float'), _FLOATS):
                return _FLOATS[v['$float']]
        raise FormatError(f"malformed value {v!r:.60} in the manifest")

    def _ref(self, i):
        if type(i) is not int or not 0 <= i < len(self.entries):
            raise FormatError(f"reference {i!r:.60} points outside the manifest's {len(self.entries)} objects")
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
        if kind in ('dict', 'luatable'):
            return {} if kind == 'dict' else LuaTable()
        if kind == 'object':
            cls = self.classes.lookup(e.get('class'), FormatError)
            if type(e.get('state')) is not dict:
                raise FormatError(f"object {i}: 'state' must be a JSON object")
            return object.__new__(cls)
        if kind == 'storage':
            dtype = _dtype(e.get('dtype'), f"storage {i}", _STORAGE_DTYPES)
            size = _int(e.get('size'), f"storage {i} size")
            if 'array' not in e and size == 0:   # an empty storage names no member (format version 2)
                arr = np.empty(0, dtype)
            else:
                arr = self._load_array(e, dtype, [size])
            return Storage(self._to_device(arr, e))
        if kind == 'ndarray':
            dtype = _dtype(e.get('dtype'), f"array {i}")
            arr = self._load_array(e, dtype, _ints(e.get('shape'), f"array {i} shape"))
            return self._to_device(arr, e)
        if kind == 'scalar':
            return self._scalar(i, e)
        if kind == 'complex':
            return complex(*self._complex_parts(i, e, 'a Python complex'))
        if kind == 'dtype':
            return _dtype(e.get('dtype'), f"dtype {i}")
        if kind == 'tensortype':
            if not _named_in(e.get('type'), TYPES):
                raise FormatError(f"object {i}: unknown tensor type {e.get('type')!r:.60}")
            return TENSOR_CLASSES[device_type_name(e['type'], self.cuda)]
        raise FormatError(f"object {i} has unknown kind {kind!r:.60}")

    def _scalar(self, i, e):
        dtype = _dtype(e.get('dtype'), f"scalar {i}")
        if dtype.kind == 'c':
            value = complex(*self._complex_parts(i, e, f"a {dtype.str} scalar"))
        else:
            value = self.value(e.get('value'))
        if type(value) is not _SCALAR_VALUE_TYPES[dtype.kind]:
            raise FormatError(f"scalar {i}: a {dtype.str} scalar needs a {_SCALAR_VALUE_TYPES[dtype.kind].__name__} "
                              f"value, got {value!r:.60}")
        if dtype.kind in 'iu' and not np.iinfo(dtype).min <= value <= np.iinfo(dtype).max:
            raise FormatError(f"scalar {i}: {str(value)[:60]} does not fit in {dtype.str}")
        with np.errstate(over='ignore'):
            scalar = dtype.type(value)
        if dtype.kind in 'fc' and cmath.isfinite(value) and not np.isfinite(scalar):
            raise FormatError(f"scalar {i}: {value} overflows {dtype.str}")
        return scalar

    def _complex_parts(self, i, e, what):
        raw = e.get('value')
        parts = [self.value(v) for v in raw] if type(raw) is list and len(raw) == 2 else None
        if parts is None or any(type(p) is not float for p in parts):
            raise FormatError(f"object {i}: {what} needs a [real, imag] pair of floats")
        return parts

    def _create_immutable(self, i, e):
        kind = e.get('kind')
        if kind == 'tuple':
            return tuple(self.value(v) for v in self._items(e, i))
        if kind == 'size':
            sizes = [self.value(v) for v in self._items(e, i)]
            if any(type(n) is not int or n < 0 for n in sizes):
                raise FormatError(f"object {i}: a size needs non-negative integers, got {sizes!r:.80}")
            return Size(sizes)
        if kind == 'frozenset':
            return frozenset(self._hashable(self.value(v), i) for v in self._items(e, i))
        if kind == 'tensor':
            return self._tensor(i, e)
        raise FormatError(f"object {i} has unknown kind {kind!r:.60}")

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
        elif kind in ('dict', 'luatable'):
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
        if not _named_in(short, TYPES):
            raise FormatError(f"tensor {i}: unknown tensor type {short!r:.60}")
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
        try:
            t.array   # builds the view now, so a geometry NumPy cannot represent fails here, not on first use
        except (ValueError, OverflowError) as err:
            raise FormatError(f"tensor {i}: sizes {size} with strides {stride} cannot be viewed: {err}") from None
        return t

    # --- arrays ---------------------------------------------------------------------------
    def _load_array(self, e, dtype, shape):
        name = e.get('array')
        if not isinstance(name, str):
            raise FormatError(f"array member name {name!r:.60} is not a string")
        if name in self._members:
            raise FormatError(f"member {name!r} is named by two objects")
        self._members.add(name)
        return self.reader.array(name, dtype, shape)

    def _to_device(self, arr, e):
        """``arr`` on the device loaded to; with ``cuda`` None, on the GPU when entry ``e`` was saved from it."""
        cuda = self.cuda if self.cuda is not None else e.get('cuda') is True
        return backend.cupy().asarray(arr) if cuda else arr
