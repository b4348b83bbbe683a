"""legonn.tensor.backend: which arrays are CuPy's, asked without reading an array's CUDA interface (CuPy builds
that description, a dict with the current stream, at every read)."""
import numpy as np

from legonn.tensor import backend


def test_cupy_arrays_are_told_by_their_class_without_reading_the_interface():
    reads = []

    class DeviceArray:
        @property
        def __cuda_array_interface__(self):
            reads.append(1)
            return {}

    class Pointer:   # CuPy's other objects (memory pointers, streams) are no arrays
        pass
    DeviceArray.__module__ = Pointer.__module__ = 'cupy._core.core'
    assert backend.is_cupy_array(DeviceArray()) and backend.is_cupy_array(DeviceArray())
    assert not backend.is_cupy_array(Pointer())
    assert not backend.is_cupy_array(np.zeros(2)) and not backend.is_cupy_array(3)
    assert reads == []
