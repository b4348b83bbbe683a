"""models/googlenet.lua ported line by line (the BN-Inception layout without batch normalisation, with its
auxiliary classifier concatenated to the main one's log-probabilities).

Edits beyond Lua syntax and 0-based indices: ``nn.Concat(2)`` is ``nn.Concat(1)``; ``error(...)`` raises."""
from legonn import nn

from ..util import makeDataParallel
from . import G


def inception(input_size, config):
    concat = nn.Concat(1)
    if config[0][0] != 0:
        conv1 = nn.Sequential()
        conv1.add(nn.SpatialConvolution(input_size, config[0][0], 1, 1, 1, 1)).add(nn.ReLU(True))
        concat.add(conv1)

    conv3 = nn.Sequential()
    conv3.add(nn.SpatialConvolution(input_size, config[1][0], 1, 1, 1, 1)).add(nn.ReLU(True))
    conv3.add(nn.SpatialConvolution(config[1][0], config[1][1], 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    concat.add(conv3)

    conv3xx = nn.Sequential()
    conv3xx.add(nn.SpatialConvolution(input_size, config[2][0], 1, 1, 1, 1)).add(nn.ReLU(True))
    conv3xx.add(nn.SpatialConvolution(config[2][0], config[2][1], 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    conv3xx.add(nn.SpatialConvolution(config[2][1], config[2][1], 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    concat.add(conv3xx)

    pool = nn.Sequential()
    pool.add(nn.SpatialZeroPadding(1, 1, 1, 1))  # remove after getting nn R2 into fbcode
    if config[3][0] == 'max':
        pool.add(nn.SpatialMaxPooling(3, 3, 1, 1).ceil())
    elif config[3][0] == 'avg':
        pool.add(nn.SpatialAveragePooling(3, 3, 1, 1).ceil())
    else:
        raise RuntimeError('Unknown pooling')
    if config[3][1] != 0:
        pool.add(nn.SpatialConvolution(input_size, config[3][1], 1, 1, 1, 1)).add(nn.ReLU(True))
    concat.add(pool)

    return concat


def createModel(nGPU):
    nClasses = G['nClasses']
    features = nn.Sequential()
    features.add(nn.SpatialConvolution(3, 64, 7, 7, 2, 2, 3, 3)).add(nn.ReLU(True))
    features.add(nn.SpatialMaxPooling(3, 3, 2, 2).ceil())
    features.add(nn.SpatialConvolution(64, 64, 1, 1)).add(nn.ReLU(True))
    features.add(nn.SpatialConvolution(64, 192, 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    features.add(nn.SpatialMaxPooling(3, 3, 2, 2).ceil())
    features.add(inception(192, [[64], [64, 64], [64, 96], ['avg', 32]]))  # 3(a)
    features.add(inception(256, [[64], [64, 96], [64, 96], ['avg', 64]]))  # 3(b)
    features.add(inception(320, [[0], [128, 160], [64, 96], ['max', 0]]))  # 3(c)
    features.add(nn.SpatialConvolution(576, 576, 2, 2, 2, 2))
    features.add(inception(576, [[224], [64, 96], [96, 128], ['avg', 128]]))  # 4(a)
    features.add(inception(576, [[192], [96, 128], [96, 128], ['avg', 128]]))  # 4(b)
    features.add(inception(576, [[160], [128, 160], [128, 160], ['avg', 96]]))  # 4(c)
    features.add(inception(576, [[96], [128, 192], [160, 192], ['avg', 96]]))  # 4(d)

    main_branch = nn.Sequential()
    main_branch.add(inception(576, [[0], [128, 192], [192, 256], ['max', 0]]))  # 4(e)
    main_branch.add(nn.SpatialConvolution(1024, 1024, 2, 2, 2, 2))
    main_branch.add(inception(1024, [[352], [192, 320], [160, 224], ['avg', 128]]))  # 5(a)
    main_branch.add(inception(1024, [[352], [192, 320], [192, 224], ['max', 128]]))  # 5(b)
    main_branch.add(nn.SpatialAveragePooling(7, 7, 1, 1))
    main_branch.add(nn.View(1024).setNumInputDims(3))
    main_branch.add(nn.Linear(1024, nClasses))
    main_branch.add(nn.LogSoftMax())

    # add auxillary classifier here (thanks to Christian Szegedy for the details)
    aux_classifier = nn.Sequential()
    aux_classifier.add(nn.SpatialAveragePooling(5, 5, 3, 3).ceil())
    aux_classifier.add(nn.SpatialConvolution(576, 128, 1, 1, 1, 1))
    aux_classifier.add(nn.View(128 * 4 * 4).setNumInputDims(3))
    aux_classifier.add(nn.Linear(128 * 4 * 4, 768))
    aux_classifier.add(nn.ReLU())
    aux_classifier.add(nn.Linear(768, nClasses))
    aux_classifier.add(nn.LogSoftMax())

    splitter = nn.Concat(1)
    splitter.add(main_branch).add(aux_classifier)
    model = nn.Sequential().add(features).add(splitter)

    model.cuda()
    model = makeDataParallel(model, nGPU)  # defined in util.lua
    model.imageSize = 256
    model.imageCrop = 224

    return model
