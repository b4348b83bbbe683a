"""style-gan-nofcn/train.lua: the style GAN, an RGB image from noise given a 3 x 128 x 128 surface-normal map.
D sees the image and the map joined on the channels (JoinTable(2, 2), 1-based, is ``JoinTable(1, 2)``); G joins
the map's encoding (two stride-2 convolutions) with the noise's decoding (three full convolutions) at 32 x 32,
then goes down to 16 and up to 128 with a Tanh. Trained by conditional_adversarial_rgb.lua's step on the batches
of data.lua's donkeys (this folder's donkey.lua).

``main(nplanes, nepochs)``: the Lua's ``local nplanes = 64`` (both nets) is the argument ``nplanes`` (64 by
default; the test shrinks it), and the endless ``while true`` runs ``nepochs`` times. The globals are
``threads.local``'s; returns that namespace for the checks. The options come from ``sys.argv`` as lapp reads
them."""
import os

import legonn as lg
from legonn import cutorch, nn, optim, paths, threads, xlua
from legonn import sys
from legonn.pl import lapp

from ..structure_gan.data import data
from ..structure_gan.train import _trainJob
from .conditional_adversarial_rgb import conditional_adversarial_rgb
from .donkey import donkey


def main(nplanes=64, nepochs=None):
    G = threads.local
    xlua.require('torch')
    xlua.require('nngraph')
    xlua.require('cunn')
    xlua.require('optim')
    xlua.require('image')
    # require 'datasets.scaled_3d'
    xlua.require('pl')
    xlua.require('paths')
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
  -s,--save          (default "/nfs.yoda/xiaolonw/torch_projects/models/train_3dnormal_rgb")      subdirectory to save logs
  --saveFreq         (default 3)          save every saveFreq epochs
  -n,--network       (default "")          reload pretrained network
  -p,--plot                                plot while training
  -r,--learningRate  (default 0.0002)      learning rate
  -b,--batchSize     (default 64)         batch size
  -m,--momentum      (default 0.5)         momentum term of adam
  --coefL1           (default 0)           L1 penalty on the weights
  --coefL2           (default 0.00001)     L2 penalty on the weights
  -t,--threads       (default 2)           number of threads
  -g,--gpu           (default 0)          gpu to run on (default cpu)
  -d,--noiseDim      (default 100)         dimensionality of noise vector
  --K                (default 1)           number of iterations to optimize D for
  -w, --window       (default 3)           windsow id of sample image
  --scale            (default 128)          scale of images to train on
  --epochSize        (default 2000)        number of samples per epoch
  --scratch          (default 0)
  --forceDonkeys     (default 0)
  --nDonkeys         (default 2)           number of data loading threads
  --high             (default 1)           high resolution
""")

    if opt['gpu'] < 0 or opt['gpu'] > 8:
        opt['gpu'] = False
    # opt.network = '/nfs.yoda/xiaolonw/torch_projects/models/train_3dnormal_rgb/save3/adversarial_6.net'

    print(opt)
    opt['flag'] = 1

    opt['loadSize'] = opt['scale']

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
        # torch.setdefaulttensortype('torch.CudaTensor'): adversarial_ct's Tensor, and the nets go to the GPU
        # before getParameters (docs/porting.md's setdefaulttensortype row)
    lg.setdefaulttensortype('torch.FloatTensor')

    classes = ['0', '1']
    # opt.noiseDim = {1, opt.scale / 4, opt.scale / 4}
    opt['geometry'] = [3, opt['scale'], opt['scale']]
    opt['condDim'] = [3, opt['scale'], opt['scale']]

    def weights_init(m):
        name = lg.type(m)
        if 'Convolution' in name:
            m.weight.normal(0.0, 0.02)
            m.bias.fill(0)
        elif 'BatchNormalization' in name:
            if m.weight is not None:
                m.weight.normal(1.0, 0.02)
            if m.bias is not None:
                m.bias.fill(0)

    input_sz = opt['geometry'][0] * opt['geometry'][1] * opt['geometry'][2]

    if opt['network'] == '':
        # --------------------------------------------------------------------
        # my D network
        # (64-128-256-256-128)
        # (36-36-18-9-9)
        # (5-5-3-3-3)

        inputsize = 128
        dx_I = nn.Identity()()
        dx_C = nn.Identity()()
        dc1 = nn.JoinTable(1, 2)([dx_I, dx_C])
        dh1 = nn.SpatialConvolution(3 + 3, nplanes, 5, 5, 2, 2, 2, 2)(dc1)  # size / 2
        # db1 = nn.SpatialBatchNormalization(nplanes)(dh1)
        dr1 = nn.LeakyReLU(0.2, True)(dh1)

        dh2 = nn.SpatialConvolution(nplanes, nplanes * 2, 5, 5, 2, 2, 2, 2)(dr1)  # size / 2
        # db2 = nn.SpatialBatchNormalization(nplanes * 2)(dh2)
        dr2 = nn.LeakyReLU(0.2, True)(dh2)

        dh3 = nn.SpatialConvolution(nplanes * 2, nplanes * 4, 3, 3, 2, 2, 1, 1)(dr2)  # size / 2
        # db3 = nn.SpatialBatchNormalization(nplanes * 4)(dh3)
        dr3 = nn.LeakyReLU(0.2, True)(dh3)
        dp3 = nn.SpatialDropout(0.2)(dr3)

        dh4 = nn.SpatialConvolution(nplanes * 4, nplanes * 8, 3, 3, 2, 2, 1, 1)(dp3)  # size / 2
        # db4 = nn.SpatialBatchNormalization(nplanes * 4)(dh4)
        dr4 = nn.LeakyReLU(0.2, True)(dh4)
        dp4 = nn.SpatialDropout(0.2)(dr4)

        dh5 = nn.SpatialConvolution(nplanes * 8, nplanes * 2, 3, 3, 1, 1, 1, 1)(dp4)  # same size
        # db5 = nn.SpatialBatchNormalization(nplanes * 2)(dh5)
        dr5 = nn.LeakyReLU(0.2, True)(dh5)

        outputsize3 = nplanes * 2 * (inputsize / 16) * (inputsize / 16)
        rshp = nn.Reshape(outputsize3)(dr5)
        dh6 = nn.Linear(outputsize3, 1)(nn.Dropout()(rshp))
        dout = nn.Sigmoid()(dh6)
        G.model_D = nn.gModule([dx_I, dx_C], [dout])

        G.model_D.apply(weights_init)

        # --------------------------------------------------------------------
        # define G network to train
        # my G network
        x_I = nn.Identity()()  # 1 channel noise
        x_C = nn.Identity()()  # 3 channel surface normal
        h1 = nn.SpatialConvolution(3, nplanes, 5, 5, 2, 2, 2, 2)(x_C)  # size / 2
        b1 = nn.SpatialBatchNormalization(nplanes)(h1)
        r1 = nn.ReLU(True)(b1)

        h2 = nn.SpatialConvolution(nplanes, nplanes * 2, 5, 5, 2, 2, 2, 2)(r1)  # size / 2  32 * 32
        b2 = nn.SpatialBatchNormalization(nplanes * 2)(h2)
        r2 = nn.ReLU(True)(b2)

        hi1 = nn.SpatialFullConvolution(opt['noiseDim'], nplanes, 8, 8)(x_I)
        bi1 = nn.SpatialBatchNormalization(nplanes)(hi1)
        ri1 = nn.ReLU(True)(bi1)

        hi2 = nn.SpatialFullConvolution(nplanes, nplanes, 4, 4, 2, 2, 1, 1)(ri1)  # size * 2 for noise 16 * 16
        bi2 = nn.SpatialBatchNormalization(nplanes)(hi2)
        ri2 = nn.ReLU(True)(bi2)

        hi3 = nn.SpatialFullConvolution(nplanes, nplanes, 4, 4, 2, 2, 1, 1)(ri2)  # size * 2 for noise 32 * 32
        bi3 = nn.SpatialBatchNormalization(nplanes)(hi3)
        ri3 = nn.ReLU(True)(bi3)

        c2 = nn.JoinTable(1, 2)([r2, ri3])  # merge

        h3 = nn.SpatialConvolution(nplanes * 2 + nplanes, nplanes * 4, 3, 3, 1, 1, 1, 1)(c2)  # the same size
        b3 = nn.SpatialBatchNormalization(nplanes * 4)(h3)
        r3 = nn.ReLU(True)(b3)

        h4 = nn.SpatialConvolution(nplanes * 4, nplanes * 8, 3, 3, 2, 2, 1, 1)(r3)  # size / 2
        b4 = nn.SpatialBatchNormalization(nplanes * 8)(h4)
        r4 = nn.ReLU(True)(b4)

        h5 = nn.SpatialConvolution(nplanes * 8, nplanes * 8, 3, 3, 1, 1, 1, 1)(r4)  # same size
        b5 = nn.SpatialBatchNormalization(nplanes * 8)(h5)
        r5 = nn.LeakyReLU(0.2, True)(b5)

        h6 = nn.SpatialFullConvolution(nplanes * 8, nplanes * 4, 4, 4, 2, 2, 1, 1)(r5)  # size * 2
        b6 = nn.SpatialBatchNormalization(nplanes * 4)(h6)
        r6 = nn.LeakyReLU(0.2, True)(b6)

        h7 = nn.SpatialFullConvolution(nplanes * 4, nplanes * 2, 4, 4, 2, 2, 1, 1)(r6)  # size * 2
        b7 = nn.SpatialBatchNormalization(nplanes * 2)(h7)
        r7 = nn.LeakyReLU(0.2, True)(b7)
        # u7 = nn.SpatialUpSamplingNearest(2)(r7)  # size * 2

        h8 = nn.SpatialFullConvolution(nplanes * 2, nplanes, 4, 4, 2, 2, 1, 1)(r7)  # size * 2
        b8 = nn.SpatialBatchNormalization(nplanes)(h8)
        r8 = nn.LeakyReLU(0.2, True)(b8)

        h9 = nn.SpatialConvolution(nplanes, 3, 5, 5, 1, 1, 2, 2)(r8)  # same size

        gout = nn.Tanh()(h9)

        G.model_G = nn.gModule([x_I, x_C], [gout])

        G.model_G.apply(weights_init)

    else:
        print('<trainer> reloading previously trained network: ' + opt['network'])
        tmp = lg.load(opt['network'])
        G.model_D = tmp['D']
        G.model_G = tmp['G']

    # loss function: negative log-likelihood
    G.criterion = nn.BCECriterion()
    # 2nd loss function
    G.criterion2 = nn.MSECriterion()

    if opt['gpu'] is not False:           # built on the GPU in the Lua, under its CudaTensor default type
        G.model_D.cuda()
        G.model_G.cuda()
        G.criterion.cuda()

    # retrieve parameters and gradients
    G.parameters_D, G.gradParameters_D = G.model_D.getParameters()
    G.parameters_G, G.gradParameters_G = G.model_G.getParameters()

    # print networks
    print('Discriminator network:')
    print(G.model_D)
    print('Generator network:')
    print(G.model_G)

    data(donkey)
    adversarial = conditional_adversarial_rgb()

    # this matrix records the current confusion across classes
    G.confusion = optim.ConfusionMatrix(classes)

    # log results to files
    G.trainLogger = optim.Logger(paths.concat(opt['save'], 'train.log'))
    G.testLogger = optim.Logger(paths.concat(opt['save'], 'test.log'))

    if opt['gpu'] is not False:
        print('Copy model to gpu')
        G.model_D.cuda()
        G.model_G.cuda()

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
        if opt['gpu'] is not False:   # the Lua requires cunn: a CPU run has nothing to wait for
            cutorch.synchronize()
        print(G.confusion)

        G.trainLogger.add({'% mean class accuracy (train set)': G.confusion.totalValid * 100})

    G.epoch = 1
    # training loop
    while nepochs is None or G.epoch <= nepochs:
        # train/test
        train()

        if G.epoch % opt['saveFreq'] == 0:
            filename = paths.concat(opt['save'], 'adversarial_%d.net' % G.epoch)
            os.system('mkdir -p ' + sys.dirname(filename))
            if paths.filep(filename):
                os.system('mv ' + filename + ' ' + filename + '.old')
            print('<trainer> saving network to ' + filename)
            lg.save(filename, {'D': G.model_D.clearState(), 'G': G.model_G.clearState(), 'opt': opt})

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
