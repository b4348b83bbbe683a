"""``require 'distributions'``: google-deepmind/torch-distributions, probability distributions for Torch7 (what
scipy.stats is to numpy.random), written for legonn on NumPy and CuPy.

    local distributions = require 'distributions'
    local p = distributions.mvn.pdf(x, mu, sigma)

is, in legonn::

    from legonn import distributions        # or distributions = paths.require('distributions')
    p = distributions.mvn.pdf(x, mu, sigma)

Its tables, each a module here: ``norm``, ``cauchy``, ``chi2``, ``laplace``, ``poisson`` (pdf, logpdf, cdf, and
``norm.qtl``), ``gamma`` (entropy, kl), ``mvn`` (pdf, logpdf, rnd, entropy, kl), ``cat`` and ``mvcat``
(categorical sampling, 0-based categories), ``dir`` (Dirichlet), ``wishart``, ``nw`` (Normal-Wishart), ``util``
(isposdef, logdet); and the goodness-of-fit tests ``chi2Uniform``, ``chi2TestCDF``, ``chi2Gaussian``, ``ksone``,
``kstwo``. The functions the Lua leaves unimplemented (``norm.rnd``, ``cauchy.qtl``, ...) raise
NotImplementedError. Random draws come from legonn's generator, so ``lg.manualSeed`` makes them reproducible.
The Cephes special functions it needs (torch-cephes) are in ``distributions.cephes``.
"""
from . import cat, cauchy, cephes, chi2, dir, gamma, laplace, mvcat, mvn, norm, nw, poisson, util, wishart  # noqa: A004
from .chi2test import chi2Gaussian, chi2TestCDF, chi2Uniform
from .kstest import ksone, kstwo
from .values import is_tensor as _isTensor  # noqa: F401  (distributions._isTensor)

__all__ = ['cat', 'cauchy', 'cephes', 'chi2', 'dir', 'gamma', 'laplace', 'mvcat', 'mvn', 'norm', 'nw', 'poisson',
           'util', 'wishart', 'chi2Gaussian', 'chi2TestCDF', 'chi2Uniform', 'ksone', 'kstwo']
