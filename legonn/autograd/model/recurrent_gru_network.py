"""RecurrentGRUNetwork: a GRU written with legonn functions (torch-autograd's model/RecurrentGRUNetwork.lua)."""
import legonn as lg

from .. import util
from .common import option, options
from .recurrent_network import as_sequence_batch, first_params, previous, sequence_output


def RecurrentGRUNetwork(opt=None, params=None):
    """``(f, params)``: ``f(params, x, prevState=None)`` runs a GRU over the steps of ``x`` (steps x
    inputFeatures, or batch x steps x inputFeatures) from ``prevState['h']`` (default zeros) and returns
    ``(output, {'h'})``, the last h or (``outputType`` 'all') every step's. Gates ``sigmoid([x_t, h] W + b)``
    (input gate r, forget gate z), value ``tanh([x_t, r * h] V + c)``, ``h' = (1 - z) h + z value``.
    ``params`` gets ``{'W', 'b', 'V', 'c'}``, zeros."""
    opt = options(opt, 'autograd.model.RecurrentGRUNetwork')
    inputFeatures = option(opt, 'inputFeatures', 10)
    hiddenFeatures = option(opt, 'hiddenFeatures', 100)
    outputType = option(opt, 'outputType', 'last')

    params = [] if params is None else params
    params.append({
        'W': lg.zeros(inputFeatures + hiddenFeatures, 2 * hiddenFeatures),
        'b': lg.zeros(1, 2 * hiddenFeatures),
        'V': lg.zeros(inputFeatures + hiddenFeatures, hiddenFeatures),
        'c': lg.zeros(1, hiddenFeatures),
    })

    def f(params, x, prevState=None):
        p = first_params(params)
        x, batch, steps = as_sequence_batch(x)
        prevState = prevState or {}
        hs = []
        for t in range(steps):
            xt = lg.select(x, 1, t)
            hp = previous(hs, t, prevState, 'h', x, batch, hiddenFeatures)

            # pack all dot products, view as 2 groups:
            dots = lg.mm(lg.cat(xt, hp, 1), p['W']) + lg.expand(p['b'], batch, 2 * hiddenFeatures)
            dots = lg.view(dots, batch, 2, hiddenFeatures)

            # batch compute gates:
            sigmoids = util.sigmoid(dots)
            inputGate = lg.select(sigmoids, 1, 0)
            forgetGate = lg.select(sigmoids, 1, 1)

            # write inputs
            inputValue = lg.tanh(lg.mm(lg.cat(xt, lg.cmul(hp, inputGate), 1), p['V'])
                                 + lg.expand(p['c'], batch, hiddenFeatures))

            # next h:
            hs.append(lg.cmul(1 - forgetGate, hp) + lg.cmul(forgetGate, inputValue))

        return sequence_output(hs, batch, hiddenFeatures, outputType), {'h': hs[-1]}

    return f, params
