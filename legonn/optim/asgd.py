"""Averaged SGD (L. Bottou's sgd-2.0), Torch7's ``optim.asgd``."""
import math

from .closure import buffer, evaluate, parameters, scratch, settings

DEFAULTS = {'eta0': 1e-4, 'lambda': 1e-4, 'alpha': 0.75, 't0': 1e6}
STATE = ('eta_t', 'mu_t', 't', 'ax')


def asgd(opfunc, x, config=None, state=None):
    """One ASGD step on ``x``; returns ``(x, [f(x) before the step], ax)``, ``ax`` the running average of ``x``.

    ``x <- (1 - lambda eta_t) x - eta_t df/dx``; ``ax <- ax + mu_t (x - ax)``;
    ``eta_t = eta0 / (1 + lambda eta0 t)^alpha``, ``mu_t = 1 / max(1, t - t0)``.
    config: ``eta0`` (1e-4), ``lambda`` (1e-4), ``alpha`` (0.75), ``t0`` (1e6);
    as in Torch7 the defaults are written back into ``config``.
    state: ``eta_t``, ``mu_t``, ``t``, ``ax``.
    """
    x = parameters('asgd', x)
    c, config, state = settings('asgd', config, state, DEFAULTS, STATE, nonnegative=('eta0', 'lambda'))
    eta_t = c['eta0'] if state.get('eta_t') is None else state['eta_t']
    mu_t = state.get('mu_t') or 1
    t = state.get('t') or 0

    fx, dfdx = evaluate('asgd', opfunc, x, t, handed_back=True)
    config.update(c)
    xp, xa = x.xp, x.array
    tmp = scratch(x)
    xa *= 1 - c['lambda'] * eta_t
    xp.multiply(dfdx.array, -eta_t, out=tmp)
    xa += tmp

    ax = buffer('asgd', state, 'ax', x)
    if mu_t != 1:
        xp.subtract(xa, ax.array, out=tmp)
        tmp *= mu_t
        ax.array += tmp
    else:
        ax.array[...] = xa

    t += 1
    state['t'] = t
    state['eta_t'] = c['eta0'] / math.pow(1 + c['lambda'] * c['eta0'] * t, c['alpha'])
    state['mu_t'] = 1 / max(1, t - c['t0'])
    return x, [fx], ax
