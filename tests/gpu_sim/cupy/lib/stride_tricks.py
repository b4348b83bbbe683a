"""cupy.lib.stride_tricks.as_strided on the host: a view of the same memory with the strides given."""
import numpy as np

from .._array import device_call


def as_strided(x, shape=None, strides=None):
    return device_call(np.lib.stride_tricks.as_strided, (x,), {'shape': shape, 'strides': strides},
                       what='lib.stride_tricks.as_strided')
