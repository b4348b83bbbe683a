"""Adam (Kingma and Ba, arXiv:1412.6980), Torch7's ``optim.adam``."""
import math

from .closure import add_weight_decay, addcmul_into, buffer, evaluate, parameters, scratch, settings

DEFAULTS = {'learningRate': 1e-3, 'learningRateDecay': 0, 'beta1': 0.9, 'beta2': 0.999, 'epsilon': 1e-8,
            'weightDecay': 0}
STATE = ('t', 'm', 'v')


def adam(opfunc, x, config=None, state=None):
    """One Adam step: ``x <- x - clr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)``.

    epsilon is added to ``sqrt(v)`` (not under the root) and the bias
    corrections fold into the step size, as in Torch7.
    config: ``learningRate`` (1e-3), ``learningRateDecay`` (0: ``clr = lr / (1 + t lrd)``),
    ``beta1`` (0.9), ``beta2`` (0.999), ``epsilon`` (1e-8), ``weightDecay`` (0).
    state: ``t``, ``m`` (first moment), ``v`` (second moment). Returns ``(x, [f])``.
    """
    x = parameters('adam', x)
    c, config, state = settings('adam', config, state, DEFAULTS, STATE,
                                nonnegative=('learningRate', 'learningRateDecay', 'epsilon', 'weightDecay'))
    beta1, beta2 = c['beta1'], c['beta2']
    t = state.get('t') or 0

    fx, dfdx = evaluate('adam', opfunc, x, t, handed_back=True)
    xp, xa, g = x.xp, x.array, dfdx.array
    tmp = scratch(x)
    add_weight_decay(g, xa, c['weightDecay'], tmp)
    m = buffer('adam', state, 'm', x).array
    v = buffer('adam', state, 'v', x).array
    clr = c['learningRate'] / (1 + t * c['learningRateDecay'])
    t += 1
    state['t'] = t
    m *= beta1
    xp.multiply(g, 1 - beta1, out=tmp)
    m += tmp
    v *= beta2
    addcmul_into(v, 1 - beta2, g, g, tmp)
    step = clr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    xp.sqrt(v, out=tmp)
    tmp += c['epsilon']
    # x += (-step m) / denom in Torch7's addcdiv order; denom sits in the one scratch array (Torch7's
    # state.denom is not kept, docs/optim.md), so -step m takes a temporary
    xp.divide(xp.multiply(m, -step), tmp, out=tmp)
    xa += tmp
    return x, [fx]
