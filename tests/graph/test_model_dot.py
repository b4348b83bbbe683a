"""Drawing any module tree: clusters for containers, fan-out and join, gModules inline, output sizes."""
import re
import xml.etree.ElementTree as ET

import pytest

import legonn as lg
from legonn import graph, nn

SVG = '{http://www.w3.org/2000/svg}'


def _classes(svg):
    """How many SVG groups of each class (node, edge, cluster) the rendered drawing has."""
    counts = {}
    for group in ET.fromstring(svg).iter(SVG + 'g'):
        counts[group.get('class')] = counts.get(group.get('class'), 0) + 1
    return counts


def _edges(text):
    return len(re.findall(r'^m\d+ -> m\d+', text, re.M))


def _nested():
    """Sequential[Linear, Concat[Sequential[Linear, Tanh], Linear], ConcatTable[Identity, Identity],
    ParallelTable[Sigmoid, Tanh], CAddTable]."""
    branch = nn.Sequential().add(nn.Linear(4, 3)).add(nn.Tanh())
    concat = nn.Concat(1).add(branch).add(nn.Linear(4, 2))
    table = nn.ConcatTable().add(nn.Identity()).add(nn.Identity())
    pair = nn.ParallelTable().add(nn.Sigmoid()).add(nn.Tanh())
    return nn.Sequential().add(nn.Linear(5, 4)).add(concat).add(table).add(pair).add(nn.CAddTable())


def test_nested_containers_draw_clusters_fan_out_and_join():
    model = _nested()
    text = graph.model_to_dot(model)
    # clusters: the outer Sequential, Concat, its inner Sequential, ConcatTable, ParallelTable
    assert text.count('subgraph cluster_') == 5
    # nodes: input, output, 9 leaves, 3 joins, 2 table-entry nodes of the ParallelTable
    assert text.count('[shape="box"') == 9 + 3 and text.count('label="[') == 2
    assert text.count('shape="ellipse"') == 2
    # edges: in->L, L->branch L, Lin->Tanh, Tanh->join, L->L2, L2->join, join->Id x2, Id->join x2,
    # join->[0], join->[1], [0]->Sigm, [1]->Tanh, Sigm->join, Tanh->join, join->CAdd, CAdd->out
    assert _edges(text) == 18
    counts = _classes(graph.dot(model, 'nested'))
    assert counts['cluster'] == 5 and counts['node'] == 16 and counts['edge'] == 18


def test_leaf_labels_show_path_repr_and_output_size_after_forward():
    model = _nested()
    assert 'output =' not in graph.model_to_dot(model)
    model.forward(lg.randn(2, 5))
    text = graph.model_to_dot(model, 'after forward')
    assert 'Sequential[1][0][0]\\lnn.Linear(4 -> 3)\\loutput = FloatTensor[2x3]' in text
    assert 'Concat join\\loutput = FloatTensor[2x5]' in text and 'label="after forward"' in text


def test_gmodule_is_drawn_inline_with_its_edges(tmp_path):
    x = nn.Identity()()
    a, b = nn.Linear(3, 3)(x), nn.Linear(3, 3)(x)
    g = nn.gModule([x], [nn.CAddTable()([a, b])])
    model = nn.Sequential().add(g).add(nn.Tanh())
    text = graph.model_to_dot(model)
    assert text.count('subgraph cluster_') == 2
    # input -> Identity -> two Linears -> CAddTable -> Tanh -> output
    assert _edges(text) == 7 and text.count('[shape="box"') == 5
    graph.dot(model, 'with a gModule', tmp_path / 'g')
    assert (tmp_path / 'g.svg').read_text().startswith(('<?xml', '<svg')) and (tmp_path / 'g.dot').exists()


def test_decorators_and_bottle_wrap_their_child():
    model = nn.Sequential().add(nn.Bottle(nn.Linear(3, 2))).add(nn.NaN(nn.Tanh()))
    text = graph.model_to_dot(model)
    assert text.count('subgraph cluster_') == 3 and 'Sequential[1][0]\\lnn.Tanh' in text


def test_model_to_dot_rejects_non_modules():
    with pytest.raises(TypeError, match='expected an nn module, got int'):
        graph.model_to_dot(3)
