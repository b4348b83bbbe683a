"""models/msdnet.lua: ``createModel(opt)``, an nn.Sequential holding one nn.JointTrainModule (16 initial planes on
CIFAR, 64 on ImageNet, unless ``-initChannels``), fb.resnet.torch's ConvInit/BNInit, the model cast to
``opt.tensorType``, and the options and the model's text written to ``opt.save``/model_definition.txt.

Edits beyond Lua syntax and 0-based indices: those of tests/porting/cnn_benchmarks/resnet.py for ConvInit and
BNInit (findModules' first value ``[0]``, ``cudnn`` imported); ``require 'models/JointTrainContainer'`` (which
registers nn.JointTrainModule) is an import; ``io.open``/``file:write`` are Python's; ``pairs(opt)`` walks the
dict in its insertion order (Lua's order is the hash's)."""
import math

from legonn import cudnn, nn, paths

from .JointTrainContainer import JointTrainModule


def createModel(opt):
    # (1) configure
    if opt['stepmode'] == 'even':
        assert opt['base'] - opt['step'] >= 0, 'Base should not be smaller than step!'

    if opt['dataset'] == 'cifar10' or opt['dataset'] == 'cifar100':
        nChannels = opt['initChannels'] if opt['initChannels'] > 0 else 16
    elif opt['dataset'] == 'imagenet':
        nChannels = opt['initChannels'] if opt['initChannels'] > 0 else 64
    else:
        raise RuntimeError('invalid dataset: ' + opt['dataset'])

    # (2) build model
    print(' | MSDNet-Block' + str(opt['nBlocks']) + '-' + str(opt['step']) + ' ' + opt['dataset'])
    model = nn.Sequential()
    model.add(JointTrainModule(nChannels, opt))

    # (3) init model
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

    if opt['cudnn'] == 'deterministic':
        def _deterministic(m):
            if getattr(m, 'setMode', None):
                m.setMode(1, 1, 1)
        model.apply(_deterministic)

    model.get(0).gradInput = None

    # (4) save the network definition
    file = open(paths.concat(opt['save'], 'model_definition.txt'), "w")
    for k, v in opt.items():
        if v is True:
            s = 'true'
        elif v is False:
            s = 'false'
        else:
            s = v
        file.write(str(k) + ': ' + str(s) + '\n')

    file.write('\n model definition \n\n')
    file.write(model.__tostring__())
    file.close()

    print(model)

    return model
