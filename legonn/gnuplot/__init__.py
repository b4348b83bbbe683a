"""``require 'gnuplot'``: torch/gnuplot, the plots Torch7 scripts draw of their losses, weights and data.

``gnuplot.pngfigure('loss.png'); gnuplot.plot(['train', x, y, '-'], ['val', x, y2, '+']);
gnuplot.xlabel('epoch'); gnuplot.plotflush()`` reads as in Lua. With the gnuplot program on PATH every
function sends gnuplot.lua's command text to a ``gnuplot -persist`` pipe per figure. Without it legonn
draws file figures itself (``svgfigure``: SVG; ``pngfigure`` and ``figprint('x.png')``: PNG through Pillow,
the ``image`` extra), screen figures show nothing (said once), and EPS/PDF output is an error (see
``drawing`` for what is drawn).

Figure numbers are gnuplot's window numbers, from 1 as in Lua; ``histc``'s ``max``/``min`` bins are 0-based.
"""
from .commands import imagesc_string, plot_string, scatter3_string, splot_string
from .figures import (close, closeall, epsfigure, figprint, figure, pdffigure, plotflush, pngfigure, raw,
                      setgnuplotexe, setterm, svgfigure)
from .hist import Histogram, hist, histc
from .plots import bar, imagesc, plot, scatter3, splot
from .settings import axis, grid, logscale, movelegend, title, xlabel, ylabel, zlabel

__all__ = ['Histogram', 'axis', 'bar', 'close', 'closeall', 'epsfigure', 'figprint', 'figure', 'grid', 'hist',
           'histc', 'imagesc', 'imagesc_string', 'logscale', 'movelegend', 'pdffigure', 'plot', 'plot_string',
           'plotflush', 'pngfigure', 'raw', 'scatter3', 'scatter3_string', 'setgnuplotexe', 'setterm', 'splot',
           'splot_string', 'svgfigure', 'title', 'xlabel', 'ylabel', 'zlabel']
