"""gnuplot.lua's plots into the current figure: ``plot`` (curves), ``bar``, ``splot`` (surfaces),
``scatter3`` (3-D points) and ``imagesc`` (a matrix as an image). Each sends the header, then the inline
data, and remembers what was plotted for legonn's own drawing when the program is absent."""
from . import commands
from .figures import current


def _curves(args, parse, empty):
    if not args:
        raise ValueError(empty)
    if isinstance(args[0], (list, tuple)):
        # plot({..}, {..}) and plot({{..}, {..}}): one table per curve
        tables = args[0] if args[0] and isinstance(args[0][0], (list, tuple)) else args
        return [parse(t) for t in tables]
    return [parse(args)]


def _send(kind, payload, text):
    fig = current()
    header, data = text
    fig.write(header)
    fig.write(data)
    fig.drawing = (kind, payload)


def plot(*args):
    """Curves: ``plot(y)`` (against 1..n), ``plot(x, y)``, ``plot(x, y, '+')``, ``plot(m)`` (an n x 2 matrix
    of x, y), ``plot(['name', x, y, '-'], ['name2', x, y2, '+'])`` or one list of such lists. Formats: ``'+'``
    points, ``'.'`` dots, ``'-'`` lines, ``'+-'`` both, ``'|'`` boxes, ``'~'`` smoothed, ``'v'`` vectors, or
    gnuplot's own style text."""
    curves = _curves(args, commands.plot_vars, 'gnuplot.plot: no inputs, expecting at least a vector')
    _send('plot', curves, commands.plot_string(curves))


def bar(*args):
    """``plot`` of ``y`` or ``(x, y)`` as boxes."""
    plot(list(args) + ['|'])


def splot(*args):
    """Surfaces: ``splot(z)`` (a matrix over its row and column numbers from 1), ``splot(x, y, z)``,
    ``splot(['name', x, y, z], ...)``."""
    curves = _curves(args, commands.splot_vars, 'gnuplot.splot: no inputs, expecting at least a matrix')
    _send('splot', curves, commands.splot_string(curves))


def scatter3(*args):
    """3-D points: ``scatter3(x, y, z)`` or ``scatter3(['name', x, y, z], ...)`` of vectors of one size."""
    curves = _curves(args, commands.scatter3_vars, 'gnuplot.scatter3: no inputs, expecting at least a matrix')
    _send('scatter3', curves, commands.scatter3_string(curves))


def imagesc(*args):
    """A matrix as an image, coloured from its minimum to its maximum with the palette ``'gray'`` (the
    default) or ``'color'`` (or any gnuplot palette text, drawn as ``'color'`` without the program)."""
    if not args:
        raise ValueError('gnuplot.imagesc: no inputs, expecting at least a matrix')
    x, palette = commands.imagesc_vars(args)
    _send('imagesc', (x, palette), commands.imagesc_string(x, palette))
