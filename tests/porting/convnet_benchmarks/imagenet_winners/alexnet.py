"""convnet-benchmarks' torch7/imagenet_winners/alexnet.lua ported line by line (no edits beyond Lua syntax and
0-based indices)."""
from legonn import nn


def alexnet(lib):
    SpatialConvolution = lib[0]
    SpatialMaxPooling = lib[1]
    ReLU = lib[2]
    SpatialZeroPadding = nn.SpatialZeroPadding  # noqa: F841  (unused in the Lua too)
    padding = True  # noqa: F841
    stride1only = False  # noqa: F841

    # from https://code.google.com/p/cuda-convnet2/source/browse/layers/layers-imagenet-1gpu.cfg
    # this is AlexNet that was presented in the One Weird Trick paper. http://arxiv.org/abs/1404.5997
    features = nn.Sequential()
    features.add(SpatialConvolution(3, 64, 11, 11, 4, 4, 2, 2))       # 224 -> 55
    features.add(ReLU(True))
    features.add(SpatialMaxPooling(3, 3, 2, 2))                   # 55 ->  27
    features.add(SpatialConvolution(64, 192, 5, 5, 1, 1, 2, 2))       # 27 -> 27
    features.add(ReLU(True))
    features.add(SpatialMaxPooling(3, 3, 2, 2))                   # 27 ->  13
    features.add(SpatialConvolution(192, 384, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(ReLU(True))
    features.add(SpatialConvolution(384, 256, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(ReLU(True))
    features.add(SpatialConvolution(256, 256, 3, 3, 1, 1, 1, 1))      # 13 ->  13
    features.add(ReLU(True))
    features.add(SpatialMaxPooling(3, 3, 2, 2))                   # 13 -> 6

    classifier = nn.Sequential()
    classifier.add(nn.View(256 * 6 * 6))
    # classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(256 * 6 * 6, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    # classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(4096, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Linear(4096, 1000))
    # classifier.add(nn.LogSoftMax())

    features.get(0).gradInput = None

    model = nn.Sequential()
    model.add(features).add(classifier)

    return model, 'AlexNet', [128, 3, 224, 224]
