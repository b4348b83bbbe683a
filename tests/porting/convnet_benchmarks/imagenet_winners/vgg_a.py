"""convnet-benchmarks' torch7/imagenet_winners/vgg_a.lua ported line by line (no edits beyond Lua syntax and
0-based indices)."""
from legonn import nn


def vgg_a(lib):
    SpatialConvolution = lib[0]
    SpatialMaxPooling = lib[1]
    ReLU = lib[2]
    SpatialZeroPadding = nn.SpatialZeroPadding  # noqa: F841  (unused in the Lua too)
    padding = True
    stride1only = False
    if lib[4] == 'fbfft':
        padding = False  # fbfft does not support implicit zero padding  # noqa: F841
        stride1only = True  # fbfft does not support convolutions that are not stride-1  # noqa: F841

    modelType = 'A'  # on a titan black, B/D/E run out of memory even for batch-size 32

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
            features.add(SpatialMaxPooling(2, 2, 2, 2))
        else:
            oChannels = v
            features.add(SpatialConvolution(iChannels, oChannels, 3, 3, 1, 1, 1, 1))
            features.add(ReLU(True))
            iChannels = oChannels

    features.get(0).gradInput = None

    classifier = nn.Sequential()
    classifier.add(nn.View(512 * 7 * 7))
    classifier.add(nn.Linear(512 * 7 * 7, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    # classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(4096, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    # classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(4096, 1000))
    # classifier.add(nn.LogSoftMax())

    model = nn.Sequential()
    model.add(features).add(classifier)

    return model, 'VGG Model-' + modelType, [64, 3, 224, 224]
