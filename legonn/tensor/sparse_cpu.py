"""Sparse rows times a dense matrix on the CPU, compiled by Numba (serial, ``nogil``, cached on disk).

Called only through ``sparse_kernels.add_rows_product``, which checks every operand first: the kernel
indexes without bounds checks.
"""
from numba import njit

kernel = njit(nogil=True, cache=True, boundscheck=False, error_model='numpy')


@kernel
def add_rows_product(out, ends, rows, vals, weight, first):
    """out[b, k] += weight[rows[e], first + k] * vals[e] for each entry e of sample b (entries
    ends[b - 1] to ends[b] - 1, ends[-1] counting as 0), the entries added in order."""
    start, width = 0, out.shape[1]
    for b in range(ends.shape[0]):
        for e in range(start, ends[b]):
            r, v = rows[e], vals[e]
            for k in range(width):
                out[b, k] += weight[r, first + k] * v
        start = ends[b]
