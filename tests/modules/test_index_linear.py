"""IndexLinear: the three input layouts, dense value gradients, parameter Jacobians, errors."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_close_trees, assert_parameter_jacobians

KEYS, VALS = [[0, 4, 2], [5]], [[1.0, 2.0, -1.0], [3.0]]


def _inputs():
    return {'single': [lg.LongTensor(KEYS[0]), lg.DoubleTensor(VALS[0])],
            'list': [[lg.LongTensor(k) for k in KEYS], [lg.DoubleTensor(v) for v in VALS]],
            'flat': [lg.LongTensor(KEYS[0] + KEYS[1]), lg.DoubleTensor(VALS[0] + VALS[1]), lg.LongTensor([3, 1])]}


def _module(**kw):
    return nn.IndexLinear(6, 3, **kw).reset().double()


def _dense(keys, vals, offset=0):
    d = np.zeros(6)
    for k, v in zip(keys, vals):
        d[k + offset] += v
    return d


@pytest.mark.parametrize('form', ['single', 'list', 'flat'])
def test_matches_dense_linear(form):
    m = _module()
    ref = np.stack([_dense(k, v) @ m.weight.numpy() + m.bias.numpy() for k, v in zip(KEYS, VALS)])
    out = m.forward(_inputs()[form]).numpy()
    np.testing.assert_allclose(out, ref[0] if form == 'single' else ref, rtol=1e-13)


def test_keys_offset_shifts_rows():
    m = _module(keysOffset=1)
    out = m.forward([lg.LongTensor([0, 4]), lg.DoubleTensor([1.0, 1.0])]).numpy()
    np.testing.assert_allclose(out, m.weight.numpy()[[1, 5]].sum(0) + m.bias.numpy())


@pytest.mark.parametrize('form', ['single', 'list', 'flat'])
def test_parameter_jacobians(form):
    m = _module()
    x = _inputs()[form]
    assert_parameter_jacobians(m, x)


def test_value_gradient_matches_central_differences():
    m = _module(doGradInput=True)
    x = _inputs()['flat']
    go = lg.DoubleTensor([[0.3, -1.0, 2.0], [1.0, 0.5, -0.5]])
    m.forward(x)
    keys_grad, dense = m.backward(x, go)
    assert keys_grad.size() == (2, 6) and keys_grad.numpy()[1].tolist() == list(range(6))
    dense = dense.numpy().copy()
    vals = x[1].numpy()
    for e, (b, k) in enumerate([(0, 0), (0, 4), (0, 2), (1, 5)]):
        vals[e] += 1e-6
        up = (m.forward(x).numpy() * go.numpy()).sum()
        vals[e] -= 2e-6
        down = (m.forward(x).numpy() * go.numpy()).sum()
        vals[e] += 1e-6
        assert abs((up - down) / 2e-6 - dense[b, k]) < 1e-7


def test_type_roundtrip():
    m = nn.IndexLinear(6, 3).reset()
    out32 = m.forward([lg.LongTensor(KEYS[0]), lg.FloatTensor(VALS[0])]).numpy().copy()
    m.double()
    assert m.gradWeight.type() == 'legonn.DoubleTensor'
    np.testing.assert_allclose(m.forward(_inputs()['single']).numpy(), out32, rtol=1e-5)


@pytest.mark.gpu
def test_gpu():
    m = _module(doGradInput=True)
    gpu = m.clone().cuda()
    x = _inputs()['flat']
    gx = [t.cuda() for t in x]
    assert_close_trees(m.forward(x), gpu.forward(gx))
    go = lg.DoubleTensor(2, 3).normal()
    m.zeroGradParameters()
    gpu.zeroGradParameters()
    assert_close_trees(m.backward(x, go)[1], gpu.backward(gx, go.cuda())[1])
    assert_close_trees(m.gradWeight, gpu.gradWeight)


def test_bad_inputs_change_nothing():
    m = _module()
    m.gradWeight.fill(1)
    with pytest.raises(IndexError, match=r'IndexLinear\(6 -> 3\): expected keys \+ keysOffset in \[0, 6\)'):
        m.backward([lg.LongTensor([6]), lg.DoubleTensor([1.0])], lg.DoubleTensor(3))
    with pytest.raises(ValueError, match='sizes that sum to the 4 keys'):
        m.forward([lg.LongTensor([0, 1, 2, 3]), lg.DoubleTensor(4), lg.LongTensor([2, 1])])
    with pytest.raises(TypeError, match='integer input keys'):
        m.forward([lg.DoubleTensor([0.0]), lg.DoubleTensor([1.0])])
    assert (m.gradWeight.numpy() == 1).all()
    with pytest.raises(ValueError):
        nn.IndexLinear(6, 3, normalize=True)
