"""convnet-benchmarks' torch7/imagenet_winners/googlenet.lua ported line by line.

Edits beyond Lua syntax and 0-based indices: ``cudnn`` is the global benchmark.lua's ``require 'cudnn'`` makes,
imported here. ``torch.type(lib[2]) == 'nn.SpatialMaxPooling' and nn.SpatialAveragePooling or
cudnn.SpatialAveragePooling`` is Lua's and/or choice, a conditional expression; ``lib[2]`` is a class, whose
``torch.type`` is 'table' in Torch7 and in legonn, so the cudnn pooling is taken whatever the library.
"""
import legonn as lg
from legonn import cudnn, nn


# adapted from nagadomi's CIFAR attempt: https://github.com/nagadomi/kaggle-cifar10-torch7/blob/cuda-convnet2/inception_model.lua
def inception(depth_dim, input_size, config, lib):
    SpatialConvolution = lib[0]
    SpatialMaxPooling = lib[1]
    ReLU = lib[2]

    depth_concat = nn.Concat(depth_dim)
    conv1 = nn.Sequential()
    conv1.add(SpatialConvolution(input_size, config[0][0], 1, 1)).add(ReLU(True))
    depth_concat.add(conv1)

    conv3 = nn.Sequential()
    conv3.add(SpatialConvolution(input_size, config[1][0], 1, 1)).add(ReLU(True))
    conv3.add(SpatialConvolution(config[1][0], config[1][1], 3, 3, 1, 1, 1, 1)).add(ReLU(True))
    depth_concat.add(conv3)

    conv5 = nn.Sequential()
    conv5.add(SpatialConvolution(input_size, config[2][0], 1, 1)).add(ReLU(True))
    conv5.add(SpatialConvolution(config[2][0], config[2][1], 5, 5, 1, 1, 2, 2)).add(ReLU(True))
    depth_concat.add(conv5)

    pool = nn.Sequential()
    pool.add(SpatialMaxPooling(config[3][0], config[3][0], 1, 1, 1, 1))
    pool.add(SpatialConvolution(input_size, config[3][1], 1, 1)).add(ReLU(True))
    depth_concat.add(pool)

    return depth_concat


def googlenet(lib):
    SpatialConvolution = lib[0]
    SpatialMaxPooling = lib[1]
    SpatialAveragePooling = nn.SpatialAveragePooling if lg.type(lib[1]) == 'nn.SpatialMaxPooling' \
        else cudnn.SpatialAveragePooling
    ReLU = lib[2]
    model = nn.Sequential()
    model.add(SpatialConvolution(3, 64, 7, 7, 2, 2, 3, 3)).add(ReLU(True))
    model.add(SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    # LRN (not added for now)
    model.add(SpatialConvolution(64, 64, 1, 1, 1, 1, 0, 0)).add(ReLU(True))
    model.add(SpatialConvolution(64, 192, 3, 3, 1, 1, 1, 1)).add(ReLU(True))
    # LRN (not added for now)
    model.add(SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    model.add(inception(1, 192, [[64], [96, 128], [16, 32], [3, 32]], lib))  # 256
    model.add(inception(1, 256, [[128], [128, 192], [32, 96], [3, 64]], lib))  # 480
    model.add(SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    model.add(inception(1, 480, [[192], [96, 208], [16, 48], [3, 64]], lib))  # 4(a)
    model.add(inception(1, 512, [[160], [112, 224], [24, 64], [3, 64]], lib))  # 4(b)
    model.add(inception(1, 512, [[128], [128, 256], [24, 64], [3, 64]], lib))  # 4(c)
    model.add(inception(1, 512, [[112], [144, 288], [32, 64], [3, 64]], lib))  # 4(d)
    model.add(inception(1, 528, [[256], [160, 320], [32, 128], [3, 128]], lib))  # 4(e) (14x14x832)
    model.add(SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    model.add(inception(1, 832, [[256], [160, 320], [32, 128], [3, 128]], lib))  # 5(a)
    model.add(inception(1, 832, [[384], [192, 384], [48, 128], [3, 128]], lib))  # 5(b)
    model.add(SpatialAveragePooling(7, 7, 1, 1))
    model.add(nn.View(1024).setNumInputDims(3))
    # model.add(nn.Dropout(0.4))
    model.add(nn.Linear(1024, 1000)).add(nn.ReLU(True))
    # model.add(nn.LogSoftMax())
    model.get(0).gradInput = None
    return model, 'GoogleNet', [128, 3, 224, 224]
