"""Torch7's ``optim.Logger``: log named values per row to a text file and plot them as SVG curves."""
import numbers
import os
import sys
import time
import weakref

from .svgplot import line_plot


class Logger:
    """Log rows of named numbers (e.g. training and test error per epoch) and plot them.

    ``Logger('results/train.log')`` writes Torch7's text format: a first line
    of tab-separated names, then one row per ``add``, numbers as ``%11.4e``.
    Without a path it logs to stdout. Name the columns with
    ``setNames(['train', 'test'])`` then ``add([0.5, 0.6])``, or pass dicts:
    ``add({'train': 0.5, 'test': 0.6})`` (the first dict fixes the columns).
    ``style({'train': '-'})`` picks ``'-'`` (line), ``'+'``/``'.'`` (markers) or
    both per curve; ``setlogscale(True)`` a log y axis; ``setAxisLabels('epoch',
    'error %')`` names the axes (default ``'row'`` and the plotted columns).
    ``plot()`` (or ``plot('train')``) renders the curves to ``<path>.svg`` and
    returns that path. ``close()`` (or a ``with`` block) closes the log file; a
    Logger dropped without it closes its file when collected.
    """

    lua_package = 'optim'   # optim's Logger.lua:38: torch.class('optim.Logger')

    defaultStyle = '+'

    def __init__(self, filename=None, timestamp=False):
        if filename:
            self.name = str(filename)
            folder = os.path.dirname(self.name)
            if folder:
                os.makedirs(folder, exist_ok=True)
            path = self.name + '-' + time.strftime('%Y_%m_%d_%X') if timestamp else self.name
            self.file = open(path, 'w', encoding='utf-8')
            # closes the file when the Logger is collected or at exit, if close() was never called
            self._closer = weakref.finalize(self, self.file.close)
            self.svgfile = self.name + '.svg'
        else:
            self.name = 'stdout'
            self.file = sys.stdout
            self.svgfile = None
            print('<Logger> warning: no path provided, logging to std out')
        self.empty = True
        self.names = []
        self.symbols = {}
        self.styles = {}
        self.logscale = False
        self.showPlot = True
        self.xlabel, self.ylabel = 'row', None

    def _header(self, names):
        names = [str(n) for n in names]
        if len(set(names)) != len(names):
            raise ValueError(f"optim.Logger: column names must be distinct, got {names}")
        self.names = names
        self.empty = False
        for name in names:
            self.symbols[name] = []
            self.styles[name] = [self.defaultStyle]
        self.file.write(''.join(f'{n}\t' for n in names) + '\n')
        self.file.flush()

    def setNames(self, names):
        """Name the columns (the log's first line); ``add`` then takes a list in this order."""
        if not self.empty:
            raise ValueError("optim.Logger.setNames: the columns are already named; call it before the first add")
        self._header(list(names))
        return self

    def add(self, symbols):
        """Log one row: a list (in ``setNames`` order) or a dict name -> number or string. The file's cells
        follow the header's order, a column the dict leaves out an empty cell; a list before any names
        names its columns by position ('0', '1', ...: Logger.lua's 1, 2, ... made 0-based)."""
        if isinstance(symbols, dict):
            if self.empty:
                self._header(list(symbols))
            unknown = [k for k in symbols if str(k) not in self.symbols]
            if unknown:
                raise ValueError(f"optim.Logger.add: unknown column(s) {unknown}; the columns are {self.names}")
            row = {str(k): v for k, v in symbols.items()}
        else:
            values = list(symbols)
            if self.empty:
                self._header([str(i) for i in range(len(values))])
            if len(values) != len(self.names):
                raise ValueError(f"optim.Logger.add: expected {len(self.names)} values ({self.names}), got "
                                 f"{len(values)}")
            row = dict(zip(self.names, values))
        cells = {}
        for name, val in row.items():
            if isinstance(val, str):
                cells[name] = val
            elif isinstance(val, numbers.Real) or hasattr(val, 'item'):
                val = float(val)
                cells[name] = f'{val:11.4e}'
            else:
                raise TypeError(f"optim.Logger.add: can only log numbers and strings, got {type(val).__name__} "
                                f"for {name!r}")
            row[name] = val
        self.file.write(''.join(f"{cells.get(name, '')}\t" for name in self.names) + '\n')
        self.file.flush()
        for name, val in row.items():
            self.symbols[name].append(val)
        return self

    def style(self, symbols):
        """Plot styles per curve: a dict name -> style (or list of styles), or a list in column order."""
        items = symbols.items() if isinstance(symbols, dict) else zip(self.names, symbols)
        for name, style in items:
            if isinstance(style, str):
                style = [style]
            elif not (isinstance(style, (list, tuple)) and all(isinstance(s, str) for s in style)):
                raise TypeError(f"optim.Logger.style: a style is a string or a list of strings, got {style!r}")
            self.styles[str(name)] = list(style)
        return self

    def setlogscale(self, state=True):
        self.logscale = bool(state)
        return self

    def setAxisLabels(self, xlabel='row', ylabel=None):
        """Label the plot's axes; ``ylabel`` None labels the y axis with the plotted columns' names."""
        self.xlabel, self.ylabel = str(xlabel), None if ylabel is None else str(ylabel)
        return self

    def display(self, state=True):
        """Kept for Torch7 code; legonn never opens a window, ``plot`` writes the SVG file."""
        self.showPlot = bool(state)
        return self

    def plot(self, *names, path=None):
        """Render the numeric columns (all, or those named) to an SVG file; a single row is one point.

        The file is ``path`` or ``<log file>.svg``; returns it, or None when there is no number to
        plot or no file to plot to (a Logger of stdout without ``path``).
        """
        names = [str(n) for n in names] or self.names
        missing = [n for n in names if n not in self.symbols]
        if missing:
            raise ValueError(f"optim.Logger.plot: unknown column(s) {missing}; the columns are {self.names}")
        series = []
        for name in names:
            values = [v for v in self.symbols[name] if isinstance(v, float)]
            if values:
                for style in self.styles[name]:
                    series.append((name, values, style))
        target = path or self.svgfile
        if not series or target is None:
            return None
        ylabel = self.ylabel or ', '.join(dict.fromkeys(name for name, _, _ in series))
        return line_plot(target, series, title=f'<Logger::{self.name}>', logscale=self.logscale,
                         xlabel=self.xlabel, ylabel=ylabel)

    def close(self):
        """Close the log file (nothing for a Logger of stdout)."""
        if self.file is not sys.stdout:
            self._closer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
