"""checkgrad passes a correct gradient and finds a planted wrong one."""
import numpy as np
import pytest

import legonn as lg
from legonn import optim

from .problems import quadratic, rosenbrock


@pytest.mark.parametrize('opfunc,x0', [(rosenbrock, np.linspace(-0.5, 0.8, 10)), (quadratic()[0], np.ones(6))])
def test_correct_gradient_passes(opfunc, x0):
    x = lg.DoubleTensor(x0.copy())
    diff, dC, est = optim.checkgrad(opfunc, x)
    assert diff < 1e-7
    np.testing.assert_allclose(dC.array, opfunc(x0)[1])
    np.testing.assert_array_equal(x.array, x0)   # every perturbation put back exactly


def test_planted_error_is_found():
    def wrong(x):
        f, g = rosenbrock(x)
        g = g.copy()
        g[3] *= 1.01     # one component off by 1%
        return f, g
    x0 = np.linspace(-0.5, 0.8, 10)
    diff, dC, est = optim.checkgrad(wrong, x0.copy())
    assert diff > 1e-4
    bad = np.argmax(np.abs(dC.array - est.array))
    assert bad == 3


def test_reused_gradient_buffer_is_copied():
    buf = np.zeros(6)
    opfunc = quadratic()[0]

    def feval(x):
        f, g = opfunc(x)
        buf[...] = g
        return f, buf
    diff, dC, _ = optim.checkgrad(feval, np.ones(6), 1e-6)
    assert diff < 1e-7 and not np.shares_memory(dC.array, buf)
