"""SGD with Nesterov's accelerated gradient (Sutskever et al., ICML 2013), Torch7's ``optim.nag``."""
from .closure import add_weight_decay, buffer, entries, evaluate, parameters, restoring, scratch, settings

DEFAULTS = {'learningRate': 1e-3, 'learningRateDecay': 0, 'weightDecay': 0, 'momentum': 0.9, 'dampening': None,
            'learningRates': None}
STATE = ('evalCounter', 'dfdx', 'deltaParameters')


def nag(opfunc, x, config=None, state=None):
    """One NAG step: ``x`` first moves along the momentum buffer, the gradient is taken there.

    config: ``learningRate`` (1e-3), ``learningRateDecay`` (0), ``weightDecay``
    (0), ``momentum`` (0.9, must be > 0), ``learningRates`` (per element);
    ``dampening`` is accepted and, as in Torch7, unused.
    state: ``evalCounter``, ``dfdx`` (the velocity ``v <- mom v - clr g``), ``deltaParameters``.
    Returns ``(x, [f])`` with ``f`` taken at the look-ahead point.
    """
    x = parameters('nag', x)
    c, config, state = settings('nag', config, state, DEFAULTS, STATE,
                                nonnegative=('learningRate', 'learningRateDecay', 'weightDecay'))
    lr, lrd, wd, mom = c['learningRate'], c['learningRateDecay'], c['weightDecay'], c['momentum']
    if mom <= 0:
        raise ValueError(f"optim.nag: momentum must be positive for Nesterov's accelerated gradient, got {mom}")
    lrs = None if c['learningRates'] is None else entries('nag', 'learningRates', c['learningRates'], x)
    nevals = state.get('evalCounter') or 0
    xp, xa = x.xp, x.array
    tmp = scratch(x)

    # x moves before the evaluation, so a failing opfunc must find it put back
    with restoring(x, state):
        if state.get('dfdx') is not None:
            xp.multiply(buffer('nag', state, 'dfdx', x).array, mom, out=tmp)
            xa += tmp
        fx, dfdx = evaluate('nag', opfunc, x, nevals, handed_back=True)
    g = dfdx.array
    add_weight_decay(g, xa, wd, tmp)
    clr = lr / (1 + nevals * lrd)
    if state.get('dfdx') is None:
        velocity = buffer('nag', state, 'dfdx', x).array
    else:
        velocity = state['dfdx'].array
        velocity *= mom
    if lrs is not None:
        delta = buffer('nag', state, 'deltaParameters', x).array
        xp.multiply(lrs, g, out=delta)
        g = delta
    xp.multiply(g, -clr, out=tmp)
    xa += tmp
    velocity += tmp

    state['evalCounter'] = nevals + 1
    return x, [fx]
