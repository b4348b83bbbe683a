"""lbfgs (with and without lswolfe), polyinterp, cg and FistaLS against NumPy re-derivations of Torch7's code."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import optim

from .problems import PROBLEMS, quadratic


# --- polyinterp: a cubic through two (x, f, f') points, minimised on an interval -----------------------------
def ref_polyinterp(pts, lo=None, hi=None):
    (x1, f1, g1), (x2, f2, g2) = pts
    if lo is None and hi is None:
        if x2 < x1:
            (x1, f1, g1), (x2, f2, g2) = (x2, f2, g2), (x1, f1, g1)
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        disc = d1 ** 2 - g1 * g2
        if disc < 0:
            return (x1 + x2) / 2
        d2 = math.sqrt(disc)
        t = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        return min(max(t, x1), x2)
    # Hermite cubic a x^3 + b x^2 + c x + d, solved directly; its critical points by the quadratic formula
    M = np.array([[x1 ** 3, x1 ** 2, x1, 1], [x2 ** 3, x2 ** 2, x2, 1],
                  [3 * x1 ** 2, 2 * x1, 1, 0], [3 * x2 ** 2, 2 * x2, 1, 0]])
    a, b, c, d = np.linalg.solve(M, [f1, f2, g1, g2])
    cands = [lo, hi, x1, x2]
    A, B, C = 3 * a, 2 * b, c
    if abs(A) > 1e-12:
        disc = B * B - 4 * A * C
        if disc >= 0:
            cands += [(-B + math.sqrt(disc)) / (2 * A), (-B - math.sqrt(disc)) / (2 * A)]
    elif abs(B) > 1e-12:
        cands.append(-C / B)
    best, fbest = (lo + hi) / 2, math.inf
    for x in cands:
        v = ((a * x + b) * x + c) * x + d
        if lo <= x <= hi and v < fbest:
            best, fbest = x, v
    return best


@pytest.mark.parametrize('pts', [[(0.0, 1.0, -2.0), (1.0, 0.5, 1.0)], [(2.0, 3.0, 1.0), (0.5, 1.0, -1.0)],
                                 [(0.0, 0.0, -1.0), (1.0, -3.0, -4.0)]])
def test_polyinterp_two_points(pts):
    assert optim.polyinterp(lg.DoubleTensor(pts)) == pytest.approx(ref_polyinterp(pts), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize('pts,lo,hi', [([(0.0, 1.0, -2.0), (1.0, 0.2, -0.5)], 1.01, 10.0),
                                       ([(0.0, 1.0, -1.0), (0.5, 0.9, 0.2)], 0.0, 3.0),
                                       ([(0.0, 0.0, -1.0), (1.0, -3.0, -4.0)], 1.0, 5.0)])
def test_polyinterp_bounded(pts, lo, hi):
    got = optim.polyinterp(np.array(pts), lo, hi)
    assert got == pytest.approx(ref_polyinterp(pts, lo, hi), rel=1e-9, abs=1e-12)
    assert lo <= got <= hi


def _pow_polyinterp(pts, lo, hi):
    """polyinterp.lua's bounded path with every power taken by C's pow, as Lua's ``^`` is."""
    n = len(pts)
    order = 2 * n - 1
    A = np.array([[math.pow(x, order - k) for k in range(order + 1)] for x, _, _ in pts] +
                 [[(order - k) * math.pow(x, order - k - 1) for k in range(order)] + [0.0] for x, _, _ in pts])
    coef = np.linalg.lstsq(A, [f for _, f, _ in pts] + [g for _, _, g in pts], rcond=None)[0]
    coef[np.abs(coef) <= 1e-12] = 0
    deriv = coef[:-1] * np.arange(order, 0, -1)
    deriv[np.abs(deriv) < 1e-12] = 0
    cands = [lo, hi] + [x for x, _, _ in pts] + [r.real for r in np.roots(deriv) if r.imag == 0]
    best, fbest = (lo + hi) / 2, math.inf
    for x in cands:
        v = 0
        for k, c in enumerate(coef):
            v = v + c * math.pow(x, order - k)
        if lo <= x <= hi and v < fbest:
            best, fbest = x, v
    return best


def test_polyinterp_powers_are_c_pow():
    """torch/optim polyinterp.lua fills its interpolation system with Lua's ``^`` (C's pow); NumPy's vectorised
    ``**`` is 1 ulp off it for some x on SIMD builds, which moved lswolfe's steps by a few ulps. Over many
    random bounded calls the position equals the one from pow-built rows exactly."""
    rng = np.random.RandomState(7)
    for _ in range(600):
        pts = [tuple(r) for r in rng.randn(2, 3) * 3]
        lo, hi = sorted(rng.randn(2) * 4)
        assert optim.polyinterp(np.array(pts), lo, hi) == _pow_polyinterp(pts, lo, hi), (pts, lo, hi)


def test_polyinterp_rejects_bad_points():
    with pytest.raises(ValueError, match='N x 3'):
        optim.polyinterp(np.zeros((2, 2)))


# --- lswolfe ----------------------------------------------------------------------------------------------------
def ref_lswolfe(opfunc, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolX=1e-9, max_iter=20):
    def at(step):
        fn, gn = opfunc(x + step * d)
        return fn, gn, gn @ d
    f_new, g_new, gtd_new = at(t)
    n, ls, t_prev, done = 1, 0, 0.0, False
    f_prev, g_prev, gtd_prev = f, g, gtd
    br = None
    while ls < max_iter:
        if f_new > f + c1 * t * gtd or (ls > 1 and f_new >= f_prev) or (gtd_new >= 0 and abs(gtd_new) > -c2 * gtd):
            br = [[t_prev, f_prev, g_prev], [t, f_new, g_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:
            br, done = [[t, f_new, g_new]], True
            break
        t_prev, t = t, ref_polyinterp([(t_prev, f_prev, gtd_prev), (t, f_new, gtd_new)], t + 0.01 * (t - t_prev),
                                      10 * t)
        f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
        f_new, g_new, gtd_new = at(t)
        n += 1
        ls += 1
    if ls == max_iter:
        br = [[0.0, f, g], [t, f_new, g_new]]
    insuf = False
    while not done and ls < max_iter:
        lo = 0 if br[0][1] <= br[1][1] else 1
        hi = 1 - lo
        f_lo = br[lo][1]
        t = ref_polyinterp([(b[0], b[1], b[2] @ d) for b in br])
        bmax, bmin = max(br[0][0], br[1][0]), min(br[0][0], br[1][0])
        if min(bmax - t, t - bmin) / (bmax - bmin) < 0.1:
            if insuf or t >= bmax or t <= bmin:
                t = bmax - 0.1 * (bmax - bmin) if abs(t - bmax) < abs(t - bmin) else bmin + 0.1 * (bmax - bmin)
                insuf = False
            else:
                insuf = True
        else:
            insuf = False
        f_new, g_new, gtd_new = at(t)
        n += 1
        ls += 1
        if f_new > f + c1 * t * gtd or f_new >= f_lo:
            br[hi] = [t, f_new, g_new]
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (br[hi][0] - br[lo][0]) >= 0:
                br[hi] = list(br[lo])
            br[lo] = [t, f_new, g_new]
        if not done and abs((br[0][0] - br[1][0]) * gtd_new) < tolX:
            break
    best = min(range(len(br)), key=lambda k: (br[k][1], k))
    t, f_new, g_new = br[best]
    return f_new, g_new, x + t * d, t, n


@pytest.mark.parametrize('t0', [1e-3, 0.5, 2.0])
def test_lswolfe_matches_reference_and_wolfe_conditions(t0):
    _, opfunc, x0 = PROBLEMS[1]
    f, g = opfunc(x0)
    d = -g / np.abs(g).sum()
    gtd = float(g @ d)
    x = lg.DoubleTensor(x0.copy())
    f_new, g_new, x_out, t, n = optim.lswolfe(opfunc, x, t0, d, f, g, gtd)
    rf, rg, rx, rt, rn = ref_lswolfe(opfunc, x0, t0, d, f, g, gtd)
    assert x_out is x and n == rn
    assert t == pytest.approx(rt, rel=1e-10) and f_new == pytest.approx(rf, rel=1e-10)
    np.testing.assert_allclose(x.array, rx, rtol=1e-10)
    np.testing.assert_allclose(g_new.array, rg, rtol=1e-10)
    assert f_new <= f + 1e-4 * t * gtd


# --- lbfgs ------------------------------------------------------------------------------------------------------
def ref_lbfgs_run(opfunc, x, calls, lr=1.0, n_corr=100, line_search=False):
    """Iterates of ``calls`` one-iteration lbfgs calls sharing a state (each call evaluates at its start)."""
    S, Y, H, d, t, g_old = [], [], 1.0, None, None, None
    xs = []
    for it in range(1, calls + 1):
        f, g = opfunc(x)
        if it == 1:
            d = -g
        else:
            y, s = g - g_old, d * t
            ys = y @ s
            if ys > 1e-10:
                if len(S) == n_corr:
                    S.pop(0)
                    Y.pop(0)
                S.append(s)
                Y.append(y)
                H = ys / (y @ y)
            q, alphas = -g, [0.0] * len(S)
            for i in reversed(range(len(S))):
                alphas[i] = (S[i] @ q) * (1 / (Y[i] @ S[i]))
                q = q - alphas[i] * Y[i]
            d = q * H
            for i in range(len(S)):
                d = d + (alphas[i] - (Y[i] @ d) * (1 / (Y[i] @ S[i]))) * S[i]
        g_old = g.copy()
        gtd = g @ d
        if gtd > -1e-9:
            break
        t = min(1.0, 1.0 / np.abs(g).sum()) * lr if it == 1 else lr
        if line_search:
            _, _, x, t, _ = ref_lswolfe(opfunc, x, t, d, f, g, gtd)
        else:
            x = x + t * d
        xs.append(x)
    return xs


@pytest.mark.parametrize('problem', PROBLEMS, ids=[p[0] for p in PROBLEMS])
@pytest.mark.parametrize('line_search', [False, True], ids=['fixed-step', 'lswolfe'])
def test_lbfgs_trajectory(problem, line_search):
    _, opfunc, x0 = problem
    lr = 1.0 if line_search else 0.1
    config = {'maxIter': 1, 'learningRate': lr, 'nCorrection': 5}
    if line_search:
        config['lineSearch'] = optim.lswolfe
    expected = ref_lbfgs_run(opfunc, x0.copy(), 22, lr=lr, n_corr=5, line_search=line_search)
    x = lg.DoubleTensor(x0.copy())
    for k, ref_x in enumerate(expected):
        out, f_hist, evals = optim.lbfgs(opfunc, x, config)
        assert out is x and f_hist[0] == pytest.approx(opfunc(expected[k - 1] if k else x0)[0], rel=1e-9)
        np.testing.assert_allclose(x.array, ref_x, rtol=1e-8, atol=1e-11, err_msg=f'iteration {k}')
    # the 6-D quadratic is solved in fewer iterations than Rosenbrock needs
    assert len(expected) >= (8 if problem[0] == 'quadratic' else 20)
    assert config['nIter'] == len(expected) and len(config['old_dirs']) <= 5
    assert {'funcEval', 'd', 't', 'old_stps', 'Hdiag', 'g_old', 'f_old'} <= set(config)


def test_lbfgs_converges_in_one_call():
    _, opfunc, x0 = PROBLEMS[0]
    x = x0.copy()
    _, f_hist, evals = optim.lbfgs(opfunc, x, {'maxIter': 100, 'lineSearch': optim.lswolfe})
    np.testing.assert_allclose(x, [1, 1], atol=1e-4)
    assert f_hist[0] == pytest.approx(24.2) and f_hist[-1] < 1e-8 and evals >= len(f_hist) - 1


def test_lbfgs_stops_at_optimum():
    opfunc, xstar = quadratic()
    x = xstar.copy()
    _, f_hist, evals = optim.lbfgs(opfunc, x, {})
    assert evals == 1 and len(f_hist) == 1
    np.testing.assert_array_equal(x, xstar)


# --- cg (minimize.m) --------------------------------------------------------------------------------------------
def ref_cg(opfunc, x, max_eval, rho=0.01, sig=0.5, intr=0.1, ext=3.0, max_iter=20, ratio=100):
    def ev(p):
        f, g = opfunc(p)
        return f, g.copy()
    f1, df1 = ev(x)
    fx, i = [f1], 1
    s = -df1
    d1 = -(s @ s)
    z1 = 1 / (1 - d1)
    while i < max_eval:
        x0 = x.copy()
        x = x + z1 * s
        f2, df2 = ev(x)
        i += 1
        d2 = df2 @ s
        f3, d3, z3 = f1, d1, -z1
        m, success, limit = min(max_iter, max_eval - i), False, -1
        while True:
            while (f2 > f1 + z1 * rho * d1 or d2 > -sig * d1) and m > 0:
                limit = z1
                with np.errstate(all='ignore'):
                    if f2 > f1:
                        z2 = z3 - (0.5 * d3 * z3 * z3) / np.float64(d3 * z3 + f2 - f3)
                    else:
                        A = 6 * (f2 - f3) / z3 + 3 * (d2 + d3)
                        B = 3 * (f3 - f2) - z3 * (d3 + 2 * d2)
                        z2 = (np.sqrt(np.float64(B * B - A * d2 * z3 * z3)) - B) / np.float64(A)
                if not np.isfinite(z2):
                    z2 = z3 / 2
                z2 = max(min(z2, intr * z3), (1 - intr) * z3)
                z1 += z2
                x = x + z2 * s
                f2, df2 = ev(x)
                i += 1
                m -= 1
                d2 = df2 @ s
                z3 -= z2
            if f2 > f1 + z1 * rho * d1 or d2 > -sig * d1:
                break
            if d2 > sig * d1:
                success = True
                break
            if m == 0:
                break
            A = 6 * (f2 - f3) / z3 + 3 * (d2 + d3)
            B = 3 * (f3 - f2) - z3 * (d3 + 2 * d2)
            with np.errstate(all='ignore'):
                z2 = -d2 * z3 * z3 / (B + np.sqrt(np.float64(B * B - A * d2 * z3 * z3)))
            if not np.isfinite(z2) or z2 < 0:
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
            x = x + z2 * s
            f2, df2 = ev(x)
            i += 1
            m -= 1
            d2 = df2 @ s
        if not success:
            return x0, fx, i
        f1 = f2
        fx.append(f1)
        s = (df2 @ df2 - df2 @ df1) / (df1 @ df1) * s - df2
        df1, df2 = df2, df1
        d2 = df1 @ s
        if d2 > 0:
            s = -df1
            d2 = -(s @ s)
        z1 *= min(ratio, d1 / (d2 - 1e-320))
        d1 = d2
    return x, fx, i


@pytest.mark.parametrize('problem', PROBLEMS, ids=[p[0] for p in PROBLEMS])
@pytest.mark.parametrize('max_eval', [5, 12, 40, 120])
def test_cg_matches_reference(problem, max_eval):
    _, opfunc, x0 = problem
    x = lg.DoubleTensor(x0.copy())
    config = {'maxEval': max_eval}
    out, fx, evals = optim.cg(opfunc, x, config)
    rx, rfx, revals = ref_cg(opfunc, x0.copy(), max_eval)
    assert out is x and evals == revals
    np.testing.assert_allclose(fx, rfx, rtol=1e-9)
    np.testing.assert_allclose(x.array, rx, rtol=1e-9, atol=1e-12)
    assert {'df0', 'df1', 'df2', 'df3', 'x0', 's'} <= set(config)
    if max_eval >= 40:
        assert len(fx) > 5 and fx[-1] < fx[0]


# --- FistaLS ----------------------------------------------------------------------------------------------------
def _lasso():
    rng = np.random.RandomState(0)
    A = rng.randn(20, 10)
    b = A @ np.r_[1, 0, 0, 2, 0, 0, 0, 0, 0, -1.0]
    lam = 0.5

    def f(x, mode=None):
        r = A @ np.asarray(x.array if hasattr(x, 'array') else x) - b
        return (0.5 * float(r @ r), A.T @ r) if mode == 'dx' else 0.5 * float(r @ r)

    def g(x):
        return lam * float(np.abs(np.asarray(x.array if hasattr(x, 'array') else x)).sum())

    def pl(x, L):
        a = x.array if hasattr(x, 'array') else x
        a[...] = np.sign(a) * np.maximum(np.abs(a) - lam / L, 0)
    return f, g, pl


def ref_fista(f, g, pl, n, fista, L=0.1, Lstep=1.5, maxiter=50, maxline=20, errthres=1e-4):
    xk, xkm, y = np.zeros(n), np.zeros(n), np.zeros(n)
    tk, tkp, hist = 1.0, 0.0, []
    while len(hist) < maxiter:
        fy, gfy = f(y, 'dx')
        nline = 0
        while True:
            ply = y + (-1 / L) * gfy
            pl(ply, L)
            xk = ply.copy()
            fply = f(ply)
            step = ply - y
            Q = fy + gfy @ step + L / 2 * (step @ step)
            nline += 1
            if fply <= Q:
                break
            if nline - 1 >= maxline:
                xk = xkm.copy()
                break
            L *= Lstep
        if fista:
            tkp = (1 + math.sqrt(1 + 4 * tk * tk)) / 2
            y = xk + (1 - tk) / tkp * (xkm - xk)
            xkm = xk.copy()
        else:
            y = xk.copy()
        tk = tkp
        hist.append((L, f(y) + g(y)))
        if len(hist) > 1 and abs(hist[-1][1] - hist[-2][1]) <= errthres:
            break
    return y, hist


@pytest.mark.parametrize('fista', [True, False], ids=['fista', 'ista'])
def test_fista_matches_reference(fista):
    f, g, pl = _lasso()
    x = lg.DoubleTensor(10).fill(7)   # ignored as a start, as in Torch7: iterations begin at y = 0
    params = {'doFistaUpdate': fista, 'maxiter': 30, 'errthres': 1e-9}
    out, history = optim.FistaLS(f, g, pl, x, params)
    ry, rhist = ref_fista(f, g, pl, 10, fista, maxiter=30, errthres=1e-9)
    assert out is x and len(history) == len(rhist) >= 20
    np.testing.assert_allclose([h['L'] for h in history], [h[0] for h in rhist], rtol=1e-12)
    np.testing.assert_allclose([h['F'] for h in history], [h[1] for h in rhist], rtol=1e-9)
    np.testing.assert_allclose(x.array, ry, rtol=1e-9, atol=1e-12)
    assert params['L'] == history[-1]['L'] and {'xkm', 'y', 'ply'} <= set(params)
    assert history[-1]['F'] < history[0]['F']


@pytest.mark.parametrize('start', [1.0, 0.0])
def test_lbfgs_negative_tolerances_run_every_iteration(start):
    """torch/optim lbfgs.lua reads tolFun and tolX as plain numbers: jcjohnson/neural-style passes
    tolX = -1, tolFun = -1 so that no stopping test (sum|g| <= tolFun, gtd > -tolX, sum|d t| <= tolX,
    |f - f_old| < tolX) can fire and exactly maxIter iterations run, even from a zero gradient, where Lua's
    min(1, 1/0) gives a first step of learningRate (here a step of zero length)."""
    def opfunc(x):                             # f = sum(x^2) / 2, exactly zero gradient at 0
        a = np.asarray(x)
        return float(0.5 * a @ a), a.copy()
    x = np.full(4, start)
    _, f_hist, evals = optim.lbfgs(opfunc, x, {'maxIter': 6, 'tolX': -1, 'tolFun': -1})
    assert evals == 6 and len(f_hist) == 6    # maxIter iterations; the last one does not re-evaluate
    if start == 0:
        np.testing.assert_array_equal(x, 0)
    else:
        assert f_hist[-1] < f_hist[0]


def test_lbfgs_verbose_lines_as_torch7(capsys):
    """torch/optim lbfgs.lua's verbose prints print('<optim.lbfgs> ', msg): the prefix, a tab, the message;
    the first call also says it creates its history buffers. jcjohnson/neural-style runs with verbose=true."""
    opfunc, _ = quadratic()
    state = {'maxIter': 3, 'verbose': True, 'tolX': -1, 'tolFun': -1}
    optim.lbfgs(opfunc, np.zeros(6), state)
    optim.lbfgs(opfunc, np.zeros(6), state)
    assert capsys.readouterr().out.splitlines() == [
        '<optim.lbfgs> \tcreating recyclable direction/step/history buffers',
        '<optim.lbfgs> \treached max number of iterations',
        '<optim.lbfgs> \treached max number of iterations']


def test_fista_verbose_prints_and_keeps_as_torch7(capsys):
    """torch/optim fista.lua with verbose prints 'nline=%d L=%g fply=%g Q=%g fy=%g Q2=%g Q3=%g' per line-search
    trial (Q = fy + Q2 + Q3, Q2 = grad . step, Q3 = L/2 |step|^2) and 'iter=%d eold=%g enew=%g' per iteration,
    and keeps clones of that iteration's xk and y in its history entry."""
    f, g, pl = _lasso()
    x = lg.DoubleTensor(10)
    _, history = optim.FistaLS(f, g, pl, x, {'doFistaUpdate': True, 'maxiter': 3, 'verbose': True})
    lines = capsys.readouterr().out.splitlines()
    trials = [ln for ln in lines if ln.startswith('nline=')]
    assert len(trials) == sum(h['nline'] for h in history)
    for ln in trials:
        fields = dict(kv.split('=') for kv in ln.split())
        assert list(fields) == ['nline', 'L', 'fply', 'Q', 'fy', 'Q2', 'Q3']
        parts = [float(fields[k]) for k in ('fy', 'Q2', 'Q3')]   # %g keeps 6 digits of each
        assert float(fields['Q']) == pytest.approx(sum(parts), abs=1e-5 * sum(map(abs, parts)))
    assert [ln.split()[0] for ln in lines if ln.startswith('iter=')] == ['iter=0', 'iter=1', 'iter=2']
    assert isinstance(history[-1]['y'], lg.DoubleTensor) and history[-1]['y'] is not x
    np.testing.assert_array_equal(history[-1]['y'].array, x.array)   # the last look-ahead is the answer
    assert not np.array_equal(history[0]['xk'].array, history[-1]['xk'].array)
