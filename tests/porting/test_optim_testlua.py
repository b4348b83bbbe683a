"""torch/optim's own test scripts (test/*.lua) ported line by line: each optimiser called with its script's
config table on the 2-D (10-D for cmaes) Rosenbrock function from (0, 0), ``optim.FistaLS`` on the sparse
coding problem of test_fista.lua with sparsecoding.lua's ``optim.FistaL1``, ``ConfusionMatrix`` and ``Logger``.

The scripts only print the optimum they reach; each print is an assert here: the point near (1, 1), the
loss table the script prints, and, for the deterministic optimisers, the very trajectory of the Lua rule
(the NumPy re-derivations of tests/optim/ stand for Torch7's numbers, which no Lua here can run).
rosenbrock.lua is tests/optim/problems.py's ``rosenbrock`` (the same f and gradient, reused rather than
ported twice); l2.lua is required by every script and called by none, so it is not ported.
Torch7's default tensor type is DoubleTensor: the scripts run in it (the ``double_default`` fixture).
"""
import math
import random

import numpy as np
import pytest

import legonn as lg
from legonn import gnuplot, nn, optim
from tests.optim.problems import rosenbrock
from tests.optim.test_first_order import ref_adadelta, ref_adagrad, ref_adam, ref_adamax, ref_rmsprop, ref_sgd
from tests.optim.test_quasi_newton import ref_cg, ref_lbfgs_run

pytestmark = pytest.mark.usefixtures('double_default')


def reference_run(ref, config, steps, every=1000):
    """The Lua rule's own iterates from x = 0: the final point and the loss printed every ``every`` steps."""
    x, state, fx = np.zeros(2), {}, []
    for i in range(1, steps + 1):
        f, g = rosenbrock(x)
        if (i - 1) % every == 0:
            fx.append(f)
        x = ref(x, g, state, dict(config))
    return x, fx


def first_order_script(name, config, state=None):
    """test_<name>.lua lines 7-16: 10001 calls, the loss kept every 1000th."""
    x = lg.Tensor(2).fill(0)
    fx = []
    for i in range(1, 10001 + 1):
        if state is None:
            x, f = getattr(optim, name)(rosenbrock, x, config)
        else:
            x, f = getattr(optim, name)(rosenbrock, x, config, state)
        if (i - 1) % 1000 == 0:
            fx.append(f[0])
    return x, fx


def check_printed(x, fx, ref, config, atol):
    """What the script prints: x near the optimum (1, 1) and the table of losses, which starts at
    f(0, 0) = 1 and follows the Lua rule's own trajectory."""
    assert len(fx) == 11 and fx[0] == 1.0
    np.testing.assert_allclose(x.array, [1, 1], atol=atol)
    ref_x, ref_fx = reference_run(ref, config, 10001)
    np.testing.assert_allclose(x.array, ref_x, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fx, ref_fx, rtol=1e-5, atol=1e-12)


def test_adadelta():
    """test/test_adadelta.lua lines 7-23, with a state table apart from the config."""
    state = {}
    config = {'eps': 1e-10}
    x, fx = first_order_script('adadelta', config, state)
    # ADADELTA's first steps are eps-sized: 10001 steps bring it within 1e-2 of the optimum
    check_printed(x, fx, ref_adadelta, {'eps': 1e-10}, atol=2e-2)
    assert fx[-1] < 1e-4 and state['evalCounter'] == 10001 and 'evalCounter' not in config


def test_adagrad():
    """test/test_adagrad.lua lines 7-23."""
    config = {'learningRate': 1e-1}
    x, fx = first_order_script('adagrad', config)
    check_printed(x, fx, ref_adagrad, {'learningRate': 1e-1}, atol=1e-4)
    assert fx[-1] < 1e-8


def test_adam():
    """test/test_adam.lua lines 5-19."""
    config = {'learningRate': 0.002}
    x, fx = first_order_script('adam', config)
    check_printed(x, fx, ref_adam, {'learningRate': 0.002}, atol=1e-6)


def test_adamax():
    """test/test_adamax.lua lines 7-23: the defaults (config = {}), a state table apart."""
    state = {}
    config = {}
    x, fx = first_order_script('adamax', config, state)
    check_printed(x, fx, ref_adamax, {}, atol=1e-6)
    assert state['t'] == 10001


def test_rmsprop():
    """test/test_rmsprop.lua lines 7-23: with learningRate 5e-4 RMSprop settles on a cycle around the optimum
    (its printed losses stop falling at about 6e-5, as the reference's do)."""
    config = {'learningRate': 5e-4}
    x, fx = first_order_script('rmsprop', config)
    check_printed(x, fx, ref_rmsprop, {'learningRate': 5e-4}, atol=1e-3)
    assert fx[-1] < 1e-4


def test_sgd():
    """test/test_sgd.lua lines 7-23: plain gradient descent, x <- x - 1e-3 df/dx, still creeping up the valley."""
    config = {'learningRate': 1e-3}
    x, fx = first_order_script('sgd', config)
    check_printed(x, fx, ref_sgd, {'learningRate': 1e-3}, atol=2e-2)
    assert all(b < a for a, b in zip(fx, fx[1:]))     # descent: every printed loss below the one before


def test_cg():
    """test/test_cg.lua lines 8-17: compare with Rasmussen's minimize.m example (its Rosenbrock run from 0)."""
    x = lg.Tensor(2).fill(0)
    x, fx, i = optim.cg(rosenbrock, x, {'maxIter': 50})
    rx, rfx, ri = ref_cg(rosenbrock, np.zeros(2), 50 * 1.25, max_iter=50)
    assert i == ri and fx[0] == 1.0
    np.testing.assert_allclose(fx, rfx, rtol=1e-9)
    np.testing.assert_allclose(x.array, [1, 1], atol=1e-6)
    assert all(b < a for a, b in zip(fx, fx[1:]))     # one entry per successful line search, each lower


def test_lbfgs():
    """test/test_lbfgs.lua lines 7-38: a batch call of 100 iterations, then 100 one-iteration calls sharing the
    config as their state; both reach the same point, the one the Lua rule's iterates reach."""
    # --- regular batch test ---
    x = lg.Tensor(2).fill(0)
    x, fx, i = optim.lbfgs(rosenbrock, x, {'maxIter': 100, 'learningRate': 1e-1})
    assert i == 100 and len(fx) == 100 and fx[0] == 1.0
    np.testing.assert_allclose(x.array, [1, 1], atol=1e-3)
    batch = x.clone()

    # --- stochastic test ---
    x = lg.Tensor(2).fill(0)
    fx = []
    config = {'learningRate': 1e-1, 'maxIter': 1}
    for i in range(1, 100 + 1):
        x, f, *_ = optim.lbfgs(rosenbrock, x, config)     # Lua's `x,f=` drops the evaluation count
        fx.append(f[0])
    ref = ref_lbfgs_run(rosenbrock, np.zeros(2), 100, lr=1e-1)
    np.testing.assert_allclose(x.array, ref[-1], rtol=1e-8)
    np.testing.assert_allclose(fx[1:], [rosenbrock(p)[0] for p in ref[:-1]], rtol=1e-8)
    np.testing.assert_allclose(x.array, batch.array, rtol=1e-12)
    assert fx[-1] < 1e-6


def test_lbfgs_w_ls():
    """test/test_lbfgs_w_ls.lua lines 9-18: with optim.lswolfe the Wolfe line search reaches (1, 1) in far
    fewer than maxIter iterations."""
    x = lg.Tensor(2).fill(0)
    x, fx, i = optim.lbfgs(rosenbrock, x, {'maxIter': 100, 'lineSearch': optim.lswolfe})
    np.testing.assert_allclose(x.array, [1, 1], atol=1e-5)
    assert fx[0] == 1.0 and fx[-1] < 1e-10 and len(fx) < 50 and i >= len(fx)
    # the Lua rule's iterates (lbfgs.lua with lswolfe.lua), one loss per iteration after the first
    ref = ref_lbfgs_run(rosenbrock, np.zeros(2), 100, lr=1.0, line_search=True)
    assert len(fx) == len(ref) + 1
    np.testing.assert_allclose(fx[1:], [rosenbrock(p)[0] for p in ref], rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(x.array, ref[-1], rtol=1e-10)


def test_cmaes():
    """test/test_cmaes.lua lines 8-21: 10-D Rosenbrock, "approx 6500 function evals expected": CMA-ES stops on
    its own tolerances well inside maxEval=10000."""
    lg.manualSeed(1)     # the script leaves the seed alone; fixed here so that the count is reproducible
    # 10-D rosenbrock
    x = lg.Tensor(10).fill(0)
    config = {'maxEval': 10000, 'sigma': 0.5, 'verb_disp': 0}
    x, fx, i = optim.cmaes(rosenbrock, x, config)
    assert 3000 < i < 10000
    np.testing.assert_allclose(x.array, np.ones(10), atol=1e-5)
    assert fx[0] == 9.0 and fx[-1] < 1e-10


def test_de():
    """test/test_de.lua lines 9-22: maxFEs=3000 evaluations, every one of which the script prints."""
    lg.manualSeed(1)     # de.lua seeds a generator of its own with 1; legonn's draws from the global one
    x = lg.Tensor(2).fill(0)
    config = {'popsize': 50, 'scaleFactor': 0.5, 'crossoverRate': 0.9, 'maxFEs': 3000}
    x, fx = optim.de(rosenbrock, x, config)
    assert len(fx) == config['maxFEs']
    for i in range(config['maxFEs']):
        assert fx[i] >= 0     # each is a Rosenbrock value
    np.testing.assert_allclose(x.array, [1, 1], atol=1e-6)
    assert rosenbrock(x)[0] == min(fx) < 1e-12


def FistaL1(D, params=None):
    """test/sparsecoding.lua lines 17-126: ``optim.FistaL1``, the L1 sparse coder ||Dx - b||^2 + lambda ||x||_1
    built on ``optim.FistaLS`` (the script adds it to optim; here it is the test's own)."""
    # this is for keeping parameters related to fista algorithm
    params = params if params is not None else {}
    # this is for temporary variables and such
    fista = {}

    # related to FISTA
    params.setdefault('L', 0.1)
    params.setdefault('Lstep', 1.5)
    params.setdefault('maxiter', 50)
    params.setdefault('maxline', 20)
    params.setdefault('errthres', 1e-4)

    # temporary stuff that might be good to keep around
    fista['reconstruction'] = lg.Tensor()
    fista['gradf'] = lg.Tensor()
    fista['gradg'] = lg.Tensor()
    fista['code'] = lg.Tensor()

    # these will be assigned in run(x)
    fista['input'] = None
    fista['lambda'] = None

    # smooth function
    def f(x, mode=None):
        reconstruction = fista['reconstruction']
        input = fista['input']
        # function evaluation
        if x.dim() == 1:
            reconstruction.resize(D.size(0))
            reconstruction.addmv(0, 1, D, x)
        elif x.dim() == 2:      # the Lua's `x:dim(2)` (always true): the batch case
            reconstruction.resize(x.size(0), D.size(0))
            reconstruction.addmm(0, 1, x, D.t())
        fval = input.dist(reconstruction) ** 2

        # derivative calculation
        if mode and 'dx' in mode:
            gradf = fista['gradf']
            reconstruction.add(-1, input).mul(2)
            gradf.resizeAs(x)
            if input.dim() == 1:
                gradf.addmv(0, 1, D.t(), reconstruction)
            else:
                gradf.addmm(0, 1, reconstruction, D)
            # return function value and derivative
            return fval, gradf, reconstruction

        # return function value
        return fval, reconstruction
    fista['f'] = f

    # non-smooth function L1 (the Lua's dx branch tests an undefined `mod`: it never runs, and is left out)
    def g(x):
        return fista['lambda'] * x.norm(1)
    fista['g'] = g

    # argmin_x Q(x,y), just shrinkage for L1: kex's x:shrinkage(l), soft shrinkage in place, which legonn
    # spells as nn.SoftShrink's output copied back
    def pl(x, L):
        x.copy(nn.SoftShrink(fista['lambda'] / L).forward(x))
    fista['pl'] = pl

    def run(x, lam, codeinit=None):
        code = fista['code']
        fista['input'] = x
        fista['lambda'] = lam

        # resize code, maybe a different number of dimensions; fill with zeros, initial point
        if codeinit is not None:
            code.resizeAs(codeinit)
            code.copy(codeinit)
        else:
            if x.dim() == 1:
                code.resize(D.size(1))
            elif x.dim() == 2:
                code.resize(x.size(0), D.size(1))
            else:
                raise ValueError(' I do not know how to handle ' + str(x.dim()) + ' dimensional input')
            code.fill(0)
        # return the result of unsup.FistaLS call.
        return optim.FistaLS(fista['f'], fista['g'], fista['pl'], fista['code'], params)
    fista['run'] = run

    return fista


def gettableval(tt, v):
    """test/test_fista.lua lines 10-14."""
    x = lg.Tensor(len(tt))
    for i in range(len(tt)):
        x[i] = tt[i][v]
    return x


@pytest.mark.parametrize('dofista', [True, False], ids=['fista', 'ista'])
def test_fista(dofista, tmp_path):
    """test/test_fista.lua lines 29-94, run once for FISTA and once for ISTA (the script toggles the global
    ``dofista`` on each run and plots the two histories it saved, lines 15-27). The two gnuplot windows are
    drawn as SVG files, and what they show is asserted: FISTA's code picks the dictionary atoms mixed into x,
    and the reconstruction error in the title is small."""
    seed = 123
    lg.manualSeed(seed)
    nc = 3
    ni = 30
    no = 100
    x = lg.Tensor(ni).zero()
    # `unsup.LinearFistaL1(ni,no,0.1)` only draws random numbers "to make sure random init stays same" as
    # unsup's own test; unsup is not part of legonn, and nothing here compares with those numbers

    fistaparams = {}
    fistaparams['doFistaUpdate'] = dofista
    fistaparams['maxline'] = 10
    fistaparams['maxiter'] = 200
    fistaparams['verbose'] = True

    D = lg.randn(ni, no)
    for i in range(D.size(1)):
        D.select(1, i).div(D.select(1, i).std() + 1e-12)

    mixi = lg.Tensor(nc)
    mixj = lg.Tensor(nc)
    random.seed(seed)    # math.randomseed(seed): Lua's own generator is Python's random (docs/porting.md)
    for i in range(nc):
        ii = random.randint(1, no)
        cc = lg.uniform(0, 1 / nc)
        mixi[i] = ii
        mixj[i] = cc
        x.add(cc, D.select(1, ii - 1))    # ii is the 1-based atom number the script plots

    fista = FistaL1(D, fistaparams)
    code, h = fista['run'](x, 0.1)
    rec = fista['reconstruction']

    # the script's gnuplot windows, as SVG files so that the test can read them (a screen figure shows
    # nothing without the gnuplot program)
    gnuplot.svgfigure(str(tmp_path / 'figure1.svg'), 1)
    gnuplot.plot(['data', mixi, mixj, '+'], ['code', lg.linspace(1, no, no), code, '+'])
    gnuplot.title('Fista = ' + str(fistaparams['doFistaUpdate']).lower())

    gnuplot.svgfigure(str(tmp_path / 'figure2.svg'), 2)
    gnuplot.plot(['input', lg.linspace(1, ni, ni), x, '+-'], ['reconstruction', lg.linspace(1, ni, ni), rec, '+-'])
    gnuplot.title('Reconstruction Error : ' + str(x.dist(rec)) + ' ' + 'Fista = '
                  + str(fistaparams['doFistaUpdate']).lower())
    gnuplot.close(1)
    gnuplot.close(2)
    for n, names in ((1, ('data', 'code')), (2, ('input', 'reconstruction'))):
        svg = (tmp_path / f'figure{n}.svg').read_text()
        assert all(name in svg for name in names) and 'Fista = ' + str(dofista).lower() in svg

    # figure 1: the data (atoms mixi with weights mixj) and the code; FISTA's largest coefficients are the
    # mixed atoms. ISTA stops earlier (errthres 1e-4 between iterations) with its code not yet settled:
    # test_fista_converges_faster_than_ista compares the two
    if dofista:
        atoms = sorted({int(v) - 1 for v in mixi.array})
        big = np.argsort(-np.abs(code.array))[:len(atoms)]
        assert sorted(big.tolist()) == atoms
        assert (np.abs(code.array) > 1e-6).sum() < no // 4          # sparse
    # figure 2's title: 'Reconstruction Error : ' .. x:dist(rec)
    assert x.dist(rec) < 0.3 * x.norm()

    fname = 'fista2.bin' if dofista else 'ista2.bin'
    # torch.DiskFile(fname,'w'):binary():writeObject(h) is lg.save (docs/porting.md's DiskFile row)
    lg.save(str(tmp_path / fname), h)
    # doplots' reading back of the history (lines 17-23) and its curve of F
    hback = lg.load(str(tmp_path / fname))
    F = gettableval(hback, 'F')
    np.testing.assert_allclose(F.array, [e['F'] for e in h])
    assert F[F.size(0) - 1] < F[0] and len(h) <= fistaparams['maxiter']


def test_fista_converges_faster_than_ista():
    """What test_fista.lua's doplots compares: the FISTA curve of F falls below ISTA's at the same iteration."""
    histories = {}
    for dofista in (True, False):
        lg.manualSeed(123)
        D = lg.randn(30, 100)
        for i in range(D.size(1)):
            D.select(1, i).div(D.select(1, i).std() + 1e-12)
        x = D.select(1, 4) * 0.2 + D.select(1, 50) * 0.3
        fista = FistaL1(D, {'doFistaUpdate': dofista, 'maxline': 10, 'maxiter': 200, 'errthres': 1e-9})
        _, h = fista['run'](x, 0.1)
        histories[dofista] = [e['F'] for e in h]
    n = min(len(histories[True]), len(histories[False]), 40)
    assert histories[True][n - 1] < histories[False][n - 1]


def test_confusion():
    """test/test_confusion.lua lines 4-39. Class indices are 0-based: the script's target 3 is 2, its
    randperm(8) targets are 0..7, and its missing target 0 (non-positive targets are skipped) is -1."""
    n_feature = 3
    classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]

    # ConfusionMatrix:__init() test
    cm = optim.ConfusionMatrix(len(classes), classes)

    target = 2
    prediction = lg.randn(len(classes))

    # ConfusionMatrix:add() test
    cm.add(prediction, target)
    cm.add(prediction, lg.randn(len(classes)))

    batch_size = 8

    targets = lg.randperm(batch_size)
    predictions = lg.randn(batch_size, len(classes))

    # ConfusionMatrix:batchAdd() test
    cm.batchAdd(predictions, targets)
    assert cm.mat.sum() == batch_size + 2, 'missing examples'

    # ConfusionMatrix:updateValids() test
    cm.updateValids()

    # ConfusionMatrix:__tostring__() test
    text = str(cm)
    assert 'ConfusionMatrix' in text and 'global correct' in text

    target = -1
    cm.add(prediction, target)
    assert cm.mat.sum() == batch_size + 2, 'too many examples'

    # FAR/FRR testing on identify matrix. FRR/FAR should be zero for identity.
    cm.mat = lg.eye(len(classes), len(classes))
    classFrrs, classFars, frrs, fars = cm.farFrr()
    assert classFrrs.sum() + classFars.sum() == 0, "Incorrect values"
    assert n_feature == 3     # the script's unused n_feature, kept as it is written


def test_logger(tmp_path, monkeypatch):
    """test/test_logger.lua lines 4-18: a Logger fed dicts (its columns named by the first) beside one named by
    setNames and fed lists; both write the same rows and plot three curves."""
    monkeypatch.chdir(tmp_path)
    logger_former = optim.Logger('accuracy-former.log')
    logger_new = optim.Logger('accuracy-new.log')

    logger_new.setNames(['channel 1', 'channel 2', 'channel 3'])

    for i in range(1, 20 + 1):
        logger_former.add({'channel 1': 1, 'channel 2': 0.1 * i, 'channel 3': 1 - 0.2 * i})
        logger_new.add([1, 0.1 * i, 1 - 0.2 * i])

    logger_former.style({'channel 1': '-', 'channel 2': '-', 'channel 3': '-'})
    logger_new.style(['-', '-', '-'])

    former_plot = logger_former.plot()
    new_plot = logger_new.plot()

    logger_former.close()
    logger_new.close()
    former = (tmp_path / 'accuracy-former.log').read_text().splitlines()
    new = (tmp_path / 'accuracy-new.log').read_text().splitlines()
    assert former == new and len(new) == 21
    assert new[0].split('\t')[:3] == ['channel 1', 'channel 2', 'channel 3']
    assert [float(v) for v in new[20].split('\t')[:3]] == pytest.approx([1, 2.0, 1 - 0.2 * 20])
    for path in (former_plot, new_plot):
        svg = open(path).read()
        assert svg.count('<polyline') == 3     # three '-' curves
    assert logger_new.styles == {'channel 1': ['-'], 'channel 2': ['-'], 'channel 3': ['-']}
    assert math.isclose(logger_former.symbols['channel 3'][-1], -3.0)
