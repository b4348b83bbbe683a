"""eladhoffer/ImageNet-Training's Models/ ported line by line, one function per Lua file: each builds what the
file returns (a network, or the table of ``model``, ``loss``, ``regime``, ... that Main.lua reads).

AlexNet.lua, AlexNet_BN.lua, MattNet.lua, MattNet_BN.lua, NiN_Model.lua, OverFeat_Model.lua, Model.lua,
NewModel.lua (every line but the ``torch.load('weights')`` a caller stands in for, see ``weights``),
GoogLeNet_BN.lua, GoogLeNet_BN_Original.lua, GoogLeNet_CUDNN3.lua, GoogLeNet_Full.lua, GoogLeNet_Model.lua,
Inception_v3.lua, Inception_v4.lua, Inception_ResNet_v2.lua. CaffeRef_Model.lua is left out: it is built of
cuda-convnet2's ``ccn2`` modules (DHWB layout), which legonn does not provide (docs/porting.md's loadcaffe row).

The edits are the porting rules': ``DimConcat = 2`` (the plane axis of a batch) becomes 1, ``nil`` None,
``cudnn.X`` comes from ``legonn.cudnn``, ``require 'cunn'`` goes; the files' globals (``model``, ``SizeMap``,
``fillBias``) become locals returned or used by the functions. Where the files repeat themselves (the four BN
GoogLeNets share their Inception function and most of their three parts; Inception_v3.lua writes out blocks that
differ only in widths; the OverFeat files write each layer's call in full) the repeats are loops or shared helpers
here, building the same modules in the same order. The tests are in test_imagenet_training_*.py."""
import math

import numpy as np

import legonn as lg
from legonn import cudnn, nn


# --- Models/AlexNet.lua ----------------------------------------------------------------------------------------

def AlexNet():
    SpatialConvolution = cudnn.SpatialConvolution   # lib[1]
    SpatialMaxPooling = cudnn.SpatialMaxPooling     # lib[2]

    # from https://code.google.com/p/cuda-convnet2/source/browse/layers/layers-imagenet-1gpu.cfg
    # this is AlexNet that was presented in the One Weird Trick paper. http://arxiv.org/abs/1404.5997
    features = nn.Sequential()
    features.add(SpatialConvolution(3, 64, 11, 11, 4, 4, 2, 2))       # 224 -> 55
    features.add(cudnn.ReLU(True))
    features.add(SpatialMaxPooling(3, 3, 2, 2))                       # 55 ->  27
    features.add(SpatialConvolution(64, 192, 5, 5, 1, 1, 2, 2))       # 27 -> 27
    features.add(cudnn.ReLU(True))
    features.add(SpatialMaxPooling(3, 3, 2, 2))                       # 27 ->  13
    features.add(SpatialConvolution(192, 384, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(cudnn.ReLU(True))
    features.add(SpatialConvolution(384, 256, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(cudnn.ReLU(True))
    features.add(SpatialConvolution(256, 256, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(cudnn.ReLU(True))
    features.add(SpatialMaxPooling(3, 3, 2, 2))                       # 13 -> 6

    classifier = nn.Sequential()
    classifier.add(nn.View(256 * 6 * 6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(256 * 6 * 6, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(4096, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Linear(4096, 1000))
    classifier.add(nn.LogSoftMax())

    model = nn.Sequential()

    model.add(features).add(classifier)

    return {
        'model': model,
        'regime': {
            'epoch':        [1,    19,   30,   44,   53],
            'learningRate': [1e-2, 5e-3, 1e-3, 5e-4, 1e-4],
            'weightDecay':  [5e-4, 5e-4, 0,    0,    0],
        },
    }


# --- Models/AlexNet_BN.lua -------------------------------------------------------------------------------------

def fillBias(m):
    """AlexNet_BN.lua's, MattNet.lua's and MattNet_BN.lua's global ``fillBias``: every child with a bias gets
    0.1 in it (``if m:get(i).bias then``: a module without one reads as None)."""
    for i in range(len(m.modules)):
        if m.get(i).bias is not None:
            m.get(i).bias.fill(0.1)


def AlexNet_BN():
    SpatialConvolution = cudnn.SpatialConvolution
    SpatialMaxPooling = cudnn.SpatialMaxPooling

    features = nn.Sequential()
    features.add(SpatialConvolution(3, 64, 11, 11, 4, 4, 2, 2))       # 224 -> 55
    features.add(SpatialMaxPooling(3, 3, 2, 2))                       # 55 ->  27
    features.add(cudnn.ReLU(True))
    features.add(nn.SpatialBatchNormalization(64, None, None, False))
    features.add(SpatialConvolution(64, 192, 5, 5, 1, 1, 2, 2))       # 27 -> 27
    features.add(SpatialMaxPooling(3, 3, 2, 2))                       # 27 ->  13
    features.add(cudnn.ReLU(True))
    features.add(nn.SpatialBatchNormalization(192, None, None, False))
    features.add(SpatialConvolution(192, 384, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(cudnn.ReLU(True))
    features.add(nn.SpatialBatchNormalization(384, None, None, False))
    features.add(SpatialConvolution(384, 256, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(cudnn.ReLU(True))
    features.add(nn.SpatialBatchNormalization(256, None, None, False))
    features.add(SpatialConvolution(256, 256, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(SpatialMaxPooling(3, 3, 2, 2))                       # 13 -> 6
    features.add(cudnn.ReLU(True))
    features.add(nn.SpatialBatchNormalization(256, None, None, False))

    classifier = nn.Sequential()
    classifier.add(nn.View(256 * 6 * 6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(256 * 6 * 6, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.BatchNormalization(4096, None, None, False))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(4096, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.BatchNormalization(4096, None, None, False))
    classifier.add(nn.Linear(4096, 1000))
    classifier.add(nn.LogSoftMax())

    model = nn.Sequential()

    # fillBias(features)
    # fillBias(classifier)
    model.add(features).add(classifier)

    return model


# --- Models/MattNet.lua and MattNet_BN.lua ---------------------------------------------------------------------

def MattNet():
    SpatialConvolution = cudnn.SpatialConvolution
    SpatialMaxPooling = cudnn.SpatialMaxPooling
    ReLU = cudnn.ReLU

    features = nn.Sequential()
    features.add(SpatialConvolution(3, 96, 7, 7, 2, 2, 2, 2))         # 224 -> 111
    features.add(ReLU(True))
    features.add(SpatialMaxPooling(3, 3, 2, 2))                       # 110 -> 55
    features.add(SpatialConvolution(96, 256, 5, 5, 2, 2, 1, 1))       # 55 -> 27
    features.add(ReLU(True))
    features.add(SpatialMaxPooling(3, 3, 2, 2))                       # 27 ->  13
    features.add(SpatialConvolution(256, 384, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(ReLU(True))
    features.add(SpatialConvolution(384, 256, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(ReLU(True))
    features.add(SpatialConvolution(256, 256, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(ReLU(True))
    features.add(SpatialMaxPooling(3, 3, 2, 2))                       # 13 -> 6

    classifier = nn.Sequential()
    classifier.add(nn.View(256 * 6 * 6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(256 * 6 * 6, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(4096, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Linear(4096, 1000))
    classifier.add(nn.LogSoftMax())

    model = nn.Sequential()

    fillBias(features)
    fillBias(classifier)
    model.add(features).add(classifier)

    return model


def MattNet_BN():
    """MattNet_BN.lua writes ``nn.SpatialBatchNormalization(0)`` and ``nn.BatchNormalization(0)``, the affine-free
    normalisation of nn's first BatchNormalization.lua: legonn refuses 0, and docs/porting.md's row says to pass
    the feature count with ``affine`` false, which is what is written here (the counts are the previous layer's
    planes)."""
    SpatialConvolution = cudnn.SpatialConvolution
    SpatialMaxPooling = cudnn.SpatialMaxPooling
    ReLU = cudnn.ReLU

    features = nn.Sequential()
    features.add(SpatialConvolution(3, 96, 7, 7, 2, 2, 2, 2))         # 224 -> 111
    features.add(ReLU(True))
    features.add(SpatialMaxPooling(3, 3, 2, 2))                       # 110 -> 55
    features.add(nn.SpatialBatchNormalization(96, None, None, False))
    features.add(SpatialConvolution(96, 256, 5, 5, 2, 2, 1, 1))       # 55 -> 27
    features.add(ReLU(True))
    features.add(SpatialMaxPooling(3, 3, 2, 2))                       # 27 ->  13
    features.add(nn.SpatialBatchNormalization(256, None, None, False))
    features.add(SpatialConvolution(256, 384, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(ReLU(True))
    features.add(nn.SpatialBatchNormalization(384, None, None, False))
    features.add(SpatialConvolution(384, 256, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(ReLU(True))
    features.add(nn.SpatialBatchNormalization(256, None, None, False))
    features.add(SpatialConvolution(256, 256, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(ReLU(True))
    features.add(SpatialMaxPooling(3, 3, 2, 2))                       # 13 -> 6
    features.add(nn.SpatialBatchNormalization(256, None, None, False))

    classifier = nn.Sequential()
    classifier.add(nn.View(256 * 6 * 6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(256 * 6 * 6, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.BatchNormalization(4096, None, None, False))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(4096, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.BatchNormalization(4096, None, None, False))
    classifier.add(nn.Linear(4096, 1000))
    classifier.add(nn.LogSoftMax())

    model = nn.Sequential()

    fillBias(features)
    fillBias(classifier)
    model.add(features).add(classifier)

    return model


# --- Models/NiN_Model.lua --------------------------------------------------------------------------------------

def NiN_Model():
    model = nn.Sequential()

    # Convolution Layers

    model.add(cudnn.SpatialConvolution(3, 96, 11, 11, 4, 4))
    model.add(cudnn.ReLU())
    model.add(cudnn.SpatialConvolution(96, 96, 1, 1))
    model.add(cudnn.ReLU())
    model.add(cudnn.SpatialConvolution(96, 96, 1, 1))
    model.add(cudnn.ReLU())
    model.add(cudnn.SpatialMaxPooling(3, 3, 2, 2).ceil())
    model.add(nn.Dropout(0.5))
    model.add(cudnn.SpatialConvolution(96, 256, 5, 5, 1, 1, 2, 2))
    model.add(cudnn.ReLU())
    model.add(cudnn.SpatialConvolution(256, 256, 1, 1))
    model.add(cudnn.ReLU())
    model.add(cudnn.SpatialConvolution(256, 256, 1, 1))
    model.add(cudnn.ReLU())
    model.add(cudnn.SpatialMaxPooling(3, 3, 2, 2).ceil())
    model.add(nn.Dropout(0.5))
    model.add(cudnn.SpatialConvolution(256, 384, 3, 3, 1, 1, 1, 1))
    model.add(cudnn.ReLU())
    model.add(cudnn.SpatialConvolution(384, 384, 1, 1))
    model.add(cudnn.ReLU())
    model.add(cudnn.SpatialConvolution(384, 384, 1, 1))
    model.add(cudnn.ReLU())
    model.add(cudnn.SpatialMaxPooling(3, 3, 2, 2).ceil())
    model.add(nn.Dropout(0.5))
    model.add(cudnn.SpatialConvolution(384, 1024, 3, 3, 1, 1, 1, 1))
    model.add(cudnn.ReLU())
    model.add(cudnn.SpatialConvolution(1024, 1024, 1, 1))
    model.add(cudnn.ReLU())
    model.add(cudnn.SpatialConvolution(1024, 1000, 1, 1))
    model.add(cudnn.ReLU())

    model.add(cudnn.SpatialAveragePooling(6, 6))
    model.add(nn.View(1000))
    model.add(nn.LogSoftMax())

    return model


# --- Models/OverFeat_Model.lua, Model.lua, NewModel.lua --------------------------------------------------------

def _overfeat_tables(PoolSize):
    """The tables the three OverFeat-style files open with (their lines 4-27), PoolSize being the one that differs
    (NewModel.lua pools 5x5 after layer 9); returns them and SizeMap, each layer's output width."""
    InputMaps = 3
    InputWidth = 221

    KernelSize = [7, 7, 3, 3, 3, 3, 1, 1, 1, 1]
    ConvStride = [2, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    Padding = [0, 0, 1, 1, 1, 1, 0, 0, 0, 0]
    PoolStride = PoolSize
    Outputs = 1000
    FeatMaps = [InputMaps, 96, 256, 512, 512, 1024, 1024, 4096, 4096, Outputs]

    # --------------Calculate size of feature maps - useful for linear layer flattening---------------------
    SizeMap = [InputWidth]
    for i in range(1, len(FeatMaps)):
        SizeMap.append(math.floor(math.ceil((SizeMap[i - 1] - KernelSize[i - 1] + 1 + 2 * Padding[i - 1])
                                            / ConvStride[i - 1]) / PoolStride[i - 1]))
    return KernelSize, ConvStride, PoolSize, PoolStride, FeatMaps, SizeMap


def OverFeat_Model():
    TValue = 0
    TReplace = 0
    KernelSize, ConvStride, PoolSize, PoolStride, FeatMaps, SizeMap = _overfeat_tables([3, 2, 1, 1, 1, 3, 1, 1, 1, 1])

    # ----------------Create Model-------------------------------------
    model = nn.Sequential()

    def conv(L):    # the Lua writes this call out in full for each layer; L is its 1-based LayerNum
        return cudnn.SpatialConvolution(FeatMaps[L - 1], FeatMaps[L], KernelSize[L - 1], KernelSize[L - 1],
                                        ConvStride[L - 1], ConvStride[L - 1])

    def pool(L):
        return cudnn.SpatialMaxPooling(PoolSize[L - 1], PoolSize[L - 1], PoolStride[L - 1], PoolStride[L - 1])

    # ---------------Layer - Convolution + Max Pooling------------------
    LayerNum = 1
    model.add(conv(LayerNum))
    model.add(nn.Threshold(TValue, TReplace))
    model.add(pool(LayerNum))

    # ---------------Layer - Convolution + Max Pooling------------------
    LayerNum = 2
    model.add(conv(LayerNum))
    model.add(nn.Threshold(TValue, TReplace))
    model.add(pool(LayerNum))

    # ---------------Layers 3, 4, 5 - Convolution ------------------
    for LayerNum in (3, 4, 5):
        model.add(nn.SpatialZeroPadding(1, 1, 1, 1))
        model.add(conv(LayerNum))
        model.add(nn.Threshold(TValue, TReplace))

    # ---------------Layer - Convolution + Max Pooling------------------
    LayerNum = 6
    model.add(nn.SpatialZeroPadding(1, 1, 1, 1))
    model.add(conv(LayerNum))
    model.add(nn.Threshold(TValue, TReplace))
    model.add(pool(LayerNum))

    # ---------------Layer - Fully connected ------------------
    LayerNum = 7
    model.add(nn.View(SizeMap[LayerNum - 1] * SizeMap[LayerNum - 1] * FeatMaps[LayerNum - 1]))
    model.add(nn.Linear(SizeMap[LayerNum - 1] * SizeMap[LayerNum - 1] * FeatMaps[LayerNum - 1], FeatMaps[LayerNum]))
    model.add(nn.Threshold(TValue, TReplace))

    # ---------------Layer - Fully connected ------------------
    LayerNum = 8
    model.add(nn.Dropout(0.5))
    model.add(nn.Linear(FeatMaps[LayerNum - 1], FeatMaps[LayerNum]))
    model.add(nn.Threshold(TValue, TReplace))

    # ---------------Layer - Fully connected classifier ------------------
    LayerNum = 9
    model.add(nn.Linear(FeatMaps[LayerNum - 1], FeatMaps[LayerNum]))

    # ---------------Layer - Log Probabilities--------------------------
    model.add(nn.LogSoftMax())

    return model


def Model(load, opt=None):
    """Model.lua: ``opt`` is the global Main.lua would have set (the file defaults it to cuda); ``load`` is called
    where the file calls ``torch.load('weights')`` for the flat parameter vector it copies into the model."""
    opt = opt if opt is not None else {'type': 'cuda', 'net': 'new'}
    TValue = 0
    TReplace = 0
    KernelSize, ConvStride, PoolSize, PoolStride, FeatMaps, SizeMap = _overfeat_tables([3, 2, 1, 1, 1, 3, 1, 1, 1, 1])

    model = nn.Sequential()

    def conv(L):
        return nn.SpatialConvolutionMM(FeatMaps[L - 1], FeatMaps[L], KernelSize[L - 1], KernelSize[L - 1],
                                       ConvStride[L - 1], ConvStride[L - 1])

    def pool(L):
        return nn.SpatialMaxPooling(PoolSize[L - 1], PoolSize[L - 1], PoolStride[L - 1], PoolStride[L - 1])

    for LayerNum in (1, 2):
        model.add(conv(LayerNum))
        model.add(nn.Threshold(TValue, TReplace))
        model.add(pool(LayerNum))
    for LayerNum in (3, 4, 5):
        model.add(nn.SpatialZeroPadding(1, 1, 1, 1))
        model.add(conv(LayerNum))
        model.add(nn.Threshold(TValue, TReplace))
    LayerNum = 6
    model.add(nn.SpatialZeroPadding(1, 1, 1, 1))
    model.add(conv(LayerNum))
    model.add(nn.Threshold(TValue, TReplace))
    model.add(pool(LayerNum))

    # ---------------Layer - Fully connected ------------------
    LayerNum = 7
    model.add(nn.Reshape(SizeMap[LayerNum - 1] * SizeMap[LayerNum - 1] * FeatMaps[LayerNum - 1]))
    model.add(nn.Linear(SizeMap[LayerNum - 1] * SizeMap[LayerNum - 1] * FeatMaps[LayerNum - 1], FeatMaps[LayerNum]))
    model.add(nn.Threshold(TValue, TReplace))
    model.add(nn.Dropout())
    # ---------------Layer - Fully connected ------------------
    LayerNum = 8
    model.add(nn.Linear(FeatMaps[LayerNum - 1], FeatMaps[LayerNum]))
    model.add(nn.Threshold(TValue, TReplace))
    model.add(nn.Dropout(0.5))
    # ---------------Layer - Fully connected classifier ------------------
    LayerNum = 9
    model.add(nn.Linear(FeatMaps[LayerNum - 1], FeatMaps[LayerNum]))

    # ---------------Layer - Log Probabilities--------------------------
    model.add(nn.LogSoftMax())

    w, dE_dw = model.getParameters()
    w.copy(load('weights'))
    # ---- Loss: NLL
    loss = nn.ClassNLLCriterion()

    if opt['type'] == 'cuda':
        model.cuda()
        loss.cuda()

    return {
        'Model': model,
        'Weights': w,
        'Grads': dE_dw,
        'FeatMaps': FeatMaps,
        'SizeMap': SizeMap,
        'loss': loss,
    }


def NewModel(opt=None):
    """NewModel.lua: the fully connected layers are 1x1 convolutions and the classifier pools 5x5; for
    ``opt.net ~= 'new'`` the file loads a net from that path and moves it to the GPU."""
    opt = opt if opt is not None else {'type': 'cuda', 'net': 'new'}
    TValue = 0
    TReplace = 0
    KernelSize, ConvStride, PoolSize, PoolStride, FeatMaps, SizeMap = _overfeat_tables([3, 2, 1, 1, 1, 3, 1, 1, 5, 1])

    model = nn.Sequential()

    def conv(L):
        return nn.SpatialConvolutionMM(FeatMaps[L - 1], FeatMaps[L], KernelSize[L - 1], KernelSize[L - 1],
                                       ConvStride[L - 1], ConvStride[L - 1])

    def pool(L):
        return nn.SpatialMaxPooling(PoolSize[L - 1], PoolSize[L - 1], PoolStride[L - 1], PoolStride[L - 1])

    for LayerNum in (1, 2):
        model.add(conv(LayerNum))
        model.add(nn.Threshold(TValue, TReplace))
        model.add(pool(LayerNum))
    for LayerNum in (3, 4, 5):
        model.add(nn.SpatialZeroPadding(1, 1, 1, 1))
        model.add(conv(LayerNum))
        model.add(nn.Threshold(TValue, TReplace))
    LayerNum = 6
    model.add(nn.SpatialZeroPadding(1, 1, 1, 1))
    model.add(conv(LayerNum))
    model.add(nn.Threshold(TValue, TReplace))
    model.add(pool(LayerNum))

    # ---------------Layers 7, 8 - Fully connected ------------------
    for LayerNum in (7, 8):
        model.add(conv(LayerNum))
        model.add(nn.Threshold(TValue, TReplace))
    # ---------------Layer - Fully connected classifier ------------------
    LayerNum = 9
    model.add(conv(LayerNum))
    model.add(pool(LayerNum))

    # ---------------Layer - Log Probabilities--------------------------
    LayerNum = 10
    model.add(nn.Reshape(FeatMaps[LayerNum - 1]))
    model.add(nn.LogSoftMax())

    if opt['net'] != 'new':
        print('==> Loaded Net')
        model = lg.load(opt['net'])
        model = model.cuda()
    else:
        print('==> New Net')
        # adjust all biases for threshold activation units; ``finput`` and ``fgradInput`` are nil until a forward
        # (a field never set: docs/porting.md's nil row), so the sharing below does nothing, in Torch7 as here
        finput = getattr(model.modules[0], 'finput', None)
        fgradInput = getattr(model.modules[0], 'fgradInput', None)
        for i, layer in enumerate(model.modules):
            if layer.bias is not None:
                layer.bias.fill(.01)
            if getattr(layer, 'finput', None) is not None:
                layer.finput = finput
            if getattr(layer, 'fgradInput', None) is not None:
                layer.fgradInput = fgradInput

    # ---- Loss: NLL
    loss = nn.ClassNLLCriterion()

    if opt['type'] == 'cuda':
        model.cuda()
        loss.cuda()

    w, dE_dw = model.getParameters()

    return {
        'model': model,
        'Weights': w,
        'Grads': dE_dw,
        'FeatMaps': FeatMaps,
        'SizeMap': SizeMap,
        'loss': loss,
    }


# --- Models/GoogLeNet_BN.lua, GoogLeNet_BN_Original.lua, GoogLeNet_CUDNN3.lua, GoogLeNet_Full.lua -----------------

DimConcat = 1     # the Lua's DimConcat = 2: the planes of a batch

# GoogLeNet_CUDNN3.lua's ConvMode: its first entry is nil, so ``unpack(ConvMode)`` passes (nil, bwd data, bwd filter)
ConvMode = [
    None,   # 'CUDNN_CONVOLUTION_FWD_ALGO_DIRECT',
    'CUDNN_CONVOLUTION_BWD_DATA_ALGO_0',
    'CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0',
]


def _googlenet_inception(SpatialConvolution, BNInception=False):
    """The ``Inception`` function the four BN GoogLeNet files share (GoogLeNet_BN.lua lines 15-68);
    ``SpatialConvolution`` is the file's convolution (GoogLeNet_CUDNN3.lua's sets its modes and ``fastest()`` on each)."""
    SpatialMaxPooling = cudnn.SpatialMaxPooling
    SpatialAveragePooling = cudnn.SpatialAveragePooling
    ReLU = cudnn.ReLU

    def Inception(nInput, n1x1, n3x3r, n3x3, dn3x3r, dn3x3, nPoolProj, type_pool, stride=None):
        stride = stride if stride is not None else 1
        InceptionModule = nn.Concat(DimConcat)

        if n1x1 > 0:
            InceptionModule.add(nn.Sequential().add(SpatialConvolution(nInput, n1x1, 1, 1, stride, stride)))

        if n3x3 > 0 and n3x3r > 0:
            Module_3x3 = nn.Sequential()
            Module_3x3.add(SpatialConvolution(nInput, n3x3r, 1, 1)).add(ReLU(True))

            if BNInception:
                Module_3x3.add(nn.SpatialBatchNormalization(n3x3r, None, None, False))

            Module_3x3.add(SpatialConvolution(n3x3r, n3x3, 3, 3, stride, stride, 1, 1))
            InceptionModule.add(Module_3x3)

        if dn3x3 > 0 and dn3x3r > 0:
            Module_d3x3 = nn.Sequential()
            Module_d3x3.add(SpatialConvolution(nInput, dn3x3r, 1, 1)).add(ReLU(True))

            if BNInception:
                Module_d3x3.add(nn.SpatialBatchNormalization(dn3x3r, None, None, False))

            Module_d3x3.add(SpatialConvolution(dn3x3r, dn3x3r, 3, 3, 1, 1, 1, 1)).add(ReLU(True))

            if BNInception:
                Module_d3x3.add(nn.SpatialBatchNormalization(dn3x3r, None, None, False))

            Module_d3x3.add(SpatialConvolution(dn3x3r, dn3x3, 3, 3, stride, stride, 1, 1))

            InceptionModule.add(Module_d3x3)

        PoolProj = nn.Sequential()
        if type_pool == 'avg':
            PoolProj.add(SpatialAveragePooling(3, 3, stride, stride, 1, 1))
        elif type_pool == 'max':
            PoolProj.add(SpatialMaxPooling(3, 3, stride, stride, 1, 1))
        if nPoolProj > 0:
            PoolProj.add(SpatialConvolution(nInput, nPoolProj, 1, 1))

        InceptionModule.add(PoolProj)
        return InceptionModule

    return Inception


def GoogLeNet_BN():
    SpatialConvolution = cudnn.SpatialConvolution
    SpatialMaxPooling = cudnn.SpatialMaxPooling
    SpatialAveragePooling = cudnn.SpatialAveragePooling
    ReLU = cudnn.ReLU
    Inception = _googlenet_inception(SpatialConvolution)

    model = nn.Sequential()
    model.add(SpatialConvolution(3, 64, 7, 7, 2, 2, 3, 3))    # 3x224x224 -> 64x112x112
    model.add(ReLU(True))
    model.add(SpatialMaxPooling(3, 3, 2, 2).ceil())           # 64x112x112 -> 64x56x56
    model.add(nn.SpatialBatchNormalization(64, None, None, False))

    model.add(SpatialConvolution(64, 192, 3, 3, 1, 1, 1, 1))  # 64x56x56 -> 192x56x56
    model.add(ReLU(True))
    model.add(SpatialMaxPooling(3, 3, 2, 2).ceil())           # 192x56x56 -> 192x28x28
    model.add(nn.SpatialBatchNormalization(192, None, None, False))

    # Inception(nInput, n1x1, n3x3r, n3x3, dn3x3r, dn3x3, nPoolProj, type_pool=['avg','max',nil])
    for args, nOut in [((192, 64, 64, 64, 64, 96, 32, 'avg'), 256),          # (3a) 192x28x28 -> 256x28x28
                       ((256, 64, 64, 96, 64, 96, 64, 'avg'), 320),          # (3b) 256x28x28 -> 320x28x28
                       ((320, 0, 128, 160, 64, 96, 0, 'max', 2), 576),       # (3c) 320x28x28 -> 576x14x14
                       ((576, 224, 64, 96, 96, 128, 128, 'avg'), 576),       # (4a) 576x14x14 -> 576x14x14
                       ((576, 192, 96, 128, 96, 128, 128, 'avg'), 576),      # (4b)
                       ((576, 160, 128, 160, 128, 160, 96, 'avg'), 576),     # (4c)
                       ((576, 96, 128, 192, 160, 192, 96, 'avg'), 576),      # (4d)
                       ((576, 0, 128, 192, 192, 256, 0, 'max', 2), 1024),    # (4e) 576x14x14 -> 1024x7x7
                       ((1024, 352, 192, 320, 160, 224, 128, 'avg'), 1024),  # (5a) 1024x7x7 -> 1024x7x7
                       ((1024, 352, 192, 320, 192, 224, 128, 'max'), 1024)]: # (5b)
        model.add(Inception(*args))
        model.add(ReLU(True))
        model.add(nn.SpatialBatchNormalization(nOut, None, None, False))

    # Classifier
    model.add(cudnn.SpatialConvolution(1024, 1000, 1, 1))
    model.add(SpatialAveragePooling(7, 7))
    model.add(nn.View(1000).setNumInputDims(3))
    model.add(nn.LogSoftMax())

    return model


def _googlenet_three_parts(Inception, SpatialConvolution, affine_4c_4e=False, relu_first=False):
    """part1, part2 and part3 of GoogLeNet_BN_Original.lua / GoogLeNet_CUDNN3.lua (BN then ReLU after each
    block; most BNs affine, the ones after (4c) and (4e) not) and of GoogLeNet_Full.lua (``relu_first``: ReLU
    then an affine-free BN everywhere)."""
    SpatialMaxPooling = cudnn.SpatialMaxPooling
    ReLU = cudnn.ReLU

    def BN(n, affine=True):
        if relu_first:
            return nn.SpatialBatchNormalization(n, None, None, False)
        return nn.SpatialBatchNormalization(n) if affine else nn.SpatialBatchNormalization(n, None, None, False)

    def after(seq, n, affine=True):
        if relu_first:
            seq.add(ReLU(True))
            seq.add(BN(n))
        else:
            seq.add(BN(n, affine))
            seq.add(ReLU(True))

    part1 = nn.Sequential()
    part1.add(SpatialConvolution(3, 64, 7, 7, 2, 2, 3, 3))        # 3x224x224 -> 64x112x112
    if relu_first:
        part1.add(ReLU(True))
    part1.add(SpatialMaxPooling(3, 3, 2, 2).ceil())               # 64x112x112 -> 64x56x56
    part1.add(BN(64))
    if not relu_first:
        part1.add(ReLU(True))
    part1.add(SpatialConvolution(64, 192, 3, 3, 1, 1, 1, 1))      # 64x56x56 -> 192x56x56
    if relu_first:
        part1.add(ReLU(True))
    part1.add(SpatialMaxPooling(3, 3, 2, 2).ceil())               # 192x56x56 -> 192x28x28
    part1.add(BN(192))
    if not relu_first:
        part1.add(ReLU(True))

    part1.add(Inception(192, 64, 64, 64, 64, 96, 32, 'avg'))      # (3a) 192x28x28 -> 256x28x28
    after(part1, 256)
    part1.add(Inception(256, 64, 64, 96, 64, 96, 64, 'avg'))      # (3b) 256x28x28 -> 320x28x28
    after(part1, 320)
    part1.add(Inception(320, 0, 128, 160, 64, 96, 0, 'max', 2))   # (3c) 320x28x28 -> 576x14x14
    after(part1, 576)

    part2 = nn.Sequential()
    part2.add(Inception(576, 224, 64, 96, 96, 128, 128, 'avg'))   # (4a) 576x14x14 -> 576x14x14
    after(part2, 576)
    part2.add(Inception(576, 192, 96, 128, 96, 128, 128, 'avg'))  # (4b) 576x14x14 -> 576x14x14
    after(part2, 576)
    part2.add(Inception(576, 160, 128, 160, 128, 160, 96, 'avg')) # (4c) 576x14x14 -> 576x14x14
    after(part2, 576, affine=False)

    part3 = nn.Sequential()
    part3.add(Inception(576, 96, 128, 192, 160, 192, 96, 'avg'))  # (4d) 576x14x14 -> 576x14x14
    after(part3, 576)
    part3.add(Inception(576, 0, 128, 192, 192, 256, 0, 'max', 2)) # (4e) 576x14x14 -> 1024x7x7
    after(part3, 1024, affine=False)

    part3.add(Inception(1024, 352, 192, 320, 160, 224, 128, 'avg'))   # (5a) 1024x7x7 -> 1024x7x7
    after(part3, 1024)
    part3.add(Inception(1024, 352, 192, 320, 192, 224, 128, 'max'))   # (5b) 1024x7x7 -> 1024x7x7
    after(part3, 1024)
    return part1, part2, part3


def _googlenet_aux(SpatialConvolution, dropout):
    """auxClassifier1 of the three graph GoogLeNets (``dropout`` None: GoogLeNet_Full.lua's, without Dropout)."""
    auxClassifier1 = nn.Sequential()
    auxClassifier1.add(cudnn.SpatialAveragePooling(5, 5, 3, 3).ceil())
    auxClassifier1.add(SpatialConvolution(576, 128, 1, 1))
    auxClassifier1.add(cudnn.ReLU(True))
    auxClassifier1.add(nn.View(128 * 4 * 4).setNumInputDims(3))
    auxClassifier1.add(nn.Linear(128 * 4 * 4, 768))
    auxClassifier1.add(cudnn.ReLU(True))
    if dropout is not None:
        auxClassifier1.add(nn.Dropout(dropout))
    auxClassifier1.add(nn.Linear(768, 1000))
    auxClassifier1.add(nn.LogSoftMax())
    return auxClassifier1


def _googlenet_graph(part1, part2, part3, mainClassifier, auxClassifier1):
    """The lines that end the three graph GoogLeNets: the gModule of three log-probability outputs and the
    ParallelCriterion that weighs the auxiliary ones 0.3, one ClassNLLCriterion added three times."""
    auxClassifier2 = auxClassifier1.clone()

    input = nn.Identity()()
    output1 = part1(input)
    branch1 = auxClassifier1(output1)
    output2 = part2(output1)
    branch2 = auxClassifier2(output2)
    mainBranch = mainClassifier(part3(output2))
    model = nn.gModule([input], [mainBranch, branch1, branch2])

    NLL = nn.ClassNLLCriterion()
    loss = nn.ParallelCriterion(True).add(NLL).add(NLL, 0.3).add(NLL, 0.3)
    return model, loss


def GoogLeNet_BN_Original():
    SpatialConvolution = cudnn.SpatialConvolution
    Inception = _googlenet_inception(SpatialConvolution)
    part1, part2, part3 = _googlenet_three_parts(Inception, SpatialConvolution)

    # Classifier
    mainClassifier = nn.Sequential()
    mainClassifier.add(nn.Dropout(0.5))
    mainClassifier.add(cudnn.SpatialAveragePooling(7, 7))
    mainClassifier.add(nn.View(1024).setNumInputDims(3))
    mainClassifier.add(nn.Linear(1024, 1000))
    mainClassifier.add(nn.LogSoftMax())

    model, loss = _googlenet_graph(part1, part2, part3, mainClassifier, _googlenet_aux(SpatialConvolution, 0.5))
    return {'model': model, 'loss': loss}


def GoogLeNet_CUDNN3():
    def SpatialConvolution(*args):
        # every convolution of the file is written ``SpatialConvolution(...):setMode(unpack(ConvMode)):fastest()``
        return cudnn.SpatialConvolution(*args).setMode(*ConvMode).fastest()

    Inception = _googlenet_inception(SpatialConvolution)
    part1, part2, part3 = _googlenet_three_parts(Inception, SpatialConvolution)

    mainClassifier = nn.Sequential()
    mainClassifier.add(nn.Dropout(0.7))
    mainClassifier.add(cudnn.SpatialAveragePooling(7, 7))
    mainClassifier.add(nn.View(1024).setNumInputDims(3))
    mainClassifier.add(nn.Linear(1024, 1000))
    mainClassifier.add(nn.LogSoftMax())

    model, loss = _googlenet_graph(part1, part2, part3, mainClassifier, _googlenet_aux(SpatialConvolution, 0.7))
    return {
        'model': model,
        'loss': loss,
        'regime': {
            'epoch':        [1,     10,    20,    30,    40],
            'learningRate': [1e-1,  1e-2,  1e-3,  1e-4,  1e-5],
            'weightDecay':  [5e-4,  5e-4,  0,     0,     0],
        },
    }


def GoogLeNet_Full():
    SpatialConvolution = cudnn.SpatialConvolution
    Inception = _googlenet_inception(SpatialConvolution)
    part1, part2, part3 = _googlenet_three_parts(Inception, SpatialConvolution, relu_first=True)

    mainClassifier = nn.Sequential()
    mainClassifier.add(cudnn.SpatialConvolution(1024, 1000, 1, 1))
    mainClassifier.add(cudnn.SpatialAveragePooling(7, 7))
    mainClassifier.add(nn.View(1000).setNumInputDims(3))
    mainClassifier.add(nn.LogSoftMax())

    model, loss = _googlenet_graph(part1, part2, part3, mainClassifier, _googlenet_aux(SpatialConvolution, None))
    return {'model': model, 'loss': loss}


# --- Models/GoogLeNet_Model.lua --------------------------------------------------------------------------------

def GoogLeNet_Model(load, opt=None):
    """GoogLeNet_Model.lua: the 2014 GoogLeNet of SpatialConvolutionMM (``padH`` defaulting to ``padW``) in
    DepthConcat blocks whose pooling branch shrinks the map by 2 (DepthConcat centres it in zeros), and the two
    auxiliary classifiers built (the file returns only ``Net``). ``load`` is called where the file calls
    ``torch.load('Weights')`` (``lg.load``, or a stand-in)."""
    opt = opt if opt is not None else {'type': 'cuda', 'net': 'new'}

    # ---------------------------------------Inception Modules------------------------------------------------
    def Inception(nInput, n1x1, n3x3r, n3x3, n5x5r, n5x5, nPoolProj):
        InceptionModule = nn.DepthConcat(DimConcat)
        InceptionModule.add(nn.Sequential().add(nn.SpatialConvolutionMM(nInput, n1x1, 1, 1)))
        InceptionModule.add(nn.Sequential().add(nn.SpatialConvolutionMM(nInput, n3x3r, 1, 1)).add(nn.ReLU())
                            .add(nn.SpatialConvolutionMM(n3x3r, n3x3, 3, 3, 1, 1, 1)))
        InceptionModule.add(nn.Sequential().add(nn.SpatialConvolutionMM(nInput, n5x5r, 1, 1)).add(nn.ReLU())
                            .add(nn.SpatialConvolutionMM(n5x5r, n5x5, 5, 5, 1, 1, 2)))
        InceptionModule.add(nn.Sequential().add(cudnn.SpatialMaxPooling(3, 3, 1, 1))
                            .add(nn.SpatialConvolutionMM(nInput, nPoolProj, 1, 1)))
        return InceptionModule

    def AuxileryClassifier(nInput):
        C = nn.Sequential()
        C.add(cudnn.SpatialAveragePooling(5, 5, 3, 3))
        C.add(nn.SpatialConvolutionMM(nInput, 128, 1, 1))
        C.add(nn.ReLU())
        C.add(nn.Reshape(128 * 4 * 4))
        C.add(nn.Linear(128 * 4 * 4, 1024))
        C.add(nn.Dropout(0.7))
        C.add(nn.Linear(1024, 1000))
        C.add(nn.LogSoftMax())
        return C

    Net = nn.Sequential()

    SubNet1 = nn.Sequential()
    SubNet1.add(nn.SpatialConvolutionMM(3, 64, 7, 7, 2, 2, 4))
    SubNet1.add(nn.ReLU())
    SubNet1.add(cudnn.SpatialMaxPooling(3, 3, 2, 2))
    SubNet1.add(nn.SpatialConvolutionMM(64, 64, 1, 1))
    SubNet1.add(nn.ReLU())
    SubNet1.add(nn.SpatialConvolutionMM(64, 192, 3, 3, 1, 1, 1))
    SubNet1.add(nn.ReLU())
    SubNet1.add(nn.SpatialZeroPadding(1, 1, 1, 1))
    SubNet1.add(cudnn.SpatialMaxPooling(3, 3, 2, 2))

    SubNet1.add(Inception(192, 64, 96, 128, 16, 32, 32))
    SubNet1.add(nn.ReLU())
    SubNet1.add(Inception(256, 128, 128, 192, 32, 96, 64))
    SubNet1.add(nn.ReLU())
    SubNet1.add(nn.SpatialZeroPadding(1, 1, 1, 1))
    SubNet1.add(cudnn.SpatialMaxPooling(3, 3, 2, 2))
    SubNet1.add(Inception(480, 192, 96, 208, 16, 48, 64))
    SubNet1.add(nn.ReLU())

    SubNet2 = nn.Sequential()
    SubNet2.add(SubNet1)
    SubNet2.add(Inception(512, 160, 112, 224, 24, 64, 64))
    SubNet2.add(nn.ReLU())
    SubNet2.add(Inception(512, 128, 128, 256, 24, 64, 64))
    SubNet2.add(nn.ReLU())
    SubNet2.add(Inception(512, 112, 144, 288, 32, 64, 64))
    SubNet2.add(nn.ReLU())

    Net.add(SubNet2)
    Net.add(Inception(528, 256, 160, 320, 32, 128, 128))
    Net.add(nn.ReLU())
    Net.add(nn.SpatialZeroPadding(1, 1, 1, 1))
    Net.add(cudnn.SpatialMaxPooling(3, 3, 2, 2))

    Net.add(Inception(832, 256, 160, 320, 32, 128, 128))
    Net.add(nn.ReLU())
    Net.add(Inception(832, 384, 192, 384, 48, 128, 128))
    Net.add(nn.ReLU())
    Net.add(cudnn.SpatialAveragePooling(7, 7, 1, 1))
    Net.add(nn.Dropout(0.4))
    Net.add(nn.Reshape(1024))
    Net.add(nn.Linear(1024, 1000))
    Net.add(nn.LogSoftMax())

    Classifier0 = nn.Sequential()
    Classifier0.add(SubNet1)
    Classifier0.add(AuxileryClassifier(512))

    Classifier1 = nn.Sequential()
    Classifier1.add(SubNet2)
    Classifier1.add(AuxileryClassifier(528))

    loss = nn.ClassNLLCriterion()
    if opt['type'] == 'cuda':
        Net.cuda()
        loss.cuda()

    print('==> flattening Net parameters')
    w, dE_dw = Net.getParameters()

    t = load('Weights')
    w.copy(t)

    return {
        'Net': Net,
        'Weights': w,
        'Grads': dE_dw,
        'Loss': loss,
        # not in the returned table: kept so a test can run the auxiliary heads the file builds
        'Classifier0': Classifier0,
        'Classifier1': Classifier1,
    }


# --- Models/Inception_v3.lua, Inception_v4.lua, Inception_ResNet_v2.lua -----------------------------------------

def ConvBN(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH):
    module = nn.Sequential()
    module.add(nn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH))
    module.add(nn.SpatialBatchNormalization(nOutputPlane, 1e-3, None, True))
    module.add(nn.ReLU(True))
    return module


def Tower(tbl):
    module = nn.Sequential()
    for i in range(len(tbl)):
        module.add(tbl[i])
    return module


def Pooling(poolType, *args):
    """Inception_v3.lua's: ``nn.SpatialMaxPooling(unpack({...}))`` is a call with the arguments as they came."""
    if poolType == 'max':
        pooler = nn.SpatialMaxPooling(*args)
    else:
        pooler = nn.SpatialAveragePooling(*args)
    return pooler


def Inception(tbl):
    module = nn.Concat(1)
    for i in range(len(tbl)):
        module.add(tbl[i])
    return module


def Inception_v3():
    model = nn.Sequential()
    model.add(ConvBN(3, 32, 3, 3, 2, 2, 0, 0))
    model.add(ConvBN(32, 32, 3, 3, 1, 1, 0, 0))
    model.add(ConvBN(32, 64, 3, 3, 1, 1, 1, 1))
    model.add(Pooling('max', 3, 3, 2, 2, 0, 0))
    model.add(ConvBN(64, 80, 1, 1, 1, 1, 0, 0))
    model.add(ConvBN(80, 192, 3, 3, 1, 1, 0, 0))
    model.add(Pooling('max', 3, 3, 2, 2, 0, 0))

    for nIn, nPool in [(192, 32), (256, 64), (288, 64)]:     # three blocks written out alike in the Lua
        model.add(Inception([
            Tower([
                ConvBN(nIn, 64, 1, 1, 1, 1, 0, 0),
            ]),
            Tower([
                ConvBN(nIn, 48, 1, 1, 1, 1, 0, 0),
                ConvBN(48, 64, 5, 5, 1, 1, 2, 2),
            ]),
            Tower([
                ConvBN(nIn, 64, 1, 1, 1, 1, 0, 0),
                ConvBN(64, 96, 3, 3, 1, 1, 1, 1),
                ConvBN(96, 96, 3, 3, 1, 1, 1, 1),
            ]),
            Tower([
                Pooling('average', 3, 3, 1, 1, 1, 1),
                ConvBN(nIn, nPool, 1, 1, 1, 1, 0, 0),
            ]),
        ]))

    model.add(Inception([
        Tower([
            ConvBN(288, 384, 3, 3, 2, 2, 0, 0),
        ]),
        Tower([
            ConvBN(288, 64, 1, 1, 1, 1, 0, 0),
            ConvBN(64, 96, 3, 3, 1, 1, 1, 1),
            ConvBN(96, 96, 3, 3, 2, 2, 0, 0),
        ]),
        Tower([
            Pooling('max', 3, 3, 2, 2, 0, 0),
        ]),
    ]))

    for n in [128, 160, 160, 192]:                            # four blocks, their widths 128, 160, 160, 192
        model.add(Inception([
            Tower([
                ConvBN(768, 192, 1, 1, 1, 1, 0, 0),
            ]),
            Tower([
                ConvBN(768, n, 1, 1, 1, 1, 0, 0),
                ConvBN(n, n, 7, 1, 1, 1, 3, 0),
                ConvBN(n, 192, 1, 7, 1, 1, 0, 3),
            ]),
            Tower([
                ConvBN(768, n, 1, 1, 1, 1, 0, 0),
                ConvBN(n, n, 1, 7, 1, 1, 0, 3),
                ConvBN(n, n, 7, 1, 1, 1, 3, 0),
                ConvBN(n, n, 1, 7, 1, 1, 0, 3),
                ConvBN(n, 192, 7, 1, 1, 1, 3, 0),
            ]),
            Tower([
                Pooling('average', 3, 3, 1, 1, 1, 1),
                ConvBN(768, 192, 1, 1, 1, 1, 0, 0),
            ]),
        ]))

    model.add(Inception([
        Tower([
            ConvBN(768, 192, 1, 1, 1, 1, 0, 0),
            ConvBN(192, 320, 3, 3, 2, 2, 0, 0),
        ]),
        Tower([
            ConvBN(768, 192, 1, 1, 1, 1, 0, 0),
            ConvBN(192, 192, 7, 1, 1, 1, 3, 0),
            ConvBN(192, 192, 1, 7, 1, 1, 0, 3),
            ConvBN(192, 192, 3, 3, 2, 2, 0, 0),
        ]),
        Tower([
            Pooling('max', 3, 3, 2, 2, 0, 0),
        ]),
    ]))

    for nIn, poolType in [(1280, 'average'), (2048, 'max')]:
        model.add(Inception([
            Tower([
                ConvBN(nIn, 320, 1, 1, 1, 1, 0, 0),
            ]),
            Tower([
                ConvBN(nIn, 384, 1, 1, 1, 1, 0, 0),
                Inception([
                    Tower([
                        ConvBN(384, 384, 3, 1, 1, 1, 1, 0),
                    ]),
                    Tower([
                        ConvBN(384, 384, 1, 3, 1, 1, 0, 1),
                    ]),
                ]),
            ]),
            Tower([
                ConvBN(nIn, 448, 1, 1, 1, 1, 0, 0),
                ConvBN(448, 384, 3, 3, 1, 1, 1, 1),
                Inception([
                    Tower([
                        ConvBN(384, 384, 3, 1, 1, 1, 1, 0),
                    ]),
                    Tower([
                        ConvBN(384, 384, 1, 3, 1, 1, 0, 1),
                    ]),
                ]),
            ]),
            Tower([
                Pooling(poolType, 3, 3, 1, 1, 1, 1),
                ConvBN(nIn, 192, 1, 1, 1, 1, 0, 0),
            ]),
        ]))

    model.add(Pooling('average', 8, 8, 1, 1, 0, 0))
    model.add(nn.View(-1).setNumInputDims(3))
    model.add(nn.Dropout(0.2))
    model.add(nn.Linear(2048, 1000))
    model.add(nn.LogSoftMax())

    return {
        'model': model,
        'rescaleImgSize': 384,
        'InputSize': [3, 299, 299],
    }


def Stem():
    """Inception_v4.lua's and Inception_ResNet_v2.lua's (the same lines in both)."""
    module = nn.Sequential()
    module.add(ConvBN(3, 32, 3, 3, 2, 2, 0, 0))
    module.add(ConvBN(32, 32, 3, 3, 1, 1, 0, 0))
    module.add(ConvBN(32, 64, 3, 3, 1, 1, 1, 1))

    cat1 = nn.Concat(1)
    cat1.add(nn.SpatialMaxPooling(3, 3, 2, 2, 0, 0))
    cat1.add(ConvBN(64, 96, 3, 3, 2, 2, 0, 0))

    cat2 = nn.Concat(1)
    cat2.add(Tower([
        ConvBN(160, 64, 1, 1, 1, 1, 0, 0),
        ConvBN(64, 64, 7, 1, 1, 1, 3, 0),
        ConvBN(64, 64, 1, 7, 1, 1, 0, 3),
        ConvBN(64, 96, 3, 3, 1, 1, 0, 0),
    ]))
    cat2.add(Tower([
        ConvBN(160, 64, 1, 1, 1, 1, 0, 0),
        ConvBN(64, 96, 3, 3, 1, 1, 0, 0),
    ]))

    cat3 = nn.Concat(1)
    cat3.add(nn.SpatialMaxPooling(3, 3, 2, 2, 0, 0))
    cat3.add(ConvBN(192, 192, 3, 3, 2, 2, 0, 0))

    module.add(cat1)
    module.add(cat2)
    module.add(cat3)

    return module


def Reduction_A(nInputPlane, k, l, m, n):
    module = nn.Concat(1)
    module.add(nn.SpatialMaxPooling(3, 3, 2, 2, 0, 0))
    module.add(ConvBN(nInputPlane, n, 3, 3, 2, 2, 0, 0))
    module.add(Tower([
        ConvBN(nInputPlane, k, 1, 1, 1, 1, 0, 0),
        ConvBN(k, l, 3, 3, 1, 1, 1, 1),
        ConvBN(l, m, 3, 3, 2, 2, 0, 0),
    ]))
    return module


def Inception_v4():
    SpatialAveragePooling = nn.SpatialAveragePooling
    SpatialMaxPooling = nn.SpatialMaxPooling

    def Reduction_B(nInputPlane):
        module = nn.Concat(1)
        module.add(SpatialMaxPooling(3, 3, 2, 2, 0, 0))
        module.add(Tower([
            ConvBN(nInputPlane, 192, 1, 1, 1, 1, 0, 0),
            ConvBN(192, 192, 3, 3, 2, 2, 0, 0),
        ]))
        module.add(Tower([
            ConvBN(nInputPlane, 256, 1, 1, 1, 1, 0, 0),
            ConvBN(256, 256, 1, 7, 1, 1, 0, 3),
            ConvBN(256, 320, 7, 1, 1, 1, 3, 0),
            ConvBN(320, 320, 3, 3, 2, 2, 0, 0),
        ]))
        return module

    def Inception_A(nInputPlane):
        inceptionModule = nn.Concat(1)
        inceptionModule.add(Tower([
            SpatialAveragePooling(3, 3, 1, 1, 1, 1),
            ConvBN(nInputPlane, 96, 1, 1, 1, 1, 0, 0),
        ]))
        inceptionModule.add(ConvBN(nInputPlane, 96, 1, 1, 1, 1, 0, 0))
        inceptionModule.add(Tower([
            ConvBN(nInputPlane, 64, 1, 1, 1, 1, 0, 0),
            ConvBN(64, 96, 3, 3, 1, 1, 1, 1),
        ]))
        inceptionModule.add(Tower([
            ConvBN(nInputPlane, 64, 1, 1, 1, 1, 0, 0),
            ConvBN(64, 96, 3, 3, 1, 1, 1, 1),
            ConvBN(96, 96, 3, 3, 1, 1, 1, 1),
        ]))
        return inceptionModule

    def Inception_B(nInputPlane):
        inceptionModule = nn.Concat(1)
        inceptionModule.add(Tower([
            SpatialAveragePooling(3, 3, 1, 1, 1, 1),
            ConvBN(nInputPlane, 128, 1, 1, 1, 1, 0, 0),
        ]))
        inceptionModule.add(ConvBN(nInputPlane, 384, 1, 1, 1, 1, 0, 0))
        inceptionModule.add(Tower([
            ConvBN(nInputPlane, 192, 1, 1, 1, 1, 0, 0),
            ConvBN(192, 224, 1, 7, 1, 1, 0, 3),
            ConvBN(224, 256, 7, 1, 1, 1, 3, 0),
        ]))
        inceptionModule.add(Tower([
            ConvBN(nInputPlane, 192, 1, 1, 1, 1, 0, 0),
            ConvBN(192, 192, 1, 7, 1, 1, 0, 3),
            ConvBN(192, 224, 7, 1, 1, 1, 3, 0),
            ConvBN(224, 224, 1, 7, 1, 1, 0, 3),
            ConvBN(224, 256, 7, 1, 1, 1, 3, 0),
        ]))
        return inceptionModule

    def Inception_C(nInputPlane):
        inceptionModule = nn.Concat(1)
        inceptionModule.add(Tower([
            SpatialAveragePooling(3, 3, 1, 1, 1, 1),
            ConvBN(nInputPlane, 256, 1, 1, 1, 1, 0, 0),
        ]))
        inceptionModule.add(ConvBN(nInputPlane, 256, 1, 1, 1, 1, 0, 0))
        inceptionModule.add(Tower([
            ConvBN(nInputPlane, 384, 1, 1, 1, 1, 0, 0),
            nn.Concat(1).add(ConvBN(384, 256, 3, 1, 1, 1, 1, 0)).add(ConvBN(384, 256, 1, 3, 1, 1, 0, 1)),
        ]))
        inceptionModule.add(Tower([
            ConvBN(nInputPlane, 384, 1, 1, 1, 1, 0, 0),
            ConvBN(384, 448, 1, 3, 1, 1, 0, 1),
            ConvBN(448, 512, 3, 1, 1, 1, 1, 0),
            nn.Concat(1).add(ConvBN(512, 256, 3, 1, 1, 1, 1, 0)).add(ConvBN(512, 256, 1, 3, 1, 1, 0, 1)),
        ]))
        return inceptionModule

    model = Stem()

    for i in range(4):
        model.add(Inception_A(384))
    model.add(Reduction_A(384, 192, 224, 256, 384))

    for i in range(7):
        model.add(Inception_B(1024))

    model.add(Reduction_B(1024))

    for i in range(3):
        model.add(Inception_C(1536))

    model.add(SpatialAveragePooling(8, 8, 1, 1))
    model.add(nn.View(-1).setNumInputDims(3))
    model.add(nn.Dropout(0.2))
    model.add(nn.Linear(1536, 1000))
    model.add(nn.LogSoftMax())

    return {
        'model': model,
        'rescaleImgSize': 384,
        'InputSize': [3, 299, 299],
    }


def Inception_ResNet_v2():
    SpatialConvolution = nn.SpatialConvolution
    ReLU = nn.ReLU
    SpatialMaxPooling = nn.SpatialMaxPooling
    SpatialAveragePooling = nn.SpatialAveragePooling

    def Residual(m):
        module = nn.Sequential()
        cat = nn.ConcatTable().add(nn.Identity()).add(m)
        module.add(cat).add(nn.CAddTable())
        return module

    def Reduction_B(nInputPlane):
        module = nn.Concat(1)
        module.add(SpatialMaxPooling(3, 3, 2, 2, 0, 0))
        module.add(Tower([
            ConvBN(nInputPlane, 256, 1, 1, 1, 1, 0, 0),
            ConvBN(256, 384, 3, 3, 2, 2, 0, 0),
        ]))
        module.add(Tower([
            ConvBN(nInputPlane, 256, 1, 1, 1, 1, 0, 0),
            ConvBN(256, 256, 3, 3, 2, 2, 0, 0),
        ]))
        module.add(Tower([
            ConvBN(nInputPlane, 256, 1, 1, 1, 1, 0, 0),
            ConvBN(256, 288, 3, 3, 1, 1, 1, 1),
            ConvBN(288, 256, 3, 3, 2, 2, 0, 0),
        ]))
        return module

    def Inception_ResNet_A(nInputPlane):
        inceptionModule = nn.Concat(1)
        inceptionModule.add(ConvBN(nInputPlane, 32, 1, 1, 1, 1, 0, 0))
        inceptionModule.add(Tower([
            ConvBN(nInputPlane, 32, 1, 1, 1, 1, 0, 0),
            ConvBN(32, 32, 3, 3, 1, 1, 1, 1),
        ]))
        inceptionModule.add(Tower([
            ConvBN(nInputPlane, 32, 1, 1, 1, 1, 0, 0),
            ConvBN(32, 48, 3, 3, 1, 1, 1, 1),
            ConvBN(48, 64, 3, 3, 1, 1, 1, 1),
        ]))
        preActivation = nn.Sequential()
        preActivation.add(ReLU(True))
        preActivation.add(inceptionModule)
        preActivation.add(SpatialConvolution(128, 256, 1, 1, 1, 1, 0, 0))

        return Residual(preActivation)

    def Inception_ResNet_B(nInputPlane):
        inceptionModule = nn.Concat(1)
        inceptionModule.add(ConvBN(nInputPlane, 192, 1, 1, 1, 1, 0, 0))
        inceptionModule.add(Tower([
            ConvBN(nInputPlane, 128, 1, 1, 1, 1, 0, 0),
            ConvBN(128, 160, 1, 7, 1, 1, 0, 3),
            ConvBN(160, 192, 7, 1, 1, 1, 3, 0),
        ]))
        preActivation = nn.Sequential()
        preActivation.add(ReLU(True))
        preActivation.add(inceptionModule)
        preActivation.add(SpatialConvolution(384, 896, 1, 1, 1, 1, 0, 0))

        return Residual(preActivation)

    def Inception_ResNet_C(nInputPlane):
        inceptionModule = nn.Concat(1)
        inceptionModule.add(ConvBN(nInputPlane, 192, 1, 1, 1, 1, 0, 0))
        inceptionModule.add(Tower([
            ConvBN(nInputPlane, 192, 1, 1, 1, 1, 0, 0),
            ConvBN(192, 224, 1, 3, 1, 1, 0, 1),
            ConvBN(224, 256, 3, 1, 1, 1, 1, 0),
        ]))
        preActivation = nn.Sequential()
        preActivation.add(ReLU(True))
        preActivation.add(inceptionModule)
        preActivation.add(SpatialConvolution(448, 1792, 1, 1, 1, 1, 0, 0))

        return Residual(preActivation)

    model = Stem()
    model.add(ConvBN(384, 256, 1, 1, 1, 1, 0, 0))

    for i in range(5):
        model.add(Inception_ResNet_A(256))

    model.add(Reduction_A(256, 256, 256, 256, 384))

    for i in range(10):
        model.add(Inception_ResNet_B(896))

    model.add(Reduction_B(896))

    for i in range(5):
        model.add(Inception_ResNet_C(1792))

    model.add(SpatialAveragePooling(8, 8, 1, 1))
    model.add(nn.View(-1).setNumInputDims(3))
    model.add(nn.Dropout(0.2))
    model.add(nn.Linear(1792, 1000))
    model.add(nn.LogSoftMax())

    return {
        'model': model,
        'rescaleImgSize': 384,
        'InputSize': [3, 299, 299],
    }


# --- checks the test files share -----------------------------------------------------------------------------

def forward_backward(model, size=224, batch=2):
    """For the tests: one training-mode forward of a batch of ``batch`` random ``size`` x ``size`` images and the
    ClassNLL backward (labels 3 and 999); returns the input, the output and the input's gradient."""
    lg.manualSeed(5)
    x = lg.randn(batch, 3, size, size)
    crit = nn.ClassNLLCriterion()
    model.training()
    y = model.forward(x)
    model.zeroGradParameters()
    gradInput = model.backward(x, crit.backward(y, lg.Tensor([3, 999][:batch])))
    return x, y, gradInput


def check_alexnet_run(model, features):
    """For the tests: ``forward_backward`` of an AlexNet-shaped model asserted: 1000 log-probabilities per image,
    ``features`` ending in 256 planes of 6 x 6 (the files' "13 -> 6"), gradients reaching the input and the
    first convolution's weight."""
    x, y, gradInput = forward_backward(model)
    assert y.size() == (2, 1000)
    np.testing.assert_allclose(np.exp(y.numpy()).sum(1), 1, rtol=1e-4)
    assert features.output.size() == (2, 256, 6, 6)
    assert gradInput.size() == x.size() and np.isfinite(gradInput.numpy()).all()
    assert np.abs(gradInput.numpy()).sum() > 0
    first = model.findModules('cudnn.SpatialConvolution')[0][0]
    assert np.abs(first.gradWeight.numpy()).sum() > 0
