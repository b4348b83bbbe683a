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
