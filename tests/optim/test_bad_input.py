"""Every optimiser rejects bad input the same way (legonn/optim/closure.py) and leaves x as it was."""
import copy

import numpy as np
import pytest

import legonn as lg
from legonn import optim

from .problems import rosenbrock

CONFIGS = {
    'sgd': {'learningRate': 1e-3, 'momentum': 0.9}, 'asgd': {}, 'nag': {}, 'adagrad': {}, 'adadelta': {},
    'adam': {}, 'adamax': {}, 'rmsprop': {}, 'rprop': {'niter': 3}, 'lbfgs': {'maxIter': 5},
    'lbfgs+lswolfe': {'maxIter': 5, 'lineSearch': optim.lswolfe}, 'cg': {'maxEval': 10},
    'cmaes': {'sigma': 0.5, 'maxEval': 30}, 'de': {'scaleFactor': 0.5, 'crossoverRate': 0.9, 'maxFEs': 30,
                                                   'popsize': 5},
}
NAMES = list(CONFIGS)
GRADIENT_FREE = {'cmaes', 'de'}


def run(name, opfunc, x, config=None):
    config = dict(CONFIGS[name]) if config is None else config
    return getattr(optim, name.split('+')[0])(opfunc, x, config)


def failing_after(n, bad):
    """An opfunc that answers Rosenbrock ``n`` times, then ``bad(f, g)``."""
    calls = []

    def opfunc(x):
        calls.append(1)
        f, g = rosenbrock(x)
        return bad(f, g) if len(calls) > n else (f, g)
    return opfunc


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('after', [0, 2])
def test_nan_loss_raises_and_restores_x(name, after):
    """The NaN comes at the (after+1)-th evaluation, within a call or in a later one (state kept between calls)."""
    x = lg.DoubleTensor([-1.2, 1.0])
    opfunc = failing_after(after, lambda f, g: (float('nan'), g))
    config = dict(CONFIGS[name])
    with pytest.raises(FloatingPointError, match=r'optim\.\w+: opfunc returned a non-finite loss'):
        for _ in range(after + 1):
            before = x.array.copy()
            run(name, opfunc, x, config)
    np.testing.assert_array_equal(x.array, before)


@pytest.mark.parametrize('name, config, after', [
    ('rprop', {'niter': 3}, 1),
    ('lbfgs', {'maxIter': 6, 'nCorrection': 2, 'tolFun': -1, 'tolX': -1}, 4),
    ('lbfgs+lswolfe', {'maxIter': 6, 'nCorrection': 2, 'lineSearch': optim.lswolfe}, 4),
])
def test_failed_call_leaves_the_state_it_found(name, config, after):
    """A call failing after its first evaluations leaves state's tensors (rprop's step sizes, lbfgs' direction,
    last gradient and full history) as they were: retried, it gives the step a call on a copy of the state
    taken before the failure gives. The NaN comes at evaluation ``after + 1``, once a step has been taken."""
    x = lg.DoubleTensor([-1.2, 1.0])
    state = dict(config)
    for _ in range(2):   # lbfgs' history of 2 pairs is full from the second call on
        run(name, rosenbrock, x, state)
    clean_x, clean_state = x.clone(), copy.deepcopy(state)
    with pytest.raises(FloatingPointError):
        run(name, failing_after(after, lambda f, g: (float('nan'), g)), x, state)
    run(name, rosenbrock, x, state)
    run(name, rosenbrock, clean_x, clean_state)
    np.testing.assert_array_equal(x.array, clean_x.array)


@pytest.mark.parametrize('name', [n for n in NAMES if n not in GRADIENT_FREE])
def test_wrong_gradient_size(name):
    x = lg.DoubleTensor([-1.2, 1.0])
    before = x.array.copy()
    with pytest.raises(ValueError, match='gradient has 3 elements.*x has 2'):
        run(name, lambda p: (1.0, np.zeros(3)), x)
    np.testing.assert_array_equal(x.array, before)


@pytest.mark.parametrize('name', [n for n in NAMES if n not in GRADIENT_FREE])
def test_wrong_gradient_type(name):
    x = lg.DoubleTensor([-1.2, 1.0])
    with pytest.raises(TypeError, match='gradient is a legonn.FloatTensor but x is a legonn.DoubleTensor'):
        run(name, lambda p: (1.0, np.zeros(2, dtype=np.float32)), x)
    with pytest.raises(TypeError, match=r'\(loss, gradient\)'):
        run(name, lambda p: 1.0, x)


def test_state_from_another_x_is_refused():
    state = {}
    optim.adam(rosenbrock, np.zeros(2), state)
    x = np.zeros(3)
    with pytest.raises(ValueError, match='state.m .* 2 elements'):
        optim.adam(lambda p: (0.0, np.ones(3)), x, state)
    np.testing.assert_array_equal(x, 0)


@pytest.mark.parametrize('name,key', [('sgd', 'learningRate'), ('adam', 'learningRate'), ('nag', 'weightDecay'),
                                      ('adagrad', 'learningRateDecay'), ('lbfgs', 'learningRate'),
                                      ('rmsprop', 'epsilon'), ('asgd', 'eta0')])
def test_negative_hyper_parameter(name, key):
    x = np.array([-1.2, 1.0])
    with pytest.raises(ValueError, match=f'optim.{name}: config.{key} must be >= 0, got -0.1'):
        getattr(optim, name)(rosenbrock, x, {key: -0.1})
    np.testing.assert_array_equal(x, [-1.2, 1.0])


@pytest.mark.parametrize('name,typo,meant', [('sgd', 'learningrate', 'learningRate'), ('sgd', 'momemtum', 'momentum'),
                                             ('adam', 'beta_1', 'beta1'), ('lbfgs', 'maxIters', 'maxIter'),
                                             ('rmsprop', 'epsilion', 'epsilon')])
def test_typo_warns(name, typo, meant):
    with pytest.warns(UserWarning, match=f"unknown config key '{typo}' is ignored; did you mean '{meant}'"):
        getattr(optim, name)(rosenbrock, np.array([0.5, 0.5]), {typo: 0.1})


def test_unrelated_keys_are_silent(recwarn):
    optim.sgd(rosenbrock, np.zeros(2), {'learningRate': 0.1, 'epochs': 10, 'batchSize': 32})
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_options_named_after_a_known_key_are_silent(recwarn):
    """wide-residual-networks' train.lua hands its whole opt to sgd: learningRateDecayRatio (its own schedule's
    factor) is a known name and a further word, not a typo of learningRateDecay; torch/optim ignores it."""
    optim.sgd(rosenbrock, np.zeros(2), {'learningRate': 0.1, 'learningRateDecay': 0, 'learningRateDecayRatio': 0.2,
                                        'momentumSchedule': 'linear'})
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
    with pytest.warns(UserWarning, match="unknown config key 'learningRateDecayratio' is ignored; did you mean "
                                         "'learningRateDecay'"):
        optim.sgd(rosenbrock, np.zeros(2), {'learningRateDecayratio': 0.2})


def test_keys_of_other_algorithms_are_silent(recwarn):
    """pose-hg-train's ref.lua builds one optimState (learningRate, learningRateDecay, momentum, weightDecay,
    alpha, epsilon) for whichever of rmsprop, sgd, nag, adadelta -optMethod names; optim/rmsprop.lua reads
    four of them and ignores the rest, so 'learningRateDecay' (sgd's) must not pass for a typo of
    'learningRate', nor sgd's 'learningRateDecay' in adam's config."""
    state = {'learningRate': 2.5e-4, 'learningRateDecay': 0.0, 'momentum': 0.0, 'weightDecay': 0.0,
             'alpha': 0.99, 'epsilon': 1e-8}
    optim.rmsprop(rosenbrock, np.array([0.5, 0.5]), state)
    optim.adam(rosenbrock, np.array([0.5, 0.5]), {'learningRate': 1e-3, 'learningRateDecay': 0.0})
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
    with pytest.warns(UserWarning, match="unknown config key 'learningRateDecy' is ignored"):
        optim.sgd(rosenbrock, np.array([0.5, 0.5]), {'learningRateDecy': 0.1})


def test_nesterov_needs_momentum_and_no_dampening():
    with pytest.raises(ValueError, match='Nesterov'):
        optim.sgd(rosenbrock, np.zeros(2), {'nesterov': True, 'momentum': 0.9})
    with pytest.raises(ValueError, match='momentum must be positive'):
        optim.nag(rosenbrock, np.zeros(2), {'momentum': 0})


def test_x_must_be_floating_tensor_or_array():
    with pytest.raises(TypeError, match='floating-point'):
        optim.sgd(rosenbrock, lg.LongTensor(2), {})
    with pytest.raises(TypeError, match='x must be a legonn.Tensor'):
        optim.sgd(rosenbrock, 'abc', {})


def test_per_element_rates_must_match_x():
    with pytest.raises(ValueError, match='learningRates has 3 elements but x has 2'):
        optim.sgd(rosenbrock, np.zeros(2), {'learningRates': np.ones(3)})


def test_loss_may_be_a_one_element_tensor():
    x = np.array([0.5, 0.5])
    _, fs = optim.sgd(lambda p: (lg.DoubleTensor([rosenbrock(p)[0]]), rosenbrock(p)[1]), x, {})
    assert fs[0] == pytest.approx(rosenbrock(np.array([0.5, 0.5]))[0])


@pytest.mark.parametrize('name', NAMES)
def test_loss_of_several_elements_only_where_unread(name):
    """torch/optim's first-order methods (sgd.lua, adam.lua, ... rprop.lua) return ``{fx}`` without reading fx,
    so any value passes (deepmask's TrainerDeepMask.lua hands sgd a batch of features); legonn hands such a
    tensor back. Methods that compare losses (lbfgs, cg, the gradient-free ones) refuse it, x unchanged."""
    x = np.array([0.5, 0.5])
    before = x.copy()
    loss = lg.DoubleTensor([[1.0, 2.0], [3.0, 4.0]])

    def opfunc(p):
        return loss, rosenbrock(p)[1]
    if name in GRADIENT_FREE or name.startswith(('lbfgs', 'cg')):
        with pytest.raises(ValueError, match='scalar loss'):
            run(name, opfunc, x)
        np.testing.assert_array_equal(x, before)
    else:
        fs = run(name, opfunc, x)[1]
        assert all(f is loss for f in fs) and not np.array_equal(x, before)
