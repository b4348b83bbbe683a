"""imagenet-multiGPU.torch's model.lua ported line by line, the script's body as ``main()`` over util.py's
global ``opt``; it returns the globals the Lua sets, ``model`` and ``criterion``.

Edits beyond Lua syntax and 0-based indices: ``paths.dofile('models/' .. opt.netType .. '.lua')`` followed by
the global ``createModel(opt.nGPU)`` is an import of that module and its ``createModel``; ``require 'cudnn'``
is an import, ``'cunn'`` dropped (docs/porting.md); ``pairs(model:findModules(...))`` takes findModules' first
value, ``[0]`` (docs/porting.md); ``error``/``assert`` raise; ``collectgarbage()`` is dropped (docs/porting.md).
"""
import importlib
import math

from legonn import nn, paths

from . import util
from .util import loadDataParallel


def main():
    opt = util.opt
    # 1. Create Network
    # 1.1 If preloading option is set, preload weights from existing models appropriately
    if opt['retrain'] != 'none':
        assert paths.filep(opt['retrain']), 'File not found: ' + opt['retrain']
        print('Loading model from file: ' + opt['retrain'])
        model = loadDataParallel(opt['retrain'], opt['nGPU'])  # defined in util.lua
    else:
        createModel = importlib.import_module(__package__ + '.models.' + opt['netType']).createModel
        print('=> Creating model from file: models/' + opt['netType'] + '.lua')
        model = createModel(opt['nGPU'])  # for the model creation code, check the models/ folder
        if opt['wInit'] == 'kaiming':
            for indx, module in enumerate(model.findModules('nn.SpatialConvolution')[0]):
                module.weight.normal(0, math.sqrt(2 / (module.kW * module.kH * module.nOutputPlane)))
        elif opt['wInit'] == 'xavier':
            for indx, module in enumerate(model.findModules('nn.SpatialConvolution')[0]):
                module.weight.normal(0, math.sqrt(1 / (module.kW * module.kH * module.nOutputPlane)))
        if opt['backend'] == 'cudnn':
            from legonn import cudnn
            cudnn.convert(model, cudnn)
        elif opt['backend'] == 'cunn':
            model = model.cuda()
        elif opt['backend'] != 'nn':
            raise RuntimeError('Unsupported backend')

    # 2. Create Criterion
    criterion = nn.ClassNLLCriterion()

    print('=> Model')
    print(model)

    print('=> Criterion')
    print(criterion)

    # 3. Convert model to CUDA
    print('==> Converting model to CUDA')
    # model is converted to CUDA in the init script itself
    # model = model:cuda()
    criterion.cuda()

    return model, criterion
