"""The order in which Torch7's ``torch.sort`` and ``torch.topk`` leave tied values, for the meters whose results
depend on it (APMeter, AUCMeter, NDCGMeter, ClassErrorMeter, PrecisionAtKMeter, MultiLabelConfusionMeter).

TH's sort is Sedgewick's quicksort with a median-of-three pivot, which leaves ties in an order of its own, and its
topk a quickselect (THTensorMath.c, ``quicksortascend``/``quicksortdescend``/``quickselect``). legonn's
``Tensor.sort`` is stable instead, which changes an average precision or an AUC as soon as scores tie. The
functions here replay TH's swaps on a line of values (a Python loop) when the line has ties or NaNs; a line of
distinct values has one sorted order, which NumPy's argsort gives. Positions are 0-based.
"""
import numpy as np

# quicksort's threshold under which a subfile is left to the final insertion pass (THTensorMath.c's M_SMALL)
_SMALL = 10


def _swap(arr, idx, a, b):
    arr[a], arr[b] = arr[b], arr[a]
    idx[a], idx[b] = idx[b], idx[a]


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


def _quicksort(arr, idx):
    """TH's quicksortascend, in place on the lists ``arr`` (values) and ``idx`` (their positions)."""
    n = len(arr)
    stack, left, right = [], 0, n - 1
    done = n - 1 <= _SMALL
    while not done:
        i, j = _partition(arr, idx, left, right)
        size_left, size_right = j - left, right - i + 1
        if size_left <= _SMALL and size_right <= _SMALL:
            if stack:
                left, right = stack.pop()
            else:
                done = True
        elif size_left <= _SMALL or size_right <= _SMALL:
            # go on with the large subfile; the small one waits for the insertion pass
            if size_left > size_right:
                right = j - 1
            else:
                left = i
        elif size_left > size_right:
            stack.append((left, j - 1))
            left = i
        else:
            stack.append((i, right))
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


def _quickselect(arr, idx, k):
    """TH's quickselect: the k-th smallest (0-based) at position k, smaller ones before it, in place."""
    left, right = 0, len(arr) - 1
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


def _sorted_line(values, descending):
    """TH's sort order of one line (a 1-D float64 array). Descending is the ascending sort of the negated values:
    quicksortdescend makes the same comparisons with the operands' signs flipped."""
    arr = (-values if descending else values).tolist()
    idx = list(range(len(arr)))
    _quicksort(arr, idx)
    return idx


def _top_line(values, k, sort):
    """TH's topk(k, largest) positions for one line: a quickselect, then (``sort``) a descending quicksort of the
    k largest."""
    arr, idx = values.tolist(), list(range(len(values)))
    first = len(arr) - k
    if first > 0:
        _quickselect(arr, idx, first - 1)
    if not sort:
        return idx[first:]
    top = idx[first:]
    order = _sorted_line(np.asarray(arr[first:], dtype=np.float64), True)
    return [top[p] for p in order]


def _plain_lines(matrix):
    """Which rows of ``matrix`` have neither ties nor NaNs, so that any correct sort of them is TH's."""
    if matrix.shape[1] < 2:
        return np.ones(matrix.shape[0], dtype=bool)
    ordered = np.sort(matrix, axis=1)
    return ~(np.any(ordered[:, 1:] == ordered[:, :-1], axis=1) | np.isnan(ordered[:, -1]))


def sort_rows(matrix, descending=False):
    """Positions (int64, 0-based, the shape of ``matrix``) that sort each row of a 2-D array as TH's
    ``torch.sort(x, 2, descending)`` does, ties included."""
    matrix = np.asarray(matrix, dtype=np.float64)
    key = -matrix if descending else matrix
    order = np.argsort(key, axis=1, kind='stable')
    for row in np.flatnonzero(~_plain_lines(matrix)):
        order[row] = _sorted_line(matrix[row], descending)
    return order.astype(np.int64)


def sort_order(values, descending=False):
    """Positions (int64, 0-based) that sort a 1-D array as TH's ``torch.sort(x, 1, descending)``."""
    return sort_rows(np.asarray(values).reshape(1, -1), descending)[0]


def top_rows(matrix, k, sort=True):
    """Positions (int64, rows of k) of the k largest values of each row as TH's ``torch.topk(x, k, 2, true,
    sort)`` leaves them: largest first when ``sort``, else in quickselect's order (which every row keeps, since
    no other order is TH's)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if sort:
        order = np.argsort(-matrix, axis=1, kind='stable')[:, :k]
        rows = np.flatnonzero(~_plain_lines(matrix))
    else:
        order = np.empty((matrix.shape[0], k), dtype=np.int64)
        rows = range(matrix.shape[0])
    for row in rows:
        order[row] = _top_line(matrix[row], k, sort)
    return order.astype(np.int64)
