"""resnet-pre-act.lua: the pre-activation ResNet-164/1001 for CIFAR-10 (depth 9n+2): a 3x3 convolution, three
stages of n bottleneck Residual Units (BN-ReLU-conv1x1, BN-ReLU-conv3x3, BN-ReLU-conv1x1 beside an identity, or
beside a 1x1 convolution after a common BN-ReLU where the width or the stride changes; 16 -> 64 -> 128 -> 256
planes), BN-ReLU, 8x8 average pooling and a Linear to 10 classes; fb.resnet.torch's ConvInit and BNInit.

Edits beyond Lua syntax and 0-based indices: those of tests/porting/cnn_benchmarks/resnet.py (``require 'cunn'``
dropped, ``cudnn`` imported, ``opt.x`` is ``opt['x']``, findModules' first value ``[0]``, ``error`` raises);
``nOutputPlane / 4`` and ``(depth - 2) / 9``, whole floats in Lua, are ``//`` (docs/porting.md); ``model:cuda()``
is ``model.type(opt['tensorType'])`` as the other fb.resnet.torch model files do, so that the CPU tests run it in
FloatTensor or DoubleTensor."""
import math

from legonn import cudnn, nn

Convolution = cudnn.SpatialConvolution
Avg = cudnn.SpatialAveragePooling
ReLU = cudnn.ReLU
Max = nn.SpatialMaxPooling
SBatchNorm = nn.SpatialBatchNormalization


def createModel(opt):
    depth = opt['depth']

    # The new Residual Unit in [a]
    def bottleneck(nInputPlane, nOutputPlane, stride):

        nBottleneckPlane = nOutputPlane // 4

        if nInputPlane == nOutputPlane:  # most Residual Units have this shape
            convs = nn.Sequential()
            # conv1x1
            convs.add(SBatchNorm(nInputPlane))
            convs.add(ReLU(True))
            convs.add(Convolution(nInputPlane, nBottleneckPlane, 1, 1, stride, stride, 0, 0))

            # conv3x3
            convs.add(SBatchNorm(nBottleneckPlane))
            convs.add(ReLU(True))
            convs.add(Convolution(nBottleneckPlane, nBottleneckPlane, 3, 3, 1, 1, 1, 1))

            # conv1x1
            convs.add(SBatchNorm(nBottleneckPlane))
            convs.add(ReLU(True))
            convs.add(Convolution(nBottleneckPlane, nOutputPlane, 1, 1, 1, 1, 0, 0))

            shortcut = nn.Identity()

            return nn.Sequential() \
                .add(nn.ConcatTable()
                     .add(convs)
                     .add(shortcut)) \
                .add(nn.CAddTable(True))
        else:  # Residual Units for increasing dimensions
            block = nn.Sequential()
            # common BN, ReLU
            block.add(SBatchNorm(nInputPlane))
            block.add(ReLU(True))

            convs = nn.Sequential()
            # conv1x1
            convs.add(Convolution(nInputPlane, nBottleneckPlane, 1, 1, stride, stride, 0, 0))

            # conv3x3
            convs.add(SBatchNorm(nBottleneckPlane))
            convs.add(ReLU(True))
            convs.add(Convolution(nBottleneckPlane, nBottleneckPlane, 3, 3, 1, 1, 1, 1))

            # conv1x1
            convs.add(SBatchNorm(nBottleneckPlane))
            convs.add(ReLU(True))
            convs.add(Convolution(nBottleneckPlane, nOutputPlane, 1, 1, 1, 1, 0, 0))

            shortcut = nn.Sequential()
            shortcut.add(Convolution(nInputPlane, nOutputPlane, 1, 1, stride, stride, 0, 0))

            return block \
                .add(nn.ConcatTable()
                     .add(convs)
                     .add(shortcut)) \
                .add(nn.CAddTable(True))

    # Stacking Residual Units on the same stage
    def layer(block, nInputPlane, nOutputPlane, count, stride):
        s = nn.Sequential()

        s.add(block(nInputPlane, nOutputPlane, stride))
        for i in range(1, count):
            s.add(block(nOutputPlane, nOutputPlane, 1))
        return s

    model = nn.Sequential()
    if opt['dataset'] == 'cifar10':
        # Model type specifies number of layers for CIFAR-10 model
        assert (depth - 2) % 9 == 0, 'depth should be 9n+2 (e.g., 164 or 1001 in the paper)'
        n = (depth - 2) // 9
        print(' | ResNet-' + str(depth) + ' CIFAR-10')

        # The new ResNet-164 and ResNet-1001 in [a]
        nStages = [16, 64, 128, 256]

        model.add(Convolution(3, nStages[0], 3, 3, 1, 1, 1, 1))  # one conv at the beginning (spatial size: 32x32)
        model.add(layer(bottleneck, nStages[0], nStages[1], n, 1))  # Stage 1 (spatial size: 32x32)
        model.add(layer(bottleneck, nStages[1], nStages[2], n, 2))  # Stage 2 (spatial size: 16x16)
        model.add(layer(bottleneck, nStages[2], nStages[3], n, 2))  # Stage 3 (spatial size: 8x8)
        model.add(SBatchNorm(nStages[3]))
        model.add(ReLU(True))
        model.add(Avg(8, 8, 1, 1))
        model.add(nn.View(nStages[3]).setNumInputDims(3))
        model.add(nn.Linear(nStages[3], 10))
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
