"""soumith/imagenet-multiGPU.torch's donkeys, ported line by line and run on a tiny image tree: data.lua (lines
9-56: ``Threads(opt.nDonkeys, function() require 'torch' end, function(idx) opt = options; tid = idx; ...
paths.dofile('donkey.lua') end)``, the single-threaded ``donkeys = {}`` stand-in, the classes and nTest jobs),
donkey.lua (9-194: the trainCache/testCache/meanstdCache files, ``loadImage``, ``trainHook``'s random crop and
flip, ``testHook``'s centre crop, the per-channel mean/std estimation), dataset.lua (1-358: the ``dataLoader``
class, its class discovery, the ``find``/``cat``/``wc``/``cut`` pipeline run through bash that lists the images,
the CharTensor of paths, ``sample``, ``get``, ``tableToOutput``), train.lua's loop (72-111, 134-186: one
``donkeys:addjob(function() return trainLoader:sample(opt.batchSize) end, trainBatch)`` per batch, then
``donkeys:synchronize()`` and ``cutorch.synchronize()``) and test.lua's (28-43, 64-85).

The shell pipeline is ported as the Lua runs it: the commands are written to a script run by ``bash`` with
Python's ``os.system`` (Lua's ``os.execute``), counted with legonn's ``sys.fexecute('wc -L ...')``, and the list
is read line by line into the CharTensor with legonn.ffi (``s_data = s_data + maxPathLength`` is
``s_data = s_data[maxPathLength:]``). The other mechanical edits: a donkey's globals (``trainLoader``,
``testLoader``, ``opt``, ``tid``) are ``threads.local``'s (``G`` below; the main thread has its own, which the
``nDonkeys == 0`` path uses); ``paths.dofile('donkey.lua')`` is ``donkey()``; argcheck's packed table is a dict
(``initcheck``); ``os.tmpname()`` is ``paths.tmpname()``; ``self:sampleHookTrain(path)`` is
``self.sampleHookTrain(self, path)`` (the hook is a field holding a function of ``self``); ``collectgarbage()``
lines are dropped (docs/porting.md); ``list:dim() ~= 0`` is ``list.nElement() != 0``; classes, ``get``'s
indices and donkey ids are 0-based (``torch.random(1, #self.classes)`` is ``lg.random(0, len(self.classes))``,
``getByClass`` keeps the Lua's 1-based draw and subtracts one to index). The jobs are module-level functions
(``functools.partial`` binds ``indexStart, indexEnd``) so that legonn's process backend (``opt.backend``) can
pickle them. ``nSamples`` of the estimation is ``opt.meanstdSamples`` (10000 in the Lua). The model is a small
linear classifier; train.lua's learning-rate regimes, logger and checkpoints are left out.
"""
import functools
import math
import os

import numpy as np
import pytest

import legonn as lg
from legonn import cutorch, ffi, image, nn, optim, paths, threads, xlua
from legonn import sys as tsys
from legonn.pl import dir as pldir


pytestmark = pytest.mark.usefixtures('sharedserialize')   # Threads.serialization('threads.sharedserialize')


# --- dataset.lua ------------------------------------------------------------------------------------------------

def initcheck(args):
    """argcheck{pack=true, ...} (lines 14-78): the named arguments in one table, defaults filled in."""
    for k, v in enumerate(args['paths']):
        if not isinstance(v, str):
            print('paths can only be of string input')
            raise TypeError('dataLoader: paths must be strings')
    for name in ('paths', 'sampleSize', 'split'):
        if name not in args:
            raise TypeError(f'dataLoader: argument {name} is missing')
    packed = {'samplingMode': 'balanced', 'verbose': False, 'loadSize': None, 'forceClasses': None,
              'sampleHookTrain': None, 'sampleHookTest': None}
    packed.update(args)
    return packed


@lg.register
class dataLoader:
    def __init__(self, args):
        # argcheck
        args = initcheck(args)
        print(args)
        for k, v in args.items():
            setattr(self, k, v)

        if not self.loadSize:
            self.loadSize = self.sampleSize

        if not self.sampleHookTrain:
            self.sampleHookTrain = getattr(self, 'defaultSampleHook', None)   # never defined: nil in the Lua too
        if not self.sampleHookTest:
            self.sampleHookTest = getattr(self, 'defaultSampleHook', None)

        # find class names
        self.classes = []
        classPaths = []
        if self.forceClasses:
            for k, v in enumerate(self.forceClasses):
                self.classes.append(v)
                classPaths.append([])

        def tableFind(t, o):
            for k, v in enumerate(t):
                if v == o:
                    return k
        # loop over each paths folder, get list of unique class names,
        # also store the directory paths per class
        # for each class,
        for k, path in enumerate(self.paths):
            dirs = pldir.getdirectories(path)
            for k, dirpath in enumerate(dirs):
                class_ = paths.basename(dirpath)
                idx = tableFind(self.classes, class_)
                if idx is None:
                    self.classes.append(class_)
                    idx = len(self.classes) - 1
                    classPaths.append([])
                if tableFind(classPaths[idx], dirpath) is None:
                    classPaths[idx].append(dirpath)

        self.classIndices = {}
        for k, v in enumerate(self.classes):
            self.classIndices[v] = k

        # define command-line tools, try your best to maintain OSX compatibility
        wc = 'wc'
        cut = 'cut'
        find = 'find'
        if ffi.os == 'OSX':
            wc = 'gwc'
            cut = 'gcut'
            find = 'gfind'
        # Options for the GNU find command
        extensionList = ['jpg', 'png', 'JPG', 'PNG', 'JPEG', 'ppm', 'PPM', 'bmp', 'BMP']
        findOptions = ' -iname "*.' + extensionList[0] + '"'
        for i in range(1, len(extensionList)):
            findOptions = findOptions + ' -o -iname "*.' + extensionList[i] + '"'

        # find the image path names
        self.imagePath = lg.CharTensor()     # path to each image in dataset
        self.imageClass = lg.LongTensor()    # class index of each image (class index in self.classes)
        self.classList = []                  # index of imageList to each image of a particular class
        self.classListSample = self.classList   # the main list used when sampling data

        print('running "find" on each class directory, and concatenate all'
              ' those filenames into a single file containing all image paths for a given class')
        # so, generates one file per class
        classFindFiles = []
        for i in range(len(self.classes)):
            classFindFiles.append(paths.tmpname())
        combinedFindList = paths.tmpname()

        tmpfile = paths.tmpname()
        tmphandle = open(tmpfile, 'w')
        # iterate over classes
        for i, class_ in enumerate(self.classes):
            # iterate over classPaths
            for j, path in enumerate(classPaths[i]):
                command = find + ' "' + path + '" ' + findOptions + ' >>"' + classFindFiles[i] + '" \n'
                tmphandle.write(command)
        tmphandle.close()
        os.system('bash ' + tmpfile)
        os.system('rm -f ' + tmpfile)

        print('now combine all the files to a single large file')
        tmpfile = paths.tmpname()
        tmphandle = open(tmpfile, 'w')
        # concat all finds to a single large file in the order of self.classes
        for i in range(len(self.classes)):
            command = 'cat "' + classFindFiles[i] + '" >>' + combinedFindList + ' \n'
            tmphandle.write(command)
        tmphandle.close()
        os.system('bash ' + tmpfile)
        os.system('rm -f ' + tmpfile)

        # ==========================================================================
        print('load the large concatenated list of sample paths to self.imagePath')
        maxPathLength = int(tsys.fexecute(wc + " -L '" + combinedFindList + "' |" + cut + " -f1 -d' '")) + 1
        length = int(tsys.fexecute(wc + " -l '" + combinedFindList + "' |" + cut + " -f1 -d' '"))
        assert length > 0, "Could not find any image file in the given input paths"
        assert maxPathLength > 0, "paths of files are length 0?"
        self.imagePath.resize(length, maxPathLength).fill(0)
        s_data = self.imagePath.data()
        count = 0
        for line in open(combinedFindList):
            ffi.copy(s_data, line.rstrip('\n'))
            s_data = s_data[maxPathLength:]
            if self.verbose and count % 10000 == 0:
                xlua.progress(count, length)
            count = count + 1

        self.numSamples = self.imagePath.size(0)
        if self.verbose:
            print(str(self.numSamples) + ' samples found.')
        # ==========================================================================
        print('Updating classList and imageClass appropriately')
        self.imageClass.resize(self.numSamples)
        runningIndex = 0
        for i in range(len(self.classes)):
            if self.verbose:
                xlua.progress(i, len(self.classes))
            length = int(tsys.fexecute(wc + " -l '" + classFindFiles[i] + "' |" + cut + " -f1 -d' '"))
            if length == 0:
                raise RuntimeError('Class has zero samples')
            else:
                self.classList.append(lg.linspace(runningIndex, runningIndex + length - 1, length).long())
                self.imageClass[runningIndex:runningIndex + length].fill(i)
            runningIndex = runningIndex + length

        # ==========================================================================
        # clean up temporary files
        print('Cleaning up temporary files')
        tmpfilelistall = ''
        for i in range(len(classFindFiles)):
            tmpfilelistall = tmpfilelistall + ' "' + classFindFiles[i] + '"'
            if (i + 1) % 1000 == 0:
                os.system('rm -f ' + tmpfilelistall)
                tmpfilelistall = ''
        os.system('rm -f ' + tmpfilelistall)
        os.system('rm -f "' + combinedFindList + '"')
        # ==========================================================================

        if self.split == 100:
            self.testIndicesSize = 0
        else:
            print('Splitting training and test sets to a ratio of ' + str(self.split) + '/' + str(100 - self.split))
            self.classListTrain = []
            self.classListTest = []
            self.classListSample = self.classListTrain
            totalTestSamples = 0
            # split the classList into classListTrain and classListTest
            for i in range(len(self.classes)):
                list_ = self.classList[i]
                count = self.classList[i].size(0)
                splitidx = math.floor((count * self.split / 100) + 0.5)   # +round
                perm = lg.randperm(count)
                self.classListTrain.append(lg.LongTensor(splitidx))
                for j in range(splitidx):
                    self.classListTrain[i][j] = list_[perm[j]]
                if splitidx == count:   # all samples were allocated to train set
                    self.classListTest.append(lg.LongTensor())
                else:
                    self.classListTest.append(lg.LongTensor(count - splitidx))
                    totalTestSamples = totalTestSamples + self.classListTest[i].size(0)
                    idx = 0
                    for j in range(splitidx, count):
                        self.classListTest[i][idx] = list_[perm[j]]
                        idx = idx + 1
            # Now combine classListTest into a single tensor
            self.testIndices = lg.LongTensor(totalTestSamples)
            self.testIndicesSize = totalTestSamples
            tdata = self.testIndices.data()
            tidx = 0
            for i in range(len(self.classes)):
                list_ = self.classListTest[i]
                if list_.nElement() != 0:
                    ldata = list_.data()
                    for j in range(list_.size(0)):
                        tdata[tidx] = ldata[j]
                        tidx = tidx + 1

    # size(), size(class)
    def size(self, class_=None, list_=None):
        list_ = list_ if list_ is not None else self.classList
        if class_ is None:
            return self.numSamples
        elif isinstance(class_, str):
            return list_[self.classIndices[class_]].size(0)
        elif isinstance(class_, int):
            return list_[class_].size(0)

    def getByClass(self, class_):
        index = max(1, math.ceil(lg.uniform() * self.classListSample[class_].nElement()))
        imgpath = ffi.string(lg.data(self.imagePath[int(self.classListSample[class_][index - 1])]))
        return self.sampleHookTrain(self, imgpath)

    # sampler, samples from the training set.
    def sample(self, quantity):
        assert quantity
        dataTable = []
        scalarTable = []
        for i in range(quantity):
            class_ = lg.random(0, len(self.classes))
            out = self.getByClass(class_)
            dataTable.append(out)
            scalarTable.append(class_)
        data, scalarLabels = tableToOutput(self, dataTable, scalarTable)
        return data, scalarLabels

    def get(self, i1, i2):
        indices = lg.range(i1, i2)
        quantity = i2 - i1 + 1
        assert quantity > 0
        # now that indices has been initialized, get the samples
        dataTable = []
        scalarTable = []
        for i in range(quantity):
            # load the sample
            imgpath = ffi.string(lg.data(self.imagePath[int(indices[i])]))
            out = self.sampleHookTest(self, imgpath)
            dataTable.append(out)
            scalarTable.append(self.imageClass[int(indices[i])])
        data, scalarLabels = tableToOutput(self, dataTable, scalarTable)
        return data, scalarLabels


# converts a table of samples (and corresponding labels) to a clean tensor
def tableToOutput(self, dataTable, scalarTable):
    quantity = len(scalarTable)
    assert dataTable[0].dim() == 3
    data = lg.Tensor(quantity, self.sampleSize[0], self.sampleSize[1], self.sampleSize[2])
    scalarLabels = lg.LongTensor(quantity).fill(-1111)
    for i in range(len(dataTable)):
        data[i].copy(dataTable[i])
        scalarLabels[i] = scalarTable[i]
    return data, scalarLabels


# --- donkey.lua -------------------------------------------------------------------------------------------------

def donkey():
    G = threads.local          # this donkey's globals
    opt = G.opt

    # a cache file of the training metadata (if doesnt exist, will be created)
    trainCache = paths.concat(opt['cache'], 'trainCache.t7')
    testCache = paths.concat(opt['cache'], 'testCache.t7')
    meanstdCache = paths.concat(opt['cache'], 'meanstdCache.t7')

    # Check for existence of opt.data
    if os.system('cd ' + opt['data']) != 0:
        raise RuntimeError("could not chdir to '%s'" % opt['data'])

    loadSize = [3, opt['imageSize'], opt['imageSize']]
    sampleSize = [3, opt['cropSize'], opt['cropSize']]

    def loadImage(path):
        input = image.load(path, 3, 'float')
        # find the smaller dimension, and resize it to loadSize (while keeping aspect ratio)
        if input.size(2) < input.size(1):
            input = image.scale(input, loadSize[1], loadSize[2] * input.size(1) / input.size(2))
        else:
            input = image.scale(input, loadSize[1] * input.size(2) / input.size(1), loadSize[2])
        return input

    # channel-wise mean and std. Calculate or load them from disk later in the script.
    mean, std = None, None

    # Section 1: Create a train data loader (trainLoader),
    # which does class-balanced sampling from the dataset and does a random crop

    # function to load the image, jitter it appropriately (random crops etc.)
    def trainHook(self, path):
        input = loadImage(path)
        iW = input.size(2)
        iH = input.size(1)

        # do random crop
        oW = sampleSize[2]
        oH = sampleSize[1]
        h1 = math.ceil(lg.uniform(1e-2, iH - oH))
        w1 = math.ceil(lg.uniform(1e-2, iW - oW))
        out = image.crop(input, w1, h1, w1 + oW, h1 + oH)
        assert out.size(2) == oW
        assert out.size(1) == oH
        # do hflip with probability 0.5
        if lg.uniform() > 0.5:
            out = image.hflip(out)
        # mean/std
        for i in range(3):   # channels
            if mean is not None:
                out[i:i + 1].add(-mean[i])
            if std is not None:
                out[i:i + 1].div(std[i])
        return out

    if paths.filep(trainCache):
        print('Loading train metadata from cache')
        trainLoader = lg.load(trainCache)
        trainLoader.sampleHookTrain = trainHook
        assert trainLoader.paths[0] == paths.concat(opt['data'], 'train'), \
            ('cached files dont have the same path as opt.data. Remove your cached files at: '
             + trainCache + ' and rerun the program')
    else:
        print('Creating train metadata')
        trainLoader = dataLoader({
            'paths': [paths.concat(opt['data'], 'train')],
            'loadSize': loadSize,
            'sampleSize': sampleSize,
            'split': 100,
            'verbose': True,
        })
        lg.save(trainCache, trainLoader)
        trainLoader.sampleHookTrain = trainHook
    G.trainLoader = trainLoader

    # do some sanity checks on trainLoader
    class_ = trainLoader.imageClass
    nClasses = len(trainLoader.classes)
    assert class_.max() < nClasses, "class logic has error"
    assert class_.min() >= 0, "class logic has error"

    # Section 2: Create a test data loader (testLoader),
    # which can iterate over the test set and returns an image's

    # function to load the image
    def testHook(self, path):
        input = loadImage(path)
        oH = sampleSize[1]
        oW = sampleSize[2]
        iW = input.size(2)
        iH = input.size(1)
        w1 = math.ceil((iW - oW) / 2)
        h1 = math.ceil((iH - oH) / 2)
        out = image.crop(input, w1, h1, w1 + oW, h1 + oH)   # center patch
        # mean/std
        for i in range(3):   # channels
            if mean is not None:
                out[i:i + 1].add(-mean[i])
            if std is not None:
                out[i:i + 1].div(std[i])
        return out
    G.testHook = testHook

    if paths.filep(testCache):
        print('Loading test metadata from cache')
        testLoader = lg.load(testCache)
        testLoader.sampleHookTest = testHook
        assert testLoader.paths[0] == paths.concat(opt['data'], 'val'), \
            ('cached files dont have the same path as opt.data. Remove your cached files at: '
             + testCache + ' and rerun the program')
    else:
        print('Creating test metadata')
        testLoader = dataLoader({
            'paths': [paths.concat(opt['data'], 'val')],
            'loadSize': loadSize,
            'sampleSize': sampleSize,
            'split': 0,
            'verbose': True,
            'forceClasses': trainLoader.classes,   # force consistent class indices between trainLoader and testLoader
        })
        lg.save(testCache, testLoader)
        testLoader.sampleHookTest = testHook
    G.testLoader = testLoader

    # Estimate the per-channel mean/std (so that the loaders can normalize appropriately)
    if paths.filep(meanstdCache):
        meanstd = lg.load(meanstdCache)
        mean = meanstd['mean']
        std = meanstd['std']
        print('Loaded mean and std from cache.')
    else:
        tm = lg.Timer()
        nSamples = opt['meanstdSamples']
        print('Estimating the mean (per-channel, shared for all pixels) over ' + str(nSamples)
              + ' randomly sampled training images')
        meanEstimate = [0, 0, 0]
        for i in range(nSamples):
            img = trainLoader.sample(1)[0][0]
            for j in range(3):
                meanEstimate[j] = meanEstimate[j] + img[j].mean()
        for j in range(3):
            meanEstimate[j] = meanEstimate[j] / nSamples
        mean = meanEstimate

        print('Estimating the std (per-channel, shared for all pixels) over ' + str(nSamples)
              + ' randomly sampled training images')
        stdEstimate = [0, 0, 0]
        for i in range(nSamples):
            img = trainLoader.sample(1)[0][0]
            for j in range(3):
                stdEstimate[j] = stdEstimate[j] + img[j].std()
        for j in range(3):
            stdEstimate[j] = stdEstimate[j] / nSamples
        std = stdEstimate

        cache = {}
        cache['mean'] = mean
        cache['std'] = std
        lg.save(meanstdCache, cache)
        print('Time to estimate:', tm.time()['real'])
    G.mean, G.std = mean, std       # file locals in the Lua; kept for the checks


# --- data.lua ---------------------------------------------------------------------------------------------------

def _donkey_init():
    pass                            # require 'torch'


def _donkey_main(options, idx):
    threads.local.opt = options     # pass to all donkeys via upvalue
    threads.local.tid = idx
    seed = threads.local.opt['manualSeed'] + idx
    lg.manualSeed(seed)
    print('Starting donkey with id: %d seed: %d' % (threads.local.tid, seed))
    donkey()


class SerialDonkeys:
    """data.lua's ``donkeys = {}`` for ``nDonkeys == 0`` (single threaded data loading, useful for debugging)."""

    def addjob(self, f1, f2):
        result = f1()
        f2(*result) if isinstance(result, tuple) else f2(result)

    def synchronize(self):
        pass


def _trainLoaderClasses():
    return threads.local.trainLoader.classes


def _testLoaderSize():
    return threads.local.testLoader.size()


def data_lua(opt):
    """data.lua; returns its globals ``donkeys``, ``classes`` and ``nTest``."""
    if opt['nDonkeys'] > 0:
        options = opt   # make an upvalue to serialize over to donkey threads
        donkeys = threads.Threads(opt['nDonkeys'], _donkey_init, functools.partial(_donkey_main, options),
                                  backend=opt.get('backend', 'thread'))
    else:   # single threaded data loading. useful for debugging
        threads.local.opt = opt
        donkey()
        donkeys = SerialDonkeys()

    classes, nTest = None, 0

    def keepClasses(c):
        nonlocal classes
        classes = c

    def keepTest(c):
        nonlocal nTest
        nTest = c

    donkeys.addjob(_trainLoaderClasses, keepClasses)
    donkeys.synchronize()
    nClasses = len(classes)
    assert nClasses, "Failed to get nClasses"
    assert nClasses == opt['nClasses'], \
        "nClasses is reported different in the data loader, and in the commandline options"
    print('nClasses: ', nClasses)
    lg.save(paths.concat(opt['save'], 'classes.t7'), classes)

    donkeys.addjob(_testLoaderSize, keepTest)
    donkeys.synchronize()
    assert nTest > 0, "Failed to get nTest"
    print('nTest: ', nTest)
    return donkeys, classes, nTest


# --- train.lua and test.lua -------------------------------------------------------------------------------------

def _trainJob():
    inputs, labels = threads.local.trainLoader.sample(threads.local.opt['batchSize'])
    return inputs, labels


def _testJob(indexStart, indexEnd):
    inputs, labels = threads.local.testLoader.get(indexStart, indexEnd)
    return inputs, labels


def train_lua(opt, donkeys, model, criterion):
    """train.lua's ``train()`` and ``trainBatch`` for a model already of ``opt.tensorType``; returns ``train``."""
    cuda = opt['tensorType'] == 'torch.CudaTensor'
    optimState = {'learningRate': opt['LR'], 'learningRateDecay': 0.0, 'momentum': opt['momentum'],
                  'dampening': 0.0, 'weightDecay': opt['weightDecay']}
    batchNumber, top1_epoch, loss_epoch = 0, 0, 0
    # GPU inputs (preallocate)
    inputs = lg.CudaTensor() if cuda else lg.Tensor()
    labels = lg.CudaTensor() if cuda else lg.Tensor()
    parameters, gradParameters = model.getParameters()

    def synchronize():
        if cuda:
            cutorch.synchronize()

    def train(epoch):
        nonlocal batchNumber, top1_epoch, loss_epoch
        batchNumber = 0
        synchronize()
        model.training()
        top1_epoch = 0
        loss_epoch = 0
        for i in range(opt['epochSize']):
            # queue jobs to data-workers
            donkeys.addjob(_trainJob, trainBatch)
        donkeys.synchronize()
        synchronize()
        top1_epoch = top1_epoch * 100 / (opt['batchSize'] * opt['epochSize'])
        loss_epoch = loss_epoch / opt['epochSize']
        return loss_epoch, top1_epoch

    def trainBatch(inputsCPU, labelsCPU):
        nonlocal batchNumber, top1_epoch, loss_epoch
        synchronize()
        # transfer over to GPU
        inputs.resize(inputsCPU.size()).copy(inputsCPU)
        labels.resize(labelsCPU.size()).copy(labelsCPU)

        err, outputs = None, None

        def feval(x):
            nonlocal err, outputs
            model.zeroGradParameters()
            outputs = model.forward(inputs)
            err = criterion.forward(outputs, labels)
            gradOutputs = criterion.backward(outputs, labels)
            model.backward(inputs, gradOutputs)
            return err, gradParameters
        optim.sgd(feval, parameters, optimState)

        synchronize()
        batchNumber = batchNumber + 1
        loss_epoch = loss_epoch + err
        # top-1 error
        _, prediction_sorted = outputs.float().sort(1, True)   # descending
        for i in range(opt['batchSize']):
            if prediction_sorted[i][0] == labelsCPU[i]:
                top1_epoch = top1_epoch + 1

    return train


def lua_test(opt, donkeys, nTest, testBatch):
    """test.lua's loop (lines 28-43): one ``testLoader:get(indexStart, indexEnd)`` job per batch (0-based,
    both ends included), ``testBatch(inputsCPU, labelsCPU)`` its ending callback."""
    for i in range(math.ceil(nTest / opt['batchSize'])):   # nTest is set in data.lua
        indexStart = i * opt['batchSize']
        indexEnd = min(nTest - 1, indexStart + opt['batchSize'] - 1)
        donkeys.addjob(functools.partial(_testJob, indexStart, indexEnd), testBatch)
    donkeys.synchronize()


# --- the tiny ImageNet tree and the checks ----------------------------------------------------------------------

CLASSES = ['n01440764', 'n01443537', 'n01484850']


def _tree(root):
    """``root/{train,val}/<class>/<k>.png``: 4 training and 2 validation 10 x 10 PNG pictures per class, the
    classes' colours apart (a linear model can tell them), each picture its own noise. Returns the pixels by path."""
    pixels = {}
    rng = np.random.RandomState(0)
    for split, count in (('train', 4), ('val', 2)):
        for c, cls in enumerate(CLASSES):
            os.makedirs(root / split / cls)
            for k in range(count):
                base = np.array([60, 120, 190])[np.roll(np.arange(3), c)][:, None, None]
                picture = np.clip(base + rng.randint(-50, 50, (3, 10, 10)), 0, 255).astype(np.uint8)
                path = str(root / split / cls / f'{k}.png')
                image.save(path, lg.ByteTensor(picture))
                pixels[path] = picture.astype(np.float64) / 255
    return pixels


def _opt(root, **changes):
    opt = {'data': str(root / 'raw'), 'cache': str(root / 'cache'), 'save': str(root / 'cache'), 'manualSeed': 2,
           'nDonkeys': 2, 'imageSize': 10, 'cropSize': 8, 'nClasses': 3, 'batchSize': 4, 'epochSize': 3,
           'meanstdSamples': 12, 'LR': 0.5, 'momentum': 0.9, 'weightDecay': 0, 'tensorType': 'torch.FloatTensor'}
    opt.update(changes)
    return opt


@pytest.fixture
def tree(tmp_path):
    pytest.importorskip('PIL')
    pixels = _tree(tmp_path / 'raw')
    os.makedirs(tmp_path / 'cache')
    return tmp_path, pixels


def _numpy_meanstd(opt, loader, pixels):
    """donkey.lua's estimation redone in NumPy on the PNG files' pixels: the same draws from a generator seeded as
    main.lua seeds it (the test loader's ``split = 0`` draws one permutation per class first), the crop at
    ``(ceil(uniform(0.01, 2)), ...)``, the flip, then the per-channel means and (n - 1) standard deviations."""
    lg.manualSeed(opt['manualSeed'])
    for c in range(3):
        lg.randperm(2)
    paths_of = [[ffi.string(lg.data(loader.imagePath[int(k)])) for k in loader.classList[c]] for c in range(3)]

    def draw():
        cls = lg.random(0, 3)
        index = max(1, math.ceil(lg.uniform() * len(paths_of[cls]))) - 1
        h1, w1 = math.ceil(lg.uniform(1e-2, 2)), math.ceil(lg.uniform(1e-2, 2))
        crop = pixels[paths_of[cls][index]][:, h1:h1 + 8, w1:w1 + 8]
        return crop[:, :, ::-1] if lg.uniform() > 0.5 else crop

    n = opt['meanstdSamples']
    mean = sum(draw().reshape(3, -1).mean(1) for _ in range(n)) / n
    std = sum(draw().reshape(3, -1).std(1, ddof=1) for _ in range(n)) / n
    return mean, std


def test_single_threaded_donkey_builds_the_caches_and_estimates_mean_and_std(tree, capsys):
    """``nDonkeys = 0``: donkey.lua runs in the main thread, lists the pictures through the shell pipeline, saves
    trainCache/testCache (a dataLoader object, lg.register'ed as the Lua's torch.class) and meanstdCache, and
    its mean/std equal a NumPy computation over the same pictures and draws."""
    root, pixels = tree
    opt = _opt(root, nDonkeys=0)
    lg.manualSeed(opt['manualSeed'])     # main.lua
    donkeys, classes, nTest = data_lua(opt)
    out = capsys.readouterr().out
    assert 'Creating train metadata' in out and 'Creating test metadata' in out and '12 samples found.' in out
    assert sorted(classes) == CLASSES and nTest == 6 and lg.load(paths.concat(opt['save'], 'classes.t7')) == classes
    G = threads.local
    train, test = G.trainLoader, G.testLoader
    assert test.classes == train.classes                  # forceClasses
    for loader, split in ((train, 'train'), (test, 'val')):
        listed = [ffi.string(lg.data(loader.imagePath[i])) for i in range(loader.size())]
        assert sorted(listed) == sorted(p for p in pixels if f'/{split}/' in p)
        assert [loader.classes[int(c)] for c in loader.imageClass] == [paths.basename(paths.dirname(p))
                                                                       for p in listed]
        assert [loader.size(c) for c in range(3)] == [loader.size(name) for name in loader.classes]
        assert loader.imagePath.size(1) == max(len(p) for p in listed) + 1
    assert test.testIndicesSize == 6 and sorted(test.testIndices.totable()) == list(range(6))
    cached = lg.load(paths.concat(opt['cache'], 'trainCache.t7'))
    assert type(cached) is dataLoader and cached.classListSample is cached.classList
    assert cached.sampleHookTrain is None and np.array_equal(cached.imagePath.numpy(), train.imagePath.numpy())

    mean, std = _numpy_meanstd(opt, train, pixels)
    assert np.allclose(G.mean, mean, atol=1e-6) and np.allclose(G.std, std, atol=1e-5)
    assert lg.load(paths.concat(opt['cache'], 'meanstdCache.t7')) == {'mean': G.mean, 'std': G.std}


def test_donkeys_reuse_the_caches_and_deliver_every_test_image_once(tree, capsys):
    """Two donkey threads load the three caches written by a first run; test.lua's loop over
    ``testLoader:get`` hands every validation picture once, each the centre crop normalised by the cached
    mean/std, with the label of its folder. A missing cache is rebuilt."""
    root, pixels = tree
    opt = _opt(root)
    lg.manualSeed(opt['manualSeed'])
    data_lua(_opt(root, nDonkeys=0))
    mean, std = threads.local.mean, threads.local.std
    capsys.readouterr()
    donkeys, classes, nTest = data_lua(opt)
    out = capsys.readouterr().out
    assert out.count('Loading train metadata from cache') == 2 and out.count('Loaded mean and std from cache.') == 2
    assert 'Creating' not in out and 'Starting donkey with id: 1 seed: 3' in out

    got = []
    lua_test(opt, donkeys, nTest, lambda inputs, labels: got.append((inputs.numpy().copy(), labels.totable())))
    assert sorted(len(labels) for _, labels in got) == [2, 4]
    rows = [(row, label) for inputs, labels in got for row, label in zip(inputs, labels)]
    expected = {}
    for path, picture in pixels.items():
        if '/val/' in path:
            crop = picture[:, 1:9, 1:9]          # w1 = h1 = ceil((10 - 8) / 2)
            expected[path] = ((crop - np.array(mean)[:, None, None]) / np.array(std)[:, None, None],
                              classes.index(paths.basename(paths.dirname(path))))
    seen = []
    for row, label in rows:
        path = min(expected, key=lambda p: np.abs(expected[p][0] - row).max())
        assert np.abs(expected[path][0] - row).max() < 1e-5 and expected[path][1] == label
        seen.append(path)
    assert sorted(seen) == sorted(expected)
    donkeys.terminate()

    os.remove(paths.concat(opt['cache'], 'testCache.t7'))
    donkeys, _, _ = data_lua(_opt(root, nDonkeys=1))
    out = capsys.readouterr().out
    assert 'Creating test metadata' in out and 'Loading train metadata from cache' in out
    assert paths.filep(paths.concat(opt['cache'], 'testCache.t7'))
    donkeys.terminate()


def _training(root, **changes):
    """data.lua then train.lua's train() for two epochs on a linear classifier; the batches it trained on."""
    opt = _opt(root, **changes)
    lg.manualSeed(opt['manualSeed'])
    donkeys, classes, nTest = data_lua(opt)
    model = nn.Sequential().add(nn.View(3 * 8 * 8)).add(nn.Linear(3 * 8 * 8, 3)).add(nn.LogSoftMax())
    model.type(opt['tensorType'])
    criterion = nn.ClassNLLCriterion().type(opt['tensorType'])
    seen = []
    original = model.forward
    model.forward = lambda x: (seen.append(x.float().numpy().copy()), original(x))[1]
    train = train_lua(opt, donkeys, model, criterion)
    epochs = [train(epoch) for epoch in (1, 2)]
    donkeys.terminate()
    return epochs, seen


@pytest.mark.parametrize('tensorType', ['torch.FloatTensor', pytest.param('torch.CudaTensor', marks=pytest.mark.gpu)])
def test_train_loop_on_donkey_batches(tree, tensorType):
    """train.lua's loop: ``opt.epochSize`` sample jobs whose ending callback trains; batches ``4 x 3 x 8 x 8``;
    the loss falls over two epochs. One donkey seeded ``manualSeed + 0`` gives the same batches twice (with two,
    which donkey draws which batch is up to the scheduler, in the Lua too)."""
    root, _ = tree
    lg.manualSeed(2)
    data_lua(_opt(root, nDonkeys=0))      # caches and mean/std
    first, seen = _training(root, nDonkeys=1, tensorType=tensorType)
    again, seen2 = _training(root, nDonkeys=1, tensorType=tensorType)
    assert [s.shape for s in seen] == [(4, 3, 8, 8)] * 6
    assert all(np.array_equal(a, b) for a, b in zip(seen, seen2)) and first == again
    assert first[1][0] < first[0][0]
    two, _ = _training(root, nDonkeys=2, epochSize=4, tensorType=tensorType)
    assert two[1][0] < two[0][0] and 0 <= two[1][1] <= 100


def test_process_donkeys_give_the_threads_batches(tree):
    """The donkeys on legonn's process backend (``opt.backend``; each worker process runs donkey() and loads the
    caches) give test.lua the same batches as donkey threads."""
    root, _ = tree
    lg.manualSeed(2)
    data_lua(_opt(root, nDonkeys=0))
    batches = {}
    for backend in ('thread', 'process'):
        opt = _opt(root, backend=backend)
        donkeys, _, nTest = data_lua(opt)
        got = []
        lua_test(opt, donkeys, nTest, lambda inputs, labels: got.append((labels.totable(), inputs.numpy().copy())))
        batches[backend] = sorted(got, key=lambda b: b[1].sum())
        donkeys.terminate()
    assert [len(b[0]) for b in batches['process']] in ([2, 4], [4, 2])
    assert all(a[0] == b[0] and np.array_equal(a[1], b[1]) for a, b in zip(batches['thread'], batches['process']))


def test_a_failing_job_is_reported_not_hung(tree):
    """A picture deleted after the caches were made fails its ``get`` job: ``donkeys:synchronize()`` raises a
    JobError naming the file instead of hanging, and the pool still terminates."""
    root, pixels = tree
    lg.manualSeed(2)
    data_lua(_opt(root, nDonkeys=0))
    missing = next(p for p in pixels if '/val/' in p)
    os.remove(missing)
    opt = _opt(root)
    donkeys, _, nTest = data_lua(opt)
    donkeys.timeout = 30
    with pytest.raises(threads.JobError, match=r'(?s)_testJob.*' + missing.split('/raw/')[1]):
        lua_test(opt, donkeys, nTest, lambda inputs, labels: None)
    donkeys.terminate()
    assert not donkeys.isrunning()
