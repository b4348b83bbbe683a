"""chi2test.lua: one-sample chi-square goodness-of-fit tests: ``distributions.chi2Uniform``, ``chi2TestCDF``
and ``chi2Gaussian``. Each returns ``(p_value, statistic)``."""
import math

import numpy as np

from . import cephes
from .values import floating, is_tensor, result


def chi2Uniform(x, low=0, up=1, nBins=100):
    """Chi-square test of the 1D tensor of samples ``x`` against the uniform distribution on [low, up], with
    ``nBins`` bins of equal width: ``(1 - chdtr(nBins - 1, chi2), chi2)``. A sample outside the support, or
    on ``up`` itself (its bin is past the last), gives ``(0, inf)``."""
    if not is_tensor(x):
        raise TypeError(f"distributions.chi2Uniform: expected tensor of samples as first argument, got "
                        f"{type(x).__name__}")
    if x.dim() != 1:
        # chi2test.lua's check (`not x:nDimension() == 1`) is always false, but its x[k] of a 2D x is a row,
        # which its math.floor refuses: only a 1D tensor works there
        raise ValueError(f"distributions.chi2Uniform: tensor of samples should have only one dimension, got "
                         f"{x.dim()}D")
    xp = x.xp
    v = floating('chi2Uniform', x, 'the samples').astype(np.float64)
    idx = xp.floor(nBins * (v - low) / (up - low))
    if bool(xp.any((idx < 0) | (idx >= nBins) | (v < low) | (v > up))):
        return 0, math.inf
    n_points = v.shape[0]
    actual = xp.bincount(idx.astype(np.int64), minlength=nBins)
    expected = n_points / nBins
    chi2 = float((((expected - actual) ** 2) / expected).sum())
    return 1 - float(cephes.chdtr(np.float64(nBins - 1), np.float64(chi2))), chi2


def chi2TestCDF(x, cdf, cdfParams, nBins=100):
    """Chi-square test of the samples ``x`` against the distribution of CDF ``cdf``, called as
    ``cdf(*cdfParams, x)`` on the whole tensor (``x`` is appended to the list ``cdfParams``, as the Lua appends
    it to its table): the transformed samples are tested for uniformity on [0, 1]."""
    if not is_tensor(x):
        raise TypeError("distributions.chi2TestCDF: requires a tensor of samples as its first argument")
    if not callable(cdf):
        raise TypeError("distributions.chi2TestCDF: requires a cumulative distribution function as its second "
                        "argument")
    if not isinstance(cdfParams, list):
        raise TypeError("distributions.chi2TestCDF: requires a table (list) of distribution parameters as its "
                        "third argument")
    cdfParams.append(x)
    transformed = cdf(*cdfParams)
    return chi2Uniform(transformed, 0, 1, nBins)


def chi2Gaussian(x, mu, sigma, nBins=100):
    """Chi-square test of the samples ``x`` against N(mu, sigma^2)."""
    def gaussianCDF(x):
        return result(cephes.ndtr((floating('chi2Gaussian', x, 'the samples').astype(np.float64) - mu) / sigma,
                                  xp=x.xp), x)
    return chi2TestCDF(x, gaussianCDF, [], nBins)
