"""eladhoffer/ImageNet-Training's training program ported line by line: Main.lua (all of it but the gnuplot window:
the CmdLine options, the model file's table of ``model``, ``loss``, ``regime``, ``inputSize``, ``rescaleImgSize``,
the lower-footprint ``savedModel`` clone, the two-buffer asynchronous LMDB loop with its GPU_Batch container,
normalisation, ConfusionMatrix, per-epoch checkpoints and optimState, the Logger), Config.lua, Data.lua
(ExtractFromLMDBTrain/Test with the augmentations of levels 1 to 3, Keys, EstimateMeanStd) and CreateLMDBs.lua's
PreProcess/LMDBFromFilenames; with the two libraries Main.lua requires: eladhoffer/eladtools' Optimizer.lua (all of
it: ``dok.unpack`` of its options, ``optimize`` with L1, clipping, renorm and rescale of the gradients, and
``updateRegime``, which applies the model file's regime table) and the parts of eladhoffer/DataProvider.torch that
Main.lua calls (Container.lua: the constructor, ``size``, ``reset``, ``shuffleItems``, ``getItems``,
``createBatch``, ``getNextBatch``, ``normalize``; LMDBProvider.lua: ``size``, ``cacheSeq``, ``cacheRand``,
``threads``, ``asyncCacheSeq``, ``synchronize``).

Stand-ins: the LMDB environment is an in-memory table of the records CreateLMDBs.lua writes (``{Data = JPEG bytes,
Name = wnid_n}`` under ``config.Key(i)``), since legonn has no lmdb binding; its images are MNIST digits (0 and 1)
made 3-channel as PreProcess makes grey images; ``ImageNetClasses`` (a Torch7 file) is a table of the two wnids with
0-based class numbers, as a file written for Torch7 is shifted when it is read; the network file is a small
convolutional net returned with a regime table, as Models/AlexNet.lua returns its own."""
import math
import random
import time

import numpy as np
import pytest

import legonn as lg
from legonn import dok, image, nn, optim, paths, threads, xlua

from .dataprovider.Container import Container
from .dataprovider.LMDBProvider import LMDBEnv, LMDBProvider
from .eladtools.Optimizer import Optimizer

# the port calls Threads.serialization('threads.sharedserialize'), process-wide as in Lua: the fixture puts the
# default back after each test
pytestmark = pytest.mark.usefixtures('sharedserialize', 'reproducible_workers')


# --- Config.lua, Data.lua, CreateLMDBs.lua -------------------------------------------------------------------------

WNIDS = ['n01440764', 'n01443537']      # the first two ImageNet synsets; MNIST's 0 and 1 stand for them


def Key(num):
    return '%07d' % num


def make_config(ImageNetClasses, ValidationLabels):
    # ``for i=1001,#ImageNetClasses.ClassName do ImageNetClasses.ClassName[i] = nil end``
    del ImageNetClasses['ClassName'][1000:]
    return {
        'ImageMinSide': 256,   # Minimum side length of saved images
        'ValidationLabels': ValidationLabels,
        'ImageNetClasses': ImageNetClasses,
        'Normalization': ['simple', 118.380948, 61.896913],   # Default normalization -global mean, std
        'Compressed': True,
        'Key': Key,
    }


def PreProcess(config, Img):
    im = image.scale(Img, '^' + str(config['ImageMinSide']))   # minimum side of ImageMinSide

    if im.dim() == 2:
        im = im.reshape(1, im.size(0), im.size(1))
    if im.size(0) == 1:
        im = lg.repeatTensor(im, 3, 1, 1)
    if im.size(0) > 3:
        im = im[0:3, :, :]
    return im


def LMDBFromFilenames(config, images, names, env):
    """CreateLMDBs.lua's: each image preprocessed, JPEG-compressed and put under ``config.Key(i)`` with its name;
    the images and names stand for the FileSearcher's files (graphicsmagick's loader is not ported)."""
    env.open()
    for i in range(len(images)):
        img = PreProcess(config, images[i])
        data = {'Data': image.compressJPG(img) if config['Compressed'] else img, 'Name': names[i]}
        env.records[config['Key'](i)] = data
    env.close()


def make_data(config):
    """Data.lua: the extract functions (the module's globals) and the two providers it returns."""

    def ExtractFromLMDBTrain(data, key=None):
        def reSample(sampledImg):
            sizeImg = sampledImg.size()
            szx = lg.random(1, math.ceil(sizeImg[2] / 4) + 1)      # torch.random(n): 1 .. n, a crop size
            szy = lg.random(1, math.ceil(sizeImg[1] / 4) + 1)
            startx = lg.random(szx)                                # torch.random(szx): a position, 0-based here
            starty = lg.random(szy)
            return image.scale(sampledImg.narrow(1, starty, sizeImg[1] - szy).narrow(2, startx, sizeImg[2] - szx),
                               sizeImg[2], sizeImg[1])

        def rotate(angleRange):
            def applyRot(Data):
                angle = lg.randn(1)[0] * angleRange
                rot = image.rotate(Data, math.radians(angle), 'bilinear')
                return rot
            return applyRot

        wnid = data['Name'].split('_')[0]
        cls = config['ImageNetClasses']['Wnid2ClassNum'][wnid]
        img = data['Data']
        if config['Compressed']:
            img = image.decompressJPG(img, 3, 'byte')

        if min(img.size(1), img.size(2)) != config['ImageMinSide']:
            img = image.scale(img, '^' + str(config['ImageMinSide']))

        if config.get('Augment') == 3:
            img = rotate(0.1)(img)
            img = reSample(img)
        elif config.get('Augment') == 2:
            img = reSample(img)
        startX = random.randint(1, img.size(2) - config['InputSize'][2] + 1) - 1
        startY = random.randint(1, img.size(1) - config['InputSize'][1] + 1) - 1

        img = img.narrow(2, startX, config['InputSize'][2]).narrow(1, startY, config['InputSize'][1])
        hflip = lg.random(1, 3) == 1
        if hflip:
            img = image.hflip(img)

        return img, cls

    def ExtractFromLMDBTest(data, key=None):
        wnid = data['Name'].split('_')[0]
        cls = config['ImageNetClasses']['Wnid2ClassNum'][wnid]
        img = data['Data']
        if config['Compressed']:
            img = image.decompressJPG(img, 3, 'byte')

        if min(img.size(1), img.size(2)) != config['ImageMinSide']:
            img = image.scale(img, '^' + str(config['ImageMinSide']))

        startX = math.ceil((img.size(2) - config['InputSize'][2] + 1) / 2) - 1
        startY = math.ceil((img.size(1) - config['InputSize'][1] + 1) / 2) - 1
        img = img.narrow(2, startX, config['InputSize'][2]).narrow(1, startY, config['InputSize'][1])
        return img, cls

    def Keys(tensor):
        tbl = []
        for i in range(tensor.size(0)):
            tbl.append(config['Key'](int(tensor[i])))
        return tbl

    def EstimateMeanStd(DB, typeVal=None, numEst=None):
        typeVal = typeVal or 'simple'
        numEst = numEst if numEst is not None else 10000
        x = lg.FloatTensor(numEst, *config['InputSize'])
        randKeys = Keys(lg.randperm(DB.size()).narrow(0, 0, numEst))
        DB.cacheRand(randKeys, x)
        dp = Container(Source=[x, None])
        return [typeVal, *dp.normalize(typeVal)]

    TrainDB = LMDBProvider(Source=config['TRAINING_ENV'], ExtractFunction=ExtractFromLMDBTrain)
    ValDB = LMDBProvider(Source=config['VALIDATION_ENV'], ExtractFunction=ExtractFromLMDBTest)
    return {
        'ImageNetClasses': config['ImageNetClasses'],
        'ValDB': ValDB,
        'TrainDB': TrainDB,
        'EstimateMeanStd': EstimateMeanStd,
        'ExtractFromLMDBTrain': ExtractFromLMDBTrain,
        'ExtractFromLMDBTest': ExtractFromLMDBTest,
    }


# --- a model file ---------------------------------------------------------------------------------------------------

def TinyNet():
    """Stands for a file of Models/: a small convolutional net for 3 x 24 x 24 crops and a regime table in
    AlexNet.lua's form."""
    model = nn.Sequential()
    model.add(nn.SpatialConvolution(3, 8, 5, 5, 2, 2, 2, 2))
    model.add(nn.ReLU(True))
    model.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    model.add(nn.SpatialBatchNormalization(8))
    model.add(nn.View(8 * 6 * 6))
    model.add(nn.Linear(8 * 6 * 6, 2))
    model.add(nn.LogSoftMax())
    return {
        'model': model,
        'regime': {
            'epoch':        [1,    2,    3],
            'learningRate': [5e-2, 2e-2, 1e-2],
            'weightDecay':  [5e-4, 0,    1e-4],
        },
        'inputSize': [3, 24, 24],
        'rescaleImgSize': 28,
    }


def TinyGraph():
    """Stands for a file like GoogLeNet_BN_Original.lua: a gModule of a main and an auxiliary head and the
    ParallelCriterion(true) that adds one ClassNLLCriterion twice, the auxiliary weighted 0.3."""
    input = nn.Identity()()
    trunk = nn.ReLU(True)(nn.SpatialConvolution(3, 8, 5, 5, 2, 2, 2, 2)(input))
    pooled = nn.View(8 * 6 * 6)(nn.SpatialMaxPooling(2, 2, 2, 2)(trunk))
    main = nn.LogSoftMax()(nn.Linear(8 * 6 * 6, 2)(pooled))
    aux = nn.LogSoftMax()(nn.Linear(8 * 6 * 6, 2)(nn.Dropout(0.5)(pooled)))
    model = nn.gModule([input], [main, aux])
    NLL = nn.ClassNLLCriterion()
    loss = nn.ParallelCriterion(True).add(NLL).add(NLL, 0.3)
    return {'model': model, 'loss': loss, 'inputSize': [3, 24, 24], 'rescaleImgSize': 28}


MODELS = {'./Models/TinyNet': TinyNet, './Models/TinyGraph': TinyGraph}    # require(opt.network)


# --- Main.lua --------------------------------------------------------------------------------------------------------

def main(arg, config, log):
    """Main.lua with ``arg`` its command line; ``config`` is Config.lua's table (with the stand-in LMDB envs),
    ``log`` collects what the test inspects (the regime's learning rates, the losses, the errors)."""
    cmd = lg.CmdLine()
    cmd.addTime()
    cmd.text()
    cmd.text('Training a network on ILSVRC ImageNet task')
    cmd.text()
    cmd.text('==>Options')

    cmd.text('===>Model And Training Regime')
    cmd.option('-modelsFolder', './Models/', 'Models Folder')
    cmd.option('-network', 'AlexNet', 'Model file - must return valid network.')
    cmd.option('-LR', 0.01, 'learning rate')
    cmd.option('-LRDecay', 0, 'learning rate decay (in # samples)')
    cmd.option('-weightDecay', 5e-4, 'L2 penalty on the weights')
    cmd.option('-momentum', 0.9, 'momentum')
    cmd.option('-batchSize', 128, 'batch size')
    cmd.option('-optimization', 'sgd', 'optimization method')
    cmd.option('-seed', 123, 'torch manual random number generator seed')
    cmd.option('-epoch', -1, 'number of epochs to train, -1 for unbounded')
    cmd.option('-testonly', False, 'Just test loaded net on validation set')

    cmd.text('===>Platform Optimization')
    cmd.option('-threads', 8, 'number of threads')
    cmd.option('-type', 'cuda', 'float or cuda')
    cmd.option('-bufferSize', 5120, 'buffer size')
    cmd.option('-devid', 1, 'device ID (if using CUDA)')
    cmd.option('-nGPU', 1, 'num of gpu devices used')
    cmd.option('-constBatchSize', False, 'do not allow varying batch sizes - e.g for ccn2 kernel')

    cmd.text('===>Save/Load Options')
    cmd.option('-load', '', 'load existing net weights')
    cmd.option('-save', time.strftime('%c').replace(' ', ''), 'save directory')
    cmd.option('-optState', False, 'Save optimization state every epoch')
    cmd.option('-checkpoint', 0, 'Save a weight check point every n samples. 0 for off')

    cmd.text('===>Data Options')
    cmd.option('-augment', 1, 'data augmentation level - {1 - simple mirror and crops, 2 +scales, 3 +rotations}')
    cmd.option('-estMeanStd', 'preDef', 'estimate mean and std. Options: {preDef, simple, channel, image}')
    cmd.option('-shuffle', True, 'shuffle training samples')

    opt = cmd.parse(arg or [])
    opt['network'] = opt['modelsFolder'] + paths.basename(opt['network'], '.lua')
    opt['save'] = paths.concat(config['RESULTS'], opt['save'])     # './Results' in the Lua
    lg.setnumthreads(opt['threads'])
    lg.manualSeed(opt['seed'])
    lg.setdefaulttensortype('torch.FloatTensor')

    if opt['type'] == 'cuda':
        from legonn import cutorch
        cutorch.setDevice(opt['devid'] - 1)
        cutorch.manualSeed(opt['seed'])

    # ----------------------------------------------------------------------
    # Model + Loss:
    model = MODELS[opt['network']]()
    loss = model.get('loss') or nn.ClassNLLCriterion()
    trainRegime = model.get('regime')
    normalization = model.get('normalization') or config['Normalization']

    config['InputSize'] = model.get('inputSize') or [3, 224, 224]
    config['ImageMinSide'] = model.get('rescaleImgSize') or config['ImageMinSide']
    config['Augment'] = opt['augment']

    model = model['model'] if isinstance(model, dict) else model   # case of table model

    if paths.filep(opt['load']):
        model = lg.load(opt['load'])
        print('==>Loaded Net from: ' + opt['load'])

    data = make_data(config)

    # classes
    classes = data['ImageNetClasses']['ClassName']

    # This matrix records the current confusion across classes
    confusion = optim.ConfusionMatrix(classes)

    AllowVarBatch = not opt['constBatchSize']

    # Output files configuration
    paths.mkdir(config['RESULTS'])
    paths.mkdir(opt['save'])

    cmd.log(opt['save'] + '/Log.txt', opt)
    netFilename = paths.concat(opt['save'], 'Net')
    logFilename = paths.concat(opt['save'], 'ErrorRate.log')
    optStateFilename = paths.concat(opt['save'], 'optState')
    Log = optim.Logger(logFilename)

    TensorType = 'torch.FloatTensor'
    if opt['type'] == 'cuda':
        model.cuda()
        loss = loss.cuda()
        TensorType = 'torch.CudaTensor'

    # Optimization configuration
    Weights, Gradients = model.getParameters()

    savedModel = model.clone('weight', 'bias', 'running_mean', 'running_std')   # lower footprint model to save

    if opt['estMeanStd'] != 'preDef':
        normalization = data['EstimateMeanStd'](data['TrainDB'], opt['estMeanStd'], 64)

    if len(normalization) > 0:
        print('\n==> Normalization')
        if normalization[0] == 'simple' or normalization[0] == 'channel':
            print(*normalization)
        else:
            print(normalization[0])

    print('\n==> Network')
    print(model)
    print('\n==>' + str(Weights.nElement()) + ' Parameters')

    print('\n==> Loss')
    print(loss)

    if trainRegime is not None:
        print('\n==> Training Regime')
        for x, val in trainRegime.items():
            print('%12s' % x, *val)

    # ------------------Optimization Configuration--------------------------
    optimState = {
        'learningRate': opt['LR'],
        'momentum': opt['momentum'],
        'weightDecay': opt['weightDecay'],
        'learningRateDecay': opt['LRDecay'],
        'dampening': 0,
    }

    optimizer = Optimizer(
        Model=model,
        Loss=loss,
        OptFunction=getattr(optim, opt['optimization']),
        OptState=optimState,
        Parameters=[Weights, Gradients],
        Regime=trainRegime,
    )

    # ----------------------------------------------------------------------
    def Forward(DB, train):
        confusion.zero()

        SizeData = DB.size()
        if not AllowVarBatch:
            SizeData = math.floor(SizeData / opt['batchSize']) * opt['batchSize']
        dataIndices = lg.range(0, SizeData - 1, opt['bufferSize']).long()
        if train and opt['shuffle']:    # shuffle batches from LMDB
            dataIndices = dataIndices.index(0, lg.randperm(dataIndices.size(0)).long())

        numBuffers = 2
        currBuffer = 0
        BufferSources = []
        for i in range(numBuffers):
            BufferSources.append(Container(Source=[lg.ByteTensor(), lg.IntTensor()]))

        currBatch = 0

        def BufferNext():
            nonlocal currBuffer, currBatch
            currBuffer = (currBuffer + 1) % numBuffers
            if currBatch > dataIndices.size(0) - 1:
                BufferSources[currBuffer] = None
                return
            sizeBuffer = min(opt['bufferSize'], SizeData - int(dataIndices[currBatch]))
            BufferSources[currBuffer].Data.resize(sizeBuffer, *config['InputSize'])
            BufferSources[currBuffer].Labels.resize(sizeBuffer)
            DB.asyncCacheSeq(config['Key'](int(dataIndices[currBatch])), sizeBuffer, BufferSources[currBuffer].Data,
                             BufferSources[currBuffer].Labels)
            currBatch = currBatch + 1

        MiniBatch = Container(
            Name='GPU_Batch',
            MaxNumItems=opt['batchSize'],
            Source=BufferSources[currBuffer],
            TensorType=TensorType,
        )

        yt = MiniBatch.Labels
        y = lg.Tensor()
        x = MiniBatch.Data
        NumSamples = 0
        lossVal = 0
        currLoss = 0

        BufferNext()

        while NumSamples < SizeData:
            DB.synchronize()
            MiniBatch.reset()
            MiniBatch.Source = BufferSources[currBuffer]
            if train and opt['shuffle']:
                MiniBatch.Source.shuffleItems()
            BufferNext()

            while MiniBatch.getNextBatch():
                if len(normalization) > 0:
                    MiniBatch.normalize(*normalization)
                if train:
                    y, currLoss, *_ = optimizer.optimize(x, yt)
                    if opt['nGPU'] > 1:
                        model.syncParameters()
                else:
                    y = model.forward(x)
                    currLoss = loss.forward(y, yt)
                lossVal = currLoss + lossVal
                if isinstance(y, list):    # table results - always take first prediction
                    y = y[0]
                confusion.batchAdd(y, yt)
                NumSamples = NumSamples + x.size(0)
                xlua.progress(NumSamples - 1, SizeData)    # progress takes the 0-based sample started

            if train and opt['checkpoint'] > 0 and (currBatch % math.ceil(opt['checkpoint'] / opt['bufferSize']) == 0):
                print(NumSamples)
                confusion.updateValids()
                print('\nAfter ' + str(NumSamples) + ' samples, current error is: ' + str(1 - confusion.totalValid)
                      + '\n')
                lg.save(netFilename + '_checkpoint' + '.t7', savedModel)
        xlua.progress(NumSamples - 1, SizeData)
        return lossVal / math.ceil(SizeData / opt['batchSize'])

    def Train(Data):
        model.training()
        return Forward(Data, True)

    def Test(Data):
        model.evaluate()
        return Forward(Data, False)

    # ------------------------------
    data['ValDB'].threads()
    data['TrainDB'].threads()

    if opt['testonly']:
        opt['epoch'] = 2
    epoch = 1

    while epoch != opt['epoch']:
        ErrTrain = LossTrain = None
        if not opt['testonly']:
            print('\nEpoch ' + str(epoch) + '\n')
            optimizer.updateRegime(epoch, True)
            log['regime'].append(dict(optimState))
            LossTrain = Train(data['TrainDB'])
            lg.save(netFilename + '_' + str(epoch) + '.t7', savedModel)
            if opt['optState']:
                lg.save(optStateFilename + '_epoch_' + str(epoch) + '.t7', optimState)
            confusion.updateValids()
            ErrTrain = (1 - confusion.totalValid)
            print('\nTraining Loss: ' + str(LossTrain))
            print('Training Classification Error: ' + str(ErrTrain))

        LossVal = Test(data['ValDB'])
        confusion.updateValids()
        ErrVal = (1 - confusion.totalValid)

        print('\nValidation Loss: ' + str(LossVal))
        print('Validation Classification Error = ' + str(ErrVal))
        log['train'].append((LossTrain, ErrTrain))
        log['val'].append((LossVal, ErrVal))

        if not opt['testonly']:
            Log.add({'Training Error': ErrTrain, 'Validation Error': ErrVal})
            Log.style({'Training Error': '-', 'Validation Error': '-'})

        epoch = epoch + 1
    return model, savedModel, opt


# --- tests ---------------------------------------------------------------------------------------------------------

def _digits(n_per_class, offset=0):
    """MNIST 0s and 1s, alternating, as 28 x 28 ByteTensors, with CreateLMDBs' names (``wnid_number``)."""
    d = np.load(paths.concat(paths.dirname(paths.dirname(paths.dirname(paths.thisfile()))),
                             'examples/data/mnist_5k.npz'))   # the MNIST slice the repository ships
    by_class = [np.flatnonzero(d['y'] == c)[offset:offset + n_per_class] for c in (0, 1)]
    images, names = [], []
    for k in range(n_per_class):
        for c in (0, 1):
            images.append(lg.ByteTensor(d['x'][by_class[c][k]]))
            names.append('%s_%d' % (WNIDS[c], k + offset))
    return images, names


def _config(tmp_path, n_train=96, n_val=48):
    # the file's 1000-odd class names, of which Config.lua keeps 1000: the confusion matrix is 1000 x 1000 while
    # the stand-in net has 2 outputs, which optim's batchAdd counts as classes 0 and 1
    ImageNetClasses = {'ClassName': ['tench', 'goldfish'] + ['class'] * 1001,
                       'Wnid2ClassNum': {WNIDS[0]: 0, WNIDS[1]: 1}}
    config = make_config(ImageNetClasses, ValidationLabels=None)
    config['ImageMinSide'] = 28          # the size CreateLMDBs writes for TinyNet's rescaleImgSize
    config['TRAINING_ENV'], config['VALIDATION_ENV'] = LMDBEnv(), LMDBEnv()
    config['RESULTS'] = str(tmp_path / 'Results')
    LMDBFromFilenames(config, *_digits(n_train // 2), config['TRAINING_ENV'])
    LMDBFromFilenames(config, *_digits(n_val // 2, offset=200), config['VALIDATION_ENV'])
    return config


def test_config_keeps_the_first_thousand_classes_and_keys_are_seven_digits():
    config = make_config({'ClassName': list(range(1003)), 'Wnid2ClassNum': {}}, None)
    assert config['ImageNetClasses']['ClassName'] == list(range(1000))
    assert config['Key'](42) == '0000042'


def test_dok_is_torch_dok_for_eladtools_and_dataprovider():
    """eladtools' Optimizer.lua line 6 and DataProvider's Container.lua line 8 call ``dok.unpack``; legonn had no
    ``dok`` module (``from legonn import dok`` failed, ``require 'dok'`` too)."""
    assert lg.paths.require('dok') is dok and lg.dok is dok
    with pytest.raises(TypeError, match='missing argument: Model') as err:
        Optimizer(Loss=nn.MSECriterion(), OptFunction=optim.sgd)
    assert 'Initialize an optimizer' in str(err.value)       # the usage text follows, as dok prints it
    with pytest.raises(RuntimeError, match='<Optimizer> no model'):
        dok.error('no model', 'Optimizer')
    dargs, model, loss = dok.unpack([1, 2], 'f', None, {'arg': 'model', 'type': 'x', 'help': ''},
                                    {'arg': 'loss', 'type': 'y', 'help': '', 'default': 3})
    assert (model, loss, dargs['model'], dargs[1]) == (1, 2, 1, 2)


def test_optimizer_update_regime_applies_alexnet_table_and_zero_values():
    """updateRegime sets each optimState field the regime names at the epochs listed; a field whose value is 0
    (weightDecay after epoch 30) is still set later: Lua's ``if self.OptState[optValue]`` is true for 0."""
    regime = {                            # Models/AlexNet.lua's (building the net to read it takes seconds)
        'epoch':        [1,    19,   30,   44,   53],
        'learningRate': [1e-2, 5e-3, 1e-3, 5e-4, 1e-4],
        'weightDecay':  [5e-4, 5e-4, 0,    0,    0],
    }
    state = {'learningRate': 0.5, 'weightDecay': 0.1, 'momentum': 0.9}
    model = nn.Linear(2, 1)
    o = Optimizer(Model=model, Loss=nn.MSECriterion(), OptFunction=optim.sgd, OptState=state, Regime=regime)
    seen = {}
    for epoch in range(1, 60):
        o.updateRegime(epoch)
        seen[epoch] = (state['learningRate'], state['weightDecay'])
    assert seen[1] == (1e-2, 5e-4) and seen[18] == (1e-2, 5e-4)
    assert seen[19] == (5e-3, 5e-4) and seen[30] == (1e-3, 0) and seen[44] == (5e-4, 0) and seen[59] == (1e-4, 0)
    assert state['momentum'] == 0.9 and 'epoch' not in state
    back = Optimizer(Model=model, Loss=nn.MSECriterion(), OptFunction=optim.sgd, OptState={'weightDecay': 0.0},
                     Regime={'epoch': [1, 2], 'weightDecay': [0, 1e-4]})
    back.updateRegime(1)
    back.updateRegime(2)
    assert back.OptState['weightDecay'] == 1e-4


@pytest.mark.parametrize('option, value', [('L1Coeff', 0.01), ('GradClip', 0.05), ('GradRenorm', 0.1),
                                           ('GradRescale', 0.02), (None, None)])
def test_optimizer_gradient_options_match_numpy(option, value):
    """One ``optimize`` with sgd at learning rate 1 moves the weights by minus the processed gradient: compared
    with NumPy's L1 term, clamp, renormalisation to the norm and rescale to the largest magnitude."""
    lg.manualSeed(3)
    lg.setdefaulttensortype('torch.DoubleTensor')
    try:
        model = nn.Sequential().add(nn.Linear(4, 3)).add(nn.Tanh())
        x, yt = lg.randn(5, 4), lg.randn(5, 3)
        crit = nn.MSECriterion()
        w0 = model.getParameters()[0].clone().numpy()
        model.zeroGradParameters()
        model.backward(x, crit.backward(model.forward(x), yt))
        g = model.getParameters()[1].numpy().copy()
        hooked = []
        kwargs = {option: value} if option else {}
        o = Optimizer(Model=model, Loss=crit, OptFunction=optim.sgd, OptState={'learningRate': 1},
                      HookFunction=lambda y, t, err: hooked.append(err) or 'hooked', **kwargs)
        y, err, hook_value, _ = o.optimize(x, yt)
        if option == 'L1Coeff':
            g = g + np.sign(w0) * value
        elif option == 'GradClip':
            g = np.clip(g, -value, value)
        elif option == 'GradRenorm':
            g = g * value / np.linalg.norm(g)
        elif option == 'GradRescale':
            g = g * value / np.abs(g).max()
        np.testing.assert_allclose(o.Weights.numpy(), w0 - g, rtol=1e-12, atol=1e-12)
        assert hook_value == 'hooked' and hooked == [err] and y.size() == (5, 3)
    finally:
        lg.setdefaulttensortype('torch.FloatTensor')


@pytest.mark.parametrize('normType', ['simple', 'channel', 'image'])
def test_container_normalize_matches_numpy(normType):
    lg.manualSeed(1)
    x = lg.rand(6, 3, 4, 5).mul(255)
    ref = x.numpy().astype(np.float64)
    c = Container(Source=[x.clone(), None])
    c.normalize(normType)
    axes = {'simple': None, 'channel': (0, 2, 3), 'image': 0}[normType]
    mean = ref.mean(axis=axes, keepdims=axes is not None)
    std = ref.std(axis=axes, ddof=1, keepdims=axes is not None)
    np.testing.assert_allclose(c.Data.numpy(), (ref - mean) / std, rtol=1e-4, atol=1e-4)
    given = Container(Source=[x.clone(), None])
    given.normalize('simple', 118.380948, 61.896913)
    np.testing.assert_allclose(given.Data.numpy(), (ref - 118.380948) / 61.896913, rtol=1e-5, atol=1e-5)


def test_container_batches_and_shuffles_like_dataprovider():
    src = Container(Source=[lg.range(0, 9).view(10, 1), lg.range(100, 109)])
    mini = Container(Name='GPU_Batch', MaxNumItems=4, Source=src)
    x, yt = mini.Data, mini.Labels
    sizes = []
    while mini.getNextBatch():
        assert mini.Data is x and mini.Labels is yt       # Main.lua keeps these references across batches
        np.testing.assert_array_equal(yt.numpy(), x.numpy()[:, 0] + 100)
        sizes.append(x.size(0))
    assert sizes == [4, 4, 2] and mini.NumBatch == 3
    src.shuffleItems()
    np.testing.assert_array_equal(src.Labels.numpy(), src.Data.numpy()[:, 0] + 100)
    assert sorted(src.Data.numpy()[:, 0]) == list(range(10))
    assert Container(Source=[lg.ByteTensor(), lg.IntTensor()]).size() == 0


def test_data_extract_functions_crop_flip_and_label(tmp_path):
    config = _config(tmp_path, n_train=4, n_val=4)
    config['InputSize'] = [3, 24, 24]
    data = make_data(config)
    record = config['VALIDATION_ENV'].records[Key(1)]
    img, cls = data['ExtractFromLMDBTest'](record)
    assert cls == 1 and img.size() == (3, 24, 24) and img.type() == 'torch.ByteTensor'
    full = image.decompressJPG(record['Data'], 3, 'byte')
    assert full.size() == (3, 28, 28)
    np.testing.assert_array_equal(img.numpy(), full.numpy()[:, 2:26, 2:26])     # ceil((28 - 24 + 1) / 2) = 3
    random.seed(0)
    lg.manualSeed(0)
    crops = set()
    for augment in (1, 2, 3):
        config['Augment'] = augment
        for _ in range(12):
            img, cls = data['ExtractFromLMDBTrain'](record)
            assert cls == 1 and img.size() == (3, 24, 24)
            crops.add(img.numpy().tobytes())
    assert len(crops) > 10            # random crops, flips, rescales and rotations


def test_cache_seq_and_rand_fill_buffers_from_keys(tmp_path):
    config = _config(tmp_path, n_train=8, n_val=4)
    config['InputSize'] = [3, 24, 24]
    data = make_data(config)
    DB = data['ValDB']
    assert DB.size() == 4
    x, y = lg.ByteTensor(2, 3, 24, 24), lg.IntTensor(2)
    DB.cacheSeq(Key(2), 2, x, y)
    assert y.numpy().tolist() == [0, 1]
    np.testing.assert_array_equal(x[1].numpy(), data['ExtractFromLMDBTest'](config['VALIDATION_ENV'].records[Key(3)])[0]
                                  .numpy())
    DB.threads()
    x.zero()
    y.zero()
    DB.asyncCacheSeq(Key(0), 2, x, y)
    DB.synchronize()
    assert y.numpy().tolist() == [0, 1] and x.sum() > 0
    estimate = data['EstimateMeanStd'](DB, 'channel', 4)
    assert len(estimate) == 3 and estimate[0] == 'channel'       # {typeVal, dp:normalize(typeVal)}: mean, std
    assert estimate[1].size() == estimate[2].size() == (1, 3, 1, 1)


def _run_main(tmp_path, extra, n_train=64, n_val=32):
    config = _config(tmp_path, n_train, n_val)
    log = {'regime': [], 'train': [], 'val': []}
    arg = ['-network', 'TinyNet.lua', '-type', 'float', '-batchSize', '16', '-bufferSize', '40', '-threads', '1',
           '-epoch', '4', '-save', 'run', '-estMeanStd', 'simple', '-LR', '0.1'] + extra
    model, savedModel, opt = main(arg, config, log)
    return model, savedModel, opt, log


def test_main_trains_follows_regime_and_checkpoints(tmp_path):
    random.seed(1)
    model, savedModel, opt, log = _run_main(tmp_path, ['-optState'])
    assert [(s['learningRate'], s['weightDecay']) for s in log['regime']] == [(5e-2, 5e-4), (2e-2, 0), (1e-2, 1e-4)]
    assert [s['momentum'] for s in log['regime']] == [0.9] * 3
    train_losses = [loss for loss, _ in log['train']]
    assert train_losses[-1] < train_losses[0] and train_losses[0] < 0.7
    assert log['val'][-1][1] <= 0.1       # 0s and 1s apart after three epochs
    save = paths.concat(opt['save'], 'Net_3.t7')
    assert paths.filep(save) and paths.filep(paths.concat(opt['save'], 'optState_epoch_3.t7'))
    assert lg.load(paths.concat(opt['save'], 'optState_epoch_3.t7'))['learningRate'] == 1e-2
    saved = lg.load(save)
    np.testing.assert_array_equal(saved.get(0).weight.numpy(), model.get(0).weight.numpy())
    np.testing.assert_array_equal(saved.get(3).running_mean.numpy(), model.get(3).running_mean.numpy())
    # Main.lua clones 'running_std', the field of nn's old BatchNormalization: today's running_var is not shared,
    # so the saved net keeps its initial variances, in Torch7 as here
    np.testing.assert_array_equal(saved.get(3).running_var.numpy(), np.ones(8))
    assert not np.allclose(model.get(3).running_var.numpy(), 1)
    assert 'Training Error' in open(paths.concat(opt['save'], 'ErrorRate.log')).read()
    assert 'LR 0.1' in open(paths.concat(opt['save'], 'Log.txt')).read()


def test_main_testonly_loads_a_net(tmp_path):
    random.seed(2)
    model, _, opt, log = _run_main(tmp_path, ['-epoch', '2'], n_train=64, n_val=16)
    loaded, _, _, log2 = _run_main(tmp_path, ['-testonly', '-load', paths.concat(opt['save'], 'Net_1.t7'),
                                              '-save', 'test'], n_train=64, n_val=16)
    assert log2['regime'] == [] and len(log2['val']) == 1 and log2['train'] == [(None, None)]
    np.testing.assert_array_equal(loaded.get(5).weight.numpy(), model.get(5).weight.numpy())


def test_main_with_a_graph_model_and_parallel_criterion(tmp_path):
    """A model file returning a gModule of two heads and its loss: ``optimizer:optimize`` gets a table of outputs,
    the loss adds both heads, and the confusion matrix counts the first (``if type(y) == 'table' then y = y[1]``)."""
    random.seed(4)
    model, _, opt, log = _run_main(tmp_path, ['-network', 'TinyGraph', '-epoch', '3', '-LR', '0.05'])
    # no regime table: the command line's values stay (sgd adds its own entries to the state)
    assert [(s['learningRate'], s['weightDecay']) for s in log['regime']] == [(0.05, 5e-4)] * 2
    (loss1, err1), (loss2, err2) = log['train']
    assert loss2 < loss1 and log['val'][-1][1] <= 0.15
    assert lg.typename(lg.load(paths.concat(opt['save'], 'Net_2.t7'))) == 'nn.gModule'


@pytest.mark.gpu
def test_main_cuda_branch(tmp_path):
    random.seed(3)
    model, savedModel, opt, log = _run_main(tmp_path, ['-type', 'cuda', '-epoch', '2'], n_train=64, n_val=16)
    assert model.get(0).weight.type() == 'torch.CudaTensor'
    assert lg.load(paths.concat(opt['save'], 'Net_1.t7'), device='cpu').get(5).weight.type() == 'torch.FloatTensor'
    assert len(log['val']) == 1 and log['val'][0][0] < 0.75
