"""Torch7-style printing: the values, then ``[legonn.FloatTensor of size 2x3]``.

One number format is chosen for the whole tensor the way Torch7 chooses it:
integers without decimals, otherwise four decimals, a common ``1e+05 *`` scale
when the magnitudes are large or small but close together, and exponent
notation when they spread over more than four orders of magnitude. Matrices
wider than 80 characters are cut into ``Columns a to b`` blocks (0-based, as
every index in legonn), tensors of more than two dimensions print one matrix
per ``(i,j,.,.) =`` slice, the first index varying fastest. A tensor of more than ``THRESHOLD`` elements is
summarised as NumPy and PyTorch do: the first and last ``EDGE`` entries of each
long dimension with ``...`` between them, the footer giving the full size.
"""
import math

import numpy as np

from .backend import array_module

WIDTH = 80
THRESHOLD = 1000   # more elements than this are summarised (NumPy's default)
EDGE = 3           # entries kept at each end of a summarised dimension


def _format(values):
    """(printf format, scale or None, cell width) for an array of values, following Torch7's rules. A NaN
    makes Torch7's min and max NaN, so its width is NaN and it writes every value with a plain ``'%f'``
    in one block (width None here); an infinity is a whole number of infinite exponent."""
    if np.isnan(values).any():
        return '%f', None, None
    magnitudes = np.abs(values)
    integral = bool(np.all(magnitudes == np.floor(magnitudes)))

    def exponent(v):
        if math.isinf(v):
            return math.inf
        return math.floor(math.log10(v)) + 1 if v != 0 else 1

    exp_min = exponent(float(magnitudes.min()))
    exp_max = exponent(float(magnitudes.max()))
    if integral:
        if exp_max > 9:
            return '%11.4e', None, 11
        return f'%{exp_max + 1}d', None, exp_max + 1
    if exp_max - exp_min > 4:
        size = 12 if abs(exp_max) > 99 or abs(exp_min) > 99 else 11
        return f'%{size}.4e', None, size
    if exp_max > 5 or exp_max < 0:
        scale = 10.0 ** (exp_max - 1)
        return '%7.4f', (None if scale == 1 else scale), 7
    size = 7 if exp_max == 0 else exp_max + 6
    return f'%{size}.4f', None, size


def _shown(n, summarise):
    """(indices shown along a dimension of size ``n``, position of the ``...`` among them or None)."""
    if not summarise or n <= 2 * EDGE:
        return list(range(n)), None
    return list(range(EDGE)) + list(range(n - EDGE, n)), EDGE


def _cells(row, fmt, gap):
    cells = [fmt % v for v in row]
    if gap is not None:
        cells.insert(gap, '...'.rjust(len(cells[0])))
    return ' '.join(cells)


def _matrix(m, fmt, scale, size, indent='', row_gap=None, col_gap=None):
    """Rows of a 2-D array in Torch7's layout (each line indented, single spaces between cells);
    ``row_gap``/``col_gap`` mark where a summarised matrix skips rows/columns."""
    if scale is not None:
        m = m / scale
    if fmt.endswith('d'):
        m = m.astype(np.int64)
    ncols = m.shape[1]
    per_line = ncols if col_gap is not None or size is None else max((WIDTH - len(indent)) // (size + 1), 1)
    rows = m.tolist()
    pad = indent + (' ' if scale is not None else '')
    blocks = []
    for first in range(0, ncols, per_line):
        last = min(first + per_line, ncols)
        # Tensor.lua indents only the first block's header: the later ones follow a bare newline
        lines = [f"{indent if first == 0 else ''}Columns {first} to {last - 1}"] if per_line < ncols else []
        if scale is not None:
            lines.append(indent + '%g *' % scale)
        body = [pad + _cells(row[first:last], fmt, col_gap) for row in rows]
        if row_gap is not None:
            body.insert(row_gap, pad + '...')
        lines.extend(body)
        blocks.append('\n'.join(lines))
    return '\n\n'.join(blocks)


def _vector(a, fmt, scale, gap):
    """A 1-D array's lines, each ending in a newline: the scale line if any, then one value a line, with
    ``...`` at a summarised vector's ``gap``."""
    values = a if scale is None else a / scale
    if fmt.endswith('d'):
        values = values.astype(np.int64)
    lines = [fmt % v for v in values.tolist()]
    if gap is not None:
        lines.insert(gap, '...')
    lines = (['%g *' % scale] if scale is not None else []) + lines
    return ''.join(line + '\n' for line in lines)


def format_storage(storage):
    """Storage.lua's __tostring__: the values as a vector's (one format, scale line), then
    ``[legonn.FloatStorage of size n]``; a long storage summarised as a long vector."""
    n = storage.size()
    footer = f'[{storage.type()} of size {n}]'
    if n == 0:
        return footer
    idx, gap = _shown(n, n > THRESHOLD)
    data = storage.data
    if gap is not None:
        data = data[array_module(data).asarray(idx)]
    a = np.asarray(data.get() if storage.is_cuda else data, dtype=np.float64)
    fmt, scale, _ = _format(a)
    return _vector(a, fmt, scale, gap) + footer


def format_tensor(t):
    sizes = tuple(t.size())
    if t.nElement() == 0:
        if sizes == (0,):
            return f'[{t.type()} with no dimension]'
        return f"[{t.type()} of size {'x'.join(str(n) for n in sizes)}]"
    a = t.array
    shown = [_shown(n, t.nElement() > THRESHOLD) for n in sizes]
    if any(gap is not None for _, gap in shown):
        # only the shown entries are gathered, formatted (and copied off the GPU)
        xp = t.xp
        a = a[xp.ix_(*(xp.asarray(idx) for idx, _ in shown))]
    if t.is_cuda:
        a = a.get()
    a = np.asarray(a, dtype=np.float64)
    fmt, scale, size = _format(a)
    if a.ndim == 0:
        return f'{fmt % (a.item() if scale is None else a.item() / scale)}\n[{t.type()} of dimension 0]'
    footer = f"[{t.type()} of size {'x'.join(str(n) for n in sizes)}]"
    if a.ndim == 1:
        return _vector(a, fmt, scale, shown[0][1]) + footer
    row_gap, col_gap = shown[-2][1], shown[-1][1]
    if a.ndim == 2:
        return _matrix(a, fmt, scale, size, row_gap=row_gap, col_gap=col_gap) + '\n' + footer
    blocks = []
    lead = shown[:-2]
    # Tensor.lua's Tensor__printTensor (lines 159-177) counts the slices with the *first* leading index
    # varying fastest: a 2x2x1x2 tensor prints (1,1), (2,1), (1,2), (2,2), 1-based there, 0-based here
    for reversed_pos in np.ndindex(*a.shape[-3::-1]):
        pos = reversed_pos[::-1]
        # a block opening the second half of a summarised leading dimension is preceded by '...'
        if any(p == gap and all(q == 0 for q in pos[:d]) for d, (p, (_, gap)) in enumerate(zip(pos, lead))):
            blocks.append('...')
        head = '(' + ','.join(str(idx[p]) for p, (idx, _) in zip(pos, lead)) + ',.,.) = '
        blocks.append(f'{head}\n{_matrix(a[pos], fmt, scale, size, " ", row_gap, col_gap)}')
    return '\n\n'.join(blocks) + '\n' + footer
