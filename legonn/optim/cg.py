"""Nonlinear conjugate gradients (C. E. Rasmussen's minimize.m), Torch7's ``optim.cg``."""
import math

from .closure import buffer, evaluate, parameters, restoring, settings

DEFAULTS = {'rho': 0.01, 'sig': 0.5, 'int': 0.1, 'ext': 3.0, 'maxIter': 20, 'ratio': 100, 'maxEval': None,
            'verbose': 0}
STATE = ('df0', 'df1', 'df2', 'df3', 'x0', 's')


def _bad(z):
    return math.isnan(z) or math.isinf(z)


def _div(a, b):
    """IEEE division, as Lua does it: x/0 is +-inf or nan, never an exception (the line search tests for those)."""
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _sqrt(v):
    return math.sqrt(v) if v >= 0 else math.nan


def cg(opfunc, x, config=None, state=None):
    """Polak-Ribiere conjugate gradients with minimize.m's cubic/quadratic line search, on ``x`` in place.

    config: ``rho`` (0.01) and ``sig`` (0.5), the Wolfe-Powell constants;
    ``int`` (0.1), don't re-evaluate within this fraction of the bracket;
    ``ext`` (3.0), extrapolate at most this many times the step; ``maxIter``
    (20, evaluations per line search); ``ratio`` (100, largest slope ratio);
    ``maxEval`` (1.25 maxIter, evaluations in all).
    state: the work tensors ``df0``..``df3``, ``x0``, ``s`` (reused across calls).
    Returns ``(x, fx, i)``: the loss after each successful line search (``fx[0]`` at the start) and the
    number of evaluations. As in Torch7, a failed line search restores the best point and ends the call.
    """
    x = parameters('cg', x)
    c, config, state = settings('cg', config, state, DEFAULTS, STATE,
                                nonnegative=('rho', 'sig', 'int', 'ext', 'maxIter', 'ratio', 'maxEval'))
    rho, sig, intr, ext, ratio = c['rho'], c['sig'], c['int'], c['ext'], c['ratio']
    max_iter = c['maxIter']
    max_eval = c['maxEval'] if c['maxEval'] is not None else max_iter * 1.25
    xp, xa = x.xp, x.array

    def dot(a, b):
        return float(a.ravel().dot(b.ravel()))

    with restoring(x, state):
        df0, df1, df2 = (buffer('cg', state, k, x).array for k in ('df0', 'df1', 'df2'))
        buffer('cg', state, 'df3', x)   # kept for Torch7's state layout; minimize.m needs no fourth gradient
        s, x0 = buffer('cg', state, 's', x).array, buffer('cg', state, 'x0', x).array
        i = 0
        f1, g = evaluate('cg', opfunc, x, i)
        df1[...] = g.array
        fx = [f1]
        i += 1
        xp.negative(df1, out=s)
        d1 = -dot(s, s)
        z1 = 1 / (1 - d1)
        while i < abs(max_eval):
            x0[...] = xa
            df0[...] = df1
            xa += z1 * s
            f2, g = evaluate('cg', opfunc, x, i)
            df2[...] = g.array
            i += 1
            d2 = dot(df2, s)
            f3, d3, z3 = f1, d1, -z1
            m = min(max_iter, max_eval - i)
            success = False
            limit = -1
            while True:
                while (f2 > f1 + z1 * rho * d1 or d2 > -sig * d1) and m > 0:
                    limit = z1
                    if f2 > f1:
                        z2 = z3 - _div(0.5 * d3 * z3 * z3, d3 * z3 + f2 - f3)
                    else:
                        A = _div(6 * (f2 - f3), z3) + 3 * (d2 + d3)
                        B = 3 * (f3 - f2) - z3 * (d3 + 2 * d2)
                        z2 = _div(_sqrt(B * B - A * d2 * z3 * z3) - B, A)
                    if _bad(z2):
                        z2 = z3 / 2
                    z2 = max(min(z2, intr * z3), (1 - intr) * z3)
                    z1 += z2
                    xa += z2 * s
                    f2, g = evaluate('cg', opfunc, x, i)
                    df2[...] = g.array
                    i += 1
                    m -= 1
                    d2 = dot(df2, s)
                    z3 -= z2
                if f2 > f1 + z1 * rho * d1 or d2 > -sig * d1:
                    break
                if d2 > sig * d1:
                    success = True
                    break
                if m == 0:
                    break
                A = _div(6 * (f2 - f3), z3) + 3 * (d2 + d3)
                B = 3 * (f3 - f2) - z3 * (d3 + 2 * d2)
                z2 = _div(-d2 * z3 * z3, B + _sqrt(B * B - A * d2 * z3 * z3))
                if _bad(z2) or z2 < 0:
                    z2 = z1 * (ext - 1) if limit < -0.5 else (limit - z1) / 2
                elif limit > -0.5 and z2 + z1 > limit:
                    z2 = (limit - z1) / 2
                elif limit < -0.5 and z2 + z1 > z1 * ext:
                    z2 = z1 * (ext - 1)
                elif z2 < -z3 * intr:
                    z2 = -z3 * intr
                elif limit > -0.5 and z2 < (limit - z1) * (1 - intr):
                    z2 = (limit - z1) * (1 - intr)
                f3, d3, z3 = f2, d2, -z2
                z1 += z2
                xa += z2 * s
                f2, g = evaluate('cg', opfunc, x, i)
                df2[...] = g.array
                i += 1
                m -= 1
                d2 = dot(df2, s)
            if success:
                f1 = f2
                fx.append(f1)
                ss = _div(dot(df2, df2) - dot(df2, df1), dot(df1, df1))
                s *= ss
                s -= df2
                df1[...], df2[...] = df2.copy(), df1.copy()
                d2 = dot(df1, s)
                if d2 > 0:
                    xp.negative(df1, out=s)
                    d2 = -dot(s, s)
                z1 *= min(ratio, _div(d1, d2 - 1e-320))
                d1 = d2
            else:
                # Lua's 0 is true, so Torch7 always stops after a failed line search
                xa[...] = x0
                df1[...] = df0
                break
    return x, fx, i
