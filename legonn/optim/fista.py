"""FISTA / ISTA with backtracking (Beck and Teboulle, 2009), Torch7's ``optim.FistaLS``."""
import math

from .closure import buffer, gradient, loss_value, parameters, restoring, settings

DEFAULTS = {'L': 0.1, 'Lstep': 1.5, 'maxiter': 50, 'maxline': 20, 'errthres': 1e-4, 'doFistaUpdate': None,
            'verbose': False}
STATE = ('xkm', 'y', 'ply')


def FistaLS(f, g, pl, xinit, params=None):
    """Minimise ``f(x) + g(x)`` (``f`` smooth, ``g`` not) by proximal gradient steps with a line search on ``L``.

    ``f(x, 'dx')`` returns ``(f(x), df/dx)``, ``f(x)`` the value (or a tuple
    whose first entry is it); ``g(x)`` the non-smooth value; ``pl(x, L)``
    replaces ``x`` in place by the minimiser of the intermediate problem (e.g.
    soft shrinkage by ``1/L`` for an L1 ``g``).
    params: ``L`` (0.1, 1/step size; the last one used is written back),
    ``Lstep`` (1.5), ``maxiter`` (50), ``maxline`` (20), ``errthres`` (1e-4),
    ``doFistaUpdate`` (absent means ISTA, as Torch7's code does; its comment
    claims FISTA), ``verbose``; work tensors ``xkm``, ``y``, ``ply``.
    As in Torch7 the iterations start from ``y = 0`` and ``xinit`` serves as
    the current iterate; it holds the solution on return.
    Returns ``(xinit, history)``, one dict per iteration with ``nline``, ``L``,
    ``F``, ``Fply``, ``Gply``, ``Q`` (and, when verbose, copies ``xk`` and ``y`` of
    that iteration's point and look-ahead, as Torch7 keeps them).
    """
    xk = parameters('FistaLS', xinit)
    c, params, _ = settings('FistaLS', params, None, DEFAULTS, STATE,
                            nonnegative=('L', 'Lstep', 'maxiter', 'maxline', 'errthres'))
    L, Lstep, errthres = c['L'], c['Lstep'], c['errthres']
    maxiter, maxline = int(c['maxiter']), int(c['maxline'])

    def smooth(point):
        out = f(point)
        return loss_value('FistaLS', out[0] if isinstance(out, (tuple, list)) else out)

    with restoring(xk, params):
        xkm = buffer('FistaLS', params, 'xkm', xk)
        y = buffer('FistaLS', params, 'y', xk)
        ply = buffer('FistaLS', params, 'ply', xk)
        for t in (xkm, y, ply):
            t.array[...] = 0
        xa, ya, plya, xkma = xk.array, y.array, ply.array, xkm.array
        history = []
        tk, tkp = 1.0, 0.0
        fval = math.inf
        while len(history) < maxiter:
            out = f(y, 'dx')
            fy = loss_value('FistaLS', out[0])
            gfy = gradient('FistaLS', xk, out[1]).array
            nline = 0
            while True:
                plya[...] = ya
                plya += (-1 / L) * gfy
                pl(ply, L)
                xa[...] = plya
                fply = smooth(ply)
                plya -= ya
                Q2 = float(gfy.ravel().dot(plya.ravel()))
                Q3 = L / 2 * float(plya.ravel().dot(plya.ravel()))
                Q = fy + Q2 + Q3
                if c['verbose']:
                    print(f'nline={nline} L={L:g} fply={fply:g} Q={Q:g} fy={fy:g} Q2={Q2:g} Q3={Q3:g}')
                if fply <= Q:
                    nline += 1
                    break
                if nline >= maxline:
                    xa[...] = xkma   # no better point: stay at the previous iterate
                    nline += 1
                    break
                L *= Lstep
                nline += 1
            if c['doFistaUpdate']:
                tkp = (1 + math.sqrt(1 + 4 * tk * tk)) / 2
                xkma -= xa
                ya[...] = xa
                ya += (1 - tk) / tkp * xkma
                xkma[...] = xa
            else:
                ya[...] = xa
            tk = tkp
            fply = smooth(y)
            gply = float(g(y))
            if c['verbose']:
                print(f'iter={len(history)} eold={fval:g} enew={fply + gply:g}')
            fval = fply + gply
            history.append({'nline': nline, 'L': L, 'F': fval, 'Fply': fply, 'Gply': gply, 'Q': Q})
            if c['verbose']:   # Torch7 keeps each iterate's copies when verbose
                history[-1]['xk'], history[-1]['y'] = xk.clone(), y.clone()
            params['L'] = L
            if len(history) > 1 and abs(history[-1]['F'] - history[-2]['F']) <= errthres:
                break
        xa[...] = ya
    return xk, history


fista = FistaLS
