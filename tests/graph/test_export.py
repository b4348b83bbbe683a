"""Graph objects, DOT/SVG export, annotateNodes and debug-mode dumps."""
import xml.etree.ElementTree as ET

import pytest

import legonn as lg
from legonn import graph, nn

SVG = '{http://www.w3.org/2000/svg}'


def _node_fills(svg_path):
    """{node text: set of fills} for every drawn node of an SVG file."""
    out = {}
    for group in ET.parse(svg_path).getroot().iter(SVG + 'g'):
        if group.get('class') == 'node':
            text = ' '.join(t.text or '' for t in group.iter(SVG + 'text'))
            out[text] = {e.get('fill') for e in group.iter(SVG + 'ellipse')}
    return out


def _small():
    a, b = nn.Identity()(), nn.Identity()()
    s = nn.CAddTable()([nn.Linear(3, 2)(a), nn.Linear(4, 2)(b)])
    return nn.gModule([a, b], [nn.Tanh()(s)])


def test_forward_and_backward_graphs():
    g = _small()
    assert g.fg.roots() == [g.innode] and g.fg.leaves() == [g.outnode]
    assert g.bg.roots() == [g.outnode] and g.bg.leaves() == [g.innode]
    order = g.fg.topsort()
    position = {id(n): i for i, n in enumerate(order)}
    assert all(position[id(a)] < position[id(b)] for a, b in g.fg.edges)
    # nngraph's numbers (the reversed breadth-first walk from the output node): Tanh 1, the output node 2, CAddTable 3,
    # the Linears 4 and 5, the inputs 6 and 7, then nngraph's split of the input node (8 to 10) and the input node 11
    assert [n.id for n in g.forwardnodes] == [6, 4, 7, 5, 3, 1] and (g.innode.id, g.outnode.id) == (11, 2)
    assert len(g.bg.edges) == len(g.fg.edges) and g.bg.backward and not g.fg.backward


def test_a_node_id_is_its_position_in_fg_nodes_as_torch_graph_numbers_them():
    """torch/graph's Graph:add sets node.id to the node's position in graph.nodes; facebookarchive/SCRNNs'
    set_internal_layers reads ``encoder.fg.nodes[node.id].data.module`` of a serialized clone with the id of the
    original's node. legonn's ids are nngraph's (from 1) and its fg.nodes are in their order, so the line with the
    index made 0-based, ``fg.nodes[node.id - 1]``, finds the same module; with several inputs too, whose split
    and select nodes nngraph's fg holds."""
    inp = nn.Identity()()
    hid = nn.Linear(3, 4)(inp)
    out = nn.Linear(4, 2)(nn.Tanh()(hid))
    g = nn.gModule([inp], [out])
    assert all(g.fg.nodes[n.id - 1] is n for n in g.fg.nodes)
    clone = lg.deserialize(lg.serialize(g))
    found = clone.fg.nodes[hid.id - 1].data.module
    assert lg.type(found) == 'nn.Linear' and found.weight.size() == (4, 3)
    assert lg.equal(found.weight, hid.module.weight) and found is not hid.module
    x, h = nn.Identity()(), nn.Identity()()
    joined = nn.CAddTable()([nn.Linear(3, 2)(x), nn.Linear(2, 2)(h)])
    two = nn.gModule([x, h], [joined])
    assert [n.id for n in two.fg.nodes] == list(range(1, len(two.fg.nodes) + 1))
    assert sum(n.selectindex is not None for n in two.fg.nodes) == 2
    assert sum(n.nSplitOutputs == 2 for n in two.fg.nodes) == 1


def test_fg_edges_and_successors_come_in_nngraph_order():
    """torch/graph's Graph:reverse (init.lua:76-86) builds nngraph's fg from bg's edges in their order, the
    breadth-first walk from the output node (Node.lua:50-59, each node to its inputs), and Graph:add appends each
    edge's end to the node's ``children``: a node feeding several gets them in the order that walk meets them,
    which a library walking ``children`` sees (bshillingford/nnquery's siblings and ``first_child``). Here the walk
    goes out -> z, out -> y, z -> h, z -> y, y -> h, h -> x, x -> innode, so h's forward children are z, then y."""
    x = nn.Identity()()
    h = nn.Tanh()(x)
    y = nn.Sigmoid()(h)
    z = nn.CAddTable()([h, y])
    g = nn.gModule([x], [z, y])
    assert g.fg.successors(h) == [z, y]
    assert g.fg.edges == [(z, g.outnode), (y, g.outnode), (h, z), (y, z), (h, y), (x, h), (g.innode, x)]
    assert g.bg.edges == [(b, a) for a, b in g.fg.edges]
    assert [n.id for n in (z, g.outnode, y, h, x, g.innode)] == [1, 2, 3, 4, 5, 6]


def test_labels_show_module_data_and_inputs():
    g = _small()
    g.forward([lg.randn(3), lg.randn(4)])
    g.backward([lg.randn(3), lg.randn(4)], lg.randn(2))
    fg, bg = g.fg.todot('F'), g.bg.todot('B')
    assert 'module = nn.CAddTable' in fg and 'mapindex = {Node' in fg and 'input = {FloatTensor[2],FloatTensor[2]}' in fg
    assert 'gradOutput = FloatTensor[2]' in bg and 'label="B"' in bg


def test_dot_without_path_returns_svg_and_quotes_text(tmp_path):
    x = nn.Identity()()
    y = nn.Tanh()(x).annotate(name='say "hi"', description='back\\slash')
    svg = graph.dot(nn.gModule([x], [y]).fg, 'quotes "too"')
    root = ET.fromstring(svg)
    texts = ' '.join(t.text or '' for t in root.iter(SVG + 'text'))
    assert 'say "hi"' in texts and 'back\\slash' in texts and 'quotes "too"' in texts


def test_annotate_nodes_keeps_explicit_names():
    first = nn.Identity()()
    second = nn.Tanh()(first).annotate(name='explicit')
    graph.annotateNodes()
    assert first.name == 'first' and second.name == 'explicit'
    node = nn.Identity()()
    node.annotate({'name': 'from a dict', 'description': 'd'})
    assert node.annotations['description'] == 'd' and node.name == 'from a dict'


def test_debug_dumps_unnamed_nested_and_backward(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    x = nn.Identity()()
    bad = nn.Linear(4, 2)(x)
    inner = nn.gModule([x], [bad])
    y = nn.Identity()()
    wrapped = inner(y)
    outer = nn.gModule([y], [nn.Tanh()(wrapped)])
    graph.setDebug(True)
    try:
        for _ in range(2):
            with pytest.raises(ValueError) as info:
                outer.forward(lg.randn(5))
        assert any('graph written to nngraph_1in_1out' in note for note in info.value.__notes__)
        outer.forward(lg.randn(4))
        with pytest.raises(ValueError):
            outer.backward(lg.randn(4), lg.randn(3))
    finally:
        graph.setDebug(False)
    assert 'saving nngraph_1in_1out.svg' in capsys.readouterr().err
    dumps = sorted(p.name for p in tmp_path.glob('*.svg'))
    # two failed forwards dump the inner and the outer graph; the backward fails in the outer one only
    assert len(dumps) == 5 and 'nngraph_1in_1out_4.svg' in dumps
    first_inner, first_outer = _node_fills(tmp_path / 'nngraph_1in_1out.svg'), \
        _node_fills(tmp_path / 'nngraph_1in_1out_1.svg')
    assert [t for t, f in first_inner.items() if 'red' in f] == [t for t in first_inner if 'Linear(4 -> 2)' in t]
    assert [t for t, f in first_outer.items() if 'red' in f] == [t for t in first_outer if 'gModule' in t]
    backward_outer = _node_fills(tmp_path / 'nngraph_1in_1out_4.svg')
    assert [t for t, f in backward_outer.items() if 'red' in f] == [t for t in backward_outer if 'Tanh' in t]


def test_no_dump_without_debug(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x = nn.Identity()()
    g = nn.gModule([x], [nn.Linear(4, 2)(x)])
    with pytest.raises(ValueError):
        g.forward(lg.randn(5))
    assert not list(tmp_path.iterdir())
