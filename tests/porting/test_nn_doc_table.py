"""torch/nn's doc/table.md, every example ported by docs/porting.md's rules (Lua tables are lists, dims and
indices 0-based). Where the doc prints values that come from random initialisation, the test checks the maths
(a float64 NumPy formula of what the doc describes); where it prints deterministic numbers, sizes or a table's
nesting, the test asserts them."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

pytestmark = pytest.mark.usefixtures('double_default')


def layout(t):
    """A table's nesting with each tensor as its size, as th prints a table (``1 : DoubleTensor - size: 2x3``);
    a keyed table stays a dict."""
    if isinstance(t, dict):
        return {k: layout(v) for k, v in t.items()}
    if isinstance(t, list):
        return [layout(v) for v in t]
    return t.size()


def linear(m, x):
    """What Linear computes, in float64: ``W x + b``."""
    return m.weight.numpy() @ np.asarray(x) + m.bias.numpy()


def test_intro_a_table_input_and_its_literal_forward_agree():
    """Table Layers' intro: ``pred = mlp:forward(t)`` and ``mlp:forward{x, y, z}`` give the same."""
    mlp = nn.Sequential().add(nn.CAddTable())
    x, y, z = lg.randn(3), lg.randn(3), lg.randn(3)
    t = [x, y, z]
    pred = mlp.forward(t).clone()
    assert np.array_equal(mlp.forward([x, y, z]).numpy(), pred.numpy())
    assert np.allclose(pred.numpy(), x.numpy() + y.numpy() + z.numpy())


def test_concattable_example_1_each_member_sees_the_input():
    """ConcatTable, Example 1: two Linear members give a table of a 2-vector and a 3-vector."""
    mlp = nn.ConcatTable()
    mlp.add(nn.Linear(5, 2))
    mlp.add(nn.Linear(5, 3))
    x = lg.randn(5)
    pred = mlp.forward(x)
    assert layout(pred) == [(2,), (3,)]
    for i, k in enumerate(pred):
        assert np.allclose(k.numpy(), linear(mlp.get(i), x.numpy()))


def test_concattable_example_2_identities_of_a_nested_table():
    """ConcatTable, Example 2: ``{torch.randn(2), {torch.randn(3)}}`` through two Identity members prints the
    nested table twice."""
    mlp = nn.ConcatTable()
    mlp.add(nn.Identity())
    mlp.add(nn.Identity())
    a, b = lg.randn(2), lg.randn(3)
    pred = mlp.forward([a, [b]])
    assert layout(pred) == [[(2,), [(3,)]], [(2,), [(3,)]]]
    assert pred[0][0] is a and pred[1][1][0] is b and pred[0][0].type() == 'torch.DoubleTensor'


def test_paralleltable_example_the_ith_member_takes_the_ith_input():
    """ParallelTable, Example: Linear(10, 2) on x, Linear(5, 3) on y."""
    mlp = nn.ParallelTable()
    mlp.add(nn.Linear(10, 2))
    mlp.add(nn.Linear(5, 3))
    x, y = lg.randn(10), lg.rand(5)
    pred = mlp.forward([x, y])
    assert layout(pred) == [(2,), (3,)]
    assert np.allclose(pred[0].numpy(), linear(mlp.get(0), x.numpy()))
    assert np.allclose(pred[1].numpy(), linear(mlp.get(1), y.numpy()))


def test_maptable_example_one_shared_module_over_every_input():
    """MapTable, Example: Linear(10, 3) applied to x1 and x2, its clones sharing weight and bias."""
    map_ = nn.MapTable()
    map_.add(nn.Linear(10, 3))
    x1, x2 = lg.rand(10), lg.rand(10)
    y = map_.forward([x1, x2])
    assert layout(y) == [(3,), (3,)]
    lin = map_.get(0)
    for x, k in zip((x1, x2), y):
        assert np.allclose(k.numpy(), linear(lin, x.numpy()))


@pytest.mark.parametrize('dim, shape, expected', [
    (1, (4, 3), lambda x: [x[:, j] for j in range(3)]),     # Example 1: nn.SplitTable(2)
    (0, (4, 3), lambda x: [x[i] for i in range(4)]),        # Example 2: nn.SplitTable(1)
])
def test_splittable_examples_1_and_2(dim, shape, expected):
    """SplitTable, Examples 1 and 2: a 4x3 tensor split along its columns (3 vectors of 4) or rows (4 of 3)."""
    x = lg.randn(*shape)
    pred = nn.SplitTable(dim).forward(x)
    want = expected(x.numpy())
    assert len(pred) == len(want)
    for k, w in zip(pred, want):
        assert np.array_equal(k.numpy(), w)


def test_splittable_example_3_n_input_dims_splits_a_batch_and_a_sample_alike():
    """SplitTable, Example 3: ``nn.SplitTable(1, 2)`` splits a 2x4x3 batch into four 2x3 tensors and a 4x3
    sample into four 3-vectors (the dimension counted within a sample)."""
    mlp = nn.SplitTable(0, 2)
    batch = lg.randn(2, 4, 3)
    pred = mlp.forward(batch)
    assert layout(pred) == [(2, 3)] * 4
    assert all(np.array_equal(pred[i].numpy(), batch.numpy()[:, i]) for i in range(4))
    sample = lg.randn(4, 3)
    pred = mlp.forward(sample)
    assert layout(pred) == [(3,)] * 4
    assert all(np.array_equal(pred[i].numpy(), sample.numpy()[i]) for i in range(4))


def test_splittable_negative_dimension_example():
    """SplitTable, negative dimensions: ``nn.SplitTable(-2)`` of a 3x2 tensor gives three 2-vectors, of a 1x3x2
    tensor three 1x2 tensors (a negative dimension stays as it is)."""
    m = nn.SplitTable(-2)
    x = lg.randn(3, 2)
    out = m.forward(x)
    assert layout(out) == [(2,)] * 3 and np.array_equal(out[2].numpy(), x.numpy()[2])
    x = lg.randn(1, 3, 2)
    out = m.forward(x)
    assert layout(out) == [(1, 2)] * 3 and np.array_equal(out[1].numpy(), x.numpy()[:, 1])


def _train_few_steps(mlp, x, y, steps):
    """The doc's loop: forward, MSECriterion, zeroGradParameters, backward, updateParameters(0.05)."""
    errs = []
    for _ in range(steps):
        pred = mlp.forward(x)
        criterion = nn.MSECriterion()
        err = criterion.forward(pred, y)
        gradCriterion = criterion.backward(pred, y)
        mlp.zeroGradParameters()
        mlp.backward(x, gradCriterion)
        mlp.updateParameters(0.05)
        errs.append(err)
    return errs


def test_splittable_a_more_complicated_example_trains():
    """SplitTable, "A more complicated example": SplitTable(2) -> two parallel Linear stacks -> JoinTable(1); the
    doc's 100 training steps (30 here) towards ``x:select(2, 1):narrow(1, 1, 3)`` lower the error."""
    mlp = nn.Sequential()
    mlp.add(nn.SplitTable(1))
    c = nn.ParallelTable()
    c.add(nn.Linear(10, 3))
    c.add(nn.Linear(10, 7))
    mlp.add(c)
    p = nn.ParallelTable()
    p.add(nn.Linear(3, 2))
    p.add(nn.Linear(7, 1))
    mlp.add(p)
    mlp.add(nn.JoinTable(0))
    pred = mlp.forward(lg.randn(10, 2))
    assert pred.size() == (3,)
    x = lg.ones(10, 2)
    y = lg.Tensor(3)
    y.copy(x.select(1, 0).narrow(0, 0, 3))
    assert y.tolist() == [1, 1, 1]
    errs = _train_few_steps(mlp, x, y, 30)
    assert errs[-1] < errs[0] / 10


def test_jointable_example_1():
    """JoinTable, Example 1: two 5x1 tensors joined along dimension 1 (10x1) and 2 (5x2); a 5x1 and a 2x1 along
    dimension 1 (7x1)."""
    x, y, z = lg.randn(5, 1), lg.randn(5, 1), lg.randn(2, 1)
    a = nn.JoinTable(0).forward([x, y])
    b = nn.JoinTable(1).forward([x, y])
    c = nn.JoinTable(0).forward([x, z])
    assert (a.size(), b.size(), c.size()) == ((10, 1), (5, 2), (7, 1))
    assert np.array_equal(a.numpy(), np.concatenate([x.numpy(), y.numpy()]))
    assert np.array_equal(b.numpy(), np.concatenate([x.numpy(), y.numpy()], 1))
    assert np.array_equal(c.numpy(), np.concatenate([x.numpy(), z.numpy()]))


def test_jointable_example_2_n_input_dims():
    """JoinTable, Example 2: ``nn.JoinTable(2, 2)`` joins two 3x1 samples into 3x2 and two 2x3x1 batches into
    2x3x2 (the dimension counted within a sample)."""
    module = nn.JoinTable(1, 2)
    x, y = lg.randn(3, 1), lg.randn(3, 1)
    mx, my = lg.randn(2, 3, 1), lg.randn(2, 3, 1)
    out = module.forward([x, y])
    assert out.size() == (3, 2) and np.array_equal(out.numpy(), np.concatenate([x.numpy(), y.numpy()], 1))
    out = module.forward([mx, my])
    assert out.size() == (2, 3, 2) and np.array_equal(out.numpy(), np.concatenate([mx.numpy(), my.numpy()], 2))


def test_jointable_a_more_complicated_example_trains():
    """JoinTable, "A more complicated example": ConcatTable of Linear(10, 3), Linear(10, 7) -> ParallelTable ->
    JoinTable(1); the error towards ``x:narrow(1, 1, 3)`` falls over the training steps."""
    mlp = nn.Sequential()
    c = nn.ConcatTable()
    c.add(nn.Linear(10, 3))
    c.add(nn.Linear(10, 7))
    mlp.add(c)
    p = nn.ParallelTable()
    p.add(nn.Linear(3, 2))
    p.add(nn.Linear(7, 1))
    mlp.add(p)
    mlp.add(nn.JoinTable(0))
    assert mlp.forward(lg.randn(10)).size() == (3,)
    x = lg.ones(10)
    y = lg.Tensor(3)
    y.copy(x.narrow(0, 0, 3))
    errs = _train_few_steps(mlp, x, y, 30)
    assert errs[-1] < errs[0] / 10


def _gater(n):
    gater = nn.Sequential()
    gater.add(nn.Linear(3, 7))
    gater.add(nn.Tanh())
    gater.add(nn.Linear(7, n))
    gater.add(nn.SoftMax())
    return gater


def test_mixturetable_example_1_a_table_of_experts():
    """MixtureTable, Example 1: n experts (Linear-Tanh-Linear-Tanh, 3 -> 5) mixed by a softmax gater; a batch of
    2 gives 2x5, each row ``sum_i G[i] * E_i``."""
    n = 4
    experts = nn.ConcatTable()
    for _ in range(n):
        expert = nn.Sequential()
        expert.add(nn.Linear(3, 4))
        expert.add(nn.Tanh())
        expert.add(nn.Linear(4, 5))
        expert.add(nn.Tanh())
        experts.add(expert)
    trunk = nn.ConcatTable()
    trunk.add(_gater(n))
    trunk.add(experts)
    moe = nn.Sequential()
    moe.add(trunk)
    moe.add(nn.MixtureTable())
    x = lg.randn(2, 3)
    out = moe.forward(x)
    assert out.size() == (2, 5)
    g, e = trunk.output[0].numpy(), [t.numpy() for t in trunk.output[1]]
    assert np.allclose(out.numpy(), sum(g[:, i:i + 1] * e[i] for i in range(n)))


def test_mixturetable_example_2_experts_in_one_tensor():
    """MixtureTable, Example 2: experts concatenated by ``nn.Concat(5)`` into a 2x4x2x5xn tensor, mixed along
    that dimension by ``nn.MixtureTable(5)``: the output's size is 2x4x2x5."""
    n = 3
    experts = nn.Concat(4)
    for _ in range(n):
        expert = nn.Sequential()
        expert.add(nn.Linear(3, 4))
        expert.add(nn.Tanh())
        expert.add(nn.Linear(4, 4 * 2 * 5))
        expert.add(nn.Tanh())
        expert.add(nn.Reshape(4, 2, 5, 1))
        experts.add(expert)
    trunk = nn.ConcatTable()
    trunk.add(_gater(n))
    trunk.add(experts)
    moe = nn.Sequential()
    moe.add(trunk)
    moe.add(nn.MixtureTable(4))
    out = moe.forward(lg.randn(2, 3))
    assert out.size() == (2, 4, 2, 5)
    g, e = trunk.output[0].numpy(), trunk.output[1].numpy()
    assert np.allclose(out.numpy(), np.einsum('bi,bxyzi->bxyz', g, e))


def test_selecttable_example_1_positive_and_negative_index():
    """SelectTable, Example 1: ``SelectTable(1)`` gives the 2x3 entry, ``SelectTable(-1)`` the 2x1; the backward
    of ``SelectTable(1)`` passes the gradient to the first and a zero 2x1 tensor to the second."""
    input = [lg.randn(2, 3), lg.randn(2, 1)]
    assert nn.SelectTable(0).forward(input) is input[0]
    assert nn.SelectTable(-1).forward(input) is input[1]
    g = lg.randn(2, 3)
    grad = nn.SelectTable(0).backward(input, g)
    assert layout(grad) == [(2, 3), (2, 1)]
    assert np.array_equal(grad[0].numpy(), g.numpy()) and grad[1].tolist() == [[0], [0]]


def test_selecttable_example_2_a_keyed_table():
    """SelectTable, Example 2: ``SelectTable("A")`` of ``{A=..., B=...}``; its gradInput is a keyed table whose
    ``B`` is zeros of B's size."""
    input = {'A': lg.randn(2, 3), 'B': lg.randn(2, 1)}
    assert nn.SelectTable('A').forward(input) is input['A']
    g = lg.randn(2, 3)
    gradInput = nn.SelectTable('A').backward(input, g)
    assert layout(gradInput) == {'A': (2, 3), 'B': (2, 1)}
    assert np.array_equal(gradInput['A'].numpy(), g.numpy()) and gradInput['B'].tolist() == [[0], [0]]


def test_selecttable_example_3_nested_tables():
    """SelectTable, Example 3: the second entry of ``{2x3, {2x1, {2x2}}}`` is the nested table; gradients of the
    entries not selected are zero tensors nested as the input."""
    input = [lg.randn(2, 3), [lg.randn(2, 1), [lg.randn(2, 2)]]]
    out = nn.SelectTable(1).forward(input)
    assert layout(out) == [(2, 1), [(2, 2)]]
    grad = nn.SelectTable(1).backward(input, [lg.randn(2, 1), [lg.randn(2, 2)]])
    assert layout(grad) == [(2, 3), [(2, 1), [(2, 2)]]] and grad[0].tolist() == [[0, 0, 0], [0, 0, 0]]
    g = lg.randn(2, 3)
    gradInput = nn.SelectTable(0).backward(input, g)
    assert layout(gradInput) == [(2, 3), [(2, 1), [(2, 2)]]]
    assert np.array_equal(gradInput[0].numpy(), g.numpy())
    assert gradInput[1][0].tolist() == [[0], [0]] and gradInput[1][1][0].tolist() == [[0, 0], [0, 0]]


def test_narrowtable_example():
    """NarrowTable, Example: ``NarrowTable(2, 2)`` keeps entries 2 and 3 (here 1 and 2), ``NarrowTable(1)`` the
    first alone; the backward of ``NarrowTable(1, 2)`` gives the last entry a zero 1x2 gradient."""
    input = [lg.randn(2, 3), lg.randn(2, 1), lg.randn(1, 2)]
    assert layout(nn.NarrowTable(1, 2).forward(input)) == [(2, 1), (1, 2)]
    assert layout(nn.NarrowTable(0).forward(input)) == [(2, 3)]
    g = [lg.randn(2, 3), lg.randn(2, 1)]
    grad = nn.NarrowTable(0, 2).backward(input, g)
    assert layout(grad) == [(2, 3), (2, 1), (1, 2)]
    assert np.array_equal(grad[0].numpy(), g[0].numpy()) and np.array_equal(grad[1].numpy(), g[1].numpy())
    assert grad[2].tolist() == [[0, 0]]


def test_flattentable_example():
    """FlattenTable, Example: ``{1, {2, {3}}, 4}`` (sizes) flattens to ``{1, 2, 3, 4}`` in post-order."""
    x = [lg.rand(1), [lg.rand(2), [lg.rand(3)]], lg.rand(4)]
    assert layout(x) == [(1,), [(2,), [(3,)]], (4,)]
    out = nn.FlattenTable().forward(x)
    assert layout(out) == [(1,), (2,), (3,), (4,)]
    assert out[0] is x[0] and out[1] is x[1][0] and out[2] is x[1][1][0] and out[3] is x[2]


def test_ziptable_example():
    """ZipTable, Example: ``{{'a1','a2'}, {'b1','b2'}, {'c1','c2'}}`` zips to ``{{'a1','b1','c1'},
    {'a2','b2','c2'}}``: ZipTable.lua only moves the entries, whatever they are."""
    module = nn.ZipTable()
    assert module.forward([['a1', 'a2'], ['b1', 'b2'], ['c1', 'c2']]) == [['a1', 'b1', 'c1'], ['a2', 'b2', 'c2']]


def test_ziptableonetomany_example():
    """ZipTableOneToMany, Example: ``{'el', {'a','b','c'}}`` gives ``{{'el','a'}, {'el','b'}, {'el','c'}}``."""
    module = nn.ZipTableOneToMany()
    assert module.forward(['el', ['a', 'b', 'c']]) == [['el', 'a'], ['el', 'b'], ['el', 'c']]
    with pytest.raises(TypeError, match=r'^ZipTableOneToMany: .*input\[0\]'):   # resizeAs(inputEl) needs a tensor
        module.backward(['el', ['a']], [[lg.randn(2), 'a']])


def test_pairwisedistance_example():
    """PairwiseDistance, Example: the 1-norm of {1,2,3} - {4,5,6} is 9, the 2-norm 5.1962, each a 1-element
    tensor."""
    x, y = lg.Tensor([1, 2, 3]), lg.Tensor([4, 5, 6])
    l1 = nn.PairwiseDistance(1).forward([x, y])
    l2 = nn.PairwiseDistance(2).forward([x, y])
    assert l1.size() == (1,) and l1.tolist() == [9]
    assert l2.size() == (1,) and round(l2[0], 4) == 5.1962


def _hinge_update(mlp, x, y, criterion, learningRate):
    """The doc's gradUpdate."""
    pred = mlp.forward(x)
    err = criterion.forward(pred, y)
    gradCriterion = criterion.backward(pred, y)
    mlp.zeroGradParameters()
    mlp.backward(x, gradCriterion)
    mlp.updateParameters(learningRate)
    return err


def test_pairwisedistance_a_more_complicated_example():
    """PairwiseDistance, "A more complicated example": two Linear(5, 2) sharing weight and bias by ``set``, their
    outputs' 1-norm distance trained with HingeEmbeddingCriterion(1): pushing together shrinks it, pulling
    apart grows it."""
    p1_mlp = nn.Sequential()
    p1_mlp.add(nn.Linear(5, 2))
    p2_mlp = nn.Sequential()
    p2_mlp.add(nn.Linear(5, 2))
    p2_mlp.get(0).weight.set(p1_mlp.get(0).weight)
    p2_mlp.get(0).bias.set(p1_mlp.get(0).bias)
    prl = nn.ParallelTable()
    prl.add(p1_mlp)
    prl.add(p2_mlp)
    mlp = nn.Sequential()
    mlp.add(prl)
    mlp.add(nn.PairwiseDistance(1))
    crit = nn.HingeEmbeddingCriterion(1)
    x, y = lg.rand(5), lg.rand(5)
    d0 = mlp.forward([x, y])[0]
    for _ in range(10):
        _hinge_update(mlp, [x, y], 1, crit, 0.01)
    d1 = mlp.forward([x, y])[0]
    assert d1 < d0
    assert p2_mlp.get(0).weight.storage() is p1_mlp.get(0).weight.storage()
    for _ in range(10):
        _hinge_update(mlp, [x, y], -1, crit, 0.01)
    assert mlp.forward([x, y])[0] > d1 or d1 >= 1      # the hinge max(0, 1 - d) pushes only below the margin


def test_dotproduct_example():
    """DotProduct, Example: {1,2,3} . {4,5,6} is 32, a 1-element tensor."""
    out = nn.DotProduct().forward([lg.Tensor([1, 2, 3]), lg.Tensor([4, 5, 6])])
    assert out.size() == (1,) and out.tolist() == [32]


def test_dotproduct_a_more_complicated_example_ranks_pairs():
    """DotProduct, "A more complicated example": a ranking net of Linear(5, 10) clones sharing weight and bias,
    trained with MarginRankingCriterion(1) so that {x, y} scores above {x, z}, then the other way round."""
    mlp1 = nn.Linear(5, 10)
    mlp2 = mlp1.clone('weight', 'bias')
    prl = nn.ParallelTable()
    prl.add(mlp1)
    prl.add(mlp2)
    mlp1 = nn.Sequential()
    mlp1.add(prl)
    mlp1.add(nn.DotProduct())
    mlp2 = mlp1.clone('weight', 'bias')
    mlp = nn.Sequential()
    prla = nn.ParallelTable()
    prla.add(mlp1)
    prla.add(mlp2)
    mlp.add(prla)
    x, y, z = lg.rand(5), lg.rand(5), lg.rand(5)
    lin = mlp1.get(0).get(0)
    for a, b in ((x, x), (x, y), (y, y)):
        want = linear(lin, a.numpy()) @ linear(lin, b.numpy())
        assert np.isclose(mlp1.forward([a, b])[0], want)
    crit = nn.MarginRankingCriterion(1)
    inp = [[x, y], [x, z]]
    for _ in range(30):
        _hinge_update(mlp, inp, 1, crit, 0.05)
    o1, o2 = mlp1.forward([x, y])[0], mlp2.forward([x, z])[0]
    assert o1 > o2 and crit.forward(mlp.forward([[x, y], [x, z]]), 1) < 1
    for _ in range(30):
        _hinge_update(mlp, inp, -1, crit, 0.05)
    o1, o2 = mlp1.forward([x, y])[0], mlp2.forward([x, z])[0]
    assert o1 < o2


def test_cosinedistance_examples():
    """CosineDistance, Examples: cos({1,2,3}, {4,5,6}) = 0.9746 (size 1); the batch gives 0.9746, -0.3655."""
    mlp = nn.CosineDistance()
    out = mlp.forward([lg.Tensor([1, 2, 3]), lg.Tensor([4, 5, 6])])
    assert out.size() == (1,) and round(out[0], 4) == 0.9746
    out = mlp.forward([lg.Tensor([[1, 2, 3], [1, 2, -3]]), lg.Tensor([[4, 5, 6], [-4, 5, 6]])])
    assert out.size() == (2,) and [round(v, 4) for v in out.tolist()] == [0.9746, -0.3655]


def test_cosinedistance_a_more_complicated_example():
    """CosineDistance, "A more complicated example": a shared Linear(5, 2) pair whose cosine is pushed up with a
    gradient of ``-y`` while ``pred[1]*y < 1`` (y = 1), then down (y = -1)."""
    p1_mlp = nn.Sequential()
    p1_mlp.add(nn.Linear(5, 2))
    p2_mlp = p1_mlp.clone('weight', 'bias')
    prl = nn.ParallelTable()
    prl.add(p1_mlp)
    prl.add(p2_mlp)
    mlp = nn.Sequential()
    mlp.add(prl)
    mlp.add(nn.CosineDistance())
    x, y = lg.rand(5), lg.rand(5)

    def gradUpdate(mlp, x, y, learningRate):
        pred = mlp.forward(x)
        if pred[0] * y < 1:
            gradCriterion = lg.Tensor([-y])
            mlp.zeroGradParameters()
            mlp.backward(x, gradCriterion)
            mlp.updateParameters(learningRate)

    c0 = mlp.forward([x, y])[0]
    for _ in range(200):
        gradUpdate(mlp, [x, y], 1, 0.1)
    c1 = mlp.forward([x, y])[0]
    assert c1 > c0 or c1 > 0.99
    for _ in range(200):
        gradUpdate(mlp, [x, y], -1, 0.1)
    assert mlp.forward([x, y])[0] < c1


def test_criteriontable_example():
    """CriterionTable, Example: MSE of {x, x} is 0 and of {x, y} the mean squared difference."""
    mlp = nn.CriterionTable(nn.MSECriterion())
    x, y = lg.randn(5), lg.randn(5)
    assert mlp.forward([x, x]) == 0
    assert np.isclose(mlp.forward([x, y]), np.mean((x.numpy() - y.numpy()) ** 2))


def test_criteriontable_embedded_in_a_network_trains():
    """CriterionTable, the more complex example: Linear(5, 4)-Linear(4, 3) beside an Identity, the criterion at
    the end; ``mlp:backward({x, y})`` with no gradOutput; 20 steps lower the error."""
    mlp = nn.Sequential()
    main_mlp = nn.Sequential()
    main_mlp.add(nn.Linear(5, 4))
    main_mlp.add(nn.Linear(4, 3))
    cmlp = nn.ParallelTable()
    cmlp.add(main_mlp)
    cmlp.add(nn.Identity())
    mlp.add(cmlp)
    mlp.add(nn.CriterionTable(nn.MSECriterion()))
    errs = []
    for _ in range(20):
        x = lg.ones(5)
        y = lg.Tensor(3)
        y.copy(x.narrow(0, 0, 3))
        err = mlp.forward([x, y])
        errs.append(err)
        mlp.zeroGradParameters()
        mlp.backward([x, y])
        mlp.updateParameters(0.05)
    assert errs[-1] < errs[0] / 10


def test_caddtable_example():
    """CAddTable: ones, twos and threes of size 5 sum to sixes."""
    ii = [lg.ones(5), lg.ones(5) * 2, lg.ones(5) * 3]
    assert ii[0].tolist() == [1] * 5 and ii[1].tolist() == [2] * 5 and ii[2].tolist() == [3] * 5
    out = nn.CAddTable().forward(ii)
    assert out.type() == 'torch.DoubleTensor' and out.tolist() == [6] * 5


def test_csubtable_example():
    """CSubTable: 2.2 - 1 is 1.2000 in each of 5 entries."""
    out = nn.CSubTable().forward([lg.ones(5) * 2.2, lg.ones(5)])
    assert np.allclose(out.numpy(), 1.2) and out.size() == (5,)


def test_cmultable_example():
    """CMulTable: 2 * 3 * 4 is 24 in each of 5 entries."""
    assert nn.CMulTable().forward([lg.ones(5) * 2, lg.ones(5) * 3, lg.ones(5) * 4]).tolist() == [24] * 5


def test_cdivtable_example():
    """CDivTable: 2.2 / 4.4 is 0.5000 in each of 5 entries."""
    out = nn.CDivTable().forward([lg.ones(5) * 2.2, lg.ones(5) * 4.4])
    assert np.allclose(out.numpy(), 0.5) and out.size() == (5,)


def test_cmaxtable_and_cmintable_examples():
    """CMaxTable and CMinTable: of {1,2,3} and {3,2,1}, 3 2 3 and 1 2 1 (the doc's ``{{...}, ...}`` has one brace
    too many, a typo: the input is the table of two tensors)."""
    a, b = lg.Tensor([1, 2, 3]), lg.Tensor([3, 2, 1])
    assert nn.CMaxTable().forward([a, b]).tolist() == [3, 2, 3]
    assert nn.CMinTable().forward([a, b]).tolist() == [1, 2, 1]


def test_caddtensortable_example():
    """CAddTensorTable: (0,1,1) added to each of (0,0,0) and (1,1,1) gives (0,1,1), (1,2,2)."""
    out = nn.CAddTensorTable().forward([lg.Tensor([0, 1, 1]), [lg.Tensor([0, 0, 0]), lg.Tensor([1, 1, 1])]])
    assert [t.tolist() for t in out] == [[0, 1, 1], [1, 2, 2]]


def test_maptable_resize_clearstate_and_share():
    """MapTable's description: clones are made as needed, ``resize(n)`` sets their number, ``clearState()``
    discards them; ``share`` (default true) shares weight, bias and their gradients, false copies."""
    m = nn.MapTable(nn.Linear(3, 2))
    m.forward([lg.randn(3)] * 3)
    assert len(m.modules) == 3 and m.modules[2].weight.storage() is m.modules[0].weight.storage()
    assert m.modules[2].gradBias.storage() is m.modules[0].gradBias.storage()
    m.clearState()
    assert len(m.modules) == 1
    m.resize(4)
    assert len(m.modules) == 4
    m = nn.MapTable(nn.Linear(3, 2), False)
    m.forward([lg.randn(3)] * 2)
    assert m.modules[1].weight.storage() is not m.modules[0].weight.storage()
    assert np.array_equal(m.modules[1].weight.numpy(), m.modules[0].weight.numpy())


def test_caddtable_inplace_writes_the_first_tensor():
    """CAddTable(true): "the sum is written to the first Tensor" (CAddTable.lua's ``output:set(input[1])``)."""
    a = lg.ones(3)
    out = nn.CAddTable(True).forward([a, lg.ones(3) * 2])
    assert a.tolist() == [3, 3, 3] and out.storage() is a.storage()


def test_mixturetable_single_example():
    """MixtureTable with a 1-D gater and a table of experts: ``G[1]*E[1] + ... + G[n]*E[n]``."""
    g = lg.Tensor([0.25, 0.75])
    e = [lg.ones(3), lg.ones(3) * 2]
    assert nn.MixtureTable().forward([g, e]).tolist() == [1.75] * 3
