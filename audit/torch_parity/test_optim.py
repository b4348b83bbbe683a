"""legonn.optim against torch.optim (PyTorch, CPU, float64): the same gradients fed to both, step by step.

Torch7's Lua (github.com/torch/optim) is the contract; torch.optim descends from it. Where the two agree the
iterates and the state each keeps must match to rounding; where PyTorch changed the maths or a default, the
test asserts that the difference is exactly the documented one (usually by showing that PyTorch reproduces
Torch7 once the difference is compensated, and does not without the compensation).

Built from torch's pieces: learningRateDecay (a per-step learning rate), per-element learningRates and
weightDecays (one parameter group per element), optim.nag (SGD(nesterov=True) at the look-ahead point).
Not compared, having no torch counterpart: optim.cg, fista, cmaes, de, checkgrad, and nag with a decaying
learning rate (tests/optim checks those against NumPy re-derivations of their Lua, cmaes and de by convergence).
"""
import math

import numpy as np
import pytest

torch = pytest.importorskip('torch')

import legonn as lg  # noqa: E402
from legonn import optim  # noqa: E402

RTOL, ATOL = 1e-10, 1e-13
STEPS = 15


@pytest.fixture(autouse=True)
def _float64_scalars():
    """torch.optim keeps scalar state (ASGD's eta and mu, step counters) in the default dtype: float64 here."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


# --- the problem: a convex quadratic whose gradient carries a seeded per-evaluation noise ------------------
class Problem:
    """``f(x) = 0.5 x'Ax - b'x + noise_k'x`` at the k-th evaluation: the gradient depends on x (nag's look-ahead
    and lbfgs see it) and changes sign from step to step (rprop's branches), identically for both libraries."""

    def __init__(self, n, noise=0.3, seed=0):
        rng = np.random.RandomState(seed)
        m = rng.randn(n, n)
        self.A = m @ m.T / n + np.eye(n)
        self.b = rng.randn(n)
        self.noise = noise * rng.randn(200, n)
        self.x0 = rng.randn(n)

    def without_gradient_at_0(self):
        """The problem with coordinate 0 out of it: that gradient is exactly 0 at every evaluation."""
        self.A[0, :] = self.A[:, 0] = 0
        self.b[0] = 0
        self.noise[:, 0] = 0
        return self

    def __call__(self, a, k):
        a = a.ravel()
        g = self.A @ a - self.b + self.noise[k % len(self.noise)]
        return float(0.5 * a @ self.A @ a - self.b @ a + self.noise[k % len(self.noise)] @ a), g


def rosenbrock(a, k=0):
    a = a.ravel()
    f = float(np.sum(100 * (a[1:] - a[:-1] ** 2) ** 2 + (1 - a[:-1]) ** 2))
    g = np.zeros_like(a)
    g[:-1] = -400 * a[:-1] * (a[1:] - a[:-1] ** 2) - 2 * (1 - a[:-1])
    g[1:] += 200 * (a[1:] - a[:-1] ** 2)
    return f, g


def legonn_x(x0, layout):
    """x0 as the legonn tensor the optimiser updates: 'flat' (contiguous 1-D) or 'strided' (a view with stride 2)."""
    if layout == 'flat':
        return lg.from_numpy(x0.copy())
    x = lg.from_numpy(np.empty((x0.size, 2))).select(1, 0)   # every other element of a buffer
    x.array[...] = x0
    assert x.stride() == (2,)
    return x


def run_legonn(name, problem, config, steps, layout='flat', state=None):
    """``steps`` calls of optim.<name>; returns (x after each call, losses returned, state)."""
    x = legonn_x(problem.x0, layout)
    counter = [0]

    def opfunc(t):
        f, g = problem(np.asarray(t.array), counter[0])
        counter[0] += 1
        return f, g.reshape(t.array.shape)
    state = {} if state is None else state
    xs, fs = [], []
    for _ in range(steps):
        out = getattr(optim, name)(opfunc, x, config, state)
        xs.append(np.array(x.array).ravel())
        fs.extend(out[1])
    return xs, fs, state


def run_torch(make, problem, steps, per_element=False, schedule=None):
    """``steps`` torch.optim steps from problem.x0; ``make(params)`` builds the optimiser (``params``: one
    tensor, or with ``per_element`` one parameter group per element so per-element rates can be set);
    ``schedule(opt, k)`` may edit the groups before step k. Returns (x after each step, optimiser, params)."""
    x0 = problem.x0
    if per_element:
        params = [torch.tensor(x0[i:i + 1], requires_grad=True) for i in range(x0.size)]
    else:
        params = [torch.tensor(x0.copy(), requires_grad=True)]
    opt = make(params)
    counter = [0]

    def closure():
        a = torch.cat([p.detach() for p in params]).numpy()
        f, g = problem(a, counter[0])
        counter[0] += 1
        for i, p in enumerate(params):
            p.grad = torch.from_numpy(g[i:i + 1].copy() if per_element else g.copy())
        return torch.tensor(f)
    xs = []
    for k in range(steps):
        if schedule is not None:
            schedule(opt, k)
        opt.step(closure)
        xs.append(torch.cat([p.detach() for p in params]).numpy().copy())
    return xs, opt, params


def optimiser(cls, **kw):
    """``make`` for run_torch: torch.optim's ``cls`` with ``kw``, on its single-tensor (for-loop) code path."""
    return lambda params: cls(params, foreach=False, **kw)


def torch_state(opt, params, key):
    """torch.optim's state ``key`` over all parameters, as one flat array."""
    return np.concatenate([np.atleast_1d(opt.state[p][key].detach().numpy()).ravel() for p in params])


def lg_state(state, key):
    v = state[key]
    return np.asarray(v.array if hasattr(v, 'array') else v, dtype=np.float64).ravel()


def assert_paths(got, want, what='', rtol=RTOL, atol=ATOL):
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f'{what} step {k}')


def assert_paths_differ(got, want, at_least=1e-6):
    """The two trajectories part by more than ``at_least`` (relative): a documented difference shows."""
    gap = max(float(np.max(np.abs(a - b) / (np.abs(b) + 1e-12))) for a, b in zip(got, want, strict=True))
    assert gap > at_least, gap


SIZES = [1, 7, 12]


def _problem(n):
    return Problem(n, seed=n)


# --- sgd -----------------------------------------------------------------------------------------------------
SGD_CASES = [
    # (legonn config, torch.optim.SGD kwargs): Torch7's dampening defaults to the momentum (sgd.lua:35)
    ({'learningRate': 0.05}, {'lr': 0.05}),
    ({'learningRate': 0.05, 'momentum': 0.9}, {'lr': 0.05, 'momentum': 0.9, 'dampening': 0.9}),
    ({'learningRate': 0.05, 'momentum': 0.9, 'dampening': 0.3, 'weightDecay': 0.1},
     {'lr': 0.05, 'momentum': 0.9, 'dampening': 0.3, 'weight_decay': 0.1}),
    ({'learningRate': 0.05, 'momentum': 0.8, 'dampening': 0, 'nesterov': True, 'weightDecay': 0.01},
     {'lr': 0.05, 'momentum': 0.8, 'dampening': 0, 'nesterov': True, 'weight_decay': 0.01}),
    ({'learningRate': 0.05, 'momentum': 0.5, 'weightDecay': 0, 'learningRateDecay': 0.3},
     {'lr': 0.05, 'momentum': 0.5, 'dampening': 0.5}),
]


def _lr_decay(lr, lrd):
    """Torch7's annealing clr = lr / (1 + nevals * lrd) (sgd.lua:72, adam.lua:54) as a per-step torch schedule."""
    def schedule(opt, k):
        for group in opt.param_groups:
            group['lr'] = lr / (1 + k * lrd)
    return schedule


@pytest.mark.parametrize('n', SIZES)
@pytest.mark.parametrize('layout', ['flat', 'strided'])
@pytest.mark.parametrize('case', range(len(SGD_CASES)))
def test_sgd(case, layout, n):
    cfg, kw = SGD_CASES[case]
    p = _problem(n)
    xs, _, st = run_legonn('sgd', p, dict(cfg), STEPS, layout)
    sched = _lr_decay(cfg['learningRate'], cfg.get('learningRateDecay', 0))
    txs, opt, params = run_torch(optimiser(torch.optim.SGD, **kw), p, STEPS, schedule=sched)
    assert_paths(xs, txs)
    assert st['evalCounter'] == STEPS
    if cfg.get('momentum'):
        np.testing.assert_allclose(lg_state(st, 'dfdx'), torch_state(opt, params, 'momentum_buffer'), rtol=RTOL)


@pytest.mark.parametrize('momentum,nesterov', [(0, False), (0.6, False), (0.6, True)],
                         ids=['plain', 'momentum', 'nesterov'])
@pytest.mark.parametrize('layout', ['flat', 'strided'])
def test_sgd_per_element_rates_and_decays(layout, momentum, nesterov):
    """learningRates and weightDecays (sgd.lua:47-55, 75-80) as one torch parameter group per element."""
    p = _problem(7)
    lrs, wds = np.linspace(0.5, 1.5, 7), np.linspace(0.0, 0.3, 7)
    damp = 0 if nesterov else 0.6
    cfg = {'learningRate': 0.04, 'learningRateDecay': 0.1, 'momentum': momentum, 'dampening': damp,
           'nesterov': nesterov, 'learningRates': lrs, 'weightDecays': wds}
    xs, _, st = run_legonn('sgd', p, cfg, STEPS, layout)

    def make(ps):
        return torch.optim.SGD([{'params': [q], 'weight_decay': wds[i], 'base': lrs[i]} for i, q in enumerate(ps)],
                               lr=0.04, momentum=momentum, dampening=damp, nesterov=nesterov, foreach=False)

    def schedule(opt, k):
        for group in opt.param_groups:
            group['lr'] = 0.04 / (1 + k * 0.1) * group['base']
    txs, opt, params = run_torch(make, p, STEPS, per_element=True, schedule=schedule)
    assert_paths(xs, txs)
    if momentum:
        np.testing.assert_allclose(lg_state(st, 'dfdx'), torch_state(opt, params, 'momentum_buffer'), rtol=RTOL)
    np.testing.assert_allclose(lg_state(st, 'decayParameters'), wds * xs[-2], rtol=RTOL)


def test_sgd_weight_decay_hides_weight_decays():
    """sgd.lua:47-55: weightDecays is read only when weightDecay is 0, so a config holding both steps as torch
    with the scalar weight_decay alone."""
    p = _problem(7)
    cfg = {'learningRate': 0.05, 'weightDecay': 0.2, 'weightDecays': np.linspace(0, 1, 7)}
    xs, _, _ = run_legonn('sgd', p, cfg, STEPS)
    txs, _, _ = run_torch(optimiser(torch.optim.SGD, lr=0.05, weight_decay=0.2), p, STEPS)
    assert_paths(xs, txs)


def test_sgd_default_dampening_is_torch7s():
    """Expected difference. Torch7: ``damp = config.dampening or mom`` (sgd.lua:35), so momentum 0.9 alone
    averages 0.1 g into the buffer; torch.optim.SGD's dampening defaults to 0 (the whole g). legonn follows
    Torch7: it matches torch with dampening=momentum and parts from torch's default."""
    p = _problem(7)
    xs, _, _ = run_legonn('sgd', p, {'learningRate': 0.05, 'momentum': 0.9}, STEPS)
    default, _, _ = run_torch(optimiser(torch.optim.SGD, lr=0.05, momentum=0.9), p, STEPS)
    damped, _, _ = run_torch(optimiser(torch.optim.SGD, lr=0.05, momentum=0.9, dampening=0.9), p, STEPS)
    assert_paths(xs, damped)
    np.testing.assert_allclose(xs[0], default[0], rtol=RTOL)   # the first step copies g in both (sgd.lua:60)
    assert_paths_differ(xs[1:], default[1:], at_least=1e-3)


# --- nag: Torch7's optim.nag against torch's SGD(nesterov=True) by a change of variables -------------------
@pytest.mark.parametrize('n', SIZES)
@pytest.mark.parametrize('layout', ['flat', 'strided'])
@pytest.mark.parametrize('cfg', [{'learningRate': 0.05}, {'learningRate': 0.03, 'momentum': 0.7, 'weightDecay': 0.1},
                                 {'learningRate': 0.03, 'momentum': 0.5, 'learningRates': 'ramp'}])
def test_nag_is_torch_nesterov_at_the_look_ahead_point(cfg, layout, n):
    """nag.lua keeps x_k and v (``state.dfdx``), evaluates g at y = x_k + mom v, then v <- mom v - clr g and
    x <- y - clr g. torch's SGD(nesterov=True, dampening=0) steps p <- p - lr (g(p) + mom buf) with
    buf <- mom buf + g(p): the same sequence with p = the look-ahead point x + mom v and buf = -v / lr (constant
    learning rates; weightDecay is taken at the look-ahead point in both, nag.lua:54-56). Per-element learning
    rates (nag.lua:69-79) become one torch parameter group per element."""
    p = _problem(n)
    mom = cfg.get('momentum', 0.9)
    lrs = np.linspace(0.5, 1.5, n) if cfg.get('learningRates') == 'ramp' else np.ones(n)
    config = dict(cfg, learningRates=lrs) if 'learningRates' in cfg else dict(cfg)
    xs, fs, st = run_legonn('nag', p, config, STEPS, layout)
    lr = cfg['learningRate']

    def make(ps):
        return torch.optim.SGD([{'params': [q], 'lr': lr * lrs[i]} for i, q in enumerate(ps)], lr=lr, momentum=mom,
                               dampening=0, nesterov=True, weight_decay=cfg.get('weightDecay', 0), foreach=False)
    txs, opt, params = run_torch(make, p, STEPS, per_element=True)
    v = lg_state(st, 'dfdx')
    np.testing.assert_allclose(xs[-1] + mom * v, txs[-1], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(v, -lr * lrs * torch_state(opt, params, 'momentum_buffer'), rtol=RTOL, atol=ATOL)
    # the losses nag returns are taken at the look-ahead points, i.e. at torch's iterates
    want = [p(np.asarray(t), k)[0] for k, t in enumerate([p.x0] + txs[:-1])]
    np.testing.assert_allclose(fs, want, rtol=RTOL)


# --- adam and adamax ---------------------------------------------------------------------------------------
def _adam_eps(beta2, eps):
    """Torch7 adds epsilon to sqrt(v) and folds sqrt(1 - beta2^t) into the step (adam.lua:62-68):
    x -= lr sqrt(bc2)/bc1 m / (sqrt(v) + eps). torch.optim.Adam adds it to sqrt(v)/sqrt(bc2):
    x -= lr/bc1 m / (sqrt(v)/sqrt(bc2) + eps'). The two agree exactly when eps' = eps / sqrt(bc2) at step t."""
    def schedule(opt, k):
        for group in opt.param_groups:
            group['eps'] = eps / math.sqrt(1 - beta2 ** (k + 1))
    return schedule


ADAM_CASES = [
    {},
    {'learningRate': 0.05, 'beta1': 0.5, 'beta2': 0.9, 'epsilon': 1e-3, 'weightDecay': 0.1},
    {'learningRate': 0.05, 'learningRateDecay': 0.2, 'epsilon': 0.5},
]


@pytest.mark.parametrize('n', SIZES)
@pytest.mark.parametrize('layout', ['flat', 'strided'])
@pytest.mark.parametrize('cfg', ADAM_CASES, ids=['defaults', 'betas-wd', 'lrd'])
def test_adam(cfg, layout, n):
    p = _problem(n)
    xs, _, st = run_legonn('adam', p, dict(cfg), STEPS, layout)
    lr, lrd = cfg.get('learningRate', 1e-3), cfg.get('learningRateDecay', 0)
    b1, b2, eps = cfg.get('beta1', 0.9), cfg.get('beta2', 0.999), cfg.get('epsilon', 1e-8)
    decay, shift = _lr_decay(lr, lrd), _adam_eps(b2, eps)

    def schedule(opt, k):
        decay(opt, k)
        shift(opt, k)
    make = optimiser(torch.optim.Adam, lr=lr, betas=(b1, b2), weight_decay=cfg.get('weightDecay', 0))
    txs, opt, params = run_torch(make, p, STEPS, schedule=schedule)
    assert_paths(xs, txs)
    assert st['t'] == STEPS == int(opt.state[params[0]]['step'])
    np.testing.assert_allclose(lg_state(st, 'm'), torch_state(opt, params, 'exp_avg'), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(lg_state(st, 'v'), torch_state(opt, params, 'exp_avg_sq'), rtol=RTOL, atol=ATOL)


def test_adam_epsilon_placement_differs_from_torch():
    """Expected difference (adam.lua:62-68 against torch/optim/adam.py's denom = sqrt(v)/sqrt(bc2) + eps): with a
    constant eps torch's step parts from Torch7's as soon as eps is not negligible against sqrt(v)."""
    p = _problem(7)
    cfg = {'learningRate': 0.05, 'epsilon': 0.5}
    xs, _, _ = run_legonn('adam', p, dict(cfg), STEPS)
    txs, _, _ = run_torch(optimiser(torch.optim.Adam, lr=0.05, eps=0.5), p, STEPS)
    assert_paths_differ(xs, txs, at_least=1e-3)
    shifted, _, _ = run_torch(optimiser(torch.optim.Adam, lr=0.05, eps=0.5), p, STEPS, schedule=_adam_eps(0.999, 0.5))
    assert_paths(xs, shifted)


@pytest.mark.parametrize('n', SIZES)
@pytest.mark.parametrize('layout', ['flat', 'strided'])
@pytest.mark.parametrize('cfg', [{}, {'learningRate': 0.05, 'beta1': 0.5, 'beta2': 0.8, 'epsilon': 1e-3,
                                      'weightDecay': 0.1}], ids=['defaults', 'options'])
def test_adamax(cfg, layout, n):
    """adamax.lua: u <- max(beta2 u, |g| + eps), x -= lr/(1 - beta1^t) m/u, as torch.optim.Adamax. Torch7's
    epsilon defaults to 1e-38 (adamax.lua:30), torch's to 1e-8: passed explicitly."""
    p = _problem(n)
    xs, _, st = run_legonn('adamax', p, dict(cfg), STEPS, layout)
    make = optimiser(torch.optim.Adamax, lr=cfg.get('learningRate', 0.002),
                     betas=(cfg.get('beta1', 0.9), cfg.get('beta2', 0.999)), eps=cfg.get('epsilon', 1e-38),
                     weight_decay=cfg.get('weightDecay', 0))
    txs, opt, params = run_torch(make, p, STEPS)
    assert_paths(xs, txs)
    assert st['t'] == STEPS
    np.testing.assert_allclose(lg_state(st, 'm'), torch_state(opt, params, 'exp_avg'), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(lg_state(st, 'u'), torch_state(opt, params, 'exp_inf'), rtol=RTOL, atol=ATOL)


def test_adamax_epsilon_rules_a_zero_gradient():
    """adamax.lua:30's default epsilon 1e-38 against torch's 1e-8 shows where u would be 0: a coordinate whose
    gradient is exactly 0 from the start has m = 0 and u = 1e-38, so it stays put in both."""
    p = _problem(7).without_gradient_at_0()
    xs, _, st = run_legonn('adamax', p, {}, STEPS)
    txs, opt, params = run_torch(optimiser(torch.optim.Adamax, eps=1e-38), p, STEPS)
    assert_paths(xs, txs)
    assert lg_state(st, 'u')[0] == 1e-38 and xs[-1][0] == p.x0[0]
    _, opt, params = run_torch(optimiser(torch.optim.Adamax), p, STEPS)
    assert torch_state(opt, params, 'exp_inf')[0] == 1e-8


# --- adagrad, adadelta, rmsprop ------------------------------------------------------------------------------
@pytest.mark.parametrize('n', SIZES)
@pytest.mark.parametrize('layout', ['flat', 'strided'])
@pytest.mark.parametrize('cfg', [{}, {'learningRate': 0.1, 'learningRateDecay': 0.3, 'weightDecay': 0.1}],
                         ids=['defaults', 'options'])
@pytest.mark.parametrize('initial', [None, 0.5])
def test_adagrad(initial, cfg, layout, n):
    """adagrad.lua: clr = lr/(1 + nevals lrd), variance += g^2, x -= clr g/(sqrt(variance) + 1e-10), as
    torch.optim.Adagrad (eps 1e-10). Torch7 has no initial-accumulator option; a state table that already holds
    paramVariance (and paramStd) starts from it (adagrad.lua:42), as torch's initial_accumulator_value."""
    p = _problem(n)
    state = {}
    if initial is not None:
        state = {'paramVariance': lg.from_numpy(np.full(n, initial)), 'paramStd': lg.from_numpy(np.zeros(n))}
    xs, _, st = run_legonn('adagrad', p, dict(cfg), STEPS, layout, state=state)
    make = optimiser(torch.optim.Adagrad, lr=cfg.get('learningRate', 1e-3), lr_decay=cfg.get('learningRateDecay', 0),
                     weight_decay=cfg.get('weightDecay', 0), initial_accumulator_value=initial or 0, eps=1e-10)
    txs, opt, params = run_torch(make, p, STEPS)
    assert_paths(xs, txs)
    assert st['evalCounter'] == STEPS
    var = torch_state(opt, params, 'sum')
    np.testing.assert_allclose(lg_state(st, 'paramVariance'), var, rtol=RTOL)
    np.testing.assert_allclose(lg_state(st, 'paramStd'), np.sqrt(var) + 1e-10, rtol=RTOL)


@pytest.mark.parametrize('n', SIZES)
@pytest.mark.parametrize('layout', ['flat', 'strided'])
@pytest.mark.parametrize('cfg', [{}, {'rho': 0.5, 'eps': 1e-2, 'weightDecay': 0.1}], ids=['defaults', 'options'])
def test_adadelta(cfg, layout, n):
    """adadelta.lua against torch.optim.Adadelta with lr 1 (Torch7 has no learning rate)."""
    p = _problem(n)
    xs, _, st = run_legonn('adadelta', p, dict(cfg), STEPS, layout)
    make = optimiser(torch.optim.Adadelta, lr=1.0, rho=cfg.get('rho', 0.9), eps=cfg.get('eps', 1e-6),
                     weight_decay=cfg.get('weightDecay', 0))
    txs, opt, params = run_torch(make, p, STEPS)
    assert_paths(xs, txs)
    assert st['evalCounter'] == STEPS
    np.testing.assert_allclose(lg_state(st, 'paramVariance'), torch_state(opt, params, 'square_avg'), rtol=RTOL)
    np.testing.assert_allclose(lg_state(st, 'accDelta'), torch_state(opt, params, 'acc_delta'), rtol=RTOL)
    np.testing.assert_allclose(xs[-2] - xs[-1], lg_state(st, 'delta'), rtol=1e-8)


@pytest.mark.parametrize('n', SIZES)
@pytest.mark.parametrize('layout', ['flat', 'strided'])
@pytest.mark.parametrize('cfg', [{}, {'learningRate': 0.05, 'alpha': 0.8, 'epsilon': 0.1, 'weightDecay': 0.1},
                                 {'learningRate': 0.05, 'initialMean': 2.0}], ids=['defaults', 'options', 'mean'])
def test_rmsprop(cfg, layout, n):
    """rmsprop.lua: m <- alpha m + (1 - alpha) g^2 from initialMean, x -= lr g/(sqrt(m) + eps), epsilon outside the
    root as torch.optim.RMSprop (not centred, no momentum: Torch7 has neither). torch has no initialMean: its
    state is seeded with the square average before the first step."""
    p = _problem(n)
    xs, _, st = run_legonn('rmsprop', p, dict(cfg), STEPS, layout)
    mean = cfg.get('initialMean', 0)

    def make(ps):
        opt = torch.optim.RMSprop(ps, lr=cfg.get('learningRate', 1e-2), alpha=cfg.get('alpha', 0.99),
                                  eps=cfg.get('epsilon', 1e-8), weight_decay=cfg.get('weightDecay', 0), foreach=False)
        for q in ps:
            opt.state[q] = {'step': torch.tensor(0.0), 'square_avg': torch.full_like(q, mean)}
        return opt
    txs, opt, params = run_torch(make, p, STEPS)
    assert_paths(xs, txs)
    m = torch_state(opt, params, 'square_avg')
    np.testing.assert_allclose(lg_state(st, 'm'), m, rtol=RTOL)
    np.testing.assert_allclose(lg_state(st, 'tmp'), np.sqrt(m) + cfg.get('epsilon', 1e-8), rtol=RTOL)


# --- asgd and rprop --------------------------------------------------------------------------------------------
@pytest.mark.parametrize('n', SIZES)
@pytest.mark.parametrize('layout', ['flat', 'strided'])
@pytest.mark.parametrize('cfg', [{'eta0': 0.05}, {'eta0': 0.1, 'lambda': 0.3, 'alpha': 0.6, 't0': 4}],
                         ids=['defaults', 'options'])
def test_asgd(cfg, layout, n):
    """asgd.lua: x <- (1 - lambda eta_t) x - eta_t g, ax averaged from step t0, eta_t = eta0/(1 + lambda eta0
    t)^alpha, mu_t = 1/max(1, t - t0). torch.optim.ASGD computes the same sequence (lr = eta0, lambd = lambda);
    only the defaults differ (torch's lr 1e-2 against Torch7's eta0 1e-4)."""
    p = _problem(n)
    xs, _, st = run_legonn('asgd', p, dict(cfg), STEPS, layout)
    make = optimiser(torch.optim.ASGD, lr=cfg['eta0'], lambd=cfg.get('lambda', 1e-4), alpha=cfg.get('alpha', 0.75),
                     t0=cfg.get('t0', 1e6))
    txs, opt, params = run_torch(make, p, STEPS)
    assert_paths(xs, txs)
    assert st['t'] == STEPS
    np.testing.assert_allclose(lg_state(st, 'ax'), torch_state(opt, params, 'ax'), rtol=RTOL)
    assert st['eta_t'] == pytest.approx(float(opt.state[params[0]]['eta']), rel=1e-14)
    assert st['mu_t'] == pytest.approx(float(opt.state[params[0]]['mu']), rel=1e-14)
    if 't0' in cfg:   # averaging has started: ax is no longer x
        assert not np.allclose(lg_state(st, 'ax'), xs[-1])


RPROP_CASES = [
    {},
    {'stepsize': 0.3, 'etaplus': 1.5, 'etaminus': 0.3, 'stepsizemax': 0.5, 'stepsizemin': 0.05},
    {'stepsize': 0.05, 'niter': 3},
]


@pytest.mark.parametrize('n', SIZES)
@pytest.mark.parametrize('layout', ['flat', 'strided'])
@pytest.mark.parametrize('cfg', RPROP_CASES, ids=['defaults', 'options', 'niter'])
def test_rprop(cfg, layout, n):
    """rprop.lua against torch.optim.Rprop (lr = the initial step size; Torch7's default 0.1, torch's 0.01).
    One legonn call with niter k is k torch steps."""
    p = _problem(n)
    niter = cfg.get('niter', 1)
    xs, fs, st = run_legonn('rprop', p, dict(cfg), STEPS, layout)
    make = optimiser(torch.optim.Rprop, lr=cfg.get('stepsize', 0.1),
                     etas=(cfg.get('etaminus', 0.5), cfg.get('etaplus', 1.2)),
                     step_sizes=(cfg.get('stepsizemin', 1e-6), cfg.get('stepsizemax', 50.0)))
    txs, opt, params = run_torch(make, p, STEPS * niter)
    assert_paths(xs, txs[niter - 1::niter])
    assert len(fs) == STEPS * niter
    np.testing.assert_allclose(lg_state(st, 'stepsize'), torch_state(opt, params, 'step_size'), rtol=RTOL)
    np.testing.assert_allclose(lg_state(st, 'delta'), torch_state(opt, params, 'prev'), rtol=RTOL)


def test_rprop_etaminus_one_differs_from_torch():
    """Expected difference. rprop.lua takes no check of etaminus and masks the sign product (>0, <0, ==0) before
    writing the factors (rprop.lua:66-73), zeroing g only where it was < 0 (rprop.lua:88). torch.optim.Rprop
    refuses etas outside 0 < etaminus < 1 < etaplus, and its step (rprop.py) writes the factors in place and
    zeroes g where the factor equals etaminus: forced to etaminus = 1 through its param group, that is every
    element whose sign product was 0, so its first step (prev = 0) does not move while Torch7's moves every
    element by the initial step."""
    p = _problem(7)
    xs, _, _ = run_legonn('rprop', p, {'etaminus': 1.0}, STEPS)
    with pytest.raises(ValueError, match='eta'):
        torch.optim.Rprop([torch.zeros(1, requires_grad=True)], etas=(1.0, 1.2))

    def forced(ps):
        opt = torch.optim.Rprop(ps, lr=0.1, foreach=False)
        opt.param_groups[0]['etas'] = (1.0, 1.2)
        return opt
    txs, _, _ = run_torch(forced, p, STEPS)
    np.testing.assert_allclose(np.abs(xs[0] - p.x0), 0.1, rtol=RTOL)
    np.testing.assert_array_equal(txs[0], p.x0)


def test_rprop_zero_and_exact_sign_products():
    """rprop's three branches (sign product > 0, < 0, == 0, rprop.lua:66-73) on a problem where one coordinate's
    gradient is exactly 0 throughout and the others flip: legonn and torch.optim.Rprop agree on every one."""
    p = _problem(7).without_gradient_at_0()
    p.noise *= 10   # large noise: the other gradients change sign often
    xs, _, st = run_legonn('rprop', p, {'stepsize': 0.2}, STEPS)
    txs, opt, params = run_torch(optimiser(torch.optim.Rprop, lr=0.2), p, STEPS)
    assert_paths(xs, txs)
    assert lg_state(st, 'stepsize')[0] == 0.2 and xs[-1][0] == p.x0[0]
    assert len(set(np.round(lg_state(st, 'stepsize')[1:], 12))) > 2   # grown and shrunk step sizes both occur



class _NaNGradientAt0(Problem):
    def __call__(self, a, k):
        f, g = super().__call__(a, k)
        g[0] = np.nan
        return f, g


def test_rprop_nan_gradient_element():
    """TH's sign is 0 for NaN (lib/TH/generic/THTensorMath.c:1825-1828), so rprop.lua:90-93 leaves an element
    whose gradient is NaN where it is; torch.sign(nan) is 0 too and torch.optim.Rprop agrees, element and step
    sizes alike (legonn took NumPy's sign, NaN, and wrote NaN into x before this audit)."""
    p = _NaNGradientAt0(7, seed=7)
    xs, _, st = run_legonn('rprop', p, {'stepsize': 0.2}, STEPS)
    txs, opt, params = run_torch(optimiser(torch.optim.Rprop, lr=0.2), p, STEPS)
    assert_paths(xs, txs)
    assert xs[-1][0] == p.x0[0] and np.isfinite(xs[-1]).all()
    np.testing.assert_allclose(lg_state(st, 'stepsize'), torch_state(opt, params, 'step_size'), rtol=RTOL)


def test_rprop_stepsizemin_above_stepsizemax():
    """Expected difference. rprop.lua:80-84 caps the step sizes at stepsizemax, then raises those below
    stepsizemin to it: with stepsizemin > stepsizemax all end at stepsizemin. torch.optim.Rprop clamps
    (step_size.clamp_(min, max)), and torch.clamp with min > max gives max."""
    p = _problem(7)
    xs, _, st = run_legonn('rprop', p, {'stepsize': 0.1, 'stepsizemin': 0.3, 'stepsizemax': 0.2}, 1)
    txs, opt, params = run_torch(optimiser(torch.optim.Rprop, lr=0.1, step_sizes=(0.3, 0.2)), p, 1)
    np.testing.assert_array_equal(lg_state(st, 'stepsize'), 0.3)
    np.testing.assert_array_equal(torch_state(opt, params, 'step_size'), 0.2)
    g = p(p.x0, 0)[1]
    np.testing.assert_allclose(xs[0], p.x0 - 0.3 * np.sign(g), rtol=RTOL)
    np.testing.assert_allclose(txs[0], p.x0 - 0.2 * np.sign(g), rtol=RTOL)

# --- lbfgs and lswolfe against torch.optim.LBFGS ------------------------------------------------------------
def _quadratic_problem(n, seed):
    p = Problem(n, noise=0.0, seed=seed)
    return lambda a: p(a, 0), p.x0


def _rosenbrock_problem(n, seed):
    return rosenbrock, np.linspace(-1.2, 1.0, n) if n > 2 else np.array([-1.2, 1.0])


def _cosine_problem(n, seed):
    """sum cos(c x) + 0.05 |x|^2: non-convex, so some steps have y.s <= 1e-10 and leave the history alone
    (lbfgs.lua:123, 139-142)."""
    rng = np.random.RandomState(seed)
    c = rng.rand(n) + 0.5
    return (lambda a: (float(np.sum(np.cos(c * a)) + 0.05 * a @ a), -c * np.sin(c * a) + 0.1 * a)), 2 * rng.randn(n)


LBFGS_PROBLEMS = {'quadratic': _quadratic_problem, 'rosenbrock': _rosenbrock_problem, 'cosine': _cosine_problem}
# (rtol, atol): on Rosenbrock the two libraries' points part by rounding from the first differing last bit and
# reach 1e-12 after some 40 evaluations (measured while writing this file), which the Hessian (~1e3) turns into
# 1e-9 in gradient-derived state: the tolerances there say "same algorithm, rounding apart", nothing looser
LBFGS_TOL = {'quadratic': (RTOL, ATOL), 'rosenbrock': (1e-8, 1e-10), 'cosine': (RTOL, ATOL)}


def lbfgs_legonn(fn, x0, config, calls):
    """``calls`` calls of optim.lbfgs; returns (x after each call, f_hist of each, evaluations of each, state,
    every point opfunc was evaluated at)."""
    x = lg.from_numpy(x0.copy())
    probes = []

    def opfunc(t):
        probes.append(np.array(t.array))
        return fn(np.asarray(t.array))
    xs, hists, evals = [], [], []
    for _ in range(calls):
        _, f_hist, n = optim.lbfgs(opfunc, x, config)
        xs.append(np.array(x.array))
        hists.append(list(f_hist))
        evals.append(n)
    return xs, hists, evals, config, probes


def lbfgs_torch(fn, x0, calls, **kw):
    p = torch.tensor(x0.copy(), requires_grad=True)
    opt = torch.optim.LBFGS([p], **kw)
    probes, losses = [], []

    def closure():
        a = p.detach().numpy()
        probes.append(a.copy())
        f, g = fn(a)
        losses.append(f)
        p.grad = torch.from_numpy(g.copy())
        return torch.tensor(f)
    xs, evals = [], []
    for _ in range(calls):
        before = len(probes)
        opt.step(closure)
        xs.append(p.detach().numpy().copy())
        evals.append(len(probes) - before)
    return xs, evals, opt.state[p], probes, losses


def assert_lbfgs_state(st, ts, rtol, atol):
    """Torch7's lbfgs state against torch's: old_dirs holds the steps s in Torch7 (lbfgs.lua:134), the
    gradient differences y in torch (old_stps holds the other)."""
    assert st['nIter'] == ts['n_iter'] and st['funcEval'] == ts['func_evals']
    assert st['t'] == pytest.approx(float(ts['t']), rel=rtol)
    assert st['Hdiag'] == pytest.approx(float(ts['H_diag']), rel=rtol)
    assert st['f_old'] == pytest.approx(ts['prev_loss'], rel=rtol)
    np.testing.assert_allclose(lg_state(st, 'd'), ts['d'].numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(lg_state(st, 'g_old'), ts['prev_flat_grad'].numpy(), rtol=rtol, atol=atol)
    assert len(st['old_dirs']) == len(ts['old_dirs']) == len(st['old_stps'])
    for s, y, ts_y, ts_s in zip(st['old_dirs'], st['old_stps'], ts['old_dirs'], ts['old_stps']):
        np.testing.assert_allclose(s.array, ts_s.numpy(), rtol=rtol, atol=atol)
        np.testing.assert_allclose(y.array, ts_y.numpy(), rtol=rtol, atol=atol)


LBFGS_CASES = [
    # (problem, n, maxIter, nCorrection, learningRate, calls)
    ('quadratic', 7, 20, 100, 1.0, 2),
    ('quadratic', 12, 4, 3, 0.5, 4),
    ('quadratic', 1, 3, 100, 1.0, 3),
    ('rosenbrock', 2, 12, 100, 0.5, 3),
    ('rosenbrock', 6, 8, 5, 0.3, 2),
    ('cosine', 8, 40, 100, 0.5, 1),
]


@pytest.mark.parametrize('case', LBFGS_CASES, ids=[f'{c[0]}{c[1]}-it{c[2]}-m{c[3]}' for c in LBFGS_CASES])
def test_lbfgs_fixed_step(case):
    """Fixed-size steps (no lineSearch, lbfgs.lua:204-215): iterates, evaluations and the whole state as
    torch.optim.LBFGS, over several calls that carry the state (history shifting when nCorrection is small).
    maxEval is a multiple-of-4 default or explicit, tolerances negative (see the expected differences below)."""
    name, n, max_iter, m, lr, calls = case
    fn, x0 = LBFGS_PROBLEMS[name](n, n)
    cfg = {'maxIter': max_iter, 'maxEval': 2 * max_iter, 'nCorrection': m, 'learningRate': lr,
           'tolFun': -1, 'tolX': -1}
    xs, hists, evals, st, probes = lbfgs_legonn(fn, x0, cfg, calls)
    txs, tevals, ts, tprobes, losses = lbfgs_torch(fn, x0, calls, lr=lr, max_iter=max_iter, max_eval=2 * max_iter,
                                                   history_size=m, tolerance_grad=-1, tolerance_change=-1)
    tol = LBFGS_TOL[name]
    assert_paths(xs, txs, 'lbfgs', *tol)
    assert evals == tevals and len(probes) == len(tprobes)
    np.testing.assert_allclose(sum(hists, []), losses, rtol=tol[0])
    assert_lbfgs_state(st, ts, *tol)
    if m < max_iter * calls:
        assert len(st['old_dirs']) == m   # the history did shift
    if name == 'cosine':
        assert len(st['old_dirs']) < st['nIter'] - 1   # some pairs were left out (y.s <= 1e-10)


@pytest.mark.parametrize('case', [('quadratic', 7, 20), ('quadratic', 12, 5), ('rosenbrock', 2, 20),
                                  ('rosenbrock', 6, 20), ('rosenbrock', 2, 3)],
                         ids=['quadratic7', 'quadratic12-it5', 'rosenbrock2', 'rosenbrock6', 'rosenbrock2-it3'])
def test_lbfgs_lswolfe(case):
    """lineSearch = optim.lswolfe (lbfgs.lua:200-203, lswolfe.lua) against line_search_fn='strong_wolfe' with
    Torch7's default tolerances (tolFun 1e-5 on sum|g| is met by neither before maxIter here) and a maxEval
    large enough that torch's line search budget (maxEval minus evaluations so far) never binds."""
    name, n, max_iter = case
    fn, x0 = LBFGS_PROBLEMS[name](n, n)
    cfg = {'maxIter': max_iter, 'maxEval': 1000, 'lineSearch': optim.lswolfe, 'tolFun': 1e-12, 'tolX': 1e-12}
    xs, hists, evals, st, probes = lbfgs_legonn(fn, x0, cfg, 2)
    txs, tevals, ts, tprobes, _ = lbfgs_torch(fn, x0, 2, max_iter=max_iter, max_eval=1000, tolerance_grad=1e-12,
                                              tolerance_change=1e-12, line_search_fn='strong_wolfe')
    tol = LBFGS_TOL[name]
    assert_paths(xs, txs, 'lbfgs+lswolfe', *tol)
    assert evals == tevals
    assert_paths([q.ravel() for q in probes], [q.ravel() for q in tprobes], 'probe', *tol)
    assert_lbfgs_state(st, ts, *tol)
    assert 1 < len(hists[0]) <= max_iter + 1


@pytest.mark.parametrize('name,n', [('quadratic', 2), ('quadratic', 7), ('rosenbrock', 2), ('rosenbrock', 7)])
@pytest.mark.parametrize('line_search', [False, True], ids=['fixed-step', 'lswolfe'])
def test_lbfgs_to_convergence_with_torch7_defaults(line_search, name, n):
    """One call of up to 100 iterations with Torch7's tolerances (tolFun 1e-5, tolX 1e-9, lbfgs.lua:42-43) and
    torch given the same: on these problems the tests both libraries share (gtd > -tolX, |f - f_old| < tolX)
    end the run, at the same iteration, with the same evaluations."""
    fn, x0 = LBFGS_PROBLEMS[name](n, n)
    cfg = {'maxIter': 100, 'learningRate': 1.0 if line_search else 0.5}
    kw = {'max_iter': 100, 'max_eval': 125, 'lr': cfg['learningRate'], 'tolerance_grad': 1e-5}
    if line_search:
        cfg['lineSearch'], kw['line_search_fn'] = optim.lswolfe, 'strong_wolfe'
    xs, _, evals, st, _ = lbfgs_legonn(fn, x0, cfg, 1)
    txs, tevals, ts, _, _ = lbfgs_torch(fn, x0, 1, **kw)
    assert st['nIter'] == ts['n_iter'] < 100 and evals == tevals
    assert_paths(xs, txs, 'lbfgs', *LBFGS_TOL[name])


def test_lbfgs_tolfun_is_on_the_sum_of_abs_gradient():
    """Expected difference. Torch7 stops when sum|g| <= tolFun (lbfgs.lua:75, 237); torch.optim.LBFGS when
    max|g| <= tolerance_grad (lbfgs.py's opt_cond). Near the optimum of a 7-D quadratic, with the tolerance
    between the two norms, torch returns without a step and legonn iterates."""
    fn, _ = _quadratic_problem(7, 7)
    p = Problem(7, noise=0.0, seed=7)
    x_star = np.linalg.solve(p.A, p.b)
    x0 = x_star + 1e-3 * np.linspace(-1, 1, 7)
    g = np.abs(fn(x0)[1])
    tol = math.sqrt(g.max() * g.sum())
    assert g.max() <= tol < g.sum()
    xs, _, evals, st, _ = lbfgs_legonn(fn, x0, {'maxIter': 3, 'tolFun': tol}, 1)
    txs, tevals, ts, _, _ = lbfgs_torch(fn, x0, 1, max_iter=3, tolerance_grad=tol)
    np.testing.assert_array_equal(txs[0], x0)
    assert tevals == [1] and 'n_iter' in ts and ts['n_iter'] == 0
    assert st['nIter'] >= 1 and evals[0] > 1 and np.abs(fn(xs[0])[1]).sum() < g.sum()


def test_lbfgs_tolx_is_on_the_sum_of_abs_step():
    """Expected difference. Torch7 stops when sum|d t| <= tolX (lbfgs.lua:243-244); torch when max|d t| <=
    tolerance_change. With tolX between the two norms of the first step, torch stops after one iteration and
    legonn goes on (every other test kept quiet: tolFun off, the loss change and gtd larger than tolX)."""
    fn, x0 = _quadratic_problem(7, 3)
    g = fn(x0)[1]
    step = np.abs(g * min(1, 1 / np.abs(g).sum()))   # the first step t d (lbfgs.lua:191-193)
    tol = math.sqrt(step.max() * step.sum())
    assert step.max() <= tol < step.sum()
    assert abs(fn(x0 + step * -np.sign(g))[0] - fn(x0)[0]) > tol and g @ g > tol
    xs, _, _, st, _ = lbfgs_legonn(fn, x0, {'maxIter': 5, 'tolFun': -1, 'tolX': tol}, 1)
    txs, _, ts, _, _ = lbfgs_torch(fn, x0, 1, max_iter=5, tolerance_grad=-1, tolerance_change=tol)
    assert ts['n_iter'] == 1 and st['nIter'] > 1
    np.testing.assert_allclose(txs[0], x0 - step * np.sign(g), rtol=RTOL)


def test_lbfgs_default_max_eval_is_fractional():
    """Expected difference. Torch7's maxEval defaults to maxIter * 1.25 (lbfgs.lua:41), 3.75 for maxIter 3, so
    the evaluation test (currentFuncEval >= maxEval) never stops a 3-iteration call; torch's default is
    max_iter * 5 // 4 = 3, which stops it after 2 of its 3 iterations. With torch given 3.75 they agree."""
    fn, x0 = _quadratic_problem(7, 3)
    cfg = {'maxIter': 3, 'tolFun': -1, 'tolX': -1}
    xs, _, _, st, _ = lbfgs_legonn(fn, x0, cfg, 1)
    kw = {'max_iter': 3, 'tolerance_grad': -1, 'tolerance_change': -1}
    txs, _, ts, _, _ = lbfgs_torch(fn, x0, 1, **kw)
    assert st['nIter'] == 3 and ts['n_iter'] == 2
    txs, _, ts, _, _ = lbfgs_torch(fn, x0, 1, max_eval=3.75, **kw)
    assert ts['n_iter'] == 3
    assert_paths(xs, txs)


def test_lbfgs_line_search_budget_is_lswolfe_own():
    """Expected difference. Torch7's lswolfe runs up to its own maxIter (lineSearchOptions, default 20,
    lswolfe.lua:30), whatever lbfgs's maxEval; torch's strong-Wolfe search gets max_eval - evaluations so far
    (lbfgs.py: max_ls), 0 for max_iter 1 (max_eval 1), so it keeps the first trial step if it lowers f. On 2-D
    Rosenbrock the full search and torch with room to search agree; torch's default does not."""
    fn, x0 = _rosenbrock_problem(2, 2)
    xs, _, evals, _, _ = lbfgs_legonn(fn, x0, {'maxIter': 1, 'lineSearch': optim.lswolfe}, 1)
    roomy, tevals, _, _, _ = lbfgs_torch(fn, x0, 1, max_iter=1, max_eval=100, line_search_fn='strong_wolfe')
    assert_paths(xs, roomy)
    assert evals == tevals and evals[0] > 2
    default, tevals, _, _, _ = lbfgs_torch(fn, x0, 1, max_iter=1, line_search_fn='strong_wolfe')
    assert tevals == [2]
    assert_paths_differ(xs, default, at_least=1e-2)


def test_lswolfe_extrapolation_picks_the_lowest_candidate():
    """Expected difference. While bracketing, lswolfe extrapolates with optim.polyinterp's general path on
    [t + 0.01 (t - t_prev), 10 t] (lswolfe.lua:84-90): the lowest of the cubic at the bounds and at its real
    critical points inside (polyinterp.lua:187-210). torch's _cubic_interpolate clamps the cubic's local minimum
    into the bounds and takes their midpoint when the cubic has no real critical point. On f(x) = -x + 2x^2 -
    1.5x^3 from 0 (f' < 0 everywhere: no critical point) the first trial t = 1 calls for an extrapolation: Torch7
    tries 10 t, torch the midpoint 5.505."""
    def fn(a):
        x = float(a[0])
        return -x + 2 * x * x - 1.5 * x ** 3, np.array([-1 + 4 * x - 4.5 * x * x])
    x0 = np.zeros(1)
    _, _, _, _, probes = lbfgs_legonn(fn, x0, {'maxIter': 1, 'lineSearch': optim.lswolfe}, 1)
    _, _, _, tprobes, _ = lbfgs_torch(fn, x0, 1, max_iter=1, max_eval=100, line_search_fn='strong_wolfe')
    assert [float(q[0]) for q in probes[:2]] == [float(q[0]) for q in tprobes[:2]] == [0.0, 1.0]
    assert float(probes[2][0]) == pytest.approx(10.0, rel=1e-12)
    assert float(tprobes[2][0]) == pytest.approx((1.01 + 10) / 2, rel=1e-12)



def test_lswolfe_zoom_stops_on_the_bracket_times_the_slope():
    """Expected difference. lswolfe's zoom ends when |(bracket[1] - bracket[2]) gtd_new| < tolX, tested after each
    trial (lswolfe.lua:173); torch's _strong_wolfe when |bracket[1] - bracket[0]| max|d| < tolerance_change,
    tested before it. On f(x) = 100 |x - 0.7| from 0 no point meets the curvature condition (|f'| is 100
    everywhere but at 0.7), so the zoom runs to a stop: both make the same trials, bit for bit, until torch's
    test ends its search (the bracket times |d| = 100 under 1e-9) while Torch7's (the bracket times |g d| =
    1e4) keeps going to lswolfe's maxIter: 20 trials after the first, 22 evaluations with lbfgs's own."""
    def fn(a):
        x = float(a[0])
        return 100 * abs(x - 0.7), np.array([100 * np.sign(x - 0.7)])
    x0 = np.zeros(1)
    _, _, evals, _, probes = lbfgs_legonn(fn, x0, {'maxIter': 1, 'lineSearch': optim.lswolfe}, 1)
    _, tevals, _, tprobes, _ = lbfgs_torch(fn, x0, 1, max_iter=1, max_eval=100, line_search_fn='strong_wolfe')
    assert evals == [22] and 2 < tevals[0] < 22
    np.testing.assert_array_equal(np.concatenate(probes[:tevals[0]]), np.concatenate(tprobes))


def test_lswolfe_reads_a_reused_gradient_buffer_as_torch7():
    """Expected difference. An opfunc that hands back one gradient buffer (a getParameters() gradParams) has it
    overwritten by lswolfe's first trial before lswolfe.lua:53 clones ``g`` into g_prev, so when that trial is
    too long (the bracket forms at lswolfe.lua:57) the start of the bracket carries the trial's gradient: the
    zoom's first interpolation (lswolfe.lua:125) sees the slope g1.d at both ends. torch copies every gradient
    (lbfgs.py's _gather_flat_grad concatenates, _strong_wolfe clones g) and interpolates with g0.d. legonn
    follows Torch7 with a reused buffer and torch with fresh gradients."""
    fn, x0 = _quadratic_problem(7, 7)
    buffer = np.zeros(7)

    def reused(a):
        f, g = fn(a)
        buffer[...] = g
        return f, buffer
    cfg = {'maxIter': 1, 'lineSearch': optim.lswolfe, 'learningRate': 100}
    _, _, _, _, probes = lbfgs_legonn(reused, x0, dict(cfg), 1)
    _, _, _, _, fresh = lbfgs_legonn(fn, x0, dict(cfg), 1)
    _, _, _, tprobes, _ = lbfgs_torch(fn, x0, 1, lr=100, max_iter=1, max_eval=100, line_search_fn='strong_wolfe')
    (f0, g0), (f1, g1) = fn(x0), fn(probes[1])
    d = -g0
    t = (probes[1] - x0)[0] / d[0]
    assert f1 > f0 + 1e-4 * t * (g0 @ d)   # the first trial is too long: the bracket is [0, t]
    torch7 = optim.polyinterp(np.array([[0, f0, g1 @ d], [t, f1, g1 @ d]]))
    proper = optim.polyinterp(np.array([[0, f0, g0 @ d], [t, f1, g1 @ d]]))
    assert abs(torch7 - proper) > 0.1 * proper
    np.testing.assert_allclose(probes[2], x0 + torch7 * d, rtol=RTOL)
    np.testing.assert_allclose(tprobes[2], x0 + proper * d, rtol=RTOL)
    assert_paths([q.ravel() for q in fresh], [q.ravel() for q in tprobes], 'fresh gradients')

# --- polyinterp's two-point form against torch's cubic interpolation ----------------------------------------
def test_polyinterp_two_points_is_torch_cubic_interpolate():
    """The zoom phase's call (two points, no bounds, polyinterp.lua:111-136) and torch's _cubic_interpolate are
    the same closed form, midpoint included when the cubic has no real minimiser: 200 random point pairs."""
    from torch.optim.lbfgs import _cubic_interpolate
    rng = np.random.RandomState(5)
    midpoints = 0
    for _ in range(200):
        x1, x2, f1, f2, g1, g2 = rng.randn(6)
        got = optim.polyinterp(np.array([[x1, f1, g1], [x2, f2, g2]]))
        want = float(_cubic_interpolate(x1, torch.tensor(f1), torch.tensor(g1), x2, torch.tensor(f2),
                                        torch.tensor(g2)))
        assert got == pytest.approx(want, rel=1e-12, abs=1e-14)
        midpoints += got == pytest.approx((x1 + x2) / 2, rel=1e-15)
    assert midpoints > 10
