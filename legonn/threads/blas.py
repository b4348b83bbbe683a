"""How many threads NumPy's BLAS may use, through the OpenBLAS C API (ctypes).

Two worker processes on two cores each running a multi-threaded BLAS would
fight over the cores; workers pin their BLAS to one thread. NumPy wheels ship
OpenBLAS with prefixed symbols (``scipy_openblas_set_num_threads64_``);
a system OpenBLAS has the plain names. Without OpenBLAS nothing is changed.
"""
import ctypes
import ctypes.util
import glob
import os

_SYMBOLS = [('scipy_openblas_set_num_threads64_', 'scipy_openblas_get_num_threads64_'),
            ('scipy_openblas_set_num_threads', 'scipy_openblas_get_num_threads'),
            ('openblas_set_num_threads64_', 'openblas_get_num_threads64_'),
            ('openblas_set_num_threads', 'openblas_get_num_threads')]
_api = []   # [(setter, getter)] once looked up


def _find():
    if _api:
        return _api[0]
    import numpy
    here = os.path.dirname(numpy.__file__)
    paths = sorted(glob.glob(os.path.join(here, '..', 'numpy.libs', '*openblas*')) +
                   glob.glob(os.path.join(here, '.dylibs', '*openblas*')))
    system = ctypes.util.find_library('openblas')
    paths += [system] if system else []
    found = None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in _SYMBOLS:
            if hasattr(lib, set_name) and hasattr(lib, get_name):
                setter, getter = getattr(lib, set_name), getattr(lib, get_name)
                setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                found = (setter, getter)
                break
        if found:
            break
    _api.append(found)
    return found


def blas_threads():
    """The number of threads OpenBLAS uses in this process, or None without OpenBLAS."""
    api = _find()
    return api[1]() if api else None


def set_blas_threads(n):
    """Let OpenBLAS use ``n`` threads in this process; returns the previous number (None without OpenBLAS)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads.set_blas_threads: expected a positive integer, got {n!r}")
    api = _find()
    if api is None:
        return None
    previous = api[1]()
    api[0](n)
    return previous
