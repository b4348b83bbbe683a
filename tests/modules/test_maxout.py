"""Maxout."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def _input(size):
    return lg.DoubleTensor(np.random.default_rng(7).normal(size=size))


@pytest.mark.parametrize('size', [(4,), (3, 4)])
def test_jacobian(size):
    assert_jacobian(nn.Maxout(4, 2, 3), _input(size))


def test_matches_linear_view_max():
    m = nn.Maxout(4, 2, 3).double()
    x = _input((5, 4))
    z = x.numpy() @ m.weight.numpy().T + m.bias.numpy()
    np.testing.assert_allclose(m.forward(x).numpy(), z.reshape(5, 3, 2).max(axis=1), rtol=1e-13)


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
def test_inf_gradient_reaches_only_the_winning_group(tensor):
    # nn.Max's backward scatters gradOutput to the winners: the losers' pre-activations get exactly 0 even when
    # gradOutput is inf (a product with the 0/1 winner mask gave 0 * inf = NaN in every weight row)
    m = nn.Maxout(4, 2, 3).type(tensor)
    x = _input((5, 4)).numpy()
    go = np.random.default_rng(9).normal(size=(5, 2))
    go[1, 0] = np.inf
    m.forward(lg.DoubleTensor(x).type(tensor))
    m.zeroGradParameters()
    gi = m.backward(lg.DoubleTensor(x).type(tensor), lg.DoubleTensor(go).type(tensor)).double().numpy()
    w = m.weight.double().numpy()
    win = (x @ w.T + m.bias.double().numpy()).reshape(5, 3, 2).argmax(axis=1)
    gz = np.zeros((5, 3, 2))
    for b in range(5):   # the scatter, by hand
        for j in range(2):
            gz[b, win[b, j], j] = go[b, j]
    gz = gz.reshape(5, 6)
    np.testing.assert_allclose(m.gradWeight.double().numpy(), gz.T @ x, rtol=1e-13)
    np.testing.assert_allclose(m.gradBias.double().numpy(), gz.sum(axis=0), rtol=1e-13)
    np.testing.assert_allclose(gi, gz @ w, rtol=1e-13)
    assert np.isfinite(m.gradWeight.double().numpy()).sum() == 20 and np.isfinite(gi).sum() == 16


def test_type_roundtrip():
    assert_type_roundtrip(nn.Maxout(4, 2, 3), _input((3, 4)))


@pytest.mark.gpu
def test_gpu():
    assert_gpu_matches_cpu(nn.Maxout(4, 2, 3), _input((3, 4)))


def test_bad_input():
    with pytest.raises(ValueError, match=r'Maxout\(4 -> 2 x 3\): expected 4 input features'):
        nn.Maxout(4, 2, 3).forward(lg.FloatTensor(2, 5))
    with pytest.raises(ValueError):
        nn.Maxout(4, 2, 0)
