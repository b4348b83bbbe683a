"""A gModule's element-wise regions run as one step on the CPU (legonn/graph/cpu_regions.py): bitwise the
node-by-node run's results and state for an LSTM cell, a GRU-style cell and a graph whose region outputs are
read outside it; gradients against finite differences; regions that stop qualifying run node by node;
LEGONN_NODE_BY_NODE=1 turns regions off; a char-rnn training loop of clones loses the same either way."""
import copy

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim
from legonn.graph import cpu_regions
from legonn.graph.gmodule import gModule
from legonn.tools import instance_hooks
from tests.checks import numeric_gradient
from tests.graph.test_fusion import gated_relu, hooked_calls, lstm_cell, recorded_steps


def gru_cell(n_in=4, hidden=5):
    """A GRU: r, z = sigmoids, n = tanh(x_n + r * h_n), next_h = n + z * (prev_h - n), all of it after the two
    Linears one region (prev_h - n as prev_h + Minus(n), so that the region stays convex)."""
    x, prev_h = nn.Identity()(), nn.Identity()()
    xr, xz, xn = nn.SplitTable(1)(nn.Reshape(3, hidden)(nn.Linear(n_in, 3 * hidden)(x))).split(3)
    hr, hz, hn = nn.SplitTable(1)(nn.Reshape(3, hidden)(nn.Linear(hidden, 3 * hidden)(prev_h))).split(3)
    r, z = nn.Sigmoid()(nn.CAddTable()([xr, hr])), nn.Sigmoid()(nn.CAddTable()([xz, hz]))
    n = nn.Tanh()(nn.CAddTable()([xn, nn.CMulTable()([r, hn])]))
    next_h = nn.CAddTable()([n, nn.CMulTable()([z, nn.CAddTable()([prev_h, nn.Minus()(n)])])])
    return gModule([x, prev_h], [next_h])


def read_outside():
    """A region whose members' outputs are also read outside it (a Linear, a Square, a graph output), the
    Sigmoid's by three nodes (three gradients meet there), an outside input read by two members."""
    a, b = nn.Identity()(), nn.Identity()()
    s = nn.Sigmoid()(a)
    m = nn.CMulTable()([s, nn.Tanh()(b)])
    total = nn.CAddTable()([m, s, a])
    return gModule([a, b], [total, nn.Linear(5, 5)(m), nn.Square()(s), m])


def read_between():
    """A Sigmoid read by two members and by a Square that the forward order puts between them: the
    node-by-node sweep sums its three gradients in an order other than the region's (fusion.sum_orders)."""
    a, b = nn.Identity()(), nn.Identity()()
    s = nn.Sigmoid()(a)
    square = nn.Square()(s)
    total = nn.CAddTable()([nn.CMulTable()([s, nn.Tanh()(b)]), s, a])
    return gModule([a, b], [square, total])


def fed_before():
    """An input read by a region, by a Square that feeds the region through a Linear, and by an Abs: the
    schedule runs the region after the Square, the forward order before it, so the input's three gradients
    arrive in another order than in the node-by-node sweep (fusion.sum_orders)."""
    a = nn.Identity()()
    gate = nn.CMulTable()([nn.Tanh()(nn.Sigmoid()(a)), nn.Linear(5, 5)(nn.Square()(a))])
    return gModule([a], [gate, nn.Abs()(a)])


GRAPHS = {'lstm': (lstm_cell, [(6,), (5,), (5,)], [(5,), (5,)]),
          'gru': (gru_cell, [(4,), (5,)], [(5,)]),
          'read outside': (read_outside, [(5,), (5,)], [(5,), (5,), (5,), (5,)]),
          'read between': (read_between, [(5,), (5,)], [(5,), (5,)]),
          'fed before': (fed_before, [(5,)], [(5,), (5,)]),
          'gated relu': (gated_relu, [(5,), (5,)], [(5,)])}


def graph_data(name, dtype, batch=3, seed=0):
    rng = np.random.default_rng(seed)
    _, ins, outs = GRAPHS[name]
    as_tensors = [lg.from_numpy(rng.standard_normal((batch,) + s)).type(f'legonn.{dtype}Tensor') for s in ins + outs]
    inputs, grads = as_tensors[:len(ins)], as_tensors[len(ins):]
    return inputs if len(inputs) > 1 else inputs[0], grads if len(grads) > 1 else grads[0]


@pytest.fixture
def region_steps(monkeypatch):
    """What cpu_regions.forward and backward answered, in order ('forward', ran) / ('backward', ran)."""
    return recorded_steps(monkeypatch, cpu_regions)


def host(value):
    if isinstance(value, (list, tuple)):
        return [host(v) for v in value]
    if isinstance(value, lg.Tensor):
        return value.numpy().copy()
    return value


def full_state(graph):
    """Every node's and module's state after a run: the nodes' input, output, gradOutput, gradInput, gradBuffer
    and grads, the modules' output, gradInput and the sizes their forward recorded."""
    state = []
    for node in graph.forwardnodes:
        state.append([host(getattr(node, name)) for name in ('input', 'output', 'gradOutput', 'gradInput',
                                                             'gradBuffer', 'grads')])
        module = node.module
        if module is not None:
            state.append([host(module.output), host(module.gradInput), module.__dict__.get('_forward_sizes'),
                          module.__dict__.get('_forward_output_sizes')])
    return state


def assert_identical(a, b, where='state'):
    """Bitwise equality of nested lists of arrays (same dtype, shape and bits) and other values."""
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f'{where}[{i}]')
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), where
    else:
        assert a == b, where


def train_twice(graph, inputs, grads):
    """Two forward/backward runs (the second reuses every buffer); the outputs, gradInputs and parameter
    gradients of the last."""
    for _ in range(2):
        graph.zeroGradParameters()
        out = host(graph.forward(inputs))
        grad_in = host(graph.backward(inputs, grads))
    params = graph.parameters()[1]
    return [out, grad_in, [host(g) for g in params]]


@pytest.mark.parametrize('dtype', ['Float', 'Double'])
@pytest.mark.parametrize('name', list(GRAPHS))
def test_a_region_run_is_bitwise_the_node_by_node_run(monkeypatch, region_steps, name, dtype):
    graph = GRAPHS[name][0]().type(f'legonn.{dtype}Tensor')
    plain = copy.deepcopy(graph)
    inputs, grads = graph_data(name, dtype, batch=40)   # enough elements for sums in another order to show
    got = train_twice(graph, inputs, grads)
    assert region_steps and all(ran for _, ran in region_steps)
    assert {which for which, _ in region_steps} == {'forward', 'backward'}
    monkeypatch.setenv('LEGONN_NODE_BY_NODE', '1')
    region_steps.clear()
    want = train_twice(plain, inputs, grads)
    assert region_steps == []
    assert_identical(got, want, 'results')
    assert_identical(full_state(graph), full_state(plain))


@pytest.mark.parametrize('name', ['lstm', 'gru', 'read outside'])
def test_finite_differences_agree_with_the_region_backward(region_steps, name):
    """Through the region run: outputs weighted by fixed gradients, differentiated by central differences."""
    graph = GRAPHS[name][0]().double()
    inputs, grads = graph_data(name, 'Double', batch=2, seed=1)
    params, grad_params = graph.getParameters()
    grad_params.zero()
    graph.forward(inputs)
    analytic = host(graph.backward(inputs, grads))
    analytic_params = grad_params.numpy().copy()
    assert region_steps == [('forward', True), ('backward', True)]
    listed = (lambda v: v if isinstance(v, list) else [v])
    weights = [g.numpy() for g in listed(grads)]

    def loss():
        out = listed(graph.forward(inputs))
        assert len(out) == len(weights)
        return sum(float((o.numpy() * w).sum()) for o, w in zip(out, weights))
    for x, want in zip(listed(inputs), listed(analytic)):
        np.testing.assert_allclose(want, numeric_gradient(loss, x.numpy()), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(analytic_params, numeric_gradient(loss, params.numpy()), rtol=1e-6, atol=1e-8)


def run_once(graph, inputs, grads):
    return [host(graph.forward(inputs)), host(graph.backward(inputs, grads))]


def test_a_region_with_an_in_place_member_runs_node_by_node(region_steps):
    cell = lstm_cell().double()
    plain = copy.deepcopy(cell)
    inputs, grads = graph_data('lstm', 'Double')
    run_once(cell, inputs, grads)   # the plan is made with the gate not in place
    gate = next(n.module for n in cell.forwardnodes if isinstance(n.module, nn.Sigmoid))
    gate.inplace = True
    region_steps.clear()
    got = run_once(cell, inputs, grads)
    assert region_steps == [('forward', False), ('backward', False)]
    next(n.module for n in plain.forwardnodes if isinstance(n.module, nn.Sigmoid)).inplace = True
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv('LEGONN_NODE_BY_NODE', '1')
        assert_identical(got, run_once(plain, inputs, grads))
    gate.inplace = False
    region_steps.clear()
    run_once(cell, inputs, grads)
    assert region_steps == [('forward', True), ('backward', True)]


def test_inputs_of_other_sizes_run_node_by_node(monkeypatch, region_steps):
    cell = lstm_cell().double()
    plain = copy.deepcopy(cell)
    (x, prev_c, prev_h), grads = graph_data('lstm', 'Double')
    inputs = [x, prev_c.view(15), prev_h]   # CMulTable pairs equal element counts of any sizes
    got = run_once(cell, inputs, grads)
    assert region_steps == [('forward', False), ('backward', False)]
    monkeypatch.setenv('LEGONN_NODE_BY_NODE', '1')
    assert_identical(got, run_once(plain, inputs, grads))
    assert_identical(full_state(cell), full_state(plain))


def test_gradients_of_another_type_run_node_by_node(monkeypatch, region_steps):
    cell = lstm_cell().double()
    inputs, (grad_c, grad_h) = graph_data('lstm', 'Double')
    cell.forward(inputs)
    with pytest.raises(Exception) as region_error:
        cell.backward(inputs, [grad_c, grad_h.float()])
    assert region_steps == [('forward', True), ('backward', False)]
    monkeypatch.setenv('LEGONN_NODE_BY_NODE', '1')
    cell.forward(inputs)
    with pytest.raises(type(region_error.value)) as plain_error:
        cell.backward(inputs, [grad_c, grad_h.float()])
    assert str(region_error.value) == str(plain_error.value)


def test_a_member_replaced_behind_the_plan_runs_node_by_node(monkeypatch, region_steps):
    cell = lstm_cell().double()
    inputs, grads = graph_data('lstm', 'Double')
    run_once(cell, inputs, grads)
    plain = copy.deepcopy(cell)
    for graph in (cell, plain):   # a node's module swapped for another class, without replace()
        next(n for n in graph.forwardnodes if isinstance(n.module, nn.Sigmoid)).module = nn.Tanh().double()
    region_steps.clear()
    got = run_once(cell, inputs, grads)
    assert region_steps == [('forward', False), ('backward', False)]
    monkeypatch.setenv('LEGONN_NODE_BY_NODE', '1')
    assert_identical(got, run_once(plain, inputs, grads))


def test_a_hooked_member_runs_node_by_node_and_its_hook_sees_every_call(region_steps):
    cell = lstm_cell().double()
    inputs, grads = graph_data('lstm', 'Double')
    gate = next(n.module for n in cell.forwardnodes if isinstance(n.module, nn.Tanh))
    calls, hooks = hooked_calls(gate)
    run_once(cell, inputs, grads)
    assert region_steps == [('forward', False), ('backward', False)] and calls == [1, 2]
    for hook in hooks:
        instance_hooks.uninstall(hook)
    region_steps.clear()
    run_once(cell, inputs, grads)
    assert region_steps == [('forward', True), ('backward', True)] and calls == [1, 2]


def test_the_switch_turns_regions_off(monkeypatch, region_steps):
    cell = lstm_cell().double()
    inputs, grads = graph_data('lstm', 'Double')
    monkeypatch.setenv('LEGONN_NODE_BY_NODE', '1')
    assert cell._fused_plan() is None
    run_once(cell, inputs, grads)
    assert region_steps == []
    monkeypatch.setenv('LEGONN_NODE_BY_NODE', '0')
    assert cell._fused_plan() is not None
    run_once(cell, inputs, grads)
    assert region_steps == [('forward', True), ('backward', True)]


def char_rnn_losses(steps=3, seq=4, vocab=7, hidden=5, batch=3):
    """The losses and final parameters of a few sgd steps of char-rnn's loop (compare.py's W3): the LSTM cell
    with a decoder cloned per time step, sharing parameters, ClassNLL per step, full backprop through time."""
    lg.manualSeed(5)
    x, prev_c, prev_h = nn.Identity()(), nn.Identity()(), nn.Identity()()
    cell = lstm_cell(vocab, hidden)
    next_c, next_h = cell([x, prev_c, prev_h]).split(2)
    proto = gModule([x, prev_c, prev_h], [next_c, next_h, nn.LogSoftMax()(nn.Linear(hidden, vocab)(next_h))])
    params, grad_params = proto.getParameters()
    clones = [proto.clone('weight', 'bias', 'gradWeight', 'gradBias') for _ in range(seq)]
    criterions = [nn.ClassNLLCriterion() for _ in range(seq)]
    rng = np.random.default_rng(3)
    ids = rng.integers(0, vocab, (seq + 1, batch))
    xs = np.eye(vocab, dtype=np.float32)[ids[:-1]]
    zeros = np.zeros((batch, hidden), np.float32)

    def feval(_):
        grad_params.zero()
        c, h, inputs, predictions, loss = zeros, zeros, [], [], 0.0
        for t in range(seq):
            inputs.append([xs[t], c, h])
            c, h, logp = clones[t].forward(inputs[t])
            loss += criterions[t].forward(logp, ids[t + 1])
            predictions.append(logp)
        dc, dh = zeros, zeros
        for t in reversed(range(seq)):
            grad_inputs = clones[t].backward(inputs[t], [dc, dh, criterions[t].backward(predictions[t], ids[t + 1])])
            dc, dh = grad_inputs[1], grad_inputs[2]
        return loss / seq, grad_params
    config = {'learningRate': 0.05, 'momentum': 0.9}
    losses = [optim.sgd(feval, params, config)[1][0] for _ in range(steps)]
    return losses, params.numpy().copy()


def test_a_char_rnn_loop_of_clones_loses_the_same_either_way(monkeypatch, region_steps):
    losses, params = char_rnn_losses()
    assert region_steps and all(ran for _, ran in region_steps)
    assert losses[-1] < losses[0]
    monkeypatch.setenv('LEGONN_NODE_BY_NODE', '1')
    region_steps.clear()
    want_losses, want_params = char_rnn_losses()
    assert region_steps == []
    assert losses == want_losses
    assert_identical(params, want_params)


def test_integer_tensors_run_node_by_node(monkeypatch, region_steps):
    inputs = [lg.LongTensor([[1, 2], [3, 4]]), lg.LongTensor([[5, 6], [7, 8]])]
    gates = read_outside()
    with pytest.raises(TypeError) as region_error:
        gates.forward(inputs)
    assert region_steps == [('forward', False)]
    monkeypatch.setenv('LEGONN_NODE_BY_NODE', '1')
    with pytest.raises(TypeError) as plain_error:
        gates.forward(inputs)
    assert 'Sigmoid' in str(plain_error.value) and str(region_error.value) == str(plain_error.value)


@pytest.mark.parametrize('update', [False, True])
def test_an_accumulation_set_on_a_parameter_free_instance_still_runs(update):
    """gModule skips Module's own accGradParameters (it does nothing), never one set on the instance."""
    cell = lstm_cell().double()
    inputs, grads = graph_data('lstm', 'Double')
    gate = next(n.module for n in cell.forwardnodes if isinstance(n.module, nn.Tanh))
    calls = []
    instance_hooks.install(gate, 'accGradParameters', lambda module, call_next, *args: calls.append(args[2]))
    cell.forward(inputs)
    if update:
        cell.accUpdateGradParameters(inputs, grads, 0.5)
    else:
        cell.backward(inputs, grads, 0.25)
    assert calls == ([-0.5] if update else [0.25])
