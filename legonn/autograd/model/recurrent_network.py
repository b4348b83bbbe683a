"""RecurrentNetwork: a plain tanh RNN written with legonn functions (torch-autograd's
model/RecurrentNetwork.lua)."""
import legonn as lg

from .. import support
from .common import option, options


def first_params(params):
    """The Lua's ``params[1] or params``: a model's own table, given alone or first in the list of them."""
    return params[0] if isinstance(params, (list, tuple)) else params


def as_sequence_batch(x):
    """``x`` (steps x features, or batch x steps x features) as a batch, with its batch size and step count."""
    if support.nDimension(x) == 2:
        x = lg.view(x, 1, support.size(x, 0), support.size(x, 1))
    return x, support.size(x, 0), support.size(x, 1)


def previous(states, t, prevState, key, x, batch, hiddenFeatures):
    """The Lua's ``hs[t-1] or prevState.h or torch.zero(x.new(batch, hiddenFeatures))``: the state of the step
    before ``t``, else the one given, else zeros."""
    if t > 0:
        return states[t - 1]
    given = prevState.get(key)
    return lg.zero(x.new(batch, hiddenFeatures)) if given is None else given


def sequence_output(hs, batch, hiddenFeatures, outputType):
    """The last hidden state (``outputType`` 'last') or every step's, batch x steps x hiddenFeatures."""
    if outputType == 'last':
        return hs[-1]
    return lg.cat([lg.view(h, batch, 1, hiddenFeatures) for h in hs], 1)


def RecurrentNetwork(opt=None, params=None):
    """``(f, params)``: ``f(params, x, prevState=None)`` runs ``h_t = tanh([x_t, h_{t-1}] W + b)`` over the
    steps of ``x`` (steps x inputFeatures, or batch x steps x inputFeatures), from ``prevState['h']`` (default
    zeros), and returns ``(output, {'h': last h})``: the last h or, with ``outputType`` 'all', every step's
    (batch x steps x hiddenFeatures). ``params`` gets ``{'W': (inputFeatures + hiddenFeatures) x
    hiddenFeatures, 'b': 1 x hiddenFeatures}``, zeros (defaults 10 and 100 features)."""
    opt = options(opt, 'autograd.model.RecurrentNetwork')
    inputFeatures = option(opt, 'inputFeatures', 10)
    hiddenFeatures = option(opt, 'hiddenFeatures', 100)
    outputType = option(opt, 'outputType', 'last')

    params = [] if params is None else params
    params.append({
        'W': lg.zeros(inputFeatures + hiddenFeatures, hiddenFeatures),
        'b': lg.zeros(1, hiddenFeatures),
    })

    def f(params, x, prevState=None):
        p = first_params(params)
        x, batch, steps = as_sequence_batch(x)
        prevState = prevState or {}
        hs = []
        for t in range(steps):
            xt = lg.select(x, 1, t)
            hp = previous(hs, t, prevState, 'h', x, batch, hiddenFeatures)
            hs.append(lg.tanh(lg.mm(lg.cat(xt, hp, 1), p['W']) + lg.expand(p['b'], batch, hiddenFeatures)))
        return sequence_output(hs, batch, hiddenFeatures, outputType), {'h': hs[-1]}

    return f, params
