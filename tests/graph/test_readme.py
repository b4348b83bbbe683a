"""Every example of nngraph's README in legonn's form (0-based dims), checked against
hand computation and finite differences."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import legonn as lg
from legonn import graph, nn
from tests.checks import assert_jacobian


def _np(t):
    return np.asarray(t.array, dtype=np.float64)


def _linear(m, x):
    return _np(m.weight) @ x + _np(m.bias)


def test_two_hidden_layer_mlp_call_form(tmp_path):
    h1 = nn.Linear(20, 10)()
    tanh_a, lin, tanh_b, last = nn.Tanh(), nn.Linear(10, 10), nn.Tanh(), nn.Linear(10, 1)
    h2 = last(tanh_b(lin(tanh_a(h1))))
    mlp = nn.gModule([h1], [h2])
    x, dx = lg.rand(20), lg.rand(1)
    out = mlp.updateOutput(x)
    mlp.updateGradInput(x, dx)
    mlp.accGradParameters(x, dx)
    first = h1.module
    expected = _linear(last, np.tanh(_linear(lin, np.tanh(_linear(first, _np(x))))))
    np.testing.assert_allclose(_np(out), expected, rtol=1e-5)
    assert mlp.gradInput.size() == (20,)
    np.testing.assert_allclose(_np(last.gradBias), _np(dx), rtol=1e-6)
    svg = graph.dot(mlp.fg, 'MLP', str(tmp_path / 'myMLP'))
    assert (tmp_path / 'myMLP.dot').exists() and (tmp_path / 'myMLP.svg').exists()
    ET.fromstring(svg)


def test_two_hidden_layer_mlp_minus_form_matches_call_form():
    h1 = -nn.Linear(20, 10)
    h2 = h1 - nn.Tanh() - nn.Linear(10, 10) - nn.Tanh() - nn.Linear(10, 1)
    mlp = nn.gModule([h1], [h2])
    kinds = [type(m).__name__ for m in mlp.modules]
    assert kinds == ['Linear', 'Tanh', 'Linear', 'Tanh', 'Linear']
    chain = nn.Sequential()
    for m in mlp.modules:
        chain.add(m)
    x = lg.rand(20)
    np.testing.assert_allclose(_np(mlp.forward(x)), _np(chain.forward(x)))


def _two_in_two_out(minus):
    if minus:
        h1, h2 = -nn.Linear(20, 20), -nn.Linear(10, 10)
        hh1 = h1 - nn.Tanh() - nn.Linear(20, 1)
        hh2 = h2 - nn.Tanh() - nn.Linear(10, 1)
        madd = [hh1, hh2] - nn.CAddTable()
        oA = madd - nn.Sigmoid()
        oB = madd - nn.Tanh()
    else:
        h1, h2 = nn.Linear(20, 20)(), nn.Linear(10, 10)()
        hh1 = nn.Linear(20, 1)(nn.Tanh()(h1))
        hh2 = nn.Linear(10, 1)(nn.Tanh()(h2))
        madd = nn.CAddTable()([hh1, hh2])
        oA = nn.Sigmoid()(madd)
        oB = nn.Tanh()(madd)
    return nn.gModule([h1, h2], [oA, oB]), (h1, h2, hh1, hh2)


@pytest.mark.parametrize('minus', [False, True])
def test_two_inputs_two_outputs(minus):
    gmod, (h1, h2, hh1, hh2) = _two_in_two_out(minus)
    gmod.double()
    x1, x2 = lg.rand(20).double(), lg.rand(10).double()
    oa, ob = gmod.updateOutput([x1, x2])
    s = (_linear(hh1.module, np.tanh(_linear(h1.module, _np(x1))))
         + _linear(hh2.module, np.tanh(_linear(h2.module, _np(x2)))))
    np.testing.assert_allclose(_np(oa), 1 / (1 + np.exp(-s)))
    np.testing.assert_allclose(_np(ob), np.tanh(s))
    ga, gb = lg.rand(1).double(), lg.rand(1).double()
    g1, g2 = gmod.updateGradInput([x1, x2], [ga, gb])
    # d/ds of both outputs, summed at the fan-out of madd
    ds = _np(ga) * (1 / (1 + np.exp(-s))) * (1 - 1 / (1 + np.exp(-s))) + _np(gb) * (1 - np.tanh(s) ** 2)
    a1 = np.tanh(_linear(h1.module, _np(x1)))
    expected_g1 = _np(h1.module.weight).T @ ((_np(hh1.module.weight).T @ ds) * (1 - a1 ** 2))
    np.testing.assert_allclose(_np(g1), expected_g1, rtol=1e-10)
    assert g2.size() == (10,)


def test_two_inputs_two_outputs_finite_differences():
    gmod, _ = _two_in_two_out(True)
    # smaller layers keep the check fast; same graph
    h1, h2 = -nn.Linear(4, 3), -nn.Linear(2, 3)
    madd = [h1 - nn.Tanh() - nn.Linear(3, 1), h2 - nn.Tanh() - nn.Linear(3, 1)] - nn.CAddTable()
    small = nn.gModule([h1, h2], [madd - nn.Sigmoid(), madd - nn.Tanh()])
    assert_jacobian(small, [lg.rand(4), lg.rand(2)])


def _container_example(n_in, a, b):
    m = nn.Sequential()
    m.add(nn.SplitTable(0))
    m.add(nn.ParallelTable().add(nn.Linear(n_in, a)).add(nn.Linear(n_in, b)))
    input = nn.Identity()()
    input1, input2 = m(input).split(2)
    m3 = nn.JoinTable(0)([input1, input2])
    return nn.gModule([input], [m3]), m


@pytest.mark.skipif(not hasattr(nn, 'ParallelTable'), reason='nn.ParallelTable has not landed yet')
def test_network_with_containers(tmp_path):
    g, m = _container_example(10, 20, 30)
    indata, gdata = lg.rand(2, 10), lg.rand(50)
    out = g.forward(indata)
    la, lb = m.get(1).get(0), m.get(1).get(1)
    expected = np.concatenate([_linear(la, _np(indata)[0]), _linear(lb, _np(indata)[1])])
    np.testing.assert_allclose(_np(out), expected, rtol=1e-5)
    gi = g.backward(indata, gdata)
    expected_gi = np.stack([_np(la.weight).T @ _np(gdata)[:20], _np(lb.weight).T @ _np(gdata)[20:]])
    np.testing.assert_allclose(_np(gi), expected_gi, rtol=1e-5)
    graph.dot(g.fg, 'Forward Graph', str(tmp_path / 'fg'))
    graph.dot(g.bg, 'Backward Graph', str(tmp_path / 'bg'))
    small, _ = _container_example(3, 2, 2)
    assert_jacobian(small, lg.rand(2, 3))


def _layers_example(minus, sizes):
    n0, n1, n2, n3 = sizes
    if minus:
        input = -nn.Identity()
        L1 = input - nn.Linear(n0, n1) - nn.Tanh()
        L2 = [input, L1] - nn.JoinTable(0) - nn.Linear(n0 + n1, n2) - nn.Tanh()
        L3 = [L1, L2] - nn.JoinTable(0) - nn.Linear(n1 + n2, n3) - nn.Tanh()
    else:
        input = nn.Identity()()
        L1 = nn.Tanh()(nn.Linear(n0, n1)(input))
        L2 = nn.Tanh()(nn.Linear(n0 + n1, n2)(nn.JoinTable(0)([input, L1])))
        L3 = nn.Tanh()(nn.Linear(n1 + n2, n3)(nn.JoinTable(0)([L1, L2])))
    return nn.gModule([input], [L3])


@pytest.mark.parametrize('minus', [False, True])
def test_each_layer_takes_the_previous_two(minus):
    g = _layers_example(minus, (10, 20, 60, 160)).double()
    lins = [m for m in g.modules if type(m).__name__ == 'Linear']
    x = lg.rand(10).double()
    out = g.forward(x)
    l1 = np.tanh(_linear(lins[0], _np(x)))
    l2 = np.tanh(_linear(lins[1], np.concatenate([_np(x), l1])))
    l3 = np.tanh(_linear(lins[2], np.concatenate([l1, l2])))
    np.testing.assert_allclose(_np(out), l3, rtol=1e-10)
    gi = g.backward(x, lg.rand(160).double())
    assert gi.size() == (10,)
    assert_jacobian(_layers_example(minus, (1, 2, 6, 16)), lg.rand(1))


def test_annotations_reach_dot_and_svg(tmp_path):
    input = nn.Identity()()
    L1 = nn.Tanh()(nn.Linear(10, 20)(input)).annotate(
        name='L1', description='Level 1 Node', graphAttributes={'color': 'red'})
    L2 = nn.Tanh()(nn.Linear(30, 60)(nn.JoinTable(0)([input, L1]))).annotate(
        name='L2', description='Level 2 Node', graphAttributes={'color': 'blue', 'fontcolor': 'green'})
    L3 = nn.Tanh()(nn.Linear(80, 160)(nn.JoinTable(0)([L1, L2]))).annotate(
        name='L3', description='Level 3 Node',
        graphAttributes={'color': 'green', 'style': 'filled', 'fillcolor': 'yellow'})
    g = nn.gModule([input], [L3])
    indata, gdata = lg.rand(10), lg.rand(160)
    g.forward(indata)
    g.backward(indata, gdata)
    graph.dot(g.fg, 'Forward Graph', str(tmp_path / 'fg'))
    graph.dot(g.bg, 'Backward Graph', str(tmp_path / 'bg'))
    for name in ('fg', 'bg'):
        dot_text = (tmp_path / f'{name}.dot').read_text()
        assert 'color="red"' in dot_text and 'Level 1 Node' in dot_text and 'fillcolor="yellow"' in dot_text
        svg = ET.parse(tmp_path / f'{name}.svg').getroot()
        texts = ' '.join(t.text or '' for t in svg.iter('{http://www.w3.org/2000/svg}text'))
        for label in ('L1 (', 'L2 (', 'L3 (', 'desc = Level 2 Node'):
            assert label in texts
        fills = {e.get('fill') for e in svg.iter('{http://www.w3.org/2000/svg}ellipse')}
        assert 'yellow' in fills
    assert 'gradOutput = FloatTensor[160]' in (tmp_path / 'bg.dot').read_text()
    assert 'input = FloatTensor[10]' in (tmp_path / 'fg.dot').read_text()


def _get_net(frm=10, to=10):
    input_x = nn.Identity()()
    linear_module = nn.Linear(frm, to)(input_x)
    graph.annotateNodes()
    return nn.gModule([input_x], [linear_module])


def test_debugging_example_marks_the_failing_node_red(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    graph.setDebug(True)
    try:
        net = _get_net(10, 10)
        net.name = 'my_bad_linear_net'
        with pytest.raises(ValueError) as info:
            net.updateOutput(lg.rand(11))
    finally:
        graph.setDebug(False)
    message = str(info.value)
    assert "'linear_module'" in message and 'Linear(10 -> 10)' in message and 'test_readme.py:' in message
    svg = ET.parse(tmp_path / 'my_bad_linear_net.svg').getroot()
    ns = '{http://www.w3.org/2000/svg}'
    red, others = [], []
    for group in svg.iter(ns + 'g'):
        if group.get('class') != 'node':
            continue
        text = ' '.join(t.text or '' for t in group.iter(ns + 'text'))
        fill = [e.get('fill') for e in group.iter(ns + 'ellipse')]
        (red if 'red' in fill else others).append(text)
        links = [a.get('{http://www.w3.org/1999/xlink}title') for a in group.iter(ns + 'a')]
        assert any('test_readme.py]:' in (t or '') for t in links)   # nngraph's _debugLabel, [file]:line_function
    assert len(red) == 1 and 'linear_module' in red[0]
    assert any('input_x' in t for t in others)
