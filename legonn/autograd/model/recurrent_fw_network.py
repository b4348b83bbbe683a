"""RecurrentFWNetwork: an RNN with fast weights (Ba et al., "Using Fast Weights to Attend to the Recent Past"),
written with legonn functions and wrapped nn modules (torch-autograd's model/RecurrentFWNetwork.lua)."""
import legonn as lg

from .. import support
from ..nnwrapper import functionalize
from .common import option, options
from .recurrent_network import as_sequence_batch, first_params, sequence_output


def RecurrentFWNetwork(opt=None, params=None):
    """``(f, params)``: ``f(params, x, prevState=None)`` runs the fast-weights RNN over the steps of ``x``
    (steps x inputFeatures, or batch x steps x inputFeatures) from ``prevState``'s ``h`` and fast weights
    ``A`` (batch x hidden x hidden; default zeros): per step ``A = lambda A + eta h h^T``, then ``S + 1``
    inner steps ``h = relu(LN([x_t, h_{t-1}] W + b + A h))`` (``LN`` a layer normalization without gain,
    always applied: the Lua's ``opt.LayerNorm or true`` is true whatever is given). Returns ``(output,
    {'h', 'A'})``, the output the last h or (``outputType`` 'all') every step's. ``params`` gets ``{'W', 'b'}``, zeros;
    options ``lambda`` (0.9), ``eta`` (0.5), ``S`` (1)."""
    opt = options(opt, 'autograd.model.RecurrentFWNetwork')
    inputFeatures = option(opt, 'inputFeatures', 10)
    hiddenFeatures = option(opt, 'hiddenFeatures', 100)
    l = option(opt, 'lambda', 0.9)
    e = option(opt, 'eta', 0.5)
    S = option(opt, 'S', 1)
    LayerNorm = option(opt, 'LayerNorm', True)
    eps = 1e-5
    outputType = option(opt, 'outputType', 'last')
    nn = functionalize('nn')
    relu = nn.ReLU()
    mm = nn.MM(False, False)    # A * B
    mmT = nn.MM(False, True)    # A * B'

    params = [] if params is None else params
    params.append({
        'W': lg.zeros(inputFeatures + hiddenFeatures, hiddenFeatures),
        'b': lg.zeros(1, hiddenFeatures),
    })

    def f(params, x, prevState=None):
        p = first_params(params)
        x, batch, steps = as_sequence_batch(x)
        prevState = prevState or {}

        hp = prevState.get('h')
        if hp is None:
            hp = lg.zero(x.new(batch, hiddenFeatures))
        # fast weights
        A = prevState.get('A')
        if A is None:
            A = lg.zero(x.new(batch, hiddenFeatures, hiddenFeatures))

        hs = []
        for t in range(steps):
            xt = lg.select(x, 1, t)
            hp = hs[t - 1] if t > 0 else hp
            hpMat = lg.view(hp, batch, -1, 1)

            # fast weights update
            A = l * A + e * mmT([hpMat, hpMat])

            # pack all dot products:
            dot = lg.mm(lg.cat(xt, hp, 1), p['W']) + lg.expand(p['b'], batch, hiddenFeatures)

            h = lg.zero(x.new(batch, hiddenFeatures))
            for _ in range(S + 1):
                hstMat = lg.view(h, batch, -1, 1)
                h = dot + lg.view(mm([A, hstMat]), batch, -1)
                if LayerNorm:
                    hn = h
                    if support.nDimension(h) == 1:
                        hn = lg.view(h, 1, support.size(h, 0))
                    n = support.size(hn, 1)
                    hn = hn - lg.expand(lg.mean(hn, 1), support.size(hn))
                    std = lg.expand(lg.sqrt(lg.sum(lg.cmul(hn, hn) / n, 1) + eps), support.size(hn))
                    h = lg.view(lg.cdiv(hn, std), support.size(h))
                # apply non-linearity
                h = relu(h)
            hs.append(h)

        # the state holds the fast weights too: the Lua read prevState.A but returned h alone, so a continued
        # sequence restarted them from zeros
        return sequence_output(hs, batch, hiddenFeatures, outputType), {'h': hs[-1], 'A': A}

    return f, params
