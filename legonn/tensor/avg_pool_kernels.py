"""2-D average pooling on NumPy float32 and float64 data (SpatialAveragePooling): THNN's one pass per window
(``avg_pool_cpu``'s Numba kernels), every operand checked by ``blas_kernels.check_operands`` first and the planes
split over legonn's threads (``parallel``). ``pool_kernels``' array code loops over the kernel's offsets, a
NumPy call per offset: 64 calls of small strided slices for an 8x8 global pooling, where this is one pass.

Inputs are (N, C, H, W), outputs (N, C, OH, OW), both C-contiguous; ``takes`` says which data comes here (CuPy
data, half floats and strided views keep the array code).
"""
import importlib

import numpy as np

from . import parallel
from .blas_kernels import check_operands

_TYPES = (np.dtype(np.float32), np.dtype(np.float64))


def takes(*arrays):
    """Whether these kernels compute on the arrays: NumPy float32/float64 of one type, C-contiguous."""
    return all(type(a) is np.ndarray and a.dtype in _TYPES and a.dtype == arrays[0].dtype and a.flags.c_contiguous
               for a in arrays)


def _planes(a):
    return a.reshape((a.shape[0] * a.shape[1],) + a.shape[2:])


def _run(routine, source, target, ksize, stride, pad, count_include_pad):
    """``avg_pool_cpu.<routine>`` from ``source`` into ``target`` (both (N, C, h, w)), planes split over threads."""
    src, dst = _planes(source), _planes(target)
    check_operands(f"avg_pool_kernels.{routine}", source.dtype, ('source', src, src.shape, None),
                   ('target', dst, dst.shape, None))
    if src.shape[0] != dst.shape[0]:
        raise ValueError(f"avg_pool_kernels.{routine}: {src.shape[0]} source planes but {dst.shape[0]} target ones")
    run = getattr(importlib.import_module('.avg_pool_cpu', __package__), routine)
    args = (*ksize, *stride, *pad, bool(count_include_pad))
    bounds = parallel.leading_ranges(dst if routine == 'backward' else src)
    parallel.run_parts(lambda b: run(src, *args, dst, *b), bounds)
    return target


def forward(x, ksize, stride, pad, count_include_pad, out):
    """``out`` (N, C, OH, OW) = the mean of each (kH, kW) window of ``x`` (N, C, H, W) moved by ``stride`` over
    the input padded by ``pad``, divided as ``pool_kernels.avg_pool_divisor`` divides."""
    return _run('forward', x, out, ksize, stride, pad, count_include_pad)


def backward(grad_out, ksize, stride, pad, count_include_pad, grad_in):
    """``grad_in`` (N, C, H, W) = forward's gradient: each window's ``gradOutput / divisor`` added to its values."""
    return _run('backward', grad_out, grad_in, ksize, stride, pad, count_include_pad)
