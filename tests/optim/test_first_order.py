"""The first-order optimisers step by step against NumPy re-derivations of Torch7's rules (float64)."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import optim

from .problems import PROBLEMS

STEPS = 25


# --- independent re-derivations: (x, g, state, config) -> new x, state updated ---------------------------
def ref_sgd(x, g, st, c):
    lr, lrd, wd, mom = c.get('learningRate', 1e-3), c.get('learningRateDecay', 0), c.get('weightDecay', 0), \
        c.get('momentum', 0)
    damp = c.get('dampening', mom)
    n = st.get('evalCounter', 0)
    if wd:
        g = g + wd * x
    elif 'weightDecays' in c:
        g = g + c['weightDecays'] * x
    if mom:
        st['dfdx'] = g.copy() if 'dfdx' not in st else mom * st['dfdx'] + (1 - damp) * g
        g = g + mom * st['dfdx'] if c.get('nesterov') else st['dfdx']
    if 'learningRates' in c:
        g = c['learningRates'] * g
    st['evalCounter'] = n + 1
    return x - lr / (1 + n * lrd) * g


def ref_asgd(x, g, st, c):
    eta0, lam, alpha, t0 = c.get('eta0', 1e-4), c.get('lambda', 1e-4), c.get('alpha', 0.75), c.get('t0', 1e6)
    eta, mu, t = st.get('eta_t', eta0), st.get('mu_t', 1), st.get('t', 0)
    x = x * (1 - lam * eta) - eta * g
    st['ax'] = x.copy() if mu == 1 else st['ax'] + mu * (x - st['ax'])
    st['t'] = t + 1
    st['eta_t'] = eta0 / (1 + lam * eta0 * (t + 1)) ** alpha
    st['mu_t'] = 1 / max(1, t + 1 - t0)
    return x


def ref_nag(x, g_at, st, c):
    # nag evaluates at the look-ahead point: the caller passes a function, not a gradient
    lr, lrd, wd, mom = c.get('learningRate', 1e-3), c.get('learningRateDecay', 0), c.get('weightDecay', 0), \
        c.get('momentum', 0.9)
    n = st.get('evalCounter', 0)
    if 'dfdx' in st:
        x = x + mom * st['dfdx']
    g = g_at(x)
    if wd:
        g = g + wd * x
    v = np.zeros_like(x) if 'dfdx' not in st else mom * st['dfdx']
    if 'learningRates' in c:
        g = c['learningRates'] * g
    clr = lr / (1 + n * lrd)
    st['dfdx'] = v - clr * g
    st['evalCounter'] = n + 1
    return x - clr * g


def ref_adagrad(x, g, st, c):
    lr, lrd, wd = c.get('learningRate', 1e-3), c.get('learningRateDecay', 0), c.get('weightDecay', 0)
    n = st.get('evalCounter', 0)
    g = g + wd * x if wd else g
    st['paramVariance'] = st.get('paramVariance', 0) + g * g
    st['paramStd'] = np.sqrt(st['paramVariance']) + 1e-10
    st['evalCounter'] = n + 1
    return x - lr / (1 + n * lrd) * g / st['paramStd']


def ref_adadelta(x, g, st, c):
    rho, eps, wd = c.get('rho', 0.9), c.get('eps', 1e-6), c.get('weightDecay', 0)
    g = g + wd * x if wd else g
    st['paramVariance'] = rho * st.get('paramVariance', 0) + (1 - rho) * g * g
    st['paramStd'] = np.sqrt(st['paramVariance'] + eps)
    st['delta'] = np.sqrt(st.get('accDelta', np.zeros_like(x)) + eps) / st['paramStd'] * g
    st['accDelta'] = rho * st.get('accDelta', 0) + (1 - rho) * st['delta'] ** 2
    st['evalCounter'] = st.get('evalCounter', 0) + 1
    return x - st['delta']


def ref_adam(x, g, st, c):
    lr, lrd, b1, b2 = c.get('learningRate', 1e-3), c.get('learningRateDecay', 0), c.get('beta1', 0.9), \
        c.get('beta2', 0.999)
    eps, wd = c.get('epsilon', 1e-8), c.get('weightDecay', 0)
    g = g + wd * x if wd else g
    t = st.get('t', 0)
    clr = lr / (1 + t * lrd)
    t += 1
    st['t'] = t
    st['m'] = b1 * st.get('m', 0) + (1 - b1) * g
    st['v'] = b2 * st.get('v', 0) + (1 - b2) * g * g
    step = clr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return x - step * st['m'] / (np.sqrt(st['v']) + eps)


def ref_adamax(x, g, st, c):
    lr, b1, b2 = c.get('learningRate', 0.002), c.get('beta1', 0.9), c.get('beta2', 0.999)
    eps, wd = c.get('epsilon', 1e-38), c.get('weightDecay', 0)
    g = g + wd * x if wd else g
    st['t'] = st.get('t', 0) + 1
    st['m'] = b1 * st.get('m', 0) + (1 - b1) * g
    st['u'] = np.maximum(b2 * st.get('u', np.zeros_like(x)), np.abs(g) + eps)
    return x - lr / (1 - b1 ** st['t']) * st['m'] / st['u']


def ref_rmsprop(x, g, st, c):
    lr, alpha, eps, wd = c.get('learningRate', 1e-2), c.get('alpha', 0.99), c.get('epsilon', 1e-8), \
        c.get('weightDecay', 0)
    g = g + wd * x if wd else g
    m0 = st['m'] if 'm' in st else np.full_like(x, c.get('initialMean', 0))
    st['m'] = alpha * m0 + (1 - alpha) * g * g
    st['tmp'] = np.sqrt(st['m']) + eps
    return x - lr * g / st['tmp']


def ref_rprop(x, g, st, c):
    if 'delta' not in st:
        st['delta'] = np.zeros_like(x)
        st['stepsize'] = np.full_like(x, c.get('stepsize', 0.1))
    s = np.sign(g * st['delta'])
    factor = np.where(s > 0, c.get('etaplus', 1.2), np.where(s < 0, c.get('etaminus', 0.5), 1.0))
    st['stepsize'] = np.clip(st['stepsize'] * factor, c.get('stepsizemin', 1e-6), c.get('stepsizemax', 50.0))
    g = np.where(s < 0, 0.0, g)
    st['delta'] = g
    return x - np.sign(g) * st['stepsize']


CASES = [
    ('sgd', ref_sgd, {'learningRate': 1e-3}),
    ('sgd', ref_sgd, {'learningRate': 1e-3, 'learningRateDecay': 0.05, 'weightDecay': 0.01, 'momentum': 0.8}),
    ('sgd', ref_sgd, {'learningRate': 5e-4, 'momentum': 0.9, 'dampening': 0, 'nesterov': True}),
    ('sgd', ref_sgd, {'learningRate': 1e-3, 'momentum': 0.5, 'dampening': 0.2, 'learningRates': 'ramp',
                      'weightDecays': 'ramp'}),
    ('asgd', ref_asgd, {'eta0': 1e-3, 'lambda': 1e-2, 't0': 5}),
    ('nag', ref_nag, {'learningRate': 5e-4}),
    ('nag', ref_nag, {'learningRate': 5e-4, 'momentum': 0.7, 'weightDecay': 0.01, 'learningRateDecay': 0.1,
                      'learningRates': 'ramp'}),
    ('adagrad', ref_adagrad, {'learningRate': 0.05}),
    ('adagrad', ref_adagrad, {'learningRate': 0.05, 'learningRateDecay': 0.01, 'weightDecay': 0.01}),
    ('adadelta', ref_adadelta, {}),
    ('adadelta', ref_adadelta, {'rho': 0.5, 'eps': 1e-3, 'weightDecay': 0.1}),
    ('adam', ref_adam, {'learningRate': 0.01}),
    ('adam', ref_adam, {'learningRate': 0.01, 'learningRateDecay': 0.01, 'beta1': 0.5, 'beta2': 0.9,
                        'epsilon': 1e-4, 'weightDecay': 0.01}),
    ('adamax', ref_adamax, {}),
    ('adamax', ref_adamax, {'learningRate': 0.01, 'beta1': 0.8, 'weightDecay': 0.01}),
    ('rmsprop', ref_rmsprop, {'learningRate': 1e-3}),
    ('rmsprop', ref_rmsprop, {'learningRate': 1e-3, 'alpha': 0.9, 'initialMean': 1.0, 'weightDecay': 0.01}),
    ('rprop', ref_rprop, {}),
    ('rprop', ref_rprop, {'stepsize': 0.01, 'etaplus': 1.5, 'etaminus': 0.3, 'stepsizemax': 0.2,
                          'stepsizemin': 1e-3}),
]

STATE_KEYS = {'sgd': {'evalCounter'}, 'asgd': {'eta_t', 'mu_t', 't', 'ax'}, 'nag': {'evalCounter', 'dfdx'},
              'adagrad': {'evalCounter', 'paramVariance', 'paramStd'},
              'adadelta': {'evalCounter', 'paramVariance', 'paramStd', 'delta', 'accDelta'},
              'adam': {'t', 'm', 'v'}, 'adamax': {'t', 'm', 'u'}, 'rmsprop': {'m', 'tmp'},
              'rprop': {'delta', 'stepsize', 'sign'}}


def _config(cfg, n):
    ramp = np.linspace(0.5, 1.5, n)
    return {k: (ramp.copy() if v == 'ramp' else v) for k, v in cfg.items()}


@pytest.mark.parametrize('problem', PROBLEMS, ids=[p[0] for p in PROBLEMS])
@pytest.mark.parametrize('name,ref,cfg', CASES, ids=[f'{c[0]}-{i}' for i, c in enumerate(CASES)])
def test_trajectory_matches_reference(name, ref, cfg, problem):
    _, opfunc, x0 = problem
    x = lg.DoubleTensor(x0.copy())
    storage = x.storage()
    config = _config(cfg, x0.size)
    ref_config = _config(cfg, x0.size)
    ref_x, ref_state = x0.copy(), {}
    step = getattr(optim, name)
    for k in range(STEPS):
        f_expected = opfunc(ref_x)[0] if name != 'nag' or k == 0 else None
        if name == 'nag':
            ref_x = ref(ref_x, lambda p: opfunc(p)[1], ref_state, ref_config)
        else:
            ref_x = ref(ref_x, opfunc(ref_x)[1], ref_state, ref_config)
        out = step(opfunc, x, config)
        assert out[0] is x and x.storage() is storage            # updated in place, same tensor
        if f_expected is not None:
            assert out[1][0] == pytest.approx(f_expected, rel=1e-12)
        np.testing.assert_allclose(x.array, ref_x, rtol=1e-10, atol=1e-13, err_msg=f'step {k}')
    # state defaults to config and holds Torch7's keys, with the reference's values
    assert STATE_KEYS[name] <= set(config)
    for key, value in ref_state.items():
        got = config[key]
        got = got.array if hasattr(got, 'array') else got
        np.testing.assert_allclose(got, value, rtol=1e-10, atol=1e-13, err_msg=key)
    assert not np.allclose(x.array, x0)


def test_separate_state_leaves_config_untouched():
    _, opfunc, x0 = PROBLEMS[0]
    config, state = {'learningRate': 0.01, 'momentum': 0.9}, {}
    x = lg.DoubleTensor(x0.copy())
    for _ in range(3):
        optim.sgd(opfunc, x, config, state)
    assert config == {'learningRate': 0.01, 'momentum': 0.9}
    assert state['evalCounter'] == 3 and isinstance(state['dfdx'], lg.DoubleTensor)


def test_numpy_array_is_updated_without_copy():
    _, opfunc, x0 = PROBLEMS[2]
    x = x0.copy()
    out, fs = optim.adam(opfunc, x, {'learningRate': 0.1})
    assert np.shares_memory(out.array, x)
    assert not np.allclose(x, x0) and isinstance(fs, list) and len(fs) == 1


def test_asgd_returns_average_and_writes_defaults():
    _, opfunc, x0 = PROBLEMS[2]
    config = {}
    x, fs, ax = optim.asgd(opfunc, x0.copy(), config)
    assert config['eta0'] == 1e-4 and config['t0'] == 1e6
    np.testing.assert_array_equal(ax.array, x.array)


def test_rprop_niter_returns_each_loss():
    _, opfunc, x0 = PROBLEMS[2]
    x, fs = optim.rprop(opfunc, x0.copy(), {'niter': 4})
    assert len(fs) == 4 and fs[-1] < fs[0]


def test_rprop_leaves_an_element_with_a_nan_gradient_in_place():
    """rprop.lua moves x by torch.sign(dfdx) * stepsize, and TH's sign (lib/TH/generic/THTensorMath.c:1825-1828,
    ``> 0`` gives 1, ``< 0`` gives -1, else 0) is 0 for NaN: an element whose gradient is NaN keeps its value
    and its step size (its sign product with the stored NaN is NaN, 0 again), the others step as usual."""
    def opfunc(x):
        a = x.array
        return float(a @ a), np.array([2 * a[0], np.nan, 2 * a[2]])
    x, config = lg.DoubleTensor(np.array([1.0, -2.0, 3.0])), {'stepsize': 0.1}
    for _ in range(3):
        optim.rprop(opfunc, x, config)
    # elements 0 and 2 keep their gradient's sign: steps 0.1 (no previous gradient), 0.12, 0.144
    np.testing.assert_allclose(x.array, [1 - 0.364, -2.0, 3 - 0.364], rtol=1e-12)
    np.testing.assert_allclose(config['stepsize'].array, [0.144, 0.1, 0.144], rtol=1e-12)
    np.testing.assert_array_equal(config['sign'].array, [1, 0, 1])


def test_rprop_stepsizemin_above_stepsizemax_wins():
    """rprop.lua:80-84 sets the step sizes above stepsizemax to it, then those below stepsizemin to that: with
    stepsizemin above stepsizemax every step size ends at stepsizemin (a clip to [min, max] gives max)."""
    def opfunc(x):
        return float(x.array @ x.array), 2 * x.array
    x = lg.DoubleTensor(np.array([1.0, -1.0]))
    config = {'stepsize': 0.1, 'stepsizemin': 0.3, 'stepsizemax': 0.2}
    optim.rprop(opfunc, x, config)
    np.testing.assert_array_equal(config['stepsize'].array, [0.3, 0.3])
    np.testing.assert_allclose(x.array, [0.7, -0.7], rtol=1e-15)


def test_sgd_float32_matches_float64_closely():
    _, opfunc, x0 = PROBLEMS[2]
    x32, x64 = lg.FloatTensor(x0), lg.DoubleTensor(x0)
    c32, c64 = {'learningRate': 0.05, 'momentum': 0.9}, {'learningRate': 0.05, 'momentum': 0.9}

    def op32(x):
        f, g = opfunc(x.array.astype(np.float64))
        return f, g.astype(np.float32)
    for _ in range(10):
        optim.sgd(op32, x32, c32)
        optim.sgd(opfunc, x64, c64)
    assert x32.dtype == np.float32
    np.testing.assert_allclose(x32.array, x64.array, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('name,ref,cfg', CASES, ids=[f'{c[0]}-{i}' for i, c in enumerate(CASES)])
def test_a_parameter_matrix_steps_as_its_flat_vector(name, ref, cfg):
    """Torch7's optimisers take any tensor shape (sgd's ``x:add(-clr, dfdx)``), not only getParameters()'s
    flat vector: a (2, 3) parameter follows the trajectory of its six elements."""
    _, opfunc, x0 = PROBLEMS[2]
    flat, matrix = lg.DoubleTensor(x0.copy()), lg.DoubleTensor(x0.reshape(2, 3).copy())

    def op_matrix(x):
        f, g = opfunc(x.array.reshape(-1))
        return f, g.reshape(2, 3)
    c_flat, c_matrix = _config(cfg, x0.size), _config(cfg, x0.size)
    c_matrix = {k: (v.reshape(2, 3) if isinstance(v, np.ndarray) else v) for k, v in c_matrix.items()}
    for _ in range(STEPS):
        f_flat = getattr(optim, name)(opfunc, flat, c_flat)[1]   # asgd returns its average third
        f_matrix = getattr(optim, name)(op_matrix, matrix, c_matrix)[1]
        assert f_matrix == pytest.approx(f_flat, rel=1e-12)
    assert matrix.size() == (2, 3)
    np.testing.assert_allclose(matrix.array.reshape(-1), flat.array, rtol=1e-12, atol=1e-14)


# --- TH's rounding order: addcmul is r + (v * t1) * t2, addcdiv is r + (v * t1) / t2 --------------------
def _th_addcmul(r, v, t1, t2):
    r += (v * t1) * t2


def _th_addcdiv(r, v, t1, t2):
    r += (v * t1) / t2


def _th_adagrad(x, g, st, lr, lrd):
    n = st.setdefault('n', 0)
    var = st.setdefault('var', np.zeros_like(x))
    _th_addcmul(var, 1, g, g)
    _th_addcdiv(x, -(lr / (1 + n * lrd)), g, np.sqrt(var) + 1e-10)
    st['n'] = n + 1


def _th_adam(x, g, st, lr, lrd, b1=0.8, b2=0.9, eps=1e-6):
    t = st.setdefault('t', 0)
    m, v = st.setdefault('m', np.zeros_like(x)), st.setdefault('v', np.zeros_like(x))
    clr = lr / (1 + t * lrd)
    st['t'] = t = t + 1
    m *= b1
    m += (1 - b1) * g
    v *= b2
    _th_addcmul(v, 1 - b2, g, g)
    _th_addcdiv(x, -(clr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)), m, np.sqrt(v) + eps)


def _th_adamax(x, g, st, lr, lrd, b1=0.8, b2=0.9, eps=1e-6):
    t = st['t'] = st.get('t', 0) + 1
    m, u = st.setdefault('m', np.zeros_like(x)), st.setdefault('u', np.zeros_like(x))
    m *= b1
    m += (1 - b1) * g
    u[...] = np.maximum(u * b2, np.abs(g) + eps)
    _th_addcdiv(x, -(lr / (1 - b1 ** t)), m, u)


def _th_rmsprop(x, g, st, lr, lrd, alpha=0.9, eps=1e-6):
    m = st.setdefault('m', np.zeros_like(x))
    m *= alpha
    _th_addcmul(m, 1.0 - alpha, g, g)
    _th_addcdiv(x, -lr, g, np.sqrt(m) + eps)


def _th_adadelta(x, g, st, lr, lrd, rho=0.8, eps=1e-4):
    var, acc = st.setdefault('var', np.zeros_like(x)), st.setdefault('acc', np.zeros_like(x))
    var *= rho
    _th_addcmul(var, 1 - rho, g, g)
    delta = np.sqrt(acc + eps) / np.sqrt(var + eps) * g
    x -= delta
    acc *= rho
    _th_addcmul(acc, 1 - rho, delta, delta)


TH_ORDER = [('adagrad', _th_adagrad, {'learningRate': 0.1, 'learningRateDecay': 0.01}),
            ('adam', _th_adam, {'learningRate': 0.05, 'learningRateDecay': 0.01, 'beta1': 0.8, 'beta2': 0.9,
                                'epsilon': 1e-6}),
            ('adamax', _th_adamax, {'learningRate': 0.05, 'beta1': 0.8, 'beta2': 0.9, 'epsilon': 1e-6}),
            ('rmsprop', _th_rmsprop, {'learningRate': 0.003, 'alpha': 0.9, 'epsilon': 1e-6}),
            ('adadelta', _th_adadelta, {'rho': 0.8, 'eps': 1e-4})]


@pytest.mark.parametrize('problem', PROBLEMS[1:], ids=[p[0] for p in PROBLEMS[1:]])
@pytest.mark.parametrize('name,ref,cfg', TH_ORDER, ids=[c[0] for c in TH_ORDER])
def test_addcmul_addcdiv_steps_round_as_torch7(name, ref, cfg, problem):
    """torch/optim's adagrad.lua, adam.lua, adamax.lua, rmsprop.lua and adadelta.lua update through
    ``addcmul``/``addcdiv``, which TH (lib/TH/generic/THTensorMath.c) rounds as ``r + (value * t1) * t2`` and
    ``r + (value * t1) / t2``: the trajectories (float64, DoubleTensor) equal that order bit for bit, where
    dividing first and scaling after drifts by tens of ulps within a few steps."""
    _, opfunc, x0 = problem
    x, ref_x, st, config = lg.DoubleTensor(x0.copy()), x0.copy(), {}, dict(cfg)
    for k in range(20):
        ref(ref_x, opfunc(ref_x)[1], st, cfg.get('learningRate', 0), cfg.get('learningRateDecay', 0))
        getattr(optim, name)(opfunc, x, config)
        np.testing.assert_array_equal(x.array, ref_x, err_msg=f'{name} step {k}')


@pytest.mark.parametrize('name,notice', [('adagrad', 'no state table, ADAGRAD initializing'),
                                         ('adadelta', 'no state table, ADADELTA initializing'),
                                         ('rprop', 'no state table RPROP initializing')])
def test_call_without_state_table_prints_torch7_notice(name, notice, capsys):
    """torch/optim adagrad.lua, adadelta.lua and rprop.lua print a notice when called with neither config nor
    state (each call then starts from a fresh state); with a table they stay silent."""
    _, opfunc, x0 = PROBLEMS[2]
    getattr(optim, name)(opfunc, x0.copy())
    assert capsys.readouterr().out == notice + '\n'
    getattr(optim, name)(opfunc, x0.copy(), {})
    assert capsys.readouterr().out == ''
