"""gnuplot.lua's figure table: numbered figures (screen windows or files), the current one, and what each
command does to it.

With the gnuplot program on PATH each figure is a pipe to ``gnuplot -persist`` and gets gnuplot.lua's
command text. Without it a figure keeps what was plotted and set (``drawing``, ``settings``) and a file
figure is drawn by legonn itself (SVG, or PNG through Pillow) wherever gnuplot.lua refreshes it
(``plotflush``, ``close``, each label or setting); a screen figure shows nothing (said once).
"""
import os
import warnings

from . import drawing, program


class Figure:
    """One figure: its number, terminal, output file (None on screen), pipe (None without the program),
    the last plot (``(kind, payload)``) and the settings made since (``{'title': ..., 'grid': True, ...}``)."""

    def __init__(self, number, term, pipe):
        self.number, self.term, self.pipe, self.fname = number, term, pipe, None
        self.drawing, self.settings = None, {}

    def write(self, text):
        if self.pipe is not None:
            self.pipe.write(text)

    def refresh(self):
        """Redraw into the output file (gnuplot.lua's refreshPlot: set output, refresh, unset output)."""
        if self.pipe is not None:
            if self.fname:
                self.write(f'set output "{self.fname}"')
            self.write('refresh')
            if self.fname:
                self.write('unset output')
        elif self.fname and self.drawing is not None:
            drawing.save(self, self.fname, 'svg' if self.term == 'svg' else 'png')


class _Table:
    """The module state gnuplot.lua keeps in ``_gptable``, found on first use (not at import)."""

    def __init__(self):
        self.figures, self.current, self.found = {}, None, False
        self.exe, self.hasrefresh, self.defaultterm, self.warned = None, True, None, set()

    def find(self):
        if not self.found:
            self.exe, self.hasrefresh = program.find()
            self.defaultterm = program.screen_terminal(self.exe) if self.exe else None
            self.found = True
        return self

    def has_terminal(self, term):
        return program.has_terminal(self.find().exe, term)

    def say_once(self, key, message):
        if key not in self.warned:
            self.warned.add(key)
            warnings.warn(message, stacklevel=3)


table = _Table()


def getfigure(n=None):
    """Figure ``n`` (created when new; the lowest free number from 1 when ``n`` is None) made current; the
    plot style is sent to it when there is no ~/.gnuplot, as gnuplot.lua does on every call."""
    table.find()
    if n is None:
        n = 1
        while n in table.figures:
            n += 1
    if n not in table.figures:
        pipe = program.Pipe(table.exe) if table.exe else None
        table.figures[n] = Figure(n, table.defaultterm, pipe)
    table.current = n
    fig = table.figures[n]
    if not os.path.isfile(os.path.join(os.path.expanduser('~'), '.gnuplot')):
        fig.write(program.STYLE + '\n\n')
    return fig


def current():
    """The current figure, a new screen figure when there is none (gnuplot.lua's getCurrentPlot)."""
    if table.current is None:
        figure()
    return table.figures[table.current]


def figure(n=None, config=None):
    """Make figure ``n`` (a number from 1; a new one when None) the current screen figure and raise its
    window unless ``config={'noraise': True}``; returns its number."""
    fig = getfigure(n)
    if table.exe is None:
        table.say_once('screen', 'gnuplot: the gnuplot program is not on PATH, so screen figures are not shown; '
                                 'plot into gnuplot.pngfigure/svgfigure or save with gnuplot.figprint')
    else:
        if fig.term is None:
            raise RuntimeError('gnuplot.figure: Gnuplot terminal is not set (gnuplot.setterm("terminal-name"))')
        fig.write(f'set term {fig.term} {fig.number}\n')
        if not (config or {}).get('noraise'):
            fig.write('raise')
    return fig.number


def _filefigure(who, fname, term, n):
    if not table.find().hasrefresh:
        print('Plotting to files is disabled in gnuplot 4.2, install gnuplot 4.4')
    folder = os.path.dirname(fname) or '.'
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"gnuplot.{who}: cannot save to {fname}: directory does not exist")
    fig = getfigure(n)
    fig.fname, fig.term = fname, term
    fig.write(f'set term {term}')
    return fig.number


def _needs_program(who, what):
    if table.find().exe is None:
        raise RuntimeError(f"gnuplot.{who}: {what} needs the gnuplot program, which is not on PATH "
                           "(legonn draws png and svg itself)")


def pngfigure(fname, n=None):
    """Figure ``n`` (a new one when None) drawn into the PNG file ``fname``; returns its number."""
    return _filefigure('pngfigure', fname, 'pngcairo' if table.has_terminal('pngcairo') else 'png', n)


def svgfigure(fname, n=None):
    """Figure ``n`` (a new one when None) drawn into the SVG file ``fname``; returns its number."""
    return _filefigure('svgfigure', fname, 'svg', n)


def epsfigure(fname, n=None):
    """Figure ``n`` drawn into the EPS file ``fname`` by gnuplot (an error without the program)."""
    _needs_program('epsfigure', 'EPS output')
    return _filefigure('epsfigure', fname, 'postscript eps enhanced color', n)


def pdffigure(fname, n=None):
    """Figure ``n`` drawn into the PDF file ``fname`` by gnuplot's pdf or pdfcairo terminal."""
    _needs_program('pdffigure', 'PDF output')
    if not (table.has_terminal('pdf') or table.has_terminal('pdfcairo')):
        raise RuntimeError('gnuplot.pdffigure: your installation of gnuplot does not have pdf support enabled')
    term = 'pdfcairo' if table.has_terminal('pdfcairo') else 'pdf'
    return _filefigure('pdffigure', fname, term + ' enhanced color', n)


def figprint(fname):
    """Save the current figure into ``fname`` (``.eps``, ``.png`` or ``.pdf``, by its suffix), keeping the
    figure's own terminal."""
    suffix = fname.rpartition('.')[2] if '.' in fname[1:] else ''
    fig = current()
    haspdf = table.has_terminal('pdf') or table.has_terminal('pdfcairo')
    if fig.pipe is None and suffix in ('eps', 'pdf'):
        _needs_program('figprint', f'{suffix} output')
    if fig.pipe is None and suffix == 'png':
        drawing.save(fig, fname)
        return
    if suffix == 'eps':
        term = 'postscript eps enhanced color'
    elif suffix == 'png':
        term = ('pngcairo' if table.has_terminal('pngcairo') else 'png') + ' size "1024,768"'
    elif suffix == 'pdf' and haspdf:
        term = ('pdfcairo' if table.has_terminal('pdfcairo') else 'pdf') + ' enhanced color'
    else:
        raise ValueError(f"gnuplot.figprint: only eps and png{' and pdf' if haspdf else ''} for figprint, "
                         f"got {fname!r}")
    fig.write(f'set term {term}')
    fig.write(f"set output '{fname}'")
    fig.refresh()
    fig.write('unset output')
    fig.write(f'set term {fig.term} {fig.number}\n')


def plotflush(n=None):
    """Redraw figure ``n`` (the current one when None) into its file; says so when there is no such figure."""
    n = table.current if n is None else n
    if n is None or n not in table.figures:
        print(f'no figure {"nil" if n is None else n}')
        return
    table.figures[n].refresh()


def close(n=None):
    """Flush figure ``n`` (the current one when None), tell gnuplot to quit and forget the figure."""
    n = table.current if n is None else n
    fig = table.figures.get(n)
    if fig is None:
        return
    table.current = None
    plotflush(n)
    fig.write('quit')
    if fig.pipe is not None:
        fig.pipe.close()
    del table.figures[n]


def closeall():
    """Close every figure and look for the gnuplot program again."""
    for n in list(table.figures):
        close(n)
    table.found = False
    table.find()
    table.current = None


def raw(text):
    """Send ``text`` to the current figure as it is (without the program it cannot be drawn: said once)."""
    fig = current()
    if fig.pipe is None:
        table.say_once('raw', 'gnuplot.raw: the gnuplot program is not on PATH, raw commands are ignored')
    fig.write(text)


def setgnuplotexe(exe):
    """Drive ``exe`` instead of the gnuplot found on PATH."""
    if not os.path.isfile(exe):
        raise FileNotFoundError(f"gnuplot.setgnuplotexe: {exe} does not exist")
    major, minor = program.version(exe)
    if major < 4:
        raise RuntimeError(f"gnuplot.setgnuplotexe: version 4 is required, {exe} is {major}.{minor}")
    table.find()
    table.exe, table.hasrefresh = exe, (major, minor) >= (4, 4)
    table.defaultterm = program.screen_terminal(exe)


def setterm(term):
    """Use the terminal ``term`` for new screen figures (an error when gnuplot does not list it)."""
    if not table.has_terminal(term):
        raise ValueError(f"gnuplot.setterm: gnuplot does not seem to have the terminal {term!r}")
    table.defaultterm = term
