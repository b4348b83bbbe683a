"""torch-cephes' answers outside and at the edges of its functions' domains, as its C gives them (the files and
lines cited are torch-cephes' cephes/cprob/*.c), and what torch-distributions computes from them."""
import math
import threading

import numpy as np
import pytest

import legonn as lg
from legonn import distributions
from legonn.distributions import cephes

MAXNUM = 1.79769313486231570815e308   # cmath/const.c


def test_chdtr_is_zero_below_one_degree_of_freedom_and_for_negative_x():
    # chdtr.c:177-181: (x < 0.0) || (df < 1.0) returns 0.0 before igam is called
    assert distributions.chi2.cdf(1.0, 0.5) == 0.0
    assert distributions.chi2.cdf(3.0, 0.999) == 0.0
    assert distributions.chi2.cdf(-1.0, 3) == 0.0
    # one degree of freedom is inside: P(1/2, x/2) = erf(sqrt(x / 2))
    assert abs(distributions.chi2.cdf(1.5, 1) - math.erf(math.sqrt(0.75))) <= 1e-15
    got = distributions.chi2.cdf(lg.DoubleTensor([0.5, 2.0, 7.0]), 0.5)
    assert got.array.tolist() == [0.0, 0.0, 0.0]


def test_chi2Uniform_of_one_bin_has_p_value_one():
    # chi2test.lua: 1 - chdtr(nBins - 1, chi2) with chdtr(0, 0) = 0 (chdtr.c:177)
    p, chi2 = distributions.chi2Uniform(lg.DoubleTensor([0.1, 0.5, 0.7]), 0, 1, 1)
    assert (p, chi2) == (1.0, 0.0)


def test_pdtr_is_zero_for_a_mean_of_zero_or_less():
    # pdtr.c:160-164: (k < 0) || (m <= 0.0) returns 0.0
    assert distributions.poisson.cdf(2, 0) == 0.0
    assert distributions.poisson.cdf(0, -1.5) == 0.0
    got = distributions.poisson.cdf(lg.DoubleTensor([0.0, 1.0, 3.0]), 0)
    assert got.array.tolist() == [0.0, 0.0, 0.0]
    # inside the domain: Q(k + 1, m) = exp(-m) (1 + m) for k = 1
    assert abs(distributions.poisson.cdf(1, 0.5) - math.exp(-0.5) * 1.5) <= 1e-15


def test_igam_and_igamc_domains():
    a = np.array([2.0, 0.0, -1.0, 2.0, 2.0])
    x = np.array([0.0, 0.0, 0.0, -1.0, 0.5])
    # igam.c:186-192: x == 0 gives 0 before the domain test; x < 0 or a <= 0 gives NaN
    got = cephes.igam(a, x)
    assert got[:3].tolist() == [0.0, 0.0, 0.0] and np.isnan(got[3])
    assert abs(got[4] - (1 - math.exp(-0.5) * 1.5)) <= 1e-15
    # igam.c:108-112: x < 0 or a <= 0 gives NaN; x = 0 (a > 0) gives 1 - igam = 1
    got = cephes.igamc(a, x)
    assert got[0] == 1.0 and np.isnan(got[1:4]).all()
    assert abs(got[4] - math.exp(-0.5) * 1.5) <= 1e-15


def test_igam_of_nan_is_nan_and_returns():
    # Cephes' series and fraction stop on NaN (their tests are false) and give NaN; chi2.cdf(nan) looped forever
    out = {}
    worker = threading.Thread(target=lambda: out.update(
        igam=cephes.igam(np.array([2.0, 2.0]), np.array([np.nan, np.nan])),
        igamc=cephes.igamc(np.array([2.0]), np.array([np.nan])),
        cdf=distributions.chi2.cdf(math.nan, 3)), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), 'igam / igamc of NaN did not return'
    assert np.isnan(out['igam']).all() and np.isnan(out['igamc']).all() and math.isnan(out['cdf'])


def test_ndtri_gives_maxnum_outside_the_open_interval():
    # ndtri.c:379-388: y0 <= 0 gives -MAXNUM, y0 >= 1 gives MAXNUM
    got = cephes.ndtri(np.array([0.0, -0.5, 1.0, 2.0, np.nan]))
    assert got[:4].tolist() == [-MAXNUM, -MAXNUM, MAXNUM, MAXNUM] and np.isnan(got[4])
    assert distributions.norm.qtl(0, 0, 1) == -MAXNUM
    assert distributions.norm.qtl(1, 2, 1) == MAXNUM + 2


def test_ndtr_keeps_the_left_tail():
    # ndtr.c:406-431: 0.5 erfc(|x| / sqrt 2) beyond |x| / sqrt 2 >= 1, where 0.5 (1 + erf) rounds to 0
    x = np.array([-30.0, -10.0, -1.5, -0.5, 0.0, 0.5, 1.5, 10.0])
    want = [0.5 * math.erfc(-v / math.sqrt(2)) if v < -math.sqrt(2) else
            1 - 0.5 * math.erfc(v / math.sqrt(2)) if v > math.sqrt(2) else
            0.5 + 0.5 * math.erf(v / math.sqrt(2)) for v in x]
    np.testing.assert_allclose(cephes.ndtr(x), want, rtol=1e-15, atol=0)
    assert 7.6e-24 < cephes.ndtr(np.array(-10.0)) < 7.7e-24


def test_lgam_overflows_to_infinity():
    # gamma.c: x > MAXLGM returns INFINITY (math.lgamma raises OverflowError there)
    assert cephes.lgam(np.array([3e305, 1e308])).tolist() == [math.inf, math.inf]


@pytest.mark.gpu
def test_domains_on_cuda():
    pytest.importorskip('cupy')
    x = lg.DoubleTensor([0.5, 2.0, -1.0]).cuda()
    assert distributions.chi2.cdf(x, 0.5).double().array.tolist() == [0.0, 0.0, 0.0]
    assert distributions.poisson.cdf(x, 0).double().array.tolist() == [0.0, 0.0, 0.0]
    got = distributions.chi2.cdf(x, 3).double().array
    want = [distributions.chi2.cdf(v, 3) for v in (0.5, 2.0, -1.0)]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    p = lg.DoubleTensor([0.0, 1.0]).cuda()   # CudaTensor is float: MAXNUM rounds to infinity
    assert distributions.norm.qtl(p, 0, 1).double().array.tolist() == [-math.inf, math.inf]


def test_digamma_reflects_below_zero_as_cephes_psi():
    # bessel/psi.c:132-141, 198: psi(x) = psi(1 - x) - pi / tan(pi (x - n)) for x <= 0, MAXNUM at 0, -1, -2, ...
    euler = 0.57721566490153286061
    want = [2 - euler - 2 * math.log(2),                          # psi(-1/2) = psi(3/2)
            2 - euler - 2 * math.log(2) + 1 / 1.5,                # psi(-3/2) = psi(-1/2) + 1 / (3/2)
            4 - euler + math.pi / 2 - 3 * math.log(2)]            # psi(-1/4) = psi(5/4) + pi
    np.testing.assert_allclose(cephes.digamma(np.array([-0.5, -1.5, -0.25])), want, rtol=1e-13)
    assert cephes.digamma(np.array([0.0, -3.0])).tolist() == [MAXNUM, MAXNUM]
    np.testing.assert_allclose(cephes.digamma(np.array([0.5, 1.0])), [-euler - 2 * math.log(2), -euler],
                               rtol=1e-14)


@pytest.mark.gpu
def test_digamma_on_cuda():
    pytest.importorskip('cupy')
    t = lg.DoubleTensor([-0.5, -0.25, 0.0, 2.5]).cuda()
    got = cephes.digamma(t.array.astype(np.float64), t.xp)
    want = cephes.digamma(np.array([-0.5, -0.25, 0.0, 2.5]))
    np.testing.assert_allclose(got.get(), want, rtol=1e-6)


def test_poisson_pdf_divides_by_cephes_fac():
    # poisson.lua: cephes.pow(lambda, x) / cephes.fac(x) * cephes.exp(-lambda); misc/fac.c:222-232 returns
    # MAXNUM for a negative count and past 170! (a finite, if meaningless, density where x! would overflow)
    assert distributions.poisson.pdf(-1, 2) == 2.0 ** -1 / MAXNUM * math.exp(-2)
    assert distributions.poisson.pdf(180, 2) == 2.0 ** 180 / MAXNUM * math.exp(-2)
    assert distributions.poisson.pdf(100, 90) == pytest.approx(90.0 ** 100 / math.factorial(100) * math.exp(-90),
                                                               rel=1e-14)
    assert cephes.fac(np.array([0.0, 5.0, 20.0])).tolist() == [1.0, 120.0, 2432902008176640000.0]


def test_chi2_pdf_divides_by_cephes_gamma():
    # chi2.lua: math.pow(x, dof/2 - 1) * exp(-x/2) / (math.pow(2, dof/2) * cephes.gamma(dof/2)): Gamma(-1/2) is
    # -2 sqrt(pi), and cephes gamma(0) is NaN (cprob/gamma.c's gamnan)
    want = 2.0 ** -1.5 * math.exp(-1) / (2.0 ** -0.5 * -2 * math.sqrt(math.pi))
    assert distributions.chi2.pdf(2.0, -1) == pytest.approx(want, rel=1e-15) and want < 0
    assert math.isnan(distributions.chi2.pdf(2.0, 0))
    assert distributions.chi2.pdf(2.0, 4) == pytest.approx(2.0 * math.exp(-1) / 4, rel=1e-15)


def test_igam_of_an_infinite_argument_is_nan_and_returns():
    # igam.c: a log(x) - x - lgam(a) is inf - inf for an infinite a or x, and its loops return that NaN (the
    # series here never stopped for a = inf); igam(a, 0) = 0 and igamc(a, 0) = 1 are decided first
    out = {}
    worker = threading.Thread(target=lambda: out.update(
        igam=cephes.igam(np.array([np.inf, 2.0, np.inf]), np.array([2.0, np.inf, 0.0])),
        igamc=cephes.igamc(np.array([np.inf, 2.0, np.inf]), np.array([2.0, np.inf, 0.0]))), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), 'igam / igamc of an infinite argument did not return'
    assert np.isnan(out['igam'][:2]).all() and out['igam'][2] == 0.0
    assert np.isnan(out['igamc'][:2]).all() and out['igamc'][2] == 1.0
    assert math.isnan(distributions.chi2.cdf(math.inf, 3)) and math.isnan(distributions.poisson.cdf(2, math.inf))
