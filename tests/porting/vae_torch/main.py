"""main.lua of y0ast/VAE-Torch (MIT licence, Joost van Amersfoort), ported line by line as ``main``. Edits beyond
syntax and indices:

* main.lua's hard-coded ``local continuous = false`` is the argument ``continuous`` (default False, the Lua's) so
  that the Gaussian branch can run too, and its ``while true do`` loop stops after ``max_epochs`` epochs where that
  is given (None, the default, loops forever as the Lua does). ``main`` returns the lower bounds it printed.
* The globals the Lua assigns (``data``, ``epoch``, ``criterion``, ``x``, ``batchlowerbound``,
  ``lowerboundlist``) are locals of ``main``; ``lowerboundlist`` starts as None, the Lua's unset global.
* ``indices[#indices] = nil`` drops the last batch (short or not): ``indices.pop()``.
* ``..`` of a number writes it with ``%.14g`` (docs/porting.md's row): the printed bound and time are so formatted.
"""
import legonn as lg
from legonn import nn, optim, xlua

from . import VAE
from .GaussianCriterion import GaussianCriterion
from .KLDPenalty import KLDPenalty
from .Sampler import Sampler
# For loading data files
from .load import load


def main(continuous=False, max_epochs=None):
    data = load(continuous)

    input_size = data['train'].size(1)
    latent_variable_size = 20
    hidden_layer_size = 400

    batch_size = 100

    lg.manualSeed(1)

    encoder = VAE.get_encoder(input_size, hidden_layer_size, latent_variable_size)
    decoder = VAE.get_decoder(input_size, hidden_layer_size, latent_variable_size, continuous)

    KLD = KLDPenalty()

    model = nn.Sequential()
    model.add(encoder)
    model.add(KLD)
    model.add(Sampler())
    model.add(decoder)

    if continuous:
        criterion = GaussianCriterion()
    else:
        criterion = nn.BCECriterion()
        criterion.sizeAverage = False

    parameters, gradients = model.getParameters()

    config = {
        'learningRate': 0.001
    }

    state = {}

    lowerboundlist = None
    lowerbounds = []
    epoch = 0
    while max_epochs is None or epoch < max_epochs:
        epoch = epoch + 1
        lowerbound = 0
        tic = lg.tic()

        shuffle = lg.randperm(data['train'].size(0))

        # This batch creation is inspired by szagoruyko CIFAR example.
        indices = lg.randperm(data['train'].size(0)).long().split(batch_size)
        indices.pop()
        N = len(indices) * batch_size

        tic = lg.tic()
        for t, v in enumerate(indices):
            xlua.progress(t, len(indices))

            inputs = data['train'].index(0, v)

            def opfunc(x):
                if x is not parameters:
                    parameters.copy(x)

                model.zeroGradParameters()

                reconstruction = model.forward(inputs)
                err = criterion.forward(reconstruction, inputs)
                df_dw = criterion.backward(reconstruction, inputs)
                model.backward(inputs, df_dw)

                batchlowerbound = err + KLD.loss

                return batchlowerbound, gradients

            x, batchlowerbound = optim.adam(opfunc, parameters, config, state)

            lowerbound = lowerbound + batchlowerbound[0]

        print("Epoch: " + str(epoch) + " Lowerbound: " + '%.14g' % (lowerbound / N) + " time: " + '%.14g' % lg.toc(tic))
        lowerbounds.append(lowerbound / N)

        if lowerboundlist is not None:
            lowerboundlist = lg.cat(lowerboundlist, lg.Tensor(1, 1).fill(lowerbound / N), 0)
        else:
            lowerboundlist = lg.Tensor(1, 1).fill(lowerbound / N)

        if epoch % 2 == 0:
            lg.save('save/parameters.t7', parameters)
            lg.save('save/state.t7', state)
            lg.save('save/lowerbound.t7', lg.Tensor(lowerboundlist))

    return lowerbounds
