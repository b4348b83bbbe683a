"""Every gradient case of tests/autograd/test_gradfuns.py in the optimized mode: the gradients and the answer of
the trace (first call) and of the generated code (the next two calls, on new inputs of the same sizes) equal the
direct runtime's in float64."""
import pytest

import legonn as lg
from legonn import autograd
from legonn.autograd import support
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


REDUCTIONS = {'sum': lambda x, d: lg.sum(x, d), 'mean': lambda x, d: lg.mean(x, d),
              'max': lambda x, d: lg.max(x, d)[0], 'min': lambda x, d: x.min(d)[0]}


@pytest.mark.parametrize('name', sorted(REDUCTIONS))
@pytest.mark.parametrize('dim', [0, 1, -1])
def test_reduction_along_a_number_argument_dimension(name, dim):
    """The dimension of a reduction given as ``df``'s number argument, which the optimized mode traces: its
    gradient reads the dimension's value (the Lua's ``getValue(axis)``), in the trace and in the generated code
    (the same dimension on new inputs: a number argument is read once per signature, docs/autograd.md)."""
    reduce = REDUCTIONS[name]

    def loss(x, d):
        # weights in the answer's shape, so that a gradient in the wrong places fails
        y = reduce(x, d)
        w = lg.view(lg.range(1, support.nElement(y)), support.size(y))
        return lg.sum(lg.cmul(y, w))

    direct = autograd(loss, optimize=False)
    optimized = autograd(loss, optimize=True)
    for _ in range(3):
        x = lg.randn(3, 4)
        assert_same(optimized(x, dim), direct(x, dim), tol=1e-10)
