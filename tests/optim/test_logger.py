"""Logger: Torch7's log format, and the SVG plot (parsed with xml.etree, one polyline per curve)."""
import xml.etree.ElementTree as ET

import pytest

from legonn import optim

SVG = '{http://www.w3.org/2000/svg}'


def test_set_names_add_and_plot(tmp_path):
    path = tmp_path / 'logs' / 'train.log'
    log = optim.Logger(str(path))
    log.setNames(['training error', 'test error'])
    for epoch in range(5):
        log.add([1.0 / (epoch + 1), 1.2 / (epoch + 1)])
    log.style(['-', '+'])
    svg = log.plot()
    log.close()
    lines = path.read_text().splitlines()
    assert lines[0] == 'training error\ttest error\t'
    assert lines[1] == ' 1.0000e+00\t 1.2000e+00\t' and len(lines) == 6
    assert svg == str(path) + '.svg'
    root = ET.parse(svg).getroot()
    polylines = root.findall(f'{SVG}polyline')
    assert len(polylines) == 2
    assert [p.find(f'{SVG}title').text for p in polylines] == ['training error', 'test error']
    assert all(len(p.get('points').split()) == 5 for p in polylines)
    assert len(root.findall(f"{SVG}path[@class='markers']")) == 1     # the '+' curve
    # the first curve falls: its y pixel coordinate grows along the line
    ys = [float(pt.split(',')[1]) for pt in polylines[0].get('points').split()]
    assert ys == sorted(ys) and ys[0] < ys[-1]


def test_dict_rows_logscale_and_selected_plot(tmp_path):
    log = optim.Logger(str(tmp_path / 'l.log'))
    for k in range(1, 4):
        log.add({'loss': 10.0 ** -k, 'acc': 0.5 + 0.1 * k, 'note': f'epoch{k}'})
    log.setlogscale(True)
    svg = log.plot('loss')
    root = ET.parse(svg).getroot()
    assert len(root.findall(f'{SVG}polyline')) == 1
    log.plot()
    root = ET.parse(svg).getroot()
    assert len(root.findall(f'{SVG}polyline')) == 2      # the string column is logged, not plotted
    log.close()
    text = (tmp_path / 'l.log').read_text().splitlines()
    assert text[0] == 'loss\tacc\tnote\t' and text[3].endswith('epoch3\t')


def test_rows_follow_the_header_order_and_a_first_list_names_columns_by_position(tmp_path):
    """Logger.lua writes each row under its header: a dict's own key order must not swap the columns."""
    path = tmp_path / 'order.log'
    log = optim.Logger(str(path))
    log.add({'train': 1.0, 'test': 2.0})
    log.add({'test': 20.0, 'train': 10.0})
    log.add({'test': 3.0})
    log.close()
    assert path.read_text() == ('train\ttest\t\n 1.0000e+00\t 2.0000e+00\t\n 1.0000e+01\t 2.0000e+01\t\n'
                                '\t 3.0000e+00\t\n')
    assert log.symbols['train'] == [1.0, 10.0] and log.symbols['test'] == [2.0, 20.0, 3.0]
    path = tmp_path / 'list.log'
    log = optim.Logger(str(path))
    log.add([0.5, 0.6])   # Logger.lua's first list without names: columns 1, 2 (0-based here)
    log.close()
    assert path.read_text() == '0\t1\t\n 5.0000e-01\t 6.0000e-01\t\n'


def test_bad_input(tmp_path):
    log = optim.Logger(str(tmp_path / 'x.log'))
    log.setNames(['a'])
    with pytest.raises(ValueError, match='expected 1 values'):
        log.add([1.0, 2.0])
    with pytest.raises(TypeError, match='numbers and strings'):
        log.add([object()])
    with pytest.raises(ValueError, match='unknown column'):
        log.plot('b')
    assert log.plot() is None          # no row logged: nothing to draw
    log.close()


def test_one_row_plots_one_point_with_labelled_axes_and_whole_row_ticks(tmp_path):
    with optim.Logger(str(tmp_path / 'one.log')) as log:
        log.setNames(['train loss', 'held-out error %'])
        log.add([0.5, 12.0])
        root = ET.parse(log.plot()).getroot()
    assert log.file.closed
    assert len(root.findall(f'{SVG}path')) == 2          # each one-point curve drawn as a marker
    labels = {t.get('class'): t.text for t in root.iter(f'{SVG}text') if t.get('class')}
    assert labels == {'xlabel': 'row', 'ylabel': 'train loss, held-out error %'}


def test_x_ticks_are_whole_rows_and_axis_labels_can_be_set(tmp_path):
    log = optim.Logger(str(tmp_path / 'e.log')).setAxisLabels('epoch', 'loss')
    log.setNames(['loss'])
    for v in (3.0, 2.0, 1.5):
        log.add([v])
    root = ET.parse(log.plot()).getroot()
    log.close()
    texts = [t.text for t in root.iter(f'{SVG}text')]
    assert 'epoch' in texts and 'loss' in texts
    # x tick labels sit below the plot area (y = TOP + ph + 16 = 366): with 3 rows they are 1, 2, 3
    x_ticks = [t.text for t in root.iter(f'{SVG}text') if t.get('y') == '366']
    assert x_ticks == ['1', '2', '3']


def test_a_logger_never_closed_closes_its_file_without_a_resource_warning(tmp_path):
    import gc
    import warnings
    log = optim.Logger(str(tmp_path / 'w.log'))
    log.setNames(['a']).add([1.0])
    handle = log.file
    with warnings.catch_warnings():
        warnings.simplefilter('error', ResourceWarning)
        del log
        gc.collect()
    assert handle.closed
    assert (tmp_path / 'w.log').read_text().splitlines()[1].strip() == '1.0000e+00'
