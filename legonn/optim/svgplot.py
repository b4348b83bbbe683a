"""A small SVG line-plot writer for ``Logger.plot`` (pure Python, no plotting library).

One ``<polyline>`` per curve, optional point markers as one ``<path>`` per
curve, labelled axes with about five ticks each (whole numbers on the x axis,
which counts rows), a light grid, a legend and a title.
"""
import math
from xml.sax.saxutils import escape

COLOURS = ('#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf')
WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 170, 40, 50
PW, PH = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM    # the plot area


def _ticks(lo, hi, count=5, integer=False):
    """Round tick positions covering ``[lo, hi]``; with ``integer``, whole numbers only (no 2.5 rows)."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    if integer:
        raw = max(raw, 1)
    mag = 10 ** math.floor(math.log10(raw))
    multiples = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * mag for m in multiples if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def _label(v):
    return f'{v:.4g}'


def _opening(title):
    """The ``<svg>`` element's opening, the white background and the title."""
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
            f'<text x="{LEFT + PW / 2:.1f}" y="{TOP - 15}" text-anchor="middle" font-size="13">{escape(title)}</text>']


def _frame(xlabel, ylabel):
    """The plot area's border and the axis labels (the y label turned to read upwards)."""
    return [f'<rect x="{LEFT}" y="{TOP}" width="{PW}" height="{PH}" fill="none" stroke="black"/>',
            f'<text class="xlabel" x="{LEFT + PW / 2:.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
            f'{escape(xlabel)}</text>',
            f'<text class="ylabel" x="0" y="0" text-anchor="middle" '
            f'transform="translate(16 {TOP + PH / 2:.1f}) rotate(-90)">{escape(ylabel)}</text>']


def line_plot(path, series, title='', logscale=False, xlabel='', ylabel=''):
    """Write an SVG line plot of ``series`` to ``path``.

    series: ``(name, ys, style)`` triples, ``ys`` plotted against 1..len(ys);
    style ``'-'`` draws a line, ``'+'`` or ``'.'`` point markers on the line,
    ``'+-'`` both (a one-point curve always gets a marker). With ``logscale``
    the y axis is log10 (values <= 0 dropped). ``xlabel``/``ylabel`` name the axes.
    """
    curves = [(name, [(i + 1, y) for i, y in enumerate(ys)], style) for name, ys, style in series]
    return write(path, figure_svg(curves, title=title, logscale=logscale, xlabel=xlabel, ylabel=ylabel))


def write(path, text):
    """Write the SVG ``text`` to ``path`` (UTF-8); returns ``path``."""
    with open(path, 'w', encoding='utf-8') as fh:
        fh.write(text)
    return path


def figure_svg(curves, title='', logscale=False, xlabel='', ylabel='', integer_x=True, grid=True,
               xrange=None, yrange=None):
    """The SVG text of a plot of ``curves``: ``(name, [(x, y), ...], style)``, style as ``line_plot``'s or
    ``'points'``/``'dots'`` (markers only) or ``'boxes'`` (bars from 0, as wide as the closest x's are apart).
    ``integer_x``: whole-number x ticks; ``grid``: grid lines at the ticks; ``xrange``/``yrange``: fixed
    ``(lo, hi)`` axes (points outside dropped) instead of the data's extent."""
    def kept(x, y):
        return (math.isfinite(x) and math.isfinite(y) and (not logscale or y > 0)
                and (xrange is None or xrange[0] <= x <= xrange[1])
                and (yrange is None or yrange[0] <= (math.log10(y) if logscale else y) <= yrange[1]))
    curves = [(name, [(float(x), math.log10(float(y)) if logscale else float(y)) for x, y in pts
                      if kept(float(x), float(y))], style) for name, pts, style in curves]
    xs = [p[0] for _, pts, _ in curves for p in pts] or [1]
    ys = [p[1] for _, pts, _ in curves for p in pts] or [0]
    half = _box_halfwidth(curves)
    if half:
        xs, ys = xs + [min(xs) - half, max(xs) + half], ys + [0]
    x_lo, x_hi = xrange or (min(xs), max(max(xs), min(xs) + 1))
    y_lo, y_hi = yrange or (min(ys), max(ys))
    if y_hi == y_lo:
        y_lo, y_hi = y_lo - 0.5, y_hi + 0.5

    def sx(x):
        return LEFT + (x - x_lo) / (x_hi - x_lo) * PW

    def sy(y):
        return TOP + PH - (y - y_lo) / (y_hi - y_lo) * PH

    out = _opening(title)
    for t in _ticks(y_lo, y_hi):
        y = sy(t)
        text = _label(10 ** t) if logscale else _label(t)
        if grid:
            out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PW}" y2="{y:.1f}" stroke="#e0e0e0"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
    for t in _ticks(x_lo, x_hi, integer=integer_x):
        x = sx(t)
        if grid:
            out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + PH}" stroke="#e0e0e0"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + PH + 16}" text-anchor="middle">{_label(t)}</text>')
    out.extend(_frame(xlabel, ylabel + (' (log scale)' if logscale else '')))
    for k, (name, pts, style) in enumerate(curves):
        colour = COLOURS[k % len(COLOURS)]
        if style == 'boxes':
            base = sy(min(max(0, y_lo), y_hi))
            out.extend(f'<rect class="box" x="{sx(x - half):.2f}" y="{min(sy(y), base):.2f}" '
                       f'width="{sx(x + half) - sx(x - half):.2f}" height="{abs(base - sy(y)):.2f}" '
                       f'fill="none" stroke="{colour}"/>' for x, y in pts)
        elif style not in ('points', 'dots'):
            coords = ' '.join(f'{sx(x):.2f},{sy(y):.2f}' for x, y in pts)
            dashed = '' if '-' in style or not ({'+', '.'} & set(style)) else ' stroke-opacity="0.35"'
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5"{dashed} points="{coords}">'
                       f'<title>{escape(str(name))}</title></polyline>')
        if style in ('points', 'dots') or (style != 'boxes' and ({'+', '.'} & set(style) or len(pts) == 1)):
            r = 3 if '+' in style or style == 'points' else 1.5
            marks = ''.join(f'M{sx(x) - r:.2f},{sy(y):.2f}h{2 * r}M{sx(x):.2f},{sy(y) - r:.2f}v{2 * r}'
                            for x, y in pts)
            out.append(f'<path class="markers" d="{marks}" stroke="{colour}" fill="none"/>')
        ly = TOP + 12 + 18 * k
        out.append(f'<line x1="{LEFT + PW + 12}" y1="{ly}" x2="{LEFT + PW + 36}" y2="{ly}" stroke="{colour}" '
                   f'stroke-width="2"/>')
        out.append(f'<text x="{LEFT + PW + 42}" y="{ly + 4}">{escape(str(name))}</text>')
    out.append('</svg>')
    return '\n'.join(out) + '\n'


def _box_halfwidth(curves):
    """Half the smallest gap between the x's of the ``'boxes'`` curves (0.5 for one box; 0 without boxes)."""
    if not any(style == 'boxes' for _, _, style in curves):
        return 0
    xs = sorted({x for _, pts, style in curves if style == 'boxes' for x, _ in pts})
    gaps = [b - a for a, b in zip(xs, xs[1:])]
    return min(gaps) / 2 if gaps else 0.5


def image_svg(colours, title='', xlabel='', ylabel=''):
    """The SVG text of an image: ``colours`` rows of ``'#rrggbb'`` cells (row 0 at the top), one ``<rect>``
    per cell, filling the plot area, with about five ticks on each axis at the 0-based cell centres."""
    rows, cols = len(colours), len(colours[0])
    cw, ch = PW / cols, PH / rows
    out = _opening(title)
    for i, row in enumerate(colours):
        out.extend(f'<rect class="cell" x="{LEFT + j * cw:.2f}" y="{TOP + i * ch:.2f}" width="{cw:.2f}" '
                   f'height="{ch:.2f}" fill="{colour}"/>' for j, colour in enumerate(row))
    for t in _ticks(0, rows - 1, integer=True):
        out.append(f'<text x="{LEFT - 6}" y="{TOP + (t + 0.5) * ch + 4:.1f}" text-anchor="end">{_label(t)}</text>')
    for t in _ticks(0, cols - 1, integer=True):
        out.append(f'<text x="{LEFT + (t + 0.5) * cw:.1f}" y="{TOP + PH + 16}" text-anchor="middle">'
                   f'{_label(t)}</text>')
    out.extend(_frame(xlabel, ylabel))
    out.append('</svg>')
    return '\n'.join(out) + '\n'
