"""cupy.ndarray on the host: a NumPy array behind CuPy's rules.

What a CuPy user meets and this class keeps: no implicit conversion to NumPy (``__array__`` raises TypeError, so
``np.asarray(x)`` fails as it does on a GPU); NumPy arrays, lists and tuples refused as operands of element-wise
operations; a NumPy array refused as the value of a basic-index assignment; indexing and reductions that return
0-d arrays, never scalars; integer-array indices that wrap around instead of raising; no ``__index__``; only the
flags ``c_contiguous``, ``f_contiguous`` and ``owndata``. Reading a value on the host (``get``, ``item``,
``float``, ``bool``, printing) is a host synchronisation, which a capturing stream refuses. Every operation goes
through ``device_call``, which also records it while a stream captures.
"""
import weakref

import numpy as np

from .cuda import memory, stream as _stream

SCALARS = (bool, int, float, complex, np.generic)
_ALLOCATE_ONLY = frozenset({'empty', 'empty_like'})   # they launch no kernel on a GPU
_NO_HOST = "Unsupported type {}"   # CuPy's words for an operand it cannot take
_memory = {}   # id -> weak reference of the NumPy array holding each live device allocation


def _allocated(a):
    key = id(a)
    _memory[key] = weakref.ref(a, lambda _: _memory.pop(key, None))


def device_memory():
    """Every live allocation's NumPy array (a capture saves and restores them: recording runs nothing)."""
    return [a for a in (ref() for ref in list(_memory.values())) if a is not None]


def _root(a):
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def from_interface(obj):
    """A NumPy view of the memory an object's ``__cuda_array_interface__`` describes (kept alive with it)."""
    iface = obj.__cuda_array_interface__
    holder = _Interface({'shape': tuple(iface['shape']), 'typestr': iface['typestr'], 'data': iface['data'],
                         'strides': iface.get('strides'), 'version': 3}, obj)
    return np.asarray(holder)


class _Interface:
    def __init__(self, iface, owner):
        self.__array_interface__, self.owner = iface, owner


def to_host_arrays(value, host_ok, what):
    """``value`` with every simulated array (and object with a CUDA array interface) replaced by its NumPy
    array, in lists, tuples and dicts too; a NumPy array raises TypeError unless ``host_ok`` (a host copy)."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, np.ndarray):
        if not host_ok:
            raise TypeError(_NO_HOST.format(type(value)) + f" in cupy.{what} (copy host data with cupy.asarray)")
        _stream.host_to_device(f'cupy.{what} of a numpy.ndarray')
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(to_host_arrays(v, host_ok, what) for v in value)
    if isinstance(value, dict):
        return {k: to_host_arrays(v, host_ok, what) for k, v in value.items()}
    if hasattr(value, '__cuda_array_interface__'):
        return from_interface(value)
    return value


def _sources(values, found):
    for v in values:
        if isinstance(v, ndarray):
            found.append(v)
        elif isinstance(v, (list, tuple)):
            _sources(v, found)
        elif isinstance(v, dict):
            _sources(v.values(), found)
    return found


def _rebuilt(sequence, items):
    """A tuple, list or named tuple like ``sequence`` holding ``items``."""
    items = list(items)
    return type(sequence)(*items) if hasattr(sequence, '_fields') else type(sequence)(items)


def _as_arrays(result):
    """NumPy scalars as 0-d arrays (CuPy returns arrays), in tuples and lists too."""
    if isinstance(result, np.generic):
        return np.asarray(result)
    if isinstance(result, (tuple, list)):
        return _rebuilt(result, (_as_arrays(r) for r in result))
    return result


def wrap(result, sources=()):
    """Simulated arrays around NumPy results: a new array asks the allocator for its memory, a view keeps the
    block of the array it views."""
    if isinstance(result, (tuple, list)):
        return _rebuilt(result, (wrap(r, sources) for r in result))
    if not isinstance(result, np.ndarray):
        return result
    for src in sources:
        if src._a is result:
            return src
    if result.flags.owndata:
        _allocated(result)
        return ndarray._new(result, memory.allocate(result.nbytes))
    root = _root(result)   # a view: the block of the source whose memory it describes
    block = next((s._mem for s in sources if _root(s._a) is root), None) or \
        next((s._mem for s in sources if np.may_share_memory(s._a, result)), None)
    return ndarray._new(result, block)


def copy_results(targets, results):
    """Write a replayed operation's results into the captured ones (no-op where they are the same memory)."""
    if isinstance(targets, (tuple, list)):
        for t, r in zip(targets, results):
            copy_results(t, r)
    elif isinstance(targets, np.ndarray) and isinstance(results, (np.ndarray, np.generic)):
        if targets is not results:
            np.copyto(targets, results, casting='unsafe')


def device_call(function, args=(), kwargs=None, *, host_ok=False, what=''):
    """Run ``function`` (a NumPy callable) on the host arrays behind ``args``; wrap what it returns; record it
    while a stream captures."""
    what = what or getattr(function, '__name__', 'function')
    kwargs = kwargs or {}
    sources = _sources(list(args) + list(kwargs.values()), [])
    a = to_host_arrays(tuple(args), host_ok, what)
    k = to_host_arrays(kwargs, host_ok, what)
    result = _as_arrays(function(*a, **k))
    same = 'out' not in k and any(s._a is result for s in sources)   # e.g. ascontiguousarray of a contiguous array
    kind = 'no-op: ' if same or what in _ALLOCATE_ONLY else 'view: ' if _is_view(result, sources) else ''
    _stream.count(kind + what)
    _stream.record(lambda: _as_arrays(function(*a, **k)), result)
    return wrap(result, sources)


def _is_view(result, sources):
    """Whether an operation only described other memory anew (a reshape, a transpose, a slice): no kernel runs.
    An operation writing into an argument (``out=``) returns that argument, which is not a view."""
    return isinstance(result, np.ndarray) and not result.flags.owndata and \
        all(s._a is not result for s in sources) and any(np.may_share_memory(s._a, result) for s in sources)


def _check_operand(x, what):
    """Element-wise operands: arrays (simulated, or with a CUDA interface) and scalars, as CuPy's kernels take."""
    if isinstance(x, (ndarray, *SCALARS)) or x is None or hasattr(x, '__cuda_array_interface__'):
        return
    raise TypeError(_NO_HOST.format(type(x)) + f" as an operand of cupy.{what}")


def wrapped(index, shape):
    """``index`` for NumPy, with integer arrays taken modulo their axis' length (CuPy wraps, NumPy raises)."""
    items = index if isinstance(index, tuple) else (index,)
    consumed = sum(1 if not isinstance(i, np.ndarray) or i.dtype != bool else i.ndim
                   for i in items if i is not None and i is not Ellipsis)
    out, axis = [], 0
    for item in items:
        if item is Ellipsis:
            axis += len(shape) - consumed
        elif item is None:
            pass
        elif isinstance(item, np.ndarray) and item.dtype == bool:
            axis += item.ndim
        else:
            if isinstance(item, np.ndarray) and item.dtype.kind in 'iu' and axis < len(shape) and shape[axis]:
                item = np.mod(item, shape[axis])
            axis += 1
        out.append(item)
    return tuple(out)


def host_index(index):
    """``index`` for NumPy, and whether it holds index arrays (advanced indexing). An index array from the host
    (a list, a NumPy array) is a copy to the device, as in CuPy. Index arrays still need ``wrapped`` when the
    operation runs (they are device memory: a replayed graph reads their values then)."""
    items = index if isinstance(index, tuple) else (index,)
    converted = []
    for item in items:
        if isinstance(item, ndarray):
            item = item._a
        elif isinstance(item, (list, np.ndarray)):
            _stream.host_to_device('an index array from the host')
            item = np.asarray(item)
            if item.size == 0 and item.dtype.kind == 'f':
                item = item.astype(np.int32)
        elif hasattr(item, '__cuda_array_interface__'):
            item = from_interface(item)
        elif isinstance(item, (float, np.floating)):
            raise IndexError('only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or '
                             'boolean arrays are valid indices')
        converted.append(item)
    if any(isinstance(i, np.ndarray) for i in converted):
        return tuple(converted), True
    if Ellipsis not in converted:
        converted.append(Ellipsis)   # basic indexing then gives a 0-d view, never a scalar
    return tuple(converted), False


def _method(name, *, sync=False):
    """ndarray.<name> run by device_call; ``sync``: its result's size depends on the values, read on the host."""
    def method(self, *args, **kwargs):
        if sync:
            _stream.host_sync(f'ndarray.{name}')
        return device_call(getattr(np.ndarray, name), (self, *args), kwargs, what=f'ndarray.{name}')
    method.__name__ = name
    return method


def _binary(ufunc, reflected=False):
    def op(self, other):
        if isinstance(other, np.ndarray) and other.ndim == 0:
            other = other.item()
        _check_operand(other, ufunc.__name__)
        return ufunc(other, self) if reflected else ufunc(self, other)
    return op


def _inplace(ufunc):
    def op(self, other):
        _check_operand(other, ufunc.__name__)
        ufunc(self, other, out=self)
        return self
    return op


class Flags:
    """CuPy's three read-only flags."""

    def __init__(self, a):
        self.c_contiguous, self.f_contiguous, self.owndata = (a.flags.c_contiguous, a.flags.f_contiguous,
                                                               a.flags.owndata)

    def __getitem__(self, name):
        return {'C_CONTIGUOUS': self.c_contiguous, 'F_CONTIGUOUS': self.f_contiguous,
                'OWNDATA': self.owndata}[name]


class ndarray:
    """An array on the simulated device: a NumPy array behind CuPy's interface and rules."""
    __slots__ = ('_a', '_mem', '__weakref__')
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order='C'):
        if memptr is None:
            self._a = np.empty(shape, dtype, order=order)
            self._mem = memory.allocate(self._a.nbytes)
            _allocated(self._a)
            if strides is not None:
                self._a = np.lib.stride_tricks.as_strided(self._a, strides=strides)
            return
        self._a, self._mem = _view_at(memptr, shape, np.dtype(dtype), strides), memptr.block

    @classmethod
    def _new(cls, a, block):
        obj = object.__new__(cls)
        obj._a, obj._mem = a, block
        return obj

    # ------------------------------------------------------------------ attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: Flags(self._a))
    T = property(lambda self: self.transpose())
    mT = property(lambda self: self.swapaxes(-1, -2))

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    @property
    def base(self):
        return None if self._a.flags.owndata else ndarray._new(_root(self._a), self._mem)

    @property
    def data(self):
        root = _root(self._a)
        start = root.__array_interface__['data'][0]
        ptr = self._a.__array_interface__['data'][0]
        return memory.MemoryPointer(root.nbytes - (ptr - start), ptr=ptr, owner=root, block=self._mem)

    @property
    def device(self):
        from .cuda import Device
        return Device(0)

    @property
    def real(self):
        return device_call(np.real, (self,))

    @property
    def imag(self):
        return device_call(np.imag, (self,))

    @property
    def __cuda_array_interface__(self):
        iface = self._a.__array_interface__
        return {'shape': self._a.shape, 'typestr': self._a.dtype.str, 'descr': iface['descr'],
                'data': (iface['data'][0], False), 'version': 3,
                'strides': None if self._a.flags.c_contiguous else self._a.strides, 'stream': 1}

    # ------------------------------------------------------------------ host transfers (synchronising)
    def get(self, stream=None, order='C', out=None, blocking=True):
        _stream.host_sync('ndarray.get')
        if out is not None:
            if not isinstance(out, np.ndarray):
                raise TypeError('Only numpy.ndarray can be obtained from cupy.ndarray')
            if out.dtype != self.dtype:
                raise TypeError(f'{out.dtype} array cannot be obtained from {self.dtype} array')
            if out.shape != self.shape:
                raise ValueError(f'Shape mismatch. Expected shape: {self.shape}, actual shape: {out.shape}')
            out[...] = self._a
            return out
        return np.array(self._a, order=order)

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray):
            raise TypeError('Only numpy.ndarray can be set to cupy.ndarray')
        if self.dtype != arr.dtype:
            raise TypeError(f'{arr.dtype} array cannot be set to {self.dtype} array')
        if self.shape != arr.shape:
            raise ValueError(f'Shape mismatch. Old shape: {self.shape}, new shape: {arr.shape}')
        if not (self._a.flags.c_contiguous or self._a.flags.f_contiguous):
            raise RuntimeError('Cannot set to non-contiguous array')
        _stream.host_to_device('ndarray.set')
        self._a[...] = arr

    def item(self):
        if self.size != 1:
            raise ValueError('can only convert an array of size 1 to a Python scalar')
        return self.get().item()

    def tolist(self):
        return self.get().tolist()

    def tobytes(self, order='C'):
        return self.get().tobytes(order)

    def __array__(self, dtype=None, copy=None):
        raise TypeError('Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a '
                        'NumPy array explicitly.')

    def __bool__(self):
        if self.size == 0:
            return False
        if self.size > 1:
            raise ValueError('The truth value of an array with more than one element is ambiguous. Use a.any() or '
                             'a.all()')
        return bool(self.get())

    def __int__(self):
        return int(self.get())

    def __float__(self):
        return float(self.get())

    def __complex__(self):
        return complex(self.get())

    def __repr__(self):
        return repr(self.get())

    def __str__(self):
        return str(self.get())

    def __format__(self, spec):
        return format(self.get(), spec)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError('len() of unsized object')
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError('iteration over a 0-d array')
        return (self[i] for i in range(self.shape[0]))

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return (_from_host, (self.get(),))

    # ------------------------------------------------------------------ NumPy protocols
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from . import _namespace
        for x in inputs + tuple(kwargs.get('out', ())):
            _check_operand(x, ufunc.__name__)
        if ufunc.__name__ in ('greater', 'greater_equal', 'less', 'less_equal', 'equal', 'not_equal'):
            inputs = tuple(x.item() if isinstance(x, np.ndarray) and x.ndim == 0 else x for x in inputs)
        if 'out' in kwargs:
            out = kwargs['out']
            if len(out) != 1:
                raise ValueError("The 'out' parameter must have exactly one array value")
            kwargs['out'] = out[0]
        device_ufunc = getattr(_namespace, ufunc.__name__, None)
        if device_ufunc is None:
            return NotImplemented
        return device_ufunc(*inputs, **kwargs) if method == '__call__' else getattr(device_ufunc, method)(
            *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        import cupy
        module = cupy
        for part in func.__module__.split('.')[1:]:
            module = getattr(module, part, None)
            if module is None:
                return NotImplemented
        device_func = getattr(module, func.__name__, None)
        if device_func is None or device_func is func:
            return NotImplemented
        return device_func(*args, **kwargs)

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        return self._a.__dlpack__()

    def __dlpack_device__(self):
        return (2, 0)   # kDLCUDA, device 0

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, index):
        index, advanced = host_index(index)
        if advanced and any(isinstance(i, np.ndarray) and i.dtype == bool for i in index):
            _stream.host_sync('a boolean mask index')   # the result's size is read on the host
        return device_call(lambda a: a[wrapped(index, a.shape)], (self,), what='ndarray.__getitem__')

    def __setitem__(self, index, value):
        index, advanced = host_index(index)
        if not advanced and not isinstance(value, (ndarray, *SCALARS)) and \
                not hasattr(value, '__cuda_array_interface__'):
            if np.asarray(value).shape != ():
                raise ValueError('non-scalar numpy.ndarray cannot be used for fill')
            value = np.asarray(value)[()]
        device_call(lambda a, v: _assign(a, wrapped(index, a.shape), v), (self, value), host_ok=advanced,
                    what='ndarray.__setitem__')

    def fill(self, value):
        if isinstance(value, ndarray):
            if value.shape != ():
                raise ValueError('non-scalar cupy.ndarray cannot be used for fill')
        elif np.asarray(value).shape != ():
            raise ValueError('non-scalar numpy.ndarray cannot be used for fill')
        device_call(np.copyto, (self, value), {'casting': 'unsafe'}, what='ndarray.fill')

    def sort(self, axis=-1, kind=None):
        device_call(np.ndarray.sort, (self,), {'axis': axis})

    def astype(self, dtype, order='K', casting=None, subok=None, copy=True):
        return device_call(np.ndarray.astype, (self, dtype), {'order': order, 'copy': copy}, what='ndarray.astype')

    def view(self, dtype=None, array_class=None):
        return device_call(np.ndarray.view, (self,) if dtype is None else (self, dtype), what='ndarray.view')

    def reshape(self, *shape, order='C', copy=None):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return device_call(np.reshape, (self, shape), {'order': order}, what='ndarray.reshape')

    def dot(self, b, out=None):
        from . import _namespace
        return _namespace.dot(self, b, out=out)

    # operators
    __add__, __radd__, __iadd__ = _binary(np.add), _binary(np.add, True), _inplace(np.add)
    __sub__, __rsub__, __isub__ = _binary(np.subtract), _binary(np.subtract, True), _inplace(np.subtract)
    __mul__, __rmul__, __imul__ = _binary(np.multiply), _binary(np.multiply, True), _inplace(np.multiply)
    __truediv__, __rtruediv__ = _binary(np.true_divide), _binary(np.true_divide, True)
    __itruediv__ = _inplace(np.true_divide)
    __floordiv__, __rfloordiv__ = _binary(np.floor_divide), _binary(np.floor_divide, True)
    __ifloordiv__ = _inplace(np.floor_divide)
    __mod__, __rmod__, __imod__ = _binary(np.remainder), _binary(np.remainder, True), _inplace(np.remainder)
    __pow__, __rpow__, __ipow__ = _binary(np.power), _binary(np.power, True), _inplace(np.power)
    __matmul__, __rmatmul__ = _binary(np.matmul), _binary(np.matmul, True)
    __and__, __rand__, __iand__ = _binary(np.bitwise_and), _binary(np.bitwise_and, True), _inplace(np.bitwise_and)
    __or__, __ror__, __ior__ = _binary(np.bitwise_or), _binary(np.bitwise_or, True), _inplace(np.bitwise_or)
    __xor__, __rxor__, __ixor__ = _binary(np.bitwise_xor), _binary(np.bitwise_xor, True), _inplace(np.bitwise_xor)
    __lshift__, __rshift__ = _binary(np.left_shift), _binary(np.right_shift)
    __lt__, __le__, __gt__, __ge__ = _binary(np.less), _binary(np.less_equal), _binary(np.greater), \
        _binary(np.greater_equal)

    def __eq__(self, other):
        if other is None or (type(other).__eq__ is object.__eq__ and not isinstance(other, (ndarray, *SCALARS))):
            from . import _namespace
            return _namespace.zeros(self.shape, dtype=bool)
        return _binary(np.equal)(self, other)

    def __ne__(self, other):
        if other is None or (type(other).__eq__ is object.__eq__ and not isinstance(other, (ndarray, *SCALARS))):
            from . import _namespace
            return _namespace.ones(self.shape, dtype=bool)
        return _binary(np.not_equal)(self, other)

    def __neg__(self):
        return np.negative(self)

    def __pos__(self):
        return np.positive(self)

    def __abs__(self):
        return np.absolute(self)

    def __invert__(self):
        return np.invert(self)


def _view_at(memptr, shape, dtype, strides):
    """The array of ``shape`` and ``strides`` at ``memptr``; an IndexError if it reaches outside the memory the
    pointer is into (CuPy trusts the caller there, and a GPU would read or write whatever lies beyond)."""
    owner = memptr.owner
    if owner is None:
        raise ValueError('the host simulator builds views only over memory of its own arrays (ndarray.data)')
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if strides is None:
        strides = tuple(int(np.prod(shape[k + 1:])) * dtype.itemsize for k in range(len(shape)))
    start = owner.__array_interface__['data'][0]
    low = memptr.ptr + sum(s * (n - 1) for s, n in zip(strides, shape) if s < 0 and n)
    high = memptr.ptr + sum(s * (n - 1) for s, n in zip(strides, shape) if s > 0 and n) + dtype.itemsize
    if all(shape) and (low < start or high > start + owner.nbytes):
        raise IndexError(f'cupy.ndarray: a view of shape {shape} and strides {tuple(strides)} at byte '
                         f'{memptr.ptr - start} reaches outside its {owner.nbytes}-byte memory')
    return np.asarray(_Interface({'shape': shape, 'typestr': dtype.str, 'data': (memptr.ptr, False),
                                  'strides': tuple(strides), 'version': 3}, owner))


def _assign(a, index, value):
    a[index] = value


def _from_host(host):
    from . import _namespace
    return _namespace.asarray(host)


for _name in ('copy', 'transpose', 'swapaxes', 'flatten', 'ravel', 'squeeze', 'take', 'put', 'repeat', 'choose',
              'argsort', 'partition', 'argpartition', 'searchsorted', 'compress', 'diagonal', 'max', 'argmax', 'min',
              'argmin', 'clip', 'round', 'trace', 'sum', 'cumsum', 'mean', 'var', 'std', 'prod', 'cumprod',
              'all', 'any', 'conj', 'conjugate'):
    setattr(ndarray, _name, _method(_name))
for _name in ('nonzero',):   # the size of the result depends on the values: CuPy reads it on the host
    setattr(ndarray, _name, _method(_name, sync=True))


def _ptp(self, axis=None, out=None, keepdims=False):
    return device_call(np.ptp, (self,), {'axis': axis, 'out': out, 'keepdims': keepdims})


ndarray.ptp = _ptp   # NumPy 2 arrays have no ptp method; CuPy's has
