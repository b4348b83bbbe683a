"""LinearWeightNorm."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_rejected, assert_type_roundtrip


def _input(size):
    return lg.DoubleTensor(np.random.default_rng(8).normal(size=size))


@pytest.mark.parametrize('size,bias', [((3, 4), True), ((4,), False)])
def test_jacobian(size, bias):
    assert_jacobian(nn.LinearWeightNorm(4, 3, bias), _input(size))


def test_matches_normalised_weight():
    m = nn.LinearWeightNorm(4, 3).double()
    m.g.uniform(0.5, 2)
    v, g = m.v.numpy(), m.g.numpy()
    w = g * v / np.linalg.norm(v, axis=1, keepdims=True)
    x = _input((2, 4))
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() @ w.T + m.bias.numpy(), rtol=1e-12)


def test_from_and_to_linear_keep_the_function():
    lin = nn.Linear(4, 3).double()
    x = _input((2, 4))
    wn = nn.LinearWeightNorm.fromLinear(lin)
    np.testing.assert_allclose(wn.forward(x).numpy(), lin.forward(x).numpy(), rtol=1e-12)
    np.testing.assert_allclose(wn.toLinear().forward(x).numpy(), lin.forward(x).numpy(), rtol=1e-12)
    assert [p.size() for p in wn.parameters()[0]] == [(3, 4), (3, 1), (3,)]


def test_acc_update_steps_v_and_g():
    m = nn.LinearWeightNorm(4, 3).double()
    x, go = _input((2, 4)), _input((2, 3))
    m.forward(x)
    m.zeroGradParameters()
    m.backward(x, go)
    expected = [p.clone().add(-0.1, g) for p, g in zip(*m.parameters())]
    m.accUpdateGradParameters(x, go, 0.1)
    for p, e in zip(m.parameters()[0], expected):
        np.testing.assert_allclose(p.numpy(), e.numpy(), rtol=1e-12)


def test_type_roundtrip():
    assert_type_roundtrip(nn.LinearWeightNorm(4, 3), _input((2, 4)))


@pytest.mark.gpu
def test_gpu():
    assert_gpu_matches_cpu(nn.LinearWeightNorm(4, 3), _input((2, 4)))


def test_bad_input_keeps_gradients():
    m = nn.LinearWeightNorm(4, 3)
    m.gradV.fill(1)
    assert_rejected(m, ValueError, r'LinearWeightNorm\(4 -> 3\): expected 4 input features',
                    'backward', lg.FloatTensor(2, 5), lg.FloatTensor(2, 3))


def test_eps_must_be_a_number():
    # an eps that is no number failed inside NumPy's maximum at the constructor's reset
    with pytest.raises(ValueError, match=r"LinearWeightNorm: eps must be a number, got 'x'"):
        nn.LinearWeightNorm(4, 3, True, 'x')
