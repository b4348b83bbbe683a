"""The Lua test files of google-deepmind/torch-distributions (distributions/tests/*.lua; BSD licence, Copyright
(c) 2013, Julien Cornebise and Daniel Horgan), ported to pytest, each Lua test function a test function and
``tester:assert*`` an assert, grouped by family: test_univariate.py (testGaussian, testCauchy, testChi2,
testLaplace, testPoisson), test_categorical.py, test_goodness_of_fit.py (testChi2Test, testKSTest),
test_multivariate_gaussian.py, test_dirichlet_wishart.py (testDirichlet, testGamma, testWishart,
testNormalWishart). testMultivariateValues.lua holds only commented-out tests and has nothing to port.
They run under Torch7's default tensor type, DoubleTensor (legonn's default is Float), and seeded (the Lua's
files that draw seed with ``torch.manualSeed(1234567890)``; the others draw unseeded, here seeded too)."""
import pytest

import legonn as lg


@pytest.fixture(autouse=True)
def torch7_default_and_seed():
    old = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(1234567890)
    yield
    lg.setdefaulttensortype(old)


def almost(a, b, tol):
    """Tester's assertalmosteq: |a - b| <= tol."""
    return abs(a - b) <= tol
