"""Sparse rows (a batch of (row, value) entry lists) times a dense matrix, as IndexLinear's forward needs it:
without the (entries x columns) products a gather-then-scatter makes.

The entries of sample b are the run ``ends[b - 1]`` to ``ends[b] - 1`` of ``rows`` and ``vals`` (CSR's row
pointers, the leading 0 left out). On the CPU a Numba kernel (``sparse_cpu``) takes float32 and float64; on
the GPU an ElementwiseKernel runs one thread per output element. Both add a sample's entries in order, one
product at a time, as the loop of THNN's IndexLinear.c; other element types (the CPU's float16) and the GPU
under ``LEGONN_GENERIC_KERNELS=1`` take the gather-then-scatter path, which adds the same products in the
same order on the CPU.
"""
import importlib

import numpy as np

from . import cuda_kernels
from .backend import array_module
from .blas_kernels import check_operands
from .scatter_kernels import scatter_add

# one thread per out[b, k]; ends, rows and the flat weight are indexed by hand (the weight's row pitch ``ld``)
_gpu_add_rows_product = cuda_kernels.declare(
    'add_rows_product', 'raw int64 ends, raw int64 rows, raw T vals, raw T weight, int32 ld, int32 first, int32 width',
    'T out',
    'long long b = i / width, k = i % width;'
    'T sum = out;'
    'for (long long e = b ? ends[b - 1] : 0; e < ends[b]; ++e) sum += weight[rows[e] * ld + first + k] * vals[e];'
    'out = sum;')


def add_rows_product(out, ends, rows, vals, weight, first=0):
    """``out[b] += sum over sample b's entries e of vals[e] * weight[rows[e], first:first + width]``; returns ``out``.

    ``out`` (n, width) is written in place; ``ends`` (n,) int64, non-decreasing, ending at the number of
    entries; ``rows`` (entries,) int64 rows of ``weight`` (R, C) with ``first + width <= C``; ``vals``
    (entries,) of ``weight``'s type. Raises ValueError/TypeError naming the operand that does not fit; on the
    GPU the contents of ``ends`` and ``rows`` are trusted (reading them would stop the device's queue), so a
    caller range-checks them first, as IndexLinear does.
    """
    xp = array_module(out)
    n, width = out.shape
    where = 'sparse_kernels.add_rows_product'
    if ends.shape != (n,) or rows.shape != vals.shape or rows.ndim != 1 or weight.ndim != 2 \
            or not 0 <= first <= weight.shape[1] - width:
        raise ValueError(f"{where}: expected ends ({n},), rows and vals of one length and columns {first} to "
                         f"{first + width} of a matrix; got ends {ends.shape}, rows {rows.shape}, vals {vals.shape},"
                         f" weight {weight.shape}")
    if xp is np and out.dtype in (np.float32, np.float64):
        # the kernel takes C-contiguous operands: a strided view is copied (the weight is one already, as a rule)
        ends, rows, vals, weight = (np.ascontiguousarray(a) for a in (ends, rows, vals, weight))
        check_operands(where, out.dtype, ('out', out, out.shape, None), ('vals', vals, vals.shape, None),
                       ('weight', weight, weight.shape, None))
        check_operands(where, np.int64, ('ends', ends, ends.shape, None), ('rows', rows, rows.shape, None))
        # the kernel reads where these point: refuse what would take it outside its arrays
        if (ends[-1] if n else 0) != rows.size or (n and (ends[0] < 0 or (ends[1:] < ends[:-1]).any())):
            raise ValueError(f"{where}: ends must rise from 0 to the {rows.size} entries")
        if rows.size and (rows.min() < 0 or rows.max() >= weight.shape[0]):
            raise ValueError(f"{where}: rows must lie in [0, {weight.shape[0]}), got [{rows.min()}, {rows.max()}]")
        importlib.import_module('.sparse_cpu', __package__).add_rows_product(out, ends, rows, vals, weight, first)
    elif xp is not np and cuda_kernels.enabled():
        # flat (a view unless the weight is strided), so that the kernel's row pitch is its second size
        _gpu_add_rows_product(ends, rows, vals, weight.reshape(-1), np.int32(weight.shape[1]), np.int32(first),
                              np.int32(width), out)
    else:
        samples = xp.searchsorted(ends, xp.arange(rows.size), side='right')   # the sample of each entry
        scatter_add(out, samples, weight[rows, first:first + width] * vals[:, None])
    return out
