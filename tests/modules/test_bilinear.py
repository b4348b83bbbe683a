"""Bilinear."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def _input():
    rng = np.random.default_rng(6)
    return [lg.DoubleTensor(rng.normal(size=(3, 4))), lg.DoubleTensor(rng.normal(size=(3, 2)))]


@pytest.mark.parametrize('bias', [True, False])
def test_jacobian(bias):
    assert_jacobian(nn.Bilinear(4, 2, 3, bias), _input())


def test_matches_numpy():
    m = nn.Bilinear(4, 2, 3).double()
    x1, x2 = _input()
    w, b = m.weight.numpy(), m.bias.numpy()
    ref = np.array([[x1.numpy()[n] @ w[k] @ x2.numpy()[n] + b[k] for k in range(3)] for n in range(3)])
    np.testing.assert_allclose(m.forward([x1, x2]).numpy(), ref, rtol=1e-12)
    gi = m.backward([x1, x2], lg.DoubleTensor(3, 3).fill(1))
    assert [g.size() for g in gi] == [(3, 4), (3, 2)]


def test_type_roundtrip():
    assert_type_roundtrip(nn.Bilinear(4, 2, 3), _input())


@pytest.mark.gpu
def test_gpu():
    assert_gpu_matches_cpu(nn.Bilinear(4, 2, 3), _input())


def test_bad_inputs():
    m = nn.Bilinear(4, 2, 3)
    m.gradWeight.fill(1)
    with pytest.raises(TypeError, match=r'Bilinear\(\(4x2\) -> 3\): expected a list of two tensors'):
        m.forward(lg.FloatTensor(3, 4))
    with pytest.raises(ValueError, match=r'expected input\[1\] of size \(batch, 2\), got \(3, 3\)'):
        m.backward([lg.FloatTensor(3, 4), lg.FloatTensor(3, 3)], lg.FloatTensor(3, 3))
    with pytest.raises(ValueError, match='same batch size'):
        m.forward([lg.FloatTensor(3, 4), lg.FloatTensor(2, 2)])
    assert (m.gradWeight.numpy() == 1).all()
