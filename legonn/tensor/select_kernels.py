"""out = values where a unit passed, 0 elsewhere: the gradient of the modules that hand some inputs' gradients on
unchanged and block the rest (Threshold and ReLU, HardTanh, the shrinks, Clamp, ...), selected as Torch7's kernels
select it (THNN's Threshold.c: ``x > threshold ? gradOutput : 0``). A product ``values * passed`` differs where a
blocked unit's value is inf or NaN: 0 * inf is NaN.

One pass over the memory: a Numba kernel (``select_cpu``) on C-contiguous NumPy float32/float64 arrays, one CuPy
ElementwiseKernel on CUDA float arrays (no temporary, one launch). Other arrays (half floats, strided views) take
the array code: the product, then the blocked units zeroed. ``select_above`` is Threshold's case with the mask
worked out in the same pass (``x > threshold``), on the arrays the Numba kernels take.
"""
import importlib

import numpy as np

from . import cuda_kernels
from .blas_kernels import check_operands

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_select_on_gpu = cuda_kernels.declare('select_passed', 'T values, uint8 passed', 'T out', 'out = passed ? values : (T)0')


def _cpu_kernel_takes(passed, values, out, passed_dtype=np.uint8):
    return (type(out) is np.ndarray and out.dtype in _FLOATS and values.dtype == out.dtype
            and type(passed) is np.ndarray and passed.dtype == passed_dtype
            and values.shape == out.shape == passed.shape
            and out.flags.c_contiguous and values.flags.c_contiguous and passed.flags.c_contiguous)


def _kernels():
    """The Numba kernels, imported when first used (Numba's import is not legonn's)."""
    return importlib.import_module('.select_cpu', __package__)


def above_takes(x, values, out):
    """Whether ``select_above`` computes on these arrays (else the caller's mask path does)."""
    return _cpu_kernel_takes(x, values, out, out.dtype)


def select_above(x, threshold, values, out):
    """out = values where x > ``threshold`` (cast to x's type, as THNN reads it as ``real``), else 0: Threshold's
    gradient (``x > threshold ? gradOutput : 0``) without a mask in memory; arrays that ``above_takes``."""
    flat = (out.size,)
    x, values, out_flat = x.reshape(-1), values.reshape(-1), out.reshape(-1)
    check_operands('select_kernels.select_above', out.dtype, ('x', x, flat, None), ('values', values, flat, None),
                   ('out', out_flat, flat, None))
    threshold = x.dtype.type(threshold)
    if values.ctypes.data == out_flat.ctypes.data:
        _kernels().zero_at_or_below(x, threshold, out_flat)
    else:
        _kernels().select_above(x, threshold, values, out_flat)
    return out


def select_passed(xp, passed, values, out):
    """out = values where ``passed`` (a uint8 array of 0 and 1, values' shape) is 1, else 0."""
    if xp is np and _cpu_kernel_takes(passed, values, out):
        flat = (out.size,)
        passed, values, out_flat = passed.reshape(-1), values.reshape(-1), out.reshape(-1)
        check_operands('select_kernels.select_passed', np.uint8, ('passed', passed, flat, None))
        check_operands('select_kernels.select_passed', out.dtype, ('values', values, flat, None),
                       ('out', out_flat, flat, None))
        kernels = _kernels()
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
