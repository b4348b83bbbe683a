"""testGaussian.lua, testCauchy.lua, testChi2.lua, testLaplace.lua, testPoisson.lua (the Lua's reference values;
math.log is math.log). Plus the tensor forms (element by element) on NumPy and on CuPy."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import distributions

from .conftest import almost


def test_gaussianpdf():
    for x, mu, s, want in ((-0.5, 0, 1, 0.352065326764300), (0, 0, 1, 0.398942280401433),
                           (1, 0, 1, 0.241970724519143), (4, 0, 1, 0.000133830225765),
                           (-0.5, 2, 3, 0.093970625136768), (0, 2, 3, 0.106482668507451),
                           (1, 2, 3, 0.125794409230998), (4, 2, 3, 0.106482668507451)):
        assert almost(distributions.norm.pdf(x, mu, s), want, 1e-15)
        assert almost(distributions.norm.logpdf(x, mu, s), math.log(want), 1e-12)


def test_gaussiancdf():
    for x, mu, s, want in ((-0.5, 0, 1, 0.308537538725987), (0, 0, 1, 0.5), (1, 0, 1, 0.841344746068543),
                           (4, 0, 1, 0.999968328758167), (-0.5, 2, 3, 0.202328380963643),
                           (0, 2, 3, 0.252492537546923), (1, 2, 3, 0.369441340181764),
                           (4, 2, 3, 0.747507462453077)):
        assert almost(distributions.norm.cdf(x, mu, s), want, 1e-15)


def test_gaussianqtl():
    for p, want in ((0.0000001, -5.199337582187471), (0.00001, -4.264890793922602), (0.001, -3.090232306167813),
                    (0.05, -1.6448536269514729), (0.15, -1.0364333894937896), (0.25, -0.6744897501960817),
                    (0.35, -0.38532046640756773), (0.45, -0.12566134685507402), (0.5, 0)):
        assert almost(distributions.norm.qtl(p, 0, 1), want, 1e-9)
        assert almost(distributions.norm.qtl(1 - p, 0, 1), -want, 1e-9)
    for p, want in ((0.1, -2.844654696633802), (0.25, -1.023469250588245), (0.5, 1), (0.75, 3.023469250588245),
                    (0.9, 4.844654696633802)):
        assert almost(distributions.norm.qtl(p, 1, 3), want, 1e-9)


def test_cauchy():
    for x, a, b, pdf, cdf in ((-0.5, 0, 1, 0.254648, 0.352416), (0, 0, 1, 1.0 / math.pi, 0.5),
                              (1, 0, 1, 0.5 / math.pi, 0.75), (4, 0, 1, 0.0187241, 0.922021),
                              (-0.5, 2, 3, 0.062618, 0.278858), (1, 2, 3, 0.095493, 0.397584),
                              (2, 2, 3, 0.106103, 0.5), (4, 2, 3, 0.0734561, 0.687167)):
        assert almost(distributions.cauchy.pdf(x, a, b), pdf, 1e-5)
        assert almost(distributions.cauchy.logpdf(x, a, b), math.log(pdf), 1e-5)
        assert almost(distributions.cauchy.cdf(x, a, b), cdf, 1e-5)


def test_chi2():
    assert math.isinf(distributions.chi2.pdf(0, 1))   # cephes.isinf
    for x, dof, pdf, logpdf, cdf in ((1, 1, 0.241970724519143, -1.418938533204673, 0.682689492137086),
                                     (2, 1, 0.103776874355149, -2.265512123484645, 0.842700792949715),
                                     (5, 1, 0.014644982561926, -4.223657489421723, 0.974652681322532),
                                     (1, 9, 0.002304483090659, -6.072898883362196, 0.000562497302168),
                                     (2, 9, 0.015813618949356, -4.146883751402387, 0.008532393371186),
                                     (5, 9, 0.087172515249562, -2.439866189842844, 0.165691739806592)):
        assert almost(distributions.chi2.pdf(x, dof), pdf, 1e-15)
        assert almost(distributions.chi2.logpdf(x, dof), logpdf, 1e-15)
        assert almost(distributions.chi2.cdf(x, dof), cdf, 1e-15)
    assert almost(distributions.chi2.pdf(0, 9), 0, 1e-15)
    assert distributions.chi2.cdf(0, 1) == 0 and distributions.chi2.cdf(0, 9) == 0


def test_laplace():
    for x, loc, s, pdf, cdf, tol in ((-2, 0, 1, 0.06766764161830634, 0.0676676416183063, 1e-15),
                                     (0, 0, 1, 0.5, 0.5, 1e-15), (1, 0, 1, 0.18393972058572116, 0.8160602794142788, 1e-15),
                                     (6, 0, 1, 0.00123937608833317, 0.9987606239116668, 1e-15),
                                     (-2, 0.5, 4, 0.0669077, 0.267631, 1e-5), (0, 0.5, 4, 0.110312, 0.441248, 1e-5),
                                     (1, 0.5, 4, 0.110312, 0.558752, 1e-5), (6, 0.5, 4, 0.0316049, 0.87358, 1e-5)):
        assert almost(distributions.laplace.pdf(x, loc, s), pdf, tol)
        assert almost(distributions.laplace.logpdf(x, loc, s), math.log(pdf), max(tol * 10, 1e-14) if tol < 1e-5 else tol)
        assert almost(distributions.laplace.cdf(x, loc, s), cdf, tol)


POISSON = ((0, 2, 0.135335283236612), (0, 1, 0.367879441171442), (1, 1, 0.367879441171442),
           (2, 1, 0.183939720585721), (0, 10, 0.000045399929762), (1, 10, 0.000453999297625),
           (2, 10, 0.002269996488124))


def test_poissonPDF_and_LogPDF():
    for x, lam, want in POISSON:
        assert almost(distributions.poisson.pdf(x, lam), want, 1e-15)
    for x, lam, want in ((0, 2, -2), (0, 1, -1), (1, 1, -1), (2, 1, -1.6931471805599), (0, 10, -10),
                         (1, 10, -7.69741490700595), (2, 10, -6.08797699457185)):
        assert almost(distributions.poisson.logpdf(x, lam), want, 1e-13)


def test_poissonPDFVectorized():
    xs = lg.Tensor([p[0] for p in POISSON])
    lambdas = lg.Tensor([p[1] for p in POISSON])
    expected = lg.Tensor([p[2] for p in POISSON])
    result = distributions.poisson.pdf(xs, lambdas)
    assert lg.typename(result) == 'torch.DoubleTensor'
    assert float((result - expected).abs().max()) <= 1e-15
    # poissonPDFVectorized2 and 3: a size-1 tensor expands to the other's size
    result = distributions.poisson.pdf(lg.Tensor([0, 1, 2]), lg.Tensor([1]))
    assert float((result - lg.Tensor([0.367879441171442, 0.367879441171442, 0.183939720585721])).abs().max()) <= 1e-15
    result = distributions.poisson.pdf(lg.Tensor([0]), lg.Tensor([1, 2, 10]))
    assert float((result - lg.Tensor([0.367879441171442, 0.135335283236612, 0.000045399929762])).abs().max()) <= 1e-15


def test_poissonCDF():
    for x, lam, want in ((0.1, 2, 0.135335283236612), (0, 1, 0.367879441171442), (1, 1, 0.735758882342884),
                         (2, 1, 0.919698602928605), (0, 10, 0.000045399929762), (1, 10, 0.000499399227387),
                         (2, 10, 0.002769395715512)):
        assert almost(distributions.poisson.cdf(x, lam), want, 1e-15)
    assert distributions.poisson.cdf(-1, 2) == 0


def test_not_implemented_functions_raise_as_the_lua():
    for fn in (distributions.norm.rnd, distributions.cauchy.rnd, distributions.chi2.rnd, distributions.laplace.rnd):
        with pytest.raises(NotImplementedError, match='not implemented'):
            fn(1)


def test_bad_arguments_name_the_function():
    with pytest.raises(TypeError, match=r'distributions\.norm\.pdf: expected mu as a number or a tensor, got str'):
        distributions.norm.pdf(0, 'a', 1)
    with pytest.raises(ValueError, match=r'distributions\.norm\.cdf: the sizes of x \(3,\), mu \(2,\)'):
        distributions.norm.cdf(lg.zeros(3), lg.zeros(2), 1)


@pytest.mark.parametrize('typename', ['torch.FloatTensor', 'torch.DoubleTensor'])
def test_tensor_arguments_element_by_element_keep_their_type(typename):
    x = lg.Tensor([-0.5, 0, 1, 4]).type(typename)
    for fn in (distributions.norm.pdf, distributions.norm.cdf, distributions.cauchy.cdf, distributions.laplace.cdf):
        got = fn(x, 2, 3)
        assert got.type() == typename
        want = [fn(v, 2, 3) for v in (-0.5, 0, 1, 4)]
        np.testing.assert_allclose(got.array, want, rtol=1e-6 if typename == 'torch.FloatTensor' else 1e-15)


@pytest.mark.gpu
def test_cuda_tensors_give_cuda_results_equal_to_the_cpu():
    pytest.importorskip('cupy')
    x = lg.Tensor([-0.5, 0, 1, 4, 6])
    for fn, params in ((distributions.norm.pdf, (2, 3)), (distributions.norm.logpdf, (2, 3)),
                       (distributions.norm.cdf, (2, 3)), (distributions.cauchy.logpdf, (2, 3)),
                       (distributions.laplace.cdf, (0.5, 4)), (distributions.chi2.cdf, (9,)),
                       (distributions.chi2.logpdf, (9,)), (distributions.poisson.pdf, (10,)),
                       (distributions.poisson.cdf, (10,))):
        cpu = fn(x.abs(), *params)
        gpu = fn(x.abs().cuda(), *params)
        assert gpu.type() == 'torch.CudaTensor'   # cutorch's float type, computed in float64
        np.testing.assert_allclose(gpu.double().array, cpu.array, rtol=1e-6)
    p = lg.Tensor([0.001, 0.5, 0.9]).cuda()
    np.testing.assert_allclose(distributions.norm.qtl(p, 1, 3).double().array,
                               [distributions.norm.qtl(v, 1, 3) for v in (0.001, 0.5, 0.9)], rtol=1e-4)


def test_require_gives_the_package():
    from legonn import paths
    assert paths.require('distributions') is distributions
    assert lg.distributions is distributions
    assert distributions._isTensor(lg.zeros(1)) and not distributions._isTensor(1)


def test_poisson_pdf_of_a_fraction_truncates_the_factorial_as_cephes_fac():
    # poisson.lua: cephes.pow(lambda, x) / cephes.fac(x) * exp(-lambda), fac of the C int x
    assert almost(distributions.poisson.pdf(1.5, 2), 2 ** 1.5 * math.exp(-2), 1e-15)
    assert almost(distributions.poisson.cdf(1.5, 2), distributions.poisson.cdf(1, 2), 1e-15)
