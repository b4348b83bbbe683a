"""convnet-benchmarks' torch7/imagenet_winners/overfeat.lua ported line by line (no edits beyond Lua syntax and
0-based indices)."""
from legonn import nn


def overfeat_fast(lib):
    SpatialConvolution = lib[0]
    SpatialMaxPooling = lib[1]
    ReLU = lib[2]
    SpatialZeroPadding = nn.SpatialZeroPadding  # noqa: F841  (unused in the Lua too)

    features = nn.Sequential()
    features.add(SpatialConvolution(3, 96, 11, 11, 4, 4))
    features.add(ReLU(True))
    features.add(SpatialMaxPooling(2, 2, 2, 2))
    features.add(SpatialConvolution(96, 256, 5, 5, 1, 1))
    features.add(ReLU(True))
    features.add(SpatialMaxPooling(2, 2, 2, 2))
    features.add(SpatialConvolution(256, 512, 3, 3, 1, 1, 1, 1))
    features.add(ReLU(True))
    features.add(SpatialConvolution(512, 1024, 3, 3, 1, 1, 1, 1))
    features.add(ReLU(True))
    features.add(SpatialConvolution(1024, 1024, 3, 3, 1, 1, 1, 1))
    features.add(ReLU(True))
    features.add(nn.SpatialMaxPooling(2, 2, 2, 2))

    features.get(0).gradInput = None

    classifier = nn.Sequential()
    classifier.add(nn.View(1024 * 6 * 6))
    # classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(1024 * 6 * 6, 3072))
    classifier.add(nn.Threshold(0, 1e-6))
    # classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(3072, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Linear(4096, 1000))
    # classifier.add(nn.LogSoftMax())

    model = nn.Sequential()
    model.add(features).add(classifier)

    return model, 'OverFeat[fast]', [128, 3, 231, 231]
