"""A line search satisfying the strong Wolfe conditions (after minFunc), Torch7's ``optim.lswolfe``."""
from .closure import evaluate, gradient, parameters, wrap
from .polyinterp import polyinterp

DEFAULTS = {'c1': 1e-4, 'c2': 0.9, 'tolX': 1e-9, 'maxIter': 20, 'verbose': False}


def lswolfe(opfunc, x, t, d, f, g, gtd, options=None):
    """Search along ``d`` from ``x`` (starting step ``t``) for a step meeting the strong Wolfe conditions.

    ``f``, ``g``, ``gtd``: loss, gradient and directional derivative at ``x``.
    options: ``c1`` (1e-4, sufficient decrease), ``c2`` (0.9, curvature),
    ``tolX`` (1e-9, smallest bracket), ``maxIter`` (20), ``verbose``.
    Returns ``(f_new, g_new, x, t, lsFuncEval)`` with ``x`` moved in place to
    ``x + t d``. lbfgs calls it through ``config['lineSearch']``.
    """
    opts = dict(DEFAULTS)
    opts.update({k: v for k, v in (options or {}).items() if v is not None})
    c1, c2, tolX, max_iter = opts['c1'], opts['c2'], opts['tolX'], int(opts['maxIter'])
    x = parameters('lswolfe', x)
    d = gradient('lswolfe', x, d).array
    g = gradient('lswolfe', x, g).array
    xa = x.array
    x_init = x.xp.array(xa, copy=True)

    def probe(step):
        x.xp.add(x_init, step * d, out=xa)
        f_new, g_new = evaluate('lswolfe', opfunc, x)
        g_new = x.xp.array(g_new.array, copy=True)   # opfunc may hand back the same buffer every call
        return f_new, g_new, float(g_new.ravel().dot(d.ravel()))

    try:
        f_new, g_new, gtd_new = probe(t)
        evals = 1
        ls_iter, t_prev, done = 0, 0.0, False
        f_prev, g_prev, gtd_prev = f, x.xp.array(g, copy=True), gtd
        bracket = None
        while ls_iter < max_iter:
            if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
                bracket, bracket_f, bracket_g = [t_prev, t], [f_prev, f_new], [g_prev, g_new]
                break
            if abs(gtd_new) <= -c2 * gtd:
                bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
                done = True
                break
            if gtd_new >= 0:
                bracket, bracket_f, bracket_g = [t_prev, t], [f_prev, f_new], [g_prev, g_new]
                break
            # extrapolate between 1.01 t and 10 t from the last two points
            before, t_prev = t_prev, t
            t = polyinterp([[before, f_prev, gtd_prev], [t, f_new, gtd_new]], t + 0.01 * (t - before), t * 10)
            f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
            f_new, g_new, gtd_new = probe(t)
            evals += 1
            ls_iter += 1
        if ls_iter == max_iter:
            bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [x.xp.array(g, copy=True), g_new]

        # zoom: shrink the bracket until a point meets the conditions
        insuf_progress = False
        while not done and ls_iter < max_iter:
            lo_pos = 0 if bracket_f[0] <= bracket_f[1] else 1
            hi_pos = 1 - lo_pos
            f_lo = bracket_f[lo_pos]
            t = polyinterp([[bracket[k], bracket_f[k], float(bracket_g[k].ravel().dot(d.ravel()))] for k in (0, 1)])
            b_max, b_min = max(bracket), min(bracket)
            if min(b_max - t, t - b_min) / (b_max - b_min) < 0.1:
                if insuf_progress or t >= b_max or t <= b_min:
                    if abs(t - b_max) < abs(t - b_min):
                        t = b_max - 0.1 * (b_max - b_min)
                    else:
                        t = b_min + 0.1 * (b_max - b_min)
                    insuf_progress = False
                else:
                    insuf_progress = True
            else:
                insuf_progress = False
            f_new, g_new, gtd_new = probe(t)
            evals += 1
            ls_iter += 1
            if f_new > f + c1 * t * gtd or f_new >= f_lo:
                bracket[hi_pos], bracket_f[hi_pos], bracket_g[hi_pos] = t, f_new, g_new
            else:
                if abs(gtd_new) <= -c2 * gtd:
                    done = True
                elif gtd_new * (bracket[hi_pos] - bracket[lo_pos]) >= 0:
                    bracket[hi_pos], bracket_f[hi_pos], bracket_g[hi_pos] = \
                        bracket[lo_pos], bracket_f[lo_pos], bracket_g[lo_pos]
                bracket[lo_pos], bracket_f[lo_pos], bracket_g[lo_pos] = t, f_new, g_new
            if not done and abs((bracket[0] - bracket[1]) * gtd_new) < tolX:
                break
        if ls_iter == max_iter and opts['verbose']:
            print('<optim.lswolfe> reached max number of iterations')
    except BaseException:
        xa[...] = x_init
        raise

    best = min(range(len(bracket_f)), key=lambda k: (bracket_f[k], k))
    t = bracket[best]
    x.xp.add(x_init, t * d, out=xa)
    return bracket_f[best], wrap(bracket_g[best]), x, t, evals
