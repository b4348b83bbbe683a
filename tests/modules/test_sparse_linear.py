"""SparseLinear: single, list-batch and legacy 3-D input; dense gradInput; errors."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_close_trees, assert_parameter_jacobians
from tests.checks import on_gpu

S0 = [[0, 1.5], [3, -2.0], [3, 0.5]]
S1 = [[1, 1.0], [4, 0.25]]


def _dense(rows, n=5):
    d = np.zeros(n)
    for i, v in rows:
        d[int(i)] += v
    return d


def _inputs():
    return {'single': lg.DoubleTensor(S0),
            'list': [lg.DoubleTensor(S0), lg.DoubleTensor(S1)],
            'legacy': lg.DoubleTensor([S0, S1 + [[2, 0.0]]])}


@pytest.mark.parametrize('form', ['single', 'list', 'legacy'])
def test_matches_dense_linear(form):
    m = nn.SparseLinear(5, 3).double()
    x = _inputs()[form]
    rows = [S0] if form == 'single' else [S0, S1]
    ref = np.stack([m.weight.numpy() @ _dense(r) + m.bias.numpy() for r in rows])
    out = m.forward(x).numpy()
    np.testing.assert_allclose(out, ref[0] if form == 'single' else ref, rtol=1e-13)


@pytest.mark.parametrize('form', ['single', 'list', 'legacy'])
def test_parameter_jacobians(form):
    m = nn.SparseLinear(5, 3).double()
    x = _inputs()[form]
    assert_parameter_jacobians(m, x)


def test_value_gradient_matches_central_differences():
    m = nn.SparseLinear(5, 3, True).double()
    x = lg.DoubleTensor(S0)
    go = lg.DoubleTensor([0.3, -1.0, 2.0])
    m.forward(x)
    gi = m.backward(x, go)[0].numpy().copy()
    assert gi.shape == (5, 2) and (gi[:, 0] == np.arange(5)).all()
    for k, (i, _) in enumerate(S0):
        xa = x.numpy()
        xa[k, 1] += 1e-6
        up = m.forward(x).numpy() @ go.numpy()
        xa[k, 1] -= 2e-6
        down = m.forward(x).numpy() @ go.numpy()
        xa[k, 1] += 1e-6
        assert abs((up - down) / 2e-6 - gi[int(i), 1]) < 1e-7


def test_without_grad_input_flag_gradient_is_empty():
    m = nn.SparseLinear(5, 3)
    x = [lg.FloatTensor(S0)]
    m.forward(x)
    assert m.backward(x, lg.FloatTensor(1, 3)) == []
    m.forward(lg.FloatTensor(S0))
    assert m.backward(lg.FloatTensor(S0), lg.FloatTensor(3)) == []     # SparseLinear.lua: {} unless legacy


def test_single_input_gradient_is_a_table_of_one():
    """nn/SparseLinear.lua's updateGradInput gives a table for a (nnz, 2) input, {(inputSize, 2)} with
    doGradInput: nn's test.lua reads actualgi[1]:select(2, 2) against Linear's gradInput of the dense input."""
    m = nn.SparseLinear(5, 3, True).double()
    x = lg.DoubleTensor(S0)
    go = lg.DoubleTensor([0.3, -1.0, 2.0])
    m.forward(x)
    gi = m.backward(x, go)
    assert isinstance(gi, list) and len(gi) == 1 and gi[0].size() == (5, 2)
    np.testing.assert_allclose(gi[0].select(1, 1).numpy(), m.weight.numpy().T @ go.numpy(), rtol=1e-13)
    assert gi[0].select(1, 0).tolist() == [0, 1, 2, 3, 4]
    legacy = lg.DoubleTensor([S0, S0])
    m.forward(legacy)
    assert m.backward(legacy, lg.DoubleTensor(2, 3).fill(1)).size() == (2, 5, 2)   # legacy mode: one tensor


def test_type_roundtrip():
    m = nn.SparseLinear(5, 3)
    out32 = m.forward(lg.FloatTensor(S0)).numpy().copy()
    m.double()
    assert m.weight.type() == 'legonn.DoubleTensor'
    np.testing.assert_allclose(m.forward(lg.DoubleTensor(S0)).numpy(), out32, rtol=1e-5)
    assert m.float().bias.type() == 'legonn.FloatTensor'


@pytest.mark.gpu
def test_gpu():
    m = nn.SparseLinear(5, 3, True).double()
    gpu = on_gpu(m.clone())
    x = [lg.DoubleTensor(S0), lg.DoubleTensor(S1)]
    gx = [on_gpu(t) for t in x]
    assert_close_trees(m.forward(x), gpu.forward(gx))
    go = lg.DoubleTensor(2, 3).normal()
    m.zeroGradParameters()
    gpu.zeroGradParameters()
    assert_close_trees(m.backward(x, go), gpu.backward(gx, on_gpu(go)))
    assert_close_trees(m.gradWeight, gpu.gradWeight)


def test_bad_indices_and_shapes():
    m = nn.SparseLinear(5, 3)
    m.gradWeight.fill(1)
    with pytest.raises(IndexError, match=r'SparseLinear\(5 -> 3\): expected input\[1\] indices'):
        m.forward([lg.FloatTensor(S0), lg.FloatTensor([[5, 1.0]])])
    with pytest.raises(IndexError):
        m.backward(lg.FloatTensor([[1.5, 1.0]]), lg.FloatTensor(3))
    with pytest.raises(ValueError, match=r'size \(nnz, 2\), got \(2, 3\)'):
        m.forward(lg.FloatTensor(2, 3))
    assert (m.gradWeight.numpy() == 1).all()
