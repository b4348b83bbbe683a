"""SoftPlus, SoftSign, LogSigmoid, TanhShrink, SoftMin, GatedLinearUnit."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import reference_test, sized_build, standard_tests, with_fields


def softmin(x, axis):
    e = np.exp(-x - (-x).max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def glu(x, axis):
    a, b = np.split(x, 2, axis=axis)
    return a / (1 + np.exp(-b))


CASES = {
    'SoftPlus': (lambda: nn.SoftPlus(), (3, 4), lambda x: np.log1p(np.exp(x))),
    'SoftPlus-beta': (lambda: with_fields(nn.SoftPlus(2), threshold=3.0), (3, 4),
                      lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2)),
    'SoftSign': (lambda: nn.SoftSign(), (2, 3, 2), lambda x: x / (1 + np.abs(x))),
    'LogSigmoid': (lambda: nn.LogSigmoid(), (5,), lambda x: -np.log1p(np.exp(-x))),
    'TanhShrink': (lambda: nn.TanhShrink(), (3, 3), lambda x: x - np.tanh(x)),
    'SoftMin-1d': (lambda: nn.SoftMin(), (5,), lambda x: softmin(x, 0)),
    'SoftMin-batch': (lambda: nn.SoftMin(), (3, 4), lambda x: softmin(x, 1)),
    'SoftMin-3d': (lambda: nn.SoftMin(), (3, 2, 2), lambda x: softmin(x, 0)),
    'SoftMin-4d': (lambda: nn.SoftMin(), (2, 3, 2, 1), lambda x: softmin(x, 1)),
    'GLU-last': (lambda: nn.GatedLinearUnit(), (3, 4), lambda x: glu(x, 1)),
    'GLU-dim0': (lambda: nn.GatedLinearUnit(0), (4, 3), lambda x: glu(x, 0)),
}
IDS = sorted(CASES)


def _input(size):
    return lg.DoubleTensor(np.random.default_rng(1).uniform(-3, 3, size))


_build = sized_build(CASES, _input)
test_jacobian, test_type_roundtrip, test_gpu = standard_tests(IDS, _build, bounds=lambda name: (-3, 3))
test_matches_numpy = reference_test(IDS, _build, lambda name, m, x: CASES[name][2](x.numpy()),
                                    rtol=1e-12, atol=1e-15)


def test_extreme_inputs_stay_finite():
    x = lg.DoubleTensor([-800.0, -30.0, 0.0, 30.0, 800.0])
    for m in (nn.SoftPlus(), nn.LogSigmoid(), nn.SoftMin()):
        y = m.double().forward(x)
        g = m.backward(x, lg.DoubleTensor(5).fill(1))
        assert np.isfinite(y.numpy()).all() and np.isfinite(g.numpy()).all(), m
    np.testing.assert_allclose(nn.LogSigmoid().double().forward(x).numpy()[[0, 4]], [-800.0, 0.0])


def test_bad_inputs():
    with pytest.raises(ValueError, match=r'GatedLinearUnit\(-1\): expected an even size in dimension 1'):
        nn.GatedLinearUnit().forward(lg.FloatTensor(2, 3))
    with pytest.raises(ValueError, match='SoftMin: expected a 1-D or 2-D or 3-D or 4-D input'):
        nn.SoftMin().forward(lg.FloatTensor(1, 1, 1, 1, 1))
    with pytest.raises(ValueError):
        nn.SoftPlus(0)
