"""structure-gan/adversarial_ct.lua: the GAN step (``adversarial.train(inputs_all, inputs_all2)``) and the
script's own ``adam``, whose step is divided by 50 for the first 10 updates and by 5 up to 30, and skipped while
``config.optimize`` is false (the D/G balancing of ``fevalD``). ``paths.dofile('adversarial_ct.lua')`` is
``adversarial_ct()``, which returns the ``adversarial`` table; the script's globals (``opt``, ``model_D``,
``parameters_D``, ``adamState_D``, ``confusion``, ``epoch``, ``batchNumber``, ...) are ``threads.local``'s, and
so are the globals it sets (``err_R``, ``err_F``, and ``adam``, a module-level function here)."""
import math
import types

import legonn as lg
from legonn import cutorch, threads, xlua

G = threads.local


def Tensor(*sizes):
    """``torch.Tensor(...)`` under train.lua's default type: CudaTensor where ``opt.gpu`` is a device, else
    FloatTensor (legonn's default type is never a CUDA one: docs/porting.md's setdefaulttensortype row)."""
    return lg.Tensor(*sizes).type('torch.CudaTensor' if G.opt['gpu'] is not False else 'torch.FloatTensor')


def adam(opfunc, x, config=None, state=None):
    # print('ADAM')
    # (0) get/update state
    config = config or {}
    state = state or config
    lr = config.get('learningRate') or 0.001

    beta1 = config.get('beta1') or 0.9
    beta2 = config.get('beta2') or 0.999
    epsilon = config.get('epsilon') or 1e-8

    # (1) evaluate f(x) and df/dx
    fx, dfdx = opfunc(x)
    if config.get('optimize') is True:
        # Initialization
        state['t'] = state.get('t') or 0
        # Exponential moving average of gradient values
        if state.get('m') is None:
            state['m'] = x.new(dfdx.size()).zero()
        # Exponential moving average of squared gradient values
        if state.get('v') is None:
            state['v'] = x.new(dfdx.size()).zero()
        # A tmp tensor to hold the sqrt(v) + epsilon
        if state.get('denom') is None:
            state['denom'] = x.new(dfdx.size()).zero()

        state['t'] = state['t'] + 1

        # Decay the first and second moment running average coefficient
        state['m'].mul(beta1).add(1 - beta1, dfdx)
        state['v'].mul(beta2).addcmul(1 - beta2, dfdx, dfdx)

        state['denom'].copy(state['v']).sqrt().add(epsilon)

        biasCorrection1 = 1 - beta1 ** state['t']
        biasCorrection2 = 1 - beta2 ** state['t']

        fac = 1
        if config['numUpdates'] < 10:
            fac = 50.0
        elif config['numUpdates'] < 30:
            fac = 5.0
        else:
            fac = 1.0
        print(" ", '%.14g' % (lr / fac), " ", sep='', end='')
        stepSize = (lr / fac) * math.sqrt(biasCorrection2) / biasCorrection1
        # (2) update x
        x.addcdiv(-stepSize, state['m'], state['denom'])
    config['numUpdates'] = config['numUpdates'] + 1
    # return x*, f(x) before optimization
    return x, [fx]


def adversarial_ct():
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
            outputs = G.model_D.forward(inputs)
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
            G.model_D.backward(inputs, df_do)

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
            samples = G.model_G.forward(noise_inputs)
            outputs = G.model_D.forward(samples)
            f = G.criterion.forward(outputs, targets)

            print('G: %f' % f)

            # backward pass
            df_samples = G.criterion.backward(outputs, targets)
            G.model_D.backward(samples, df_samples)
            # df_do = model_D.gradInput[0]
            df_do = G.model_D.modules[0].gradInput
            # print(df_do.size())
            # print(model_D.gradInput[0].size())
            G.model_G.backward(noise_inputs, df_do)

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

        inputs.copy(inputs_all[2])

        for k in range(opt['K']):
            # (1.1) Real data
            k = dataBatchSize
            targets[0:dataBatchSize].fill(1)
            # (1.2) Sampled data
            noise_inputs.uniform(-1, 1)

            samples = G.model_G.forward(noise_inputs[dataBatchSize:opt['batchSize']])
            # print(samples.size())
            for i in range(dataBatchSize):
                inputs[k] = samples[i].clone()
                k = k + 1
            targets[dataBatchSize:opt['batchSize']].fill(0)

            adam(fevalD, G.parameters_D, G.adamState_D)
        # end for K

        # --------------------------------------------------------------------
        # (2) Update G network: maximize log(D(G(z)))
        noise_inputs.uniform(-1, 1)
        targets.fill(1)
        adam(fevalG, G.parameters_G, G.adamState_G)
        G.batchNumber = G.batchNumber + 1
        if opt['gpu'] is not False:   # the Lua requires cunn: a CPU run has nothing to wait for
            cutorch.synchronize()
        print('Epoch: [%d][%d/%d]\tTime %.3f DataTime %.3f' % (G.epoch, G.batchNumber, opt['epochSize'], sampleTimer.time()['real'], dataLoadingTime))
        dataTimer.reset()

    adversarial.train = train
    return adversarial
