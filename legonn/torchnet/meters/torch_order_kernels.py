"""TH's quicksort and quickselect (THTensorMath.c's ``quicksortascend`` and ``quickselect``), compiled by Numba
(serial, ``nogil``, cached on disk), replaying TH's swaps so that tied values end where Torch7 leaves them.

Called only through ``torch_order``, which checks every operand first (``blas_kernels.check_operands``). Bounds
checks stay on: the partition loops stop on sentinels that the median-of-three puts in place, which NaNs can
defeat, as in TH; here that is an IndexError instead of a read outside the line.
"""
import numpy as np
from numba import njit

kernel = njit(nogil=True, cache=True, boundscheck=True)

# quicksort's threshold under which a subfile is left to the final insertion pass (THTensorMath.c's M_SMALL)
_SMALL = 10


@kernel
def _swap(arr, idx, a, b):
    arr[a], arr[b] = arr[b], arr[a]
    idx[a], idx[b] = idx[b], idx[a]


@kernel
def _partition(arr, idx, left, right):
    """TH's median-of-three partition of ``arr[left..right]``: returns (i, j), the pivot ends at j."""
    _swap(arr, idx, (left + right) >> 1, left + 1)
    if arr[left + 1] > arr[right]:
        _swap(arr, idx, left + 1, right)
    if arr[left] > arr[right]:
        _swap(arr, idx, left, right)
    if arr[left + 1] > arr[left]:
        _swap(arr, idx, left + 1, left)
    i, j, pivot = left + 1, right, arr[left]
    while True:
        i += 1
        while arr[i] < pivot:
            i += 1
        j -= 1
        while arr[j] > pivot:
            j -= 1
        if j < i:
            break
        _swap(arr, idx, i, j)
    _swap(arr, idx, left, j)
    return i, j


@kernel
def _quicksort(arr, idx):
    """TH's quicksortascend of ``arr`` (values) and ``idx`` (their positions), in place."""
    n = arr.shape[0]
    # the larger subfile waits on the stack, so it holds at most log2(n) entries
    stack = np.empty((64, 2), dtype=np.int64)
    depth, left, right = 0, 0, n - 1
    done = n - 1 <= _SMALL
    while not done:
        i, j = _partition(arr, idx, left, right)
        size_left, size_right = j - left, right - i + 1
        if size_left <= _SMALL and size_right <= _SMALL:
            if depth == 0:
                done = True
            else:
                depth -= 1
                left, right = stack[depth, 0], stack[depth, 1]
        elif size_left <= _SMALL or size_right <= _SMALL:
            # go on with the large subfile; the small one waits for the insertion pass
            if size_left > size_right:
                right = j - 1
            else:
                left = i
        elif size_left > size_right:
            stack[depth, 0], stack[depth, 1] = left, j - 1
            depth += 1
            left = i
        else:
            stack[depth, 0], stack[depth, 1] = i, right
            depth += 1
            right = j - 1
    for i in range(n - 2, -1, -1):
        if arr[i] > arr[i + 1]:
            value, position, j = arr[i], idx[i], i + 1
            while True:
                arr[j - 1], idx[j - 1] = arr[j], idx[j]
                j += 1
                if not (j < n and arr[j] < value):
                    break
            arr[j - 1], idx[j - 1] = value, position


@kernel
def _quickselect(arr, idx, k):
    """TH's quickselect: the k-th smallest (0-based) at position k, smaller ones before it, in place."""
    left, right = 0, arr.shape[0] - 1
    while right > left:
        if right == left + 1:
            if arr[left] > arr[right]:
                _swap(arr, idx, left, right)
            return
        i, j = _partition(arr, idx, left, right)
        if j <= k:
            left = i
        if j >= k:
            right = j - 1


@kernel
def sort_lines(values, order):
    """order[r] = the positions that sort values[r] ascending as TH's quicksort (values (rows, n) float64,
    order (rows, n) int64, both C-contiguous)."""
    for r in range(values.shape[0]):
        arr = values[r].copy()
        for p in range(arr.shape[0]):
            order[r, p] = p
        _quicksort(arr, order[r])


@kernel
def top_lines(values, sort, order):
    """order[r] = the positions of the k largest of values[r] (k = order's width) as THTensor_(topk) with dir = 1
    leaves them: a quickselect, then (``sort``) a descending quicksort of those k, which is the ascending one of
    their negated values (quicksortdescend makes the same comparisons with the operands' signs flipped)."""
    n, k = values.shape[1], order.shape[1]
    first = n - k
    for r in range(values.shape[0]):
        arr = values[r].copy()
        idx = np.arange(n)
        if first > 0:
            _quickselect(arr, idx, first - 1)
        top, positions = -arr[first:], idx[first:].copy()
        if sort:
            _quicksort(top, positions)
        order[r] = positions
