"""RMSprop (Tieleman and Hinton), Torch7's ``optim.rmsprop``."""
from .closure import add_weight_decay, addcdiv_into, addcmul_into, buffer, evaluate, parameters, scratch, settings

DEFAULTS = {'learningRate': 1e-2, 'alpha': 0.99, 'epsilon': 1e-8, 'weightDecay': 0, 'initialMean': 0}
STATE = ('m', 'tmp')


def rmsprop(opfunc, x, config=None, state=None):
    """One RMSprop step: ``m <- alpha m + (1 - alpha) g^2``, ``x <- x - lr g / (sqrt(m) + epsilon)``.

    config: ``learningRate`` (1e-2), ``alpha`` (0.99), ``epsilon`` (1e-8),
    ``weightDecay`` (0), ``initialMean`` (0: the value ``m`` starts from).
    state: ``m``, ``tmp`` (``sqrt(m) + epsilon``). Returns ``(x, [f])``.
    """
    x = parameters('rmsprop', x)
    c, config, state = settings('rmsprop', config, state, DEFAULTS, STATE,
                                nonnegative=('learningRate', 'epsilon', 'weightDecay', 'initialMean'))
    alpha = c['alpha']

    fx, dfdx = evaluate('rmsprop', opfunc, x, handed_back=True)
    xp, xa, g = x.xp, x.array, dfdx.array
    tmp = scratch(x)
    add_weight_decay(g, xa, c['weightDecay'], tmp)
    m = buffer('rmsprop', state, 'm', x, fill=c['initialMean']).array
    denom = buffer('rmsprop', state, 'tmp', x).array
    m *= alpha
    addcmul_into(m, 1.0 - alpha, g, g, tmp)
    xp.sqrt(m, out=denom)
    denom += c['epsilon']
    addcdiv_into(xa, -c['learningRate'], g, denom, tmp)   # in Torch7's rounding order
    return x, [fx]
