"""cupyx on the host: the scatter functions (unbuffered, as CuPy's atomics are)."""
import numpy as np

from cupy._array import device_call, host_index, wrapped


# CuPy's scatter_add runs CUDA's atomicAdd, which has no 8-, 16- or signed 64-bit integer form; its documentation
# (cupyx.scatter_add's note) limits it to the atomicAdd types, and CuPy raises a TypeError for the others
_ATOMIC_ADD_TYPES = tuple(np.dtype(t) for t in (np.int32, np.uint32, np.uint64, np.float16, np.float32, np.float64))


def scatter_add(a, slices, value):
    if np.dtype(a.dtype) not in _ATOMIC_ADD_TYPES:
        raise TypeError(f'scatter_add only supports int32, float16, float32, float64, uint32, uint64, as data '
                        f'type (got {np.dtype(a.dtype)})')
    index, _ = host_index(slices)
    device_call(lambda x, v: np.add.at(x, wrapped(index, x.shape), v), (a, value), host_ok=True,
                what='cupyx.scatter_add')


def scatter_max(a, slices, value):
    index, _ = host_index(slices)
    device_call(lambda x, v: np.maximum.at(x, wrapped(index, x.shape), v), (a, value), host_ok=True,
                what='cupyx.scatter_max')


def scatter_min(a, slices, value):
    index, _ = host_index(slices)
    device_call(lambda x, v: np.minimum.at(x, wrapped(index, x.shape), v), (a, value), host_ok=True,
                what='cupyx.scatter_min')
