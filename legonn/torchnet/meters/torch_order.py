"""The order in which Torch7's ``torch.sort`` and ``torch.topk`` leave tied values, for the meters whose results
depend on it (APMeter, AUCMeter, NDCGMeter, ClassErrorMeter, PrecisionAtKMeter, MultiLabelConfusionMeter).

TH's sort is Sedgewick's quicksort with a median-of-three pivot, which leaves ties in an order of its own, and its
topk a quickselect (THTensorMath.c). legonn's ``Tensor.sort`` is stable instead, which changes an average
precision or an AUC as soon as scores tie. The Numba kernels of ``torch_order_kernels`` (imported on first use)
replay TH's swaps; positions are 0-based.
"""
import functools
import importlib

import numpy as np

from ...tensor.blas_kernels import check_operands


@functools.cache
def _kernels():
    return importlib.import_module('.torch_order_kernels', __package__)


def _lines(routine, matrix, width):
    """``matrix`` as a C-contiguous float64 2-D array and an int64 result of ``width`` columns per row, both
    checked for the kernels."""
    values = np.ascontiguousarray(matrix, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"{routine}: expected a 2-D array, got shape {values.shape}")
    order = np.empty((values.shape[0], width), dtype=np.int64)
    check_operands(routine, np.float64, ('values', values, values.shape, None))
    check_operands(routine, np.int64, ('order', order, order.shape, None))
    return values, order


def sort_rows(matrix, descending=False):
    """Positions (int64, 0-based, the shape of ``matrix``) that sort each row of a 2-D array as TH's
    ``torch.sort(x, 2, descending)`` does, ties included. Descending is the ascending sort of the negated
    values: quicksortdescend makes the same comparisons with the operands' signs flipped."""
    matrix = np.asarray(matrix)
    values, order = _lines('torch_order.sort_rows', -matrix if descending else matrix, matrix.shape[-1])
    _kernels().sort_lines(values, order)
    return order


def sort_order(values, descending=False):
    """Positions (int64, 0-based) that sort a 1-D array as TH's ``torch.sort(x, 1, descending)``."""
    return sort_rows(np.asarray(values).reshape(1, -1), descending)[0]


def top_rows(matrix, k, sort=True):
    """Positions (int64, rows of k) of the k largest values of each row as TH's ``torch.topk(x, k, 2, true,
    sort)`` leaves them: largest first when ``sort``, else in quickselect's order."""
    values, order = _lines('torch_order.top_rows', matrix, k)
    if not 0 < k <= values.shape[1]:
        raise ValueError(f"torch_order.top_rows: k={k} out of range for rows of {values.shape[1]}")
    _kernels().top_lines(values, sort, order)
    return order
