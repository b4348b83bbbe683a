"""testMultivariateGaussian.lua: distributions.mvn's pdf, logpdf (against the Lua's tables of values), rnd
(chi-square tests of the samples, Sidak-corrected as the Lua's), entropy and kl. The Lua's systematic table of
rnd's argument forms (generateSystematicTests) is not run by the Lua file (its ``tester:add`` is commented out)
and is not ported; its cases that the named tests do not cover are sampled in test_argument_forms."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import distributions

from .conftest import almost


def sidakCorrection(alpha, n):
    # Sidak correction is good for independent tests -- which we have here.
    return 1 - math.pow((1 - alpha), 1 / n)


# the significance threshold of the statistical tests, close to 0
statisticalTests = 57
alpha = sidakCorrection(.05, statisticalTests)

standardGaussianPDFWindow = lg.DoubleTensor([
    [0.058549831524319, 0.070096874908772, 0.080630598589333, 0.089110592667962, 0.094620883979159,
     0.096532352630054, 0.094620883979159, 0.089110592667962, 0.080630598589333, 0.070096874908772,
     0.058549831524319],
    [0.070096874908772, 0.083921195741359, 0.096532352630054, 0.106684748780159, 0.113281765213783,
     0.115570208671698, 0.113281765213783, 0.106684748780159, 0.096532352630054, 0.083921195741359,
     0.070096874908772],
    [0.080630598589333, 0.096532352630054, 0.111038635972398, 0.122716671259482, 0.130305046413711,
     0.132937382963516, 0.130305046413711, 0.122716671259482, 0.111038635972398, 0.096532352630054,
     0.080630598589333],
    [0.089110592667962, 0.106684748780159, 0.122716671259482, 0.135622896239029, 0.144009347774931,
     0.146918529576363, 0.144009347774931, 0.135622896239029, 0.122716671259482, 0.106684748780159,
     0.089110592667962],
    [0.094620883979159, 0.113281765213783, 0.130305046413711, 0.144009347774931, 0.152914388511582,
     0.156003464068888, 0.152914388511582, 0.144009347774931, 0.130305046413711, 0.113281765213783,
     0.094620883979159],
    [0.096532352630054, 0.115570208671698, 0.132937382963516, 0.146918529576363, 0.156003464068888,
     0.159154943091895, 0.156003464068888, 0.146918529576363, 0.132937382963516, 0.115570208671698,
     0.096532352630054],
    [0.094620883979159, 0.113281765213783, 0.130305046413711, 0.144009347774931, 0.152914388511582,
     0.156003464068888, 0.152914388511582, 0.144009347774931, 0.130305046413711, 0.113281765213783,
     0.094620883979159],
    [0.089110592667962, 0.106684748780159, 0.122716671259482, 0.135622896239029, 0.144009347774931,
     0.146918529576363, 0.144009347774931, 0.135622896239029, 0.122716671259482, 0.106684748780159,
     0.089110592667962],
    [0.080630598589333, 0.096532352630054, 0.111038635972398, 0.122716671259482, 0.130305046413711,
     0.132937382963516, 0.130305046413711, 0.122716671259482, 0.111038635972398, 0.096532352630054,
     0.080630598589333],
    [0.070096874908772, 0.083921195741359, 0.096532352630054, 0.106684748780159, 0.113281765213783,
     0.115570208671698, 0.113281765213783, 0.106684748780159, 0.096532352630054, 0.083921195741359,
     0.070096874908772],
    [0.058549831524319, 0.070096874908772, 0.080630598589333, 0.089110592667962, 0.094620883979159,
     0.096532352630054, 0.094620883979159, 0.089110592667962, 0.080630598589333, 0.070096874908772,
     0.058549831524319],
])

nonStandardGaussianPDFWindow = lg.DoubleTensor([
    [0.000001452200915, 0.000000080797552, 0.000000000487159, 0.000000000000318, 0.000000000000000,
     0.000000000000000, 0.000000000000000, 0.000000000000000, 0.000000000000000, 0.000000000000000,
     0.000000000000000],
    [0.000240854107924, 0.000079287483413, 0.000002828501156, 0.000000010934760, 0.000000000004581,
     0.000000000000000, 0.000000000000000, 0.000000000000000, 0.000000000000000, 0.000000000000000,
     0.000000000000000],
    [0.004328949915153, 0.008431643111764, 0.001779684515109, 0.000040707551309, 0.000000100903931,
     0.000000000027105, 0.000000000000001, 0.000000000000000, 0.000000000000000, 0.000000000000000,
     0.000000000000000],
    [0.008431643111764, 0.097167482167606, 0.121347500208756, 0.016422598310807, 0.000240854107924,
     0.000000382796005, 0.000000000065930, 0.000000000000001, 0.000000000000000, 0.000000000000000,
     0.000000000000000],
    [0.001779684515109, 0.121347500208756, 0.896643486507501, 0.717975976728288, 0.062301883958987,
     0.000585859662884, 0.000000597017644, 0.000000000065930, 0.000000000000001, 0.000000000000000,
     0.000000000000000],
    [0.000040707551309, 0.016422598310807, 0.717975976728288, 3.401567607740293, 1.746423041360607,
     0.097167482167607, 0.000585859662884, 0.000000382796005, 0.000000000027105, 0.000000000000000,
     0.000000000000000],
    [0.000000100903931, 0.000240854107924, 0.062301883958987, 1.746423041360608, 5.305164769729846,
     1.746423041360607, 0.062301883958987, 0.000240854107924, 0.000000100903931, 0.000000000004581,
     0.000000000000000],
    [0.000000000027105, 0.000000382796005, 0.000585859662884, 0.097167482167607, 1.746423041360611,
     3.401567607740294, 0.717975976728288, 0.016422598310807, 0.000040707551309, 0.000000010934760,
     0.000000000000318],
    [0.000000000000001, 0.000000000065930, 0.000000597017644, 0.000585859662884, 0.062301883958987,
     0.717975976728287, 0.896643486507500, 0.121347500208757, 0.001779684515109, 0.000002828501156,
     0.000000000487159],
    [0.000000000000000, 0.000000000000001, 0.000000000065930, 0.000000382796005, 0.000240854107924,
     0.016422598310807, 0.121347500208756, 0.097167482167606, 0.008431643111764, 0.000079287483413,
     0.000000080797552],
    [0.000000000000000, 0.000000000000000, 0.000000000000001, 0.000000000027105, 0.000000100903931,
     0.000040707551309, 0.001779684515109, 0.008431643111764, 0.004328949915153, 0.000240854107924,
     0.000001452200915],
])

nonStandardGaussianLogPDFWindow = lg.DoubleTensor([
    [-13.4424302802005, -16.3313191690894, -21.4424302802005, -28.7757636135338, -38.3313191690894,
     -50.1090969468671, -64.1090969468671, -80.3313191690893, -98.7757636135338, -119.4424302802,
     -142.331319169089],
    [-8.33131916908937, -9.44243028020048, -12.7757636135338, -18.3313191690894, -26.1090969468671,
     -36.1090969468671, -48.3313191690894, -62.7757636135338, -79.4424302802005, -98.3313191690894,
     -119.4424302802],
    [-5.44243028020048, -4.77576361353381, -6.33131916908937, -10.1090969468671, -16.1090969468671,
     -24.3313191690894, -34.7757636135338, -47.4424302802005, -62.3313191690893, -79.4424302802005,
     -98.7757636135338],
    [-4.77576361353381, -2.33131916908936, -2.10909694686714, -4.10909694686714, -8.33131916908937,
     -14.7757636135338, -23.4424302802005, -34.3313191690894, -47.4424302802005, -62.7757636135338,
     -80.3313191690894],
    [-6.33131916908936, -2.10909694686714, -0.109096946867141, -0.331319169089363, -2.77576361353381,
     -7.44243028020047, -14.3313191690894, -23.4424302802005, -34.7757636135338, -48.3313191690894,
     -64.1090969468671],
    [-10.1090969468671, -4.10909694686714, -0.331319169089363, 1.22423638646619, 0.557569719799525,
     -2.33131916908936, -7.44243028020047, -14.7757636135338, -24.3313191690894, -36.1090969468671,
     -50.1090969468671],
    [-16.1090969468671, -8.33131916908937, -2.77576361353381, 0.557569719799526, 1.66868083091064,
     0.557569719799525, -2.77576361353381, -8.33131916908936, -16.1090969468671, -26.1090969468671,
     -38.3313191690894],
    [-24.3313191690894, -14.7757636135338, -7.44243028020047, -2.33131916908936, 0.557569719799527,
     1.22423638646619, -0.331319169089364, -4.10909694686714, -10.1090969468671, -18.3313191690894,
     -28.7757636135338],
    [-34.7757636135338, -23.4424302802005, -14.3313191690894, -7.44243028020047, -2.77576361353381,
     -0.331319169089364, -0.109096946867142, -2.10909694686714, -6.33131916908936, -12.7757636135338,
     -21.4424302802005],
    [-47.4424302802005, -34.3313191690894, -23.4424302802005, -14.7757636135338, -8.33131916908936,
     -4.10909694686714, -2.10909694686714, -2.33131916908936, -4.77576361353381, -9.44243028020047,
     -16.3313191690894],
    [-62.3313191690893, -47.4424302802005, -34.7757636135338, -24.3313191690894, -16.1090969468671,
     -10.1090969468671, -6.33131916908937, -4.77576361353381, -5.44243028020048, -8.33131916908936,
     -13.4424302802005],
])


def assertTensorEq(a, b, tol):
    """Tester's assertTensorEq: the largest absolute difference is at most tol."""
    assert tuple(a.size()) == tuple(b.size())
    assert float((a.double() - b.double()).abs().max()) <= tol


def grid(N):
    return lg.linspace(-1, 1, N)


def test_multivariateGaussianPDF():
    D, N = 2, 11
    inputXs = grid(N)
    result = lg.Tensor(N, N)
    mu = lg.Tensor(D).fill(0)
    sigma = lg.eye(D, D)
    returnNumbers = True
    for i in range(N):
        for j in range(N):
            x = lg.Tensor([inputXs[i], inputXs[j]])
            r = distributions.mvn.pdf(x, mu, sigma)
            returnNumbers = returnNumbers and isinstance(r, float)
            result[i][j] = r
    assert returnNumbers, "should return a number when called with vectors only"
    assertTensorEq(result, standardGaussianPDFWindow, 1e-15)


def test_multivariateGaussianPDFNonStandard():
    D, N = 2, 11
    inputXs = grid(N)
    result = lg.Tensor(N, N)
    mu = lg.Tensor([0.2, -0.2])
    sigma = lg.Tensor([[0.05, 0.04], [0.04, 0.05]])
    oldMu, oldSigma = mu.clone(), sigma.clone()
    returnNumbers = True
    for i in range(N):
        for j in range(N):
            r = distributions.mvn.pdf(lg.Tensor([inputXs[i], inputXs[j]]), mu, sigma)
            returnNumbers = returnNumbers and isinstance(r, float)
            result[i][j] = r
    assertTensorEq(mu, oldMu, 1e-14)
    assertTensorEq(sigma, oldSigma, 1e-14)
    assert returnNumbers
    assertTensorEq(result, nonStandardGaussianPDFWindow, 1e-14)


def grid_points(N, D=2):
    inputXs = grid(N)
    x = lg.Tensor(N * N, D)
    for i in range(N):
        for j in range(N):
            x[i * N + j][0] = inputXs[i]
            x[i * N + j][1] = inputXs[j]
    return x


def test_multivariateGaussianPDFMultiple1():
    # NxD, D, DxD
    N = 11
    x = grid_points(N)
    expected = lg.Tensor(N * N, 1)
    for i in range(N):
        for j in range(N):
            expected[i * N + j] = nonStandardGaussianPDFWindow[i][j]
    got = distributions.mvn.pdf(x, lg.Tensor([0.2, -0.2]), lg.Tensor([[0.05, 0.04], [0.04, 0.05]]))
    assertTensorEq(got, expected, 1e-14)


FULL = [[0.05, 0.04], [0.04, 0.05]]


@pytest.mark.parametrize('x, mu, sigma, expected', [
    # OnexD, D, DxD; D, OnexD, DxD; D, NxD, DxD
    ([[0, 0]], [0.2, -0.2], FULL, [[nonStandardGaussianPDFWindow[5][5]]]),
    ([0, 0], [[-0.2, 0.2]], FULL, [[nonStandardGaussianPDFWindow[5][5]]]),
    ([0, 0], [[-0.2, 0.2], [-0.4, 0.4], [0.0, 0.0]], FULL,
     [[nonStandardGaussianPDFWindow[5][5]], [0.000000597017644], [5.305164769729846]]),
    # diagonal covariances: D, 1-D, D; D, NxD, D; OnexD, D, D; NxD, D, D
    ([0, 0], [[-0.2, 0.2]], [0.05, 0.4], [[0.717583785682725]]),
    ([0, 0], [[-0.2, 0.2], [-0.4, 0.4], [0.0, 0.0]], [0.05, 0.4],
     [[0.717583785682725], [0.186026607635655], [1.125395395196383]]),
    ([[0, 0]], [-0.2, 0.2], [0.05, 0.4], [[0.717583785682725]]),
    ([[0, 0], [0.1, 0.2], [-0.3, -0.1]], [-0.2, 0.2], [0.05, 0.4],
     [[0.717583785682725], [0.457551622898630], [0.909950056726693]]),
])
def test_multivariateGaussianPDFMultiple(x, mu, sigma, expected):
    x, mu, sigma = lg.Tensor(x), lg.Tensor(mu), lg.Tensor(sigma)
    x2, mu2, sigma2 = x.clone(), mu.clone(), sigma.clone()
    got = distributions.mvn.pdf(x, mu, sigma)
    assertTensorEq(distributions.mvn.pdf(x, mu, sigma), got, 1e-14)
    assertTensorEq(got, lg.Tensor(expected), 1e-14)
    # multivariateGaussianPDFSideEffects1-9: the arguments are left alone
    assertTensorEq(x, x2, 0)
    assertTensorEq(mu, mu2, 0)
    assertTensorEq(sigma, sigma2, 0)


def test_multivariateGaussianPDFMultiple5():
    # D, D, D: a number
    got = distributions.mvn.pdf(lg.Tensor([0, 0]), lg.Tensor([-0.2, 0.2]), lg.Tensor([0.05, 0.4]))
    assert almost(got, 0.717583785682725, 1e-14)


def test_multivariateGaussianPDFSideEffects1():
    x = grid_points(11)
    mu, sigma = lg.Tensor([0.2, -0.2]), lg.Tensor(FULL)
    x2, mu2, sigma2 = x.clone(), mu.clone(), sigma.clone()
    distributions.mvn.pdf(x, mu, sigma)
    assertTensorEq(x, x2, 0)
    assertTensorEq(mu, mu2, 0)
    assertTensorEq(sigma, sigma2, 0)


def test_multivariateGaussianLogPDFNonStandard():
    N = 11
    inputXs = grid(N)
    result = lg.Tensor(N, N)
    mu, sigma = lg.Tensor([0.2, -0.2]), lg.Tensor(FULL)
    for i in range(N):
        for j in range(N):
            r = distributions.mvn.logpdf(lg.Tensor([inputXs[i], inputXs[j]]), mu, sigma)
            assert isinstance(r, float)
            result[i][j] = r
    assertTensorEq(result, nonStandardGaussianLogPDFWindow, 1e-12)


def statisticalTestMultivariateGaussian(samples, mu, sigma, shouldAccept):
    # Part one: chi2 test projection onto each axis
    assert samples.dim() == 2
    N, D = samples.size(0), samples.size(1)
    if mu.dim() > 1:
        mu = lg.Tensor(mu).resize(mu.numel())
    assert mu.size(0) == D
    assert sigma.dim() == 2 and sigma.size(0) == D and sigma.size(1) == D
    rejectionCount = 0
    for k in range(D):
        projectedSamples = samples.select(1, k)
        p, chi2 = distributions.chi2Gaussian(projectedSamples, mu[k], math.sqrt(sigma[k][k]))
        if p < sidakCorrection(alpha, D):
            rejectionCount += 1
            assert not shouldAccept, "projected sample should be accepted as gaussian with given parameters (1)"
    # Part two: transform and chi2 test against standard normal dist'n
    mu = lg.Tensor(mu)
    expandedMu = mu.resize(1, D).expand(N, D)
    whitenedSamples = samples.clone() - expandedMu
    chol = lg.potrf(sigma).triu()
    whitenedSamples = lg.gesv(whitenedSamples.t(), chol.t())[0].t()
    for k in range(D):
        projectedSamples = whitenedSamples.select(1, k).contiguous()
        p, chi2 = distributions.chi2Gaussian(projectedSamples, 0, 1)
        if p < sidakCorrection(alpha, D):
            rejectionCount += 1
            assert not shouldAccept, "projected sample should be accepted as gaussian with given parameters (2)"
    assert shouldAccept or rejectionCount > 0, "projected sample should be rejected as gaussian with given parameters"


def test_multivariateGaussianRand_D_DD():
    mu, sigma = lg.Tensor([10, 0]), lg.eye(2)
    N, D = 10000, 2
    dimOK = sizeOK = True
    result = lg.Tensor(N, D).zero()
    for k in range(N):
        sample = distributions.mvn.rnd(mu, sigma)
        dimOK = dimOK and sample.dim() == 1
        sizeOK = sizeOK and sample.size(0) == D
        result[k] = sample
    assert dimOK, "single sample should return vector result"
    assert sizeOK, "result should have size = 2"
    statisticalTestMultivariateGaussian(result, mu, sigma, True)


def test_multivariateGaussianRand_D_DD_errorSizes():
    with pytest.raises(ValueError, match='inconsistent sizes for mu'):
        distributions.mvn.rnd(lg.zeros(3), lg.eye(2) * 2)


@pytest.mark.parametrize('sigma, N', [(lg.eye(2).double(), 10000), (lg.DoubleTensor([[2.5, 0.1], [0.1, 2.5]]), 20000)])
def test_multivariateGaussianRand_N_D_DD(sigma, N):
    mu = lg.Tensor([10, 0])
    result = distributions.mvn.rnd(N, mu, sigma)
    assert result.dim() == 2 and result.size(0) == N and result.size(1) == 2
    statisticalTestMultivariateGaussian(result, mu, sigma, True)


def test_multivariateGaussianRand_N_D_DD_fail_mean():
    mu, sigma = lg.Tensor([10, 0]), lg.eye(2)
    result = distributions.mvn.rnd(10000, mu, sigma)
    result.select(1, 0).add(1)
    statisticalTestMultivariateGaussian(result, mu, sigma, False)


def test_multivariateGaussianRand_N_D_DD_fail_variance():
    mu, sigma = lg.Tensor([10, 0]), lg.eye(2)
    result = distributions.mvn.rnd(10000, mu, sigma)
    result.select(1, 0).mul(2)
    statisticalTestMultivariateGaussian(result, mu, sigma, False)


def test_multivariateGaussianRand_Result_D_DD_Standard():
    mu, sigma = lg.Tensor([10, 0]), lg.eye(2)
    N, D = 10000, 2
    result = lg.Tensor(N, D)
    assert distributions.mvn.rnd(result, mu, sigma) is result
    assert result.dim() == 2 and result.size(0) == N and result.size(1) == D
    statisticalTestMultivariateGaussian(result, mu, sigma, True)


def test_multivariateDegenerateWithGP():
    # a Gaussian process at close points: a near-singular covariance, sampled through the SVD
    D = 500
    x = lg.linspace(-10, 10, D)
    mean = lg.zeros(D)
    sigma = 1.6
    d = x.view(D, 1).expand(D, D) - x.view(1, D).expand(D, D)   # the Lua's double loop over i, j
    cov = (-(d.pow(2)) / (2 * sigma * sigma)).exp()
    N = 10000
    y = distributions.mvn.rnd(N, mean, cov)
    # The sums should be distributed iid N(0, cov:sum()); a transpose missed in the SVD gives a smaller variance.
    # y:sum(2) is N x 1, which chi2test.lua's chi2Uniform cannot read (its math.floor of a row): the vector of it
    sums = y.sum(1).view(N)
    p, chi2 = distributions.chi2Gaussian(sums, mean.sum(), math.sqrt(cov.sum()))
    assert p >= alpha, 'sums of GP trajectories with a close-to-singular matrix do not have the right distribution'


def test_multivariateDegenerate():
    N, D = 6, 3
    mu = lg.rand(1, D)
    mean = mu.expand(N, D)
    cov = lg.eye(D)
    cov[D - 1][D - 1] = 0
    actual = lg.Tensor(N, D)
    distributions.mvn.rnd(actual, mean, cov)
    assertTensorEq(actual.select(1, D - 1), mean.select(1, D - 1), 1e-16)
    assert float(actual.select(1, 0).std()) > 0


def test_cholesky():
    N, D = 30, 2
    options = {'cholesky': True}
    mu = lg.Tensor([1, 2])
    cov = lg.Tensor([[3, 2], [2, 4]])

    state = lg.getRNGState()
    xFull = distributions.mvn.rnd(N, mu, cov)
    lg.setRNGState(state)
    xChol = distributions.mvn.rnd(N, mu, lg.potrf(cov).triu(), options)
    assertTensorEq(xChol, xFull, 1e-16)

    state = lg.getRNGState()
    diag = lg.diag(cov)
    xFull = distributions.mvn.rnd(N, mu, diag)
    lg.setRNGState(state)
    xChol = distributions.mvn.rnd(N, mu, diag.clone().sqrt(), options)
    assertTensorEq(xChol, xFull, 1e-16)

    x = lg.randn(N, D)
    assertTensorEq(distributions.mvn.logpdf(x, mu, lg.potrf(cov).triu(), options),
                   distributions.mvn.logpdf(x, mu, cov), 1e-16)
    x = lg.randn(N, D)
    assertTensorEq(distributions.mvn.logpdf(x, mu, lg.diag(cov).sqrt(), options),
                   distributions.mvn.logpdf(x, mu, lg.diag(cov)), 1e-16)
    x = lg.randn(N, D)
    assertTensorEq(distributions.mvn.pdf(x, mu, lg.potrf(cov).triu(), options),
                   distributions.mvn.pdf(x, mu, cov), 1e-16)
    x = lg.randn(N, D)
    assertTensorEq(distributions.mvn.pdf(x, mu, lg.diag(cov).sqrt(), options),
                   distributions.mvn.pdf(x, mu, lg.diag(cov)), 1e-16)


def test_1D1D():
    D = 10
    x = distributions.mvn.rnd(lg.zeros(1, D), lg.ones(1, D), {'cholesky': True})
    assert tuple(x.size()) == (D,)


def test_resize():
    N, D = 2, 10
    call = {'mu': lg.zeros(D), 'x': lg.randn(N, D), 'cov': lg.ones(D)}
    ori = {k: v.clone() for k, v in call.items()}
    logpdf = distributions.mvn.logpdf(call['x'], call['mu'], call['cov'])
    for k in call:
        assert tuple(call[k].size()) == tuple(ori[k].size()), 'Call changed size of param ' + k
    # independent standard coordinates: the sum of the univariate log-densities
    want = [sum(distributions.norm.logpdf(float(v), 0, 1) for v in row) for row in ori['x'].array]
    np.testing.assert_allclose(logpdf.view(N).array, want, rtol=1e-14)


def test_multivariateGaussianEntropy():
    sigma = lg.randn(10, 10)
    sigma = sigma @ sigma.t()
    h = distributions.mvn.entropy(sigma)
    assert almost(h, 10 * (1 + math.log(2 * math.pi)) / 2 + float(np.linalg.slogdet(sigma.array)[1]) / 2, 1e-10)


def test_multivariateGaussianKL():
    p = {'mu': lg.randn(10), 'sigma': lg.randn(10, 10)}
    p['sigma'] = p['sigma'] @ p['sigma'].t()
    q = {'mu': lg.randn(10), 'sigma': lg.randn(10, 10)}
    q['sigma'] = q['sigma'] @ q['sigma'].t()
    assert distributions.mvn.kl(p, q) >= 0
    assert distributions.mvn.kl(q, p) >= 0
    assert almost(distributions.mvn.kl(p, p), 0, 1e-12)
    assert almost(distributions.mvn.kl(q, q), 0, 1e-12)
    # the precision instead of the covariance gives the same divergence
    with_lambda = {'mu': q['mu'], 'lambda': lg.inverse(q['sigma'])}
    assert almost(distributions.mvn.kl(p, with_lambda), distributions.mvn.kl(p, q), 1e-8)


def test_argument_forms():
    M = 3
    mus = lg.Tensor([[0, 0], [1, 0], [0, 1]])
    sigmas = lg.Tensor(M, 2, 2)
    for k in range(M):
        sigmas[k] = lg.Tensor([[k + 2, k + 1], [k + 1, k + 1]])
    out = distributions.mvn.rnd(M, mus, sigmas)   # "M, MxD, MxDxD": one sample of each of M Gaussians
    assert tuple(out.size()) == (M, 2)
    with pytest.raises(ValueError, match='does not match dimension of result'):
        distributions.mvn.rnd(5, lg.Tensor([10, 0]), lg.Tensor([2, 1, 1]))   # "N, D, E"
    with pytest.raises(ValueError, match='ambiguous'):
        distributions.mvn.rnd(2, lg.Tensor([10, 0]), lg.Tensor([[2, 1], [1, 1]]))
    with pytest.raises(TypeError, match=r'expected \(\[N\|result,\] mu, sigma'):
        distributions.mvn.rnd(lg.Tensor([1]))


def test_seeded_draws_repeat():
    lg.manualSeed(3)
    a = distributions.mvn.rnd(4, lg.Tensor([1, 2]), lg.Tensor(FULL))
    lg.manualSeed(3)
    b = distributions.mvn.rnd(4, lg.Tensor([1, 2]), lg.Tensor(FULL))
    assert a.array.tolist() == b.array.tolist()


def test_float_tensors_give_float_results():
    x, mu, sigma = lg.FloatTensor([[0, 0]]), lg.FloatTensor([0.2, -0.2]), lg.FloatTensor(FULL)
    got = distributions.mvn.pdf(x, mu, sigma)
    assert got.type() == 'torch.FloatTensor'
    assert abs(float(got[0][0]) - float(nonStandardGaussianPDFWindow[5][5])) < 1e-5
    assert distributions.mvn.rnd(3, mu, sigma).type() == 'torch.FloatTensor'


@pytest.mark.gpu
def test_cuda():
    pytest.importorskip('cupy')
    x = grid_points(11).cuda()
    got = distributions.mvn.pdf(x, lg.Tensor([0.2, -0.2]).cuda(), lg.Tensor(FULL).cuda())
    assert got._cuda
    np.testing.assert_allclose(got.double().array.reshape(11, 11), nonStandardGaussianPDFWindow.array,
                               rtol=1e-4, atol=1e-6)
    s = distributions.mvn.rnd(20000, lg.Tensor([10, 0]).cuda(), lg.Tensor([[2.5, 0.1], [0.1, 2.5]]).cuda())
    assert s._cuda
    statisticalTestMultivariateGaussian(s.double(), lg.Tensor([10, 0]), lg.Tensor([[2.5, 0.1], [0.1, 2.5]]), True)
