"""testChi2Test.lua and testKSTest.lua: the chi-square and Kolmogorov-Smirnov tests accept samples of the
distribution tested and reject others (seeded; each sample is 1000 or 5000 draws, so a wrong acceptance or
rejection is far beyond chance)."""
import math

import pytest

import legonn as lg
from legonn import distributions


def uniform_sample(n, low, up):
    x = lg.Tensor(n)
    for i in range(n):
        x[i] = lg.uniform(low, up)
    return x


def test_chiSquareGaussian():
    nPoints, mu, sigma = 1000, 5, 10
    x = lg.randn(nPoints)
    x = x * sigma + mu
    p, chi2 = distributions.chi2Gaussian(x, mu, sigma)
    assert chi2 is not None
    assert p > 0.001, 'Chi-square test rejects a sample from a gaussian distribution'
    x = x + 10
    p, chi2 = distributions.chi2Gaussian(x, mu, sigma)
    assert p < 0.001, 'Chi-square test accepts a wrong sample from a gaussian distribution'


def test_chiSquareUniformAccept():
    p, chi2 = distributions.chi2Uniform(uniform_sample(1000, -10, 10), -10, 10)
    assert chi2 is not None and p > 0.001


def test_chiSquareUniformRejectWithinSupport():
    p, chi2 = distributions.chi2Uniform(uniform_sample(5000, 0, 10), -10, 10)
    assert p < 0.001


def test_chiSquareUniformRejectOutOfSupport():
    p, chi2 = distributions.chi2Uniform(uniform_sample(1000, 100, 110), 0, 10)
    assert p < 0.001
    assert chi2 == math.inf   # Lua's math.huge


def test_chiSquareUniform_statistic_by_hand():
    # 4 bins on [0, 1): counts 2, 1, 0, 1 of 4 points, expected 1 each: chi2 = 1 + 0 + 1 + 0
    p, chi2 = distributions.chi2Uniform(lg.Tensor([0.1, 0.2, 0.3, 0.9]), 0, 1, 4)
    assert chi2 == 2
    assert abs(p - (1 - distributions.chi2.cdf(2, 3))) < 1e-15


def test_chiSquareCDF():
    low, up = -6, -4

    def cdf(xs):   # uniform on [low, up], vectorised (it writes into xs, as the Lua's)
        for k in range(xs.size(0)):
            x = xs[k]
            xs[k] = 0 if x < low or x > up else (x - low) / (up - low)
        return xs

    nPoints = 1000
    p, chi2 = distributions.chi2TestCDF(uniform_sample(nPoints, low, up), cdf, [])
    assert chi2 is not None and p > 0.001
    p, chi2 = distributions.chi2TestCDF(uniform_sample(nPoints, low, (low + up) / 2), cdf, [])
    assert p < 0.001, 'accepts a sample from a uniform distribution with a smaller support'
    p, chi2 = distributions.chi2TestCDF(uniform_sample(nPoints, low - 10, up + 10), cdf, [])
    assert p < 0.001, 'accepts a sample from a uniform distribution with a larger support'
    p, chi2 = distributions.chi2TestCDF(uniform_sample(nPoints, low - 10, up - 10), cdf, [])
    assert p < 0.001, 'accepts a sample from a uniform distribution with non-intersecting support'

    # invalid calls: Lua's missing arguments are nil; Python's missing ones a TypeError of the call itself
    with pytest.raises(TypeError):
        distributions.chi2TestCDF()
    with pytest.raises(TypeError):
        distributions.chi2TestCDF(lg.Tensor())
    with pytest.raises(TypeError):
        distributions.chi2TestCDF(lg.Tensor(), lambda: None)
    with pytest.raises(TypeError, match='tensor of samples as its first argument'):
        distributions.chi2TestCDF({}, lambda: None, [])
    with pytest.raises(TypeError, match='cumulative distribution function as its second'):
        distributions.chi2TestCDF(lg.Tensor(), {}, [])
    with pytest.raises(TypeError, match='distribution parameters as its third'):
        distributions.chi2TestCDF(lg.Tensor(), lambda: None, 3)


def test_chi2TestCDF_appends_the_samples_to_the_parameters():
    params = [0.0, 1.0]
    x = lg.rand(500)
    p, _ = distributions.chi2TestCDF(x, lambda a, b, xs: (xs - a) / (b - a), params, 10)
    assert params[-1] is x and p > 0.001


def test_KSGaussian():
    nPoints, mu, sigma = 1000, 5, 10
    x, y = lg.randn(nPoints), lg.randn(nPoints)
    x = x * sigma + mu
    y = y * sigma + mu
    p, d = distributions.kstwo(x, y)
    assert d is not None and p > 0.01, 'KS test rejects two samples from a same gaussian distribution'
    x = x + 2 * mu
    p, d = distributions.kstwo(x, y)
    assert p < 0.01, 'KS test accepts two samples from different gaussian distributions'


def test_KSOne():
    nPoints, mu, sigma = 1000, 5, 10
    x = lg.randn(nPoints)
    x = x * sigma + mu

    def cdf(x):
        return distributions.norm.cdf(x, mu, sigma)

    p, d = distributions.ksone(x, cdf)
    assert d is not None and p > 0.01, 'KS test rejects a sample from a gaussian distribution'
    x = x + 2 * mu
    p, d = distributions.ksone(x, cdf)
    assert p < 0.01, 'KS test accepts a sample from a different gaussian distribution'


def test_ks_statistics_by_hand():
    # one sample {0.5} against U(0, 1): the empirical CDF jumps from 0 to 1 at 0.5, d = 0.5
    p, d = distributions.ksone(lg.Tensor([0.5]), lambda v: v)
    assert d == 0.5
    # two disjoint samples: d is 1 + 1/3, not 1, as kstest.lua computes it: its empirical CDFs are j / n after
    # its 1-based j was increased past the samples passed, one sample ahead (Numerical Recipes counts from 0)
    p, d = distributions.kstwo(lg.Tensor([1, 2, 3]), lg.Tensor([4, 5, 6]))
    assert d == 4 / 3


@pytest.mark.gpu
def test_cuda_samples():
    pytest.importorskip('cupy')
    x = (lg.randn(2000) * 10 + 5).cuda()
    assert distributions.chi2Gaussian(x, 5, 10)[0] > 0.001
    assert distributions.chi2Gaussian(x, 15, 10)[0] < 0.001
    assert distributions.ksone(x, lambda v: distributions.norm.cdf(v, 5, 10))[0] > 0.01
