"""legonn.distributions (torch-distributions and the torch-cephes functions it calls) against torch.distributions
and torch.special, in float64.

Each case evaluates a legonn density, CDF, quantile, entropy, KL divergence or Cephes function and PyTorch's
counterpart on the same seeded values (numbers, contiguous and strided DoubleTensors, batches of points) and
compares them to about 1e-12 relative. Where torch-distributions / torch-cephes (the contract) compute other
numbers than PyTorch (Cephes' domain answers, the Lua's formulas at their edges), the case asserts that the
difference is exactly the one the Lua or C source gives, citing both. What PyTorch has no counterpart for is
computed here from the Lua's formula (the Normal-Wishart density and the Wishart KL through PyTorch's pieces,
chi2Uniform / chi2Gaussian / ksone / kstwo from kstest.lua's and chi2test.lua's loops); samplers are checked for
their deterministic facts only (sizes, supports, a seed repeats).

Skipped where torch is not installed (CI): this file is the project's audit, run where it is.
"""
import math

import numpy as np
import pytest

torch = pytest.importorskip('torch')
TD = torch.distributions

import legonn as lg  # noqa: E402
from legonn import distributions  # noqa: E402
from legonn.distributions import cephes  # noqa: E402

RTOL, ATOL = 1e-12, 1e-14
MAXNUM = float(np.finfo(np.float64).max)   # torch-cephes cmath/const.c's MAXNUM


def rng(seed):
    return np.random.default_rng(seed)


def D(a, noncontig=False):
    """A DoubleTensor of ``a``'s values; with ``noncontig``, legonn's select of every other element of a wider
    tensor holding NaN between them (a read of the wrong element shows)."""
    a = np.asarray(a, dtype=np.float64)
    if not noncontig:
        return lg.from_numpy(a.copy())
    wide = lg.from_numpy(np.stack([a, np.full_like(a, np.nan)], axis=-1))
    t = wide.select(a.ndim, 0)
    assert t.nElement() == 1 or not t.isContiguous()   # one element is contiguous at any stride
    return t


def T(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def close(got, want, rtol=RTOL, atol=ATOL):
    got = got.array if hasattr(got, 'array') else got
    want = want.numpy() if isinstance(want, torch.Tensor) else want
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64),
                               rtol=rtol, atol=atol)


def spd(d, seed):
    """A seeded, well-conditioned symmetric positive definite d x d matrix."""
    a = rng(seed).standard_normal((d, d))
    return a @ a.T + d * np.eye(d)


# ---------------------------------------------------------------------------------------------------------------
# univariate densities and CDFs, element by element

def _points(kind, seed, n=7):
    r = rng(seed)
    if kind == 'real':
        return r.standard_normal(n) * 3
    if kind == 'positive':
        return r.gamma(2.0, 2.0, n) + 1e-3
    return np.floor(r.gamma(3.0, 2.0, n))   # counts


UNIVARIATE = [
    # legonn.distributions' table, its parameters, PyTorch's distribution of them, the points' kind
    ('norm', (0.7, 1.9), lambda mu, s: TD.Normal(T(mu), T(s)), 'real'),
    ('norm', (-2.0, 0.3), lambda mu, s: TD.Normal(T(mu), T(s)), 'real'),
    ('cauchy', (0.5, 2.5), lambda a, b: TD.Cauchy(T(a), T(b)), 'real'),
    ('cauchy', (-1.0, 0.2), lambda a, b: TD.Cauchy(T(a), T(b)), 'real'),
    ('laplace', (0.3, 1.7), lambda loc, s: TD.Laplace(T(loc), T(s)), 'real'),
    ('laplace', (-4.0, 0.5), lambda loc, s: TD.Laplace(T(loc), T(s)), 'real'),
    ('chi2', (1.0,), lambda k: TD.Chi2(T(k)), 'positive'),
    ('chi2', (3.0,), lambda k: TD.Chi2(T(k)), 'positive'),
    ('chi2', (7.5,), lambda k: TD.Chi2(T(k)), 'positive'),
    ('chi2', (40.0,), lambda k: TD.Chi2(T(k)), 'positive'),
    ('poisson', (0.5,), lambda lam: TD.Poisson(T(lam)), 'count'),
    ('poisson', (4.2,), lambda lam: TD.Poisson(T(lam)), 'count'),
    ('poisson', (30.0,), lambda lam: TD.Poisson(T(lam)), 'count'),
]


def _torch_cdf(name, dist, x):
    if name == 'poisson':   # PyTorch's Poisson has no cdf: P(K <= k) = Q(k + 1, lambda)
        return torch.special.gammaincc(T(np.floor(x) + 1), dist.rate.expand(len(x)))
    return dist.cdf(T(x))


@pytest.mark.parametrize('form', ['number', 'tensor', 'strided'])
@pytest.mark.parametrize('name,params,make,kind', UNIVARIATE,
                         ids=[f'{c[0]}{c[1]}' for c in UNIVARIATE])
def test_univariate_pdf_logpdf_cdf(name, params, make, kind, form):
    mod = getattr(distributions, name)
    x = _points(kind, len(name) * 31 + int(params[0] * 10))
    dist = make(*params)
    want_log = dist.log_prob(T(x))
    want_cdf = _torch_cdf(name, dist, x)
    for fn, want in ((mod.logpdf, want_log), (mod.pdf, want_log.exp()), (mod.cdf, want_cdf)):
        if form == 'number':
            got = np.array([fn(float(v), *params) for v in x])
            assert all(isinstance(fn(float(v), *params), float) for v in x[:2])
        else:
            out = fn(D(x, noncontig=form == 'strided'), *params)
            assert out.type() == 'torch.DoubleTensor'
            got = out.array
        # chi2's cdf against PyTorch's gammainc: see _torch_rtol
        close(got, want, rtol=_torch_rtol(params[0] / 2) if name == 'chi2' and fn is mod.cdf else RTOL)


@pytest.mark.parametrize('form', ['number', 'tensor'])
def test_norm_qtl_against_icdf(form):
    p = np.concatenate([rng(3).uniform(size=9), [1e-300, 1e-12, 0.5, 1 - 1e-12]])
    mu, sigma = 1.5, 0.4
    got = (np.array([distributions.norm.qtl(float(v), mu, sigma) for v in p]) if form == 'number'
           else distributions.norm.qtl(D(p), mu, sigma).array)
    close(got, torch.special.ndtri(T(p)) * sigma + mu, rtol=1e-12)
    # Normal.icdf goes through erfinv(2 p - 1), which loses the tails (-inf at 1e-300): the middle only
    close(got[:9], TD.Normal(T(mu), T(sigma)).icdf(T(p[:9])), rtol=1e-12)


def test_univariate_tensor_parameters_broadcast():
    x = rng(5).standard_normal((3, 4))
    mu, sigma = rng(6).standard_normal(4), rng(7).uniform(0.5, 2, (3, 1))
    close(distributions.norm.logpdf(D(x), D(mu), D(sigma)), TD.Normal(T(mu), T(sigma)).log_prob(T(x)))
    close(distributions.laplace.cdf(D(x, True), D(mu), 1.3), TD.Laplace(T(mu), T(1.3)).cdf(T(x)))
    lam = rng(8).uniform(0.5, 6, 4)
    k = np.floor(rng(9).uniform(0, 9, 4))
    close(distributions.poisson.logpdf(D(k), D(lam)), TD.Poisson(T(lam)).log_prob(T(k)))


# --- Torch7's edges where PyTorch differs -----------------------------------------------------------------------

def test_chi2_cdf_below_one_degree_of_freedom_is_cephes_zero():
    # torch-cephes cprob/chdtr.c:177-181 returns 0 for df < 1 (chi2.lua's cdf is cephes.chdtr(dof, x));
    # PyTorch's Chi2.cdf is the regularised gamma integral P(df/2, x/2) there too
    x = np.array([0.1, 1.0, 5.0])
    assert distributions.chi2.cdf(D(x), 0.5).array.tolist() == [0.0, 0.0, 0.0]
    want = TD.Chi2(T(0.5)).cdf(T(x))
    assert (want > 0.5).all()
    close(cephes.igam(np.full(3, 0.25), x / 2), want)   # the integral itself agrees


def test_chi2_logpdf_at_zero_with_two_dof_is_the_lua_nan():
    # chi2.lua: (dof/2 - 1) * cephes.log(x) is 0 * -inf = NaN at x = 0, dof = 2 (its pdf's math.pow(0, 0) = 1
    # gives 1/2); PyTorch's Chi2.log_prob uses xlogy there: log(1/2)
    assert math.isnan(distributions.chi2.logpdf(0.0, 2))
    assert distributions.chi2.pdf(0.0, 2) == 0.5
    assert float(TD.Chi2(T(2.0)).log_prob(T(0.0))) == pytest.approx(math.log(0.5), rel=1e-15)


def test_poisson_of_a_fraction_and_of_mean_zero():
    # poisson.lua's pdf: cephes.fac of the C int x (1.5 -> 1), its cdf: pdtr of the C int; its logpdf keeps
    # lgam(x + 1) of the fraction, as PyTorch's log_prob does for every x
    lam = 2.0
    assert distributions.poisson.pdf(1.5, lam) == pytest.approx(lam ** 1.5 * math.exp(-lam), rel=1e-15)   # / 1!
    close(distributions.poisson.logpdf(1.5, lam), TD.Poisson(T(lam), validate_args=False).log_prob(T(1.5)))
    assert distributions.poisson.cdf(1.5, lam) == distributions.poisson.cdf(1.0, lam)
    # poisson.lua's logpdf: x * log(lambda) is 0 * -inf = NaN at x = lambda = 0; PyTorch's xlogy gives 0
    assert math.isnan(distributions.poisson.logpdf(0, 0))
    assert float(TD.Poisson(T(0.0), validate_args=False).log_prob(T(0.0))) == 0.0
    # torch-cephes cprob/pdtr.c:160-164: m <= 0 is outside the domain, pdtr returns 0; the limit (and PyTorch's
    # Q(k + 1, 0)) is 1
    assert distributions.poisson.cdf(2, 0) == 0.0
    assert float(torch.special.gammaincc(T(3.0), T(0.0))) == 1.0
    # misc/fac.c:222-232: cephes fac is MAXNUM past 170! and for a negative count, so the Lua's pdf there is
    # lambda^x / MAXNUM exp(-lambda); PyTorch's exp(log_prob): the true mass (0 for a negative count)
    assert distributions.poisson.pdf(180, 2.0) == 2.0 ** 180 / MAXNUM * math.exp(-2.0)
    want = float(TD.Poisson(T(2.0)).log_prob(T(180.0)).exp())
    assert 0 < want < 1e-250 and distributions.poisson.pdf(180, 2.0) / want > 1e20
    assert distributions.poisson.pdf(-1, 2.0) == 0.5 / MAXNUM * math.exp(-2.0)
    assert float(TD.Poisson(T(2.0), validate_args=False).log_prob(T(-1.0)).exp()) == 0.0


def test_norm_qtl_at_zero_and_one_is_cephes_maxnum():
    # torch-cephes cprob/ndtri.c:379-388: -MAXNUM for p <= 0, MAXNUM for p >= 1; PyTorch's icdf: -inf, inf, NaN
    got = [distributions.norm.qtl(p, 0, 1) for p in (0.0, 1.0, -0.5, 1.5)]
    assert got == [-MAXNUM, MAXNUM, -MAXNUM, MAXNUM]
    want = TD.Normal(T(0.0), T(1.0), validate_args=False).icdf(T([0.0, 1.0]))
    assert want.tolist() == [-math.inf, math.inf]


# ---------------------------------------------------------------------------------------------------------------
# the Cephes functions

def test_lgam_erf_digamma():
    x = np.concatenate([rng(11).uniform(0.01, 30, 20), [0.5, 1, 2, 171.5, 1e5, 1e300],
                        -rng(12).uniform(0.01, 40, 8) - 0.5])
    close(cephes.lgam(x), torch.lgamma(T(x)), rtol=1e-13)
    poles = np.array([0.0, -1.0, -7.0, -40.0])
    assert cephes.lgam(poles).tolist() == torch.lgamma(T(poles)).tolist() == [math.inf] * 4
    e = rng(13).standard_normal(30) * 2
    close(cephes.erf(e), torch.erf(T(e)))
    pos = np.concatenate([rng(14).uniform(1e-3, 50, 30), [1e-8, 1, 1e6]])
    close(cephes.digamma(pos, np), torch.digamma(T(pos)), rtol=1e-12, atol=1e-13)
    neg = np.concatenate([-rng(18).uniform(0.01, 30, 20), [-0.5, -2.5, -1e-8, -7.999]])
    close(cephes.digamma(neg, np), torch.digamma(T(neg)), rtol=1e-11, atol=1e-12)
    # at the poles torch-cephes' psi returns MAXNUM (bessel/psi.c:136-141); PyTorch's digamma -inf at 0 and NaN
    # at the negative integers
    assert cephes.digamma(np.array([0.0, -1.0, -6.0])).tolist() == [MAXNUM] * 3
    assert torch.digamma(T([0.0])).tolist() == [-math.inf] and torch.digamma(T([-1.0, -6.0])).isnan().all()


def test_ndtr_and_ndtri():
    x = np.concatenate([rng(15).standard_normal(20) * 3, [0.0, -1.0, 1.5, 8.0]])
    close(cephes.ndtr(x), torch.special.ndtr(T(x)), rtol=1e-13)
    p = np.concatenate([rng(16).uniform(size=20), [1e-300, 1e-20, 1e-5, 0.5, 1 - 1e-10]])
    close(cephes.ndtri(p), torch.special.ndtri(T(p)), rtol=1e-12)
    # the left tail: torch-cephes ndtr is 0.5 erfc(|x| / sqrt 2) there (cprob/ndtr.c:414-431); PyTorch's ndtr
    # (1 + erf) / 2 loses relative accuracy from about x = -5 on and rounds to 0 from about x = -8.4
    tail = np.array([-10.0, -20.0])
    close(cephes.ndtr(tail), [0.5 * math.erfc(10 / math.sqrt(2)), 0.5 * math.erfc(20 / math.sqrt(2))], rtol=1e-14)
    assert torch.special.ndtr(T(tail)).tolist() == [0.0, 0.0]


def _torch_rtol(a):
    """PyTorch's gammainc switches to an asymptotic expansion for large a near x that is good to about 1e-9
    relative (checked against mpmath below); elsewhere it is good to 1e-12 or so."""
    return 2e-9 if a > 20 else 1e-11


@pytest.mark.parametrize('a', [0.05, 0.5, 1.0, 2.5, 10.0, 97.3])
def test_igam_igamc_both_branches(a):
    x = np.concatenate([[1e-10, 0.3, a - 0.5 if a > 0.5 else a / 2, a + 0.99, a + 1.01, a + 3],
                        a * rng(17).uniform(0.1, 3, 8)])
    av = np.full_like(x, a)
    close(cephes.igam(av, x), torch.special.gammainc(T(av), T(x)), rtol=_torch_rtol(a), atol=1e-300)
    close(cephes.igamc(av, x), torch.special.gammaincc(T(av), T(x)), rtol=_torch_rtol(a), atol=1e-300)


def test_igam_near_a_large_against_mpmath():
    mpmath = pytest.importorskip('mpmath')   # PyTorch's own dependency (through sympy)
    a = 97.3
    x = np.array([60.0, 96.8, 98.31, 100.3, 130.0])
    with mpmath.workdps(40):
        want = [float(mpmath.gammainc(a, 0, v, regularized=True)) for v in x]
        want_c = [float(mpmath.gammainc(a, v, mpmath.inf, regularized=True)) for v in x]
    close(cephes.igam(np.full_like(x, a), x), want, rtol=1e-13)
    close(cephes.igamc(np.full_like(x, a), x), want_c, rtol=1e-12)


def test_igam_domain_edges():
    # torch-cephes cprob/igam.c:186-192 tests x == 0 before the domain: igam(a <= 0, 0) = 0; PyTorch: NaN
    assert cephes.igam(np.array([0.0, -1.0]), np.array([0.0, 0.0])).tolist() == [0.0, 0.0]
    assert torch.special.gammainc(T([0.0, -1.0]), T([0.0, 0.0])).isnan().all()
    # igam.c:108-112 and 189-193: a <= 0 is outside the domain, NaN; PyTorch takes a = 0 as the limit, P = 1, Q = 0
    zero_a = (np.array([0.0, 0.0]), np.array([1.0, 5.0]))
    assert np.isnan(cephes.igam(*zero_a)).all() and np.isnan(cephes.igamc(*zero_a)).all()
    assert torch.special.gammainc(*map(T, zero_a)).tolist() == [1.0, 1.0]
    assert torch.special.gammaincc(*map(T, zero_a)).tolist() == [0.0, 0.0]
    # an infinite a or x: Cephes' prefactor a log(x) - x - lgam(a) is inf - inf and its loops return NaN
    # (igam.c:117, 199), so chi2.cdf(inf, k) is NaN in Torch7; PyTorch takes the limits
    inf_args = (np.array([2.0, math.inf]), np.array([math.inf, 2.0]))
    assert np.isnan(cephes.igam(*inf_args)).all() and np.isnan(cephes.igamc(*inf_args)).all()
    assert math.isnan(distributions.chi2.cdf(math.inf, 3))
    assert torch.special.gammainc(*map(T, inf_args)).tolist() == [1.0, 0.0]
    assert torch.special.gammaincc(*map(T, inf_args)).tolist() == [0.0, 1.0]
    # the rest agrees: NaN for x < 0, for a < 0 and for NaN, P(a, 0) = 0, Q(a, 0) = 1
    a, x = np.array([2.0, -1.0, 2.0, 1.5]), np.array([-1.0, 1.0, np.nan, 0.0])
    for ours, theirs in ((cephes.igam, torch.special.gammainc), (cephes.igamc, torch.special.gammaincc)):
        np.testing.assert_array_equal(ours(a, x), theirs(T(a), T(x)).numpy())


def test_chdtr_pdtr_lmvgam():
    df = np.array([1.0, 2.0, 3.0, 9.5, 60.0])
    x = np.array([0.3, 2.0, 7.0, 9.0, 55.0])
    close(cephes.chdtr(df, x), torch.special.gammainc(T(df / 2), T(x / 2)), rtol=_torch_rtol(df.max() / 2))
    k = np.array([0.0, 1.0, 3.7, 10.0, 40.0])
    m = np.array([0.2, 1.0, 2.5, 12.0, 35.0])
    close(cephes.pdtr(k, m), torch.special.gammaincc(T(np.trunc(k) + 1), T(m)), rtol=_torch_rtol(k.max() + 1))
    for a, d in ((3.5, 3), (1.2, 1), (10.25, 5), (2.6, 4)):
        assert cephes.lmvgam(a, d) == pytest.approx(float(torch.special.multigammaln(T(a), d)), rel=1e-13)


# ---------------------------------------------------------------------------------------------------------------
# multivariate Gaussian

MVN_SHAPES = [   # (x rows or None for a vector, mu rows or None, D)
    (None, None, 3), (None, None, 1), (5, None, 4), (None, 6, 2), (4, 4, 3), (1, 5, 3),
]


def _mvn_data(xr, mr, d, seed):
    r = rng(seed)
    x = r.standard_normal((xr, d) if xr else (d,))
    mu = r.standard_normal((mr, d) if mr else (d,))
    return x, mu


def _torch_mvn_logpdf(x, mu, **cov):
    xr, mr = np.atleast_2d(x), np.atleast_2d(mu)
    return TD.MultivariateNormal(T(mr), **cov).log_prob(T(xr))


@pytest.mark.parametrize('noncontig', [False, True])
@pytest.mark.parametrize('cov', ['full', 'diagonal', 'cholesky', 'cholesky-diagonal'])
@pytest.mark.parametrize('xr,mr,d', MVN_SHAPES)
def test_mvn_logpdf_pdf(xr, mr, d, cov, noncontig):
    x, mu = _mvn_data(xr, mr, d, 100 + d + (xr or 0) * 7 + (mr or 0))
    s = spd(d, 200 + d)
    var = rng(300 + d).uniform(0.2, 3.0, d)
    if cov == 'full':
        sigma, options, ref = s, None, dict(covariance_matrix=T(s))
    elif cov == 'diagonal':
        sigma, options, ref = var, None, dict(covariance_matrix=T(np.diag(var)))
    elif cov == 'cholesky':   # the upper factor U, sigma = U^T U (torch.potrf's); PyTorch takes L = U^T
        upper = np.linalg.cholesky(s).T
        sigma, options, ref = upper, {'cholesky': True}, dict(scale_tril=T(upper.T))
    else:   # the vector of standard deviations
        sigma, options, ref = np.sqrt(var), {'cholesky': True}, dict(scale_tril=T(np.diag(np.sqrt(var))))
    want = _torch_mvn_logpdf(x, mu, **ref)
    args = (D(x, noncontig), D(mu, noncontig), D(sigma, noncontig))
    got = distributions.mvn.logpdf(*args, options)
    got_pdf = distributions.mvn.pdf(*args, options)
    if xr is None and mr is None:
        assert isinstance(got, float) and isinstance(got_pdf, float)
        close(got, want[0])
        close(got_pdf, want.exp()[0])
    else:
        assert tuple(got.size()) == (want.shape[0], 1) and got.type() == 'torch.DoubleTensor'
        close(got.array[:, 0], want)
        close(got_pdf.array[:, 0], want.exp())


def test_mvn_logpdf_numbers_and_lists():
    lg.setdefaulttensortype('torch.DoubleTensor')
    try:
        got = distributions.mvn.logpdf([0.3, -1.2], [0.0, 0.5], [[2.0, 0.3], [0.3, 1.0]])
        want = _torch_mvn_logpdf(np.array([0.3, -1.2]), np.array([0.0, 0.5]),
                                 covariance_matrix=T([[2.0, 0.3], [0.3, 1.0]]))
        close(got, want[0])
        close(distributions.mvn.logpdf(0.4, 1.0, 2.5), TD.Normal(T(1.0), T(math.sqrt(2.5))).log_prob(T(0.4)))
    finally:
        lg.setdefaulttensortype('torch.FloatTensor')


@pytest.mark.parametrize('d', [1, 2, 5])
def test_mvn_entropy_and_kl(d):
    sq, sp = spd(d, 400 + d), spd(d, 500 + d)
    mq, mp = rng(600 + d).standard_normal(d), rng(700 + d).standard_normal(d)
    q, p = TD.MultivariateNormal(T(mq), T(sq)), TD.MultivariateNormal(T(mp), T(sp))
    close(distributions.mvn.entropy(D(sq)), q.entropy())
    want = TD.kl_divergence(q, p)
    close(distributions.mvn.kl({'mu': D(mq), 'sigma': D(sq)}, {'mu': D(mp), 'sigma': D(sp)}), want, rtol=1e-11)
    close(distributions.mvn.kl({'mu': D(mq), 'sigma': D(sq)}, {'mu': D(mp), 'lambda': D(np.linalg.inv(sp))}),
          want, rtol=1e-11)


# ---------------------------------------------------------------------------------------------------------------
# Wishart, Normal-Wishart, Dirichlet, gamma

WISHART = [(1, 1.5), (2, 2.0), (3, 3.5), (4, 9.0), (5, 4.2)]


@pytest.mark.parametrize('d,ndof', WISHART)
def test_wishart_logpdf_pdf_entropy(d, ndof):
    scale = spd(d, 800 + d) / d
    X = spd(d, 900 + d) / 2
    ref = TD.Wishart(T(ndof), covariance_matrix=T(scale))
    close(distributions.wishart.logpdf(D(X), ndof, D(scale)), ref.log_prob(T(X)), rtol=1e-11)
    close(distributions.wishart.pdf(D(X), ndof, D(scale)), ref.log_prob(T(X)).exp(), rtol=1e-11)
    close(distributions.wishart.entropy(ndof, D(scale)), ref.entropy(), rtol=1e-11)


def _wishart_kl_reference(nq, Vq, np_, Vp):
    """KL[q || p] = -H(q) - E_q[log p(X)], from PyTorch's Wishart entropy and E_q[X] = nq Vq,
    E_q[log det X] = sum digamma((nq + 1 - i) / 2) + d log 2 + log det Vq."""
    d = Vq.shape[0]
    Vq_t, Vp_t = T(Vq), T(Vp)
    i = torch.arange(1, d + 1, dtype=torch.float64)
    e_logdet = torch.digamma((nq + 1 - i) / 2).sum() + d * math.log(2) + torch.logdet(Vq_t)
    e_logp = ((np_ - d - 1) / 2 * e_logdet - nq * torch.trace(torch.linalg.solve(Vp_t, Vq_t)) / 2
              - np_ * d / 2 * math.log(2) - np_ / 2 * torch.logdet(Vp_t) - torch.special.multigammaln(T(np_ / 2), d))
    return -TD.Wishart(T(nq), covariance_matrix=Vq_t).entropy() - e_logp


@pytest.mark.parametrize('d,ndof', WISHART)
def test_wishart_kl(d, ndof):
    Vq, Vp = spd(d, 1000 + d) / d, spd(d, 1100 + d) / d
    np_ = ndof + 1.3
    want = _wishart_kl_reference(ndof, Vq, np_, Vp)
    q = {'ndof': ndof, 'scale': D(Vq)}
    close(distributions.wishart.kl(q, {'ndof': np_, 'scale': D(Vp)}), want, rtol=1e-10, atol=1e-12)
    close(distributions.wishart.kl(q, {'ndof': np_, 'inverseScale': D(np.linalg.inv(Vp))}), want,
          rtol=1e-10, atol=1e-12)
    assert abs(distributions.wishart.kl(q, {'ndof': ndof, 'scale': D(Vq)})) < 1e-12


@pytest.mark.parametrize('d', [1, 3])
def test_nw_logpdf(d):
    # normalWishart.lua: mvn.logpdf(mean, loc, (beta precision)^-1) + wishart.logpdf(precision, ndof, scale)
    mean, loc = rng(1200 + d).standard_normal(d), rng(1300 + d).standard_normal(d)
    prec, scale = spd(d, 1400 + d) / d, spd(d, 1500 + d) / d
    beta, ndof = 0.7, d + 2.5
    want = (TD.MultivariateNormal(T(loc), precision_matrix=T(beta * prec)).log_prob(T(mean))
            + TD.Wishart(T(ndof), covariance_matrix=T(scale)).log_prob(T(prec)))
    close(distributions.nw.logpdf(D(mean), D(prec), D(loc), beta, D(scale), ndof), want, rtol=1e-11)


@pytest.mark.parametrize('k', [2, 3, 7])
def test_dirichlet(k):
    alpha, beta = rng(1600 + k).uniform(0.3, 5, k), rng(1700 + k).uniform(0.3, 5, k)
    x = rng(1800 + k).dirichlet(alpha)
    q, p = TD.Dirichlet(T(alpha)), TD.Dirichlet(T(beta))
    close(distributions.dir.logpdf(D(x), D(alpha)), q.log_prob(T(x)), rtol=1e-12)
    close(distributions.dir.logpdf(D(x, True), D(alpha, True)), q.log_prob(T(x)), rtol=1e-12)
    close(distributions.dir.pdf(D(x), D(alpha)), q.log_prob(T(x)).exp(), rtol=1e-12)
    close(distributions.dir.entropy(D(alpha)), q.entropy(), rtol=1e-12, atol=1e-13)
    close(distributions.dir.kl({'alpha': D(alpha)}, {'alpha': D(beta)}), TD.kl_divergence(q, p),
          rtol=1e-11, atol=1e-13)


def test_dirichlet_logpdf_at_a_zero_coordinate_of_unit_alpha():
    # dirichlet.lua: torch.log(x):cmul(alpha - 1) is -inf * 0 = NaN for x_i = 0, alpha_i = 1; PyTorch's
    # Dirichlet.log_prob uses xlogy there, 0
    x, alpha = np.array([0.0, 0.4, 0.6]), np.array([1.0, 2.0, 3.0])
    assert math.isnan(distributions.dir.logpdf(D(x), D(alpha)))
    want = TD.Dirichlet(T(alpha), validate_args=False).log_prob(T(x))
    close(want, math.lgamma(6.0) - math.lgamma(2.0) - math.lgamma(3.0) + math.log(0.4) + 2 * math.log(0.6))


GAMMAS = [(0.5, 2.0), (1.0, 1.0), (3.7, 0.25), (12.0, 5.0)]


@pytest.mark.parametrize('shape,scale', GAMMAS)
def test_gamma_entropy_and_kl(shape, scale):
    ref = TD.Gamma(T(shape), T(1 / scale))
    close(distributions.gamma.entropy({'shape': shape, 'scale': scale}), ref.entropy(), atol=1e-13)
    close(distributions.gamma.entropy({'shape': shape, 'rate': 1 / scale}), ref.entropy(), atol=1e-13)
    ps, pr = 2.2, 0.8
    want = TD.kl_divergence(ref, TD.Gamma(T(ps), T(pr)))
    for q in ({'shape': shape, 'scale': scale}, {'shape': shape, 'rate': 1 / scale}):
        for p in ({'shape': ps, 'rate': pr}, {'shape': ps, 'scale': 1 / pr}):
            close(distributions.gamma.kl(q, p), want, rtol=1e-11, atol=1e-13)


# ---------------------------------------------------------------------------------------------------------------
# util

@pytest.mark.parametrize('d', [1, 2, 6])
def test_util_logdet_isposdef(d):
    s = spd(d, 1900 + d)
    assert distributions.util.isposdef(D(s))
    close(distributions.util.logdet(D(s)), torch.logdet(T(s)), rtol=1e-12, atol=1e-13)
    # util.lua's fallback for a matrix that is not positive definite: the sum of the logs of the singular
    # values, log |det|
    a = rng(2000 + d).standard_normal((d, d))
    a = a - (2 * d) * np.eye(d)
    assert not distributions.util.isposdef(D(a))
    assert bool(torch.linalg.cholesky_ex(T(a)).info != 0)
    close(distributions.util.logdet(D(a)), torch.linalg.slogdet(T(a)).logabsdet, rtol=1e-12, atol=1e-13)
    # torch.potrf's default 'U' reads only the upper triangle (THTensorLapack.c:590-612), as PyTorch's
    # cholesky(upper=True): a matrix whose lower triangle is noise factors as its upper one says
    u = s + np.tril(rng(2100 + d).standard_normal((d, d)) * 5, -1)
    upper = torch.linalg.cholesky(T(u), upper=True)
    assert distributions.util.isposdef(D(u))
    close(distributions.util.logdet(D(u)), 2 * upper.diagonal().log().sum(), rtol=1e-12, atol=1e-13)
    x = rng(2200 + d).standard_normal(d)
    close(distributions.mvn.logpdf(D(x), D(np.zeros(d)), D(u)),
          TD.MultivariateNormal(T(np.zeros(d)), scale_tril=upper.T).log_prob(T(x)))


# ---------------------------------------------------------------------------------------------------------------
# goodness-of-fit statistics, from chi2test.lua's and kstest.lua's loops

def _chi2_uniform_reference(v, low, up, nbins):
    counts = torch.histc(T(v), bins=nbins, min=low, max=up)   # [low, up] in nbins equal bins
    expected = len(v) / nbins
    chi2 = float(((expected - counts) ** 2 / expected).sum())
    return float(torch.special.gammaincc(T((nbins - 1) / 2), T(chi2 / 2))), chi2


@pytest.mark.parametrize('n,nbins,low,up', [(200, 10, 0.0, 1.0), (1000, 100, -2.0, 3.0), (37, 7, 1.0, 1.5)])
def test_chi2Uniform(n, nbins, low, up):
    v = rng(n).uniform(low, up, n)
    p, chi2 = distributions.chi2Uniform(D(v), low, up, nbins)
    wp, wchi2 = _chi2_uniform_reference(v, low, up, nbins)
    assert chi2 == pytest.approx(wchi2, rel=1e-12)
    assert p == pytest.approx(wp, rel=_torch_rtol((nbins - 1) / 2), abs=1e-14)


def test_chi2Gaussian():
    v = rng(21).normal(0.5, 2.0, 500)
    p, chi2 = distributions.chi2Gaussian(D(v), 0.5, 2.0, 20)
    u = torch.special.ndtr(T((v - 0.5) / 2.0)).numpy()
    wp, wchi2 = _chi2_uniform_reference(u, 0.0, 1.0, 20)
    assert chi2 == pytest.approx(wchi2, rel=1e-12)
    assert p == pytest.approx(wp, rel=1e-10)


def _qks_lua(z):
    """kstest.lua's qks (its series: exp(-1.2337 / sqrt(z)) and 2 (x - x^4 - x^9) with x = exp(-2 sqrt(z)))."""
    if z == 0:
        return 1
    if z < 1.18:
        y = math.exp(-1.23370055013616983 / math.sqrt(z))
        return 1 - 2.25675833419102515 * math.sqrt(-math.log(y)) * (y + y ** 9 + y ** 25 + y ** 49)
    x = math.exp(-2 * math.sqrt(z))
    return 2 * (x - x ** 4 - x ** 9)


def _kolmogorov_q(z):
    """The Kolmogorov distribution's survival function 2 sum (-1)^(j-1) exp(-2 j^2 z^2)."""
    return 2 * sum((-1) ** (j - 1) * math.exp(-2 * j * j * z * z) for j in range(1, 200))


@pytest.mark.parametrize('n', [5, 40, 300])
def test_ksone(n):
    v = rng(n + 1).normal(0.3, 1.0, n)   # unsorted: ksone sorts
    cdf = TD.Normal(T(0.0), T(1.0)).cdf(T(np.sort(v))).numpy()
    j = np.arange(1, n + 1)
    d = max(np.max(np.abs(j / n - cdf)), np.max(np.abs((j - 1) / n - cdf)))
    p, stat = distributions.ksone(D(v), lambda x: distributions.norm.cdf(x, 0, 1))
    assert stat == pytest.approx(d, rel=1e-12)
    z = (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * d
    assert p == pytest.approx(_qks_lua(z), rel=1e-12, abs=1e-15)


def test_qks_is_the_lua_series_not_kolmogorov():
    # kstest.lua's pks takes exp(-1.2337 / sqrt(z)) where Numerical Recipes' takes / z^2, and its qks has
    # - x^9: the p-values differ from the Kolmogorov distribution's (no PyTorch counterpart; its series here)
    n = 40
    v = rng(41).normal(0.3, 1.0, n)
    p, d = distributions.ksone(D(v), lambda x: distributions.norm.cdf(x, 0, 1))
    z = (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * d
    assert p == pytest.approx(_qks_lua(z), rel=1e-12)
    assert abs(p - _kolmogorov_q(z)) > 1e-3


def _kstwo_lua(a, b):
    """kstest.lua's kstwo walk, 1-based as the Lua (fn = j / n after j is increased)."""
    a, b = [None] + sorted(a), [None] + sorted(b)
    n1, n2 = len(a) - 1, len(b) - 1
    j1 = j2 = 1
    fn1 = fn2 = 0.0
    d = 0.0
    while j1 <= n1 and j2 <= n2:
        d1, d2 = a[j1], b[j2]
        if d1 <= d2:
            while j1 <= n1 and d1 == a[j1]:
                j1 += 1
                fn1 = j1 / n1
        if d2 <= d1:
            while j2 <= n2 and d2 == b[j2]:
                j2 += 1
                fn2 = j2 / n2
        d = max(d, abs(fn2 - fn1))
    en = math.sqrt(n1 * n2 / (n1 + n2))
    return _qks_lua((en + 0.12 + 0.11 / en) * d), d


@pytest.mark.parametrize('n1,n2,ties', [(30, 45, False), (12, 12, True), (3, 50, False)])
def test_kstwo(n1, n2, ties):
    a, b = rng(n1).standard_normal(n1), rng(n2 + 1).standard_normal(n2) + 0.4
    if ties:
        a, b = np.round(a, 1), np.round(b, 1)
    p, d = distributions.kstwo(D(a), D(b))
    wp, wd = _kstwo_lua(a.tolist(), b.tolist())
    assert d == pytest.approx(wd, rel=1e-14) and p == pytest.approx(wp, rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------------------------------------------------------
# samplers: deterministic facts

@pytest.mark.parametrize('cov', ['full', 'diagonal', 'cholesky', 'singular'])
def test_mvn_rnd_colours_the_seeded_normals(cov):
    # multivariateGaussian.lua: mu + z U, z the n x D standard normals drawn first, U = potrf(sigma) (upper), the
    # given factor with cholesky, sqrt of a diagonal, the SVD's S^1/2 V^T for a singular sigma
    from legonn.tensor.random import generator
    d, n = 3, 5
    mu = rng(51).standard_normal(d)
    s = spd(d, 52)
    if cov == 'full':
        sigma, options, colour = s, {}, torch.linalg.cholesky(T(s)).T.numpy()
    elif cov == 'diagonal':
        sigma, options, colour = np.diag(s), {}, np.diag(np.sqrt(np.diag(s)))
    elif cov == 'cholesky':
        sigma, options = np.linalg.cholesky(s).T, {'cholesky': True}
        colour = sigma
    else:   # rank 2, potrf fails: z S^1/2 V^T, whose factor's signs are the SVD's: only C^T C = sigma is fixed
        sigma, options, colour = np.array([[2.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]), {}, None
        assert bool(torch.linalg.cholesky_ex(T(sigma)).info != 0)
    lg.manualSeed(5)
    got = distributions.mvn.rnd(n, D(mu), D(sigma), options)
    lg.manualSeed(5)
    z = generator().standard_normal(size=(n, d))
    if colour is None:
        c = torch.linalg.lstsq(T(z), T(got.array - mu)).solution
        close(c.T @ c, sigma, rtol=1e-10, atol=1e-12)
    else:
        close(got, z @ colour + mu, rtol=1e-12, atol=1e-13)


def test_samplers_sizes_supports_and_seed():
    def draw():
        lg.manualSeed(77)
        return (distributions.mvn.rnd(6, D([0.0, 1.0, 2.0]), D(spd(3, 1))),
                distributions.dir.rnd(D([0.5, 2.0, 3.0, 1.0])),
                distributions.wishart.rnd(5.0, 3, D(spd(3, 2))),
                distributions.cat.rnd(50, D([0.1, 0.0, 0.6, 0.3])),
                distributions.mvcat.rnd(8, D([[0.2, 0.8], [1.0, 0.0], [0.3, 0.7]])))
    mv, dr, wi, ca, mc = draw()
    assert tuple(mv.size()) == (6, 3) and tuple(dr.size()) == (4,) and tuple(wi.size()) == (3, 3)
    assert abs(float(dr.sum()) - 1) < 1e-12 and (dr.array > 0).all()
    assert np.allclose(wi.array, wi.array.T) and bool(torch.linalg.cholesky_ex(T(wi.array)).info == 0)
    assert set(ca.array.tolist()) <= {0, 2, 3} and tuple(mc.size()) == (3, 8)
    assert (mc.array[1] == 0).all()
    again = draw()
    for first, second in zip((mv, dr, wi, ca, mc), again):
        np.testing.assert_array_equal(first.array, second.array)
