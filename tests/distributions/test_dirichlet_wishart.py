"""testDirichlet.lua, testGamma.lua (which tests distributions.wishart, as the Lua's), testWishart.lua and
testNormalWishart.lua. The Lua's ``tester:assert(value)`` only checks that a value came back; each such test here
also checks the value against a formula computed another way, so that a wrong number fails."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import distributions

from .conftest import almost


def spd(D):
    V = lg.randn(D, D)
    return V @ V.t()   # the Lua's V * V:t(), a matrix product


# -- testDirichlet.lua

def test_dirichletRnd():
    alpha = lg.Tensor([0.2, 1.0, 3.0])
    x = distributions.dir.rnd(alpha)
    assert x.type() == 'torch.DoubleTensor' and tuple(x.size()) == (3,)
    assert almost(float(x.sum()), 1, 1e-12) and bool((x.array >= 0).all())
    # the mean of many draws is alpha / sum(alpha)
    draws = np.stack([distributions.dir.rnd([0.2, 1.0, 3.0]).array for _ in range(4000)])
    np.testing.assert_allclose(draws.mean(0), np.array([0.2, 1.0, 3.0]) / 4.2, atol=0.02)


def test_dirichletPdf():
    alpha = lg.Tensor([0.2, 1.0, 3.0])
    pi = lg.Tensor([0.1, 0.3, 0.6])
    logpdf = distributions.dir.logpdf(pi, alpha)
    a, x = [0.2, 1.0, 3.0], [0.1, 0.3, 0.6]
    want = (sum((ai - 1) * math.log(xi) for ai, xi in zip(a, x)) - sum(math.lgamma(ai) for ai in a)
            + math.lgamma(sum(a)))
    assert almost(logpdf, want, 1e-13)
    assert almost(distributions.dir.pdf(pi, alpha), math.exp(want), 1e-13)


def test_dirichletEntropy():
    # Dir(1, 1) is uniform on the segment, of entropy 0 (log of its volume 1/Gamma(2) = 1)
    assert almost(distributions.dir.entropy(lg.Tensor([1.0, 1.0])), 0, 1e-15)
    # Dir(1, 1, 1): uniform on the simplex of volume 1/2: entropy log(1/2)
    assert almost(distributions.dir.entropy(lg.Tensor([1.0, 1.0, 1.0])), math.log(0.5), 1e-15)
    assert math.isfinite(distributions.dir.entropy(lg.Tensor([0.2, 1.0, 3.0])))


def test_dirichletKL():
    p = {'alpha': lg.Tensor([0.2, 1.0, 3.0])}
    q = {'alpha': lg.Tensor([0.6, 0.2, 1.5])}
    assert distributions.dir.kl(q, p) >= 0
    assert distributions.dir.kl(p, q) >= 0
    assert almost(distributions.dir.kl(p, p), 0, 1e-12)
    assert almost(distributions.dir.kl(q, q), 0, 1e-12)
    # a Monte Carlo estimate of E_q[log q - log p] agrees
    draws = [distributions.dir.rnd(q['alpha']) for _ in range(3000)]
    est = np.mean([distributions.dir.logpdf(x, q['alpha']) - distributions.dir.logpdf(x, p['alpha'])
                   for x in draws])
    assert abs(est - distributions.dir.kl(q, p)) < 0.1 * distributions.dir.kl(q, p)


# -- testWishart.lua, testGamma.lua

def test_wishartPdf():
    D = 5
    nu = D + 10
    V = spd(D)
    prec = spd(D)
    logpdf = distributions.wishart.logpdf(prec, nu, V)
    assert almost(distributions.wishart.pdf(prec, nu, V), math.exp(logpdf), 1e-300)
    # the density by its formula, with NumPy's log-determinants and the multivariate gamma by hand
    _, ld_x = np.linalg.slogdet(prec.array)
    _, ld_v = np.linalg.slogdet(V.array)
    lmvgam = D * (D - 1) / 4 * math.log(math.pi) + sum(math.lgamma(nu / 2 + (1 - j) / 2) for j in range(1, D + 1))
    want = ((nu - D - 1) / 2 * ld_x - np.trace(np.linalg.solve(V.array, prec.array)) / 2
            - nu * D / 2 * math.log(2) - nu / 2 * ld_v - lmvgam)
    assert almost(logpdf, want, 1e-9 * abs(want))


def test_wishartRnd():
    D = 5
    nu = D + 10
    V = spd(D)
    W = distributions.wishart.rnd(nu, D, V)
    assert tuple(W.size()) == (D, D) and distributions.util.isposdef(W)
    # E[W] = nu V: the mean of 2000 draws is within a few percent of it
    mean = sum(distributions.wishart.rnd(nu, D, V).array for _ in range(2000)) / 2000
    np.testing.assert_allclose(mean, nu * V.array, atol=0.1 * nu * np.abs(V.array).max())
    assert tuple(distributions.wishart.rnd(nu, D).size()) == (D, D)   # identity scale
    with pytest.raises(ValueError, match='ndof .* must be greater than ndim - 1'):
        distributions.wishart.rnd(3, D, V)


def test_wishartEntropy():
    D = 5
    nu = D + 10
    V = spd(D)
    assert math.isfinite(distributions.wishart.entropy(nu, V))
    # compare 1D case against gamma distribution
    v = lg.randn(1, 1).pow(2)
    assert almost(distributions.wishart.entropy(nu, v),
                  distributions.gamma.entropy({'shape': nu / 2, 'scale': 2 * v[0][0]}), 1e-12)


def test_wishartKL():
    D = 5
    p = {'ndof': D + 10, 'scale': spd(D)}
    q = {'ndof': D + 5, 'scale': spd(D)}
    assert distributions.wishart.kl(p, q) >= 0
    assert distributions.wishart.kl(q, p) >= 0
    assert almost(distributions.wishart.kl(p, p), 0, 1e-12)
    assert almost(distributions.wishart.kl(q, q), 0, 1e-12)
    kl_pq = distributions.wishart.kl(p, q)
    q['inverseScale'] = lg.inverse(q['scale'])
    del q['scale']   # the Lua's q.scale = nil
    assert almost(distributions.wishart.kl(p, q), kl_pq, 1e-9 * kl_pq)
    # compare 1D case against gamma distribution
    p['scale'] = lg.randn(1, 1).pow(2)
    q['scale'] = lg.randn(1, 1).pow(2)
    del q['inverseScale']
    assert almost(distributions.wishart.kl(p, q),
                  distributions.gamma.kl({'shape': p['ndof'] / 2, 'scale': 2 * p['scale'][0][0]},
                                         {'shape': q['ndof'] / 2, 'scale': 2 * q['scale'][0][0]}), 1e-12)


def test_gamma_by_rate_equals_by_scale():
    assert almost(distributions.gamma.entropy({'shape': 3, 'rate': 0.5}),
                  distributions.gamma.entropy({'shape': 3, 'scale': 2}), 1e-15)
    q, p = {'shape': 3, 'scale': 2}, {'shape': 2, 'scale': 0.5}
    for qq in (q, {'shape': 3, 'rate': 0.5}):
        for pp in (p, {'shape': 2, 'rate': 2}):
            assert almost(distributions.gamma.kl(qq, pp), distributions.gamma.kl(q, p), 1e-14)
    # exponential(1) has entropy 1
    assert almost(distributions.gamma.entropy({'shape': 1, 'scale': 1}), 1, 1e-15)
    with pytest.raises(TypeError, match="'shape' and 'scale' or 'rate'"):
        distributions.gamma.entropy({'shape': 1})


# -- testNormalWishart.lua

def test_normalWishartRnd():
    D = 5
    loc = lg.randn(D)
    mean, precision = distributions.nw.rnd(loc, 10, spd(D), D + 10)
    assert tuple(mean.size()) == (D,) and tuple(precision.size()) == (D, D)
    assert distributions.util.isposdef(precision)


def test_normalWishartPdf():
    D = 5
    loc, beta, nu, V = lg.randn(D), 10, D + 10, spd(D)
    mean = lg.randn(D)
    prec = spd(D)
    logpdf = distributions.nw.logpdf(mean, prec, loc, beta, V, nu)
    want = distributions.mvn.logpdf(mean, loc, lg.inverse(prec * beta)) + distributions.wishart.logpdf(prec, nu, V)
    assert almost(logpdf, want, 1e-12 * abs(want))
    assert almost(distributions.nw.pdf(mean, prec, loc, beta, V, nu), math.exp(logpdf), 1e-300)


def test_normalWishartEntropy():
    D = 5
    loc, V, nu = lg.randn(D), spd(D), D + 10
    h = distributions.nw.entropy(loc, 10, V, nu)
    # the beta-dependence: -D log(beta) / 2
    assert almost(distributions.nw.entropy(loc, 20, V, nu) - h, -D * math.log(2) / 2, 1e-12)


def test_normalWishartKL():
    D = 5
    p = {'loc': lg.randn(D), 'ndof': D + 5, 'scale': spd(D), 'beta': 3}
    q = {'loc': lg.randn(D), 'ndof': D + 10, 'scale': spd(D), 'beta': 5}
    assert distributions.nw.kl(p, q) >= 0
    assert distributions.nw.kl(q, p) >= 0
    assert almost(distributions.nw.kl(p, p), 0, 1e-12)
    assert almost(distributions.nw.kl(q, q), 0, 1e-12)


@pytest.mark.gpu
def test_cuda():
    pytest.importorskip('cupy')
    alpha = lg.Tensor([0.2, 1.0, 3.0])
    x = distributions.dir.rnd(alpha.cuda())
    assert x._cuda and almost(float(x.double().sum()), 1, 1e-6)
    pi = lg.Tensor([0.1, 0.3, 0.6])
    assert almost(distributions.dir.logpdf(pi.cuda(), alpha.cuda()), distributions.dir.logpdf(pi, alpha), 1e-5)
    assert almost(distributions.dir.entropy(alpha.cuda()), distributions.dir.entropy(alpha), 1e-5)
    V = spd(3)
    W = distributions.wishart.rnd(8, 3, V.cuda())
    assert W._cuda
    assert almost(distributions.wishart.entropy(8, V.cuda()), distributions.wishart.entropy(8, V),
                  1e-4 * abs(distributions.wishart.entropy(8, V)))
    assert almost(distributions.wishart.logpdf(V.cuda(), 8, V.cuda()), distributions.wishart.logpdf(V, 8, V), 1e-3)


def test_bad_arguments_name_the_function_and_what_came():
    with pytest.raises(ValueError, match=r'distributions\.wishart\.logpdf: expected X as a 3 x 3 matrix, got '
                                         r'legonn\.DoubleTensor of size \(2, 2\)'):
        distributions.wishart.logpdf(lg.eye(2), 5, lg.eye(3))
    with pytest.raises(ValueError, match=r'distributions\.wishart\.entropy: scale must be positive definite'):
        distributions.wishart.entropy(5, -lg.eye(2))
    with pytest.raises(TypeError, match=r"distributions\.dir\.kl: expected q as a table \(dict\) with the tensor"):
        distributions.dir.kl([1, 2], {'alpha': lg.ones(2)})
    with pytest.raises(TypeError, match=r'distributions\.mvn\.logpdf: expected mu as a tensor, a number or a list '
                                        r'of numbers, got str'):
        distributions.mvn.logpdf(lg.zeros(2), 'zero', lg.eye(2))
    with pytest.raises(ValueError, match=r'distributions\.mvn\.logpdf: x and mu should have the same number of rows'):
        distributions.mvn.logpdf(lg.zeros(3, 2), lg.zeros(2, 2), lg.eye(2))
    with pytest.raises(TypeError, match=r'distributions\.cat\.rnd: expected p as a tensor, got list'):
        distributions.cat.rnd(3, [0.5, 0.5])
    with pytest.raises(TypeError, match=r'distributions\.mvcat\.rnd: requires a matrix of probabilities'):
        distributions.mvcat.rnd(3, lg.ones(3))
    with pytest.raises(TypeError, match=r'distributions\.chi2Uniform: expected tensor of samples'):
        distributions.chi2Uniform([0.5])
    with pytest.raises(ValueError, match=r'distributions\.chi2Uniform: tensor of samples should have only one '
                                         r'dimension, got 2D'):
        distributions.chi2Uniform(lg.rand(4, 1))


def test_lists_become_default_type_tensors():
    # the Lua's torch.Tensor(x) of a table: a tensor of the default type
    s = distributions.mvn.rnd([0, 0], [[1, 0], [0, 1]])
    assert s.type() == 'torch.DoubleTensor' and tuple(s.size()) == (2,)
    assert almost(distributions.mvn.pdf([0, 0], [0, 0], [1, 1]), 1 / (2 * math.pi), 1e-15)


@pytest.mark.gpu
def test_cpu_and_cuda_tensors_in_one_call_are_refused():
    pytest.importorskip('cupy')
    with pytest.raises(TypeError, match='tensors on the CPU and on the GPU mixed in one call'):
        distributions.dir.logpdf(lg.Tensor([0.5, 0.5]), lg.Tensor([1, 2]).cuda())
    with pytest.raises(TypeError, match='tensors on the CPU and on the GPU mixed in one call'):
        distributions.norm.pdf(lg.zeros(2), lg.zeros(2).cuda(), 1)


def test_potrf_reads_the_upper_triangle_as_torch7():
    # util.lua's isposdef and logdet, mvn.logpdf: torch.potrf(m), whose default uplo 'U' makes LAPACK read only the
    # upper triangle (torch7 lib/TH/generic/THTensorLapack.c:590-612); the lower one is ignored
    m = lg.DoubleTensor([[2.0, 0.0], [1.5, 2.0]])   # upper: 2 I (positive definite), det 4
    assert distributions.util.isposdef(m)
    assert abs(distributions.util.logdet(m) - math.log(4.0)) < 1e-15
    assert distributions.util.isposdef(lg.DoubleTensor([[1.0, 0.0], [5.0, 1.0]]))
    assert not distributions.util.isposdef(lg.DoubleTensor([[1.0, 5.0], [0.0, 1.0]]))
    # N(x; 0, [[2, .5], [.5, 1]]) from a sigma whose lower triangle is zero: det 1.75,
    # inverse [[1, -.5], [-.5, 2]] / 1.75
    x = lg.DoubleTensor([0.3, -0.7])
    quad = (0.09 * 1 - 2 * 0.5 * 0.3 * -0.7 + 0.49 * 2) / 1.75
    want = -0.5 * quad - math.log(2 * math.pi) - 0.5 * math.log(1.75)
    got = distributions.mvn.logpdf(x, lg.DoubleTensor([0.0, 0.0]), lg.DoubleTensor([[2.0, 0.5], [0.0, 1.0]]))
    assert abs(got - want) < 1e-14
