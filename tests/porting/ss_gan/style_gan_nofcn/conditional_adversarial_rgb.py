"""style-gan-nofcn/conditional_adversarial_rgb.lua: structure-gan's adversarial_ct.lua with D and G conditioned
on the normal maps (``cond_inputs``: the real batch's for D's step, the second batch's for G's) and G's step
taking D's gradInput by ``updateGradInput`` alone (D's gradients untouched). Its ``adam`` is adversarial_ct.lua's
function verbatim, imported, as is the ``Tensor`` of the script's default type. ``paths.dofile(...)`` is
``conditional_adversarial_rgb()``, which returns the ``adversarial`` table; the globals are ``threads.local``'s."""
import types

import legonn as lg
from legonn import cutorch, threads, xlua

from ..structure_gan.adversarial_ct import Tensor, adam

G = threads.local


def conditional_adversarial_rgb():
    xlua.require('torch')
    xlua.require('optim')
    xlua.require('pl')
    xlua.require('paths')

    adversarial = types.SimpleNamespace()
    opt = G.opt

    inputs = Tensor(opt['batchSize'], opt['geometry'][0], opt['geometry'][1], opt['geometry'][2])
    targets = Tensor(opt['batchSize'])
    if isinstance(opt['noiseDim'], (int, float)):
        noise_inputs = Tensor(opt['batchSize'], opt['noiseDim'], 1, 1)
    else:
        noise_inputs = Tensor(opt['batchSize'], opt['noiseDim'][0], opt['noiseDim'][1], opt['noiseDim'][2])

    if isinstance(opt['condDim'], (int, float)):
        cond_inputs = Tensor(opt['batchSize'], opt['condDim'], 1, 1)
    else:
        cond_inputs = Tensor(opt['batchSize'], opt['condDim'][0], opt['condDim'][1], opt['condDim'][2])

    sampleTimer = lg.Timer()
    dataTimer = lg.Timer()

    # training function
    def train(inputs_all, inputs_all2):
        if opt['gpu'] is not False:   # the Lua requires cunn: a CPU run has nothing to wait for
            cutorch.synchronize()
        G.epoch = getattr(G, 'epoch', None) or 1
        dataLoadingTime = dataTimer.time()['real']; sampleTimer.reset()  # timers
        dataBatchSize = opt['batchSize'] // 2

        # do one epoch
        # for t = 1,N,dataBatchSize*opt.K do

        # --------------------------------------------------------------------
        # create closure to evaluate f(X) and df/dX of discriminator
        def fevalD(x):
            if x is not G.parameters_D:   # get new parameters
                G.parameters_D.copy(x)

            G.gradParameters_D.zero()     # reset gradients

            # forward pass
            outputs = G.model_D.forward([inputs, cond_inputs])
            G.err_R = G.criterion.forward(outputs.narrow(0, 0, opt['batchSize'] / 2), targets.narrow(0, 0, opt['batchSize'] / 2))
            G.err_F = G.criterion.forward(outputs.narrow(0, opt['batchSize'] / 2, opt['batchSize'] / 2), targets.narrow(0, opt['batchSize'] / 2, opt['batchSize'] / 2))

            margin = 0.3
            G.adamState_D['optimize'] = True
            G.adamState_G['optimize'] = True
            if G.err_F < margin or G.err_R < margin:
                G.adamState_D['optimize'] = False
            if G.err_F > (1.0 - margin) or G.err_R > (1.0 - margin):
                G.adamState_G['optimize'] = False
            if G.adamState_G['optimize'] is False and G.adamState_D['optimize'] is False:
                G.adamState_G['optimize'] = True
                G.adamState_D['optimize'] = True

            # io.write("v1_3d| R:", err_R,"  F:", err_F, "  ")

            f = G.criterion.forward(outputs, targets)

            # backward pass
            df_do = G.criterion.backward(outputs, targets)
            G.model_D.backward([inputs, cond_inputs], df_do)

            print('D: %f' % f)

            # penalties (L1 and L2):
            if opt['coefL1'] != 0 or opt['coefL2'] != 0:
                norm, sign = lg.norm, lg.sign
                # Loss:
                f = f + opt['coefL1'] * norm(G.parameters_D, 1)
                f = f + opt['coefL2'] * norm(G.parameters_D, 2) ** 2 / 2
                # Gradients:
                G.gradParameters_D.add(sign(G.parameters_D).mul(opt['coefL1']) + G.parameters_D.clone().mul(opt['coefL2']))
            # update confusion (add 1 since classes are binary): classes are 0-based here
            for i in range(opt['batchSize']):
                if outputs[i][0] > 0.5:
                    c = 1
                else:
                    c = 0
                G.confusion.add(c, targets[i])

            return f, G.gradParameters_D

        # --------------------------------------------------------------------
        # create closure to evaluate f(X) and df/dX of generator
        def fevalG(x):
            if x is not G.parameters_G:   # get new parameters
                G.parameters_G.copy(x)

            G.gradParameters_G.zero()     # reset gradients

            # forward pass
            samples = G.model_G.forward([noise_inputs, cond_inputs])
            outputs = G.model_D.forward([samples, cond_inputs])
            f = G.criterion.forward(outputs, targets)

            print('G: %f' % f)

            # backward pass
            df_samples = G.criterion.backward(outputs, targets)
            # model_D.backward([samples, cond_inputs], df_samples)
            # do not update D
            G.model_D.updateGradInput([samples, cond_inputs], df_samples)
            df_do = G.model_D.gradInput[0]
            G.model_G.backward([noise_inputs, cond_inputs], df_do)

            # penalties (L1 and L2):
            if opt['coefL1'] != 0 or opt['coefL2'] != 0:
                norm, sign = lg.norm, lg.sign
                # Loss:
                f = f + opt['coefL1'] * norm(G.parameters_G, 1)
                f = f + opt['coefL2'] * norm(G.parameters_G, 2) ** 2 / 2
                # Gradients:
                G.gradParameters_G.add(sign(G.parameters_G).mul(opt['coefL1']) + G.parameters_G.clone().mul(opt['coefL2']))

            return f, G.gradParameters_G

        # --------------------------------------------------------------------
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        # Get half a minibatch of real, half fake

        inputs.copy(inputs_all[0])
        cond_inputs.copy(inputs_all[2])

        for k in range(opt['K']):
            # (1.1) Real data
            k = dataBatchSize
            targets[0:dataBatchSize].fill(1)
            # (1.2) Sampled data
            noise_inputs.uniform(-1, 1)

            samples = G.model_G.forward([noise_inputs[dataBatchSize:opt['batchSize']], cond_inputs[dataBatchSize:opt['batchSize']]])
            for i in range(dataBatchSize):
                inputs[k] = samples[i].clone()
                k = k + 1
            targets[dataBatchSize:opt['batchSize']].fill(0)

            adam(fevalD, G.parameters_D, G.adamState_D)
        # end for K

        # --------------------------------------------------------------------
        # (2) Update G network: maximize log(D(G(z)))
        noise_inputs.uniform(-1, 1)
        cond_inputs.copy(inputs_all2[2])
        targets.fill(1)
        adam(fevalG, G.parameters_G, G.adamState_G)
        G.batchNumber = G.batchNumber + 1
        if opt['gpu'] is not False:   # the Lua requires cunn: a CPU run has nothing to wait for
            cutorch.synchronize()
        print('Epoch: [%d][%d/%d]\tTime %.3f DataTime %.3f' % (G.epoch, G.batchNumber, opt['epochSize'], sampleTimer.time()['real'], dataLoadingTime))
        dataTimer.reset()

    adversarial.train = train
    return adversarial
