"""legonn's own drawing of a figure when the gnuplot program is absent: the figure's last plot and its
settings as optim.Logger's SVG plot (``legonn.optim.svgplot``), saved as SVG or, through Pillow, as PNG.

What gnuplot would draw and this does: curves in each format (``'~'`` smoothing drawn as straight lines
through the points sorted by x; of a several-column y only the first column, as gnuplot's default
``using 1:2``), boxes, title, axis labels, grid, log y, fixed axis ranges, ``imagesc`` in the gray or color
palette (gnuplot's default ``rgbformulae 7,5,15``) scaled from the matrix's minimum to its maximum, and
``splot`` as a top view of z in color. Not drawn: vectors and ``scatter3`` (an error), the legend's place,
``axis('image')``, and ``raw`` commands.
"""
import numpy as np

from ..optim import svgplot
from . import raster
from .commands import plot_format

_STYLES = {'': '+-', 'with points': 'points', 'with dots': 'dots', 'with lines': '-',
           'with linespoints': '+-', 'with boxes': 'boxes', 'smooth csplines': '-', 'smooth acsplines': '-'}


def palette_colours(x, palette):
    """``'#rrggbb'`` rows for the matrix ``x`` scaled to [0, 1] from its minimum to its maximum: gray, or
    gnuplot's default colour formulae (red sqrt(v), green v**3, blue sin(2 pi v), clipped to [0, 1])."""
    lo, hi = float(x.min()), float(x.max())
    v = (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
    if palette == 'gray':
        rgb = np.stack([v, v, v], axis=-1)
    else:
        rgb = np.clip(np.stack([np.sqrt(v), v ** 3, np.sin(2 * np.pi * v)], axis=-1), 0, 1)
    codes = np.rint(rgb * 255).astype(int)
    return [['#%02x%02x%02x' % tuple(c) for c in row] for row in codes]


def _plot_svg(curves, settings):
    drawn = []
    for legend, x, y, fmt in curves:
        style, coef, vectors = plot_format(fmt)
        if vectors:
            raise RuntimeError("gnuplot.plot: vectors ('v') are drawn by the gnuplot program only, which is "
                               "not on PATH")
        y = y if y.ndim == 1 else y[:, 0]
        pts = list(zip(x.tolist(), y.tolist()))
        if style.startswith('smooth'):
            pts.sort()
        drawn.append((legend, pts, _STYLES.get(style, '-')))
    return svgplot.figure_svg(drawn, title=settings.get('title', ''), xlabel=settings.get('xlabel', ''),
                              ylabel=settings.get('ylabel', ''), logscale=settings.get('logscale', False),
                              integer_x=False, grid=settings.get('grid', False),
                              xrange=settings.get('xrange'), yrange=settings.get('yrange'))


def svg_text(fig):
    """The SVG text of ``fig``'s last plot with its settings."""
    kind, payload = fig.drawing
    s = fig.settings
    if kind == 'plot':
        return _plot_svg(payload, s)
    if kind == 'imagesc':
        matrix, palette = payload
    elif kind == 'splot':
        matrix, palette = payload[0][3], 'color'
    else:
        raise RuntimeError(f"gnuplot.{kind}: drawn by the gnuplot program only, which is not on PATH")
    return svgplot.image_svg(palette_colours(matrix, palette), title=s.get('title', ''),
                             xlabel=s.get('xlabel', ''), ylabel=s.get('ylabel', ''))


def save(fig, fname, fmt=None):
    """Draw ``fig`` into ``fname``: SVG when ``fmt`` (else ``fname``'s suffix) is ``'svg'``, else PNG
    (needs Pillow, the ``image`` extra)."""
    fmt = fmt or ('svg' if fname.lower().endswith('.svg') else 'png')
    text = svg_text(fig)
    if fmt == 'svg':
        svgplot.write(fname, text)
    else:
        raster.svg_to_png(text, fname)
