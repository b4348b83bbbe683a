"""Concat, DepthConcat, Parallel, ConcatTable, ParallelTable, MapTable."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import standard_tests

rng = np.random.default_rng(0)


def r(*shape):
    return rng.normal(size=shape)


def concat():
    return nn.Concat(1).add(nn.Linear(3, 2)).add(nn.Sequential().add(nn.Linear(3, 2)).add(nn.Tanh()))


def depth_concat():
    # children giving (n, 1, 3) and (n, 2, 1): the second is centred in a 3-wide window
    return (nn.DepthConcat(1).add(nn.Sequential().add(nn.Linear(2, 3)).add(nn.Unsqueeze(1)))
            .add(nn.Sequential().add(nn.Linear(2, 2)).add(nn.Unsqueeze(2))))


def parallel():
    return nn.Parallel(0, 0).add(nn.Linear(3, 2)).add(nn.Linear(3, 1))


def concat_table():
    return nn.ConcatTable().add(nn.Linear(3, 2)).add(nn.Narrow(1, 0, 2))


def parallel_table():
    return nn.ParallelTable().add(nn.Linear(3, 2)).add(nn.Tanh())


def map_table():
    return nn.MapTable(nn.Linear(3, 2))


def concat_of_tables():
    # table input: each child's gradInput is a table and they are summed entry by entry
    return nn.Concat(0).add(nn.CAddTable()).add(nn.CMulTable())


CASES = [
    ('Concat', concat, lambda: r(2, 3)),
    ('Concat-table-input', concat_of_tables, lambda: [r(2, 3), r(2, 3)]),
    ('DepthConcat', depth_concat, lambda: r(2, 2)),
    ('Parallel', parallel, lambda: r(2, 3)),
    ('ConcatTable', concat_table, lambda: r(2, 3)),
    ('ParallelTable', parallel_table, lambda: [r(2, 3), r(4)]),
    ('MapTable', map_table, lambda: [r(3), r(2, 3), r(3)]),
]
IDS = [c[0] for c in CASES]


def _build(case):
    _, make, inp = case
    return make(), inp()


test_jacobian, test_type_roundtrip, test_gpu = standard_tests(CASES, _build, ids=IDS)


def lin(m):
    return lambda x: x @ m.weight.numpy().T + m.bias.numpy()


def test_concat_reference():
    m = concat().double()
    x = r(2, 3)
    a, b = m.get(0), m.get(1).get(0)
    np.testing.assert_allclose(m.forward(x).numpy(), np.concatenate([lin(a)(x), np.tanh(lin(b)(x))], 1))
    g = r(2, 4)
    gi = m.backward(x, g).numpy()
    expected = g[:, :2] @ a.weight.numpy() + (g[:, 2:] * (1 - np.tanh(lin(b)(x)) ** 2)) @ b.weight.numpy()
    np.testing.assert_allclose(gi, expected)
    np.testing.assert_allclose(a.gradWeight.numpy(), g[:, :2].T @ x)


def test_depth_concat_centres_and_zero_pads():
    m = depth_concat().double()
    x = r(2, 2)
    out = m.forward(x).numpy()
    assert out.shape == (2, 3, 3)
    first, second = m.get(0).output.numpy(), m.get(1).output.numpy()
    np.testing.assert_allclose(out[:, 0:1, :], first)
    np.testing.assert_allclose(out[:, 1:3, 1:2], second)
    assert not out[:, 1:3, 0].any() and not out[:, 1:3, 2].any()


def test_parallel_reference():
    m = parallel().double()
    x = r(2, 3)
    np.testing.assert_allclose(m.forward(x).numpy(), np.concatenate([lin(m.get(0))(x[0]), lin(m.get(1))(x[1])]))
    with pytest.raises(ValueError, match=r"Parallel: expected between 1 and 2 slices \(one per child\) along "
                                         r"dimension 0, got 3 slices"):
        m.forward(r(3, 3))


def test_parallel_without_dimensions_holds_children_for_get_parameters(tmp_path):
    """Parallel.lua's constructor keeps nil dimensions: stanfordnlp/treelstm's
    ``nn.Parallel():add(self.treelstm):add(self.sim_module)`` only gathers parameters for getParameters.
    Running such a Parallel says what it lacks, and the parameters are untouched by the failed call."""
    lin1, lin2 = nn.Linear(3, 2), nn.Linear(2, 1)
    holder = nn.Parallel().add(lin1).add(lin2)
    params, grads = holder.getParameters()
    assert params.nElement() == 3 * 2 + 2 + 2 * 1 + 1
    assert lin1.weight.storage() is params.storage()
    before = params.clone()
    with pytest.raises(TypeError, match=r"Parallel: expected an inputDimension and an outputDimension to run "
                                        r"\(nn.Parallel\(inDim, outDim\)\), got nn.Parallel\(None, None\)"):
        holder.forward(lg.randn(2, 3))
    assert lg.equal(params, before)
    # saved for Torch7 and read back: the nil fields stay nil
    path = str(tmp_path / 'holder.t7')
    lg.save_lua(path, holder)
    back = lg.load(path)
    assert (back.inputDimension, back.outputDimension) == (None, None)
    assert lg.equal(back.getParameters()[0], params)


def test_concat_table_and_parallel_table_reference():
    m = concat_table().double()
    x = r(2, 3)
    out = m.forward(x)
    np.testing.assert_allclose(out[0].numpy(), lin(m.get(0))(x))
    np.testing.assert_allclose(out[1].numpy(), x[:, :2])
    g0, g1 = r(2, 2), r(2, 2)
    expected = g0 @ m.get(0).weight.numpy() + np.pad(g1, ((0, 0), (0, 1)))
    np.testing.assert_allclose(m.backward(x, [g0, g1]).numpy(), expected)
    p = parallel_table().double()
    out = p.forward([x, x[0]])
    np.testing.assert_allclose(out[1].numpy(), np.tanh(x[0]))
    # ParallelTable.lua loops over its children: an entry after the last child's is left out of output and
    # gradInput (rnn's test.lua hands its mock step modules such tables); one missing is an error
    extra = p.forward([x, x[0], r(7)])
    assert len(extra) == 2
    np.testing.assert_allclose(extra[1].numpy(), np.tanh(x[0]))
    grads = p.backward([x, x[0], r(7)], [r(2, 2), r(3)])
    assert len(grads) == 2 and tuple(grads[1].size()) == (3,)
    with pytest.raises(ValueError, match=r"ParallelTable: expected an input table of at least 2 entries, got 1"):
        p.forward([x])


def test_map_table_shares_parameters_and_grows():
    m = map_table().double()
    x = [r(3), r(3), r(3)]
    out = m.forward(x)
    assert len(m.modules) == 3
    w = m.get(0).weight
    assert all(c.weight.storage() is w.storage() and c.gradWeight.storage() is m.get(0).gradWeight.storage()
               for c in m.modules)
    for o, xi in zip(out, x):
        np.testing.assert_allclose(o.numpy(), lin(m.get(0))(xi))
    m.zeroGradParameters()
    g = [r(2), r(2), r(2)]
    m.backward(x, g)
    np.testing.assert_allclose(m.get(0).gradWeight.numpy(), sum(np.outer(gi, xi) for gi, xi in zip(g, x)))
    params, grads = m.getParameters()
    assert params.nElement() == 3 * 2 + 2
    # sharing survives flattening and later growth
    m.forward([r(3)] * 5)
    assert all(c.weight.storage() is params.storage() for c in m.modules)
    unshared = nn.MapTable(nn.Linear(3, 2), False).double()
    unshared.forward(x)
    assert unshared.get(1).weight.storage() is not unshared.get(0).weight.storage()
    with pytest.raises(ValueError, match='single module'):
        m.add(nn.Linear(1, 1))


def test_table_outputs_reuse_child_tensors():
    m = concat_table().double()
    x = r(2, 3)
    out = m.forward(x)
    again = m.forward(x)
    assert out[0] is again[0]
    gi = m.backward(x, [r(2, 2), r(2, 2)])
    assert m.backward(x, [r(2, 2), r(2, 2)]) is gi


def test_concat_repr_follows_torch7():
    text = repr(concat())
    assert text.splitlines()[:3] == ['nn.Concat {', '  input', '    |`-> (0): nn.Linear(3 -> 2)']
    assert text.splitlines()[-2:] == ['     ... -> output', '}']


def _shared_grad_input_branches(container):
    """Two branches whose Tanh modules share one gradInput storage and whose Linear modules share another,
    as fb.resnet.torch's shareGradInput binds every module of a type to one storage."""
    return (container.add(nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()).add(nn.Linear(4, 2)))
            .add(nn.Sequential().add(nn.Tanh()).add(nn.Linear(3, 2))).double())


def _share_grad_inputs_by_type(model):
    storages = {}

    def share(m):
        if type(m) in (nn.Linear, nn.Tanh):
            storage = storages.setdefault(type(m), lg.DoubleStorage(1))
            m.gradInput = lg.DoubleTensor(storage, 0, 0)
    model.apply(share)


@pytest.mark.parametrize('build', [lambda: nn.ConcatTable(), lambda: nn.Concat(1), lambda: nn.DepthConcat(1)])
def test_backward_runs_each_branch_whole_when_grad_inputs_share_storage(build):
    """ConcatTable.lua, Concat.lua and DepthConcat.lua override backward: each child's backward
    (updateGradInput then accGradParameters) runs, and its gradInput is added into the container's,
    before the next child runs. So a child's gradOutput and gradInput may live in storage another
    child overwrites later (fb.resnet.torch's shareGradInput relies on it) and the gradients still
    equal those of the unshared network."""
    model = _shared_grad_input_branches(build())
    x = r(5, 3)
    gradOutput = r(5, 2, 2) if isinstance(model, nn.ConcatTable) else r(5, 4)
    gradOutput = [gradOutput[:, 0], gradOutput[:, 1]] if isinstance(model, nn.ConcatTable) else gradOutput
    plain = model.clone()
    _share_grad_inputs_by_type(model)
    for m in (plain, model):
        m.zeroGradParameters()
        m.forward(x)
        m.backward(x, gradOutput)
    np.testing.assert_allclose(model.gradInput.numpy(), plain.gradInput.numpy(), rtol=1e-12)
    np.testing.assert_allclose(model.getParameters()[1].numpy(), plain.getParameters()[1].numpy(), rtol=1e-12)



class FeaturesBesideIndices(nn.Module):
    """Passes ``input[1]`` on; its gradient for the indices ``input[0]`` is float zeros of the default type, as
    visdial's MaskTime.lua gives (``torch.Tensor()`` resized as the indices)."""

    def updateOutput(self, input):
        self.output = input[1].clone()
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = [lg.Tensor().resizeAs(input[0]).zero(), gradOutput.clone()]
        return self.gradInput


def test_concat_table_refuses_to_sum_an_index_gradient_with_a_float_one():
    """ConcatTable.lua sums its children's table gradInputs with ``t[k]:add(v)``, which Torch7 refuses for two
    tensor types: a LookupTable's zero gradient for its indices (a LongTensor, LookupTable.lua's ``input.new()``)
    beside another branch's float zeros for the same input (visdial's hre-ques-im-hist on the CPU). legonn raised
    NumPy's casting error from inside the sum; it names the container and both types now."""
    words = lg.LongTensor([[0, 2], [1, 3]])
    feats = lg.randn(2, 3)
    m = nn.ConcatTable().add(nn.Sequential().add(nn.SelectTable(0)).add(nn.LookupTable(4, 3)))
    m.add(FeaturesBesideIndices())
    out = m.forward([words, feats])
    with pytest.raises(TypeError, match=r"ConcatTable.*one type to sum \(legonn.LongTensor\), got legonn.FloatTensor"):
        m.backward([words, feats], [lg.randn(*out[0].size()), lg.randn(2, 3)])


class NoGradient(nn.Module):
    """A module with no updateGradInput, as multipathnet's Foveal: Module.lua's gives back its empty gradInput."""

    def updateOutput(self, input):
        self.output = input.clone()
        return self.output


def test_an_empty_gradient_reaches_a_parallel_tables_identity():
    """multipathnet.lua: ParallelTable(features, Identity) before ParallelTable(Identity, Sequential(Foveal, ...)):
    the boxes' gradient is Foveal's empty gradInput, Torch7's "no gradient", which ParallelTable.lua:24-29 hands
    to its Identity and Module.lua:46-47 accumulates nothing from. legonn's Identity took it in updateGradInput
    but the accumulation check of the ParallelTable (and of the Identity) refused it; a Linear still does."""
    lin = nn.Linear(3, 2)
    m = nn.Sequential().add(nn.ParallelTable().add(lin).add(nn.Identity()))
    m.add(nn.ParallelTable().add(nn.Identity()).add(NoGradient()))
    x = [lg.randn(4, 3), lg.randn(4, 5)]
    m.forward(x)
    lin.zeroGradParameters()
    g = lg.randn(4, 2)
    gi = m.backward(x, [g, lg.randn(4, 5)])
    np.testing.assert_allclose(lin.gradWeight.numpy(), g.numpy().T @ x[0].numpy(), rtol=1e-5)
    assert gi[1].nElement() == 0
    with pytest.raises(ValueError, match=r"ParallelTable\[0\] Linear.*gradOutput of size \(4, 2\), got \(0,\)"):
        m.backward(x, [lg.Tensor(), lg.Tensor()])
