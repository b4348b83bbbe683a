"""2-D average and max pooling on NumPy float32 and float64 data (SpatialAveragePooling, SpatialMaxPooling,
SpatialDilatedMaxPooling): THNN's one pass over the windows (``pool2d_cpu``'s Numba kernels), every operand
checked by ``blas_kernels.check_operands`` first and the planes split over legonn's threads (``parallel``).
``pool_kernels``' array code loops over the kernel's offsets, a NumPy call per offset on strided slices (64 calls
for an 8x8 global pooling), where this is one pass; it calls these.

``pool_kernels._window_loop_pays`` says where a window loop beats the offset loop's vectorised passes (windows of
9 or more elements moved by 2 or more, global poolings): the forward passes and the average's backward come here
only there. Max pooling's backward always comes here: one pass adding each window's gradient to its winner (7.4
-> 1.6 ms for 3x3 stride-2 windows at 32x64x32x32, one thread), in THNN's order.

Inputs are (N, C, H, W), outputs (N, C, OH, OW), all C-contiguous; ``takes`` says which data comes here (CuPy
data, half floats and strided views keep the array code). Geometry is (height, width) pairs.
"""
import importlib

import numpy as np

from . import parallel
from .blas_kernels import check_operands

_TYPES = (np.dtype(np.float32), np.dtype(np.float64))
_OFFSETS = (np.dtype(np.uint8), np.dtype(np.int32))


def takes(*arrays):
    """Whether these kernels compute on the arrays: NumPy float32/float64 of one type, C-contiguous."""
    return all(type(a) is np.ndarray and a.dtype in _TYPES and a.dtype == arrays[0].dtype and a.flags.c_contiguous
               for a in arrays)


def takes_offsets(argmax):
    """Whether the max pooling kernels read or write these winning offsets: a C-contiguous NumPy array of uint8
    or int32 (``pool_kernels.offset_dtype``'s)."""
    return type(argmax) is np.ndarray and argmax.dtype in _OFFSETS and argmax.flags.c_contiguous


def _planes(a):
    return a.reshape((a.shape[0] * a.shape[1],) + a.shape[2:])


def _run(routine, whole, inputs, geometry, outputs):
    """``pool2d_cpu.<routine>(*inputs, *geometry, *outputs, first, stop)`` on the operands' planes, the planes of
    ``whole`` (the input-sized operand) split over threads. ``inputs`` and ``outputs`` are (name, (N, C, h, w)
    array, dtype) triples, each checked first."""
    operands = inputs + outputs
    planes = [_planes(a) for _, a, _ in operands]
    for (name, _, dtype), arr in zip(operands, planes):
        check_operands(f"pool2d_kernels.{routine}", dtype, (name, arr, arr.shape, None))
    if len({arr.shape[0] for arr in planes}) != 1:
        raise ValueError(f"pool2d_kernels.{routine}: operands of different plane counts "
                         f"{[arr.shape[0] for arr in planes]}")
    run = getattr(importlib.import_module('.pool2d_cpu', __package__), routine)
    sources, targets = planes[:len(inputs)], planes[len(inputs):]
    parallel.run_parts(lambda b: run(*sources, *geometry, *targets, *b), parallel.leading_ranges(_planes(whole)))


def avg_forward(x, ksize, stride, pad, count_include_pad, out):
    """``out`` (N, C, OH, OW) = the mean of each (kH, kW) window of ``x`` (N, C, H, W) moved by ``stride`` over
    the input padded by ``pad``, divided as ``pool_kernels.avg_pool_divisor`` divides."""
    _run('avg_forward', x, [('input', x, x.dtype)], (*ksize, *stride, *pad, bool(count_include_pad)),
         [('output', out, x.dtype)])
    return out


def avg_backward(grad_out, ksize, stride, pad, count_include_pad, grad_in):
    """``grad_in`` (N, C, H, W) = avg_forward's gradient: each window's ``gradOutput / divisor`` added to its
    values."""
    _run('avg_backward', grad_in, [('gradOutput', grad_out, grad_in.dtype)],
         (*ksize, *stride, *pad, bool(count_include_pad)), [('gradInput', grad_in, grad_in.dtype)])
    return grad_in


def max_forward(x, ksize, stride, pad, dilation, out, argmax):
    """``out`` (N, C, OH, OW) = the max of each window of ``x`` (N, C, H, W), ``argmax`` (``out``'s shape) = the
    first kernel offset holding it, the no-winner mark ``kH * kW`` where padding, NaNs and -infs are all a window
    holds (``pool_kernels.max_pool_forward``'s)."""
    if argmax.shape != out.shape:
        raise ValueError(f"pool2d_kernels.max_forward: argmax of shape {argmax.shape} for an output of {out.shape}")
    _run('max_forward', x, [('input', x, x.dtype)], (*ksize, *stride, *pad, *dilation),
         [('output', out, x.dtype), ('argmax', argmax, argmax.dtype)])
    return out, argmax


def max_backward(grad_out, argmax, ksize, stride, pad, dilation, grad_in):
    """``grad_in`` (N, C, H, W) = 0, then each window's gradient added to the element that won it."""
    if argmax.shape != grad_out.shape:
        raise ValueError(f"pool2d_kernels.max_backward: argmax of shape {argmax.shape} for a gradOutput of "
                         f"{grad_out.shape}")
    _run('max_backward', grad_in, [('gradOutput', grad_out, grad_in.dtype), ('argmax', argmax, argmax.dtype)],
         (*ksize, *stride, *pad, *dilation), [('gradInput', grad_in, grad_in.dtype)])
    return grad_in
