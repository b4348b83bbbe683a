"""Abs, Exp, Log, Sqrt, Square, Power, Clamp, AddConstant, MulConstant."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import reference_test, standard_tests

# (factory, NumPy reference, Jacobian input range)
CASES = {
    'Abs': (lambda: nn.Abs(), np.abs, (-2, 2)),
    'Exp': (lambda: nn.Exp(), np.exp, (-2, 2)),
    'Log': (lambda: nn.Log(), np.log, (0.5, 3)),
    'Sqrt': (lambda: nn.Sqrt(), np.sqrt, (0.5, 3)),
    'Sqrt-b': (lambda: nn.Sqrt(0.25), lambda x: np.sqrt(x + 0.25), (0.5, 3)),
    'Square': (lambda: nn.Square(), np.square, (-2, 2)),
    'Power-3': (lambda: nn.Power(3), lambda x: x ** 3, (-2, 2)),
    'Power-frac': (lambda: nn.Power(1.5), lambda x: x ** 1.5, (0.5, 3)),
    'Clamp': (lambda: nn.Clamp(-0.5, 1), lambda x: np.clip(x, -0.5, 1), (-2, 2)),
    'AddConstant': (lambda: nn.AddConstant(3.5), lambda x: x + 3.5, (-2, 2)),
    'AddConstant-tensor': (lambda: nn.AddConstant(lg.FloatTensor([1, 2, 3, -1])),
                           lambda x: x + np.array([1, 2, 3, -1]), (-2, 2)),
    'MulConstant': (lambda: nn.MulConstant(-2.5), lambda x: -2.5 * x, (-2, 2)),
}
IDS = sorted(CASES)


def _input(lo=0.5, hi=3):
    return lg.DoubleTensor(np.random.default_rng(3).uniform(lo, hi, (3, 4)))


def _build(name):
    return CASES[name][0](), _input(*CASES[name][2])


test_jacobian, test_type_roundtrip, test_gpu = standard_tests(IDS, _build, bounds=lambda name: CASES[name][2])
test_matches_numpy = reference_test(IDS, _build, lambda name, m, x: CASES[name][1](x.numpy()), rtol=1e-14)


@pytest.mark.parametrize('make', [lambda ip: nn.AddConstant(1.5, ip), lambda ip: nn.MulConstant(-3, ip)])
def test_inplace_overwrites_then_restores_input(make):
    x, go = _input(), _input()
    ref = make(False).double()
    out, gi = ref.forward(x).clone(), ref.backward(x, go).clone()
    m = make(True).double()
    x2, go2 = x.clone(), go.clone()
    y = m.forward(x2)
    assert y.storage() is x2.storage()
    np.testing.assert_allclose(x2.numpy(), out.numpy())
    np.testing.assert_allclose(m.backward(x2, go2).numpy(), gi.numpy())
    np.testing.assert_allclose(x2.numpy(), x.numpy())   # input restored


def test_sqrt_gradient_is_zero_at_zero():
    m = nn.Sqrt().double()
    x = lg.DoubleTensor([0.0, 4.0])
    m.forward(x)
    np.testing.assert_allclose(m.backward(x, lg.DoubleTensor([1.0, 1.0])).numpy(), [0.0, 0.25])


def test_bad_inputs():
    with pytest.raises(ValueError, match=r'AddConstant\(tensor\): expected a 1-D or 2-D input whose last dimension'):
        nn.AddConstant(lg.FloatTensor([1, 2])).forward(lg.FloatTensor(2, 3))
    with pytest.raises(TypeError, match='Exp: expected a floating-point tensor input'):
        nn.Exp().forward(lg.IntTensor([1]))
    for bad in (lambda: nn.Power('2'), lambda: nn.Clamp(1, 0), lambda: nn.MulConstant(2, 1),
                lambda: nn.MulConstant(0, True)):
        with pytest.raises(ValueError):
            bad()
