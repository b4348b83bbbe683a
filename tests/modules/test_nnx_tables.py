"""nnx's PushTable and PullTable (clementfarabet/lua---nnx PushTable.lua, PullTable.lua), ported from test-all.lua's
PushPullTable (0-based indices)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_close_trees
from tests.checks import on_gpu

HIERARCHY = {28: [29, 0, 1], 0: [2, 3, 4], 1: [5, 6, 7], 2: [8, 9, 10], 3: [11, 12, 13], 4: [14, 15, 16],
             5: [17, 18, 19], 6: [20, 21, 22], 7: [23, 24, 25, 26, 27]}


def test_push_pull_teleports_targets_to_softmaxtree():
    """test-all.lua PushPullTable, first part: targets pushed past SelectTable and Linear then pulled into
    SoftMaxTree's input give the output and gradients of the ParallelTable(Linear, Identity) network."""
    lg.manualSeed(0)
    input, target, grad_output = lg.randn(5, 50).double(), lg.IntTensor([19, 22, 26, 9, 7]), lg.randn(5).double()
    smt = nn.SoftMaxTree(100, HIERARCHY, 28).double()
    linear = nn.Linear(50, 100).double()
    push = nn.PushTable(1)
    mlp = nn.Sequential().add(push).add(nn.SelectTable(0)).add(linear).add(push.pull(1)).add(smt)
    mlp2 = nn.Sequential().add(nn.ParallelTable().add(linear.clone()).add(nn.Identity())).add(smt.clone())
    np.testing.assert_allclose(mlp.forward([input, target]).numpy(), mlp2.forward([input, target]).numpy(),
                               rtol=1e-12)
    grad, grad2 = mlp.backward([input, target], grad_output), mlp2.backward([input, target], grad_output)
    assert_close_trees(grad, grad2, rtol=1e-12)
    assert_close_trees(linear.gradWeight, mlp2.modules[0].modules[0].gradWeight, rtol=1e-12)


def test_multi_pull_copies_then_adds_the_gradients():
    """test-all.lua PushPullTable, multi-pull part: {a, b} -> {b, a, b, b} through pulls at 1, 2 and 0; the
    pushed entry's gradient is the sum of the three pulls' (the first copied, the others added)."""
    a, b = lg.randn(5, 50).double(), lg.randn(5).double()
    push = nn.PushTable(1)
    mlp = nn.Sequential().add(push).add(nn.Identity()).add(push.pull(1)).add(push.pull(2)).add(push.pull(0))
    out = mlp.forward([a, b])
    for got, want in zip(out, [b, a, b, b]):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    gb = [lg.randn(5).double() for _ in range(3)]
    ga = lg.randn(5, 50).double()
    grad = mlp.backward([a, b], [gb[0], ga, gb[1], gb[2]])
    np.testing.assert_array_equal(grad[0].numpy(), ga.numpy())
    np.testing.assert_allclose(grad[1].numpy(), (gb[0] + gb[1] + gb[2]).numpy(), rtol=1e-12)


def test_pull_of_a_tensor_and_a_push_without_pulls():
    """PullTable.lua's tensor input: [pushed, input] at index 0, [input, pushed] at 1, gradInput the other
    entry; a PushTable whose pulls sent nothing since the forward gives zeros for the pushed entry."""
    a, b = lg.randn(2, 3), lg.randn(4)
    push = nn.PushTable(0)
    pull0, pull1 = push.pull(0), push.pull(1)
    rest = push.forward([a, b])
    assert len(rest) == 1 and rest[0] is b
    assert pull0.forward(b)[0] is a and pull1.forward(b)[1] is a
    ga, gb = lg.randn(2, 3), lg.randn(4)
    assert pull0.backward(b, [ga, gb]) is gb
    np.testing.assert_array_equal(push.backward([a, b], [gb])[0].numpy(), ga.numpy())
    lonely = nn.PushTable(1)
    lonely.forward([a, b])
    grad = lonely.backward([a, b], [ga])
    assert grad[0] is ga and grad[1].size() == b.size() and not grad[1].numpy().any()


def test_types_and_clone_keep_the_pair():
    """type() converts each side without recursing into its partner (the Lua files' type()), float/double
    give the same outputs, and a clone of the network keeps a linked pair of its own."""
    push = nn.PushTable(1)
    mlp = nn.Sequential().add(push).add(nn.SelectTable(0)).add(nn.Linear(3, 2)).add(push.pull(1))
    x = [lg.randn(2, 3), lg.randn(2)]
    out32 = mlp.float().forward(x)
    out64 = mlp.double().forward([x[0].double(), x[1].double()])
    assert out64[0].type() == 'legonn.DoubleTensor'
    assert_close_trees(out32, out64, rtol=1e-5)
    twin = mlp.clone()
    assert twin.modules[3]._push is twin.modules[0] and twin.modules[0]._pulls == (twin.modules[3],)


@pytest.mark.gpu
def test_gpu_matches_cpu():
    """The pair on the GPU moves the same entries and gradients as on the CPU."""
    push = nn.PushTable(1)
    mlp = nn.Sequential().add(push).add(nn.SelectTable(0)).add(nn.Linear(3, 2)).add(push.pull(1)).double()
    x = [lg.randn(2, 3).double(), lg.randn(2).double()]
    g = [lg.randn(2, 2).double(), lg.randn(2).double()]
    gpu = on_gpu(mlp.clone())
    xg, gg = [on_gpu(t) for t in x], [on_gpu(t) for t in g]
    assert_close_trees(mlp.forward(x), gpu.forward(xg))
    assert_close_trees(mlp.backward(x, g), gpu.backward(xg, gg))


def test_bad_tables_name_the_module():
    """A table too short for the index, a pull before any push and a bad index name the module."""
    with pytest.raises(ValueError, match='PushTable.*table of at least 3 entries'):
        nn.PushTable(2).forward([lg.randn(2), lg.randn(2)])
    with pytest.raises(ValueError, match='PullTable.*a forward of its PushTable first'):
        nn.PushTable(0).pull(0).forward([lg.randn(2)])
    with pytest.raises(ValueError, match='PushTable: index must be a non-negative int'):
        nn.PushTable(-1)
    push = nn.PushTable(0)
    pull = push.pull(3)
    push.forward([lg.randn(2), lg.randn(2)])
    with pytest.raises(IndexError, match='PullTable.*at least 3 entries'):
        pull.forward([lg.randn(2)])
