"""legonn.gnuplot: torch/gnuplot's command text (gnuplot.lua), its histograms (hist.lua) and legonn's own
drawing when the gnuplot program is absent."""
import os
import stat
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import legonn as lg
from legonn import gnuplot
from legonn.gnuplot import commands, figures, program

SVG = '{http://www.w3.org/2000/svg}'
FAKE = """#!/bin/sh
case "$1" in
  --version) echo "gnuplot 5.4 patchlevel 2";;
  -persist) cat >> "$GP_LOG";;
  *) cat > /dev/null
     printf '       png  PNG images using libgd\\n       svg  W3C Scalable Vector Graphics\\n'
     printf '       wxt  wxWidgets interactive terminal\\n';;
esac
"""


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """No gnuplot on PATH, no ~/.gnuplot, and gnuplot.lua's _gptable empty before and after."""
    monkeypatch.setenv('PATH', str(tmp_path / 'nobin'))
    monkeypatch.setenv('HOME', str(tmp_path))
    figures.table.__init__()
    yield tmp_path
    figures.table.__init__()


@pytest.fixture
def fake_gnuplot(fresh, monkeypatch):
    """A gnuplot on PATH that answers --version and `set terminal` and logs what a figure's pipe gets."""
    bindir = fresh / 'nobin'
    bindir.mkdir()
    exe = bindir / 'gnuplot'
    exe.write_text(FAKE)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv('GP_LOG', str(fresh / 'gp.log'))
    monkeypatch.setenv('PATH', os.pathsep.join([str(bindir), '/usr/bin', '/bin']))   # the script's cat
    return fresh / 'gp.log'


def v(*values):
    return lg.DoubleTensor(np.array(values, dtype=np.float64))


def test_plot_string_forms():
    """gnuplot.lua getvars + gnuplot_string: plot(y) plots against 1..n; {'name', x, y, fmt} titles a curve;
    '-' lines, '+' points, '|' boxes, '~' smooth csplines, '~0.5' acsplines with the weight as a third
    column; '' sends no style; numbers as %g; each curve's data ends with e."""
    assert commands.plot_string([commands.plot_vars([v(3, 4.5)])]) == ("plot  '-' title '' \n", '1 3\n2 4.5\ne\n')
    curves = [commands.plot_vars(['train', v(1, 2), v(0.25, 1e-7), '-']),
              commands.plot_vars(['val', v(1, 2), v(3, 4), '+'])]
    assert commands.plot_string(curves) == (
        "plot  '-' title 'train' with lines ,  '-' title 'val' with points\n", '1 0.25\n2 1e-07\ne\n1 3\n2 4\ne\n')
    assert commands.plot_string([commands.plot_vars([v(1, 2), v(5, 6), '|'])])[0] == "plot  '-' title '' with boxes\n"
    assert commands.plot_string([commands.plot_vars([v(1, 2), '~'])])[0] == "plot  '-' title '' smooth csplines\n"
    assert commands.plot_string([commands.plot_vars(['s', v(1, 2), v(7, 8), '~0.5'])]) == (
        "plot  '-' title 's' smooth acsplines\n", '1 7 0.5\n2 8 0.5\ne\n')
    assert commands.plot_string([commands.plot_vars([v(1, 2), 'with steps'])])[0] == \
        "plot  '-' title '' with steps\n"


def test_plot_matrix_forms():
    """gnuplot.lua getvars: an n x 2 matrix is (x, y); n x 4 with 'v' is vectors (x1 y1 x2 y2 rows); n x k
    is x and k-1 y columns, each row written as '%g ' per value."""
    m2 = np.array([[1, 10], [2, 20]], dtype=np.float64)
    assert commands.plot_string([commands.plot_vars([m2])])[1] == '1 10\n2 20\ne\n'
    m4 = np.array([[0, 1, 2, 3]], dtype=np.float64)
    assert commands.plot_string([commands.plot_vars([m4, 'v'])]) == (
        "plot  '-' title '' with vectors\n", '0 1 2 3\ne\n')
    m3 = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)
    assert commands.plot_string([commands.plot_vars([m3])])[1] == '1 2 3 \n4 5 6 \ne\n'


def test_plot_argument_errors():
    """gnuplot.lua getvars: 'expecting [string,] tensor [,tensor] [,string]', and x and y must have as many
    rows."""
    with pytest.raises(ValueError, match=r'expecting \[string,\] tensor'):
        commands.plot_vars(['name'])
    with pytest.raises(ValueError, match=r'expecting \[string,\] tensor'):
        commands.plot_vars([v(1), 'a', v(2)])
    with pytest.raises(ValueError, match='x and y dims are wrong'):
        commands.plot_vars([v(1, 2), v(1, 2, 3)])
    with pytest.raises(ValueError, match='no inputs'):
        gnuplot.plot()


def test_splot_scatter3_imagesc_strings():
    """gnuplot.lua gnu_splot_string (a lone z over row and column numbers from 1, a blank line after each
    row), gnu_scatter3_string and gnu_imagesc_string (ranges -0.5 .. size-0.5, rows of '%g ', then e e)."""
    z = np.array([[1, 2], [3, 4]], dtype=np.float64)
    header, data = commands.splot_string([commands.splot_vars([z])])
    assert header == ('set contour base\nset cntrparam bspline\n\nset cntrparam levels auto\n\n'
                      "set style data lines\n\nset hidden3d\n\nsplot  '-'title '' with lines\n")
    assert data == '1 1 1\n1 2 2\n\n2 1 3\n2 2 4\n\ne\n'
    header, data = commands.scatter3_string([commands.scatter3_vars(['p', v(1, 2), v(3, 4), v(5, 6)])])
    assert header.endswith("splot  '-'title 'p' with points\n") and data == '1 3 5\n2 4 6\ne\n'
    header, data = commands.imagesc_string(*commands.imagesc_vars([np.array([[0, 0.5, 1]])]))
    assert header == ('set view map\nset palette gray\nset style data linespoints\n'
                      'set xrange [ -0.5 : 2.5] noreverse nowriteback\n'
                      'set yrange [ -0.5 : 0.5] reverse nowriteback\n'
                      "splot '-' matrix with image\n")
    assert data == '0 0.5 1 \ne\ne\n'
    with pytest.raises(ValueError, match='expecting tensor'):
        commands.imagesc_vars([z, 3])


def test_histc_bins_as_th_histc():
    """hist.lua gnuplot.histc: torch.histc in double over [min, max] (the tensor's range by default), bins
    72 by default; THTensor_(histc) (lib/TH/generic/THTensorMath.c): bin = (int)((v-min)/(max-min)*nbins),
    clamped to nbins-1, values outside ignored; centres min + (i+0.5)*binwidth."""
    data = np.random.default_rng(0).normal(size=500)

    def reference(values, nbins, lo, hi):
        counts = [0.0] * nbins
        for val in values:
            if lo <= val <= hi:
                counts[min(int((val - lo) / (hi - lo) * nbins), nbins - 1)] += 1
        return counts

    h = gnuplot.histc(lg.Tensor(data.astype(np.float32)), 10, -1, 1.5)
    assert h.raw.numpy().tolist() == reference(data.astype(np.float32).astype(np.float64), 10, -1, 1.5)
    assert h.binwidth == 0.25 and [e['val'] for e in h.entries][:2] == [-0.875, -0.625]
    assert h.max == int(np.argmax(h.raw.numpy())) and h[h.max]['nb'] == max(h.raw.numpy())
    full = gnuplot.histc(data, raw=True)
    assert full.size() == (72,) and full.numpy().tolist() == reference(data, 72, data.min(), data.max())
    assert str(h).startswith('nsamples:  min:(bin:')


def test_fake_program_gets_gnuplot_lua_text(fake_gnuplot, tmp_path):
    """gnuplot.lua getfigure/filefigure/writeToPlot/refreshPlot/close: the style when there is no ~/.gnuplot,
    'set term png', the plot header and data, 'set xlabel "..."', each refresh as set output / refresh /
    unset output, and quit; every command followed by three newlines."""
    out = str(tmp_path / 'loss.png')
    assert gnuplot.pngfigure(out) == 1
    gnuplot.plot(['train', v(1, 2), v(3, 4.5), '-'])
    gnuplot.xlabel('epoch')
    gnuplot.axis([0, 10, -1, 2.5])
    proc = figures.table.figures[1].pipe.process
    gnuplot.close()
    proc.wait(timeout=20)
    refresh = f'set output "{out}"\n\n\nrefresh\n\n\nunset output\n\n\n'
    assert fake_gnuplot.read_text() == (
        program.STYLE + '\n\n\n\n\n' + 'set term png\n\n\n'
        + "plot  '-' title 'train' with lines\n\n\n\n" + '1 3\n2 4.5\ne\n\n\n\n'
        + 'set xlabel "epoch"\n\n\n' + refresh
        + 'set xrange [0:10]\n\n\nset yrange [-1:2.5]\n\n\n' + refresh + refresh + 'quit\n\n\n')
    assert figures.table.defaultterm == 'wxt'


def test_drawn_svg_without_program(fresh):
    """Without the program: svgfigure's file is drawn at each refresh (gnuplot.lua's refreshPlot points):
    one polyline per '-' curve, markers for '+', the title and labels; hist draws one box per bin
    (gnuplot.lua hist -> bar -> plot with '|')."""
    out = str(fresh / 'p.svg')
    gnuplot.svgfigure(out)
    gnuplot.plot(['train', v(1, 2, 3), v(3, 2, 1), '-'], ['val', v(1, 2, 3), v(2, 2, 2), '+'])
    assert not os.path.exists(out)          # nothing until a refresh, as with gnuplot
    gnuplot.title('losses')
    root = ET.parse(out).getroot()
    assert len(root.findall(f'{SVG}polyline')) == 1 and len(root.findall(f'{SVG}path')) == 1
    assert 'losses' in [t.text for t in root.iter(f'{SVG}text')]
    gnuplot.hist(np.arange(20.0), 4)
    gnuplot.plotflush()
    boxes = [r for r in ET.parse(out).getroot().iter(f'{SVG}rect') if r.get('class') == 'box']
    assert len(boxes) == 4 and len({round(float(b.get('height'))) for b in boxes}) == 1


def test_png_imagesc_and_errors_without_program(fresh):
    """Without the program: pngfigure draws a PNG through Pillow; imagesc scales from the matrix's minimum
    (black) to its maximum (white) in gray; eps/pdf figures need the program; a missing folder is refused
    as filefigure refuses it; a screen figure says once that nothing is shown."""
    pil = pytest.importorskip('PIL.Image')
    out = str(fresh / 'w.png')
    gnuplot.pngfigure(out)
    gnuplot.imagesc(np.array([[2.0, 4.0], [6.0, 10.0]]))
    gnuplot.plotflush()
    image = pil.open(out).convert('RGB')
    assert image.size == (640, 400)
    assert image.getpixel((170, 120)) == (0, 0, 0)          # cell (0, 0), the minimum
    assert image.getpixel((370, 280)) == (255, 255, 255)    # cell (1, 1), the maximum
    assert image.getpixel((370, 120)) == (64, 64, 64)       # (4 - 2) / 8 of the way
    with pytest.raises(RuntimeError, match='needs the gnuplot program'):
        gnuplot.epsfigure(str(fresh / 'a.eps'))
    with pytest.raises(FileNotFoundError, match='directory does not exist'):
        gnuplot.svgfigure(str(fresh / 'missing' / 'a.svg'))
    with pytest.warns(UserWarning, match='screen figures are not shown'):
        gnuplot.figure()
    with warnings.catch_warnings(record=True) as later:
        warnings.simplefilter('always')
        gnuplot.figure()
    assert later == []      # said once only


def test_settings_errors():
    """gnuplot.lua movelegend: {left|right|center}{bottom|top|middle} only."""
    with pytest.raises(ValueError, match='left|right|center'):
        gnuplot.movelegend('up', 'top')
