"""imagenet-multiGPU.torch's util.lua ported line by line, with its global ``opt`` (opts.lua's, set by main.lua)
as a module-level dict (the tests set its fields).

Edits beyond Lua syntax and 0-based indices: GPU ids are 0-based (``torch.range(1, nGPU)`` is
``lg.range(0, nGPU - 1)``, DataParallelTable's dimension 1 is 0); legonn drives one device, so the lines that
pick a device per replica (``assert(nGPU <= cutorch.getDeviceCount())``, ``cutorch.setDevice(i)``) are dropped
(docs/porting.md); ``require 'cunn'``, ``'ffi'`` are dropped (unused here); ``torch.type`` is ``lg.typename``.
"""
import legonn as lg
from legonn import cudnn, nn

opt = {'backend': 'cudnn', 'cudnnAutotune': 1, 'GPU': 0}


def makeDataParallel(model, nGPU):
    if nGPU > 1:
        print('converting module to nn.DataParallelTable')
        # (dropped: assert(nGPU <= cutorch.getDeviceCount()); legonn runs every replica on its one device)
        if opt['backend'] == 'cudnn' and opt['cudnnAutotune'] == 1:
            gpu_table = lg.range(0, nGPU - 1).totable()

            def init():
                from legonn import cudnn
                cudnn.benchmark = True
            dpt = nn.DataParallelTable(0, True).add(model, gpu_table).threads(init)
            dpt.gradInput = None
            model = dpt.cuda()
        else:
            model_single = model
            model = nn.DataParallelTable(0)
            for i in range(nGPU):
                # (dropped: cutorch.setDevice(i))
                model.add(model_single.clone().cuda(), i)
    else:
        if opt['backend'] == 'cudnn' and opt['cudnnAutotune'] == 1:
            cudnn.benchmark = True
    return model


def cleanDPT(module):
    newDPT = nn.DataParallelTable(0)
    newDPT.add(module.get(0), opt['GPU'])
    return newDPT


def saveDataParallel(filename, model):
    if lg.typename(model) == 'nn.DataParallelTable':
        lg.save(filename, cleanDPT(model))
    elif lg.typename(model) == 'nn.Sequential':
        temp_model = nn.Sequential()
        for i, module in enumerate(model.modules):
            if lg.typename(module) == 'nn.DataParallelTable':
                temp_model.add(cleanDPT(module))
            else:
                temp_model.add(module)
        lg.save(filename, temp_model)
    else:
        raise RuntimeError('This saving function only works with Sequential or DataParallelTable modules.')


def loadDataParallel(filename, nGPU):
    model = lg.load(filename)
    if lg.typename(model) == 'nn.DataParallelTable':
        return makeDataParallel(model.get(0).float(), nGPU)
    elif lg.typename(model) == 'nn.Sequential':
        for i, module in enumerate(model.modules):
            if lg.typename(module) == 'nn.DataParallelTable':
                model.modules[i] = makeDataParallel(module.get(0).float(), nGPU)
        return model
    raise RuntimeError('The loaded model is not a Sequential or DataParallelTable module.')
