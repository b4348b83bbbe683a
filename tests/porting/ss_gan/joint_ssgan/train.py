"""joint-ssgan/train.lua: loads the trained structure GAN (``../ssgan_models/Structure_GAN.net``: D1, G1) and
style GAN (``../ssgan_models/joint_Style_GAN.net``: D, G), builds ``model_upsample`` (nnx's SpatialReSampling
72 -> 128, then the per-pixel Normalize(2) between Transposes and Views), and trains the four nets with
joint_train_bi.lua's step on the batches of data.lua's donkeys (this folder's donkey.lua), saving D/D1 and G/G1
every ``saveFreq`` epochs.

``main(nepochs)``: the endless ``while true`` runs ``nepochs`` times. The globals are ``threads.local``'s; returns
that namespace for the checks. The options come from ``sys.argv`` as lapp reads them. lapp's usage declares
``--classnum`` twice (31, then 40): Penlight keeps the second."""
import os

import legonn as lg
from legonn import cutorch, nn, optim, paths, threads, xlua
from legonn import sys
from legonn.pl import lapp

from ..structure_gan.data import data
from .donkey import donkey
from .joint_train_bi import joint_train_bi


def _trainJob():
    G = threads.local
    return (G.makeData(*G.trainLoader.sample(G.opt['batchSize'])),)


def main(nepochs=None):
    G = threads.local
    xlua.require('torch')
    xlua.require('nngraph')
    xlua.require('cunn')
    xlua.require('optim')
    xlua.require('image')
    xlua.require('pl')
    xlua.require('paths')
    xlua.require('nnx')
    image_utils = xlua.require('image')
    try:
        disp = xlua.require('display')
        ok = True
    except ImportError:
        ok = False
    if not ok:
        print('display not found. unable to plot')

    # --------------------------------------------------------------------
    # parse command-line options
    G.opt = opt = lapp("""
  -s,--save          (default "/nfs.yoda/xiaolonw/torch_projects/models/train_3dnormal_jointall_bi_s4")      subdirectory to save logs
  --saveFreq         (default 3)          save every saveFreq epochs
  -n,--network       (default "")          reload pretrained network
  -p,--plot                                plot while training
  -r,--learningRate  (default 0.000001)      learning rate
  -b,--batchSize     (default 64)         batch size
  -m,--momentum      (default 0.5)         momentum term of adam
  --coefL1           (default 0)           L1 penalty on the weights
  --coefL2           (default 0)     L2 penalty on the weights
  -t,--threads       (default 2)           number of threads
  -g,--gpu           (default 0)          gpu to run on (default cpu)
  -d,--noiseDim      (default 100)         dimensionality of noise vector
  --K                (default 1)           number of iterations to optimize D for
  -w, --window       (default 3)           windsow id of sample image
  --scale            (default 128)          scale of images to train on
  --epochSize        (default 500)        number of samples per epoch
  --scratch          (default 0)
  --forceDonkeys     (default 0)
  --nDonkeys         (default 2)           number of data loading threads
  --classnum         (default 31)          number of classnum
  --learningRate_FCN  (default 0)      learning rate
  --classnum         (default 40)
  --classification   (default 1)
  --lamda0           (default 0.1)
  --lamda            (default 1)
  --trainD1          (default 1)
  --trainG1          (default 1)
  --trainD           (default 1)
  --optimG           (default 1)
""")

    if opt['gpu'] < 0 or opt['gpu'] > 8:
        opt['gpu'] = False
    opt['network1'] = '../ssgan_models/Structure_GAN.net'
    opt['network3'] = '../ssgan_models/joint_Style_GAN.net'
    opt['pause'] = 0
    print(opt)

    opt['loadSize'] = opt['scale']
    opt['labelSize'] = opt['scale']
    opt['labelSize2'] = 72
    opt['flag'] = 1

    # fix seed
    # lg.manualSeed(1)
    opt['manualSeed'] = lg.random(1, 10001)   # torch.random(1,10000): the upper end is exclusive here
    print("Seed: " + str(opt['manualSeed']))
    lg.manualSeed(opt['manualSeed'])

    # threads
    lg.setnumthreads(opt['threads'])
    print('<torch> set nb of threads to ' + str(lg.getnumthreads()))

    if opt['gpu'] is not False:          # Lua's `if opt.gpu then`: a number, 0 included, is true
        cutorch.setDevice(opt['gpu'])    # the Lua's opt.gpu + 1, a 1-based device
        print('<gpu> using device ' + str(opt['gpu']))
        # torch.setdefaulttensortype('torch.CudaTensor'): joint_train_bi's Tensor (docs/porting.md's
        # setdefaulttensortype row)
    lg.setdefaulttensortype('torch.FloatTensor')

    classes = ['0', '1']
    # opt.noiseDim = {1, opt.scale / 4, opt.scale / 4}
    opt['geometry'] = [3, opt['scale'], opt['scale']]
    opt['condDim'] = [3, opt['scale'], opt['scale']]

    def model_load(filename):
        net = lg.load(filename)

        def zero_grads(m):
            if m.weight is not None:
                m.gradWeight = m.weight.clone().zero()
                m.gradBias = m.bias.clone().zero()
        net.apply(zero_grads)
        return net
    G.model_load = model_load

    if opt['pause'] == 0:
        print('<trainer> reloading previously trained network: ' + opt['network1'])
        tmp = lg.load(opt['network1'])
        # print('<trainer> reloading previously trained network: ' + opt['network2'])
        # tmp2 = model_load(opt['network2'])
        print('<trainer> reloading previously trained network: ' + opt['network3'])
        tmp3 = lg.load(opt['network3'])
        G.model_D1 = tmp['D']
        G.model_G1 = tmp['G']
        G.model_D = tmp3['D']
        G.model_G = tmp3['G']
    else:
        tmp = lg.load('/nfs.yoda/xiaolonw/torch_projects/models/train_3dnormal_jointall_bi_s4/adversarial_G_1.net')
        G.model_G1 = tmp['G1']
        G.model_G = tmp['G']
        tmp2 = lg.load('/nfs.yoda/xiaolonw/torch_projects/models/train_3dnormal_jointall_bi_s4/adversarial_D_1.net')
        G.model_D1 = tmp2['D1']
        G.model_D = tmp2['D']

    G.model_upsample = nn.Sequential()
    G.model_upsample.add(nn.SpatialReSampling({'owidth': 128, 'oheight': 128}))
    G.model_upsample.add(nn.Transpose([1, 2], [2, 3]))
    G.model_upsample.add(nn.View(-1, 3))
    G.model_upsample.add(nn.Normalize(2))
    G.model_upsample.add(nn.View(-1, 128, 128, 3))
    G.model_upsample.add(nn.Transpose([3, 2], [2, 1]))

    # model_upsample.add(nn.ReArrange())
    # model_upsample.add(nn.Normalize(2))
    # model_upsample.add(nn.ReArrangeBack(128, 128))

    G.model_upsample.float()

    # loss function: negative log-likelihood
    G.criterion = nn.BCECriterion()

    # retrieve parameters and gradients
    G.parameters_D, G.gradParameters_D = G.model_D.getParameters()
    G.parameters_G, G.gradParameters_G = G.model_G.getParameters()
    G.parameters_D1, G.gradParameters_D1 = G.model_D1.getParameters()
    G.parameters_G1, G.gradParameters_G1 = G.model_G1.getParameters()

    # print networks
    print('Discriminator network:')
    print(G.model_D)
    print('Generator network:')
    print(G.model_G)

    data(donkey)
    adversarial = joint_train_bi()

    # this matrix records the current confusion across classes
    G.confusion = optim.ConfusionMatrix(classes)

    # log results to files
    G.trainLogger = optim.Logger(paths.concat(opt['save'], 'train.log'))
    G.testLogger = optim.Logger(paths.concat(opt['save'], 'test.log'))

    if opt['gpu'] is not False:
        print('Copy model to gpu')
        G.model_D.cuda()
        G.model_G.cuda()
        G.model_D1.cuda()
        G.model_G1.cuda()
        # model_upsample.cuda()
        G.criterion.cuda()

    # Training parameters
    G.adamState_D = {
        'learningRate': opt['learningRate'],
        'beta1': opt['momentum'],
        'optimize': True,
        'numUpdates': 0,
    }

    G.adamState_G = {
        'learningRate': opt['learningRate'],
        'beta1': opt['momentum'],
        'optimize': True,
        'numUpdates': 0,
    }

    G.adamState_D1 = {
        'learningRate': opt['learningRate'] * 0.1,
        'beta1': opt['momentum'],
        'optimize': True,
        'numUpdates': 0,
    }

    G.adamState_G1 = {
        'learningRate': opt['learningRate'] * 0.1,
        'beta1': opt['momentum'],
        'optimize': True,
        'numUpdates': 0,
    }

    def train():
        print('\n<trainer> on training set:')
        print("<trainer> online epoch # " + str(G.epoch) + ' [batchSize = ' + str(opt['batchSize']) + ' lr = ' + '%.14g' % G.adamState_D['learningRate'] + ', momentum = ' + '%.14g' % G.adamState_D['beta1'] + ']')

        G.confusion.zero()
        G.model_D.training()
        G.model_G.training()
        G.batchNumber = 0
        for i in range(opt['epochSize']):
            G.donkeys.addjob(_trainJob, adversarial.train)
        G.donkeys.synchronize()
        cutorch.synchronize()
        print(G.confusion)
        G.trainLogger.add({'% mean class accuracy (train set)': G.confusion.totalValid * 100})

    G.epoch = 1
    # training loop
    while nepochs is None or G.epoch <= nepochs:
        # train/test
        train()

        if G.epoch % opt['saveFreq'] == 0:
            filename = paths.concat(opt['save'], 'adversarial_D_%d.net' % G.epoch)
            os.system('mkdir -p ' + sys.dirname(filename))
            print('<trainer> saving network to ' + filename)
            lg.save(filename, {'D1': G.model_D1.clearState(), 'D': G.model_D.clearState(), 'opt': opt})

            filename = paths.concat(opt['save'], 'adversarial_G_%d.net' % G.epoch)
            print('<trainer> saving network to ' + filename)
            lg.save(filename, {'G1': G.model_G1.clearState(), 'G': G.model_G.clearState(), 'opt': opt})

        G.epoch = G.epoch + 1

        # plot errors
        if opt['plot'] and G.epoch and G.epoch % 1 == 0:
            lg.setdefaulttensortype('torch.FloatTensor')

            G.trainLogger.style({'% mean class accuracy (train set)': '-'})
            G.testLogger.style({'% mean class accuracy (test set)': '-'})
            G.trainLogger.plot()
            G.testLogger.plot()

            lg.setdefaulttensortype('torch.FloatTensor')
    return G
