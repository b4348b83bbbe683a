"""models/vgg.lua ported line by line (VGG A, B, D or E, the classifier plain).

Edits beyond Lua syntax and 0-based indices: ``modelType`` is a parameter (default 'A', the file's choice) so
that the tests can build configuration D too; ``error(...)`` raises."""
from legonn import nn

from ..util import makeDataParallel
from . import G


def createModel(nGPU, modelType='A'):
    # modelType = 'A' -- on a titan black, B/D/E run out of memory even for batch-size 32

    # Create tables describing VGG configurations A, B, D, E
    cfg = []
    if modelType == 'A':
        cfg = [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M']
    elif modelType == 'B':
        cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M']
    elif modelType == 'D':
        cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M']
    elif modelType == 'E':
        cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M']
    else:
        raise RuntimeError('Unknown model type: ' + modelType + ' | Please specify a modelType A or B or D or E')

    features = nn.Sequential()
    iChannels = 3
    for k, v in enumerate(cfg):
        if v == 'M':
            features.add(nn.SpatialMaxPooling(2, 2, 2, 2))
        else:
            oChannels = v
            conv3 = nn.SpatialConvolution(iChannels, oChannels, 3, 3, 1, 1, 1, 1)
            features.add(conv3)
            features.add(nn.ReLU(True))
            iChannels = oChannels

    features.cuda()
    features = makeDataParallel(features, nGPU)  # defined in util.lua

    classifier = nn.Sequential()
    classifier.add(nn.View(512 * 7 * 7))
    classifier.add(nn.Linear(512 * 7 * 7, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(4096, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(4096, G['nClasses']))
    classifier.add(nn.LogSoftMax())
    classifier.cuda()

    model = nn.Sequential()
    model.add(features).add(classifier)
    model.imageSize = 256
    model.imageCrop = 224

    return model
