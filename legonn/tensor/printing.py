"""Torch7-style printing: the values, then ``[legonn.FloatTensor of size 2x3]``."""
import numpy as np


def _format_matrix(m):
    """Rows of a 2-D NumPy array, columns aligned, integers without decimals."""
    if m.dtype.kind == 'f':
        finite = m[np.isfinite(m)]
        integral = finite.size == 0 or np.all(finite == np.round(finite))
        big = finite.size and np.max(np.abs(finite)) >= 1e5
        fmt = ('{:.0f}' if integral and not big else '{:.4e}' if big else '{:.4f}')
    else:
        fmt = '{}'
    cells = [[fmt.format(v) for v in row] for row in m.tolist()]
    width = max((len(c) for row in cells for c in row), default=0)
    return '\n'.join(' ' + '  '.join(c.rjust(width) for c in row) for row in cells)


def format_tensor(t):
    footer = f"[{t.type()} of size {'x'.join(str(n) for n in t.size())}]"
    if t.nElement() == 0:
        return f"[{t.type()} with no elements, size {tuple(t.size())}]"
    a = t.array
    if t.is_cuda:
        a = a.get()
    if a.ndim == 0:
        return f"{_format_matrix(a.reshape(1, 1))}\n{footer}"
    if a.ndim == 1:
        return f"{_format_matrix(a.reshape(-1, 1))}\n{footer}"
    if a.ndim == 2:
        return f"{_format_matrix(a)}\n{footer}"
    blocks = []
    for idx in np.ndindex(*a.shape[:-2]):
        head = '(' + ','.join(str(i) for i in idx) + ',.,.) = '
        blocks.append(f"{head}\n{_format_matrix(a[idx])}")
    return '\n\n'.join(blocks) + '\n' + footer
