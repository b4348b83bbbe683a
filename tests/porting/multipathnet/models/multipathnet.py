"""models/multipathnet.lua: MultiPath Network over VGG16: the pretrained conv1-conv3 with conv4 and conv5 beside
them (skip connections, frozen in a NoBackprop, data-parallel over ``opt.train_nGPU``), the proposals made into
four foveal regions (nn.Foveal), one tower per region (conv3/4/5 ROI poolings joined by ``conv345Combine``, a
clone of the pretrained classifier) in an nn.ModelParallelTable spreading the towers over ``opt.train_nGPU`` GPUs
round robin, a fifth ("het") tower over the second region on the last GPU, and the class/box linears.
``build(opt)`` returns ``[model, transformer]`` (the file's ``return``); ``opt`` is the Lua's global.

Edits: 0-based region indices (``nn.Select(0, i)`` for the Lua's ``nn.Select(1, i)``, ``i == 0`` for ``i == 1``;
``model_foveal_exclude`` names a 0-based region, its default -1 none, as the Lua's), GPU ids (``dev`` runs over 0
.. nGPU - 1, the het tower on ``nGPU - 1``), dimensions (``nn.Transpose([0, 1])``, ``nn.Narrow(1, 0, ...)``).
``model.setPhase2 = utils.vggSetPhase2_outer``, which train.lua calls as ``model:setPhase2()``, is bound with
``types.MethodType`` (docs/porting.md's row on a method overridden on one object). The Lua's ``require 'inn'``,
``'cudnn'``, ``'fbcoco'`` are the package's imports."""
import types

import legonn as lg
from legonn import nn, cutorch, xlua

from ..modules.Foveal import Foveal
from ..modules.ModelParallelTable import ModelParallelTable
from ..modules.NoBackprop import NoBackprop
from . import model_utils as utils


def build(opt=None):
    model_opt = xlua.envparams({
        'model_conv345_norm': True,
        'model_het': True,
        'model_foveal_exclude': -1,
    })

    print("model_opt")
    print(model_opt)

    N = 4

    data = lg.load('data/models/imagenet_pretrained_vgg.t7')
    features = utils.safe_unpack(data['features'])
    classifier = utils.safe_unpack(data['top'])

    model = nn.Sequential()

    for v in classifier.findModules('nn.Dropout')[0]:
        v.inplace = True

    skip_features = nn.Sequential()
    for i in range(16):
        skip_features.add(features.get(i))
    conv4 = nn.Sequential()
    for i in range(16, 23):
        conv4.add(features.get(i))

    conv5 = nn.Sequential()
    for i in range(23, 30):
        conv5.add(features.get(i))

    skip_features.add(nn.ConcatTable()
                      .add(conv4)
                      .add(nn.Identity()))

    skip_features.add(nn.ParallelTable()
                      .add(nn.ConcatTable()
                           .add(conv5)
                           .add(nn.Identity()))
                      .add(nn.Identity()))

    skip_features.add(nn.FlattenTable())

    model.add(nn.ParallelTable()
              .add(NoBackprop(utils.makeDataParallel(skip_features, opt=opt)))
              .add(nn.Identity()))

    model.add(nn.ParallelTable()
              .add(nn.Identity())
              .add(nn.Sequential()
                   .add(Foveal())
                   .add(nn.View(-1, N, 5))
                   .add(nn.Transpose([0, 1]))))

    # local towers = nn.ConcatTable()

    nGPU = opt and opt.get('train_nGPU') or 4
    regions = ModelParallelTable(1)
    oldDev = cutorch.getDevice()
    dev = 0
    Nreg = 0
    for i in range(N):
        # local dev = i % nGPU
        # dev = (dev==0) and nGPU or dev
        if i != model_opt['model_foveal_exclude']:
            cutorch.setDevice(dev)
            print('dev', i, dev)

            region_instance = nn.Sequential()
            region_instance.add(nn.ParallelTable().add(nn.Identity()).add(nn.Select(0, i)))
            region_instance.add(utils.conv345Combine(
                model_opt['model_conv345_norm'], i == 0, i <= 2, not model_opt['model_conv345_norm']))
            region_instance.add(classifier.clone())
            region_instance.float().cuda()
            regions.add(region_instance, dev)

            dev = dev + 1
            dev = 0 if dev > nGPU - 1 else dev
            Nreg = Nreg + 1

    if model_opt['model_het']:
        # ooh, doing something weird here to avoid OOM
        cutorch.setDevice(nGPU - 1)
        region_instance = nn.Sequential()
        region_instance.add(nn.ParallelTable().add(nn.Identity()).add(nn.Select(0, 1)))
        region_instance.add(utils.conv345Combine(
            model_opt['model_conv345_norm'], True, True, not model_opt['model_conv345_norm']))

        region_instance.add(classifier.clone())
        region_instance.float().cuda()

        regions.add(region_instance, nGPU - 1)
    cutorch.setDevice(oldDev)
    model.add(regions)

    if model_opt['model_het']:
        model.add(nn.ConcatTable().add(nn.Narrow(1, 0, Nreg * 4096)).add(nn.Narrow(1, Nreg * 4096, 4096)))
        model.add(utils.classAndBBoxLinear(Nreg * 4096, 4096, opt=opt))
    else:
        model.add(utils.classAndBBoxLinear(Nreg * 4096, opt=opt))
    model.cuda()

    model.phase = 1
    model.setPhase2 = types.MethodType(utils.vggSetPhase2_outer, model)  # train.lua calls model:setPhase2()

    utils.testModel(model, opt)

    return [model, utils.RossTransformer()]
