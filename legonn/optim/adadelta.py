"""ADADELTA (Zeiler, arXiv:1212.5701), Torch7's ``optim.adadelta``."""
from .closure import add_weight_decay, addcmul_into, buffer, evaluate, parameters, scratch, settings

DEFAULTS = {'rho': 0.9, 'eps': 1e-6, 'weightDecay': 0}
STATE = ('evalCounter', 'paramVariance', 'paramStd', 'delta', 'accDelta')


def adadelta(opfunc, x, config=None, state=None):
    """One ADADELTA step: ``delta = sqrt(accDelta + eps) / sqrt(E[g^2] + eps) * g``, ``x <- x - delta``.

    config: ``rho`` (0.9), ``eps`` (1e-6), ``weightDecay`` (0).
    state: ``evalCounter``, ``paramVariance`` (E[g^2]), ``paramStd``, ``delta``,
    ``accDelta`` (E[delta^2]). Returns ``(x, [f])``.
    """
    x = parameters('adadelta', x)
    if config is None and state is None:   # adadelta.lua's notice: without a table every call starts afresh
        print('no state table, ADADELTA initializing')
    c, config, state = settings('adadelta', config, state, DEFAULTS, STATE, nonnegative=('rho', 'eps', 'weightDecay'))
    rho, eps = c['rho'], c['eps']
    nevals = state.get('evalCounter') or 0

    fx, dfdx = evaluate('adadelta', opfunc, x, nevals, handed_back=True)
    xp, xa, g = x.xp, x.array, dfdx.array
    tmp = scratch(x)
    add_weight_decay(g, xa, c['weightDecay'], tmp)
    variance = buffer('adadelta', state, 'paramVariance', x).array
    std = buffer('adadelta', state, 'paramStd', x).array
    delta = buffer('adadelta', state, 'delta', x).array
    acc = buffer('adadelta', state, 'accDelta', x).array
    variance *= rho
    addcmul_into(variance, 1 - rho, g, g, tmp)   # ((1 - rho) g) g, Torch7's rounding order
    xp.add(variance, eps, out=std)
    xp.sqrt(std, out=std)
    xp.add(acc, eps, out=delta)
    xp.sqrt(delta, out=delta)
    delta /= std
    delta *= g
    xa -= delta
    acc *= rho
    addcmul_into(acc, 1 - rho, delta, delta, tmp)

    state['evalCounter'] = nevals + 1
    return x, [fx]
