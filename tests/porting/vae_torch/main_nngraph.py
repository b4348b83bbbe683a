"""main.lua of y0ast/VAE-Torch (MIT licence, Joost van Amersfoort) as it stood before commit c0e6b53: the nngraph
model whose outputs are the reconstruction and the latent mean and log-variance, with KLDCriterion applied outside
the graph. Ported line by line as ``main`` with main.py's edits (``continuous`` and ``max_epochs`` arguments, the
globals as locals, ``indices.pop()``); VAE.lua, Sampler.lua and GaussianCriterion.lua were then as at the head.
``KLD`` and ``error_grads`` are globals in the Lua, locals here.
"""
import legonn as lg
from legonn import graph, nn, optim, xlua

from . import VAE
from .GaussianCriterion import GaussianCriterion
from .KLDCriterion import KLDCriterion
from .Sampler import Sampler
# For loading data files
from .load import load

graph.setDebug(False)


def main(continuous=False, max_epochs=None):
    data = load(continuous)

    input_size = data['train'].size(1)
    latent_variable_size = 20
    hidden_layer_size = 400

    batch_size = 100

    lg.manualSeed(1)

    encoder = VAE.get_encoder(input_size, hidden_layer_size, latent_variable_size)
    decoder = VAE.get_decoder(input_size, hidden_layer_size, latent_variable_size, continuous)

    input = nn.Identity()()
    mean, log_var = encoder(input).split(2)
    z = Sampler()([mean, log_var])

    if continuous:
        reconstruction, reconstruction_var = decoder(z).split(2)
        model = nn.gModule([input], [reconstruction, reconstruction_var, mean, log_var])
        criterion = GaussianCriterion()
    else:
        reconstruction = decoder(z)
        model = nn.gModule([input], [reconstruction, mean, log_var])
        criterion = nn.BCECriterion()
        criterion.sizeAverage = False

    # Some code to draw computational graph
    # dummy_x = torch.rand(dim_input)
    # model:forward({dummy_x})

    # Uncomment to get structure of the Variational Autoencoder
    # graph.dot(.fg, 'Variational Autoencoder', 'VA')

    KLD = KLDCriterion()

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
                if continuous:
                    reconstruction, reconstruction_var, mean, log_var = model.forward(inputs)
                    reconstruction = [reconstruction, reconstruction_var]
                else:
                    reconstruction, mean, log_var = model.forward(inputs)

                err = criterion.forward(reconstruction, inputs)
                df_dw = criterion.backward(reconstruction, inputs)

                KLDerr = KLD.forward(mean, log_var)
                dKLD_dmu, dKLD_dlog_var = KLD.backward(mean, log_var)

                if continuous:
                    error_grads = [df_dw[0], df_dw[1], dKLD_dmu, dKLD_dlog_var]
                else:
                    error_grads = [df_dw, dKLD_dmu, dKLD_dlog_var]

                model.backward(inputs, error_grads)

                batchlowerbound = err + KLDerr

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
