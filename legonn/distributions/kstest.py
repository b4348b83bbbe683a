"""kstest.lua: the Kolmogorov-Smirnov tests ``distributions.ksone`` (one sample against a CDF) and ``kstwo``
(two samples). Each returns ``(p_value, statistic)``; the p-value is kstest.lua's ``qks`` of
(sqrt(n) + 0.12 + 0.11 / sqrt(n)) d, its own series (after Numerical Recipes' pks/qks)."""
import math

import numpy as np

from .values import floating, is_tensor


def _pks(z):
    if not z >= 0:
        raise ValueError(f"distributions.kstest: wrong z ({z})")
    if z == 0:
        return 0
    if z < 1.18:
        y = math.exp(-1.23370055013616983 / math.sqrt(z))
        return 2.25675833419102515 * math.sqrt(-math.log(y)) * (y + y ** 9 + y ** 25 + y ** 49)
    x = math.exp(-2 * math.sqrt(z))
    return 1 - 2 * (x - x ** 4 + x ** 9)


def _qks(z):
    if not z >= 0:
        raise ValueError(f"distributions.kstest: wrong z ({z})")
    if z == 0:
        return 1
    if z < 1.18:
        return 1 - _pks(z)
    x = math.exp(-2 * math.sqrt(z))
    return 2 * (x - x ** 4 - x ** 9)   # kstest.lua's signs (Numerical Recipes' qks has + x^9)


def _sorted_host(where, x):
    if not is_tensor(x):
        raise TypeError(f"distributions.{where}: expected a tensor of samples, got {type(x).__name__}")
    a = floating(where, x, 'the samples').reshape(-1)
    return np.sort(np.asarray(a.get() if hasattr(a, 'get') else a, dtype=np.float64))


def ksone(x, cdf):
    """One-sample test of the samples ``x`` against ``cdf``, a function of one number returning a number."""
    xs = _sorted_host('ksone', x)
    n = xs.shape[0]
    d = fo = 0.0
    for j in range(n):
        fn = (j + 1) / n
        ff = cdf(float(xs[j]))
        d = max(d, abs(fo - ff), abs(fn - ff))
        fo = fn
    en = math.sqrt(n)
    return _qks((en + 0.12 + 0.11 / en) * d), d


def kstwo(x1, x2):
    """Two-sample test of the samples ``x1`` and ``x2`` (kstest.lua's walk, ties stepped over together)."""
    a, b = _sorted_host('kstwo', x1), _sorted_host('kstwo', x2)
    n1, n2 = a.shape[0], b.shape[0]
    j1 = j2 = 0
    fn1 = fn2 = 0.0
    d = 0.0
    while j1 < n1 and j2 < n2:
        d1, d2 = a[j1], b[j2]
        if d1 <= d2:
            while j1 < n1 and d1 == a[j1]:
                j1 += 1
                fn1 = (j1 + 1) / n1   # the Lua's j1 / en1 after its 1-based j1 was increased
        if d2 <= d1:
            while j2 < n2 and d2 == b[j2]:
                j2 += 1
                fn2 = (j2 + 1) / n2
        d = max(d, abs(fn2 - fn1))
    en = math.sqrt(n1 * n2 / (n1 + n2))
    return _qks((en + 0.12 + 0.11 / en) * d), d
