"""Element-Research rnn's support modules: LookupTableMaskZero (LookupTableMaskZero.lua; port of test/test.lua's
LookupTableMaskZero), CopyGrad (CopyGrad.lua), SAdd (SAdd.lua), ExpandAs (ExpandAs.lua)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_rejected, named_case_tests
from tests.checks import on_gpu

rng = np.random.default_rng(0)


def r(*shape):
    return rng.normal(size=shape)


def expand_as_reference(x):
    a, b = x
    return [a, np.broadcast_to(b, a.shape)]


CASES = [
    ('CopyGrad', lambda: nn.CopyGrad(), lambda: r(2, 3), lambda x: x),
    ('SAdd', lambda: nn.SAdd(0.5), lambda: r(2, 3), lambda x: x + 0.5),
    ('SAdd-negate', lambda: nn.SAdd(-1, True), lambda: r(4), lambda x: 1 - x),
    ('ExpandAs', lambda: nn.ExpandAs(), lambda: [r(2, 3, 4), r(2, 1, 4)], expand_as_reference),
    ('ExpandAs-two-dims', lambda: nn.ExpandAs(), lambda: [r(2, 3, 4), r(1, 3, 1)], expand_as_reference),
    ('ExpandAs-same', lambda: nn.ExpandAs(), lambda: [r(2, 3), r(2, 3)], expand_as_reference),
]
test_jacobian, test_type_roundtrip, test_gpu, test_matches_numpy = named_case_tests(CASES)


def test_copy_grad_hands_back_a_copy():
    """CopyGrad.lua: forward is Identity's (the input itself); gradInput equals gradOutput in its own tensor."""
    m = nn.CopyGrad()
    x, go = lg.rand(2, 3), lg.rand(2, 3)
    assert m.forward(x) is x
    gi = m.backward(x, go)
    assert gi is not go and gi.storage() is not go.storage() and gi.equal(go)
    gi.fill(7)
    assert not go.equal(gi)
    with pytest.raises(TypeError, match='CopyGrad: expected a tensor input'):
        m.forward([x, x])


def test_sadd_gradient_and_errors():
    """SAdd.lua: the gradient is gradOutput, negated with ``negate``; a non-number addend or non-boolean negate
    fails at construction."""
    go = r(3)
    np.testing.assert_array_equal(nn.SAdd(2, True).double().backward(r(3), go).numpy(), -go)
    np.testing.assert_array_equal(nn.SAdd(2).double().backward(r(3), go).numpy(), go)
    with pytest.raises(ValueError, match='SAdd: the addend must be a number'):
        nn.SAdd(lg.rand(3))
    with pytest.raises(ValueError, match='SAdd: negate must be a boolean'):
        nn.SAdd(1, 'yes')


def test_expand_as_is_a_view_and_sums_back():
    """ExpandAs.lua: output {a, b:expandAs(a)} (a itself, b viewed with stride 0); gradInput[1] sums
    gradOutput[2] over the expanded dimensions, keeping them as size 1."""
    a, b = lg.from_numpy(r(2, 3, 4)), lg.from_numpy(r(2, 1, 4))
    m = nn.ExpandAs().double()
    out = m.forward([a, b])
    assert out[0] is a and out[1].storage() is b.storage() and out[1].stride(1) == 0
    g0, g1 = r(2, 3, 4), r(2, 3, 4)
    gi = m.backward([a, b], [g0, g1])
    np.testing.assert_array_equal(gi[0].numpy(), g0)
    np.testing.assert_allclose(gi[1].numpy(), g1.sum(axis=1, keepdims=True), rtol=1e-15)
    with pytest.raises(ValueError, match=r"ExpandAs: expected input\[1\] of 3 dimensions, each of input\[0\]'s size "
                                         r"\(2, 3, 4\) or 1, got size \(2, 2, 4\)"):
        m.forward([a, lg.rand(2, 2, 4).double()])
    with pytest.raises(ValueError, match=r'got size \(3, 4\)'):
        m.forward([a, lg.rand(3, 4).double()])
    with pytest.raises(ValueError, match='ExpandAs: expected an input table of 2 entries'):
        m.forward([a])
    assert_rejected(m, ValueError, r'gradOutput\[1\] of size \(2, 3, 4\)', 'backward', [a, b], [g0, r(2, 1, 4)])


# --- LookupTableMaskZero -------------------------------------------------------------------------------------
def test_lookup_table_mask_zero_reference():
    """LookupTableMaskZero.lua: weight has a row more, zeroed at each forward; index i reads row i + 1 and the
    padding index (Lua's 0, legonn's -1) reads the zero row; gradients reach row i + 1."""
    m = nn.LookupTableMaskZero(5, 3).double()
    assert m.weight.size() == (6, 3)
    m.weight.array[0] = 9   # a stale padding row: forward zeroes it
    idx = np.array([[0, -1, 4], [-1, -1, 2]])
    w = m.weight.numpy().copy()
    w[0] = 0
    out = m.forward(lg.LongTensor(idx))
    np.testing.assert_array_equal(out.numpy(), w[idx + 1])
    assert not out.numpy()[idx == -1].any()
    m.zeroGradParameters()
    go = r(2, 3, 3)
    m.backward(lg.LongTensor(idx), go)
    want = np.zeros((6, 3))
    np.add.at(want, (idx + 1).reshape(-1), go.reshape(-1, 3))
    np.testing.assert_allclose(m.gradWeight.numpy(), want, rtol=1e-15)
    # the padding row gathers the padding's gradients, as the Lua one does (its LookupTable pads no row), though
    # forward zeroes it: finite differences see no dependence on it, the other rows agree
    assert want[0].any()
    m = nn.LookupTableMaskZero(5, 3).double()
    x = lg.LongTensor(idx)
    est = nn.Jacobian.forward(m, x, param=m.weight).numpy()
    exact = nn.Jacobian.backward(m, x, param=m.weight, dparam=m.gradWeight).numpy()
    assert np.abs(est[3:] - exact[3:]).max() < 1e-6 and not est[:3].any()


def test_lookup_table_mask_zero_lua_test():
    """test.lua rnntest.LookupTableMaskZero: a LookupTable and a LookupTableMaskZero holding its weights
    (from row 1) stay equal through ten SGD steps, the mask-zero one fed the same indices plus two padding
    ones (test.lua's 0, here -1) whose outputs are zero vectors."""
    batch, size = 7, 6
    m1 = nn.LookupTable(batch, size).double()
    m2 = nn.LookupTableMaskZero(batch, size).double()
    m2.weight.narrow(0, 1, batch).copy(m1.weight)
    crit = nn.MSECriterion().double()
    crit.sizeAverage = False

    def step(m, x, y):
        out = m.forward(x)
        crit.forward(out, y)
        m.zeroGradParameters()
        m.backward(x, crit.backward(out, y))
        m.updateParameters(1)
        return out

    for _ in range(10):
        i1 = lg.randperm(batch)
        i2 = lg.LongTensor(batch + 2).fill(-1)
        i2.narrow(0, 0, batch).copy(i1)
        e1 = lg.DoubleTensor(batch, size).uniform()
        e2 = lg.DoubleTensor(batch + 2, size).uniform()
        e2.narrow(0, 0, batch).copy(e1)
        o1 = step(m1, i1, e1).clone()
        o2 = step(m2, i2, e2).clone()
        assert (o1 - o2.narrow(0, 0, batch)).norm() < 1e-5
        assert o2[batch].norm() < 1e-5 and o2[batch + 1].norm() < 1e-5
        assert (m1.weight - m2.weight.narrow(0, 1, batch)).norm() < 1e-5


def test_lookup_table_mask_zero_errors_and_types():
    with pytest.raises(ValueError, match='LookupTableMaskZero: nIndex must be a positive integer'):
        nn.LookupTableMaskZero(0, 3)
    m = nn.LookupTableMaskZero(4, 2)
    m.weight.array[0] = 5
    with pytest.raises(IndexError, match=r'LookupTableMaskZero\(4, 2\): expected indices in \[-1, 4\), got indices '
                                         r'in \[0, 4\]'):
        m.forward(lg.LongTensor([0, 4]))
    with pytest.raises(IndexError, match=r'got indices in \[-2, -2\]'):
        m.forward(lg.LongTensor([-2]))
    assert (m.weight.array[0] == 5).all()   # a refused input changes nothing, the padding row included
    x = lg.LongTensor([[1, -1], [3, 0]])
    out32 = m.forward(x).clone()
    np.testing.assert_allclose(m.double().forward(x).numpy(), out32.numpy(), rtol=1e-6)
    assert m.weight.type() == 'legonn.DoubleTensor' and m.float().output.type() == 'legonn.FloatTensor'


@pytest.mark.gpu
def test_lookup_table_mask_zero_gpu():
    m = nn.LookupTableMaskZero(5, 3)
    x = lg.LongTensor([[0, -1, 4], [-1, 2, 2]])
    m.double()
    gpu = on_gpu(m.clone())
    out = m.forward(x)
    np.testing.assert_allclose(gpu.forward(on_gpu(x)).array.get(), out.numpy())
    go = lg.DoubleTensor(2, 3, 3).normal()
    m.zeroGradParameters()
    gpu.zeroGradParameters()
    m.backward(x, go)
    gpu.backward(on_gpu(x), on_gpu(go))
    np.testing.assert_allclose(gpu.gradWeight.array.get(), m.gradWeight.numpy())
    assert_gpu_matches_cpu(nn.Sequential().add(nn.LookupTableMaskZero(5, 3)).add(nn.Sum(1)), x)
