"""The argument forms gnuplot.lua's plot, splot, scatter3 and imagesc take, and the command text it sends.

Each ``*_vars`` function parses one Lua table (a Python list or tuple) as gnuplot.lua's ``getvars`` family
does and returns float64 NumPy arrays; each ``*_string`` function builds the same header and inline data
text gnuplot.lua builds (``%g`` numbers, ``'-'`` inline data ended by ``e``).
"""
import numpy as np

from ..tensor import Tensor, as_tensor


def is_tensor(value):
    """A tensor or an array (wrapped without copying), the Lua's ``istensor``."""
    return isinstance(value, Tensor) or (hasattr(value, 'shape') and hasattr(value, 'dtype'))


def values(value):
    """The float64 NumPy array of a tensor or array (a CUDA tensor is copied to the host)."""
    return np.asarray(as_tensor(value).cpu().numpy(), dtype=np.float64)


def _fail(who, expected, t):
    got = ', '.join(type(v).__name__ for v in t)
    raise ValueError(f"gnuplot.{who}: expecting {expected}, got ({got})")


def _first(who, expected, t):
    """``(legend, x)`` from a table's first value: a legend string or the first tensor."""
    if len(t) == 0:
        raise ValueError(f'gnuplot.{who}: empty argument list')
    if isinstance(t[0], str):
        return t[0], None
    if is_tensor(t[0]):
        return None, t[0]
    _fail(who, expected, t)


def plot_vars(t):
    """``(legend, x, y, format)`` from ``[legend,] x [, y] [, format]``, as getvars: a lone vector is
    plotted against 1..n (gnuplot.lua's ``torch.range(1, n)``), an n x 2 matrix is (x, y) columns, an n x 4
    matrix with format ``'v'`` is vectors, an n x k matrix is x and k-1 y columns."""
    expected = '[string,] tensor [,tensor] [,string]'
    (legend, x), y, fmt = _first('plot', expected, t), None, None
    if len(t) >= 2:
        if x is not None and isinstance(t[1], str):
            fmt = t[1]
        elif x is not None and is_tensor(t[1]):
            y = t[1]
        elif legend is not None and is_tensor(t[1]):
            x = t[1]
        else:
            _fail('plot', expected, t)
    if len(t) >= 3:
        if legend is not None and x is not None and is_tensor(t[2]):
            y = t[2]
        elif x is not None and (legend is not None or y is not None) and isinstance(t[2], str):
            fmt = t[2]
        else:
            _fail('plot', expected, t)
    if len(t) == 4:
        if legend is not None and y is not None and isinstance(t[3], str):
            fmt = t[3]
        else:
            _fail('plot', expected, t)
    if len(t) > 4 or x is None:
        _fail('plot', expected, t)
    legend, fmt, x = legend or '', fmt or '', values(x)
    if y is None:
        if x.ndim == 2 and x.shape[1] == 2:
            x, y = x[:, 0], x[:, 1]
        elif x.ndim == 2 and x.shape[1] == 4 and fmt == 'v':
            x, y = x[:, [0, 2]], x[:, [1, 3]]
        elif x.ndim == 2 and x.shape[1] > 1:
            x, y = x[:, 0], x[:, 1:]
        else:
            x, y = np.arange(1, x.shape[0] + 1, dtype=np.float64), x
    else:
        y = values(y)
    if x.ndim not in (1, 2) or y.shape[0] != x.shape[0]:
        raise ValueError(f"gnuplot.plot: x and y dims are wrong: x = {x.ndim}D of {x.shape[0]} rows, "
                         f"y = {y.ndim}D of {y.shape[0]} rows")
    return legend, x, y, fmt


def splot_vars(t):
    """``(legend, x, y, z)`` matrices from ``[legend,] z`` or ``[legend,] x, y, z``, as getsplotvars: a lone
    z gets x = its row number and y = its column number, counted from 1 as gnuplot.lua fills them."""
    expected = '[string,] tensor [,tensor] [,tensor]'
    (legend, x), y, z = _first('splot', expected, t), None, None
    rest = list(t[1:4]) + [None] * 3
    if 2 <= len(t) <= 4:
        if x is not None and is_tensor(rest[0]) and is_tensor(rest[1]):
            y, z = rest[0], rest[1]
        elif legend is not None and all(is_tensor(v) for v in rest[:3]):
            x, y, z = rest[:3]
        elif legend is not None and is_tensor(rest[0]):
            x = rest[0]
        else:
            _fail('splot', expected, t)
    elif len(t) > 4 or x is None:
        _fail('splot', expected, t)
    legend = legend or ''
    if z is None:
        z = values(x)
        x, y = np.indices(z.shape, dtype=np.float64) + 1 if z.ndim == 2 else (z, z)
    else:
        x, y, z = values(x), values(y), values(z)
    if not x.ndim == y.ndim == z.ndim == 2:
        raise ValueError(f"gnuplot.splot: x and y and z are expected to be matrices, got x = {x.ndim}D "
                         f"y = {y.ndim}D z = {z.ndim}D")
    return legend, x, y, z


def scatter3_vars(t):
    """``(legend, x, y, z)`` vectors of one size from ``[legend,] x, y, z``, as getscatter3vars."""
    expected = '[string,] tensor, tensor, tensor'
    named = len(t) > 0 and isinstance(t[0], str)
    tensors = t[1:] if named else t
    if len(tensors) != 3 or not all(is_tensor(v) for v in tensors):
        _fail('scatter3', expected, t)
    x, y, z = (values(v) for v in tensors)
    if not x.ndim == y.ndim == z.ndim == 1 or not x.shape == y.shape == z.shape:
        raise ValueError(f"gnuplot.scatter3: x, y and z must be 1D and the same size, got sizes "
                         f"{x.shape}, {y.shape}, {z.shape}")
    return (t[0] if named else ''), x, y, z


def imagesc_vars(t):
    """``(matrix, palette)`` from ``matrix [, palette]`` (palette ``'gray'`` unless given), as getimagescvars."""
    if not 1 <= len(t) <= 2 or not is_tensor(t[0]) or (len(t) == 2 and not isinstance(t[1], str)):
        _fail('imagesc', 'tensor [,string]', t)
    x = values(t[0])
    if x.ndim != 2:
        raise ValueError(f"gnuplot.imagesc: x is expected to be a matrix, got {x.ndim}D")
    return x, (t[1] if len(t) == 2 else 'gray')


def plot_format(fmt):
    """``(gnuplot style text, acsplines coefficient or None, vectors?)`` of a plot format, as gformat:
    ``'+'`` points, ``'.'`` dots, ``'-'`` lines, ``'+-'`` linespoints, ``'|'`` boxes, ``'~'`` smooth
    csplines, ``'~0.5'`` smooth acsplines with that weight, ``'v'`` vectors; anything else is sent as it is."""
    coef = None
    if (fmt != '~' and '~' in fmt) or 'acsplines' in fmt:
        text = fmt.replace('~', '').replace('acsplines', '')
        try:
            coef = float(text)
        except ValueError:
            coef = None
        fmt = 'acsplines'
    named = {'': '', '+': 'with points', 'points': 'with points', '.': 'with dots', 'dots': 'with dots',
             '-': 'with lines', 'lines': 'with lines', '+-': 'with linespoints', 'linespoints': 'with linespoints',
             '|': 'with boxes', 'boxes': 'with boxes', '~': 'smooth csplines', 'csplines': 'smooth csplines',
             'acsplines': 'smooth acsplines', 'V': 'with vectors', 'v': 'with vectors', 'vectors': 'with vectors'}
    style = named.get(fmt, fmt)
    return style, coef, style == 'with vectors'


def _g(v):
    return '%g' % v


def plot_string(curves):
    """gnuplot.lua's ``gnuplot_string``: the ``plot`` header and inline data of ``(legend, x, y, format)``
    curves."""
    header, data = [], []
    for legend, x, y, fmt in curves:
        style, coef, vectors = plot_format(fmt)
        header.append(f" '-' title '{legend}' {style}")
        for j in range(x.shape[0]):
            if coef is not None:
                row = [x[j], y[j], coef]
            elif vectors:
                row = [x[j][0], y[j][0], x[j][1], y[j][1]]
            elif y.ndim == 1:
                row = [x[j], y[j]]
            else:
                data.append(''.join(_g(v) + ' ' for v in [x[j], *y[j]]) + '\n')
                continue
            data.append(' '.join(map(_g, row)) + '\n')
        data.append('e\n')
    return 'plot ' + ' , '.join(header) + '\n', ''.join(data)


def splot_string(curves):
    """gnuplot.lua's ``gnu_splot_string``: contour and hidden3d settings, then ``splot`` of ``(legend, x, y,
    z)`` surfaces, one data block per row of the matrices."""
    header = ('set contour base\n' + ''.join(s + '\n\n' for s in (
        'set cntrparam bspline', 'set cntrparam levels auto', 'set style data lines', 'set hidden3d')))
    header += 'splot ' + ' , '.join(f" '-'title '{legend}' with lines" for legend, *_ in curves) + '\n'
    data = []
    for _, x, y, z in curves:
        for j in range(x.shape[0]):
            data.extend(f'{_g(x[j, k])} {_g(y[j, k])} {_g(z[j, k])}\n' for k in range(x.shape[1]))
            data.append('\n')
        data.append('e\n')
    return header, ''.join(data)


def scatter3_string(curves):
    """gnuplot.lua's ``gnu_scatter3_string``: ``splot`` of ``(legend, x, y, z)`` point clouds."""
    header = 'set contour base\n' + ''.join(s + '\n\n' for s in ('set style data points', 'set hidden3d'))
    header += 'splot ' + ' , '.join(f" '-'title '{legend}' with points" for legend, *_ in curves) + '\n'
    data = []
    for _, x, y, z in curves:
        data.extend(f'{_g(a)} {_g(b)} {_g(c)}\n' for a, b, c in zip(x, y, z))
        data.append('e\n')
    return header, ''.join(data)


def imagesc_string(x, palette):
    """gnuplot.lua's ``gnu_imagesc_string``: a map view of the matrix ``x`` (row 0 at the top) in
    ``palette``, pixel centres at 0..w-1 and 0..h-1."""
    h, w = x.shape
    header = (f'set view map\nset palette {palette}\nset style data linespoints\n'
              f'set xrange [ -0.5 : {_g(w - 0.5)}] noreverse nowriteback\n'
              f'set yrange [ -0.5 : {_g(h - 0.5)}] reverse nowriteback\n'
              "splot '-' matrix with image\n")
    data = ''.join(''.join(_g(v) + ' ' for v in row) + '\n' for row in x) + 'e\ne\n'
    return header, data
