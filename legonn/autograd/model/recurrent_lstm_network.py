"""RecurrentLSTMNetwork: an LSTM written with legonn functions, optionally batch-normalized (torch-autograd's
model/RecurrentLSTMNetwork.lua)."""
import legonn as lg

from .. import util
from ..nnwrapper import functionalize
from .common import option, options
from .recurrent_network import as_sequence_batch, first_params, previous, sequence_output


def RecurrentLSTMNetwork(opt=None, params=None):
    """``(f, params, layers)``: ``f(params, x, prevState=None, layers=None)`` runs an LSTM over the steps of
    ``x`` (steps x inputFeatures, or batch x steps x inputFeatures) from ``prevState``'s ``h`` and ``c``
    (default zeros) and returns ``(output, {'h', 'c'}, layers)``, the output the last h or (``outputType``
    'all') every step's. The gates are ``[x_t, h_{t-1}] W + b`` viewed as 4 groups: input, forget and output
    gates (sigmoid), then the input value (tanh). ``params`` gets ``{'W', 'b'}`` (zeros); with
    ``batchNormalization``, the gate products and the cell go through wrapped BatchNormalization layers, one
    pair per step up to ``maxBatchNormalizationLayers`` (the last pair after), whose scale and shift (0.1 and
    0, shared by every step, the shift standing for ``b``) join ``params`` as ``lstm_bn_1``, ``lstm_bn_2``,
    ``cell_bn_1``, ``cell_bn_2``; pass ``layers`` to ``f``."""
    opt = options(opt, 'autograd.model.RecurrentLSTMNetwork')
    inputFeatures = option(opt, 'inputFeatures', 10)
    hiddenFeatures = option(opt, 'hiddenFeatures', 100)
    outputType = option(opt, 'outputType', 'last')
    batchNormalization = option(opt, 'batchNormalization', False)
    maxBatchNormalizationLayers = option(opt, 'maxBatchNormalizationLayers', 10)

    params = [] if params is None else params
    layers = {}
    p = {
        'W': lg.zeros(inputFeatures + hiddenFeatures, 4 * hiddenFeatures),
        'b': lg.zeros(1, 4 * hiddenFeatures),
    }
    if batchNormalization:
        nn = functionalize('nn')
        # translation and scaling parameters are shared across time.
        lstm_bn, p_lstm_bn = nn.BatchNormalization(4 * hiddenFeatures)
        cell_bn, p_cell_bn = nn.BatchNormalization(hiddenFeatures)
        layers['lstm_bn'] = [lstm_bn]
        layers['cell_bn'] = [cell_bn]
        for _ in range(1, maxBatchNormalizationLayers):
            layers['lstm_bn'].append(nn.BatchNormalization(4 * hiddenFeatures)[0])
            layers['cell_bn'].append(nn.BatchNormalization(hiddenFeatures)[0])
        # initializing scaling to < 1 is recommended for LSTM batch norm.
        p['lstm_bn_1'] = p_lstm_bn[0].fill(0.1)
        p['lstm_bn_2'] = p_lstm_bn[1].zero()
        p['cell_bn_1'] = p_cell_bn[0].fill(0.1)
        p['cell_bn_2'] = p_cell_bn[1].zero()
    params.append(p)

    def f(params, x, prevState=None, layers=None):
        p = first_params(params)
        x, batch, steps = as_sequence_batch(x)
        prevState = prevState or {}
        hs, cs = [], []
        for t in range(steps):
            xt = lg.select(x, 1, t)
            hp = previous(hs, t, prevState, 'h', x, batch, hiddenFeatures)
            cp = previous(cs, t, prevState, 'c', x, batch, hiddenFeatures)

            # batch norm for t, independent mean and std across time steps (all time steps beyond
            # maxBatchNormalizationLayers use the last one)
            if batchNormalization:
                k = min(t, len(layers['lstm_bn']) - 1)
                lstm_bn, cell_bn = layers['lstm_bn'][k], layers['cell_bn'][k]

            # pack all dot products:
            dots = lg.mm(lg.cat([xt, hp], 1), p['W'])
            if batchNormalization:
                # use translation parameter from batch norm as bias.
                dots = lstm_bn([p['lstm_bn_1'], p['lstm_bn_2']], dots)
            else:
                dots = dots + lg.expand(p['b'], batch, 4 * hiddenFeatures)

            # view as 4 groups, batch compute gates:
            dots = lg.view(dots, batch, 4, hiddenFeatures)
            sigmoids = util.sigmoid(lg.narrow(dots, 1, 0, 3))
            inputGate = lg.select(sigmoids, 1, 0)
            forgetGate = lg.select(sigmoids, 1, 1)
            outputGate = lg.select(sigmoids, 1, 2)

            # write inputs
            tanhs = lg.tanh(lg.narrow(dots, 1, 3, 1))
            inputValue = lg.select(tanhs, 1, 0)

            # next c:
            c = lg.cmul(forgetGate, cp) + lg.cmul(inputGate, inputValue)
            if batchNormalization:
                c = cell_bn([p['cell_bn_1'], p['cell_bn_2']], c)
            cs.append(c)

            # next h:
            hs.append(lg.cmul(outputGate, lg.tanh(c)))

        return sequence_output(hs, batch, hiddenFeatures, outputType), {'h': hs[-1], 'c': cs[-1]}, layers

    return f, params, layers
