"""cupyx on the host: the scatter functions (unbuffered, as CuPy's atomics are)."""
import numpy as np

from cupy._array import device_call, host_index, wrapped


def scatter_add(a, slices, value):
    index, _ = host_index(slices)
    device_call(lambda x, v: np.add.at(x, wrapped(index, x.shape), v), (a, value), host_ok=True, what='cupyx.scatter_add')


def scatter_max(a, slices, value):
    index, _ = host_index(slices)
    device_call(lambda x, v: np.maximum.at(x, wrapped(index, x.shape), v), (a, value), host_ok=True, what='cupyx.scatter_max')


def scatter_min(a, slices, value):
    index, _ = host_index(slices)
    device_call(lambda x, v: np.minimum.at(x, wrapped(index, x.shape), v), (a, value), host_ok=True, what='cupyx.scatter_min')
