"""Minimum of the polynomial interpolating function and derivative values, Torch7's ``optim.polyinterp``.

The line search calls it with two points; the values are a handful of host
floats, so the arithmetic is plain NumPy on the CPU whatever device x is on.
"""
import math

import numpy as np


def _as_points(points):
    arr = np.asarray(points.tolist() if hasattr(points, 'tolist') and not isinstance(points, np.ndarray) else points,
                     dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] < 1:
        raise ValueError(f"optim.polyinterp: points must be N triplets (x, f, f'), an N x 3 table, got shape "
                         f"{arr.shape}")
    return arr


def _cubic_two_points(points):
    """The closed form for two points and no bounds (the line search's usual call)."""
    lo = int(np.argmin(points[:, 0]))
    hi = 1 - lo
    (x1, f1, g1), (x2, f2, g2) = points[lo], points[hi]
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if not disc >= 0:   # the cubic has no real minimiser: Torch7 takes the midpoint
        return float(points[:, 0].mean())
    d2 = math.sqrt(disc)
    t = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    return min(max(t, x1), x2)


def _roots(c):
    """Roots of the polynomial with coefficients ``c`` (highest power first), as complex numbers."""
    c = np.where(np.abs(c) < 1e-12, 0.0, c)
    if not c.any():
        return np.zeros(0, dtype=complex)
    return np.roots(c).astype(complex)


def _polyval(params, x):
    order = len(params) - 1
    return sum(p * x ** (order - i) for i, p in enumerate(params))


def polyinterp(points, xminBound=None, xmaxBound=None):
    """Position of the minimum of the polynomial through ``points`` (N rows ``(x, f(x), f'(x))``).

    With two points and no bounds this is the cubic's closed form, clamped to
    the bracket; otherwise the degree ``2N - 1`` polynomial is fitted by least
    squares and its critical points inside ``[xminBound, xmaxBound]`` (default:
    the points' range), the bounds and the points are compared, bisection being
    the fallback. Torch7 also returns the minimum value on the general path; a
    Python caller gets the position only, the value callers use.
    """
    points = _as_points(points)
    n = points.shape[0]
    order = 2 * n - 1
    if n == 2 and xminBound is None and xmaxBound is None:
        return _cubic_two_points(points)
    xs = points[:, 0]
    lo = float(xs.min()) if xminBound is None else float(xminBound)
    hi = float(xs.max()) if xmaxBound is None else float(xmaxBound)
    # rows x^order .. x^0 (values) and (order - j) x^(order - j - 1) (derivatives), each power by C's pow as
    # Lua's ``^``: NumPy's vectorised power (SIMD on some CPUs) can be 1 ulp off it
    A = np.zeros((2 * n, order + 1))
    b = np.zeros(2 * n)
    for i, x in enumerate(xs.tolist()):
        A[i] = [math.pow(x, j) for j in range(order, -1, -1)]
        A[n + i, :order] = [(order - j) * math.pow(x, order - j - 1) for j in range(order)]
    b[:n] = points[:, 1]
    b[n:] = points[:, 2]
    params = np.linalg.lstsq(A, b, rcond=None)[0]
    params[np.abs(params) <= 1e-12] = 0
    dparams = params[:-1] * np.arange(order, 0, -1)
    candidates = [complex(lo), complex(hi)] + [complex(v) for v in xs]
    if np.all(np.isfinite(dparams)):
        candidates += list(_roots(dparams))
    best, fmin = (lo + hi) / 2, math.inf
    for cp in candidates:
        if cp.imag == 0 and lo <= cp.real <= hi:
            f = _polyval(params, cp.real)
            if f < fmin:
                best, fmin = cp.real, f
    return float(best)
