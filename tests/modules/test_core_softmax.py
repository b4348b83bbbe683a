"""SoftMax and LogSoftMax: gradients, NumPy references on every supported rank, stability, types, errors."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip

# rank -> (input shape, the axis Torch7 normalises)
RANKS = {1: ((5,), 0), 2: ((3, 4), 1), 3: ((3, 2, 2), 0), 4: ((2, 3, 2, 2), 1)}


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize('rank', sorted(RANKS))
@pytest.mark.parametrize('cls', [nn.SoftMax, nn.LogSoftMax])
def test_jacobian(cls, rank):
    assert_jacobian(cls(), lg.DoubleTensor(*RANKS[rank][0]))


@pytest.mark.parametrize('rank', sorted(RANKS))
def test_matches_numpy_reference(rank):
    shape, axis = RANKS[rank]
    x = np.random.default_rng(0).standard_normal(shape)
    go = np.random.default_rng(1).standard_normal(shape)
    p = softmax(x, axis)
    sm, lsm = nn.SoftMax().double(), nn.LogSoftMax().double()
    np.testing.assert_allclose(sm.forward(x).numpy(), p, rtol=1e-12)
    np.testing.assert_allclose(lsm.forward(x).numpy(), np.log(p), rtol=1e-12)
    # closed forms: d softmax = p (g - <g, p>), d logsoftmax = g - p sum(g)
    np.testing.assert_allclose(sm.backward(x, go).numpy(), p * (go - (go * p).sum(axis, keepdims=True)),
                               rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(lsm.backward(x, go).numpy(), go - p * go.sum(axis, keepdims=True),
                               rtol=1e-10, atol=1e-14)


def test_large_scores_do_not_overflow():
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1000.0, -1000.0]], np.float32)
    lsm = nn.LogSoftMax().forward(x).numpy()
    assert np.isfinite(lsm).all()
    np.testing.assert_allclose(np.exp(lsm).sum(1), [1, 1], rtol=1e-6)
    np.testing.assert_allclose(nn.SoftMax().forward(x).numpy()[1], [1 / 3] * 3, rtol=1e-6)


@pytest.mark.parametrize('cls', [nn.SoftMax, nn.LogSoftMax])
def test_type_roundtrip(cls):
    assert_type_roundtrip(cls(), lg.randn(3, 5))


@pytest.mark.gpu
@pytest.mark.parametrize('rank', sorted(RANKS))
@pytest.mark.parametrize('cls', [nn.SoftMax, nn.LogSoftMax])
def test_gpu_matches_cpu(cls, rank):
    assert_gpu_matches_cpu(cls(), lg.DoubleTensor(*RANKS[rank][0]).normal())


@pytest.mark.parametrize('cls', [nn.SoftMax, nn.LogSoftMax])
def test_bad_inputs_name_the_module(cls):
    name = cls.__name__
    with pytest.raises(ValueError, match=f'{name}: expected a 1-D or 2-D or 3-D or 4-D input, got 5-D'):
        cls().forward(lg.rand(1, 1, 1, 1, 2))
    m = cls()
    m.forward(lg.rand(2, 3))
    with pytest.raises(ValueError, match=rf'{name}: expected gradOutput of size \(2, 3\)'):
        m.backward(lg.rand(2, 3), lg.rand(2, 4))


def test_buffers_reused_across_calls():
    m = nn.LogSoftMax()
    x = lg.randn(4, 6)
    m.forward(x)
    m.backward(x, lg.randn(4, 6))
    out, gi = m.output.storage().data, m.gradInput.storage().data
    m.forward(x)
    m.backward(x, lg.randn(4, 6))
    assert m.output.storage().data is out and m.gradInput.storage().data is gi
    m.clearState()
    assert m.output.nElement() == 0 and m._norm.nElement() == 0
