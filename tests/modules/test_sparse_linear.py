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
    # the weight decay and the sparse update (one backward since zeroGradParameters) on the device
    for mod in (m, gpu):
        mod.weightDecay = 0.1
        mod.zeroGradParameters()
    m.backward(x, go)
    gpu.backward(gx, on_gpu(go))
    m.updateParameters(0.5)
    gpu.updateParameters(0.5)
    m.zeroGradParameters()
    gpu.zeroGradParameters()
    assert_close_trees(m.gradWeight, gpu.gradWeight)
    assert_close_trees(m.weight, gpu.weight)
    assert_close_trees(m.bias, gpu.bias)


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


def _outer(rows, go, n=5):
    """sum over samples of go[b] x_b^T, the dense gradient of the weight."""
    return sum(np.outer(g, _dense(r, n)) for r, g in zip(rows, go))


@pytest.mark.parametrize('form', ['single', 'list', 'legacy'])
def test_weight_decay_field_adds_decay_of_the_whole_weight(form):
    """SparseLinear.lua's weightDecay field: THNN/generic/SparseLinear.c adds weightDecay * weight to the whole
    gradWeight at each accGradParameters (legonn ignored the field)."""
    m = nn.SparseLinear(5, 3).double()
    m.weightDecay = 0.1
    x = _inputs()[form]
    rows = [S0] if form == 'single' else [S0, S1]
    go = np.array([[0.3, -1.0, 2.0], [1.5, 0.5, -0.25]])[:len(rows)]
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, lg.DoubleTensor(go[0] if form == 'single' else go), 0.5)
    W = m.weight.numpy()
    np.testing.assert_allclose(m.gradWeight.numpy(), 0.5 * _outer(rows, go) + 0.1 * W, rtol=1e-13)
    np.testing.assert_allclose(m.gradBias.numpy(), 0.5 * go.sum(0), rtol=1e-13)


def test_one_backward_updates_and_zeroes_only_its_columns():
    """SparseLinear.lua's sparse update: after one accGradParameters since zeroGradParameters, updateParameters
    steps the bias and the weight columns of the input's non-zero values only, zeroGradParameters zeroes gradBias
    and those columns only (the decay of the other columns stays); a second backward makes both dense."""
    m = nn.SparseLinear(5, 3).double()
    m.weightDecay = 0.1
    x = lg.DoubleTensor(S1 + [[2, 0.0]])   # columns 1 and 4; column 2's value is 0
    go = np.array([0.3, -1.0, 2.0])
    m.zeroGradParameters()
    W0, b0 = m.weight.numpy().copy(), m.bias.numpy().copy()
    m.forward(x)
    m.backward(x, lg.DoubleTensor(go))
    gW = _outer([S1], [go]) + 0.1 * W0
    m.updateParameters(0.5)
    want = W0.copy()
    want[:, [1, 4]] -= 0.5 * gW[:, [1, 4]]
    np.testing.assert_allclose(m.weight.numpy(), want, rtol=1e-13)
    np.testing.assert_allclose(m.bias.numpy(), b0 - 0.5 * go, rtol=1e-13)
    m.zeroGradParameters()
    stale = gW.copy()
    stale[:, [1, 4]] = 0
    np.testing.assert_allclose(m.gradWeight.numpy(), stale, rtol=1e-13)
    assert not m.gradBias.numpy().any()
    # two backwards: the dense update and zeroing
    m.gradWeight.zero()
    for _ in range(2):
        m.forward(x)
        m.backward(x, lg.DoubleTensor(go))
    W1, gW1 = m.weight.numpy().copy(), m.gradWeight.numpy().copy()
    m.updateParameters(0.5)
    np.testing.assert_allclose(m.weight.numpy(), W1 - 0.5 * gW1, rtol=1e-13)
    m.zeroGradParameters()
    assert not m.gradWeight.numpy().any()


def test_one_backward_without_non_zero_value_leaves_the_bias():
    """THNN/generic/SparseLinear.c's updateParameters returns before the bias step when the last input has no
    non-zero value (not in the legacy batch's, which steps the bias)."""
    m = nn.SparseLinear(5, 3).double()
    go = lg.DoubleTensor([0.3, -1.0, 2.0])
    for x, moves in ((lg.DoubleTensor([[2, 0.0]]), False), (lg.DoubleTensor([[[2, 0.0]]]), True)):
        m.zeroGradParameters()
        b0, W0 = m.bias.numpy().copy(), m.weight.numpy().copy()
        m.forward(x)
        m.backward(x, go.view(1, 3) if x.dim() == 3 else go)
        m.updateParameters(1.0)
        np.testing.assert_array_equal(m.weight.numpy(), W0)
        np.testing.assert_allclose(m.bias.numpy(), b0 - go.numpy() if moves else b0, rtol=1e-13)
