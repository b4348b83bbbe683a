"""cupy's top-level functions on the host: NumPy's function of the same name, run by ``device_call`` on the arrays
behind the simulated ones, for each name CuPy exports (``_names.NAMES``). Element-wise functions (ufuncs) take only
device arrays and scalars; a NumPy array argument raises TypeError except where CuPy copies host data (``array``,
``asarray``, the ``*_like`` constructors). Functions whose result's size depends on the values (``nonzero``,
``unique``, ...) read on the host, as CuPy does, which a capturing stream refuses."""
import types

import numpy as np

from . import _array
from ._array import _check_operand, device_call, ndarray
from ._names import NAMES
from .cuda import stream as _stream

_HOST_INPUT = frozenset({'empty_like', 'zeros_like', 'ones_like', 'full_like'})
_JOINING = frozenset({'concatenate', 'stack', 'hstack', 'vstack', 'column_stack', 'dstack', 'concat'})
_VALUE_SIZED = frozenset({'nonzero', 'argwhere', 'flatnonzero', 'unique', 'unique_all', 'unique_counts',
                          'unique_inverse', 'unique_values', 'extract', 'compress', 'intersect1d', 'setdiff1d',
                          'setxor1d', 'union1d', 'trim_zeros'})


class ufunc:
    """An element-wise function on device arrays and scalars."""

    def __init__(self, np_ufunc):
        self._ufunc, self.__name__ = np_ufunc, np_ufunc.__name__
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs

    def __call__(self, *args, **kwargs):
        for x in args + (kwargs.get('out'),):
            _check_operand(x, self.__name__)
        return device_call(self._ufunc, args, kwargs, what=self.__name__)

    def at(self, a, indices, b=None):
        index, _ = _array.host_index(indices)
        device_call(lambda x, *y: self._ufunc.at(x, _array.wrapped(index, x.shape), *y),
                    (a,) if b is None else (a, b), host_ok=True, what=f'{self.__name__}.at')

    def reduce(self, *args, **kwargs):
        return device_call(self._ufunc.reduce, args, kwargs, what=f'{self.__name__}.reduce')

    def accumulate(self, *args, **kwargs):
        return device_call(self._ufunc.accumulate, args, kwargs, what=f'{self.__name__}.accumulate')

    def outer(self, *args, **kwargs):
        return device_call(self._ufunc.outer, args, kwargs, what=f'{self.__name__}.outer')

    def __repr__(self):
        return f'<ufunc {self.__name__!r}>'


def _function(name, np_function):
    def function(*args, **kwargs):
        if name in _VALUE_SIZED or (name == 'where' and len(args) == 1):
            _stream.host_sync(f'cupy.{name}')
        if name in _JOINING and args and isinstance(args[0], (list, tuple)) and 1 < len(args[0]) <= 8:
            for _ in range(len(args[0]) - 1):   # CuPy copies up to 8 pieces one launch each (one kernel beyond)
                _stream.count(name)
        return device_call(np_function, args, kwargs, host_ok=name in _HOST_INPUT, what=name)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f'numpy.{name} on the simulated device.'
    return function


def _exports():
    found = {}
    for name in NAMES:
        value = getattr(np, name, None)
        if value is None or name in ('ndarray', 'ufunc') or isinstance(value, types.ModuleType):
            continue   # CuPy's subpackages (random, linalg, ...) are the simulator's own
        if isinstance(value, np.ufunc):
            found[name] = ufunc(value)
        elif callable(value) and not isinstance(value, type):
            found[name] = _function(name, value)
        else:
            found[name] = value
    return found


globals().update(_exports())


def array(obj, dtype=None, copy=True, order='K', subok=False, ndmin=0):
    if isinstance(obj, ndarray):
        return device_call(np.array, (obj,), {'dtype': dtype, 'copy': copy, 'order': order, 'ndmin': ndmin})
    _stream.host_to_device('cupy.array')
    host = np.array(_array.to_host_arrays(obj, True, 'array'), dtype=dtype, order=order, ndmin=ndmin)
    return _array.wrap(np.array(host, copy=True))


def asarray(a, dtype=None, order=None, *, blocking=False):
    if isinstance(a, ndarray):
        return device_call(np.asarray, (a,), {'dtype': dtype, 'order': order})
    if hasattr(a, '__cuda_array_interface__'):
        view = _array.ndarray._new(_array.from_interface(a), None)   # memory someone else allocated
        return device_call(np.asarray, (view,), {'dtype': dtype, 'order': order})
    return array(a, dtype=dtype, copy=True, order=order or 'K')


asanyarray = asarray


def ascontiguousarray(a, dtype=None):
    if not isinstance(a, ndarray):
        raise TypeError(f"Argument 'a' has incorrect type (expected cupy.ndarray, got {type(a).__name__})")
    return device_call(np.ascontiguousarray, (a,), {'dtype': dtype})


def copyto(dst, src, casting='same_kind', where=None):
    if isinstance(src, np.ndarray):
        if src.size != 1:
            raise ValueError('non-scalar numpy.ndarray cannot be used for copyto')
        src = src.reshape(()).item()
    elif isinstance(src, (list, tuple)):
        raise TypeError(f'Unsupported type {type(src)}')
    kwargs = {'casting': casting} if where is None else {'casting': casting, 'where': where}
    device_call(np.copyto, (dst, src), kwargs, what='copyto')


def asnumpy(a, stream=None, order='C', out=None, *, blocking=True):
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    if hasattr(a, '__cuda_array_interface__'):
        _stream.host_sync('cupy.asnumpy')
        return np.array(_array.from_interface(a), order=order)
    return np.asarray(a, order=order)


def get_array_module(*args):
    import cupy
    return cupy if any(isinstance(a, ndarray) for a in args) else np


def from_dlpack(x, *, device=None, copy=None):
    if not hasattr(x, '__dlpack_device__') or x.__dlpack_device__()[0] != 2:
        raise TypeError(f'cupy.from_dlpack: {type(x).__name__} is not on a CUDA device (the host simulator takes '
                        'only device arrays)')
    imported = np.from_dlpack(_HostCapsule(x))   # read-only to NumPy; the device memory is writable
    iface = dict(imported.__array_interface__, data=(imported.__array_interface__['data'][0], False))
    return _array.wrap(np.asarray(_array._Interface(iface, imported)), [])


fromDlpack = from_dlpack


class _HostCapsule:
    """A device array's DLPack capsule, which the simulator builds on host memory, offered to NumPy."""

    def __init__(self, obj):
        self.obj = obj

    def __dlpack__(self, **kwargs):
        return self.obj.__dlpack__()

    def __dlpack_device__(self):
        return (1, 0)


def is_available():
    return True


def get_default_memory_pool():
    from .cuda import memory
    return memory.get_default_memory_pool()
