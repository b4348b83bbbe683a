"""AdaGrad (Duchi et al., 2011), Torch7's ``optim.adagrad``."""
from .closure import add_weight_decay, addcdiv_into, addcmul_into, buffer, evaluate, parameters, scratch, settings

DEFAULTS = {'learningRate': 1e-3, 'learningRateDecay': 0, 'weightDecay': 0}
STATE = ('evalCounter', 'paramVariance', 'paramStd')


def adagrad(opfunc, x, config=None, state=None):
    """One AdaGrad step: ``x <- x - clr g / (sqrt(sum g^2) + 1e-10)``, ``clr = lr / (1 + evalCounter lrd)``.

    config: ``learningRate`` (1e-3), ``learningRateDecay`` (0), ``weightDecay`` (0).
    state: ``evalCounter``, ``paramVariance`` (sum of squared gradients),
    ``paramStd`` (its square root plus 1e-10). Returns ``(x, [f])``.
    """
    x = parameters('adagrad', x)
    if config is None and state is None:   # adagrad.lua's notice: without a table every call starts afresh
        print('no state table, ADAGRAD initializing')
    c, config, state = settings('adagrad', config, state, DEFAULTS, STATE,
                                nonnegative=('learningRate', 'learningRateDecay', 'weightDecay'))
    nevals = state.get('evalCounter') or 0

    fx, dfdx = evaluate('adagrad', opfunc, x, nevals, handed_back=True)
    xp, xa, g = x.xp, x.array, dfdx.array
    tmp = scratch(x)
    add_weight_decay(g, xa, c['weightDecay'], tmp)
    clr = c['learningRate'] / (1 + nevals * c['learningRateDecay'])
    variance = buffer('adagrad', state, 'paramVariance', x).array
    std = buffer('adagrad', state, 'paramStd', x).array
    addcmul_into(variance, 1, g, g, tmp)
    xp.sqrt(variance, out=std)
    std += 1e-10
    addcdiv_into(xa, -clr, g, std, tmp)   # x += (-clr g) / std, in Torch7's rounding order

    state['evalCounter'] = nevals + 1
    return x, [fx]
