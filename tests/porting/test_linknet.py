"""e-lab/LinkNet ported line by line: models/model.lua, models/model-res-dec.lua and models/nobypass.lua (the
pretrained ResNet-18 cut after its fourth stage, its stages reused in the recursive ``bypass2dec``/``enc_dec``
encoder-decoder, the ``decode`` blocks of 1x1 convolutions and a SpatialFullConvolution with an output adjustment,
model-res-dec's upsampled residual with SpatialUpSamplingBilinear, the class weights from the label histogram and
cudnn.SpatialCrossEntropyCriterion), train.lua (the rmsprop closure and the training confusion over the classes
after 'Unlabeled'), test.lua (the test loop, optim.Logger, the confusion matrices written to files, IoU, iIoU and
global accuracy, the best-metric bookkeeping and the model files), data/loadCamVid.lua (rescaleRemapData's
``image.scale`` and ``apply`` of the class map, the cache, the mean subtraction, ``torch.histc``),
data/loadCityscapes.lua (the leftImg8bit/gtFine PNG tree walked with ``paths.iterdirs``/``iterfiles``, pl.path and
``string.gsub``, its two loops written as one), opts.lua (``pl.lapp``) and main.lua's epoch loop.

The downloads are generated: the pretrained ``resnet-18.t7`` is a stand-in built as fb.resnet.torch's
models/resnet.lua builds the ImageNet ResNet-18 (random weights), and prepCamVid.lua's ``trainTestVal.t7`` is a few
random pictures with CamVid's raw label ids, and the Cityscapes tree a few PNG files. The Lua's constant split sizes
(367/233/101 pictures) are module fields the tests shrink. As tests/porting/test_enet.py, ``model:cuda()``,
``loss:cuda()`` and the CUDA minibatch buffers happen where ``opt.cuda`` says (the GPU test); the Lua always moves
them. Class ids are 0-based: the class map's ``{1}`` ... ``{12}`` are ``[0]`` ... ``[11]`` and ``histc`` counts from
0 to ``#classes - 1``. A dataset's ``size`` function is not saved with it: Torch7 writes the closure's code into the
cache, legonn stores no code (docs/porting.md), so the cache holds the tensors and the loader puts ``size`` back.
"""
import math
import os
import re
import sys

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, cutorch, image, nn, optim, paths, xlua
from legonn import sys as lsys
from legonn.pl import lapp, path

opt = None          # main.lua's global opt
trainError = None   # train.lua's global, read by test.lua


# --- opts.lua ---------------------------------------------------------------------------------------------------

def parse(arg):
    return lapp('''
   Command line options:
   Training Related:
   -r,--learningRate       (default 5e-4)        learning rate
   -d,--learningRateDecay  (default 1e-7)        learning rate decay (in # samples)
   -w,--weightDecay        (default 2e-4)        L2 penalty on the weights
   -m,--momentum           (default 0.9)         momentum
   -b,--batchSize          (default 8)           batch size
   --maxepoch              (default 300)         maximum number of training epochs
   --plot                                        plot training/testing error
   --showPlot                                    display the plots
   --lrDecayEvery          (default 100)         Decay learning rate every X epoch by 1e-1

   Device Related:
   -t,--threads            (default 8)           number of threads
   -i,--devid              (default 1)           device ID (if using CUDA)
   --nGPU                  (default 4)           number of GPUs you want to train on
   --save                  (default /media/)     save trained model here

   Dataset Related:
   --channels              (default 3)
   --datapath              (default /media/)     dataset location
   --dataset               (default cs)          dataset type: cv(CamVid)/cvs(CamVidSeg)/cs(cityscapes)/su(SUN)/rp(representation)
   --cachepath             (default /media/)     cache directory to save the loaded dataset
   --imHeight              (default 512)         image height  (576 cv/512 cs)
   --imWidth               (default 1024)        image width   (768 cv/1024 cs)

   Model Related:
   --model                 (default models/model.lua)
                           Path of model definition
   --pretrained            (default /media/HDD1/Models/pretrained/resnet-18.t7)
                           pretrained encoder for which you want to train your decoder

   Saving/Displaying Information:
   --saveTrainConf                               Save training confusion matrix
   --saveAll                                     Save all models and confusion matrices
   --printNorm                                   For visualize norm factor while training
 ''', arg)


# --- data/loadCamVid.lua ----------------------------------------------------------------------------------------

trsize = 367
tesize = 233
vasize = 101

# (the 32 CamVid names the Lua lists first are replaced by the 12 below before any use)
classMap = {25: [0],   # Animal
            50: [2],   # Archway
            11: [10],  # Bicyclist
            9: [2],    # Bridge
            32: [2],   # Building
            18: [8],   # Car
            19: [9],   # CartLuggagePram
            57: [9],   # Child
            62: [7],   # ColumnPole
            22: [3],   # Fence
            35: [1],   # LaneMkgsDiv
            49: [1],   # LaneMkgsNonDiv
            41: [6],   # MiscText
            51: [10],  # MotorcycleScooter
            37: [8],   # OtherMoving
            30: [5],   # ParkingBlock
            20: [9],   # Pedestrian
            38: [1],   # Road
            43: [1],   # RoadShoulder
            3: [5],    # Sidewalk
            58: [6],   # SignSymbol
            42: [11],  # Sky
            27: [8],   # SUVPickupTruck
            1: [7],    # TrafficCone
            5: [6],    # TrafficLight
            54: [8],   # Train
            40: [4],   # Tree
            59: [8],   # TruckBus
            17: [2],   # Tunnel
            60: [4],   # VegetationMisc
            0: [0],    # Void
            28: [3]}   # Wall

classes = ['Unlabeled',    # 0
           'Road',         # 1
           'Building',     # 2
           'Fence',        # 3
           'Tree',         # 4
           'Sidewalk',     # 5
           'SignSymbol',   # 6
           'ColumnPole',   # 7
           'Car',          # 8
           'Pedestrian',   # 9
           'Bicyclist',    # 10
           'Sky']          # 11
conClasses = classes[1:]


def loadCamVid():
    dirRoot = opt['datapath']
    red, green, uline, resetCol = '\27[31m', '\27[32m', '\27[4m', '\27[0m'
    print('\n\27[31m\27[4mLoading CamVid dataset\27[0m\27[31m ...\27[0m')
    print('# of classes: ' + str(len(classes)) + ', classes: ', classes)

    # Initialize data structures:
    trainData = {
        'data': lg.FloatTensor(trsize, opt['channels'], opt['imHeight'], opt['imWidth']),
        'labels': lg.FloatTensor(trsize, opt['imHeight'], opt['imWidth']),
        'preverror': 1e10,  # a really huge number
        'size': lambda: trsize,
    }
    testData = {
        'data': lg.FloatTensor(tesize, opt['channels'], opt['imHeight'], opt['imWidth']),
        'labels': lg.FloatTensor(tesize, opt['imHeight'], opt['imWidth']),
        'preverror': 1e10,
        'size': lambda: tesize,
    }
    valData = {
        'data': lg.FloatTensor(vasize, opt['channels'], opt['imHeight'], opt['imWidth']),
        'labels': lg.FloatTensor(vasize, opt['imHeight'], opt['imWidth']),
        'preverror': 1e10,
        'size': lambda: vasize,
    }

    def rescaleRemapData(sourceData, destData):
        dataSize = destData['size']()
        for i in range(dataSize):
            xlua.progress(i, dataSize)
            destData['data'][i] = image.scale(sourceData['data'][i], opt['imWidth'], opt['imHeight'])
            tempLabel = sourceData['labels'][i]

            # Remap labels based on new class mapping
            tempLabel.apply(lambda x: classMap[x][0])
            # (.trunc(): the bilinear scale gives boundary pixels fractional labels, which Torch7's criterions
            # truncate and legonn's refuse; docs/porting.md)
            destData['labels'][i] = image.scale(tempLabel, opt['imWidth'], opt['imHeight']).trunc()

    # Main section
    loadedFromCache = False
    dirName = str(opt['imHeight']) + '_' + str(opt['imWidth'])
    cacheDir = paths.concat(opt['cachepath'], dirName)
    camvidCachePath = paths.concat(cacheDir, 'trainData.t7')

    if not paths.dirp(cacheDir):
        paths.mkdir(cacheDir)

    if opt['cachepath'] != "none" and paths.filep(camvidCachePath):
        print('\27[32mData cache found at: \27[0m\27[4m' + cacheDir + '\27[0m')
        trainData = dict(lg.load(camvidCachePath), size=lambda: trsize)
        camvidCachePath = paths.concat(cacheDir, 'testData.t7')
        testData = dict(lg.load(camvidCachePath), size=lambda: tesize)
        loadedFromCache = True
    else:
        # (prepCamVid.lua, which reads the CamVid videos, is not ported: the tests write trainTestVal.t7)
        print('Loading dataset as tensor from: ' + uline + opt['cachepath'] + '/trainTestVal.t7' + resetCol)
        dataCache = lg.load(opt['cachepath'] + '/trainTestVal.t7')
        print(red + 'Rescaling training set' + resetCol)
        rescaleRemapData(dataCache['trainData'], trainData)

        print(red + 'Rescaling testing set' + resetCol)
        rescaleRemapData(dataCache['testData'], testData)

        print(red + 'Rescaling validation set' + resetCol)
        rescaleRemapData(dataCache['valData'], valData)

    print("%s# of training   data:%s %d" % (green, resetCol, trainData['size']()))
    print("%s# of validation data:%s %d" % (green, resetCol, valData['size']()))
    print("Frame res is: %dx%dx%d" % (
        trainData['data'].size(1), trainData['data'].size(2), trainData['data'].size(3)))

    if opt['cachepath'] != "none" and not loadedFromCache:
        print('==> Saving data to cache: ' + cacheDir)
        # (the size functions stay out: legonn.save stores no code)
        camvidCachePath = paths.concat(cacheDir, 'trainData.t7')
        lg.save(camvidCachePath, {k: v for k, v in trainData.items() if k != 'size'})
        camvidCachePath = paths.concat(cacheDir, 'testData.t7')
        lg.save(camvidCachePath, {k: v for k, v in testData.items() if k != 'size'})
        camvidCachePath = paths.concat(cacheDir, 'valData.t7')
        lg.save(camvidCachePath, {k: v for k, v in valData.items() if k != 'size'})

    print('==> Normalizing data')

    # It's always good practice to verify that data is properly
    # normalized.
    trainMean = lg.mean(trainData['data'], 0)

    for i in range(trainData['data'].size(0)):
        trainData['data'][i].add(-trainMean)
    for i in range(valData['data'].size(0)):
        valData['data'][i].add(-trainMean)
    for i in range(testData['data'].size(0)):
        testData['data'][i].add(-trainMean)
    lg.save(paths.concat(opt['cachepath'], dirName, 'stat.t7'), trainMean)

    classes_td = ['classes,targets\n']
    for cat in classes:
        classes_td.append(cat + ',1\n')

    file = open(paths.concat(opt['save'], 'categories.txt'), 'w')
    file.write(''.join(classes_td))
    file.close()

    histClasses = lg.histc(trainData['labels'].double(), len(classes), 0, len(classes) - 1)

    # Exports
    opt['dataClasses'] = classes
    opt['dataconClasses'] = conClasses
    opt['datahistClasses'] = histClasses

    # Chose if you want to send test data or validation data
    return {
        'trainData': trainData,
        'testData': testData,
    }


# --- data/loadCityscapes.lua ------------------------------------------------------------------------------------

CITYSCAPES_SIZES = (2975, 500)   # trsize, tesize: cityscape train and validation images


def loadCityscapes():
    trsize, tesize = CITYSCAPES_SIZES
    classes = ['Unlabeled', 'Road', 'Sidewalk', 'Building', 'Wall', 'Fence',
               'Pole', 'TrafficLight', 'TrafficSign', 'Vegetation', 'Terrain',
               'Sky', 'Person', 'Rider', 'Car', 'Truck',
               'Bus', 'Train', 'Motorcycle', 'Bicycle']
    conClasses = ['Road', 'Sidewalk', 'Building', 'Wall', 'Fence',
                  'Pole', 'TrafficLight', 'TrafficSign', 'Vegetation', 'Terrain',
                  'Sky', 'Person', 'Rider', 'Car', 'Truck',
                  'Bus', 'Train', 'Motorcycle', 'Bicycle']  # 19 classes

    nClasses = len(classes)

    # Ignoring unnecessary classes
    classMap = {-1: [0],   # licence plate
                0: [0],    # Unlabeled
                1: [0],    # Ego vehicle
                2: [0],    # Rectification border
                3: [0],    # Out of roi
                4: [0],    # Static
                5: [0],    # Dynamic
                6: [0],    # Ground
                7: [1],    # Road
                8: [2],    # Sidewalk
                9: [0],    # Parking
                10: [0],   # Rail track
                11: [3],   # Building
                12: [4],   # Wall
                13: [5],   # Fence
                14: [0],   # Guard rail
                15: [0],   # Bridge
                16: [0],   # Tunnel
                17: [6],   # Pole
                18: [0],   # Polegroup
                19: [7],   # Traffic light
                20: [8],   # Traffic sign
                21: [9],   # Vegetation
                22: [10],  # Terrain
                23: [11],  # Sky
                24: [12],  # Person
                25: [13],  # Rider
                26: [14],  # Car
                27: [15],  # Truck
                28: [16],  # Bus
                29: [0],   # Caravan
                30: [0],   # Trailer
                31: [17],  # Train
                32: [18],  # Motorcycle
                33: [19],  # Bicycle
                }

    # saving training histogram of classes
    histClasses = lg.Tensor(len(classes)).zero()

    print('\n\27[31m\27[4mLoading cityscape dataset\27[0m')
    print('# of classes: ' + str(len(classes)))

    loadedFromCache = False
    dirName = str(opt['imHeight']) + '_' + str(opt['imWidth'])
    paths.mkdir(paths.concat(opt['cachepath'], dirName))
    cityscapeCachePath = paths.concat(opt['cachepath'], dirName, 'data.t7')

    if opt['cachepath'] != "none" and paths.filep(cityscapeCachePath):
        print('\27[32mData cache found at: \27[0m\27[4m' + cityscapeCachePath + '\27[0m')
        dataCache = lg.load(cityscapeCachePath)
        trainData = dict(dataCache['trainData'], size=lambda: trsize)
        testData = dict(dataCache['testData'], size=lambda: tesize)
        histClasses = dataCache['histClasses']
        loadedFromCache = True
        dataCache = None
    else:
        print("Classes are:")
        print(classes)

        def has_image_extensions(filename):
            ext = path.extension(filename).lower()

            # compare with list of image extensions
            img_extensions = ['.jpeg', '.jpg', '.png', '.ppm', '.pgm']
            for i in range(len(img_extensions)):
                if ext == img_extensions[i]:
                    return True
            return False

        # initialize data structures:
        trainData = {
            'data': lg.FloatTensor(trsize, opt['channels'], opt['imHeight'], opt['imWidth']),
            'labels': lg.FloatTensor(trsize, opt['imHeight'], opt['imWidth']),
            'preverror': 1e10,  # a really huge number
            'size': lambda: trsize,
        }

        testData = {
            'data': lg.FloatTensor(tesize, opt['channels'], opt['imHeight'], opt['imWidth']),
            'labels': lg.FloatTensor(tesize, opt['imHeight'], opt['imWidth']),
            'preverror': 1e10,  # a really huge number
            'size': lambda: tesize,
        }

        for split, data, size in (('train', trainData, trsize), ('val', testData, tesize)):
            # (the Lua writes the training and the testing loop out; they differ in the histogram alone)
            print('==> Loading ' + ('training' if split == 'train' else 'testing') + ' files')
            dpathRoot = opt['datapath'] + '/leftImg8bit/' + split + '/'

            assert paths.dirp(dpathRoot), 'No training folder found at: ' + opt['datapath']
            # load images and labels:
            c = 0
            for dir in paths.iterdirs(dpathRoot):
                dpath = dpathRoot + dir + '/'
                for file in paths.iterfiles(dpath):

                    # process each image
                    if has_image_extensions(file) and c < size:
                        imgPath = path.join(dpath, file)

                        # load images:
                        dataTemp = image.load(imgPath)
                        data['data'][c] = image.scale(dataTemp, opt['imWidth'], opt['imHeight'])

                        # Load labels with same filename as input image.
                        imgPath = re.sub("leftImg8bit", "gtFine", imgPath)
                        imgPath = re.sub(".png", "_labelIds.png", imgPath)

                        # label image data are resized to be [1,nClasses] in [0 255] scale:
                        labelIn = image.load(imgPath, 1, 'byte')
                        labelFile = image.scale(labelIn, opt['imWidth'], opt['imHeight'], 'simple').float()

                        labelFile.apply(lambda x: classMap[x][0])

                        if split == 'train':
                            # Syntax: histc(data, bins, min, max)
                            histClasses = histClasses + lg.histc(labelFile, len(classes), 0, len(classes) - 1)

                        # convert to int and write to data structure:
                        data['labels'][c] = labelFile

                        c = c + 1
                        if (c + 1) % 20 == 0:
                            xlua.progress(c, size)
            print('')

    if opt['cachepath'] != "none" and not loadedFromCache:
        print('\27[32m' + '==> Saving data to cache: \27[0m' + cityscapeCachePath)
        dataCache = {
            'trainData': {k: v for k, v in trainData.items() if k != 'size'},   # (no code saved)
            'testData': {k: v for k, v in testData.items() if k != 'size'},
            'histClasses': histClasses,
        }
        lg.save(cityscapeCachePath, dataCache)
        dataCache = None

    print('==> Normalizing data')

    # It's always good practice to verify that data is properly
    # normalized.
    trainMean = lg.zeros(3, trainData['data'].size(2), trainData['data'].size(3))
    for i in range(opt['channels']):
        trainMean[i] = trainData['data'][:, i, :, :].mean()

    for i in range(trainData['data'].size(0)):
        trainData['data'][i].add(-trainMean)
    for i in range(testData['data'].size(0)):
        testData['data'][i].add(-trainMean)
    lg.save(paths.concat(opt['cachepath'], dirName, 'stat.t7'), trainMean)

    classes_td = ['classes,targets\n']
    for cat in classes:
        classes_td.append(cat + ',1\n')

    file = open(paths.concat(opt['save'], 'categories.txt'), 'w')
    file.write(''.join(classes_td))
    file.close()

    # Exports
    opt['dataClasses'] = classes
    opt['dataconClasses'] = conClasses
    opt['datahistClasses'] = histClasses

    return {
        'trainData': trainData,
        'testData': testData,
    }


# --- models/model.lua, models/model-res-dec.lua, models/nobypass.lua --------------------------------------------

def ConvInit(v):
    n = v.kW * v.kH * v.nOutputPlane
    v.weight.normal(0, math.sqrt(2 / n))


def BNInit(v):
    v.weight.fill(1)
    v.bias.zero()


def linknet(variant):
    """The three model files, which differ in ``decode`` and in the bypass: 'model', 'model-res-dec' or
    'nobypass'. Returns ``{model, loss}`` as each file does (``loss`` is also the Lua's global)."""
    global loss
    histClasses = opt['datahistClasses']
    classes = opt['dataClasses']

    print('\n\27[31m\27[4mConstructing Neural Network\27[0m')

    print('Using pretrained ResNet-18')
    # loading model
    oModel = lg.load(opt['pretrained'])

    # Getting rid of classifier
    oModel.remove(10)
    oModel.remove(9)
    oModel.remove(8)
    # Last layer is size 512x8x8

    # Function and variable definition
    iChannels = 64
    Convolution = cudnn.SpatialConvolution
    Avg = nn.SpatialAveragePooling
    ReLU = nn.ReLU
    Max = nn.SpatialMaxPooling
    SBatchNorm = nn.SpatialBatchNormalization

    # Handles decoder
    def decode(iFeatures, oFeatures, stride, adjS):
        if variant == 'model-res-dec':
            mainBlock = nn.Sequential()
            mainBlock.add(nn.SpatialFullConvolution(iFeatures, oFeatures, 3, 3, stride, stride, 1, 1, adjS, adjS))
            mainBlock.add(SBatchNorm(oFeatures, 1e-3))
            mainBlock.add(nn.ReLU(True))
            mainBlock.add(Convolution(oFeatures, oFeatures, 1, 1, 1, 1, 0, 0))
            mainBlock.add(SBatchNorm(oFeatures, 1e-3))

            residual = nn.Sequential()
            residual.add(Convolution(iFeatures, oFeatures, 1, 1, 1, 1, 0, 0))
            residual.add(SBatchNorm(oFeatures, 1e-3))
            residual.add(nn.SpatialUpSamplingBilinear(stride))

            # Initialization
            for i in range(2):
                ConvInit(mainBlock.get(0))
                ConvInit(mainBlock.get(3))
                ConvInit(residual.get(0))

                BNInit(mainBlock.get(1))
                BNInit(mainBlock.get(4))
                BNInit(residual.get(1))

            return nn.Sequential() \
                .add(nn.ConcatTable()
                     .add(mainBlock)
                     .add(residual)) \
                .add(nn.CAddTable(True)) \
                .add(ReLU(True))

        mainBlock = nn.Sequential()
        mainBlock.add(Convolution(iFeatures, iFeatures / 4, 1, 1, 1, 1, 0, 0))
        mainBlock.add(SBatchNorm(iFeatures / 4, 1e-3))
        mainBlock.add(nn.ReLU(True))
        mainBlock.add(nn.SpatialFullConvolution(iFeatures / 4, iFeatures / 4, 3, 3, stride, stride, 1, 1, adjS, adjS))
        mainBlock.add(SBatchNorm(iFeatures / 4, 1e-3))
        mainBlock.add(nn.ReLU(True))
        mainBlock.add(Convolution(iFeatures / 4, oFeatures, 1, 1, 1, 1, 0, 0))
        mainBlock.add(SBatchNorm(oFeatures, 1e-3))
        mainBlock.add(nn.ReLU(True))

        # Initialization
        for i in range(2):
            ConvInit(mainBlock.get(0))
            ConvInit(mainBlock.get(3))
            ConvInit(mainBlock.get(6))

            BNInit(mainBlock.get(1))
            BNInit(mainBlock.get(4))
            BNInit(mainBlock.get(7))

        return mainBlock

    # Creates count residual blocks with specified number of features
    def layer(layerN, features):
        nonlocal iChannels
        iChannels = features
        s = nn.Sequential()
        for i in range(2):
            s.add(oModel.get(4 + layerN - 1).get(i))
        return s

    # Creates bypass modules for decoders
    def bypass2dec(features, layers, stride, adjS):
        container = nn.Sequential()
        accum = nn.ConcatTable()
        prim = nn.Sequential()     # Container for encoder
        oFeatures = iChannels

        accum.add(prim).add(nn.Identity())

        # Add the bottleneck modules
        prim.add(layer(layers, features))
        if layers == 4:
            # DECODER
            prim.add(decode(features, oFeatures, 2, 1))
            return container.add(accum).add(nn.CAddTable()).add(nn.ReLU(True))

        # Move on to next bottleneck
        prim.add(bypass2dec(2 * features, layers + 1, 2, 1))

        # Add decoder module
        prim.add(decode(features, oFeatures, stride, adjS))
        return container.add(accum).add(nn.CAddTable()).add(nn.ReLU(True))

    # Creates the encoder-decoder without bypass (nobypass.lua)
    def enc_dec(features, layers, stride, adjS):
        accum = nn.Sequential()
        oFeatures = iChannels

        # Add the bottleneck modules
        accum.add(layer(layers, features))
        if layers == 4:
            # DECODER
            accum.add(decode(features, oFeatures, 2, 1))
            return accum

        # Move on to next bottleneck
        accum.add(enc_dec(2 * features, layers + 1, 2, 1))

        # Add decoder module
        accum.add(decode(features, oFeatures, stride, adjS))
        return accum

    # Model definition starts
    if variant != 'model-res-dec' and paths.filep(opt['save'] + '/all/model-last.net'):
        model = lg.load(opt['save'] + '/all/model-last.net')
    else:
        model = nn.Sequential()

        model.add(oModel.get(0))
        model.add(oModel.get(1))
        model.add(oModel.get(2))

        model.add(oModel.get(3))
        model.add(enc_dec(64, 1, 1, 0) if variant == 'nobypass' else bypass2dec(64, 1, 1, 0))

        # Decoder section without bypassed information
        model.add(nn.SpatialFullConvolution(64, 32, 3, 3, 2, 2, 1, 1, 1, 1))
        model.add(SBatchNorm(32))
        model.add(ReLU(True))
        # 64x128x128
        model.add(Convolution(32, 32, 3, 3, 1, 1, 1, 1))
        model.add(SBatchNorm(32, 1e-3))
        model.add(ReLU(True))
        # 32x128x128
        model.add(nn.SpatialFullConvolution(32, len(classes), 2, 2, 2, 2, 0, 0, 0, 0))
        # Model definition ends here

        # Initialize convolutions and batch norm existing in later stage of decoder
        for i in range(2):
            ConvInit(model.get(len(model) - 1))
            ConvInit(model.get(len(model) - 1))
            ConvInit(model.get(len(model) - 4))
            ConvInit(model.get(len(model) - 4))
            ConvInit(model.get(len(model) - 7))
            ConvInit(model.get(len(model) - 7))

            BNInit(model.get(len(model) - 3))
            BNInit(model.get(len(model) - 3))
            BNInit(model.get(len(model) - 6))
            BNInit(model.get(len(model) - 6))

    if opt['cuda'] and cutorch.getDeviceCount() > 1:
        gpu_list = []
        for i in range(cutorch.getDeviceCount()):
            gpu_list.append(i)
        model = nn.DataParallelTable(0, True, variant == 'model-res-dec').add(model.cuda(), gpu_list)
        print('\27[32m' + str(opt['nGPU']) + " GPUs being used\27[0m")

    # Loss: NLL
    print('Defining loss function...')
    classWeights = lg.pow(lg.log(1.02 + histClasses / histClasses.max()), -1)
    if variant == 'model-res-dec':
        classWeights[0] = 0

    loss = cudnn.SpatialCrossEntropyCriterion(classWeights)

    if opt['cuda']:    # the Lua always moves them: legonn's CPU tests leave them on the host
        model.cuda()
        loss.cuda()

    # return package:
    return {
        'model': model,
        'loss': loss,
    }


# --- train.lua --------------------------------------------------------------------------------------------------

def make_train(t):
    """train.lua's chunk (run once by ``require 'train'``): returns its ``train`` function."""
    loss = t['loss']

    # Retrieve parameters and gradients:
    # this extracts and flattens all the trainable parameters of the mode
    # into a 1-dim vector
    model = t['model']
    print('==> Flattening model parameters')
    w, dE_dw = model.getParameters()

    if opt['dataconClasses'] is not None:
        print('\27[31mClass \'Unlabeled\' is ignored in confusion matrix\27[0m')
        confusion = optim.ConfusionMatrix(opt['dataconClasses'])
    else:
        confusion = optim.ConfusionMatrix(opt['dataClasses'])

    learningRateSteps = [0.5e-4, 0.1e-4, 0.5e-5, 0.1e-6]
    optimState = {
        'learningRate': opt['learningRate'],
        'momentum': opt['momentum'],
        'learningRateDecay': opt['learningRateDecay'],
    }

    print('==> Allocating minibatch memory')
    x = lg.Tensor(opt['batchSize'], opt['channels'], opt['imHeight'], opt['imWidth'])
    yt = lg.Tensor(opt['batchSize'], opt['imHeight'], opt['imWidth'])

    if opt['cuda']:
        x = x.cuda()
        yt = yt.cuda()

    def train(trainData, classes, epoch):
        global trainError
        if epoch % opt['lrDecayEvery'] == 0:
            optimState['learningRate'] = optimState['learningRate'] * opt['learningRateDecay']

        time = lsys.clock()

        # total loss error
        err = None
        totalerr = 0

        # This matrix records the current confusion across classes
        # shuffle at each epoch
        shuffle = lg.randperm(trainData['size']())

        model.training()
        for t in range(0, trainData['size'](), opt['batchSize']):
            # disp progress
            xlua.progress(t, trainData['size']())

            # batch fits?
            if (t + 1 + opt['batchSize'] - 1) > trainData['size']():
                break

            # create mini batch
            idx = 0
            for i in range(t, t + opt['batchSize']):
                x[idx] = trainData['data'][shuffle[i]]
                yt[idx] = trainData['labels'][shuffle[i]]
                idx = idx + 1

            # create closure to evaluate f(X) and df/dX
            def eval_E(w):
                nonlocal err
                # reset gradients
                model.zeroGradParameters()

                # evaluate function for complete mini batch
                y = model.forward(x)
                # estimate df/dW
                err = loss.forward(y, yt)            # updateOutput
                dE_dy = loss.backward(y, yt)         # updateGradInput
                model.backward(x, dE_dy)
                # Don't add this to err, so models with different WD
                # settings can be easily compared. optim functions
                # care only about the gradient anyway (adam/rmsprop)
                # dE_dw:add(opt.weightDecay, w)

                # return f and df/dX
                return err, dE_dw

            # optimize on current mini-batch
            _, errt = optim.rmsprop(eval_E, w, optimState)

            if opt['saveTrainConf']:
                # update confusion
                model.evaluate()
                y = model.forward(x).transpose(1, 3).transpose(1, 2)
                y = y.reshape(y.numel() / y.size(3), len(classes)).sub(0, -1, 1, len(opt['dataClasses']) - 1)
                _, predictions = y.max(1)
                predictions = predictions.view(-1)
                k = yt.view(-1)
                if opt['dataconClasses'] is not None:
                    k = k - 1
                confusion.batchAdd(predictions, k)
                model.training()

            totalerr = totalerr + err

        # time taken
        time = lsys.clock() - time
        time = time / trainData['size']()
        print('\n==> Time to learn 1 sample = %2.2f, %s' % ((time * 1000), 'ms'))

        # print average error in train dataset
        totalerr = totalerr / (trainData['size']() * (len(opt['dataconClasses'])) / opt['batchSize'])

        trainError = totalerr
        return confusion, model, loss

    return train


# --- test.lua ---------------------------------------------------------------------------------------------------

def make_test():
    """test.lua's chunk: returns its global ``test`` function."""
    global errorLogger
    # Logger:
    errorLogger = optim.Logger(paths.concat(opt['save'], 'error.log'))

    print('==> defining test procedure')

    if opt['dataconClasses'] is not None:
        testConf = optim.ConfusionMatrix(opt['dataconClasses'])
    else:
        testConf = optim.ConfusionMatrix(opt['dataClasses'])

    best_IoU = [0, 0]      # Value, epoch #
    best_iIoU = [0, 0]
    best_GAcc = [0, 0]
    best_error = [10e4, 0]
    metricName = ['testError', 'IoU', 'iIoU', 'GAcc']
    metricFlag = [0, 0, 0, 0]    # Flag to save values in best-number.txt

    # Batch test:
    x = lg.Tensor(opt['batchSize'], opt['channels'], opt['imHeight'], opt['imWidth'])
    yt = lg.Tensor(opt['batchSize'], opt['imHeight'], opt['imWidth'])
    if opt['cuda']:
        x = x.cuda()
        yt = yt.cuda()

    def saveConfMatrix(filename, teConfMat, trConfMat):
        file = open(filename, 'w')
        file.write("--------------------------------------------------------------------------------\n")
        if opt['saveTrainConf']:
            file.write("Training:\n")
            file.write("================================================================================\n")
            file.write(str(trConfMat))
            file.write("\n--------------------------------------------------------------------------------\n")
        file.write("Testing:\n")
        file.write("================================================================================\n")
        file.write(str(teConfMat))
        file.write("\n--------------------------------------------------------------------------------")
        file.close()

    def gatherBestMetric(currentVal, currentEpoch, metric, metricMode):
        metricIndex = 0
        if metricMode == 1:
            if currentVal < metric[0]:
                metricIndex = 1             # Based on metric name
                metric[0] = currentVal
                metric[1] = currentEpoch
        else:
            if currentVal > metric[0]:
                metricIndex = 1             # Based on metric name
                metric[0] = currentVal
                metric[1] = currentEpoch
        return metricIndex

    # test function
    def test(testData, classes, epoch, trainConf, model, loss):
        # local vars
        time = lsys.clock()
        # total loss error
        err = 0
        totalerr = 0

        # This matrix records the current confusion across classes

        model.evaluate()

        # test over test data
        for t in range(0, testData['size'](), opt['batchSize']):
            # disp progress
            xlua.progress(t, testData['size']())

            # batch fits?
            if (t + 1 + opt['batchSize'] - 1) > testData['size']():
                break

            # create mini batch
            idx = 0
            for i in range(t, t + opt['batchSize']):
                x[idx].copy(testData['data'][i])
                yt[idx].copy(testData['labels'][i])
                idx = idx + 1

            # test sample
            y = model.forward(x)

            err = loss.forward(y, yt)
            y = y.transpose(1, 3).transpose(1, 2)
            y = y.reshape(y.numel() / y.size(3), len(classes)).sub(0, -1, 1, len(opt['dataClasses']) - 1)
            _, predictions = y.max(1)
            predictions = predictions.view(-1)
            k = yt.view(-1)
            if opt['dataconClasses'] is not None:
                k = k - 1
            testConf.batchAdd(predictions, k)

            totalerr = totalerr + err

        # timing
        time = lsys.clock() - time
        time = time / testData['size']()
        print('==> Time to test 1 sample = %2.2f, %s' % ((time * 1000), 'ms'))

        # print average error in train dataset
        totalerr = totalerr / (testData['size']() * (len(opt['dataconClasses'])) / opt['batchSize'])
        print('\nTrain Error: %1.4f' % trainError)
        print('Test  Error: %1.4f' % totalerr)
        # save/log current net
        errorLogger.add({'Training error': trainError,
                         'Testing error': totalerr})
        # (opt.plot's errorLogger:style/display/plot are not ported: no plotting)

        # TODO Get rid of this save. Right now when not saved, metric dont get any values
        # Save the last Confusion Matrix
        filename = paths.concat(opt['save'], 'lastConfusionMatrix.txt')
        saveConfMatrix(filename, testConf, trainConf)

        filename = paths.concat(opt['save'], 'model-last.net')
        lg.save(filename, model.clearState().get(0))

        # Calculate IoU, iIoU, Global Accuracy
        IoU = testConf.averageValid * 100
        iIoU = lg.sum(testConf.unionvalids) / len(opt['dataconClasses']) * 100
        GAcc = testConf.totalValid * 100
        print('\nIoU: %2.2f%% | iIoU : %2.2f%% | AvgAccuracy: %2.2f%%' % (IoU, iIoU, GAcc))

        # See if the latest value is better
        metricFlag[0] = gatherBestMetric(totalerr, epoch, best_error, 1)
        metricFlag[1] = gatherBestMetric(IoU, epoch, best_IoU, 2)
        metricFlag[2] = gatherBestMetric(iIoU, epoch, best_iIoU, 3)
        metricFlag[3] = gatherBestMetric(GAcc, epoch, best_GAcc, 4)

        # Update model and confusion matrix file if better value is found
        updateFile = 0
        dumFlag = 0
        for i in range(4):
            if metricFlag[i] == 1:
                if dumFlag == 0:
                    sys.stdout.write('\27[32mBetter ' + metricName[i])
                else:
                    sys.stdout.write(', ' + metricName[i])
                filename = paths.concat(opt['save'], 'model-' + metricName[i] + '.net')
                lg.save(filename, model.clearState().get(0))

                filename = paths.concat(opt['save'], 'confusionMatrix-' + metricName[i] + '.txt')
                saveConfMatrix(filename, testConf, trainConf)
                metricFlag[i] = 0
                updateFile = 1
                dumFlag = 1
        if dumFlag == 1:
            sys.stdout.write(' found\27[31m!!!\27[0m\n')

        # Update best numbers
        if updateFile == 1:
            filename = paths.concat(opt['save'], 'best-number.txt')
            file = open(filename, 'w')
            file.write("----------------------------------------\n")
            file.write('Best test error: %2.2f, in epoch: %d' % (best_error[0], best_error[1]))
            file.write("\n----------------------------------------\n")
            file.write('Best        IoU: %2.2f, in epoch: %d' % (best_IoU[0], best_IoU[1]))
            file.write("\n----------------------------------------\n")
            file.write('Best       iIoU: %2.2f, in epoch: %d' % (best_iIoU[0], best_iIoU[1]))
            file.write("\n----------------------------------------\n")
            file.write('Best   accuracy: %2.2f, in epoch: %d' % (best_GAcc[0], best_GAcc[1]))
            file.write("\n----------------------------------------\n")
            file.close()

        if opt['saveAll']:
            filename = paths.concat(opt['save'], 'all/model-' + str(epoch) + '.net')
            lg.save(filename, model.clearState().get(0))

            filename = paths.concat(opt['save'], 'all/confusionMatrix-' + str(epoch) + '.txt')
            saveConfMatrix(filename, testConf, trainConf)
        # resetting confusionMatrix
        trainConf.zero()
        testConf.zero()
        return {'IoU': IoU, 'iIoU': iIoU, 'GAcc': GAcc, 'error': totalerr}   # (the Lua prints them only)

    return test


# --- main.lua ---------------------------------------------------------------------------------------------------

MODELS = {'models/model.lua': 'model', 'models/model-res-dec.lua': 'model-res-dec',
          'models/nobypass.lua': 'nobypass'}


def main(arg, cuda=False):
    """main.lua; returns each epoch's test numbers."""
    global opt, t
    opt = parse(arg)
    opt['cuda'] = cuda

    # nb of threads and fixed seed (for repeatable experiments)
    lg.manualSeed(12)
    print('\n\27[32mModels will be saved in \27[0m\27[4m' + opt['save'] + '\27[0m')
    os.system('mkdir -p ' + opt['save'])
    if opt['saveAll']:
        os.system('mkdir -p ' + opt['save'] + '/all')

    if opt['dataset'] == 'cv':
        data = loadCamVid()
    elif opt['dataset'] == 'cs':
        data = loadCityscapes()
    else:
        raise ValueError("Dataset loader not found. (Available options are: cv/cs")

    filename = paths.concat(opt['save'], 'opt.txt')
    file = open(filename, 'w')
    for i, v in opt.items():
        file.write(str(i) + ' : ' + str(v) + '\n')
    file.close()

    epoch = 1

    t = linknet(MODELS[opt['model']])

    train = make_train(t)
    test = make_test()

    print('\27[31m\27[4m\nTraining and testing started\27[0m')
    print('[batchSize = ' + str(opt['batchSize']) + ']')
    results = []
    while epoch < opt['maxepoch']:
        print('\27[31m\27[4m\nEpoch # %d\27[0m' % epoch)
        print('==> Training:')
        trainConf, model, loss = train(data['trainData'], opt['dataClasses'], epoch)
        print('==> Testing:')
        results.append(test(data['testData'], opt['dataClasses'], epoch, trainConf, model, loss))
        trainConf = None
        epoch = epoch + 1
    return results


# --- the stand-ins and the checks -------------------------------------------------------------------------------

def resnet18():
    """The stand-in for the downloaded resnet-18.t7: fb.resnet.torch's models/resnet.lua ImageNet ResNet-18
    (basic blocks, shortcut type B), random weights, 11 modules of which LinkNet removes the last three."""
    def basicblock(nIn, n, stride):
        s = nn.Sequential().add(cudnn.SpatialConvolution(nIn, n, 3, 3, stride, stride, 1, 1)) \
            .add(nn.SpatialBatchNormalization(n)).add(cudnn.ReLU(True)) \
            .add(cudnn.SpatialConvolution(n, n, 3, 3, 1, 1, 1, 1)).add(nn.SpatialBatchNormalization(n))
        short = nn.Identity() if nIn == n else nn.Sequential() \
            .add(cudnn.SpatialConvolution(nIn, n, 1, 1, stride, stride)).add(nn.SpatialBatchNormalization(n))
        return nn.Sequential().add(nn.ConcatTable().add(s).add(short)).add(nn.CAddTable(True)).add(cudnn.ReLU(True))

    model = nn.Sequential().add(cudnn.SpatialConvolution(3, 64, 7, 7, 2, 2, 3, 3)) \
        .add(nn.SpatialBatchNormalization(64)).add(cudnn.ReLU(True)).add(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    for nIn, n, stride in ((64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)):
        model.add(nn.Sequential().add(basicblock(nIn, n, stride)).add(basicblock(n, n, 1)))
    return model.add(cudnn.SpatialAveragePooling(7, 7, 1, 1)).add(nn.View(512)).add(nn.Linear(512, 1000))


RAW_IDS = np.array(sorted(classMap))


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    path = tmp_path_factory.mktemp('pretrained') / 'resnet-18.t7'
    lg.manualSeed(7)
    lg.save(str(path), resnet18())
    return str(path)


@pytest.fixture
def camvid(tmp_path, monkeypatch, pretrained):
    """A tiny CamVid: trainTestVal.t7 with 4/2/2 pictures of 24 x 48 and raw label ids, the stand-in ResNet-18,
    and the options main.lua would parse for 32 x 64 frames."""
    monkeypatch.setattr(sys.modules[__name__], 'trsize', 4)
    monkeypatch.setattr(sys.modules[__name__], 'tesize', 2)
    monkeypatch.setattr(sys.modules[__name__], 'vasize', 2)
    rng = np.random.RandomState(0)

    def split(n):
        ids = RAW_IDS[rng.randint(0, len(RAW_IDS), size=(n, 6, 12))].repeat(4, 1).repeat(4, 2)    # 4x4 blobs
        return {'data': lg.FloatTensor(rng.rand(n, 3, 24, 48).astype(np.float32)),
                'labels': lg.FloatTensor(ids.astype(np.float32))}
    cache = tmp_path / 'cache'
    cache.mkdir()
    lg.save(str(cache / 'trainTestVal.t7'), {'trainData': split(4), 'testData': split(2), 'valData': split(2)})
    return ['--dataset', 'cv', '--imHeight', '32', '--imWidth', '64', '--batchSize', '2',
            '--cachepath', str(cache), '--save', str(tmp_path / 'save'), '--pretrained', pretrained]


def test_camvid_loader_remaps_scales_caches_and_normalises(camvid, tmp_path):
    """loadCamVid.lua: each raw id becomes its class (``classMap[x][1]``, 0-based), the pictures and label maps
    are scaled to 64 x 32 (bilinearly, as the Lua scales them: the label maps get in-between values, truncated as
    Torch7's criterions truncate them), the cache is
    written and read back (with the size functions put back), the train mean is subtracted, and histc counts the
    label values in 12 bins over the class range."""
    global opt
    opt = dict(parse(camvid), cuda=False)
    os.makedirs(opt['save'])
    source = lg.load(opt['cachepath'] + '/trainTestVal.t7')
    data = loadCamVid()
    train = data['trainData']
    assert train['size']() == 4 and train['data'].size() == (4, 3, 32, 64)
    remapped = np.vectorize(lambda r: classMap[r][0])(source['trainData']['labels'].numpy())
    expect = image.scale(lg.FloatTensor(remapped[1].astype(np.float32)), 64, 32).numpy()
    np.testing.assert_array_equal(train['labels'][1].numpy(), np.trunc(expect))
    assert (expect != np.trunc(expect)).any()     # the fractional boundary labels the truncation removes
    assert abs(float(lg.mean(train['data'], 0).abs().max())) < 1e-5
    hist = opt['datahistClasses'].numpy()
    labels = train['labels'].numpy().ravel()
    # the Lua's bins: 12 over [1, 12] (0-based: [0, 11]), each 11/12 wide, as NumPy's over the same range
    np.testing.assert_array_equal(hist, np.histogram(labels, 12, (0, 11))[0])
    assert open(paths.concat(opt['save'], 'categories.txt')).read().splitlines()[:3] == \
        ['classes,targets', 'Unlabeled,1', 'Road,1']
    again = loadCamVid()       # from the cache now
    assert again['testData']['size']() == 2
    np.testing.assert_array_equal(again['testData']['labels'].numpy(), data['testData']['labels'].numpy())


def test_cityscapes_loader_reads_the_png_tree(tmp_path, monkeypatch):
    """loadCityscapes.lua on a generated leftImg8bit/gtFine tree (two cities, 3 training and 2 validation
    pictures): each label file is found by the Lua's two gsubs, read as bytes, scaled by nearest neighbour,
    mapped to the 20 classes; histc of the training labels, the cache and the per-channel mean."""
    global opt
    monkeypatch.setattr(sys.modules[__name__], 'CITYSCAPES_SIZES', (3, 2))
    rng = np.random.RandomState(1)
    ids = np.array([0, 7, 8, 11, 21, 23, 24, 26, 33], np.uint8)
    labels = {}
    for split, cities in (('train', {'aachen': 2, 'bonn': 1}), ('val', {'lindau': 2})):
        for city, n in cities.items():
            for k in range(n):
                name = '%s_%06d_000019' % (city, k)
                for root, suffix, pic in (
                        ('leftImg8bit', '_leftImg8bit.png', lg.FloatTensor(rng.rand(3, 16, 32).astype(np.float32))),
                        ('gtFine', '_gtFine_labelIds.png', lg.ByteTensor(ids[rng.randint(0, 9, (1, 16, 32))]))):
                    folder = tmp_path / 'cs' / root / split / city
                    folder.mkdir(parents=True, exist_ok=True)
                    image.save(str(folder / (name + suffix)), pic)
                labels[(split, city, k)] = pic.numpy()[0]
    opt = dict(parse(['--dataset', 'cs', '--imHeight', '32', '--imWidth', '64', '--datapath', str(tmp_path / 'cs'),
                      '--cachepath', str(tmp_path / 'cache'), '--save', str(tmp_path / 'save')]), cuda=False)
    os.makedirs(opt['save'])
    os.makedirs(opt['cachepath'])
    data = loadCityscapes()
    train = data['trainData']
    assert train['size']() == 3 and train['labels'].size() == (3, 32, 64)
    lookup = np.zeros(256, np.float32)
    lookup[[7, 8, 11, 21, 23, 24, 26, 33]] = [1, 2, 3, 9, 11, 12, 14, 19]
    got = sorted(tuple(train['labels'][i].numpy().ravel()) for i in range(3))
    want = sorted(tuple(lookup[labels[key]].repeat(2, 0).repeat(2, 1).ravel()) for key in labels if key[0] == 'train')
    assert got == want                 # nearest-neighbour doubling of each mapped label map, in the tree's order
    np.testing.assert_array_equal(opt['datahistClasses'].numpy(),
                                  np.histogram(train['labels'].numpy(), 20, (0, 19))[0])
    channel_means = train['data'].numpy().mean(axis=(0, 2, 3))
    np.testing.assert_allclose(channel_means, 0, atol=1e-5)
    again = loadCityscapes()           # from data.t7 now
    np.testing.assert_array_equal(again['testData']['labels'].numpy(), data['testData']['labels'].numpy())
    assert again['testData']['size']() == 2 and len(opt['dataconClasses']) == 19


@pytest.mark.parametrize('variant', ['model', 'model-res-dec', 'nobypass'])
def test_the_three_models_reuse_the_encoder_and_decode_to_the_frame(camvid, variant):
    """Each model file keeps the pretrained stem and the two blocks of each stage (their weights, as loaded),
    decodes 512 -> 256 -> 128 -> 64 -> 64 planes with the stride and adjustment of each stage, and ends with the
    frame's size and 12 class planes; model.lua sums each decoder's output with its stage's input (a ConcatTable
    with an Identity, CAddTable, ReLU), nobypass.lua does not, model-res-dec.lua adds an upsampled 1x1 residual
    in each decoder and gives the Unlabeled class no weight. The class weights are 1/log(1.02 + h/max h)."""
    global opt
    opt = dict(parse(camvid), cuda=False, datahistClasses=lg.Tensor(np.arange(1.0, 13.0)), dataClasses=classes)
    pretrained = lg.load(opt['pretrained'])
    t = linknet(variant)
    model, crit = t['model'], t['loss']
    assert len(model) == 12 and lg.type(model.get(len(model) - 1)) == 'nn.SpatialFullConvolution'
    np.testing.assert_array_equal(model.get(0).weight.numpy(), pretrained.get(0).weight.numpy())
    stage = model.get(4).get(0).get(0).get(0) if variant != 'nobypass' else model.get(4).get(0)
    np.testing.assert_array_equal(stage.get(1).get(0).get(0).get(0).weight.numpy(),
                                  pretrained.get(4).get(1).get(0).get(0).get(0).weight.numpy())
    fulls = [m for m in model.findModules('nn.SpatialFullConvolution')[0]]
    if variant == 'model-res-dec':
        assert [(m.nInputPlane, m.nOutputPlane, m.adjW) for m in fulls[:4]] == \
            [(512, 256, 1), (256, 128, 1), (128, 64, 1), (64, 64, 0)]
        assert len(model.findModules('nn.SpatialUpSamplingBilinear')[0]) == 4
    else:
        assert [(m.nInputPlane, m.dW, m.adjW) for m in fulls[:4]] == [(128, 2, 1), (64, 2, 1), (32, 2, 1), (16, 1, 0)]
    additions = {'model': 4 + 8, 'nobypass': 8, 'model-res-dec': 4 + 8 + 4}[variant]    # bypasses, blocks, decoders
    assert len(model.findModules('nn.CAddTable')[0]) == additions
    h = np.arange(1.0, 13.0)
    weights = 1 / np.log(1.02 + h / h.max())
    if variant == 'model-res-dec':
        weights[0] = 0
    np.testing.assert_allclose(crit.nll.weights.numpy(), weights, rtol=1e-6)     # cudnn.torch's nll holds them
    x = lg.randn(2, 3, 32, 64)
    y = model.forward(x)
    assert y.size() == (2, 12, 32, 64)
    target = lg.Tensor(2, 32, 64).random(0, 11)
    assert crit.forward(y, target) > 0


def test_main_trains_tests_and_keeps_the_best_numbers(camvid):
    """main.lua with model.lua for two epochs (``--maxepoch 3``): rmsprop lowers the training error; test.lua's
    confusion over the 11 classes after 'Unlabeled' (the Unlabeled pixels left out through ``k - 1``) gives the
    global accuracy a NumPy count of the saved network's predictions gives; error.log has a row per epoch and the
    best-metric files are written."""
    results = main(camvid + ['--maxepoch', '3', '-r', '5e-3', '--saveTrainConf', '--saveAll'])
    assert len(results) == 2
    log = open(paths.concat(opt['save'], 'error.log')).read().splitlines()
    assert len(log) == 3 and 'Training error' in log[0]
    train_errors = [float(row.split()[log[0].split('\t').index('Training error')]) for row in log[1:]]
    assert train_errors[1] < train_errors[0], train_errors
    for f in ('lastConfusionMatrix.txt', 'best-number.txt', 'model-last.net', 'model-testError.net',
              'all/model-2.net', 'all/confusionMatrix-2.txt'):
        assert paths.filep(paths.concat(opt['save'], f)), f
    assert 'Training:' in open(paths.concat(opt['save'], 'lastConfusionMatrix.txt')).read()
    # the last test's numbers by hand: the network as test() left it, in evaluation mode
    model = t['model']
    model.evaluate()
    data = lg.load(paths.concat(opt['cachepath'], '32_64', 'testData.t7'))
    mean = lg.load(paths.concat(opt['cachepath'], '32_64', 'stat.t7'))
    x = data['data'].clone()
    for i in range(x.size(0)):
        x[i].add(-mean)
    scores = model.forward(x).numpy()
    labels = data['labels'].numpy().astype(np.int64)
    pred = scores[:, 1:].argmax(1) + 1
    keep = labels > 0
    assert results[-1]['GAcc'] == pytest.approx(100 * np.mean(pred[keep] == labels[keep]), rel=1e-5)
    assert lg.type(lg.load(paths.concat(opt['save'], 'model-last.net'))) == 'cudnn.SpatialConvolution'


@pytest.mark.gpu
def test_linknet_on_cuda_tensors_matches_the_cpu(camvid):
    """model.lua's ``model:cuda()`` and ``loss:cuda()`` and the CUDA minibatch buffers of train.lua: the CUDA
    network gives the CPU one's outputs and loss, and an epoch of rmsprop on it runs, filling the training
    confusion from the CUDA scores."""
    global opt
    opt = dict(parse(camvid), cuda=False)
    os.makedirs(opt['save'])
    data = loadCamVid()
    lg.manualSeed(3)
    cpu = linknet('model')
    opt['cuda'] = True
    lg.manualSeed(3)
    gpu = linknet('model')
    assert gpu['model'].get(0).weight.type() == 'legonn.CudaTensor'
    x = data['trainData']['data'].narrow(0, 0, 2)
    y = data['trainData']['labels'].narrow(0, 0, 2)
    out_cpu = cpu['model'].forward(x)
    out_gpu = gpu['model'].forward(x.cuda())
    np.testing.assert_allclose(out_gpu.float().numpy(), out_cpu.numpy(), rtol=1e-3, atol=1e-3)
    assert gpu['loss'].forward(out_gpu, y.cuda()) == pytest.approx(cpu['loss'].forward(out_cpu, y), rel=1e-4)
    opt['saveTrainConf'] = True
    train = make_train(gpu)
    conf, _, _ = train(data['trainData'], classes, 1)
    # every labelled pixel of the 4 pictures counted once, from the CUDA scores' transposed reshape
    assert conf.mat.sum() == int((data['trainData']['labels'].numpy() > 0).sum()) and math.isfinite(trainError)
