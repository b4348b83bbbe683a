"""NumPy / CuPy dispatch: which array module an array belongs to.

CuPy is imported lazily, on the first request for the GPU, so a CPU-only
install never pays for it and never needs it.
"""
import contextlib
import functools
import importlib
import threading

import numpy as np

_cupy = None

INSTALL_HINT = ("install CuPy for your CUDA version, e.g. `pip install 'legonn[cuda]' cupy-cuda12x` "
                "(or cupy-cuda13x for CUDA 13)")


def cupy():
    """The cupy module; a clear ImportError/RuntimeError when it or a GPU is missing."""
    global _cupy
    if _cupy is None:
        try:
            import cupy as cp
        except ImportError as err:
            raise ImportError(f"CUDA tensors need CuPy, which is not installed: {INSTALL_HINT}") from err
        try:
            count = cp.cuda.runtime.getDeviceCount()
        except Exception as err:  # CuPy raises its own CUDARuntimeError without a driver
            raise RuntimeError(f"CuPy is installed but no CUDA device is usable: {err}") from err
        if count == 0:
            raise RuntimeError("CuPy is installed but no CUDA device is present")
        _cupy = cp
    return _cupy


_recording = threading.local()   # depth: how many lg.cuda.capture recordings this thread is inside


def recording():
    """Whether lg.cuda.capture is recording a step in this thread now: device values cannot be read on the host
    then (they do not exist yet), so checks that would read them are skipped."""
    return getattr(_recording, 'depth', 0) > 0


@contextlib.contextmanager
def recording_step():
    """The span of lg.cuda.capture's recorded call (see ``recording``)."""
    _recording.depth = getattr(_recording, 'depth', 0) + 1
    try:
        yield
    finally:
        _recording.depth -= 1


@functools.lru_cache(maxsize=None)
def cublas():
    """cupy.cublas (CuPy's BLAS with alpha and beta, which ``import cupy`` does not load)."""
    cupy()
    return importlib.import_module('cupy.cublas')


def gpu_available():
    """True when CuPy imports and sees at least one GPU (used by tests to skip)."""
    try:
        cupy()
    except (ImportError, RuntimeError):
        return False
    return True


_CUPY_ARRAY_CLASSES = {}   # class -> whether its instances are CuPy arrays


def is_cupy_array(obj):
    """Whether ``obj`` is a CuPy array. Asked of every operand on a step's hot paths: answered per class, since
    CuPy's ``__cuda_array_interface__`` builds a description (a dict, with the current stream) at each read."""
    cls = type(obj)
    known = _CUPY_ARRAY_CLASSES.get(cls)
    if known is None:
        known = _CUPY_ARRAY_CLASSES[cls] = cls.__module__.startswith('cupy') and \
            hasattr(cls, '__cuda_array_interface__')
    return known


def address(arr):
    """The address of the first element of ``arr``: host memory for a NumPy array, device memory for a CuPy one."""
    return arr.__array_interface__['data'][0] if isinstance(arr, np.ndarray) else arr.data.ptr


def array_module(arr):
    """numpy or cupy, whichever owns ``arr``."""
    if isinstance(arr, np.ndarray):
        return np
    if is_cupy_array(arr):
        return cupy()
    return np


def to_module(arr, xp):
    """``arr`` as an array of module ``xp``: the same object when it already is one, else a device copy."""
    if xp is np:
        if isinstance(arr, np.ndarray):
            return arr
        if is_cupy_array(arr):
            return arr.get()
        return np.asarray(arr)
    if is_cupy_array(arr):
        return arr
    return xp.asarray(arr)
