"""The one binding to the OpenBLAS that NumPy uses: the library handle and its thread count.

NumPy wheels bundle OpenBLAS with prefixed symbols (``scipy_openblas_set_num_threads64_``,
``scipy_cblas_dgemm64_``); a NumPy built on a system OpenBLAS has the plain names.
``library()`` is the handle (None without OpenBLAS); ``blas_kernels`` takes its CBLAS
functions from it, and ``threads`` and ``setnumthreads`` set its thread count here.

Thread control is these two ctypes calls rather than ``threadpoolctl``: the handle
is needed anyway for the CBLAS kernels, and threadpoolctl would load and inspect the
same library a second time (0.7 ms per controller) to reach the same C function.
"""
import contextlib
import ctypes
import ctypes.util
import glob
import os
import threading

import numpy as np

# (set, get) symbol pairs, prefixed wheel names first
_THREAD_SYMBOLS = [('scipy_openblas_set_num_threads64_', 'scipy_openblas_get_num_threads64_'),
                   ('scipy_openblas_set_num_threads', 'scipy_openblas_get_num_threads'),
                   ('openblas_set_num_threads64_', 'openblas_get_num_threads64_'),
                   ('openblas_set_num_threads', 'openblas_get_num_threads')]


def _candidate_paths():
    """NumPy's bundled OpenBLAS (Linux wheels' numpy.libs, macOS wheels' .dylibs), then a system one."""
    here = os.path.dirname(np.__file__)
    paths = sorted(glob.glob(os.path.join(here, '..', 'numpy.libs', '*openblas*')) +
                   glob.glob(os.path.join(here, '.dylibs', '*openblas*')))
    system = ctypes.util.find_library('openblas')
    return paths + ([system] if system else [])


def _load():
    """(library, set_num_threads, get_num_threads) of the first OpenBLAS found, or (None, None, None)."""
    for path in _candidate_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in _THREAD_SYMBOLS:
            setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                getter.argtypes, getter.restype = [], ctypes.c_int
                return lib, setter, getter
    return None, None, None


_LIBRARY, _SET_THREADS, _GET_THREADS = _load()


def library():
    """The ctypes handle of NumPy's OpenBLAS, or None when none was found."""
    return _LIBRARY


def blas_threads():
    """The number of threads OpenBLAS uses in this process, or None without OpenBLAS."""
    return _GET_THREADS() if _GET_THREADS is not None else None


def set_blas_threads(n):
    """Let OpenBLAS use ``n`` threads in this process; returns the previous number (None without OpenBLAS).
    ValueError unless ``n`` is a positive integer."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"tensor.openblas.set_blas_threads: expected a positive integer, got {n!r}")
    if _SET_THREADS is None:
        return None
    previous = _GET_THREADS()
    _SET_THREADS(int(n))
    return previous


_serial_lock = threading.Lock()
_serial_users = 0
_serial_saved = None


@contextlib.contextmanager
def serial_blas(wanted=True):
    """Within it (when ``wanted``), OpenBLAS runs each call on the calling thread alone: for kernels that split
    their work over legonn's pool and call BLAS in every part, where OpenBLAS's own threads would only contend
    with the pool's for the same cores. Callers in several threads at once are counted: the first sets one
    thread, the last puts the previous count back (OpenBLAS's count is process-wide)."""
    global _serial_users, _serial_saved
    if not wanted or _SET_THREADS is None:
        yield
        return
    with _serial_lock:
        if _serial_users == 0:
            _serial_saved = _GET_THREADS()
            _SET_THREADS(1)
        _serial_users += 1
    try:
        yield
    finally:
        with _serial_lock:
            _serial_users -= 1
            if _serial_users == 0:
                _SET_THREADS(_serial_saved)
