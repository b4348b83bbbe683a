"""fb.resnet.torch's models/resnet.lua (the ResNet-18/34/50/101/152 cnn-benchmarks times) ported line by line.

Edits beyond Lua syntax and 0-based indices: ``require 'cunn'`` is dropped and ``cudnn`` (a global made by
models/init.lua's ``require 'cudnn'``) imported (docs/porting.md); ``opt.x`` is ``opt['x']`` and
``opt.shortcutType or 'B'`` is ``opt.get('shortcutType') or 'B'``; ``iChannels``, assigned by the nested
functions, is ``nonlocal``; ``pairs(model:findModules(name))`` takes findModules' first value, ``[0]``
(docs/porting.md); ``table.unpack(cfg[depth])`` is a tuple unpacking; ``error``/``assert`` raise; the CIFAR branches'
``(depth - 2) / 6``, a whole float that Lua's ``for`` takes, is ``//`` (docs/porting.md).
"""
import math

from legonn import cudnn, nn

Convolution = cudnn.SpatialConvolution
Avg = cudnn.SpatialAveragePooling
ReLU = cudnn.ReLU
Max = nn.SpatialMaxPooling
SBatchNorm = nn.SpatialBatchNormalization


def createModel(opt):
    depth = opt['depth']
    shortcutType = opt.get('shortcutType') or 'B'
    iChannels = None

    # The shortcut layer is either identity or 1x1 convolution
    def shortcut(nInputPlane, nOutputPlane, stride):
        useConv = shortcutType == 'C' or \
            (shortcutType == 'B' and nInputPlane != nOutputPlane)
        if useConv:
            # 1x1 convolution
            return nn.Sequential() \
                .add(Convolution(nInputPlane, nOutputPlane, 1, 1, stride, stride)) \
                .add(SBatchNorm(nOutputPlane))
        elif nInputPlane != nOutputPlane:
            # Strided, zero-padded identity shortcut
            return nn.Sequential() \
                .add(nn.SpatialAveragePooling(1, 1, stride, stride)) \
                .add(nn.Concat(1)
                     .add(nn.Identity())
                     .add(nn.MulConstant(0)))
        else:
            return nn.Identity()

    # The basic residual layer block for 18 and 34 layer network, and the
    # CIFAR networks
    def basicblock(n, stride):
        nonlocal iChannels
        nInputPlane = iChannels
        iChannels = n

        s = nn.Sequential()
        s.add(Convolution(nInputPlane, n, 3, 3, stride, stride, 1, 1))
        s.add(SBatchNorm(n))
        s.add(ReLU(True))
        s.add(Convolution(n, n, 3, 3, 1, 1, 1, 1))
        s.add(SBatchNorm(n))

        return nn.Sequential() \
            .add(nn.ConcatTable()
                 .add(s)
                 .add(shortcut(nInputPlane, n, stride))) \
            .add(nn.CAddTable(True)) \
            .add(ReLU(True))

    # The bottleneck residual layer for 50, 101, and 152 layer networks
    def bottleneck(n, stride):
        nonlocal iChannels
        nInputPlane = iChannels
        iChannels = n * 4

        s = nn.Sequential()
        s.add(Convolution(nInputPlane, n, 1, 1, 1, 1, 0, 0))
        s.add(SBatchNorm(n))
        s.add(ReLU(True))
        s.add(Convolution(n, n, 3, 3, stride, stride, 1, 1))
        s.add(SBatchNorm(n))
        s.add(ReLU(True))
        s.add(Convolution(n, n * 4, 1, 1, 1, 1, 0, 0))
        s.add(SBatchNorm(n * 4))

        return nn.Sequential() \
            .add(nn.ConcatTable()
                 .add(s)
                 .add(shortcut(nInputPlane, n * 4, stride))) \
            .add(nn.CAddTable(True)) \
            .add(ReLU(True))

    # Creates count residual blocks with specified number of features
    def layer(block, features, count, stride=None):
        s = nn.Sequential()
        for i in range(1, count + 1):
            s.add(block(features, stride if i == 1 else 1))
        return s

    model = nn.Sequential()
    if opt['dataset'] == 'imagenet':
        # Configurations for ResNet:
        #  num. residual blocks, num features, residual block function
        cfg = {
            18: [[2, 2, 2, 2], 512, basicblock],
            34: [[3, 4, 6, 3], 512, basicblock],
            50: [[3, 4, 6, 3], 2048, bottleneck],
            101: [[3, 4, 23, 3], 2048, bottleneck],
            152: [[3, 8, 36, 3], 2048, bottleneck],
        }

        assert cfg.get(depth), 'Invalid depth: ' + str(depth)
        def_, nFeatures, block = cfg[depth]
        iChannels = 64
        print(' | ResNet-' + str(depth) + ' ImageNet')

        # The ResNet ImageNet model
        model.add(Convolution(3, 64, 7, 7, 2, 2, 3, 3))
        model.add(SBatchNorm(64))
        model.add(ReLU(True))
        model.add(Max(3, 3, 2, 2, 1, 1))
        model.add(layer(block, 64, def_[0]))
        model.add(layer(block, 128, def_[1], 2))
        model.add(layer(block, 256, def_[2], 2))
        model.add(layer(block, 512, def_[3], 2))
        model.add(Avg(7, 7, 1, 1))
        model.add(nn.View(nFeatures).setNumInputDims(3))
        model.add(nn.Linear(nFeatures, 1000))
    elif opt['dataset'] == 'cifar10':
        # Model type specifies number of layers for CIFAR-10 model
        assert (depth - 2) % 6 == 0, 'depth should be one of 20, 32, 44, 56, 110, 1202'
        n = (depth - 2) // 6
        iChannels = 16
        print(' | ResNet-' + str(depth) + ' CIFAR-10')

        # The ResNet CIFAR-10 model
        model.add(Convolution(3, 16, 3, 3, 1, 1, 1, 1))
        model.add(SBatchNorm(16))
        model.add(ReLU(True))
        model.add(layer(basicblock, 16, n))
        model.add(layer(basicblock, 32, n, 2))
        model.add(layer(basicblock, 64, n, 2))
        model.add(Avg(8, 8, 1, 1))
        model.add(nn.View(64).setNumInputDims(3))
        model.add(nn.Linear(64, 10))
    elif opt['dataset'] == 'cifar100':
        # Model type specifies number of layers for CIFAR-100 model
        assert (depth - 2) % 6 == 0, 'depth should be one of 20, 32, 44, 56, 110, 1202'
        n = (depth - 2) // 6
        iChannels = 16
        print(' | ResNet-' + str(depth) + ' CIFAR-100')

        # The ResNet CIFAR-100 model
        model.add(Convolution(3, 16, 3, 3, 1, 1, 1, 1))
        model.add(SBatchNorm(16))
        model.add(ReLU(True))
        model.add(layer(basicblock, 16, n))
        model.add(layer(basicblock, 32, n, 2))
        model.add(layer(basicblock, 64, n, 2))
        model.add(Avg(8, 8, 1, 1))
        model.add(nn.View(64).setNumInputDims(3))
        model.add(nn.Linear(64, 100))
    else:
        raise RuntimeError('invalid dataset: ' + opt['dataset'])

    def ConvInit(name):
        for k, v in enumerate(model.findModules(name)[0]):
            n = v.kW * v.kH * v.nOutputPlane
            v.weight.normal(0, math.sqrt(2 / n))
            if cudnn.version >= 4000:
                v.bias = None
                v.gradBias = None
            else:
                v.bias.zero()

    def BNInit(name):
        for k, v in enumerate(model.findModules(name)[0]):
            v.weight.fill(1)
            v.bias.zero()

    ConvInit('cudnn.SpatialConvolution')
    ConvInit('nn.SpatialConvolution')
    BNInit('fbnn.SpatialBatchNormalization')
    BNInit('cudnn.SpatialBatchNormalization')
    BNInit('nn.SpatialBatchNormalization')
    for k, v in enumerate(model.findModules('nn.Linear')[0]):
        v.bias.zero()
    model.type(opt['tensorType'])

    if opt.get('cudnn') == 'deterministic':
        def _deterministic(m):
            if getattr(m, 'setMode', None):
                m.setMode(1, 1, 1)
        model.apply(_deterministic)

    model.get(0).gradInput = None

    return model
