"""The special functions torch-distributions calls from deepmind/torch-cephes (Cephes' C library), on arrays.

``lgam``, ``gamma``, ``fac``, ``erf``, ``ndtr``, ``ndtri`` and the incomplete gamma integrals are computed element
by element on the host with Python's ``math`` (the Cephes C functions run on the host too; legonn has no SciPy),
and a CuPy array's values come back to its device; the rest is written on the array's own module. Every function
takes arrays of float64 and the array module ``xp`` and returns a float64 array of the broadcast shape. Outside
their domains they answer as torch-cephes' C does (its MAXNUM, 0 or NaN; see each function).
"""
import math
from statistics import NormalDist

import numpy as np

from ..tensor import special

_EPS = np.finfo(np.float64).eps
_TINY = 1e-300
_MAXNUM = float(np.finfo(np.float64).max)   # Cephes' MAXNUM (const.c), its stand-in for infinity


def _on_host(scalar_fn):
    """An element-wise array function from the scalar ``scalar_fn`` of floats, run on the host."""
    vectorised = np.vectorize(scalar_fn, otypes=[np.float64])

    def fn(*args, xp=np):
        host = [np.asarray(a.get() if hasattr(a, 'get') else a, dtype=np.float64) for a in args]
        out = vectorised(*host)
        return out if xp is np else xp.asarray(out)
    fn.__name__ = scalar_fn.__name__
    fn.__doc__ = scalar_fn.__doc__
    return fn


def _lgam(x):
    """log |Gamma(x)| (cephes lgam); +inf at the poles 0, -1, -2, ..."""
    if x <= 0 and x == math.floor(x):
        return math.inf
    try:
        return math.lgamma(x)
    except OverflowError:   # x > 2.5e305: cephes lgam returns INFINITY there (gamma.c, x > MAXLGM)
        return math.inf


def _gamma_series(a, x):
    """The series of the regularised lower incomplete gamma integral P(a, x), for x < a + 1."""
    term = total = 1.0 / a
    n = a
    while True:
        n += 1
        term *= x / n
        total += term
        if abs(term) < abs(total) * _EPS:
            return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _gamma_fraction(a, x):
    """The continued fraction (evaluated by Lentz's method) of the upper integral Q(a, x), for x >= a + 1."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    i = 0
    while True:
        i += 1
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def _igam(a, x):
    """The regularised lower incomplete gamma integral P(a, x) (cephes igam): 0 for x = 0, NaN for x < 0, for
    a <= 0 and for a NaN or infinite argument."""
    # torch-cephes cprob/igam.c:186-192 tests x == 0 before the domain (x < 0 or a <= 0); an infinite a or x
    # makes its prefactor a log(x) - x - lgam(a) inf - inf, NaN, which its loops return
    if x == 0:
        return 0.0
    if not (0 < x < math.inf and 0 < a < math.inf):
        return math.nan
    return _gamma_series(a, x) if x < a + 1 else 1.0 - _gamma_fraction(a, x)


def _igamc(a, x):
    """The regularised upper incomplete gamma integral Q(a, x) = 1 - P(a, x) (cephes igamc): NaN for x < 0,
    for a <= 0 (torch-cephes cprob/igam.c:108-112) and for a NaN or infinite argument (as igam), 1 at x = 0."""
    if not (a > 0 and x >= 0):
        return math.nan
    if x == 0:
        return 1.0
    if math.isinf(a) or math.isinf(x):
        return math.nan
    return 1.0 - _gamma_series(a, x) if x < a + 1 else _gamma_fraction(a, x)


def _ndtri(p):
    """The inverse of the standard normal CDF (cephes ndtri): -MAXNUM (-1.797e308) for p <= 0, +MAXNUM for
    p >= 1 (torch-cephes cprob/ndtri.c:379-388, not infinities), NaN for NaN."""
    if p <= 0:
        return -_MAXNUM
    if p >= 1:
        return _MAXNUM
    if math.isnan(p):
        return math.nan
    return NormalDist().inv_cdf(p)


def _ndtr(a):
    """The standard normal CDF (cephes ndtr, cprob/ndtr.c:406-431): by erf near 0, by erfc in the tails, where
    1 + erf would round the left tail to 0."""
    x = a / math.sqrt(2.0)
    if abs(x) < 1.0:
        return 0.5 + 0.5 * math.erf(x)
    y = 0.5 * math.erfc(abs(x))
    return 1.0 - y if x > 0 else y


def _gamma(x):
    """Gamma(x) (cephes gamma), signed below zero: NaN at the poles 0, -1, -2, ... (cprob/gamma.c's gamnan),
    +inf past its overflow near 171.6."""
    try:
        return math.gamma(x)
    except ValueError:   # a pole, or -inf
        return math.nan
    except OverflowError:
        return math.inf


def _fac(i):
    """i! of the integer-valued float ``i`` (cephes fac, misc/fac.c:222-232): MAXNUM for i < 0 and past 170."""
    if math.isnan(i):
        return math.nan
    if i < 0 or i > 170:
        return _MAXNUM
    return float(math.factorial(int(i)))


lgam = _on_host(_lgam)
gamma = _on_host(_gamma)
fac = _on_host(_fac)
erf = _on_host(math.erf)
ndtri = _on_host(_ndtri)
igam = _on_host(_igam)
igamc = _on_host(_igamc)
ndtr = _on_host(_ndtr)


def chdtr(df, x, xp=np):
    """The chi-square CDF of ``df`` degrees of freedom at ``x`` (cephes chdtr): P(df / 2, x / 2), and 0 outside
    Cephes' domain, x < 0 or df < 1 (torch-cephes cprob/chdtr.c:177-181: chdtr(0.5, x) is 0)."""
    df, x = xp.asarray(df, dtype=np.float64), xp.asarray(x, dtype=np.float64)
    return xp.where((x < 0) | (df < 1), 0.0, igam(df / 2, x / 2, xp=xp))


def pdtr(k, m, xp=np):
    """The Poisson CDF, P(K <= k) of mean ``m`` (cephes pdtr, whose ``k`` is a C int: a fractional count is
    truncated toward zero, torch-cephes converting the Lua number so): Q(k + 1, m), and 0 outside Cephes'
    domain, k < 0 or m <= 0 (torch-cephes cprob/pdtr.c:160-164: a mean of 0 gives 0)."""
    k, m = xp.trunc(xp.asarray(k, dtype=np.float64)), xp.asarray(m, dtype=np.float64)
    return xp.where((k < 0) | (m <= 0), 0.0, igamc(k + 1, m, xp=xp))


def digamma(x, xp=np):
    """psi(x), the digamma function (cephes psi, torch-cephes' cephes.digamma): for x <= 0 by the reflection
    psi(x) = psi(1 - x) - pi / tan(pi (x - n)), n the integer nearest x (the term 0 at a half-integer), MAXNUM at
    the poles 0, -1, -2, ... (bessel/psi.c:132-141, 198)."""
    x = xp.asarray(x, dtype=np.float64)
    negative = x <= 0
    whole = xp.floor(x)
    nz = x - whole
    nz = xp.where(nz > 0.5, x - (whole + 1), nz)
    with np.errstate(divide='ignore', invalid='ignore'):
        reflection = xp.where(nz == 0.5, 0.0, math.pi / xp.tan(math.pi * nz))
    out = xp.where(negative, special.digamma(xp.where(negative, 1 - x, x), xp) - reflection,
                   special.digamma(x, xp))
    return xp.where(negative & (nz == 0), _MAXNUM, out)


def lmvgam(a, d):
    """The log of the multivariate gamma function Gamma_d(a) (torch-cephes' lmvgam), ``a`` and ``d`` numbers:
    d (d - 1) / 4 log(pi) + sum over j = 1 .. d of lgam(a + (1 - j) / 2)."""
    return d * (d - 1) / 4 * math.log(math.pi) + sum(_lgam(a + (1 - j) / 2) for j in range(1, d + 1))
