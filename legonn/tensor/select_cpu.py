"""``select_kernels``' CPU kernel, compiled by Numba (serial, ``nogil``, cached on disk); called only through
``select_kernels.select_passed``, which checks its operands: the kernel indexes without bounds checks."""
from numba import njit


@njit(nogil=True, cache=True, boundscheck=False, error_model='numpy')
def select(passed, values, out):
    """out[i] = values[i] where passed[i] is not 0, else 0 (flat arrays of one length)."""
    zero = out.dtype.type(0)
    for i in range(out.shape[0]):
        out[i] = values[i] if passed[i] else zero


@njit(nogil=True, cache=True, boundscheck=False, error_model='numpy')
def zero_blocked(passed, out):
    """out[i] = 0 where passed[i] is 0: ``select`` where out is the values' own memory (an in-place module's
    gradient), written for one array so that LLVM vectorises it (two arrays that may overlap, it would not)."""
    zero = out.dtype.type(0)
    for i in range(out.shape[0]):
        out[i] = out[i] if passed[i] else zero


@njit(nogil=True, cache=True, boundscheck=False, error_model='numpy')
def select_above(x, threshold, values, out):
    """out[i] = values[i] where x[i] > threshold, else 0 (flat arrays of one length; NaN in x selects 0): the mask
    and the selection of ``select`` in one pass, without the mask's memory."""
    zero = out.dtype.type(0)
    for i in range(out.shape[0]):
        out[i] = values[i] if x[i] > threshold else zero


@njit(nogil=True, cache=True, boundscheck=False, error_model='numpy')
def zero_at_or_below(x, threshold, out):
    """out[i] = 0 where x[i] > threshold is false: ``select_above`` where out is the values' own memory."""
    zero = out.dtype.type(0)
    for i in range(out.shape[0]):
        out[i] = out[i] if x[i] > threshold else zero
