"""BLAS calls that accumulate in place: GEMM out = beta * out + alpha * (a @ b), and axpby.

Torch7 accumulates parameter gradients with ``addmm`` (BLAS gemm with
beta = 1), so no temporary product is allocated. NumPy's ``matmul`` cannot
accumulate, so on the CPU this calls the CBLAS ``gemm`` of the OpenBLAS that
NumPy's wheels bundle, through ctypes, when it can be found; otherwise (other
NumPy builds, CuPy arrays, odd layouts or dtypes) it falls back to
``out += alpha * (a @ b)``.
"""
import ctypes
import glob
import os

import numpy as np

from . import backend

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _openblas_libraries():
    """ctypes handles of the scipy-openblas libraries NumPy's wheels bundle (none for other builds)."""
    libs_dir = os.path.join(os.path.dirname(np.__file__), '..', 'numpy.libs')
    for path in sorted(glob.glob(os.path.join(libs_dir, 'libscipy_openblas*.so*'))):
        try:
            yield ctypes.CDLL(path)
        except OSError:
            continue


def _load_cblas():
    """({dtype: gemm}, {dtype: axpby}, {dtype: omatcopy}) from NumPy's bundled scipy-openblas,
    or three empty dicts when it is absent."""
    for lib in _openblas_libraries():
        for suffix, int_type in (('64_', ctypes.c_int64), ('', ctypes.c_int32)):
            gemm, axpby, omatcopy = {}, {}, {}
            for dtype, letter, real in ((np.float32, 's', ctypes.c_float), (np.float64, 'd', ctypes.c_double)):
                fn = getattr(lib, f'scipy_cblas_{letter}gemm{suffix}', None)
                vec = getattr(lib, f'scipy_cblas_{letter}axpby{suffix}', None)
                copy = getattr(lib, f'scipy_cblas_{letter}omatcopy{suffix}', None)
                if fn is None or vec is None or copy is None:
                    break
                fn.restype = vec.restype = copy.restype = None
                fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, int_type, int_type, int_type, real,
                               ctypes.c_void_p, int_type, ctypes.c_void_p, int_type, real, ctypes.c_void_p, int_type]
                vec.argtypes = [int_type, real, ctypes.c_void_p, int_type, real, ctypes.c_void_p, int_type]
                copy.argtypes = [ctypes.c_int, ctypes.c_int, int_type, int_type, real, ctypes.c_void_p, int_type,
                                 ctypes.c_void_p, int_type]
                gemm[np.dtype(dtype)] = fn
                axpby[np.dtype(dtype)] = vec
                omatcopy[np.dtype(dtype)] = copy
            if len(gemm) == 2:
                return gemm, axpby, omatcopy
    return {}, {}, {}


_GEMM, _AXPBY, _OMATCOPY = _load_cblas()


def _find_set_threads():
    """The bundled OpenBLAS's ``openblas_set_num_threads``, or None."""
    for lib in _openblas_libraries():
        for name in ('scipy_openblas_set_num_threads64_', 'scipy_openblas_set_num_threads'):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = None
                fn.argtypes = [ctypes.c_int]
                return fn
    return None


_SET_THREADS = _find_set_threads()


def set_blas_threads(n):
    """Ask the bundled OpenBLAS to use ``n`` threads; False when there is no such library to ask."""
    if _SET_THREADS is None:
        return False
    _SET_THREADS(int(n))
    return True


def _operand(arr):
    """(transpose flag, leading dimension) for a 2-D array whose memory BLAS can read as is, else None."""
    itemsize = arr.itemsize
    s0, s1 = arr.strides
    if s1 == itemsize and s0 >= max(1, arr.shape[1]) * itemsize and s0 % itemsize == 0:
        return _NO_TRANS, s0 // itemsize
    if s0 == itemsize and s1 >= max(1, arr.shape[0]) * itemsize and s1 % itemsize == 0:
        return _TRANS, s1 // itemsize
    return None


def addmm_into(out, a, b, alpha=1.0, beta=1.0):
    """out = beta * out + alpha * (a @ b) for 2-D arrays ``a`` (m x k), ``b`` (k x n), ``out`` (m x n)."""
    fn = _GEMM.get(out.dtype) if isinstance(out, np.ndarray) else None
    if fn is not None and a.dtype == b.dtype == out.dtype and out.flags.c_contiguous and min(out.shape) > 0 \
            and a.shape[1] > 0:
        op_a, op_b = _operand(a), _operand(b)
        if op_a is not None and op_b is not None:
            m, k = a.shape
            n = b.shape[1]
            fn(_ROW_MAJOR, op_a[0], op_b[0], m, n, k, alpha, a.ctypes.data, op_a[1], b.ctypes.data, op_b[1],
               beta, out.ctypes.data, n)
            return out
    product = a @ b
    if alpha != 1:
        product *= alpha
    if beta == 0:
        out[...] = product
    else:
        if beta != 1:
            out *= beta
        out += product
    return out


def axpby_into(y, alpha, x, beta=1.0, scratch=None):
    """y = alpha * x + beta * y in one pass over memory (BLAS axpby) for equally long 1-D arrays.

    Optimisers update every parameter this way; NumPy needs two or three passes (and
    a temporary, or ``scratch``, an array like ``y`` to hold alpha * x) for the same.
    """
    fn = _AXPBY.get(y.dtype) if isinstance(y, np.ndarray) else None
    if fn is not None and type(x) is np.ndarray and x.dtype == y.dtype and x.shape == y.shape and \
            y.ndim == 1 and y.flags.c_contiguous and x.flags.c_contiguous:
        fn(y.shape[0], alpha, x.ctypes.data, 1, beta, y.ctypes.data, 1)
        return y
    if beta != 1:
        y *= beta
    if alpha == 1:
        y += x
    elif scratch is not None:
        backend.array_module(y).multiply(x, alpha, out=scratch)
        y += scratch
    else:
        y += alpha * x
    return y


def transpose_into(out, a):
    """out = a.T for 2-D arrays ``a`` (m x n) and ``out`` (n x m): BLAS ``omatcopy`` on the CPU when both
    have unit-stride rows.

    NumPy's strided copy moves one element at a time, several times slower than
    this cache-blocked transpose; the convolutions move every batch between
    (N, C, H, W) and batch-innermost layouts with it. Other layouts, dtypes and
    CuPy arrays take ``out[...] = a.T``.
    """
    fn = _OMATCOPY.get(out.dtype) if isinstance(out, np.ndarray) else None
    if fn is not None and type(a) is np.ndarray and a.dtype == out.dtype and a.size > 0:
        lda, ldb = _operand(a), _operand(out)
        if lda is not None and ldb is not None and lda[0] == ldb[0] == _NO_TRANS:
            fn(_ROW_MAJOR, _TRANS, a.shape[0], a.shape[1], 1.0, a.ctypes.data, lda[1], out.ctypes.data, ldb[1])
            return out
    out[...] = a.T
    return out
