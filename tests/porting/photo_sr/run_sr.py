"""run_sr.lua: SRGAN training. The options (environment variables override them), the threaded data loader, the
generator and discriminator built and initialised with weight-init's 'kaiming', BCECriterion and MSECriterion, the
fDx/fGx closures stepped by ``optim.adam`` (D at a tenth of G's learning rate; G's gradient is 0.001 of the
adversarial one plus 0.999 of the MSE one), a sample of the real/input/fake images every 10 steps and both nets saved
with util.save after each epoch. ``main(opt)`` is the script after its ``opt`` table; it returns the per-step losses
(``record``: errD, err_all, errG_mse), which the Lua prints. The loop is ``train``, which run_resume.lua repeats
line for line and its port calls. The script is CUDA-only: fDx moves every batch with ``:cuda()`` whatever ``gpu``
says (``cunn`` is only required for gpu > 0, so in Torch7 a CPU run fails there)."""
import math
import os

import legonn as lg
from legonn import cutorch, image, nn, optim
from tests.porting.photo_sr import util
from tests.porting.photo_sr.adversarial_D import createModelD as D
from tests.porting.photo_sr.adversarial_G import createModel as G
from tests.porting.photo_sr.data.data import data as DataLoader
from tests.porting.neural_vqa_attention.train import tonumber  # Lua's tonumber of a variable
from tests.porting.photo_sr.weight_init import w_init

DEFAULTS = dict(
    dataset='folder',
    lr=0.001,
    beta1=0.9,
    batchSize=32,
    niter=250,
    loadSize=96,
    ntrain=math.inf,
    name='super_resolution',
    gpu=1,
    nThreads=4,
    t_folder='',
    model_folder='',
)


def environment(opt):
    """``for k,v in pairs(opt) do opt[k] = tonumber(os.getenv(k)) or os.getenv(k) or opt[k] end`` (an empty variable
    is a string Lua keeps: ``is not None`` where Lua's ``or`` tests for nil)."""
    for k, v in opt.items():
        n = tonumber(os.getenv(k))
        opt[k] = n if n is not None else (os.getenv(k) if os.getenv(k) is not None else opt[k])
    return opt


def main(opt):
    lg.manualSeed(1)

    environment(opt)
    print(opt)

    data = DataLoader.new(opt['nThreads'], opt)
    print("Dataset: " + opt['dataset'], " Size: ", data.size(), sep='\t')

    modelG = w_init(G(), 'kaiming')
    modelD = w_init(D(opt['loadSize']), 'kaiming')
    return train(opt, data, modelG, modelD)


def train(opt, data, modelG, modelD):
    """run_sr.lua lines 42-150 (run_resume.lua's 43-151): the criterions, optimiser states, closures and loop."""
    real_label = 1
    fake_label = 0

    criterion = nn.BCECriterion()
    criterion_mse = nn.MSECriterion()

    optimStateG = {
        'learningRate': opt['lr'],
        'beta1': opt['beta1'],
        'weightDecay': 0.0001,
    }
    optimStateD = {
        'learningRate': opt['lr'] * 0.1,
        'beta1': opt['beta1'],
        'weightDecay': 0.0001,
    }

    input = lg.Tensor(opt['batchSize'], 1, opt['loadSize'] / 4, opt['loadSize'] / 4)
    real_uncropped = lg.Tensor(opt['batchSize'], 1, opt['loadSize'], opt['loadSize'])
    errD = errG = err_all = errG_mse = fake = None
    epoch_tm = lg.Timer()
    tm = lg.Timer()
    test = lg.Tensor(1, opt['loadSize'], opt['loadSize'])
    test2 = lg.Tensor(1, opt['loadSize'] / 4, opt['loadSize'] / 4)
    label = lg.Tensor(opt['batchSize'])

    if opt['gpu'] > 0:
        # require 'cunn'
        print('cunn used')
        cutorch.setDevice(opt['gpu'] - 1)  # legonn's devices are 0-based
        input = input.cuda()
        modelG = modelG.cuda()
        modelD = modelD.cuda()
        criterion.cuda()
        criterion_mse.cuda()
        label = label.cuda()

    parametersG, gradientsG = modelG.getParameters()
    parametersD, gradientsD = modelD.getParameters()

    def fDx(x):
        nonlocal real_uncropped, input, fake, errD
        if x is not parametersD:
            parametersD.copy(x)
        modelD.zeroGradParameters()

        real_uncropped, input = data.getBatch()[:2]  # the labels, a third value, are dropped
        real_uncropped = real_uncropped.cuda()

        label.fill(real_label)
        output = modelD.forward(real_uncropped)
        errD_real = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        modelD.backward(real_uncropped, df_do)

        input = input.cuda()
        fake = modelG.forward(input)
        label.fill(fake_label)

        output = modelD.forward(fake)
        errD_fake = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        modelD.backward(fake, df_do)

        errD = errD_real + errD_fake
        return errD, gradientsD

    def fGx(x):
        nonlocal input, errG, errG_mse, err_all
        modelG.zeroGradParameters()
        label.fill(real_label)
        output = modelD.output

        input = input.cuda()

        errG = criterion.forward(output, label)
        errG_mse = criterion_mse.forward(fake, real_uncropped)

        df_do = criterion.backward(output, label)
        df_do_mse = criterion_mse.backward(fake, real_uncropped)

        df_dg = modelD.updateGradInput(fake, df_do)
        modelG.backward(input, 0.001 * df_dg + 0.999 * df_do_mse)
        err_all = 0.001 * errG + 0.999 * errG_mse
        return err_all, gradientsG

    record = []
    counter = 0
    for epoch in range(1, opt['niter'] + 1):
        epoch_tm.reset()

        for i in range(1, min(data.size(), opt['ntrain']) + 1, opt['batchSize']):
            tm.reset()

            optim.adam(fDx, parametersD, optimStateD)
            optim.adam(fGx, parametersG, optimStateG)
            record.append((errD, err_all, errG_mse))

            counter = counter + 1
            print('count: ' + str(counter))
            if counter % 10 == 0:
                test.copy(real_uncropped[0])
                real_rgb = test
                image.save(opt['name'] + str(counter) + '_real.png', real_rgb)
                test2.copy(input[0])
                image.save(opt['name'] + str(counter) + '_input.png', test2)
                fake[fake.gt(1)] = 1
                fake[fake.lt(0)] = 0
                test.copy(fake[0])
                image.save(opt['name'] + str(counter) + '_fake.png', test)

            if ((i - 1) / opt['batchSize']) % 1 == 0:
                print(('Epoch: [%d][%8d / %8d]\t Time: %.3f '
                       + '  Err_G: %.4f Err_D: %.4f') % (
                    epoch, ((i - 1) / opt['batchSize']),
                    math.floor(min(data.size(), opt['ntrain']) / opt['batchSize']),
                    tm.time()['real'],
                    err_all if err_all is not None else -1, errD if errD is not None else -1))
        # paths.mkdir('/media/DATA/MODELS/SUPER_RES/checkpoints')
        parametersD, gradientsD = None, None
        parametersG, gradientsG = None, None
        util.save(opt['model_folder'] + opt['name'] + '_adversarial_G_' + str(epoch), modelG, opt['gpu'])
        util.save(opt['model_folder'] + opt['name'] + '_adversarial_D_' + str(epoch), modelD, opt['gpu'])
        parametersG, gradientsG = modelG.getParameters()
        parametersD, gradientsD = modelD.getParameters()
        print(('End of epoch %d / %d \t Time Taken: %.3f') % (
            epoch, opt['niter'], epoch_tm.time()['real']))
    return record, modelG, modelD
