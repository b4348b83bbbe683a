"""structure-gan/train.lua: the surface-normal GAN. D is five convolutions (LeakyReLU, SpatialDropout) and a
Linear with a Sigmoid; G goes from ``noiseDim`` x 1 x 1 noise through full convolutions to 3 x 72 x 72, whose
per-pixel 3-vectors are unit normals (Tanh, then Transpose / View / Normalize(2) / View / Transpose); both are
nngraph gModules trained with adversarial_ct.lua's step on the batches of data.lua's donkeys.

``main(nplanes, nepochs)``: the Lua's ``local nplanes = 64`` (both nets) is the argument ``nplanes`` (64 by
default; the test shrinks it), and the endless ``while true`` runs ``nepochs`` times. The globals are
``threads.local``'s; returns that namespace for the checks. The options come from ``sys.argv`` as lapp reads
them."""
import os

import legonn as lg
from legonn import cutorch, nn, optim, paths, threads, xlua
from legonn import sys
from legonn.pl import lapp

from .adversarial_ct import adversarial_ct
from .data import data


def _trainJob():
    G = threads.local
    return (G.makeData(*G.trainLoader.sample(G.opt['batchSize'])),
            G.makeData(*G.trainLoader.sample(G.opt['batchSize'])))


def main(nplanes=64, nepochs=None):
    G = threads.local
    xlua.require('torch')
    xlua.require('nngraph')
    xlua.require('cunn')
    xlua.require('optim')
    xlua.require('image')
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
  -s,--save          (default "/nfs.yoda/xiaolonw/torch_projects/models/dcgan_normal_72")      subdirectory to save logs
  --saveFreq         (default 3)          save every saveFreq epochs
  -n,--network       (default "")          reload pretrained network
  -p,--plot                                plot while training
  -r,--learningRate  (default 0.0002)      learning rate
  -b,--batchSize     (default 64)         batch size
  -m,--momentum      (default 0.5)         momentum term of adam
  --coefL1           (default 0)           L1 penalty on the weights
  --coefL2           (default 0)     L2 penalty on the weights
  -t,--threads       (default 2)           number of threads
  -g,--gpu           (default 0)          gpu to run on (default cpu)
  -d,--noiseDim      (default 100)         dimensionality of noise vector
  --K                (default 1)           number of iterations to optimize D for
  -w, --window       (default 3)           windsow id of sample image
  --scale            (default 72)          scale of images to train on
  --epochSize        (default 2000)        number of samples per epoch
  --scratch          (default 0)
  --forceDonkeys     (default 0)
  --nDonkeys         (default 2)           number of data loading threads
  --high             (default 1)           high resolution
""")

    if opt['gpu'] < 0 or opt['gpu'] > 8:
        opt['gpu'] = False
    print(opt)

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
    # opt.condDim = {3, opt.scale, opt.scale}

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

        inputsize = 72
        dx_I = nn.Identity()()
        dh1 = nn.SpatialConvolution(3, nplanes, 5, 5, 2, 2, 2, 2)(dx_I)  # size / 2
        # db1 = nn.SpatialBatchNormalization(nplanes)(dh1)
        dr1 = nn.LeakyReLU(0.2, True)(dh1)

        dh2 = nn.SpatialConvolution(nplanes, nplanes * 2, 5, 5, 1, 1, 2, 2)(dr1)
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

        outputsize3 = nplanes * 2 * (inputsize / 8) * (inputsize / 8)
        rshp = nn.Reshape(outputsize3)(dr5)
        dh6 = nn.Linear(outputsize3, 1)(nn.Dropout()(rshp))
        dout = nn.Sigmoid()(dh6)
        G.model_D = nn.gModule([dx_I], [dout])

        G.model_D.apply(weights_init)

        # --------------------------------------------------------------------
        # define G network to train
        # my G network
        x_I = nn.Identity()()  # 1 channel noise

        hi1 = nn.SpatialFullConvolution(opt['noiseDim'], nplanes * 2, 9, 9)(x_I)
        bi1 = nn.SpatialBatchNormalization(nplanes * 2)(hi1)
        ri1 = nn.ReLU(True)(bi1)

        hi2 = nn.SpatialFullConvolution(nplanes * 2, nplanes * 2, 4, 4, 2, 2, 1, 1)(ri1)  # size * 2 for noise 18 * 18
        bi2 = nn.SpatialBatchNormalization(nplanes * 2)(hi2)
        ri2 = nn.ReLU(True)(bi2)

        hi3 = nn.SpatialConvolution(nplanes * 2, nplanes * 2, 3, 3, 1, 1, 1, 1)(ri2)  # the same size for noise 36 * 36
        bi3 = nn.SpatialBatchNormalization(nplanes * 2)(hi3)
        ri3 = nn.ReLU(True)(bi3)

        h3 = nn.SpatialConvolution(nplanes * 2, nplanes * 4, 3, 3, 1, 1, 1, 1)(ri3)  # the same size
        b3 = nn.SpatialBatchNormalization(nplanes * 4)(h3)
        r3 = nn.ReLU(True)(b3)

        h4 = nn.SpatialConvolution(nplanes * 4, nplanes * 8, 3, 3, 1, 1, 1, 1)(r3)  # the same size
        b4 = nn.SpatialBatchNormalization(nplanes * 8)(h4)
        r4 = nn.ReLU(True)(b4)

        h5 = nn.SpatialConvolution(nplanes * 8, nplanes * 8, 3, 3, 1, 1, 1, 1)(r4)  # same size
        b5 = nn.SpatialBatchNormalization(nplanes * 8)(h5)
        r5 = nn.LeakyReLU(0.2, True)(b5)

        h6 = nn.SpatialFullConvolution(nplanes * 8, nplanes * 4, 4, 4, 2, 2, 1, 1)(r5)  # size * 2
        b6 = nn.SpatialBatchNormalization(nplanes * 4)(h6)
        r6 = nn.LeakyReLU(0.2, True)(b6)

        h7 = nn.SpatialConvolution(nplanes * 4, nplanes * 2, 3, 3, 1, 1, 1, 1)(r6)  # same size
        b7 = nn.SpatialBatchNormalization(nplanes * 2)(h7)
        r7 = nn.LeakyReLU(0.2, True)(b7)

        h8 = nn.SpatialFullConvolution(nplanes * 2, nplanes, 4, 4, 2, 2, 1, 1)(r7)  # size * 2
        b8 = nn.SpatialBatchNormalization(nplanes)(h8)
        r8 = nn.LeakyReLU(0.2, True)(b8)

        h9 = nn.SpatialConvolution(nplanes, 3, 5, 5, 1, 1, 2, 2)(r8)  # same size

        tanhout = nn.Tanh()(h9)
        shff1 = nn.Transpose([1, 2], [2, 3])(tanhout)
        rshp = nn.View(-1, 3)(shff1)
        normout = nn.Normalize(2)(rshp)
        rshp2 = nn.View(-1, 72, 72, 3)(normout)
        gout = nn.Transpose([3, 2], [2, 1])(rshp2)

        # old layer ReArrange implemented by wxl
        # rshp = nn.ReArrange()(tanhout)
        # normout = nn.Normalize(2)(rshp)
        # gout = nn.ReArrangeBack(72, 72)(normout)

        G.model_G = nn.gModule([x_I], [gout])

        G.model_G.apply(weights_init)

    else:
        print('<trainer> reloading previously trained network: ' + opt['network'])
        tmp = lg.load(opt['network'])
        G.model_D = tmp['D']
        G.model_G = tmp['G']

    # loss function: negative log-likelihood
    G.criterion = nn.BCECriterion()

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

    data()
    adversarial = adversarial_ct()

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
