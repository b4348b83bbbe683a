"""AdaMax, Adam's infinity-norm variant (Kingma and Ba, arXiv:1412.6980), Torch7's ``optim.adamax``."""
from .closure import add_weight_decay, addcdiv_into, buffer, evaluate, parameters, scratch, settings

DEFAULTS = {'learningRate': 0.002, 'beta1': 0.9, 'beta2': 0.999, 'epsilon': 1e-38, 'weightDecay': 0}
STATE = ('t', 'm', 'u')


def adamax(opfunc, x, config=None, state=None):
    """One AdaMax step: ``u <- max(beta2 u, |g| + epsilon)``, ``x <- x - lr / (1 - beta1^t) * m / u``.

    config: ``learningRate`` (0.002), ``beta1`` (0.9), ``beta2`` (0.999),
    ``epsilon`` (1e-38), ``weightDecay`` (0).
    state: ``t``, ``m`` (first moment), ``u`` (weighted infinity norm). Returns ``(x, [f])``.
    """
    x = parameters('adamax', x)
    c, config, state = settings('adamax', config, state, DEFAULTS, STATE,
                                nonnegative=('learningRate', 'epsilon', 'weightDecay'))
    beta1, beta2 = c['beta1'], c['beta2']
    t = state.get('t') or 0

    fx, dfdx = evaluate('adamax', opfunc, x, t, handed_back=True)
    xp, xa, g = x.xp, x.array, dfdx.array
    tmp = scratch(x)
    add_weight_decay(g, xa, c['weightDecay'], tmp)
    m = buffer('adamax', state, 'm', x).array
    u = buffer('adamax', state, 'u', x).array
    t += 1
    state['t'] = t
    m *= beta1
    xp.multiply(g, 1 - beta1, out=tmp)
    m += tmp
    u *= beta2
    xp.abs(g, out=tmp)
    tmp += c['epsilon']
    xp.maximum(u, tmp, out=u)
    addcdiv_into(xa, -(c['learningRate'] / (1 - beta1 ** t)), m, u, tmp)   # in Torch7's rounding order
    return x, [fx]
