"""joint-ssgan/joint_train_bi.lua: one joint step. D (style) and D1 (structure) each take half a batch of real
and half of generated samples, the generated normals coming from G1 upsampled by ``model_upsample``; then G is
stepped on D's loss and its gradient with respect to the normal map, through ``model_upsample``'s backward and
scaled by ``opt.lamda0``, goes into G1's gradients; then G1 is stepped on D1's loss scaled by ``opt.lamda``. Its
``adam`` is adversarial_ct.lua's function verbatim, imported, as is the ``Tensor`` of the script's default type.
``paths.dofile(...)`` is ``joint_train_bi()``, which returns the ``adversarial`` table; the globals are
``threads.local``'s."""
import types

import legonn as lg
from legonn import cutorch, threads, xlua

from ..structure_gan.adversarial_ct import Tensor, adam

G = threads.local


def joint_train_bi():
    xlua.require('torch')
    xlua.require('optim')
    xlua.require('pl')
    xlua.require('paths')
    xlua.require('image')
    xlua.require('nnx')

    adversarial = types.SimpleNamespace()
    opt = G.opt

    inputs = Tensor(opt['batchSize'], opt['geometry'][0], opt['geometry'][1], opt['geometry'][2])
    inputs1 = Tensor(opt['batchSize'], opt['geometry'][0], opt['labelSize2'], opt['labelSize2'])
    targets = Tensor(opt['batchSize'])
    if isinstance(opt['noiseDim'], (int, float)):
        noise_inputs = Tensor(opt['batchSize'], opt['noiseDim'], 1, 1)
    else:
        noise_inputs = Tensor(opt['batchSize'], opt['noiseDim'][0], opt['noiseDim'][1], opt['noiseDim'][2])
    if isinstance(opt['noiseDim'], (int, float)):
        noise_inputs1 = Tensor(opt['batchSize'], opt['noiseDim'], 1, 1)
    else:
        noise_inputs1 = Tensor(opt['batchSize'], opt['noiseDim'][0], opt['noiseDim'][1], opt['noiseDim'][2])

    if isinstance(opt['condDim'], (int, float)):
        cond_inputs = Tensor(opt['batchSize'], opt['condDim'], 1, 1)
    else:
        cond_inputs = Tensor(opt['batchSize'], opt['condDim'][0], opt['condDim'][1], opt['condDim'][2])

    sampleTimer = lg.Timer()
    dataTimer = lg.Timer()

    # training function
    def train(inputs_all):
        cutorch.synchronize()
        G.epoch = getattr(G, 'epoch', None) or 1
        dataLoadingTime = dataTimer.time()['real']; sampleTimer.reset()  # timers
        dataBatchSize = opt['batchSize'] // 2

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

            f = G.criterion.forward(outputs, targets)

            # backward pass
            df_do = G.criterion.backward(outputs, targets)
            G.model_D.backward([inputs, cond_inputs], df_do)

            print('D: %f' % f)

            # update confusion (add 1 since classes are binary): classes are 0-based here
            for i in range(opt['batchSize']):
                if outputs[i][0] > 0.5:
                    c = 1
                else:
                    c = 0
                G.confusion.add(c, targets[i])

            return f, G.gradParameters_D

        def fevalD1(x):
            if x is not G.parameters_D1:   # get new parameters
                G.parameters_D1.copy(x)

            G.gradParameters_D1.zero()     # reset gradients

            # forward pass
            outputs = G.model_D1.forward(inputs1)
            G.err_R = G.criterion.forward(outputs.narrow(0, 0, opt['batchSize'] / 2), targets.narrow(0, 0, opt['batchSize'] / 2))
            G.err_F = G.criterion.forward(outputs.narrow(0, opt['batchSize'] / 2, opt['batchSize'] / 2), targets.narrow(0, opt['batchSize'] / 2, opt['batchSize'] / 2))

            margin = 0.3
            G.adamState_D1['optimize'] = True
            G.adamState_G1['optimize'] = True
            if G.err_F < margin or G.err_R < margin:
                G.adamState_D1['optimize'] = False
            if G.err_F > (1.0 - margin) or G.err_R > (1.0 - margin):
                G.adamState_G1['optimize'] = False
            if G.adamState_G1['optimize'] is False and G.adamState_D1['optimize'] is False:
                G.adamState_G1['optimize'] = True
                G.adamState_D1['optimize'] = True

            f = G.criterion.forward(outputs, targets)

            # backward pass
            df_do = G.criterion.backward(outputs, targets)
            G.model_D1.backward(inputs1, df_do)

            print('D1: %f' % f)

            return f, G.gradParameters_D1

        # --------------------------------------------------------------------
        # create closure to evaluate f(X) and df/dX of generator
        def fevalG(x):
            if x is not G.parameters_G:   # get new parameters
                G.parameters_G.copy(x)

            G.gradParameters_G.zero()     # reset gradients
            G.gradParameters_G1.zero()    # reset gradients
            samples1 = G.model_G1.forward(noise_inputs1)
            samples2 = G.model_upsample.forward(samples1.float())
            cond_inputs.copy(samples2.cuda())

            # forward pass
            samples = G.model_G.forward([noise_inputs, cond_inputs])
            outputs = G.model_D.forward([samples, cond_inputs])
            f = G.criterion.forward(outputs, targets)
            print('G: %f' % f)

            # backward pass
            df_samples = G.criterion.backward(outputs, targets)
            G.model_D.updateGradInput([samples, cond_inputs], df_samples)
            df_do = G.model_D.gradInput[0]
            G.model_G.backward([noise_inputs, cond_inputs], df_do)
            df_do_g1 = G.model_G.gradInput[1]
            G.model_upsample.backward(samples1.float(), df_do_g1.float())
            df_do_g2 = G.model_upsample.modules[0].gradInput * opt['lamda0']

            G.model_G1.backward(noise_inputs1, df_do_g2.cuda())

            return f, G.gradParameters_G

        def fevalG1(x):
            if x is not G.parameters_G1:   # get new parameters
                G.parameters_G1.copy(x)

            samples = G.model_G1.forward(noise_inputs1)
            outputs = G.model_D1.forward(samples)
            f = G.criterion.forward(outputs, targets)
            print('G1: %f' % f)

            # backward pass
            df_samples = G.criterion.backward(outputs, targets)
            G.model_D1.updateGradInput(samples, df_samples)
            df_do = G.model_D1.modules[0].gradInput
            df_do = df_do * opt['lamda']
            G.model_G1.backward(noise_inputs1, df_do)

            return f, G.gradParameters_G1

        # --------------------------------------------------------------------
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        # Get half a minibatch of real, half fake

        inputs.copy(inputs_all[0])
        cond_inputs.copy(inputs_all[2])
        noise_inputs.uniform(-1, 1)
        noise_inputs1.uniform(-1, 1)
        targets[0:dataBatchSize].fill(1)
        targets[dataBatchSize:opt['batchSize']].fill(0)

        cond_inputs2 = cond_inputs.clone()
        cond_inputs3 = inputs_all[1].clone()
        # xx = noise_inputs1[dataBatchSize:opt['batchSize']]
        # print(xx.size())
        samples1 = G.model_G1.forward(noise_inputs1[dataBatchSize:opt['batchSize']])
        samples2 = G.model_upsample.forward(samples1.float())
        samples2 = samples2.cuda()
        samples = G.model_G.forward([noise_inputs[dataBatchSize:opt['batchSize']], samples2])

        k = dataBatchSize
        for i in range(dataBatchSize):
            inputs[k] = samples[i].clone()
            cond_inputs[k] = samples2[i].clone()
            k = k + 1

        if opt['trainD'] == 1:
            adam(fevalD, G.parameters_D, G.adamState_D)

        k = dataBatchSize
        # print(cond_inputs3.size())
        # print(inputs1.size())
        for i in range(dataBatchSize):
            inputs1[i] = cond_inputs3[k]
            inputs1[k] = samples1[i].clone()
            k = k + 1

        if opt['trainD1'] == 1:
            adam(fevalD1, G.parameters_D1, G.adamState_D1)

        # --------------------------------------------------------------------
        # (2) Update G network: maximize log(D(G(z)))
        # fake RGB image and fake Normals

        G.adamState_G['optimize'] = True
        if opt['optimG'] == 0:
            G.adamState_G['optimize'] = False

        targets.fill(1)
        adam(fevalG, G.parameters_G, G.adamState_G)
        if opt['trainG1'] == 1:
            adam(fevalG1, G.parameters_G1, G.adamState_G1)

        G.batchNumber = G.batchNumber + 1
        cutorch.synchronize()
        print('Epoch: [%d][%d/%d]\tTime %.3f DataTime %.3f' % (G.epoch, G.batchNumber, opt['epochSize'], sampleTimer.time()['real'], dataLoadingTime))
        dataTimer.reset()

    adversarial.train = train
    return adversarial
