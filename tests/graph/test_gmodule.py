"""nngraph's own test cases (test_nngraph.lua, test_nest.lua, test_JustElement/JustTable,
test_ModuleFromCriterion) ported, plus nesting, shared clones and the module API."""
import numpy as np
import pytest

import legonn as lg
from legonn import graph, nn
from tests.checks import assert_close_trees, assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def _np(t):
    return np.asarray(t.array, dtype=np.float64)


def test_one_output_recomputes():
    in1 = nn.Identity()()
    module = nn.gModule([in1], [nn.Identity()(in1)])
    assert _np(module.forward(lg.Tensor([1.0]))).tolist() == [1.0]
    assert _np(module.backward(lg.Tensor([1.0]), lg.Tensor([-123.0]))).tolist() == [-123.0]
    assert _np(module.forward(lg.Tensor([2.0]))).tolist() == [2.0]
    assert _np(module.backward(lg.Tensor([2.0]), lg.Tensor([-2.0]))).tolist() == [-2.0]


def test_fan_out_sums_gradients():
    in1 = nn.Identity()()
    module = nn.gModule([in1], [nn.Identity()(in1), nn.Identity()(in1)])
    x = lg.Tensor([1.0])
    module.forward(x)
    assert _np(module.backward(x, [lg.Tensor([-2.0]), lg.Tensor([-3.0])])).tolist() == [-5.0]
    assert_jacobian(module, x)


def test_two_grad_outputs_through_split():
    in1 = nn.Sigmoid()()
    out1, out2 = nn.SplitTable(0)([in1]).split(2)
    module = nn.gModule([in1], [out1, out2])
    output = module.forward(lg.randn(2, 3))
    assert len(output) == 2 and output[0].size() == (3,)
    assert_jacobian(module, lg.randn(2, 3))


def test_two_inputs_one_of_them_a_table():
    in1, in2 = nn.Identity()(), nn.Identity()()
    prevH, prevCell = in2.split(2)
    module = nn.gModule([in1, in2], [nn.CMulTable()([in1, prevH, prevCell])])
    x = [lg.randn(3), [lg.randn(3), lg.randn(3)]]
    out = module.forward(x)
    np.testing.assert_allclose(_np(out), _np(x[0]) * _np(x[1][0]) * _np(x[1][1]), rtol=1e-6)
    gi = module.backward(x, lg.randn(3))
    assert len(gi) == 2 and isinstance(gi[1], list) and gi[1][0].size() == (3,)
    assert_jacobian(module, x)


def test_inputs_that_are_outputs():
    in1, in2 = nn.Sigmoid()(), nn.Sigmoid()()
    module = nn.gModule([in1, in2], [in1, in2, nn.Sigmoid()(in1)])
    assert_jacobian(module, [lg.randn(3), lg.randn(3)])
    in1, in2 = nn.Identity()(), nn.Identity()()
    module = nn.gModule([in1, in2], [in1, in2, nn.Identity()(in1)])
    assert_jacobian(module, [lg.randn(3), lg.randn(3)])


def test_split_debug_labels_point_at_the_split():
    node = nn.Identity()()
    node.annotate(name='state')
    first, second = node.split(2)  # this line
    assert "select [0] of node 'state'" in first.where() and 'select [1]' in second.where()
    assert first.siteText().endswith(f':{first.site[1]}') and first.site[1] == node.site[1] + 2


def test_grad_input_type_with_table_state():
    x, prevRnnState = nn.Identity()(), nn.Identity()()
    prevH, prevCell = prevRnnState.split(2)
    cellOut = nn.CAddTable()([nn.CMulTable()([x, prevH]), nn.CMulTable()([prevH, prevCell])])
    module = nn.gModule([x, prevRnnState], [cellOut])
    h, c = lg.randn(3), lg.randn(3)
    input = [lg.randn(3), [h, c]]
    module.forward(input)
    gradX, (gradPrevH, gradPrevCell) = module.backward(input, lg.randn(3))
    assert type(gradPrevH) is type(h) and gradPrevH.size() == h.size()
    assert_jacobian(module, [lg.randn(3), [h, c]])


def test_tabular_input_node():
    in1 = nn.SplitTable(0)()
    module = nn.gModule([in1], [nn.CAddTable()(in1)])
    x = lg.randn(2, 3)
    np.testing.assert_allclose(_np(module.forward(x)), _np(x).sum(0), rtol=1e-6)
    assert_jacobian(module, x)


def test_single_input_passes_tables_through():
    in1 = nn.Identity()()
    module = nn.gModule([in1], [nn.Identity()(in1)])
    x = lg.Tensor([123.0])
    assert module.forward(x) is x
    out = module.forward([x])
    assert isinstance(out, list) and out[0] is x


def test_parameters_of_a_node_used_twice():
    in1 = nn.CMul(10)()
    module = nn.gModule([in1], [nn.Identity()(in1), nn.Identity()(in1)])
    x = lg.randn(10)
    module.forward(x)
    module.zeroGradParameters()
    g1, g2 = lg.randn(10), lg.randn(10)
    module.backward(x, [g1, g2])
    np.testing.assert_allclose(_np(in1.module.gradWeight), _np(x) * (_np(g1) + _np(g2)), rtol=1e-5)
    assert_jacobian(module, x)


def test_type_conversion_reaches_node_state():
    in1 = nn.Linear(20, 10)()
    out1 = nn.Linear(10, 1)(nn.Tanh()(nn.Linear(10, 10)(nn.Tanh()(in1))))
    module = nn.gModule([in1], [out1]).double()
    x = lg.rand(20).double()
    output = module.forward(x)
    module.backward(x, output.clone().normal())
    assert module.output.type() == 'legonn.DoubleTensor' and module.gradInput.type() == 'legonn.DoubleTensor'
    module.float()
    for node in module.forwardnodes:
        assert node.input.type() == 'legonn.FloatTensor' and node.gradOutput.type() == 'legonn.FloatTensor'
    assert module.output.type() == 'legonn.FloatTensor'
    assert module.forward(x.float()).type() == 'legonn.FloatTensor'
    assert module.backward(x.float(), output.float()).type() == 'legonn.FloatTensor'
    assert_type_roundtrip(module, lg.rand(20))


def test_nested_grad_input_of_containers():
    x = nn.Identity()()
    h1 = nn.Sequential().add(nn.JoinTable(1)).add(nn.Tanh())
    h2 = nn.Sequential().add(nn.JoinTable(1)).add(nn.Identity())
    model = nn.gModule([x], [nn.CAddTable()([h1(x), h2(x)])])
    assert_jacobian(model, [lg.randn(2, 2), lg.randn(2, 2), lg.randn(2, 2)])
    assert_jacobian(model, [lg.randn(1, 2), lg.randn(1, 2), lg.randn(1, 2)])


def test_usage_after_split():
    prevState = nn.Identity()()
    h, cell = prevState.split(2)
    model = nn.gModule([prevState], [h, nn.Identity()(prevState), nn.Sigmoid()(cell)])
    assert_jacobian(model, [lg.randn(4), lg.randn(4)])


def test_gradient_buffers_follow_changing_tables():
    in1 = nn.Identity()()
    net = nn.gModule([in1], [nn.Identity()(in1), nn.Identity()(in1)])
    for sizes in ((3, 4), (3, 4, 5), (3, 4)):
        x = [lg.randn(10), [lg.randn(s) for s in sizes]]
        net.forward(x)
        gi = net.backward(x, net.output)
        assert len(gi[1]) == len(sizes)
        np.testing.assert_allclose(_np(gi[1][-1]), 2 * _np(x[1][-1]), rtol=1e-6)


def test_split_count_is_checked_at_run_time():
    in1 = nn.Identity()()
    out1, out2 = nn.SplitTable(1)(in1).split(2)
    model = nn.gModule([in1], [out1, out2])
    with pytest.raises(ValueError, match=r'split\(2\) cannot split 3 outputs'):
        model.forward(lg.randn(4, 3))
    a, b, c = nn.SplitTable(1)(in1 := nn.Identity()()).split(3)
    model = nn.gModule([in1], [a, b, c])
    with pytest.raises(ValueError, match=r'split\(3\) cannot split 2 outputs'):
        model.forward(lg.randn(4, 2))


def test_expanded_zero_gradients_sum():
    class _ZeroGrad(nn.Identity):
        def updateGradInput(self, input, gradOutput):
            self.gradInput = lg.zeros(1, 1, 1).expand(*input.size())
            return self.gradInput

    x = nn.Identity()()
    mod = nn.gModule([x], [nn.CAddTable()([_ZeroGrad()(x), nn.Identity()(x)])])
    input, gradOutput = lg.rand(1, 2, 3), lg.rand(1, 2, 3)
    mod.forward(input)
    np.testing.assert_allclose(_np(mod.backward(input, gradOutput)), _np(gradOutput))
    x = nn.Identity()()
    mod = nn.gModule([x], [nn.CAddTable()([_ZeroGrad()(x), _ZeroGrad()(x)])])
    mod.forward(input)
    assert not _np(mod.backward(input, gradOutput)).any()


def test_replace_swaps_modules():
    i = nn.Identity()()
    l1 = nn.Linear(5, 2)(i)
    l2 = nn.Linear(2, 5)(nn.Sigmoid()(l1))
    model = nn.gModule([i], [l2])
    first_linear = l1.module
    assert model.forward(lg.randn(4, 5)).size() == (4, 5)

    def swap(m):
        if type(m).__name__ == 'Linear':
            return nn.Linear(2, 10) if m.weight.size(0) == 5 else nn.Linear(10, 2)
        return nn.Tanh() if type(m).__name__ == 'Sigmoid' else m

    model.replace(swap)
    assert model.forward(lg.randn(4, 10)).size() == (4, 10)
    assert model.backward(lg.randn(4, 10), lg.randn(4, 10)).size() == (4, 10)
    assert model.modules[1] is not first_linear and l1.module is model.modules[1] and type(model.modules[2]).__name__ == 'Tanh'


def test_nest_builds_nested_outputs():
    in1, in2, in3 = nn.Identity()(), nn.Identity()(), nn.Identity()()
    ok = nn.CAddTable()(graph.nest([in1]))
    net = nn.gModule([in1, in2, in3], [ok, graph.nest(in1), graph.nest([in1, [in2], in3]),
                                       graph.nest([in3]), graph.nest([in1, in2])])
    v1, v2, v3 = lg.randn(7, 3), lg.randn(2), lg.randn(3)
    out = net.forward([v1, v2, v3])
    assert_close_trees(out, [v1, v1, [v1, [v2], v3], [v3], [v1, v2]])


def test_just_element_and_just_table():
    x = lg.randn(7, 11)
    assert nn.JustElement().forward([x]) is x
    assert nn.JustTable().forward(x)[0] is x
    assert_jacobian(nn.JustElement(), [lg.randn(2, 3)])
    assert_jacobian(nn.JustTable(), lg.randn(2, 3))
    in1 = nn.Identity()()
    net = nn.gModule([in1], [in1.split(1)])
    assert net.forward([x]) is x
    with pytest.raises(TypeError, match='JustElement: expected a table'):
        nn.JustElement().forward(x)


@pytest.mark.skipif(not hasattr(nn, 'MSECriterion'), reason='nn.MSECriterion has not landed yet')
def test_module_from_criterion():
    prediction, target = nn.Identity()(), nn.Identity()()
    mse = nn.MSECriterion()([prediction, target])
    costBits = nn.MulConstant(1 / np.log(2))(mse)
    net = nn.gModule([prediction, target], [costBits]).double()
    input = [lg.randn(3, 5).double(), lg.rand(3, 5).double()]
    criterion = nn.MSECriterion()
    output = net.forward(input)
    np.testing.assert_allclose(_np(output)[0], criterion.forward(*input) / np.log(2), rtol=1e-12)
    loss, grad = criterion(*input)   # on data a call is Criterion.lua's __call__: forward, then backward
    assert loss == criterion.forward(*input) and grad is criterion.gradInput
    gradOutput = lg.randn(1).double()
    gi = net.backward(input, gradOutput)
    expected = _np(criterion.backward(*input)) * _np(gradOutput)[0] / np.log(2)
    np.testing.assert_allclose(_np(gi[0]), expected, rtol=1e-12)
    assert not _np(gi[1]).any()
    p = nn.Identity()()
    t = nn.AddConstant(1.23)(nn.MulConstant(0)(p))
    assert_jacobian(nn.gModule([p], [nn.MSECriterion()([p, t])]), lg.randn(4, 7))
    assert_type_roundtrip(nn.ModuleFromCriterion(nn.MSECriterion()), [lg.randn(3, 5), lg.randn(3, 5)])


def test_nested_gmodule_matches_flat_graph():
    x = nn.Identity()()
    inner = nn.gModule([x], [nn.Tanh()(nn.Linear(3, 4)(x))])
    a, b = nn.Identity()(), nn.Identity()()
    ha, hb = inner(a), nn.Linear(2, 4)(b)
    outer = nn.gModule([a, b], [nn.CMulTable()([ha, hb]), ha])
    assert_jacobian(outer, [lg.randn(3), lg.randn(2)])
    outer.double()
    xa, xb = lg.randn(3).double(), lg.randn(2).double()
    lin_a, lin_b = inner.modules[1], hb.module
    prod, h = outer.forward([xa, xb])
    ta = np.tanh(_np(lin_a.weight) @ _np(xa) + _np(lin_a.bias))
    tb = _np(lin_b.weight) @ _np(xb) + _np(lin_b.bias)
    np.testing.assert_allclose(_np(prod), ta * tb)
    np.testing.assert_allclose(_np(h), ta)


def test_shared_clones_accumulate_into_one_gradient():
    proto = nn.Linear(3, 3)
    x = nn.Identity()()
    first = proto(x)
    twin = proto.clone('weight', 'bias', 'gradWeight', 'gradBias')
    second = twin(nn.Tanh()(first))
    net = nn.gModule([x], [second]).double()
    params, grads = net.getParameters()
    assert params.nElement() == 12  # shared once
    xin, gout = lg.randn(3).double(), lg.randn(3).double()
    net.zeroGradParameters()
    net.forward(xin)
    net.backward(xin, gout)
    w = _np(proto.weight)
    a = w @ _np(xin) + _np(proto.bias)
    d_a = (w.T @ _np(gout)) * (1 - np.tanh(a) ** 2)
    expected = np.outer(_np(gout), np.tanh(a)) + np.outer(d_a, _np(xin))
    np.testing.assert_allclose(_np(proto.gradWeight), expected, rtol=1e-10)
    assert twin.weight.storage() is proto.weight.storage()
    assert_jacobian(net, lg.randn(3))


def test_module_api_inside_containers():
    x = nn.Identity()()
    g = nn.gModule([x], [nn.Tanh()(nn.Linear(4, 3)(x))])
    seq = nn.Sequential().add(nn.Linear(2, 4)).add(g)
    params, grads = seq.getParameters()
    assert params.nElement() == 2 * 4 + 4 + 4 * 3 + 3
    assert seq.getParameters()[0].storage() is params.storage()
    copy = seq.clone()
    xin = lg.randn(5, 2)
    np.testing.assert_allclose(_np(copy.forward(xin)), _np(seq.forward(xin)))
    assert copy.get(1).modules[1].weight.storage() is not g.modules[1].weight.storage()
    shared = g.clone('weight', 'bias')
    assert shared.modules[1].weight.storage() is g.modules[1].weight.storage()
    seq.evaluate()
    assert not g.train and not g.modules[1].train
    seq.training()
    assert g.modules[2].train
    seq.clearState()
    assert g.forwardnodes[1].output is None and xin.nElement() == 10
    assert 'nn.gModule' in repr(seq) and 'Linear(4 -> 3)' in repr(g)
    g.name = 'block'
    assert g.shortName() == 'gModule(block)'


@pytest.mark.gpu
def test_gpu_matches_cpu():
    a, b = nn.Identity()(), nn.Identity()()
    s = nn.CAddTable()([nn.Linear(3, 4)(a), nn.Linear(2, 4)(b)])
    g = nn.gModule([a, b], [nn.Tanh()(s), nn.Sigmoid()(s)])
    assert_gpu_matches_cpu(g, [lg.randn(5, 3), lg.randn(5, 2)])


def test_several_node_arguments_form_a_table():
    a, b = nn.Identity()(), nn.Identity()()
    s = nn.CAddTable()(a, b)
    assert s.inputs == [a, b]
    g = nn.gModule([a, b], [s])
    np.testing.assert_allclose(_np(g.forward([lg.ones(2), lg.ones(2)])), [2.0, 2.0])
    assert_jacobian(g, [lg.randn(2), lg.randn(2)])


def test_run_forward_function_runs_a_function_at_every_node_in_order():
    """gmodule.lua's runForwardFunction: ``func(module, x)`` at each node in forward order (a string names the
    module's method), the graph's output made of the results; 'updateOutput' is the forward itself."""
    x = nn.Identity()()
    h = nn.Linear(3, 4)(x)
    a, b = nn.Tanh()(h), nn.Sigmoid()(h)
    g = nn.gModule([x], [nn.CAddTable()([a, b])]).double()
    inp = lg.DoubleTensor(np.arange(6.0).reshape(2, 3) / 6)
    want = g.forward(inp).clone()
    g.output = None
    assert np.array_equal(g.runForwardFunction('updateOutput', inp).array, want.array)
    seen = []

    def doubled(module, x):
        seen.append(lg.typename(module))
        return module.updateOutput(x).clone().mul(2)
    got = g.runForwardFunction(doubled, inp)
    assert seen[0] == 'nn.Identity' and seen[1] == 'nn.Linear' and seen[-1] == 'nn.CAddTable'
    assert sorted(seen[2:4]) == ['nn.Sigmoid', 'nn.Tanh']
    lin = g.modules[1]
    h2 = 2 * ((2 * inp.array) @ lin.weight.array.T + lin.bias.array)   # every node doubles its result
    assert np.allclose(got.array, 2 * (2 * np.tanh(h2) + 2 / (1 + np.exp(-h2))))
    with pytest.raises(ValueError, match='expected a list of 2 inputs'):
        _two_input_graph().runForwardFunction('updateOutput', inp)


def _two_input_graph():
    p, q = nn.Identity()(), nn.Identity()()
    return nn.gModule([p, q], [nn.CAddTable()([p, q])])


def test_graph_node_attributes_default_the_tooltip_to_the_creation_label():
    """node.lua's graphNodeAttributes: the node's graphAttributes (made when absent), tooltip defaulting to its
    _debugLabel; graph.dot draws with them."""
    node = nn.Tanh()()
    attributes = node.graphNodeAttributes()
    assert attributes is node.annotations['graphAttributes']
    assert attributes['tooltip'] == node.annotations['_debugLabel'] and 'test_gmodule.py' in attributes['tooltip']
    styled = nn.Sigmoid()(node).annotate(graphAttributes={'color': 'red', 'tooltip': 'mine'})
    assert styled.graphNodeAttributes() == {'color': 'red', 'tooltip': 'mine'}
    g = nn.gModule([node], [styled])
    text = graph.graph_to_dot(g.fg)
    assert 'tooltip="mine"' in text and 'color="red"' in text and 'test_gmodule.py' in text


def test_a_nil_gradient_in_a_table_gradoutput_counts_as_zero():
    """nngraph drops a nil gradient (``table.insert(child.data.gradOutput, nil)`` adds nothing): SCRNNs'
    lstm.lua backpropagates ``{gi_state_i.hid, gi_state_i.mem}`` through its encoder, whose output is
    ``nn.Identity(){new_hid, new_mem}``, with ``mem`` still nil at the newest step. The None entry is a zero
    gradient; the sum it would have joined is the other terms'."""
    x = nn.Identity()()
    h = nn.Tanh()(nn.Linear(3, 2)(x))
    c = nn.Linear(3, 2)(x)
    state = nn.Identity()([nn.CMulTable()([h, nn.Sigmoid()(c)]), c])
    g = nn.gModule([x], [state]).double()
    inp = lg.DoubleTensor(4, 3).normal()
    out = g.forward(inp)
    gh = lg.DoubleTensor(4, 2).normal()
    with_none = g.backward(inp, [gh, None]).clone()
    with_zeros = g.backward(inp, [gh, out[1].clone().zero()])
    np.testing.assert_allclose(with_none.numpy(), with_zeros.numpy())
    assert float(with_none.abs().sum()) > 0


def test_acc_grad_parameters_after_update_grad_input_sweeps_once():
    """gmodule.lua's accGradParameters reads the gradOutputs the last updateGradInput left in the nodes. legonn
    swept the graph again, which ran every node's updateGradInput a second time: cudnn's batch normalisation
    accumulates its gradWeight and gradBias there (cudnn.torch's BatchNormalization.lua), so nn.Jacobian's
    updateGradInput then accGradParameters counted them twice (gcr/torch-residual-networks' residual block).
    A gradOutput other than the last sweep's is still swept for, and a forward in between sweeps again."""
    from legonn import cudnn
    lg.manualSeed(1)
    i = nn.Identity()()
    bn = cudnn.SpatialBatchNormalization(3)
    g = nn.gModule([i], [bn(nn.SpatialConvolution(2, 3, 3, 3, 1, 1, 1, 1)(i))]).double()
    x, dy = lg.DoubleTensor(2, 2, 4, 4).uniform(-1, 1), lg.DoubleTensor(2, 3, 4, 4).uniform(-1, 1)
    g.zeroGradParameters()
    g.forward(x)
    g.backward(x, dy)
    once = bn.gradBias.clone(), bn.gradWeight.clone()
    g.zeroGradParameters()
    g.forward(x)
    g.updateGradInput(x, dy)
    g.accGradParameters(x, dy)
    assert bn.gradBias.equal(once[0]) and bn.gradWeight.equal(once[1])
    other = dy.clone().mul(2)
    g.zeroGradParameters()
    g.forward(x)
    g.updateGradInput(x, dy)
    g.zeroGradParameters()                  # cudnn's BN accumulated dy's gradients in updateGradInput
    g.accGradParameters(x, other)           # another gradOutput: swept for, its gradients
    np.testing.assert_allclose(_np(bn.gradBias), 2 * _np(once[0]), rtol=1e-12)
    for p, gp in zip(*g.parameters()):
        assert nn.Jacobian.testJacobianParameters(g, x, p, gp, -2, 2, 1e-6) < 1e-6


def test_grad_input_table_longer_than_the_inputs():
    """nngraph's backward hands input k the module's gradInput[k] (gmodule.lua:424-431), so a module whose
    updateGradInput returns more entries than it has inputs (wojciechz/learning_to_execute's MaskedLoss returns
    {grad, Tensor{0}, Tensor{0}} for {pred, target}) runs. Too few entries run too: the missing gradInput[k] is
    nil, ``table.insert(child.data.gradOutput, nil)`` appends nothing, so input k gets no gradient from it (nil
    if nothing else reaches it; harvardnlp/data2text's CIndexAddTo returns none for its index input)."""
    class Extra(nn.Module):
        def updateOutput(self, input):
            self.output = input[0] * 2
            return self.output

        def updateGradInput(self, input, gradOutput):
            self.gradInput = [gradOutput * 2, lg.zeros(input[1].size()), lg.Tensor([0])]
            return self.gradInput

    a, b = nn.Identity()(), nn.Identity()()
    g = nn.gModule([a, b], [nn.Tanh()(Extra()([a, b]))])
    x, t = lg.randn(3, 4), lg.randn(3)
    out = g.forward([x, t])
    gx, gt = g.backward([x, t], lg.ones(3, 4))
    expected = (1 - lg.tanh(x * 2) ** 2) * 2
    assert lg.equal(out, lg.tanh(x * 2))
    assert (gx - expected).abs().max() < 1e-6
    assert lg.equal(gt, lg.zeros(3))

    class Short(Extra):
        def updateGradInput(self, input, gradOutput):
            self.gradInput = [gradOutput * 2]
            return self.gradInput

    a, b = nn.Identity()(), nn.Identity()()
    g = nn.gModule([a, b], [Short()([a, b])])
    g.forward([x, t])
    gx, gt = g.backward([x, t], lg.ones(3, 4))
    assert lg.equal(gx, lg.ones(3, 4) * 2) and gt is None
    # where another path reaches that input, its gradient is that path's alone
    a, b = nn.Identity()(), nn.Identity()()
    g = nn.gModule([a, b], [Short()([a, b]), nn.Tanh()(b)])
    g.forward([x, t])
    gx, gt = g.backward([x, t], [lg.ones(3, 4), lg.ones(3)])
    assert lg.equal(gx, lg.ones(3, 4) * 2)
    assert (gt - (1 - lg.tanh(t) ** 2)).abs().max() < 1e-6
    # a gradInput that is not a table still is an error
    class NotATable(Extra):
        def updateGradInput(self, input, gradOutput):
            self.gradInput = gradOutput * 2
            return self.gradInput
    a, b = nn.Identity()(), nn.Identity()()
    g = nn.gModule([a, b], [NotATable()([a, b])])
    g.forward([x, t])
    with pytest.raises(TypeError, match='a table of 2 gradInputs'):
        g.backward([x, t], lg.ones(3, 4))


def test_node_add_takes_nngraphs_domap_argument():
    """nngraph's node.lua:35 ``nnNode:add(child, domap)``: with ``domap`` true the child becomes the node's next
    input, as ``module(child)`` makes it. harvardnlp/lie-access-memory's models/lstm.lua feeds its lookup table
    into the graph's former input node so: ``inputs.x:add(x, true)``."""
    inp = nn.Identity()()
    x = nn.Identity()()
    emb = nn.LookupTable(5, 3)(inp)
    x.add(emb, True)
    out = nn.Tanh()(x)
    g = nn.gModule([inp], [out])
    lut = emb.module
    idx = lg.LongTensor([0, 4])
    assert np.allclose(g.forward(idx).numpy(), np.tanh(lut.weight.numpy()[[0, 4]]))
    with pytest.raises(ValueError, match='domap'):
        nn.Identity()().add(nn.Identity()(), False)
