"""gnuplot.lua's settings of the current figure: labels, title, grid, log scale, legend place, axes. Each
sends its ``set``/``unset`` command, then redraws the figure (gnuplot 4.4 and later, as gnuplot.lua)."""
from ..tensor.introspection import tostring
from .figures import current, table


def _apply(who, commands, **settings):
    if not table.find().hasrefresh:
        print(f'gnuplot.{who} disabled')
        return
    fig = current()
    for command in commands:
        fig.write(command)
    fig.settings.update(settings)
    fig.refresh()


def xlabel(label):
    """Name the x axis."""
    _apply('xlabel', [f'set xlabel "{label}"'], xlabel=label)


def ylabel(label):
    """Name the y axis."""
    _apply('ylabel', [f'set ylabel "{label}"'], ylabel=label)


def zlabel(label):
    """Name the z axis (3-D plots)."""
    _apply('zlabel', [f'set zlabel "{label}"'], zlabel=label)


def title(label):
    """Title the figure."""
    _apply('title', [f'set title "{label}"'], title=label)


def grid(toggle):
    """Draw the grid when ``toggle`` is true, else remove it."""
    _apply('grid', ['set grid' if toggle else 'unset grid'], grid=bool(toggle))


def logscale(toggle):
    """Make the y axis logarithmic when ``toggle`` is true, else linear."""
    _apply('logscale', ['set logscale y' if toggle else 'unset logscale y'], logscale=bool(toggle))


def movelegend(hloc, vloc):
    """Put the legend at ``hloc`` (left, right, center) and ``vloc`` (bottom, top, middle)."""
    if hloc not in ('left', 'right', 'center') or vloc not in ('bottom', 'top', 'middle'):
        raise ValueError(f"gnuplot.movelegend: expects 2 strings as location {{left|right|center}}"
                         f"{{bottom|top|middle}}, got {hloc!r}, {vloc!r}")
    _apply('movelegend', [f'set key {hloc} {vloc}'], key=(hloc, vloc))


def axis(spec):
    """``'auto'`` (autoscale), ``'image'``/``'equal'`` (one unit the same length on both axes), ``'fill'``,
    or ``[xmin, xmax, ymin, ymax]`` (a list of 4 numbers; another length is said and ignored, as in Lua)."""
    if spec == 'auto':
        _apply('axis', ['set size nosquare', 'set autoscale'], xrange=None, yrange=None, ratio=None)
    elif spec in ('image', 'equal'):
        _apply('axis', ['set size ratio -1'], ratio=-1)
    elif spec == 'fill':
        _apply('axis', ['set size ratio 1,1'], ratio=None)
    elif isinstance(spec, (list, tuple)):
        if len(spec) != 4:
            print('axis should have 4 componets {xmin,xmax,ymin,ymax}')
            return
        lo_x, hi_x, lo_y, hi_y = (tostring(v) for v in spec)
        _apply('axis', [f'set xrange [{lo_x}:{hi_x}]', f'set yrange [{lo_y}:{hi_y}]'],
               xrange=(float(spec[0]), float(spec[1])), yrange=(float(spec[2]), float(spec[3])))
    else:
        raise ValueError(f"gnuplot.axis: expected 'auto', 'image', 'equal', 'fill' or [xmin, xmax, ymin, ymax], "
                         f"got {spec!r}")
