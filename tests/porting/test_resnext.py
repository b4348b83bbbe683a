"""facebookresearch/ResNeXt ported line by line: models/resnext.lua (createModel, lines 21-244: the shortcut of types
A, B and C, the original ResNet bottleneck, the aggregated-transform bottleneck of form B (a ConcatTable of
``cardinality`` paths joined by JoinTable) and of form C (one cudnn.SpatialConvolution with ``groups``), the
ImageNet and CIFAR models, ConvInit/BNInit), models/init.lua (M.setup with optnet and M.shareGradInput, 19-130),
train.lua (the Trainer, 17-183), checkpoints.lua (9-63), opts.lua (11-113) and main.lua's epoch loop (28-68). The
repository's data loading is fb.resnet.torch's (tests/porting/test_fbresnet_dataloader.py ports it): here a stand-in
DataLoader hands batches of the shipped MNIST slice, padded to 3 x 32 x 32, in the same ``{input, target}`` samples.

Edits beyond the porting guide's rules: ``torch.CudaLongTensor and torch.CudaLongTensor()`` in copyInputs is
always a CudaLongTensor in Lua (cutorch is required); the CPU tests stand in for the missing GPU by handing the
Trainer its target tensor first (``trainer.target = lg.LongTensor()``, which the Lua's ``or`` keeps) and by
``opt.tensorType = 'torch.FloatTensor'`` after opts.lua's parse, which sets a CUDA type only.
"""
import math
import re

import numpy as np
import pathlib
import pytest

import legonn as lg
from legonn import cudnn, cutorch, nn, optim, paths

DATA = pathlib.Path(__file__).resolve().parents[2] / 'examples' / 'data' / 'mnist_5k.npz'   # the shipped MNIST slice


# --- opts.lua ---------------------------------------------------------------------------------------------------

def parse(arg):
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Torch-7 ResNet Training script')
    cmd.text('See https://github.com/facebook/fb.resnet.torch/blob/master/TRAINING.md for examples')
    cmd.text()
    cmd.text('Options:')
    # ----------- General options --------------------
    cmd.option('-data', '', 'Path to dataset')
    cmd.option('-dataset', 'imagenet', 'Options: imagenet | cifar10 | cifar100')
    cmd.option('-manualSeed', 0, 'Manually set RNG seed')
    cmd.option('-nGPU', 1, 'Number of GPUs to use by default')
    cmd.option('-backend', 'cudnn', 'Options: cudnn | cunn')
    cmd.option('-cudnn', 'fastest', 'Options: fastest | default | deterministic')
    cmd.option('-gen', 'gen', 'Path to save generated files')
    cmd.option('-precision', 'single', 'Options: single | double | half')
    # ----------- Data options ------------------------
    cmd.option('-nThreads', 2, 'number of data loading threads')
    # ----------- Training options --------------------
    cmd.option('-nEpochs', 0, 'Number of total epochs to run')
    cmd.option('-epochNumber', 1, 'Manual epoch number (useful on restarts)')
    cmd.option('-batchSize', 32, 'mini-batch size (1 = pure stochastic)')
    cmd.option('-testOnly', 'false', 'Run on validation set only')
    cmd.option('-tenCrop', 'false', 'Ten-crop testing')
    # ----------- Checkpointing options ---------------
    cmd.option('-save', 'checkpoints', 'Directory in which to save checkpoints')
    cmd.option('-resume', 'none', 'Resume from the latest checkpoint in this directory')
    # --------- Optimization options ----------------------
    cmd.option('-LR', 0.1, 'initial learning rate')
    cmd.option('-momentum', 0.9, 'momentum')
    cmd.option('-weightDecay', 1e-4, 'weight decay')
    # --------- Model options ----------------------------------
    cmd.option('-netType', 'resnext', 'Options: resnext')
    cmd.option('-bottleneckType', 'resnext_C', 'Options: resnet | resnext_B | resnext_C')
    cmd.option('-depth', 34, 'ResNet depth: 18 | 34 | 50 | 101 | ...', 'number')
    cmd.option('-baseWidth', 64, 'ResNet base width', 'number')
    cmd.option('-cardinality', 1, 'ResNet cardinality', 'number')
    cmd.option('-shortcutType', '', 'Options: A | B | C')
    cmd.option('-retrain', 'none', 'Path to model to retrain with')
    cmd.option('-optimState', 'none', 'Path to an optimState to reload from')
    # --------- Model options ----------------------------------
    cmd.option('-shareGradInput', 'false', 'Share gradInput tensors to reduce memory usage')
    cmd.option('-optnet', 'false', 'Use optnet to reduce memory usage')
    cmd.option('-resetClassifier', 'false', 'Reset the fully connected layer for fine-tuning')
    cmd.option('-nClasses', 0, 'Number of classes in the dataset')
    cmd.text()

    opt = cmd.parse(arg if arg is not None else [])

    opt['testOnly'] = opt['testOnly'] != 'false'
    opt['tenCrop'] = opt['tenCrop'] != 'false'
    opt['shareGradInput'] = opt['shareGradInput'] != 'false'
    opt['optnet'] = opt['optnet'] != 'false'
    opt['resetClassifier'] = opt['resetClassifier'] != 'false'

    if not paths.dirp(opt['save']) and not paths.mkdir(opt['save']):
        cmd.error('error: unable to create checkpoint directory: ' + opt['save'] + '\n')

    if opt['dataset'] == 'imagenet':
        # Handle the most common case of missing -data flag
        trainDir = paths.concat(opt['data'], 'train')
        if not paths.dirp(opt['data']):
            cmd.error('error: missing ImageNet data directory')
        elif not paths.dirp(trainDir):
            cmd.error('error: ImageNet missing `train` directory: ' + trainDir)
        # Default shortcutType=B and nEpochs=90
        opt['shortcutType'] = 'B' if opt['shortcutType'] == '' else opt['shortcutType']
        opt['nEpochs'] = 100 if opt['nEpochs'] == 0 else opt['nEpochs']
    elif opt['dataset'] == 'cifar10':
        # Default shortcutType=B and nEpochs=328
        opt['shortcutType'] = 'B' if opt['shortcutType'] == '' else opt['shortcutType']
        opt['nEpochs'] = 300 if opt['nEpochs'] == 0 else opt['nEpochs']
    elif opt['dataset'] == 'cifar100':
        # Default shortcutType=B and nEpochs=328
        opt['shortcutType'] = 'B' if opt['shortcutType'] == '' else opt['shortcutType']
        opt['nEpochs'] = 300 if opt['nEpochs'] == 0 else opt['nEpochs']
    else:
        cmd.error('unknown dataset: ' + opt['dataset'])

    if opt['precision'] is None or opt['precision'] == 'single':
        opt['tensorType'] = 'torch.CudaTensor'
    elif opt['precision'] == 'double':
        opt['tensorType'] = 'torch.CudaDoubleTensor'
    elif opt['precision'] == 'half':
        opt['tensorType'] = 'torch.CudaHalfTensor'
    else:
        cmd.error('unknown precision: ' + opt['precision'])

    if opt['resetClassifier']:
        if opt['nClasses'] == 0:
            cmd.error('-nClasses required when resetClassifier is set')
    if opt['shareGradInput'] and opt['optnet']:
        cmd.error('error: cannot use both -shareGradInput and -optnet')

    return opt


# --- models/resnext.lua -----------------------------------------------------------------------------------------

def createModel(opt):
    Convolution = cudnn.SpatialConvolution
    Avg = cudnn.SpatialAveragePooling
    ReLU = cudnn.ReLU
    Max = nn.SpatialMaxPooling
    SBatchNorm = nn.SpatialBatchNormalization

    depth = opt['depth']
    shortcutType = opt.get('shortcutType') or 'B'
    iChannels = None

    # The shortcut layer is either identity or 1x1 convolution
    def shortcut(nInputPlane, nOutputPlane, stride):
        useConv = shortcutType == 'C' or (shortcutType == 'B' and nInputPlane != nOutputPlane)
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

    # The original bottleneck residual layer
    def resnet_bottleneck(n, stride):
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

    # The aggregated residual transformation bottleneck layer, Form (B)
    def split(nInputPlane, d, c, stride):
        cat = nn.ConcatTable()
        for i in range(c):
            s = nn.Sequential()
            s.add(Convolution(nInputPlane, d, 1, 1, 1, 1, 0, 0))
            s.add(SBatchNorm(d))
            s.add(ReLU(True))
            s.add(Convolution(d, d, 3, 3, stride, stride, 1, 1))
            s.add(SBatchNorm(d))
            s.add(ReLU(True))
            cat.add(s)
        return cat

    def resnext_bottleneck_B(n, stride):
        nonlocal iChannels
        nInputPlane = iChannels
        iChannels = n * 4

        D = math.floor(n * (opt['baseWidth'] / 64))
        C = opt['cardinality']

        s = nn.Sequential()
        s.add(split(nInputPlane, D, C, stride))
        s.add(nn.JoinTable(1))
        s.add(Convolution(D * C, n * 4, 1, 1, 1, 1, 0, 0))
        s.add(SBatchNorm(n * 4))

        return nn.Sequential() \
            .add(nn.ConcatTable()
                 .add(s)
                 .add(shortcut(nInputPlane, n * 4, stride))) \
            .add(nn.CAddTable(True)) \
            .add(ReLU(True))

    # The aggregated residual transformation bottleneck layer, Form (C)
    def resnext_bottleneck_C(n, stride):
        nonlocal iChannels
        nInputPlane = iChannels
        iChannels = n * 4

        D = math.floor(n * (opt['baseWidth'] / 64))
        C = opt['cardinality']

        s = nn.Sequential()
        s.add(Convolution(nInputPlane, D * C, 1, 1, 1, 1, 0, 0))
        s.add(SBatchNorm(D * C))
        s.add(ReLU(True))
        s.add(Convolution(D * C, D * C, 3, 3, stride, stride, 1, 1, C))
        s.add(SBatchNorm(D * C))
        s.add(ReLU(True))
        s.add(Convolution(D * C, n * 4, 1, 1, 1, 1, 0, 0))
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
        for i in range(count):
            s.add(block(features, stride if i == 0 and stride is not None else 1))
        return s

    model = nn.Sequential()
    if opt['bottleneckType'] == 'resnet':
        bottleneck = resnet_bottleneck
        print('Deploying ResNet bottleneck block')
    elif opt['bottleneckType'] == 'resnext_B':
        bottleneck = resnext_bottleneck_B
        print('Deploying ResNeXt bottleneck block form B')
    elif opt['bottleneckType'] == 'resnext_C':
        bottleneck = resnext_bottleneck_C
        print('Deploying ResNeXt bottleneck block form C (group convolution)')
    else:
        raise ValueError('invalid bottleneck type: ' + opt['bottleneckType'])

    if opt['dataset'] == 'imagenet':
        # Configurations for ResNet:
        #  num. residual blocks, num features, residual block function
        cfg = {
            50: [[3, 4, 6, 3], 2048, bottleneck],
            101: [[3, 4, 23, 3], 2048, bottleneck],
            152: [[3, 8, 36, 3], 2048, bottleneck],
        }

        assert cfg.get(depth) is not None, 'Invalid depth: ' + str(depth)
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

    elif opt['dataset'] == 'cifar10' or opt['dataset'] == 'cifar100':
        # Model type specifies number of layers for CIFAR-10 and CIFAR-100 model
        assert (depth - 2) % 9 == 0, 'depth should be one of 29, 38, 47, 56, 101'
        n = (depth - 2) // 9

        iChannels = 64
        print(' | ResNet-' + str(depth) + ' ' + opt['dataset'])

        model.add(Convolution(3, 64, 3, 3, 1, 1, 1, 1))
        model.add(SBatchNorm(64))
        model.add(ReLU(True))
        model.add(layer(bottleneck, 64, n, 1))
        model.add(layer(bottleneck, 128, n, 2))
        model.add(layer(bottleneck, 256, n, 2))
        model.add(Avg(8, 8, 1, 1))
        model.add(nn.View(1024).setNumInputDims(3))
        nCategories = 10 if opt['dataset'] == 'cifar10' else 100
        model.add(nn.Linear(1024, nCategories))
    else:
        raise ValueError('invalid dataset: ' + opt['dataset'])

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
        def setMode(m):
            if hasattr(m, 'setMode'):
                m.setMode(1, 1, 1)
        model.apply(setMode)

    model.get(0).gradInput = None

    return model


# --- models/init.lua --------------------------------------------------------------------------------------------

class models:
    @staticmethod
    def setup(opt, checkpoint):
        if checkpoint is not None:
            modelPath = paths.concat(opt['resume'], checkpoint['modelFile'])
            assert paths.filep(modelPath), 'Saved model not found: ' + modelPath
            print('=> Resuming model from ' + modelPath)
            model = lg.load(modelPath).type(opt['tensorType'])
        elif opt['retrain'] != 'none':
            assert paths.filep(opt['retrain']), 'File not found: ' + opt['retrain']
            print('Loading model from file: ' + opt['retrain'])
            model = lg.load(opt['retrain']).type(opt['tensorType'])
            setattr(model, '__memoryOptimized', None)   # Python mangles `model.__x` in a class body
        else:
            print('=> Creating model from file: models/' + opt['netType'] + '.lua')
            model = {'resnext': createModel}[opt['netType']](opt)   # require('models/' .. opt.netType)(opt)

        # First remove any DataParallelTable
        if lg.type(model) == 'nn.DataParallelTable':
            model = model.get(0)

        # optnet is an general library for reducing memory usage in neural networks
        if opt['optnet']:
            from legonn import optnet
            imsize = 224 if opt['dataset'] == 'imagenet' else 32
            sampleInput = lg.zeros(4, 3, imsize, imsize).type(opt['tensorType'])
            optnet.optimizeMemory(model, sampleInput, {'inplace': False, 'mode': 'training'})

        # This is useful for fitting ResNet/ResNeXt-50 on 4 GPUs, but requires that all
        # containers override backwards to call backwards recursively on submodules
        if opt['shareGradInput']:
            models.shareGradInput(model, opt)

        # For resetting the classifier when fine-tuning on a different Dataset
        if opt['resetClassifier'] and checkpoint is None:
            print(' => Replacing classifier with ' + str(opt['nClasses']) + '-way classifier')

            orig = model.get(len(model.modules) - 1)
            assert lg.type(orig) == 'nn.Linear', 'expected last layer to be fully connected'

            linear = nn.Linear(orig.weight.size(1), opt['nClasses'])
            linear.bias.zero()

            model.remove(len(model.modules) - 1)
            model.add(linear.type(opt['tensorType']))

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

            model = dpt.type(opt['tensorType'])

        criterion = nn.CrossEntropyCriterion().type(opt['tensorType'])
        return model, criterion

    @staticmethod
    def shareGradInput(model, opt=None):
        print('shareGradInput function')

        def sharingKey(m):
            key = lg.type(m)
            if getattr(m, '__shareGradInputKey', None) is not None:   # `m.__x` would be mangled here
                key = key + ':' + getattr(m, '__shareGradInputKey')
            return key

        # Share gradInput for memory efficient backprop
        cache = {}

        def share(m):
            moduleType = lg.type(m)
            if lg.isTensor(m.gradInput) and moduleType != 'nn.ConcatTable' and moduleType != 'nn.JoinTable':
                key = sharingKey(m)
                if cache.get(key) is None:
                    cache[key] = lg.CudaStorage(1)
                m.gradInput = lg.CudaTensor(cache[key], 0, 0)
        model.apply(share)
        for i, m in enumerate(model.findModules('nn.ConcatTable')[0]):
            if cache.get((i + 1) % 3) is None:
                cache[(i + 1) % 3] = lg.CudaStorage(1)
            m.gradInput = lg.CudaTensor(cache[(i + 1) % 3], 0, 0)


# --- train.lua --------------------------------------------------------------------------------------------------

def getCudaTensorType(tensorType):
    if tensorType == 'torch.CudaHalfTensor':
        return cutorch.createCudaHostHalfTensor()
    elif tensorType == 'torch.CudaDoubleTensor':
        return cutorch.createCudaHostDoubleTensor()
    else:
        return cutorch.createCudaHostTensor()


class Trainer:
    typename = 'resnet.Trainer'

    def __init__(self, model, criterion, opt, optimState=None):
        self.model = model
        self.criterion = criterion
        self.optimState = optimState or {
            'learningRate': opt['LR'],
            'learningRateDecay': 0.0,
            'momentum': opt['momentum'],
            'nesterov': True,
            'dampening': 0.0,
            'weightDecay': opt['weightDecay'],
        }
        self.opt = opt
        self.params, self.gradParams = model.getParameters()
        self.input = None
        self.target = None

    def train(self, epoch, dataloader):
        # Trains the model for a single epoch
        self.optimState['learningRate'] = self.learningRate(epoch)

        timer = lg.Timer()
        dataTimer = lg.Timer()

        def feval(x):
            return self.criterion.output, self.gradParams

        trainSize = dataloader.size()
        top1Sum, top5Sum, lossSum = 0.0, 0.0, 0.0
        N = 0

        print('=> Training epoch # ' + str(epoch))
        # set the batch norm to training mode
        self.model.training()
        for n, sample in dataloader.run():
            dataTime = dataTimer.time()['real']

            # Copy input and target to the GPU
            self.copyInputs(sample)

            output = self.model.forward(self.input).float()
            batchSize = output.size(0)
            loss = self.criterion.forward(self.model.output, self.target)

            self.model.zeroGradParameters()
            self.criterion.backward(self.model.output, self.target)
            self.model.backward(self.input, self.criterion.gradInput)

            optim.sgd(feval, self.params, self.optimState)

            top1, top5 = self.computeScore(output, sample['target'], 1)
            top1Sum = top1Sum + top1 * batchSize
            top5Sum = top5Sum + top5 * batchSize
            lossSum = lossSum + loss * batchSize
            N = N + batchSize

            print(' | Epoch: [%d][%d/%d]    Time %.3f  Data %.3f  Err %1.4f  top1 %7.3f  top5 %7.3f' % (
                epoch, n, trainSize, timer.time()['real'], dataTime, loss, top1, top5))

            # check that the storage didn't get changed due to an unfortunate getParameters call
            assert self.params.storage() is self.model.parameters()[0][0].storage()

            timer.reset()
            dataTimer.reset()

        return top1Sum / N, top5Sum / N, lossSum / N

    def test(self, epoch, dataloader):
        # Computes the top-1 and top-5 err on the validation set

        timer = lg.Timer()
        dataTimer = lg.Timer()
        size = dataloader.size()

        nCrops = 10 if self.opt['tenCrop'] else 1
        top1Sum, top5Sum = 0.0, 0.0
        N = 0

        self.model.evaluate()
        for n, sample in dataloader.run():
            dataTime = dataTimer.time()['real']

            # Copy input and target to the GPU
            self.copyInputs(sample)

            output = self.model.forward(self.input).float()
            batchSize = output.size(0) / nCrops
            loss = self.criterion.forward(self.model.output, self.target)

            top1, top5 = self.computeScore(output, sample['target'], nCrops)
            top1Sum = top1Sum + top1 * batchSize
            top5Sum = top5Sum + top5 * batchSize
            N = N + batchSize

            print(' | Test: [%d][%d/%d]    Time %.3f  Data %.3f  top1 %7.3f (%7.3f)  top5 %7.3f (%7.3f)' % (
                epoch, n, size, timer.time()['real'], dataTime, top1, top1Sum / N, top5, top5Sum / N))

            timer.reset()
            dataTimer.reset()
        self.model.training()

        print(' * Finished epoch # %d     top1: %7.3f  top5: %7.3f\n' % (epoch, top1Sum / N, top5Sum / N))

        return top1Sum / N, top5Sum / N

    def computeScore(self, output, target, nCrops):
        if nCrops > 1:
            # Sum over crops
            output = output.view(output.size(0) / nCrops, nCrops, output.size(1)) \
                .sum(1).squeeze(1)

        # Coputes the top1 and top5 error rate
        batchSize = output.size(0)

        _, predictions = output.float().topk(5, 1, True, True)   # descending

        # Find which predictions match the target
        correct = predictions.eq(
            target.long().view(batchSize, 1).expandAs(predictions))

        # Top-1 score
        top1 = 1.0 - (correct.narrow(1, 0, 1).sum() / batchSize)

        # Top-5 score, if there are at least 5 classes
        len_ = min(5, correct.size(1))
        top5 = 1.0 - (correct.narrow(1, 0, len_).sum() / batchSize)

        return top1 * 100, top5 * 100

    def copyInputs(self, sample):
        # Copies the input to a CUDA tensor, if using 1 GPU, or to pinned memory,
        # if using DataParallelTable. The target is always copied to a CUDA tensor
        self.input = self.input if self.input is not None else (
            getattr(lg, re.search(r'torch.([A-Za-z]+)', self.opt['tensorType']).group(1))()
            if self.opt['nGPU'] == 1 else getCudaTensorType(self.opt['tensorType']))
        self.target = self.target if self.target is not None else lg.CudaLongTensor()
        self.input.resize(sample['input'].size()).copy(sample['input'])
        self.target.resize(sample['target'].size()).copy(sample['target'])

    def learningRate(self, epoch):
        # Training schedule
        decay = 0
        if self.opt['dataset'] == 'imagenet':
            decay = math.floor((epoch - 1) / 30)
        elif self.opt['dataset'] == 'cifar10' or self.opt['dataset'] == 'cifar100':
            decay = 2 if (epoch / self.opt['nEpochs']) > 0.74 else 1 if (epoch / self.opt['nEpochs']) > 0.49 else 0
        return self.opt['LR'] * math.pow(0.1, decay)


# --- checkpoints.lua --------------------------------------------------------------------------------------------

class checkpoint:
    @staticmethod
    def deepCopy(tbl):
        # creates a copy of a network with new modules and the same tensors
        copy = [] if isinstance(tbl, list) else {}
        for k, v in (enumerate(tbl) if isinstance(tbl, list) else (vars(tbl) if lg.typename(tbl) else tbl).items()):
            if isinstance(v, (list, dict, nn.Module)):
                v = checkpoint.deepCopy(v)
            if isinstance(copy, list):
                copy.append(v)
            else:
                copy[k] = v
        if lg.typename(tbl):
            copy = lg.setmetatable(copy, lg.typename(tbl))
        return copy

    @staticmethod
    def latest(opt):
        if opt['resume'] == 'none':
            return None, None

        latestPath = paths.concat(opt['resume'], 'latest.t7')
        if not paths.filep(latestPath):
            return None, None

        print('=> Loading checkpoint ' + latestPath)
        latest = lg.load(latestPath)
        optimState = lg.load(paths.concat(opt['resume'], latest['optimFile']))

        return latest, optimState

    @staticmethod
    def save(epoch, model, optimState, isBestModel, opt):
        # don't save the DataParallelTable for easier loading on other machines
        if lg.type(model) == 'nn.DataParallelTable':
            model = model.get(0)

        # create a clean copy on the CPU without modifying the original network
        model = checkpoint.deepCopy(model).float().clearState()

        modelFile = 'model_' + str(epoch) + '.t7'
        optimFile = 'optimState_' + str(epoch) + '.t7'

        lg.save(paths.concat(opt['save'], modelFile), model)
        lg.save(paths.concat(opt['save'], optimFile), optimState)
        lg.save(paths.concat(opt['save'], 'latest.t7'), {
            'epoch': epoch,
            'modelFile': modelFile,
            'optimFile': optimFile,
        })

        if isBestModel:
            lg.save(paths.concat(opt['save'], 'model_best.t7'), model)


# --- main.lua ---------------------------------------------------------------------------------------------------

def main(opt, trainLoader, valLoader, target=None):
    """main.lua after opts.parse and DataLoader.create (the loaders are passed in); ``target`` stands in for the
    CudaLongTensor a CPU run lacks. Returns the trainer and the per-epoch results."""
    lg.manualSeed(opt['manualSeed'])

    # Load previous checkpoint, if it exists
    checkpoint_, optimState = checkpoint.latest(opt)

    # Create model
    model, criterion = models.setup(opt, checkpoint_)

    # The trainer handles the training loop and evaluation on validation set
    trainer = Trainer(model, criterion, opt, optimState)
    trainer.target = target

    if opt['testOnly']:
        top1Err, top5Err = trainer.test(0, valLoader)
        print(' * Results top1: %6.3f  top5: %6.3f' % (top1Err, top5Err))
        return trainer, [(top1Err, top5Err)]

    startEpoch = checkpoint_['epoch'] + 1 if checkpoint_ is not None else opt['epochNumber']
    bestTop1 = math.inf
    bestTop5 = math.inf
    results = []
    for epoch in range(startEpoch, opt['nEpochs'] + 1):
        # Train for a single epoch
        trainTop1, trainTop5, trainLoss = trainer.train(epoch, trainLoader)

        # Run model on validation set
        testTop1, testTop5 = trainer.test(epoch, valLoader)

        bestModel = False
        if testTop1 < bestTop1:
            bestModel = True
            bestTop1 = testTop1
            bestTop5 = testTop5
            print(' * Best model ', testTop1, testTop5)

        checkpoint.save(epoch, model, trainer.optimState, bestModel, opt)
        results.append((trainLoss, testTop1, testTop5))

    print(' * Finished top1: %6.3f  top5: %6.3f' % (bestTop1, bestTop5))
    return trainer, results


# --- the stand-in data and the checks ---------------------------------------------------------------------------

class DataLoader:
    """What dataloader.lua's DataLoader gives the Trainer: ``size()`` batches, and ``run()`` an iterator of
    ``n, sample`` with ``sample.input`` (B x 3 x 32 x 32) and ``sample.target`` (B, 0-based classes). With
    ``nCrops`` each image comes ``nCrops`` times in a row, as the ten-crop transform hands them."""

    def __init__(self, inputs, targets, batchSize, nCrops=1):
        self.inputs, self.targets, self.batchSize, self.nCrops = inputs, targets, batchSize, nCrops

    def size(self):
        return math.ceil(self.inputs.size(0) / self.batchSize)

    def run(self):
        for n in range(self.size()):
            batch = self.inputs.narrow(0, n * self.batchSize, min(self.batchSize,
                                                                  self.inputs.size(0) - n * self.batchSize))
            crops = batch.view(batch.size(0), 1, 3, 32, 32).expand(batch.size(0), self.nCrops, 3, 32, 32) \
                .contiguous().view(-1, 3, 32, 32)
            yield n + 1, {'input': crops, 'target': self.targets.narrow(0, n * self.batchSize, batch.size(0))}


def mnist_as_cifar(n, offset=0):
    """``n`` digits of the shipped slice, padded to 32 x 32 and repeated on 3 channels, in [0, 1]."""
    data = np.load(DATA)
    x = np.zeros((n, 3, 32, 32), np.float32)
    x[:, :, 2:30, 2:30] = data['x'][offset:offset + n, None] / 255.0
    return lg.FloatTensor(x), lg.LongTensor(data['y'][offset:offset + n].astype(np.int64))


def cifar_opt(tmp_path, *args):
    opt = parse(['-dataset', 'cifar10', '-depth', '11', '-cardinality', '2', '-baseWidth', '4',
                 '-save', str(tmp_path / 'checkpoints'), '-manualSeed', '3', '-cudnn', 'deterministic', *args])
    opt['tensorType'] = 'torch.FloatTensor'    # opts.lua sets a CUDA type only: the CPU stand-in
    return opt


def block_paths(model):
    """The residual branch of every bottleneck of a CIFAR model, in order."""
    return [model.get(stage).get(b).get(0).get(0) for stage in (3, 4, 5) for b in range(len(model.get(stage).modules))]


def copy_form_b_into_form_c(b, c):
    """Give each form C block's first and grouped convolutions (and their batch norms) the weights of the form B
    block's paths, path i at output channels i*D ... (i+1)*D - 1, and every other parameter module for module:
    the two networks are then the same function (the paper's equivalence of forms B and C)."""
    for sb, sc in zip(block_paths(b), block_paths(c)):
        split = sb.get(0)
        D = split.get(0).get(3).nOutputPlane
        for i in range(len(split.modules)):
            path = split.get(i)
            sc.get(0).weight.narrow(0, i * D, D).copy(path.get(0).weight)
            sc.get(3).weight.narrow(0, i * D, D).copy(path.get(3).weight)
            for bn_b, bn_c in ((path.get(1), sc.get(1)), (path.get(4), sc.get(4))):
                bn_c.weight.narrow(0, i * D, D).copy(bn_b.weight)
                bn_c.bias.narrow(0, i * D, D).copy(bn_b.bias)
        for pb, pc in zip(sb.get(2).parameters()[0] + sb.get(3).parameters()[0],
                          sc.get(6).parameters()[0] + sc.get(7).parameters()[0]):
            pc.copy(pb)
    others = [(b.get(0), c.get(0)), (b.get(1), c.get(1)), (b.get(len(b.modules) - 1), c.get(len(c.modules) - 1))]
    others += [(b.get(st).get(k).get(0).get(1), c.get(st).get(k).get(0).get(1))       # the shortcuts
               for st in (3, 4, 5) for k in range(len(b.get(st).modules))]
    for mb, mc in others:
        for pb, pc in zip(mb.parameters()[0] or [], mc.parameters()[0] or []):
            pc.copy(pb)


def test_forms_b_and_c_of_the_aggregated_block_compute_the_same_network(tmp_path):
    """resnext_bottleneck_B (a ConcatTable of cardinality paths, JoinTable(2)) and resnext_bottleneck_C (one
    convolution with ``groups = cardinality``) are the same function once form C's grouped weights hold form B's
    paths: outputs, input gradients and the mapped weight gradients agree to rounding in double. Both are built by
    createModel for CIFAR (depth 11, cardinality 2, base width 4: D = floor(n * 4/64))."""
    lg.manualSeed(0)
    b = createModel(dict(cifar_opt(tmp_path), bottleneckType='resnext_B', tensorType='torch.DoubleTensor'))
    c = createModel(dict(cifar_opt(tmp_path), bottleneckType='resnext_C', tensorType='torch.DoubleTensor'))
    grouped = [m for m in c.findModules('cudnn.SpatialConvolution')[0] if m.kW == 3 and m.groups > 1]
    assert [(m.groups, m.nInputPlane, m.weight.size(1)) for m in grouped] == [(2, 8, 4), (2, 16, 8), (2, 32, 16)]
    assert all(m.bias is None for m in c.findModules('cudnn.SpatialConvolution')[0])      # cudnn.version >= 4000
    assert b.getParameters()[0].nElement() == c.getParameters()[0].nElement()
    copy_form_b_into_form_c(b, c)
    x = mnist_as_cifar(2)[0].double()
    out_b, out_c = b.forward(x), c.forward(x)
    assert out_b.size() == (2, 10)
    np.testing.assert_allclose(out_c.numpy(), out_b.numpy(), rtol=1e-9, atol=1e-12)
    g = lg.randn(2, 10).double()
    b.zeroGradParameters()
    c.zeroGradParameters()
    b.backward(x, g)
    c.backward(x, g)
    assert b.gradInput is None and c.gradInput is None          # model:get(1).gradInput = nil
    for sb, sc in zip(block_paths(b), block_paths(c)):
        D = sb.get(0).get(0).get(3).nOutputPlane
        for i in range(2):
            np.testing.assert_allclose(sc.get(3).gradWeight.narrow(0, i * D, D).numpy(),
                                       sb.get(0).get(i).get(3).gradWeight.numpy(), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(c.get(0).gradWeight.numpy(), b.get(0).gradWeight.numpy(), rtol=1e-7, atol=1e-10)



def test_shortcut_types_a_and_c(tmp_path):
    """Type A: a stride-2 1x1 average pooling, then Concat(2) of the input and its zeroing MulConstant(0): the
    subsampled input with as many zero planes appended. Type C: a 1x1 convolution and batch norm on every block,
    also where the plane counts agree (B uses the identity there)."""
    lg.manualSeed(1)
    a = createModel(dict(cifar_opt(tmp_path, '-depth', '20', '-shortcutType', 'A'), bottleneckType='resnet'))
    short = a.get(4).get(0).get(0).get(1)                # stage 2's first block: 256 -> 512 planes, stride 2
    assert lg.type(short) == 'nn.Sequential' and lg.type(short.get(1)) == 'nn.Concat'
    x = lg.randn(2, 256, 6, 6).double()
    y = short.forward(x).numpy()
    assert y.shape == (2, 512, 3, 3)
    np.testing.assert_array_equal(y[:, :256], x.numpy()[:, :, ::2, ::2])
    assert not y[:, 256:].any()
    assert lg.type(a.get(3).get(1).get(0).get(1)) == 'nn.Identity'     # same planes: identity
    c = createModel(dict(cifar_opt(tmp_path, '-depth', '20', '-shortcutType', 'C'), bottleneckType='resnet'))
    shortcuts = [c.get(s).get(k).get(0).get(1) for s in (3, 4, 5) for k in range(2)]
    assert [lg.type(m.get(0)) for m in shortcuts] == ['cudnn.SpatialConvolution'] * 6
    assert [m.get(0).dW for m in shortcuts] == [1, 1, 2, 1, 2, 1]


def test_compute_score_and_the_learning_rate_schedule():
    """Trainer:computeScore's top-1/top-5 error against NumPy's arg-sort, with ten crops summed per image;
    Trainer:learningRate's CIFAR steps at 50% and 75% of nEpochs and ImageNet's every 30 epochs."""
    rng = np.random.RandomState(0)
    scores = rng.randn(6 * 10, 7).astype(np.float32)
    target = rng.randint(0, 7, size=6)
    trainer = Trainer.__new__(Trainer)
    top1, top5 = trainer.computeScore(lg.FloatTensor(scores), lg.LongTensor(target), 10)
    summed = scores.reshape(6, 10, 7).sum(1)
    ranks = np.argsort(-summed, axis=1)
    assert top1 == pytest.approx(100 * (1 - np.mean(ranks[:, 0] == target)))
    assert top5 == pytest.approx(100 * (1 - np.mean((ranks[:, :5] == target[:, None]).any(1))))
    with pytest.raises(ValueError, match='topk: k=5 out of range'):     # as THTensor_(topk)'s argument check:
        trainer.computeScore(lg.FloatTensor(scores[:4, :3]), lg.LongTensor([0, 1, 2, 0]), 1)   # no top-5 of 3
    trainer.opt = {'dataset': 'cifar10', 'nEpochs': 300, 'LR': 0.1}
    assert [trainer.learningRate(e) for e in (1, 147, 148, 222, 223)] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001])
    trainer.opt = {'dataset': 'imagenet', 'LR': 0.1}
    assert [trainer.learningRate(e) for e in (30, 31, 61)] == pytest.approx([0.1, 0.01, 0.001])


def test_deep_copy_makes_new_modules_on_the_same_tensors():
    """checkpoints.lua's deepCopy: every module (and module list) is new, every tensor the original's;
    ``torch.setmetatable`` gives the copy its class back."""
    model = nn.Sequential().add(cudnn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1, 1)) \
        .add(nn.SpatialBatchNormalization(4)).add(nn.ReLU(True))
    model.forward(lg.randn(2, 3, 5, 5))
    copy = checkpoint.deepCopy(model)
    assert lg.type(copy) == 'nn.Sequential' and copy is not model and copy.modules is not model.modules
    for m, c in zip(model.modules, copy.modules):
        assert lg.type(c) == lg.type(m) and c is not m
        assert all(vars(c)[k] is v for k, v in vars(m).items() if lg.isTensor(v))
    assert copy.get(1).running_mean is model.get(1).running_mean and copy.output is model.output
    np.testing.assert_array_equal(copy.forward(lg.randn(2, 3, 5, 5)).size(), (2, 4, 5, 5))


def test_main_trains_checkpoints_and_resumes(tmp_path, capsys):
    """main.lua on the CPU: three epochs of the depth-11 ResNeXt (form C) on 8 digits lower the training loss;
    each epoch leaves checkpoints.lua's files; a second run with ``-resume`` starts from epoch 4 with the saved
    weights (the float copy, type-converted back by models/init.lua) and optimState, and ``-testOnly`` on them
    gives the saved model's error."""
    x, y = mnist_as_cifar(8)
    opt = cifar_opt(tmp_path, '-nEpochs', '2', '-LR', '0.02', '-batchSize', '8')
    trainer, results = main(opt, DataLoader(x[:4], y[:4], 4), DataLoader(x[:4], y[:4], 4), target=lg.LongTensor())
    losses = [r[0] for r in results]
    assert losses[1] < losses[0], losses
    save = opt['save']
    assert sorted(paths.dir(save))[2:] == ['latest.t7', 'model_1.t7', 'model_2.t7', 'model_best.t7',
                                           'optimState_1.t7', 'optimState_2.t7']
    saved = lg.load(paths.concat(save, 'model_2.t7'))
    assert saved.get(0).output.nElement() == 0 and saved.get(1).running_var.nElement() == 64
    np.testing.assert_array_equal(saved.get(0).weight.numpy(), trainer.model.get(0).weight.numpy())

    opt2 = cifar_opt(tmp_path, '-nEpochs', '3', '-LR', '0.02', '-resume', save)
    latest, optimState = checkpoint.latest(opt2)
    assert latest['epoch'] == 2 and optimState['dfdx'].nElement() == trainer.params.nElement()
    resumed, results2 = main(opt2, DataLoader(x[:4], y[:4], 4), DataLoader(x[:4], y[:4], 4), target=lg.LongTensor())
    assert len(results2) == 1 and 'Training epoch # 3' in capsys.readouterr().out
    assert resumed.optimState['evalCounter'] == 3

    opt3 = cifar_opt(tmp_path, '-testOnly', 'true', '-resume', save)
    tested, (errs,) = main(opt3, None, DataLoader(x[4:], y[4:], 4), target=lg.LongTensor())
    tested.model.evaluate()
    out = tested.model.forward(x[4:])
    expect = 100 * (1 - np.mean(out.numpy().argmax(1) == y[4:].numpy()))
    assert errs[0] == pytest.approx(expect)

    # -tenCrop: Trainer:test scores the 10 crops of an image summed, but first hands the criterion 10 rows per
    # label, which THNN refuses (facebookarchive/fb.resnet.torch pull request 178: 'mismatch between the batch
    # size of input (120) and that of target (12)'); so does legonn
    opt4 = cifar_opt(tmp_path, '-testOnly', 'true', '-tenCrop', 'true', '-resume', save)
    with pytest.raises(ValueError, match='expected 10 labels'):
        main(opt4, None, DataLoader(x[:1], y[:1], 1, nCrops=10), target=lg.LongTensor())


def test_imagenet_resnext50_32x4d(tmp_path):
    """The ImageNet model of depth 50, cardinality 32, base width 4 has ResNeXt-50 (32x4d)'s 25,028,904 parameters
    (no convolution bias), with opts.lua's ImageNet defaults."""
    (tmp_path / 'data' / 'train').mkdir(parents=True)
    opt = parse(['-data', str(tmp_path / 'data'), '-depth', '50', '-cardinality', '32', '-baseWidth', '4',
                 '-save', str(tmp_path / 'checkpoints')])
    assert opt['shortcutType'] == 'B' and opt['nEpochs'] == 100 and opt['tensorType'] == 'torch.CudaTensor'
    opt['tensorType'] = 'torch.FloatTensor'
    model, criterion = models.setup(opt, None)
    assert model.getParameters()[0].nElement() == 25028904
    assert lg.type(criterion) == 'nn.CrossEntropyCriterion' and cudnn.benchmark
    grouped = [m for m in model.findModules('cudnn.SpatialConvolution')[0] if m.groups > 1]
    assert len(grouped) == 16 and {m.groups for m in grouped} == {32}


def test_retrain_with_a_reset_classifier(tmp_path):
    """models/init.lua's ``-retrain`` with ``-resetClassifier`` swaps the loaded model's last Linear for a
    zero-bias ``nClasses``-way one."""
    opt = cifar_opt(tmp_path)
    model, _ = models.setup(opt, None)
    lg.save(str(tmp_path / 'model.t7'), model)
    opt = cifar_opt(tmp_path, '-retrain', str(tmp_path / 'model.t7'), '-resetClassifier', 'true', '-nClasses', '5')
    retrained, _ = models.setup(opt, None)
    last = retrained.get(len(retrained.modules) - 1)
    assert last.weight.size() == (5, 1024) and not last.bias.numpy().any()
    assert retrained.getParameters()[0].nElement() == model.getParameters()[0].nElement() - 5 * 1025
    np.testing.assert_array_equal(retrained.get(0).weight.numpy(), model.get(0).weight.numpy())
    assert vars(retrained)['__memoryOptimized'] is None        # the Lua's field name, not Python's mangled one


def test_optnet_shares_buffers_and_keeps_the_numbers(tmp_path):
    """models/init.lua's ``-optnet``: optnet.optimizeMemory in training mode on a 4 x 3 x 32 x 32 sample leaves
    the training forward and backward of the aggregated network as they were, in less memory for that batch size.
    The memory is the storages the net holds, each once (``lg.memoryUsage``): optnet's ``countUsedMemory`` counts
    a storage once in each of its fields (outputs, gradInputs, buffers), so a storage that an output, a gradInput
    and a convolution's scratch take turns on counts three times there, and the sum can grow as memory shrinks."""
    x, y = mnist_as_cifar(4)
    results = []
    for flag in ('false', 'true'):
        lg.manualSeed(4)
        model, criterion = models.setup(cifar_opt(tmp_path, '-optnet', flag), None)
        model.training()
        out = model.forward(x).clone()
        criterion.forward(out, y)
        model.zeroGradParameters()
        model.backward(x, criterion.backward(out, y))
        results.append((out.numpy(), model.getParameters()[1].clone().numpy(), lg.memoryUsage(model)['buffers']))
    assert results[1][2] < 0.7 * results[0][2]          # buffers share storage
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])


@pytest.mark.gpu
def test_cuda_trainer_with_shared_grad_inputs(tmp_path):
    """The CUDA path as the repository runs it (opts.lua's torch.CudaTensor, copyInputs' CudaLongTensor target):
    with ``-shareGradInput`` (every module type's gradInput on one CudaStorage, the ConcatTables on three) one SGD
    step gives the parameters a step without sharing gives; ``-precision half`` trains in CudaHalfTensors."""
    x, y = mnist_as_cifar(2)
    steps = []
    for share in ('false', 'true'):
        opt = cifar_opt(tmp_path, '-nEpochs', '1', '-shareGradInput', share)
        opt['tensorType'] = 'torch.CudaTensor'
        lg.manualSeed(5)
        model, criterion = models.setup(opt, None)
        trainer = Trainer(model, criterion, opt)
        trainer.train(1, DataLoader(x, y, 2))
        assert trainer.target.type() == 'legonn.CudaLongTensor' and trainer.params.type() == 'legonn.CudaTensor'
        steps.append(trainer.params.double().numpy())
    shared = model.findModules('nn.SpatialBatchNormalization')[0]     # (an in-place ReLU takes gradOutput's)
    assert all(m.gradInput.storage() is shared[0].gradInput.storage() for m in shared)
    assert shared[0].gradInput.storage().size() == 2 * 256 * 32 * 32     # grown in place to the largest
    np.testing.assert_allclose(steps[1], steps[0], rtol=1e-5, atol=1e-6)

    # -precision half: the model, its input buffer and the flat parameters are CudaHalfTensors, and a step trains
    opt = cifar_opt(tmp_path, '-precision', 'half')
    opt['tensorType'] = 'torch.CudaHalfTensor'
    model, criterion = models.setup(opt, None)
    trainer = Trainer(model, criterion, opt)
    top1, top5, loss = trainer.train(1, DataLoader(x, y, 2))
    assert trainer.input.type() == trainer.params.type() == 'legonn.CudaHalfTensor' and math.isfinite(loss)
