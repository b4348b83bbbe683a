"""Add, Mul, CMul, CAdd: gradients, references, Torch7's broadcasting forms, errors."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_rejected, reference_test, sized_build, standard_tests

# (factory, input size, reference(module, x))
CASES = {
    'Add-single': (lambda: nn.Add(4), (4,), lambda m, x: x + m.bias.numpy()),
    'Add-batch': (lambda: nn.Add(6), (2, 3, 2), lambda m, x: x + m.bias.numpy().reshape(3, 2)),
    'Add-scalar': (lambda: nn.Add(5, True), (2, 3), lambda m, x: x + m.bias.numpy()[0]),
    'Mul': (lambda: nn.Mul(), (2, 3), lambda m, x: x * m.weight.numpy()[0]),
    'CMul-same': (lambda: nn.CMul(2, 3), (6,), lambda m, x: x * m.weight.numpy().reshape(6)),
    'CMul-expand': (lambda: nn.CMul(1, 3), (4, 3), lambda m, x: x * m.weight.numpy()),
    'CMul-batch': (lambda: nn.CMul(3), (2, 3), lambda m, x: x * m.weight.numpy()),
    'CAdd-expand': (lambda: nn.CAdd(2, 1), (2, 4), lambda m, x: x + m.bias.numpy()),
    'CAdd-batch': (lambda: nn.CAdd((2, 2)), (3, 2, 2), lambda m, x: x + m.bias.numpy()),
}
IDS = sorted(CASES)


def _input(size):
    return lg.DoubleTensor(np.random.default_rng(4).uniform(-2, 2, size))


_build = sized_build(CASES, _input)
test_jacobian, test_type_roundtrip, test_gpu = standard_tests(IDS, _build)
test_matches_numpy = reference_test(IDS, _build, lambda name, m, x: CASES[name][2](m, x.numpy()), rtol=1e-14)


def test_cmul_gradient_sums_over_batch_with_scale():
    m = nn.CMul(3).double()
    m.zeroGradParameters()
    x, go = _input((4, 3)), _input((4, 3)).mul(2)
    m.forward(x)
    m.backward(x, go, 0.25)
    np.testing.assert_allclose(m.gradWeight.numpy(), 0.25 * (x.numpy() * go.numpy()).sum(0))


def test_mismatched_input_names_module_and_keeps_gradients():
    m = nn.CMul(3)
    m.gradWeight.fill(1)
    assert_rejected(m, ValueError, r'CMul\(3\): expected an input of size \(3,\).*got input of size \(2, 4\)',
                    'backward', lg.FloatTensor(2, 4), lg.FloatTensor(2, 4))
    with pytest.raises(TypeError, match='Add'):
        nn.Add(3).forward(lg.DoubleTensor(3))
    with pytest.raises(ValueError):
        nn.CAdd(0, 2)
