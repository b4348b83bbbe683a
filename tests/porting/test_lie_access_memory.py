"""harvardnlp/lie-access-memory run through its port, tests/porting/lie_access_memory/ (layers/*.lua and
tests/test_layers.lua; the package's docstring says what is ported). The layers are checked by the repository's
own totem tests and by finite differences in float64; the repository's Narrow, NarrowTable, Normalize and
MixtureTable keep their own semantics beside legonn's nn classes of those names; a one-layer LSTM built from
layers/lstm.lua learns a small copy task.

Stand-in data: the copy task of data/generate.py (a random string of symbols, then the same string to be
reproduced), drawn here with NumPy over an alphabet of 5 symbols, instead of the hdf5 files generate.py writes.
"""
import random

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim

from .lie_access_memory.layers.Append import Append
from .lie_access_memory.layers.CMulList import CMulList
from .lie_access_memory.layers.Cos import Cos
from .lie_access_memory.layers.CrossProduct import CrossProduct
from .lie_access_memory.layers.ExpandAs import ExpandAs
from .lie_access_memory.layers.InnerProduct import InnerProduct
from .lie_access_memory.layers.InvNormalize import InvNormalize
from .lie_access_memory.layers.MixtureTable import MixtureTable
from .lie_access_memory.layers.Narrow import Narrow
from .lie_access_memory.layers.NarrowTable import NarrowTable
from .lie_access_memory.layers.Normalize import Normalize
from .lie_access_memory.layers.OneMinus import OneMinus
from .lie_access_memory.layers.PowSum import PowSum
from .lie_access_memory.layers.Sin import Sin
from .lie_access_memory.layers.VAddTable import VAddTable
from .lie_access_memory.layers.lstm import LSTM
from tests.checks import assert_jacobian

pytestmark = pytest.mark.usefixtures('double_default')


def test_the_repositorys_layer_tests_pass(tmp_path, monkeypatch, capsys):
    """tests/test_layers.lua, all eleven tests (it turns nngraph's debug mode on, which writes an SVG of a
    failing graph into the working directory: tmp_path here)."""
    monkeypatch.chdir(tmp_path)
    lg.manualSeed(3)
    random.seed(3)
    from .lie_access_memory.tests import test_layers
    test_layers.main()   # raises where a test errs or fails
    out = capsys.readouterr().out
    assert 'in 11 tests with 0 failures and 0 errors' in out and out.count('[PASS]') == 11


@pytest.mark.parametrize('make, input', [
    (Cos, lambda: lg.randn(3, 4)),
    (Sin, lambda: lg.randn(3, 4)),
    (lambda: PowSum(2, 2), lambda: lg.randn(2, 3, 4)),
    (lambda: Normalize(1.5), lambda: lg.randn(3, 4)),
    (lambda: Normalize(2), lambda: lg.randn(4)),
    (lambda: Narrow(1, 0, -1), lambda: lg.randn(3, 5)),
    (lambda: Narrow(1, 1, -1), lambda: lg.randn(3, 5)),
])
def test_tensor_layers_gradients_by_finite_differences(make, input):
    lg.manualSeed(5)
    assert_jacobian(make(), input())


def _check_table_gradient(module, structure, leaves, output_size):
    """structure(leaves) builds the module's input table from the flat list of leaf tensors; the gradInput read
    back the same way must equal the finite differences of <output, gradOutput>."""
    lg.manualSeed(11)
    gradOutput = lg.randn(*output_size)
    module.forward(structure(leaves))
    analytic = [g.clone() for g in flatten(module.backward(structure(leaves), gradOutput))]
    eps = 1e-6
    for leaf, grad in zip(leaves, analytic):
        flat = leaf.numpy().reshape(-1)
        numeric = np.zeros(flat.size)
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + eps
            up = module.forward(structure(leaves)).dot(gradOutput)
            flat[k] = old - eps
            down = module.forward(structure(leaves)).dot(gradOutput)
            flat[k] = old
            numeric[k] = (up - down) / (2 * eps)
        assert np.allclose(numeric, grad.numpy().reshape(-1), atol=1e-6)


def flatten(t):
    if isinstance(t, list):
        return [x for e in t for x in flatten(e)]
    return [t]


def test_table_layers_gradients_by_finite_differences():
    lg.manualSeed(2)
    A, Bs = lg.randn(3, 4), [lg.randn(3, 4) for _ in range(3)]
    leaves = [A] + Bs
    _check_table_gradient(InnerProduct(), lambda l: [l[0], l[1:]], leaves, (3, 3))
    _check_table_gradient(VAddTable(True), lambda l: [l[0], l[1:]], leaves, (3, 3, 4))
    _check_table_gradient(CrossProduct(), lambda l: l, [lg.randn(5, 3), lg.randn(5, 3)], (5, 3))
    _check_table_gradient(ExpandAs(), lambda l: [l[0], l[1]], [lg.randn(3, 1), lg.randn(3, 4)], (3, 4))
    cols = [lg.randn(3, 1) for _ in range(4)]
    _check_table_gradient(CMulList(), lambda l: [l[:4], l[4]], cols + [lg.randn(3, 4)], (3, 4))
    # MixtureTable of a table of experts (lantm.lua's read: weights over a memory of L slots) and of one tensor
    gater, experts = lg.rand(3, 4), [lg.randn(3, 5) for _ in range(4)]
    _check_table_gradient(MixtureTable(), lambda l: [l[0], l[1:]], [gater] + experts, (3, 5))
    _check_table_gradient(MixtureTable(2), lambda l: l, [lg.rand(3, 2), lg.randn(3, 4, 2)], (3, 4))
    # InvNormalize's backward consumes its forward's buffers (backward_ready), so it is checked here, one forward
    # before each backward, rather than by assert_jacobian's repeated backwards
    _check_table_gradient(InvNormalize(2), lambda l: l[0], [lg.rand(3, 5).add(0.5)], (3, 5))


def test_the_repositorys_narrows_keep_their_own_lengths():
    """layers/Narrow.lua and NarrowTable.lua redefine a length below 1 as the size plus it (ram.lua's
    ``nn.Narrow(2, 1, -1)`` drops the last weight); torch/nn's Narrow.lua:16 (and legonn's) reads -1 as "to the end"."""
    x = lg.Tensor([[1, 2, 3, 4]])
    assert Narrow(1, 0, -1).forward(x).tolist() == [[1, 2, 3]]
    assert Narrow(1, 1, -1).forward(x).tolist() == [[2, 3, 4]]
    assert nn.Narrow(1, 0, -1).forward(x).tolist() == [[1, 2, 3, 4]]
    keys = [lg.Tensor([k]) for k in range(4)]
    assert [t[0] for t in NarrowTable(0, -1).forward(keys)] == [0, 1, 2]
    assert [t[0] for t in nn.NarrowTable(0, -1).forward(keys)] == [0, 1, 2, 3]
    g = NarrowTable(1, -1).backward(keys, [lg.Tensor([5.]), lg.Tensor([6.]), lg.Tensor([7.])])
    assert [t[0] for t in g] == [0, 5, 6, 7]
    # the port's classes keep Torch7's type names, and lg.save takes them under a name of their own
    assert lg.typename(Narrow(1, 0, -1)) == 'nn.Narrow' and isinstance(Normalize(2), nn.Normalize)


def test_the_repositorys_expandas_is_not_rnns():
    """layers/ExpandAs.lua's {A, B} -> A expanded as B; legonn's nn.ExpandAs is rnn's {a, b} -> {a, b expanded}."""
    A, B = lg.Tensor([[1.], [2.]]), lg.zeros(2, 3)
    assert ExpandAs().forward([A, B]).tolist() == [[1, 1, 1], [2, 2, 2]]
    assert isinstance(nn.ExpandAs().forward([B, A]), list)


def test_one_minus_append_and_normalize_forward():
    x = nn.Identity()()
    net = nn.gModule([x], [OneMinus()(x)])
    assert net.forward(lg.Tensor([0.25, 1.])).tolist() == [0.75, 0.]
    out = Append().forward([[lg.ones(2)], lg.zeros(2), lg.ones(3)])
    assert len(out) == 2 and out[1].sum() == 0
    v = lg.Tensor([3., 4.])
    assert np.allclose(Normalize(2).forward(v).numpy(), [0.6, 0.8])
    assert str(Normalize(2)) == 'nn.Normalize(2)' and str(Normalize(1.5)) == 'nn.Normalize(1.500000)'
    # InvNormalize: rows of 1/t^p, L1-normalised
    t = lg.Tensor([[1., 2., 4.]])
    w = 1 / np.array([1., 2., 4.]) ** 2
    assert np.allclose(InvNormalize(2, 0).forward(t).numpy(), [w / w.sum()])


def copy_batch(rng, batch, length, symbols):
    """data/generate.py's copy task: the input is the string then a separator and blanks; the target the blanks
    then the string. Symbols 2.. are letters, 0 the separator, 1 the blank (0-based classes)."""
    s = rng.integers(2, 2 + symbols, size=(batch, length))
    x = np.concatenate([s, np.zeros((batch, 1), int), np.ones((batch, length), int)], 1)
    y = np.concatenate([np.ones((batch, length + 1), int), s], 1)
    return x, y


def test_an_lstm_of_layers_lstm_learns_the_copy_task_a_little():
    lg.manualSeed(0)
    rng = np.random.default_rng(0)
    V, E, H, T, B = 7, 8, 24, 3, 16
    x, prev_h, prev_c = nn.Identity()(), nn.Identity()(), nn.Identity()()
    emb = nn.LookupTable(V, E)(x)
    next_h, next_c = LSTM(E, H, emb, prev_h, prev_c)
    pred = nn.LogSoftMax()(nn.Linear(H, V)(next_h))
    step = nn.gModule([x, prev_h, prev_c], [pred, next_h, next_c])
    params, grads = step.getParameters()
    params.uniform(-0.1, 0.1)
    steps = [step.clone('weight', 'bias', 'gradWeight', 'gradBias') for _ in range(2 * T + 1)]
    crit = nn.ClassNLLCriterion()
    state = {'learningRate': 0.01}

    def feval(_):
        grads.zero()
        xs, ys = copy_batch(rng, B, T, V - 2)
        h, c = lg.zeros(B, H), lg.zeros(B, H)
        outs, inputs, loss = [], [], 0.
        for t, m in enumerate(steps):
            inputs.append([lg.LongTensor(xs[:, t].copy()), h, c])
            pred, h, c = [o.clone() for o in m.forward(inputs[-1])]
            loss += crit.forward(pred, lg.LongTensor(ys[:, t].copy()))
            outs.append(pred)
        dh, dc = lg.zeros(B, H), lg.zeros(B, H)
        for t in reversed(range(len(steps))):
            target = lg.LongTensor(ys[:, t].copy())
            dpred = crit.backward(outs[t], target).clone()
            gi = steps[t].backward(inputs[t], [dpred, dh, dc])
            dh, dc = gi[1].clone(), gi[2].clone()
        return loss / len(steps), grads

    losses = [optim.adam(feval, params, state)[1][0] for _ in range(150)]
    assert np.mean(losses[-10:]) < 0.8 * np.mean(losses[:10])
