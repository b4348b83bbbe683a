"""lg.save_lua writes a legonn gModule as the nn.gModule object nngraph's constructor makes (gmodule.lua, node.lua,
graph's init.lua and Node.lua): the graph built as the real Torch7 fixture's is laid out exactly as Torch7 laid
that one out (node ids, edges, both topological orders, module order, mapindex); what is shared is written
once; gmodule.lua's forward and backward, replayed here on the raw object as the Lua code walks it, give
legonn's results; and several graphs (char-rnn's LSTM cell, a table input with split outputs, nested gModules,
shared weights) come back from load_lua with the same outputs, gradients and parameter gradients."""
import io

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.serialization.t7.modules import ModuleConverter

from .test_t7 import fixture
from .test_t7_module_writer import assert_same

FIXTURE = 'gmodule_with_linear_identity.t7'


def write(obj):
    out = io.BytesIO()
    lg.save_lua(out, obj)
    return out.getvalue()


def read(data, convert=True):
    return lg.load_lua(io.BytesIO(data), convert=convert)


def _seeded(shape, seed=0, kind=lg.FloatTensor):
    return kind(np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float64))


def _listed(table):
    """The list part (keys 1..n) of a Lua table (read as a list when it has no other keys)."""
    if isinstance(table, list):
        return table
    n = sum(1 for k in table if type(k) is int)
    return [table[i] for i in range(1, n + 1)]


# --- the graphs --------------------------------------------------------------------------------------------

def fixture_graph():
    """What gmodule_with_linear_identity.t7's labels record: a = nn.Identity()(), b = nn.Identity()(),
    c = nn.Linear(1,2)(a), mod = nn.gModule({a,b}, {nn.CAddTable(){b,c}})."""
    a, b = nn.Identity()(), nn.Identity()()
    c = nn.Linear(1, 2)(a)
    return nn.gModule([a, b], [nn.CAddTable()([b, c])])


def lstm_cell(input_size=5, rnn_size=4, layers=2, dropout=0.5, output_size=6):
    """char-rnn's model/LSTM.lua (its OneHot left out: the first input is the encoded character), 0-based."""
    inputs = [nn.Identity()()]
    for _ in range(layers):
        inputs += [nn.Identity()(), nn.Identity()()]
    outputs = []
    x, size = inputs[0], input_size
    for layer in range(layers):
        prev_c, prev_h = inputs[2 * layer + 1], inputs[2 * layer + 2]
        if layer > 0:
            x, size = nn.Dropout(dropout)(outputs[-1]), rnn_size
        i2h = nn.Linear(size, 4 * rnn_size)(x).annotate(name=f'i2h_{layer}')
        h2h = nn.Linear(rnn_size, 4 * rnn_size)(prev_h).annotate(name=f'h2h_{layer}')
        reshaped = nn.Reshape(4, rnn_size)(nn.CAddTable()([i2h, h2h]))
        n1, n2, n3, n4 = nn.SplitTable(1)(reshaped).split(4)
        in_gate, forget_gate, out_gate = nn.Sigmoid()(n1), nn.Sigmoid()(n2), nn.Sigmoid()(n3)
        next_c = nn.CAddTable()([nn.CMulTable()([forget_gate, prev_c]), nn.CMulTable()([in_gate, nn.Tanh()(n4)])])
        next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])
        outputs += [next_c, next_h]
    proj = nn.Linear(rnn_size, output_size)(nn.Dropout(dropout)(outputs[-1])).annotate(name='decoder')
    g = nn.gModule(inputs, outputs + [nn.LogSoftMax()(proj)])
    g.evaluate()   # the dropouts pass their input through, so two copies compute the same
    return g


def lstm_input():
    return [_seeded((3, 5), 1)] + [_seeded((3, 4), k) for k in range(2, 6)]


def table_graph():
    """One input node fed a table [x, y], split; outputs taken from a split, one used twice; a node:split(1)."""
    pair = nn.Identity()()
    x, y = pair.split(2)
    h = nn.Linear(3, 4)(x).annotate(name='h', description='first part')
    halves = nn.SplitTable(1)(nn.Reshape(2, 2)(nn.CAddTable()([h, y]))).split(2)
    single = nn.JustTable()(halves[1]).split(1)
    return nn.gModule(pair, [single, nn.Tanh()(halves[0]), halves[0], h])


def nested_graphs():
    """A gModule whose nodes run two gModules sharing their Linear's parameters, and a third graph inside one."""
    def inner():
        x = nn.Identity()()
        deepest_in = nn.Identity()()
        deepest = nn.gModule(deepest_in, nn.Tanh()(deepest_in))
        return nn.gModule(x, deepest(nn.Linear(3, 3)(x)))
    first = inner()
    second = inner()
    second.modules[1].share(first.modules[1], 'weight', 'bias', 'gradWeight', 'gradBias')
    a, b = nn.Identity()(), nn.Identity()()
    return nn.gModule([a, b], nn.CMulTable()([first(a), second(b)]))


def shared_weights():
    """One Linear's parameters used at two places of a graph (char-rnn's clones, within one graph)."""
    first = nn.Linear(3, 3)
    second = first.clone('weight', 'bias', 'gradWeight', 'gradBias')
    x = nn.Identity()()
    return nn.gModule(x, second(nn.Sigmoid()(first(x))))


GRAPHS = [
    ('fixture', fixture_graph, lambda: [_seeded((4, 1), 1), _seeded((4, 2), 2)]),
    ('lstm', lstm_cell, lstm_input),
    ('table', table_graph, lambda: [_seeded((2, 3), 1), _seeded((2, 4), 2)]),
    ('nested', nested_graphs, lambda: [_seeded((2, 3), 1), _seeded((2, 3), 2)]),
    ('shared', shared_weights, lambda: _seeded((4, 3), 1)),
]


def _grad_like(output, seed=7):
    if isinstance(output, list):
        return [_grad_like(o, seed + i) for i, o in enumerate(output)]
    return _seeded(tuple(output.size()), seed)


# --- layout ---------------------------------------------------------------------------------------------

def _kind(data):
    module = data.get('module')
    if module is not None:
        return module.typename
    if data.get('selectindex') is not None:
        return f"select {data['selectindex']}"
    return f"split {data['nSplitOutputs']}" if data.get('nSplitOutputs') is not None else 'bookkeeping'


def layout(g):
    """Everything about a raw nn.gModule's graph that the Lua code depends on, by node ids."""
    def ids(nodes):
        return [n['id'] for n in nodes]
    return {
        'forwardnodes': [(n['id'], _kind(n['data']), n['data']['forwardNodeId'], ids(_listed(n['children'])))
                         for n in g['forwardnodes']],
        'backwardnodes': [(n['id'], _kind(n['data']), ids(_listed(n['children']))) for n in g['backwardnodes']],
        'fg': (ids(_listed(g['fg']['nodes'])), [(e['from']['id'], e['to']['id']) for e in _listed(g['fg']['edges'])]),
        'bg': (ids(_listed(g['bg']['nodes'])), [(e['from']['id'], e['to']['id']) for e in _listed(g['bg']['edges'])]),
        'mapindex': [[d['forwardNodeId'] for d in _listed(n['data']['mapindex'])] for n in g['forwardnodes']],
        'modules': [m.typename for m in g['modules']],
        'ends': (g['innode']['id'], g['outnode']['id'], g['nInputs']),
    }


def test_the_fixtures_graph_is_laid_out_as_torch7_laid_it_out():
    """Built in legonn as the fixture's labels say, the graph is written with the ids, edges, orders and
    mapindex Torch7 wrote: nngraph's constructor is replayed, not approximated."""
    real = lg.load_lua(fixture(FIXTURE), convert=False)
    ours = read(write(fixture_graph()), convert=False)
    assert layout(ours) == layout(real)
    # and so is the fixture after load_lua, save_lua
    assert layout(read(write(lg.load_lua(fixture(FIXTURE))), convert=False)) == layout(real)


def test_the_object_has_the_fields_gmodule_lua_gives_it():
    raw = read(write(table_graph()), convert=False)
    assert raw.typename == 'nn.gModule' and raw.version == 1
    assert set(raw) == {'_type', 'train', 'modules', 'outnode', 'verbose', 'nInputs', 'bg', 'fg', 'innode',
                        'forwardnodes', 'backwardnodes', 'output'}
    assert raw['output'] is raw['outnode']['data']['input']   # several outputs: the outnode's input table
    assert 'output' not in read(write(shared_weights()), convert=False)   # one output: nil until a forward
    assert raw['verbose'] is False and raw['nInputs'] == 1 and raw['_type'] == 'torch.FloatTensor'
    for node in raw['forwardnodes'] + raw['backwardnodes']:
        assert node.typename == 'nngraph.Node' and set(node) == {'data', 'id', 'children', 'visited', 'marked'}
        assert node['visited'] is False and node['marked'] is False
        data = node['data']
        assert {'annotations', 'mapindex', 'reverseMap', 'forwardNodeId'} <= set(data)
        assert set(data) - {'annotations', 'mapindex', 'reverseMap', 'forwardNodeId'} in (
            {'module'}, {'nSplitOutputs'}, {'selectindex', 'input'}, {'input'})
        children = node['children']
        for i, child in enumerate(_listed(children)):
            assert children[child] == i + 1   # graph.Node's list with each child's position
        mapindex = data['mapindex']
        for i, source in enumerate(_listed(mapindex)):
            assert mapindex[source] == i + 1   # node.lua's mapindex: both ways
    graph = {g.typename for g in (raw['fg'], raw['bg'])}
    assert graph == {'graph.Graph'} and all(e.typename == 'graph.Edge' for e in _listed(raw['fg']['edges']))
    labels = {n['data']['annotations'].get('name'): n['data']['annotations'] for n in raw['forwardnodes']}
    assert labels['h']['description'] == 'first part' and '_debugLabel' in labels['h']
    kinds = [m.typename for m in raw['modules']]
    assert kinds[0] == 'nn.Identity' and {'nngraph.JustElement', 'nngraph.JustTable'} <= set(kinds)


def test_what_is_shared_is_written_once():
    """A module in ``modules`` and in its node, a data table in a forward and a backward node, a node in its
    graph and in the sorted lists: one object each in the file, as torch.save writes a table once."""
    raw = read(write(lstm_cell()), convert=False)
    modules = [n['data']['module'] for n in raw['forwardnodes'] if 'module' in n['data']]
    assert all(a is b for a, b in zip(modules, raw['modules'])) and len(modules) == len(raw['modules'])
    forward, backward = raw['forwardnodes'], raw['backwardnodes']
    assert {id(n['data']) for n in forward} == {id(n['data']) for n in backward}
    assert not {id(n) for n in forward} & {id(n) for n in backward}   # fg's nodes are new, sharing the data
    fg_nodes, bg_nodes = raw['fg']['nodes'], raw['bg']['nodes']
    assert all(fg_nodes[n] == n['id'] for n in forward) and all(bg_nodes[n] == n['id'] for n in backward)
    assert raw['innode'] in fg_nodes and raw['outnode'] in bg_nodes
    for node in backward:   # reverseMap: the nodes of the backward graph (the user's) fed by this one
        for fed in node['data']['reverseMap']:
            assert fed in bg_nodes and node in fed['children']
    data = write(lstm_cell())
    assert data.count(b'nn.Linear') == 5 and data.count(b'nngraph.Node') == 2 * len(forward)


# --- gmodule.lua's forward and backward, replayed on the raw object -----------------------------------------

class LuaRun:
    """gmodule.lua's runForwardFunction and updateGradInput, walking the raw object's tables as the Lua code does
    (children, ``mapindex[data]``, ``selectindex``, ``nInputs``, ``innode``, ``outnode``); the modules are load_lua's
    conversions of the raw module objects, a nested nn.gModule replayed the same way."""

    def __init__(self, raw, converter):
        self.raw, self.converter = raw, converter
        self.inputs, self.nested = {}, {}

    def module(self, obj):
        if obj.typename == 'nn.gModule':
            return self.nested.setdefault(id(obj), LuaRun(obj, self.converter))
        return self.converter.module(obj)

    def forward(self, input):
        g = self.raw
        given = [input] if g['nInputs'] <= 1 else list(input)
        self.inputs = {id(g['innode']['data']): dict(enumerate(given, 1))}
        for node in g['forwardnodes']:
            data = node['data']
            received = self.inputs.get(id(data), {})
            if data.get('selectindex') is not None:
                assert 'module' not in data and len(received) == 1
                out = received[1][data['selectindex'] - 1]
            else:
                x = received[1] if len(received) == 1 else [received[i] for i in range(1, len(received) + 1)]
                out = self.module(data['module']).forward(x) if 'module' in data else x
                if data.get('nSplitOutputs') is not None:
                    assert len(out) == data['nSplitOutputs']
            for child in _listed(node['children']):
                position = child['data']['mapindex'][data]
                slot = self.inputs.setdefault(id(child['data']), {})
                assert position not in slot, "each input should have one source"
                slot[position] = out
        outs = self.inputs[id(g['outnode']['data'])]
        outs = [outs[i] for i in range(1, len(outs) + 1)]
        return outs[0] if len(_listed(g['outnode']['children'])) == 1 else outs

    def backward(self, input, gradOutput):
        g = self.raw
        grads = {id(g['outnode']['data']): [gradOutput]}
        for node in g['backwardnodes']:
            data = node['data']
            received = grads.get(id(data), [])
            go = _lua_sum(received)
            children = _listed(node['children'])
            if data.get('selectindex') is not None:
                assert len(children) == 1
                split = grads.setdefault(id(children[0]['data']), [])
                assert len(split) <= 1
                if not split:
                    split.append({})
                split[0][data['selectindex']] = go
                continue
            if 'module' in data:
                x = self.inputs[id(data)]
                x = x[1] if len(x) == 1 else [x[i] for i in range(1, len(x) + 1)]
                gi = self.module(data['module']).backward(x, go)
            else:
                gi = go
            for child in children:
                position = data['mapindex'][child['data']]
                grads.setdefault(id(child['data']), []).append(gi if len(children) == 1 else gi[position - 1])
        innode = grads[id(g['innode']['data'])]
        assert len(innode) == 1, "expecting the innode to be used only once"
        return innode[0]


def _lua_value(v):
    """A Lua table of gradients (a split's, keyed 1..n) as legonn's list."""
    if isinstance(v, dict):
        return [_lua_value(v[i]) for i in range(1, len(v) + 1)]
    return v


def _lua_sum(grads):
    """getTotalGradOutput: the one gradient, or the sum of several."""
    grads = [_lua_value(g) for g in grads]
    if len(grads) == 1:
        return grads[0]
    if isinstance(grads[0], list):
        return [_lua_sum([g[i] for g in grads]) for i in range(len(grads[0]))]
    total = grads[0].clone()
    for g in grads[1:]:
        total.add(g)
    return total


@pytest.mark.parametrize('name, make, data', GRAPHS, ids=[g[0] for g in GRAPHS])
def test_gmodule_lua_runs_the_written_object_as_legonn_runs_the_graph(name, make, data):
    g = make()
    raw = read(write(g), convert=False)
    lua = LuaRun(raw, ModuleConverter('written', False, None))
    x = data()
    expected = g.forward(x)
    got = lua.forward(x)
    assert_same(got, expected)
    grad = _grad_like(expected)
    assert_same(lua.backward(x, grad), g.backward(x, grad))


# --- load_lua(save_lua(g)) --------------------------------------------------------------------------------

@pytest.mark.parametrize('name, make, data', GRAPHS, ids=[g[0] for g in GRAPHS])
def test_graphs_come_back_with_their_outputs_and_gradients(name, make, data):
    g = make()
    back = read(write(g))
    assert type(back) is nn.gModule and back.train == g.train and back.nInputs == g.nInputs
    assert [type(m).__name__ for m in back.modules] == [type(m).__name__ for m in g.modules]
    assert [n.name for n in back.forwardnodes] == [n.name for n in g.forwardnodes]
    assert_same(back.parameters()[0], g.parameters()[0])
    x = data()
    assert_same(back.forward(x), g.forward(x))
    grad = _grad_like(g.output)
    g.zeroGradParameters()
    back.zeroGradParameters()
    assert_same(back.backward(x, grad), g.backward(x, grad))
    assert_same(back.parameters()[1], g.parameters()[1])


def test_shared_parameters_stay_shared_and_nested_graphs_nested():
    g = nested_graphs()
    data = write(g)
    back = read(data)
    first, second = [m for m in back.modules if type(m) is nn.gModule]
    assert type(first.modules[2]) is nn.gModule and type(second.modules[2]) is nn.gModule
    assert first.modules[1].weight.storage() is second.modules[1].weight.storage()
    assert first.modules[1] is not second.modules[1]
    assert data.count(b'torch.FloatStorage') == 4   # the Linears share all four tensors: four storages, once
    linear = read(write(shared_weights()))
    a, b = [m for m in linear.modules if type(m) is nn.Linear]
    assert a is not b and a.weight.storage() is b.weight.storage() and a.gradBias.storage() is b.gradBias.storage()


def test_the_fixture_survives_load_save_load():
    model = lg.load_lua(fixture(FIXTURE))
    model.name = 'fixture'
    back = read(write(model))
    assert back.name == 'fixture'
    assert [type(m).__name__ for m in back.modules] == ['Identity', 'Identity', 'Linear', 'CAddTable']
    x = [lg.DoubleTensor([[3.0]]), lg.DoubleTensor([[1.0, -2.0]])]
    assert_same(back.forward(x), model.forward(x))
    grad = lg.DoubleTensor([[0.5, -1.5]])
    assert_same(back.backward(x, grad), model.backward(x, grad))


def test_a_node_module_torch7_cannot_hold_is_refused_naming_it():
    x = nn.Identity()()   # nnx's SpatialReSampling: a class save_lua does not write
    g = nn.gModule(x, nn.SpatialReSampling(owidth=4, oheight=4)(nn.Identity()(x)))
    with pytest.raises(TypeError) as err:
        write(g)
    assert 'the saved object (gModule).modules[2]' in str(err.value) and 'SpatialReSampling' in str(err.value)


@pytest.mark.gpu
def test_a_cuda_graph_is_written_as_a_cuda_object():
    g = lstm_cell()
    x = lstm_input()
    expected = g.forward(x)
    g.cuda()
    raw = read(write(g), convert=False)
    assert raw['_type'] == 'torch.CudaTensor' and raw['modules'][1]['_type'] == 'torch.CudaTensor'
    back = read(write(g))   # with CUDA usable, back on the GPU as saved
    assert back.modules[1].weight.type() == 'legonn.CudaTensor'
    on_gpu = [t.cuda() for t in x]
    assert_same([t.float() for t in back.forward(on_gpu)], [t.float() for t in g.forward(on_gpu)])
    assert_same(lg.load_lua(io.BytesIO(write(g)), device='cpu').forward(x), expected)
