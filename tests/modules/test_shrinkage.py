"""SoftShrink and HardShrink."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip

CASES = {
    'SoftShrink': (lambda: nn.SoftShrink(0.7),
                   lambda x: np.where(x > 0.7, x - 0.7, np.where(x < -0.7, x + 0.7, 0))),
    'HardShrink': (lambda: nn.HardShrink(0.3), lambda x: np.where(np.abs(x) > 0.3, x, 0)),
}
IDS = sorted(CASES)


def _input():
    return lg.DoubleTensor(np.random.default_rng(2).uniform(-2, 2, (4, 5)))


@pytest.mark.parametrize('name', IDS)
def test_jacobian(name):
    assert_jacobian(CASES[name][0](), _input())


@pytest.mark.parametrize('name', IDS)
def test_matches_numpy(name):
    make, ref = CASES[name]
    x = _input()
    np.testing.assert_allclose(make().double().forward(x).numpy(), ref(x.numpy()), rtol=1e-14)


@pytest.mark.parametrize('name', IDS)
def test_type_roundtrip(name):
    assert_type_roundtrip(CASES[name][0](), _input())


@pytest.mark.gpu
@pytest.mark.parametrize('name', IDS)
def test_gpu(name):
    assert_gpu_matches_cpu(CASES[name][0](), _input())


def test_defaults_and_bad_lambda():
    x = lg.DoubleTensor([-1.0, -0.4, 0.2, 0.6])
    np.testing.assert_allclose(nn.SoftShrink().double().forward(x).numpy(), [-0.5, 0, 0, 0.1])
    np.testing.assert_allclose(nn.HardShrink().double().forward(x).numpy(), [-1.0, 0, 0, 0.6])
    with pytest.raises(ValueError):
        nn.HardShrink(-1)
