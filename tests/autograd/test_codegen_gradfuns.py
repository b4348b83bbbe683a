"""Every gradient case of tests/autograd/test_gradfuns.py in the optimized mode: the gradients and the answer of
the trace (first call) and of the generated code (the next two calls, on new inputs of the same sizes) equal the
direct runtime's in float64."""
import pytest

import legonn as lg
from legonn import autograd
from tests.autograd.test_codegen import assert_same
from tests.autograd.test_gradfuns import CASES, METHOD_CASES, OPERATOR_CASES, UTIL_CASES

ALL = ([(c[0], c[2], c[3]) for c in CASES] + [('util_' + c[0], c[2], c[3]) for c in UTIL_CASES] +
       [('op_' + c[0], c[1], c[2]) for c in OPERATOR_CASES] + [('method_' + c[0], c[1], c[2]) for c in METHOD_CASES])


@pytest.fixture(autouse=True)
def double():
    lg.setdefaulttensortype('torch.DoubleTensor')


@pytest.mark.parametrize('case', ALL, ids=[c[0] for c in ALL])
def test_optimized_gradient_equals_direct(case):
    _, make, loss = case
    direct = autograd(loss, optimize=False)
    optimized = autograd(loss, optimize=True)
    for _ in range(3):
        params = make()
        assert_same(optimized(params), direct(params), tol=1e-10)
