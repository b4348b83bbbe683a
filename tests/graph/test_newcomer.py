"""What a newcomer meets in nngraph: nodes point at the user's line however legonn was imported,
a failing render in debug mode keeps the user's exception and the DOT text, labels fit their ovals."""
import os
import re
import subprocess
import sys
import textwrap

import pytest

import legonn as lg
from legonn import graph, nn

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_creation_site_when_legonn_is_imported_through_dot_dot(tmp_path):
    script = tmp_path / 'user_script.py'
    # the way the examples used to reach legonn: a sys.path entry with '..' in it (PYTHONPATH would be
    # normalised by site.py, this is not)
    script.write_text(textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {os.path.join(REPO, 'examples', '..')!r})
        from legonn import nn
        x = nn.Identity()()
        h = nn.Linear(3, 4)(x)
        print(h.site[0], h.site[1])
    '''))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, check=True)
    path, line = done.stdout.split()
    assert os.path.samefile(path, script) and line == '6'


def test_failed_render_in_debug_mode_keeps_the_users_error_and_writes_dot(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def broken_renderer(text):
        raise RuntimeError('no renderer here')
    monkeypatch.setattr(sys.modules['legonn.graph.dot'], 'render_svg', broken_renderer)
    x = nn.Identity()()
    g = nn.gModule([x], [nn.Linear(4, 2)(x)])
    graph.setDebug(True)
    try:
        with pytest.raises(ValueError, match='expected 4 input features') as info:
            g.forward(lg.randn(5))
    finally:
        graph.setDebug(False)
    note = ' '.join(info.value.__notes__)
    assert 'nngraph_1in_1out.dot' in note and 'no renderer here' in note
    dot_text = (tmp_path / 'nngraph_1in_1out.dot').read_text()
    assert 'fillcolor="red"' in dot_text and 'Linear(4 -> 2)' in dot_text
    assert not (tmp_path / 'nngraph_1in_1out.svg').exists()


def test_labels_fit_their_ovals_in_a_monospace_font(tmp_path):
    """Courier's advance is 0.6 em for every character, in Graphviz's metrics and in every viewer's
    monospace substitute: a label's drawn width is then known, and must lie inside its ellipse."""
    x = nn.Identity()()
    h = nn.SpatialConvolution(3, 16, 5, 5, 1, 1, 2, 2)(x)
    g = nn.gModule([x], [nn.Tanh()(h)])
    g.forward(lg.randn(2, 3, 8, 8))
    svg = graph.dot(g.fg, 'a graph', str(tmp_path / 'g'))
    assert 'font-family="Courier,monospace"' in svg
    nodes = re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg, re.S)
    assert nodes
    for body in nodes:
        rx = float(re.search(r'<ellipse[^>]* rx="([\d.]+)"', body).group(1))
        cx = float(re.search(r'<ellipse[^>]* cx="([\d.]+)"', body).group(1))
        for x0, size, text in re.findall(r'<text[^>]* x="([-\d.]+)"[^>]*font-size="([\d.]+)">([^<]*)</text>', body):
            width = 0.6 * float(size) * len(re.sub(r'&[#\w]+;', '_', text))
            # the widest text line must sit inside the ellipse's horizontal extent
            assert cx - rx <= float(x0) and float(x0) + width <= cx + rx, (text, rx)
