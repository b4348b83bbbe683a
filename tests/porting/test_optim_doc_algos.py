"""torch/optim's doc/algos.md ("Optimization algorithms"), ported by docs/porting.md: one test per section,
asserting what the doc states of each method's arguments and returns that tests/optim (which checks the
trajectories against re-derivations) does not. Where the doc is stale the Lua source is asserted and cited:
sgd reads ``learningRates`` from ``config`` (sgd.lua line 37; the doc says ``state.learningRates``), rmsprop
starts ``m`` at ``config.initialMean`` and adds ``epsilon`` to its root (rmsprop.lua; the doc says epsilon
initialises m), and FistaLS runs ISTA unless ``doFistaUpdate`` is set (fista.lua line 48; the doc's default
is true)."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import optim

pytestmark = pytest.mark.usefixtures('double_default')


def quadratic(x):
    """f = |x|^2 / 2, df/dx = x (a fresh tensor: the methods may write into the gradient)."""
    return float(x.dot(x)) / 2, x.clone()


def rosenbrock(x):
    a = x.numpy()
    f = (1 - a[0]) ** 2 + 100 * (a[1] - a[0] ** 2) ** 2
    g = [-2 * (1 - a[0]) - 400 * a[0] * (a[1] - a[0] ** 2), 200 * (a[1] - a[0] ** 2)]
    return f, lg.Tensor(g)


def test_optim_sgd_options_and_return():
    """sgd: returns x* and {f(x) before the update}; weightDecays are per-parameter decays; learningRates
    per-parameter rates, read from config (sgd.lua line 37), so a separate state's field is not read."""
    x = lg.Tensor([1.0, 2.0])
    xs, fs = optim.sgd(quadratic, x, {'learningRate': 0.1, 'weightDecays': lg.Tensor([0, 1])})
    assert xs is x and fs == [2.5]
    np.testing.assert_allclose(x.numpy(), [1 - 0.1 * 1, 2 - 0.1 * (2 + 2)])
    x = lg.Tensor([1.0, 2.0])
    optim.sgd(quadratic, x, {'learningRate': 0.1, 'learningRates': lg.Tensor([0, 2])})
    np.testing.assert_allclose(x.numpy(), [1, 2 - 0.2 * 2])
    x = lg.Tensor([1.0, 2.0])
    optim.sgd(quadratic, x, {'learningRate': 0.1}, {'learningRates': lg.Tensor([0, 0])})
    np.testing.assert_allclose(x.numpy(), [0.9, 1.8])


def test_optim_asgd_formula_and_average():
    """asgd: ``x = (1 - lambda eta_t) x - eta_t df/dx``, ``a = a + mu_t (x - a)``, ``eta_t = eta0 / (1 +
    lambda eta0 t) ^ alpha`` (0.75 by default), ``mu_t = 1 / max(1, t - t0)``; returns x*, {f}, ax."""
    eta0, lam, t0, alpha = 0.1, 0.5, 1, 0.5
    config = {'eta0': eta0, 'lambda': lam, 't0': t0, 'alpha': alpha}
    x = lg.Tensor([1.0, -2.0])
    ref, avg, eta, mu = np.array([1.0, -2.0]), None, eta0, 1.0
    for t in range(1, 5):
        xs, fs, ax = optim.asgd(quadratic, x, config)
        assert fs == [0.5 * float(np.dot(ref, ref))]
        ref = (1 - lam * eta) * ref - eta * ref
        avg = ref.copy() if mu == 1 else avg + mu * (ref - avg)
        eta = eta0 / (1 + lam * eta0 * t) ** alpha
        mu = 1 / max(1, t - t0)
        np.testing.assert_allclose(x.numpy(), ref)
        np.testing.assert_allclose(ax.numpy(), avg)
    assert optim.asgd(quadratic, lg.Tensor([1.0]), {})[2] is not None


def test_optim_lbfgs_returns_and_fixed_steps():
    """lbfgs: f[1] is the value before any optimisation and f[#f] the final one, at x*; without a line search
    fixed steps of learningRate are taken."""
    x = lg.Tensor([0.0, 0.0])
    xs, fs, *_ = optim.lbfgs(rosenbrock, x, {'maxIter': 100, 'lineSearch': optim.lswolfe})
    assert fs[0] == 1.0
    np.testing.assert_allclose(x.numpy(), [1, 1], atol=1e-5)
    assert fs[-1] == pytest.approx(rosenbrock(x)[0], abs=1e-12) and fs[-1] < 1e-10
    x = lg.Tensor([3.0, -1.0])
    optim.lbfgs(quadratic, x, {'maxIter': 1, 'learningRate': 0.5})
    # the first L-BFGS step is the steepest descent direction, scaled by min(1, 1/|g|_1) * learningRate
    np.testing.assert_allclose(x.numpy(), np.array([3.0, -1.0]) * (1 - 0.5 / 4))


def test_optim_cg_rosenbrock_like_minimize_m():
    """cg: the doc's ``minimize([0, 0]', 'rosenbrock', -25)``: at most 25 evaluations from (0, 0); f[1] is
    f(0, 0) = 1 and the values fall to f[#f] at x*."""
    x = lg.Tensor([0.0, 0.0])
    calls = []

    def counted(x):
        calls.append(1)
        return rosenbrock(x)

    xs, fs, evals = optim.cg(counted, x, {'maxEval': 25})
    assert xs is x and fs[0] == 1.0 and len(calls) <= 25 and evals == len(calls)
    assert all(b <= a for a, b in zip(fs, fs[1:]))
    assert fs[-1] == pytest.approx(rosenbrock(x)[0]) and fs[-1] < 0.05


def test_optim_adadelta_adagrad_state_fields():
    """adadelta: state.paramVariance and state.accDelta (rho 0.9, eps 1e-6 by default); adagrad:
    state.paramVariance, the sum of squared gradients."""
    state = {}
    x = lg.Tensor([1.0, -2.0])
    optim.adadelta(quadratic, x, {}, state)
    np.testing.assert_allclose(state['paramVariance'].numpy(), 0.1 * np.array([1.0, 4.0]))
    delta = np.sqrt(1e-6) / np.sqrt(0.1 * np.array([1.0, 4.0]) + 1e-6) * np.array([1.0, -2.0])
    np.testing.assert_allclose(state['accDelta'].numpy(), 0.1 * delta ** 2)
    np.testing.assert_allclose(x.numpy(), np.array([1.0, -2.0]) - delta)
    state = {}
    x = lg.Tensor([1.0, -2.0])
    optim.adagrad(quadratic, x, {'learningRate': 0.1}, state)
    g2 = x.numpy() ** 2
    optim.adagrad(quadratic, x, {'learningRate': 0.1}, state)
    np.testing.assert_allclose(state['paramVariance'].numpy(), np.array([1.0, 4.0]) + g2)


def test_optim_adam_adamax_first_step():
    """adam and adamax: bias-corrected first steps of exactly learningRate (per coordinate) from zero moments."""
    x = lg.Tensor([1.0, -2.0])
    optim.adam(quadratic, x, {'learningRate': 0.01})
    np.testing.assert_allclose(x.numpy(), [0.99, -1.99], atol=1e-7)
    x = lg.Tensor([1.0, -2.0])
    optim.adamax(quadratic, x, {'learningRate': 0.01})
    np.testing.assert_allclose(x.numpy(), [0.99, -1.99], atol=1e-12)


def test_optim_nag_momentum_must_be_positive():
    """nag: momentum 0.9 by default; nag.lua refuses a momentum that is not positive."""
    x = lg.Tensor([1.0])
    state = {}
    optim.nag(quadratic, x, {'learningRate': 0.1}, state)
    optim.nag(quadratic, x, {'learningRate': 0.1}, state)
    # second call: x moves by 0.9 * v (v = -0.1), then the gradient step at the looked-ahead point
    look = 0.9 - 0.9 * 0.1
    np.testing.assert_allclose(x.numpy(), [look - 0.1 * look])
    with pytest.raises(Exception, match='[Mm]omentum'):
        optim.nag(quadratic, lg.Tensor([1.0]), {'momentum': 0})


def test_optim_rmsprop_state_and_epsilon():
    """rmsprop: state.m the leaky sum of squares (alpha 0.99), state.tmp its root plus epsilon; m starts at
    initialMean (0), not at epsilon."""
    state = {}
    x = lg.Tensor([1.0, -2.0])
    optim.rmsprop(quadratic, x, {'learningRate': 0.01, 'epsilon': 0.5}, state)
    m = 0.01 * np.array([1.0, 4.0])
    np.testing.assert_allclose(state['m'].numpy(), m)
    np.testing.assert_allclose(state['tmp'].numpy(), np.sqrt(m) + 0.5)
    np.testing.assert_allclose(x.numpy(), np.array([1.0, -2.0]) * (1 - 0.01 / (np.sqrt(m) + 0.5)))


def test_optim_rprop_defaults():
    """rprop: step sizes start at stepsize (0.1), grow by etaplus 1.2 while the gradient keeps its sign,
    shrink by etaminus 0.5 when it flips, within [1e-6, 50]; niter iterations return niter values."""
    state = {}
    x = lg.Tensor([1.0])
    xs, fs = optim.rprop(quadratic, x, {}, state)
    assert len(fs) == 1
    np.testing.assert_allclose(x.numpy(), [0.9])
    optim.rprop(quadratic, x, {}, state)
    np.testing.assert_allclose(x.numpy(), [0.9 - 0.12])
    x = lg.Tensor([0.05])
    state = {}
    xs, fs = optim.rprop(quadratic, x, {'niter': 3}, state)
    assert len(fs) == 3
    np.testing.assert_allclose(state['stepsize'].numpy(), [0.1 * 1.0 * 0.5 * 1.0])   # flip at the 2nd step
    x = lg.Tensor([1000.0])
    state = {}
    optim.rprop(quadratic, x, {'stepsize': 40, 'niter': 3}, state)
    assert float(state['stepsize'][0]) == 50


def test_optim_fista_params_written_back():
    """FistaLS(f, g, pl, xinit, params): params.L is the last L used; params.xkm, y, ply are kept for reuse;
    returns the solution and a history. Without doFistaUpdate it is ISTA (fista.lua line 48)."""
    target = lg.Tensor([3.0, -0.2, 0.05])
    lam = 0.5

    def f(x, mode=None):
        d = x - target
        fx = float(d.dot(d)) / 2
        return (fx, d) if mode == 'dx' else fx

    def g(x):
        return lam * float(x.abs().sum())

    def pl(x, L):
        a = x.numpy()
        x.copy(lg.Tensor(np.sign(a) * np.maximum(np.abs(a) - lam / L, 0)))

    params = {'maxiter': 200}
    sol, history = optim.FistaLS(f, g, pl, lg.Tensor(3).zero(), params)
    np.testing.assert_allclose(sol.numpy(), [2.5, 0, 0], atol=1e-3)
    assert params['L'] >= 0.1 and all(k in params for k in ('xkm', 'y', 'ply'))
    ista = {'maxiter': 3, 'errthres': 0}
    fista = {'maxiter': 3, 'errthres': 0, 'doFistaUpdate': True}
    a = optim.FistaLS(f, g, pl, lg.Tensor(3).zero(), ista)[0].numpy().copy()
    b = optim.FistaLS(f, g, pl, lg.Tensor(3).zero(), fista)[0].numpy().copy()
    assert not np.array_equal(a, b)


@pytest.mark.parametrize('popsize, expected', [(None, 4 + math.floor(3 * math.log(2))), (10, 10)])
def test_optim_cmaes_population_and_returns(popsize, expected):
    """cmaes: popsize defaults to ``4 + int(3 * log(|x|))``; f[1] is the value at the start; with no separate
    state, config is the state."""
    lg.manualSeed(5)
    calls = []

    def counted(x):
        calls.append(1)
        return rosenbrock(x)

    config = {'sigma': 0.5, 'maxEval': 120}
    if popsize is not None:
        config['popsize'] = popsize
    xs, fs, *_ = optim.cmaes(counted, lg.Tensor([0.0, 0.0]), config)
    assert fs[0] == 1.0 and fs[-1] < fs[0]
    assert (len(calls) - 1) % expected == 0 and len(calls) > 1
