"""SoftShrink and HardShrink."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import reference_test, standard_tests

CASES = {
    'SoftShrink': (lambda: nn.SoftShrink(0.7),
                   lambda x: np.where(x > 0.7, x - 0.7, np.where(x < -0.7, x + 0.7, 0))),
    'HardShrink': (lambda: nn.HardShrink(0.3), lambda x: np.where(np.abs(x) > 0.3, x, 0)),
}
IDS = sorted(CASES)


def _input():
    return lg.DoubleTensor(np.random.default_rng(2).uniform(-2, 2, (4, 5)))


def _build(name):
    return CASES[name][0](), _input()


test_jacobian, test_type_roundtrip, test_gpu = standard_tests(IDS, _build)
test_matches_numpy = reference_test(IDS, _build, lambda name, m, x: CASES[name][1](x.numpy()), rtol=1e-14)


def test_defaults_and_bad_lambda():
    x = lg.DoubleTensor([-1.0, -0.4, 0.2, 0.6])
    np.testing.assert_allclose(nn.SoftShrink().double().forward(x).numpy(), [-0.5, 0, 0, 0.1])
    np.testing.assert_allclose(nn.HardShrink().double().forward(x).numpy(), [-1.0, 0, 0, 0.6])
    with pytest.raises(ValueError):
        nn.HardShrink(-1)
