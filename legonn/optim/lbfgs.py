"""Limited-memory BFGS (after minFunc), Torch7's ``optim.lbfgs``."""
import math

from ..tensor import as_tensor
from .closure import evaluate, parameters, restoring, settings, wrap

DEFAULTS = {'maxIter': 20, 'maxEval': None, 'tolFun': 1e-5, 'tolX': 1e-9, 'nCorrection': 100, 'lineSearch': None,
            'lineSearchOptions': None, 'learningRate': 1, 'verbose': False}
STATE = ('funcEval', 'nIter', 'd', 't', 'old_dirs', 'old_stps', 'Hdiag', 'g_old', 'f_old', 'dir_bufs', 'stp_bufs')


def _arrays(tensors):
    return [as_tensor(t).array for t in tensors or []]


def lbfgs(opfunc, x, config=None, state=None):
    """Up to ``maxIter`` L-BFGS iterations on ``x`` (in place).

    Without ``lineSearch`` each iteration moves a fixed ``learningRate`` along
    the quasi-Newton direction (the first step is scaled by ``1/sum|g|``); with
    ``lineSearch=optim.lswolfe`` the step comes from that search, called as
    ``lineSearch(opfunc, x, t, d, f, g, gtd, lineSearchOptions)``.
    config: ``maxIter`` (20), ``maxEval`` (1.25 maxIter), ``tolFun`` (1e-5, on
    sum|g|), ``tolX`` (1e-9, on steps and loss changes), ``nCorrection`` (100),
    ``lineSearch``, ``lineSearchOptions``, ``learningRate`` (1), ``verbose``.
    A negative ``tolFun``/``tolX`` turns those stopping tests off, so exactly
    ``maxIter`` iterations run (neural-style passes ``tolX=-1, tolFun=-1``).
    state: ``funcEval``, ``nIter``, ``d``, ``t``, ``old_dirs``, ``old_stps``,
    ``Hdiag``, ``g_old``, ``f_old`` and the recycled history buffers ``dir_bufs``,
    ``stp_bufs`` (allocated as needed rather than all nCorrection up front).
    Returns ``(x, f_hist, currentFuncEval)``: ``f_hist[0]`` is f before, ``f_hist[-1]`` the last value.
    """
    x = parameters('lbfgs', x)
    c, config, state = settings('lbfgs', config, state, DEFAULTS, STATE,
                                nonnegative=('maxIter', 'maxEval', 'nCorrection', 'learningRate'))
    max_iter = int(c['maxIter'])
    max_eval = c['maxEval'] if c['maxEval'] is not None else max_iter * 1.25
    tol_fun, tol_x, n_correction, lr = c['tolFun'], c['tolX'], int(c['nCorrection']), c['learningRate']
    line_search = c['lineSearch']
    # lbfgs.lua's verbose: print('<optim.lbfgs> ', ...), whose two arguments Lua's print separates by a tab
    verbose = (lambda msg: print('<optim.lbfgs> ', msg, sep='\t')) if c['verbose'] else (lambda msg: None)
    xp, xa = x.xp, x.array

    def dot(a, b):
        return float(a.ravel().dot(b.ravel()))

    with restoring(x, state, contents=('d', 'g_old')):
        state['funcEval'] = state.get('funcEval') or 0
        state['nIter'] = state.get('nIter') or 0
        f, g = evaluate('lbfgs', opfunc, x, state['funcEval'])
        g = g.array
        f_hist = [f]
        evals = 1
        state['funcEval'] += 1
        if float(xp.abs(g).sum()) <= tol_fun:
            verbose('optimality condition below tolFun')
            return x, f_hist, evals

        d = None if state.get('d') is None else as_tensor(state['d']).array
        t = state.get('t')
        old_dirs, old_stps = _arrays(state.get('old_dirs')), _arrays(state.get('old_stps'))
        if state.get('dir_bufs') is None:
            verbose('creating recyclable direction/step/history buffers')
        dir_bufs, stp_bufs = _arrays(state.get('dir_bufs')), _arrays(state.get('stp_bufs'))
        # the pairs this call drops from a full history: recycled only once the call has succeeded, as a
        # failing call must leave the history it found (state.old_dirs) unwritten
        retired_dirs, retired_stps = [], []
        h_diag = state.get('Hdiag')
        g_old = None if state.get('g_old') is None else as_tensor(state['g_old']).array
        f_old = state.get('f_old')

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state['nIter'] += 1
            if state['nIter'] == 1:
                d = -g
                old_dirs, old_stps, h_diag = [], [], 1
            else:
                y = dir_bufs.pop() if dir_bufs else xp.empty_like(g)
                s = stp_bufs.pop() if stp_bufs else xp.empty_like(g)
                xp.subtract(g, g_old, out=y)
                xp.multiply(d, t, out=s)
                ys = dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == n_correction:
                        retired_dirs.append(old_dirs.pop(0))
                        retired_stps.append(old_stps.pop(0))
                    old_dirs.append(s)
                    old_stps.append(y)
                    h_diag = ys / dot(y, y)
                else:
                    dir_bufs.append(y)
                    stp_bufs.append(s)
                # two-loop recursion: d <- -H g with the stored (s, y) pairs
                k = len(old_dirs)
                ro = [1 / dot(old_stps[i], old_dirs[i]) for i in range(k)]
                al = [0.0] * k
                q = -g
                for i in range(k - 1, -1, -1):
                    al[i] = dot(old_dirs[i], q) * ro[i]
                    q -= al[i] * old_stps[i]
                xp.multiply(q, h_diag, out=d)
                for i in range(k):
                    be_i = dot(old_stps[i], d) * ro[i]
                    d += (al[i] - be_i) * old_dirs[i]
            if g_old is None:
                g_old = xp.array(g, copy=True)
            else:
                g_old[...] = g
            f_old = f

            gtd = dot(g, d)
            if gtd > -tol_x:
                break
            if state['nIter'] == 1:
                # Lua's 1/0 is inf: a zero gradient (reachable with a negative tolFun) gives t = lr
                g_sum = float(xp.abs(g).sum())
                t = (min(1.0, 1.0 / g_sum) if g_sum > 0 else 1.0) * lr
            else:
                t = lr

            if callable(line_search):
                f, g_t, _, t, ls_evals = line_search(opfunc, x, t, wrap(d), f, wrap(g), gtd, c['lineSearchOptions'])
                g = as_tensor(g_t).array
                f_hist.append(f)
            else:
                xa += t * d
                ls_evals = 0
                if n_iter != max_iter:
                    # in a stochastic setting the last re-evaluation would be wasted
                    f, g = evaluate('lbfgs', opfunc, x, state['funcEval'])
                    g = g.array
                    ls_evals = 1
                    f_hist.append(f)
            evals += ls_evals
            state['funcEval'] += ls_evals

            if n_iter == max_iter:
                verbose('reached max number of iterations')
                break
            if evals >= max_eval:
                verbose('max nb of function evals')
                break
            if float(xp.abs(g).sum()) <= tol_fun:
                verbose('optimality condition below tolFun')
                break
            if float(xp.abs(d * t).sum()) <= tol_x:
                verbose('step size below tolX')
                break
            if math.fabs(f - f_old) < tol_x:
                verbose('function value changing less than tolX')
                break

    state.update(old_dirs=[wrap(a) for a in old_dirs], old_stps=[wrap(a) for a in old_stps],
                 dir_bufs=[wrap(a) for a in dir_bufs + retired_dirs],
                 stp_bufs=[wrap(a) for a in stp_bufs + retired_stps], Hdiag=h_diag,
                 g_old=wrap(g_old), f_old=f_old, t=t, d=wrap(d))
    return x, f_hist, evals
