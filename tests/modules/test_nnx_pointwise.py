"""nnx's pointwise modules (clementfarabet/lua---nnx): Minus, SaturatedLU."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import standard_tests


def _saturated_loops(x, th, v, th2, v2, go):
    """nnx SaturatedLU.lua element by element in float64: the output's two masked fills in order, then the
    gradient zeroed where the input is below th or above th2."""
    out, gi = x.astype(np.float64).copy(), go.astype(np.float64).copy()
    for i in np.ndindex(x.shape):
        if out[i] < th:
            out[i] = v
        if out[i] > th2:
            out[i] = v2
        if x[i] < th or x[i] > th2:
            gi[i] = 0.0
    return out, gi


CASES = {
    'minus': (nn.Minus, (3, 4)),
    'minus-1d': (nn.Minus, (5,)),
    'saturated-default': (nn.SaturatedLU, (3, 4)),
    'saturated-custom': (lambda: nn.SaturatedLU(-0.5, 0.25, 0.75, 2.0), (2, 3, 4)),
}


def _build(name):
    make, shape = CASES[name]
    return make(), lg.randn(*shape)


# finite-difference Jacobians (the input Jacobian of a piecewise map away from its kinks), float/double, GPU
test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), _build)


def test_minus_negates():
    """nnx Minus.lua: output = -input, gradInput = -gradOutput."""
    x, g = lg.DoubleTensor(np.arange(-3.0, 3.0)), lg.DoubleTensor(np.linspace(-1, 1, 6))
    m = nn.Minus().double()
    np.testing.assert_array_equal(m.forward(x).numpy(), -np.arange(-3.0, 3.0))
    np.testing.assert_array_equal(m.backward(x, g).numpy(), -np.linspace(-1, 1, 6))


@pytest.mark.parametrize('args', [(), (-0.5, 0.25, 0.75, 2.0), (-1.0, 3.0, 1.0, -2.0), (0.0, -1.0, 0.5, 0.5)],
                         ids=['default', 'custom', 'low-value-above-th2', 'edges'])
def test_saturated_lu_matches_the_lua(args):
    """nnx SaturatedLU.lua: the two fills in order (a low value above th2 is refilled with v2), the gradient
    passing on [th, th2] (inputs on the bounds included), as the Lua loops compute."""
    rs = np.random.RandomState(0)
    x = np.round(rs.randn(4, 5) * 2, 1)
    x[0, :2] = (args or (-1.0, -1.0, 1.0, 1.0))[0], (args or (-1.0, -1.0, 1.0, 1.0))[2]
    go = rs.randn(4, 5)
    m = nn.SaturatedLU(*args).double()
    out, gi = _saturated_loops(x, *(args or (-1.0, -1.0, 1.0, 1.0)), go)
    np.testing.assert_array_equal(m.forward(lg.DoubleTensor(x)).numpy(), out)
    np.testing.assert_array_equal(m.backward(lg.DoubleTensor(x), lg.DoubleTensor(go)).numpy(), gi)


def test_bad_arguments_name_the_module():
    """SaturatedLU.lua refuses non-number bounds; legonn's error names the module; a gradOutput of another
    size names Minus."""
    with pytest.raises(TypeError, match='SaturatedLU: expected a number for th2'):
        nn.SaturatedLU(-1, -1, 'x')
    with pytest.raises(ValueError, match='Minus.*gradOutput of size'):
        nn.Minus().backward(lg.randn(2, 3), lg.randn(3, 2))
