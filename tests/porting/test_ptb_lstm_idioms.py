"""The idioms of a word-level PTB LSTM (nngraph cells unrolled through clones made by in-memory serialization,
dropout switched through ``module.train``, gradient clipping by norm) and of a char-level LSTM with a
hand-written embedding module and parameters flattened by hand across several modules, written anew."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


class RowLookup(nn.Module):
    """A hand-written embedding: row ``input[i]`` of ``weight`` for each code, read with ``weight[code]``."""

    def __init__(self, n, d):
        super().__init__()
        self.weight = lg.Tensor(n, d).uniform(-1, 1)
        self.gradWeight = lg.Tensor(n, d).zero()

    def updateOutput(self, input):
        self.output.resize(input.size(0), self.weight.size(1))
        for i in range(input.size(0)):
            self.output[i].copy(self.weight[input[i]])
        return self.output

    def accGradParameters(self, input, gradOutput, scale=1):
        for i in range(input.size(0)):
            self.gradWeight[input[i]].add(gradOutput[i])


def test_whole_number_floats_as_sizes_and_indices():
    """torch7 generic/Tensor.c reads sizes and ``t[i]`` indices with luaL_checklong, and a Lua number is a
    double: codes kept in a DoubleTensor index rows (``weight[input[i]]``), and a size computed in floating
    point (``Tensor(nParameters - holes)`` with holes summed from a FloatTensor) makes a tensor. A fractional
    one is refused, naming the tensor type."""
    m = RowLookup(5, 3)
    codes = lg.DoubleTensor([4, 0, 4])
    out = m.forward(codes)
    np.testing.assert_array_equal(out.numpy(), m.weight.numpy()[[4, 0, 4]])
    m.accGradParameters(codes, lg.ones(3, 3))
    np.testing.assert_array_equal(m.gradWeight.numpy()[:, 0], [1, 0, 0, 0, 2])

    holes = lg.FloatTensor([1, 1, 0, 0]).cumsum(0)
    flat = lg.Tensor(6 - holes[len(holes) - 1])
    assert flat.size() == (4,)
    assert lg.zeros(np.float32(2.0), 3.0).size() == (2, 3)
    t = lg.zeros(3, 3)
    t[1.0, np.float64(2.0)] = 5
    t[0.0] = 1
    assert t[1.0, 2.0] == 5 and t.sum() == 8

    s = 6 / 4 * 2                                        # a start computed as a Lua number
    assert t.narrow(0, s - 2, 2.0).size() == (2, 3) and t.select(1, s - 1).tolist() == [1, 5, 0]
    assert t.sub(1.0, -1, 0.0, 1.0).size() == (2, 2)
    with pytest.raises(TypeError, match="narrow.*whole number"):
        t.narrow(0, 0.5, 1)
    with pytest.raises(TypeError, match=r"FloatTensor\[\].*whole number.*1\.5"):
        t[1.5] = 7
    assert t.sum() == 8
    with pytest.raises(TypeError, match="whole number"):
        t[0.5]
    with pytest.raises(TypeError, match="whole number"):
        lg.Tensor(2.5)


def test_math_functions_of_numbers():
    """torch7 TensorMath.lua wraps floor, round, exp, ... (and abs, sigmoid, lerp, atan2, pow) with a form on
    reals: torch.floor(s / batch_size) and torch.exp(perp / len) in a training script take and return numbers.
    round is C's round (half away from zero); whole-valued results are ints; the precision is the default
    type's."""
    assert lg.floor(283 / 4) == 70 and isinstance(lg.floor(283 / 4), int)
    assert [lg.round(v) for v in (2.5, -2.5, 0.5, 1.49)] == [3, -3, 1, 1]
    assert lg.ceil(2.1) == 3 and lg.trunc(-2.7) == -2
    assert lg.exp(1.0) == float(np.float32(np.exp(np.float32(1.0))))     # float32 under the float default
    assert lg.pow(2, 10) == 1024 and lg.lerp(1.0, 3.0, 0.25) == 1.5 and lg.sigmoid(0) == 0.5
    assert lg.atan2(1.0, 1.0) == pytest.approx(np.pi / 4)
    old = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    try:
        assert lg.exp(1.0) == np.e and lg.log(10) == np.log(10.0) and lg.sqrt(2) == np.sqrt(2.0)
    finally:
        lg.setdefaulttensortype(old)
    assert lg.floor(float('inf')) == float('inf')
    t = lg.floor(lg.Tensor([1.5, -1.5]))                                  # tensors keep the tensor form
    assert lg.isTensor(t) and t.tolist() == [1, -2]


def test_tic_toc():
    """torch7 utils.c: torch.tic() is the wall-clock time in seconds, torch.toc(t) the seconds since t."""
    start = lg.tic()
    assert abs(start - __import__('time').time()) < 5
    elapsed = lg.toc(start)
    assert 0 <= elapsed < 5


def clone_many_times(net, T):
    """Clones through in-memory serialization whose parameters and gradients are re-pointed with set() at the
    original's (the g_cloneManyTimes / clone_many_times idiom): the clones keep their own buffers."""
    params, grad_params = net.parameters()
    blob = lg.serialize(net)
    clones = []
    for _ in range(T):
        clone = lg.deserialize(blob)
        clone_params, clone_grads = clone.parameters()
        for p, cp in zip(params, clone_params):
            cp.set(p)
        for g, cg in zip(grad_params, clone_grads):
            cg.set(g)
        clones.append(clone)
    return clones


def _set_dropout(train):
    def visit(node):
        if isinstance(node, list):
            for net in node:
                net.apply(visit)
        elif 'Dropout' in node.__typename:
            node.train = train
    return visit


def test_dropout_switched_through_typename_and_train_flag():
    """nn's Module.lua gives every object its class name in ``__typename``; a walk with apply() that sets
    ``train`` on the modules whose name matches "Dropout" switches them off in every clone (Dropout.lua: with
    train false the output is the input, with train true units are zeroed or scaled by 1 / (1 - p))."""
    lg.manualSeed(3)
    x = nn.Identity()()
    h = nn.Linear(4, 3)(nn.Dropout(0.5)(nn.LookupTable(6, 4)(x)))
    net = nn.gModule([x], [nn.Dropout(0.5)(h)]).double()
    clones = clone_many_times(net, 3)
    codes = lg.DoubleTensor([5, 0, 2])
    lookup = next(m for m in net.modules if lg.typename(m) == 'nn.LookupTable')
    linear = next(m for m in net.modules if lg.typename(m) == 'nn.Linear')
    expected = lookup.weight.numpy()[[5, 0, 2]] @ linear.weight.numpy().T + linear.bias.numpy()

    _set_dropout(False)(clones)
    for clone in clones:
        assert all(not m.train for m in clone.modules if lg.typename(m) == 'nn.Dropout')
        np.testing.assert_allclose(clone.forward(codes).numpy(), expected, rtol=1e-12)
    _set_dropout(True)(clones)
    assert all(m.train for m in clones[0].modules if lg.typename(m) == 'nn.Dropout')
    first = clones[0].modules[[lg.typename(m) for m in clones[0].modules].index('nn.Dropout')]
    out = first.forward(lg.ones(50, 4).double()).numpy()
    assert set(np.unique(out)) == {0.0, 2.0}


def _ptb_core(vocab, n):
    """One time step: {x, y, prev_s} -> {err, next_s} with a LookupTable, one LSTM layer whose gates are split
    out of a (batch, 4, n) reshape, and ClassNLLCriterion used as a graph node."""
    x, y, prev_s = nn.Identity()(), nn.Identity()(), nn.Identity()()
    prev_c, prev_h = prev_s.split(2)
    emb = nn.LookupTable(vocab, n)(x)
    gates = nn.CAddTable()([nn.Linear(n, 4 * n)(emb), nn.Linear(n, 4 * n)(prev_h)])
    sliced = nn.SplitTable(1)(nn.Reshape(4, n)(gates))
    i = nn.Sigmoid()(nn.SelectTable(0)(sliced))
    g = nn.Tanh()(nn.SelectTable(1)(sliced))
    f = nn.Sigmoid()(nn.SelectTable(2)(sliced))
    o = nn.Sigmoid()(nn.SelectTable(3)(sliced))
    next_c = nn.CAddTable()([nn.CMulTable()([f, prev_c]), nn.CMulTable()([i, g])])
    next_h = nn.CMulTable()([o, nn.Tanh()(next_c)])
    err = nn.ClassNLLCriterion()([nn.LogSoftMax()(nn.Linear(n, vocab)(next_h)), y])
    return nn.gModule([x, y, prev_s], [err, nn.Identity()([next_c, next_h])])


def test_unrolled_clones_accumulate_into_the_flat_gradient():
    """The PTB training step: getParameters() on the core, clones sharing its parameters and gradients, a
    forward through time, a backward with d err = 1 and the carried state gradient, then the gradient clipped
    by its norm. The flat gradient equals finite differences of the summed loss (nngraph's gModule and
    ModuleFromCriterion.lua, nn's LookupTable.lua)."""
    prev = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    try:
        lg.manualSeed(1)
        vocab, n, batch, T = 6, 3, 2, 3
        core = _ptb_core(vocab, n)
        params, grads = core.getParameters()
        params.uniform(-0.5, 0.5)
        clones = clone_many_times(core, T)
        data = lg.Tensor(np.random.RandomState(2).randint(0, vocab, (T + 1, batch)).astype(float))

        def forward():
            s = {0: [lg.zeros(batch, n), lg.zeros(batch, n)]}
            loss = 0
            for t in range(1, T + 1):
                err, s[t] = clones[t - 1].forward([data[t - 1], data[t], s[t - 1]])
                loss += err[0]
            return loss, s

        _, s = forward()
        grads.zero()
        ds = [lg.zeros(batch, n), lg.zeros(batch, n)]
        for t in range(T, 0, -1):
            tmp = clones[t - 1].backward([data[t - 1], data[t], s[t - 1]], [lg.ones(1), ds])[2]
            for d in range(2):
                ds[d].copy(tmp[d])
        analytic = grads.numpy().copy()
        numeric = np.zeros_like(analytic)
        for j in range(params.nElement()):
            v = params[j]
            params[j] = v + 1e-6
            up = forward()[0]
            params[j] = v - 1e-6
            numeric[j] = (up - forward()[0]) / 2e-6
            params[j] = v
        np.testing.assert_allclose(analytic, numeric, atol=1e-8)

        norm = grads.norm()
        assert norm == pytest.approx(np.linalg.norm(analytic), rel=1e-14)
        grads.mul(0.1 / norm)
        assert grads.norm() == pytest.approx(0.1, rel=1e-12)
    finally:
        lg.setdefaulttensortype(prev)
