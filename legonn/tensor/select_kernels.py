"""out = values where a unit passed, 0 elsewhere: the gradient of the modules that hand some inputs' gradients on
unchanged and block the rest (Threshold and ReLU, HardTanh, the shrinks, Clamp, ...), selected as Torch7's kernels
select it (THNN's Threshold.c: ``x > threshold ? gradOutput : 0``). A product ``values * passed`` differs where a
blocked unit's value is inf or NaN: 0 * inf is NaN.

One pass over the memory: a Numba kernel (``select_cpu``) on C-contiguous NumPy float32/float64 arrays, one CuPy
ElementwiseKernel on CUDA float arrays (no temporary, one launch). Other arrays (half floats, strided views) take
the array code: the product, then the blocked units zeroed.
"""
import importlib

import numpy as np

from . import cuda_kernels
from .blas_kernels import check_operands

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_select_on_gpu = cuda_kernels.declare('select_passed', 'T values, uint8 passed', 'T out', 'out = passed ? values : (T)0')


def _cpu_kernel_takes(passed, values, out):
    return (type(out) is np.ndarray and out.dtype in _FLOATS and values.dtype == out.dtype
            and passed.dtype == np.uint8 and values.shape == out.shape == passed.shape
            and out.flags.c_contiguous and values.flags.c_contiguous and passed.flags.c_contiguous)


def select_passed(xp, passed, values, out):
    """out = values where ``passed`` (a uint8 array of 0 and 1, values' shape) is 1, else 0."""
    if xp is np and _cpu_kernel_takes(passed, values, out):
        flat = (out.size,)
        passed, values, out_flat = passed.reshape(-1), values.reshape(-1), out.reshape(-1)
        check_operands('select_kernels.select_passed', np.uint8, ('passed', passed, flat, None))
        check_operands('select_kernels.select_passed', out.dtype, ('values', values, flat, None),
                       ('out', out_flat, flat, None))
        kernels = importlib.import_module('.select_cpu', __package__)
        if values.ctypes.data == out_flat.ctypes.data:
            kernels.zero_blocked(passed, out_flat)
        else:
            kernels.select(passed, values, out_flat)
        return out
    if xp is not np and cuda_kernels.takes(out) and passed.dtype == np.uint8:
        return _select_on_gpu(values, passed, out)
    with np.errstate(invalid='ignore'):   # 0 * inf, zeroed on the next line
        xp.multiply(values, passed, out=out)
    xp.copyto(out, 0, where=passed == 0)
    return out
