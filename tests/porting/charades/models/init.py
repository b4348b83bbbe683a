"""models/init.lua: ``setup(opt, checkpoint)`` makes the model (a checkpoint's, a ``-retrain`` file's, or
``models/<netType>.lua``'s), runs optnet, shares gradInputs, resets the classifier, sets the cuDNN flags, wraps
it in a DataParallelTable for several GPUs and pairs it with ``nn.CrossEntropyCriterion``.

Edits beyond the package's: ``model,criterion = torch.load(path):cuda()`` and ``= require(...)(opt)`` get one
value in Lua, ``criterion`` nil: ``model, criterion = ..., None`` (docs/porting.md's multiple-assignment row);
``require 'cunn'``/``'cudnn'`` are imports; ``m.__shareGradInputKey``, a field few modules have, is
``getattr(m, '__shareGradInputKey', None)`` (docs/porting.md's nil-test and ``__x`` rows)."""
import importlib

import legonn as lg
from legonn import cudnn, nn, paths


def _model(opt):
    return importlib.import_module('tests.porting.charades.models.' + opt['netType']).createModel


def setup(opt, checkpoint):
    model = None
    criterion = None
    if checkpoint is not None:
        modelPath = paths.concat(opt['resume'], checkpoint['modelFile'])
        assert paths.filep(modelPath), 'Saved model not found: ' + modelPath
        print('=> Resuming model from ' + modelPath)
        model, criterion = lg.load(modelPath).cuda(), None
    elif opt['retrain'] != 'none':
        assert paths.filep(opt['retrain']), 'File not found: ' + opt['retrain']
        print('Loading model from file: ' + opt['retrain'])
        model, criterion = lg.load(opt['retrain']).cuda(), None
        if not criterion:
            _, criterion = _model(opt)(opt), None
    else:
        print('=> Creating model from file: models/' + opt['netType'] + '.lua')
        model, criterion = _model(opt)(opt), None

    # First remove any DataParallelTable
    if lg.type(model) == 'nn.DataParallelTable':
        model = model.get(0)

    # optnet is an general library for reducing memory usage in neural networks
    if opt['optnet']:
        from legonn import optnet
        imsize = 32 if opt['dataset'] == 'cifar10' else 224
        sampleInput = lg.zeros(4, 20, imsize, imsize).cuda() if (opt['dataset'] == 'charadesflow') \
            else lg.zeros(4, 3, imsize, imsize).cuda()
        optnet.optimizeMemory(model, sampleInput, {'inplace': False, 'mode': 'training'})

    # This is useful for fitting ResNet-50 on 4 GPUs, but requires that all
    # containers override backwards to call backwards recursively on submodules
    if opt['shareGradInput']:
        shareGradInput(model)

    # For resetting the classifier when fine-tuning on a different Dataset
    if opt['resetClassifier'] and not checkpoint:
        print(' => Replacing classifier with ' + lg.tostring(opt['nClasses']) + '-way classifier')

        orig = model.get(len(model.modules) - 1)
        assert lg.type(orig) == 'nn.Linear', 'expected last layer to be fully connected'

        linear = nn.Linear(orig.weight.size(1), opt['nClasses'])
        linear.bias.zero()

        model.remove(len(model.modules) - 1)
        model.add(linear.cuda())

    # Set the CUDNN flags
    if opt['cudnn'] == 'fastest':
        cudnn.fastest = True
        cudnn.benchmark = True
    elif opt['cudnn'] == 'deterministic':
        # Use a deterministic convolution implementation
        def setMode(m):
            if hasattr(m, 'setMode'):
                m.setMode(1, 1, 1)
        model.apply(setMode)

    # Wrap the model with DataParallelTable, if using more than one GPU
    if opt['nGPU'] > 1:
        gpus = lg.range(0, opt['nGPU'] - 1).totable()
        fastest, benchmark = cudnn.fastest, cudnn.benchmark

        def init():
            from legonn import cudnn
            cudnn.fastest, cudnn.benchmark = fastest, benchmark
        dpt = nn.DataParallelTable(0, True, True) \
            .add(model, gpus) \
            .threads(init)
        dpt.gradInput = None

        model = dpt.cuda()

    if not criterion:
        criterion = nn.CrossEntropyCriterion().cuda()
    return model, criterion


def shareGradInput(model):
    def sharingKey(m):
        key = lg.type(m)
        if getattr(m, '__shareGradInputKey', None):
            key = key + ':' + getattr(m, '__shareGradInputKey')
        return key

    # Share gradInput for memory efficient backprop
    cache = {}

    def share(m):
        moduleType = lg.type(m)
        if lg.isTensor(m.gradInput) and moduleType != 'nn.ConcatTable':
            key = sharingKey(m)
            if cache.get(key) is None:
                cache[key] = lg.CudaStorage(1)
            m.gradInput = lg.CudaTensor(cache[key], 0, 0)
    model.apply(share)
    for i, m in enumerate(model.findModules('nn.ConcatTable')[0]):
        if cache.get((i + 1) % 2) is None:
            cache[(i + 1) % 2] = lg.CudaStorage(1)
        m.gradInput = lg.CudaTensor(cache[(i + 1) % 2], 0, 0)
