"""2-D max pooling on NumPy float32 and float64 data (SpatialMaxPooling, SpatialDilatedMaxPooling): THNN's loop over
each window (``max_pool_cpu``'s Numba kernels), every operand checked by ``blas_kernels.check_operands`` first and
the planes split over legonn's threads (``parallel``), as THNN's ``omp parallel for`` splits them.

Inputs are (N, C, H, W), outputs and the winning offsets (``pool_kernels.offset_dtype``: uint8 when they fit)
(N, C, OH, OW), all C-contiguous; ``takes`` says which data comes here (CuPy data, half floats and strided views
keep ``pool_kernels``' array code). The backward adds overlapping windows' gradients in THNN's order, window by
window, where the array code adds them kernel offset by offset.
"""
import importlib

import numpy as np

from . import parallel
from .blas_kernels import check_operands

_TYPES = (np.dtype(np.float32), np.dtype(np.float64))


def takes(x, *results):
    """Whether these kernels compute on ``x``: (N, C, H, W) NumPy float32/float64 data, the data and the
    ``results`` C-contiguous NumPy arrays."""
    return (type(x) is np.ndarray and x.ndim == 4 and x.dtype in _TYPES and x.flags.c_contiguous
            and all(type(r) is np.ndarray and r.flags.c_contiguous for r in results))


def _planes(a):
    """(N, C, H, W) seen as the stack of its N * C planes."""
    return a.reshape((-1,) + a.shape[2:])


def _over_planes(call, planes):
    """``call(first, stop)`` for each thread's share of the planes (one share when splitting would not pay)."""
    bounds = parallel.leading_ranges(planes)
    parallel.run_parts(lambda i: call(*bounds[i]), range(len(bounds)))


def _cpu():
    """The Numba kernels, imported when first used (Numba's import is not legonn's)."""
    return importlib.import_module('.max_pool_cpu', __package__)


def forward(x, ksize, stride, pad, dilation, out, argmax):
    """``out`` = the max of each window of ``x``, ``argmax`` = the first kernel offset holding it (the no-winner
    mark ``kH * kW`` where padding, NaNs and -infs are all a window holds); returns both."""
    planes, results = _planes(x), (_planes(out), _planes(argmax))
    check_operands('max_pool_kernels.forward', x.dtype, ('input', planes, planes.shape, None),
                   ('output', results[0], results[0].shape, None))
    check_operands('max_pool_kernels.forward', argmax.dtype, ('argmax', results[1], results[0].shape, None))
    if results[0].shape[0] != planes.shape[0]:
        raise ValueError(f"max_pool_kernels.forward: {planes.shape[0]} input planes but {results[0].shape[0]} "
                         "output ones")
    run = _cpu().max_pool_forward
    _over_planes(lambda first, stop: run(planes, *results, *ksize, *stride, *pad, *dilation, first, stop), planes)
    return out, argmax


def backward(grad_out, argmax, ksize, stride, pad, dilation, grad_in):
    """``grad_in`` (N, C, H, W) = 0, then each window's gradient added to the element that won it."""
    go, won, gi = _planes(grad_out), _planes(argmax), _planes(grad_in)
    check_operands('max_pool_kernels.backward', grad_in.dtype, ('gradOutput', go, go.shape, None),
                   ('gradInput', gi, go.shape[:1] + gi.shape[1:], None))
    check_operands('max_pool_kernels.backward', argmax.dtype, ('argmax', won, go.shape, None))
    run = _cpu().max_pool_backward
    _over_planes(lambda first, stop: run(go, won, gi, *ksize, *stride, *pad, *dilation, first, stop), gi)
    return grad_in
