"""Stochastic gradient descent, Torch7's ``optim.sgd``."""
from ..tensor.blas_kernels import axpby_into, momentum_step_into
from .closure import add_weight_decay, buffer, entries, evaluate, parameters, scratch, settings

DEFAULTS = {'learningRate': 1e-3, 'learningRateDecay': 0, 'weightDecay': 0, 'momentum': 0, 'dampening': None,
            'nesterov': False, 'learningRates': None, 'weightDecays': None}
STATE = ('evalCounter', 'dfdx', 'decayParameters', 'deltaParameters')


def sgd(opfunc, x, config=None, state=None):
    """One SGD step on ``x`` (in place); returns ``(x, [f(x) before the step])``.

    config: ``learningRate`` (1e-3), ``learningRateDecay`` (0): the rate is
    ``lr / (1 + evalCounter * lrd)``; ``weightDecay`` (0) or ``weightDecays``
    (per element) added to the gradient as ``wd * x``; ``momentum`` (0),
    ``dampening`` (defaults to ``momentum``), ``nesterov`` (needs momentum > 0
    and dampening 0); ``learningRates`` (per-element rates).
    state: ``evalCounter``, ``dfdx`` (the momentum buffer), ``decayParameters``,
    ``deltaParameters``. As in Torch7 the weight decay (and Nesterov's
    look-ahead) is added into the returned gradient tensor itself.
    """
    x = parameters('sgd', x)
    c, config, state = settings('sgd', config, state, DEFAULTS, STATE,
                                nonnegative=('learningRate', 'learningRateDecay', 'weightDecay', 'momentum'))
    lr, lrd, wd, mom = c['learningRate'], c['learningRateDecay'], c['weightDecay'], c['momentum']
    damp = mom if c['dampening'] is None else c['dampening']
    nesterov = bool(c['nesterov'])
    if nesterov and not (mom > 0 and damp == 0):
        raise ValueError(f"optim.sgd: Nesterov momentum needs momentum > 0 and dampening 0, got momentum {mom} "
                         f"and dampening {damp}")
    lrs = None if c['learningRates'] is None else entries('sgd', 'learningRates', c['learningRates'], x)
    wds = None if c['weightDecays'] is None or wd != 0 else entries('sgd', 'weightDecays', c['weightDecays'], x)
    nevals = state.get('evalCounter') or 0

    fx, dfdx = evaluate('sgd', opfunc, x, nevals, handed_back=True)
    xp, xa, g = x.xp, x.array, dfdx.array
    tmp = scratch(x)

    add_weight_decay(g, xa, wd, tmp)
    if wds is not None:   # per-element decays, read only when weightDecay is 0
        decay = buffer('sgd', state, 'decayParameters', x).array
        xp.multiply(wds, xa, out=decay)
        g += decay

    clr = lr / (1 + nevals * lrd)
    if mom != 0 and state.get('dfdx') is not None and not nesterov and lrs is None:
        # the common case: step = mom * step + (1 - damp) * g, then x -= clr * step (one kernel on the GPU)
        momentum_step_into(xa, buffer('sgd', state, 'dfdx', dfdx).array, g, mom, 1 - damp, -clr, tmp)
    else:
        if mom != 0:
            if state.get('dfdx') is None:
                step = buffer('sgd', state, 'dfdx', dfdx, copy=True).array
            else:
                step = buffer('sgd', state, 'dfdx', dfdx).array
                axpby_into(step, 1 - damp, g, mom, tmp)   # step = mom * step + (1 - damp) * g, one pass
            if nesterov:
                xp.multiply(step, mom, out=tmp)
                g += tmp
                step = g
        else:
            step = g
        if lrs is not None:
            delta = buffer('sgd', state, 'deltaParameters', x).array
            xp.multiply(lrs, step, out=delta)
            step = delta
        axpby_into(xa, -clr, step, 1.0, tmp)   # x -= clr * step, one pass

    state['evalCounter'] = nevals + 1
    return x, [fx]
