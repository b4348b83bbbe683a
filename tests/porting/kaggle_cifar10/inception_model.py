"""inception_model.lua: GoogLeNet's inception modules (1x1, 1x1+3x3, 1x1+5x5, pool projection) joined by
nn.DepthConcat, ending in MySpatialAveragePooling over 6 x 6. ``nn.DepthConcat(2)`` joins planes: dimension 1
here (0-based). ``require 'ccn2'`` is unused by this file."""
from legonn import nn

from .lib.SpatialAveragePooling import MySpatialAveragePooling

# Inception Architecture
# NOTICE: This code did not test enough yet. This implementation doesn't have auxiliary classifiers. It gives
# me accuracy of 88%. I didn't use this model in kaggle CIFAR-10 competition.


# inception 1x1,1x1+3x3,1x1+5x5,poolproj module
def inception_module(depth_dim, input_size, config):
    conv1 = None
    conv3 = None
    conv5 = None
    pool = None

    depth_concat = nn.DepthConcat(depth_dim)
    conv1 = nn.Sequential()
    conv1.add(nn.SpatialConvolutionMM(input_size, config[0][0], 1, 1))
    conv1.add(nn.ReLU())
    depth_concat.add(conv1)
    conv3 = nn.Sequential()
    conv3.add(nn.SpatialConvolutionMM(input_size, config[1][0], 1, 1))
    conv3.add(nn.ReLU())
    conv3.add(nn.SpatialConvolutionMM(config[1][0], config[1][1], 3, 3))
    conv3.add(nn.ReLU())
    depth_concat.add(conv3)
    conv5 = nn.Sequential()
    conv5.add(nn.SpatialConvolutionMM(input_size, config[2][0], 1, 1))
    conv5.add(nn.ReLU())
    conv5.add(nn.SpatialConvolutionMM(config[2][0], config[2][1], 5, 5))
    conv5.add(nn.ReLU())
    depth_concat.add(conv5)
    pool = nn.Sequential()
    pool.add(nn.SpatialMaxPooling(config[3][0], config[3][0], 1, 1))
    pool.add(nn.SpatialConvolutionMM(input_size, config[3][1], 1, 1))
    pool.add(nn.ReLU())
    depth_concat.add(pool)

    return depth_concat


def inception_model():  # validate.lua Acc:
    model = nn.Sequential()

    # first convolution layer (VGG configuration)

    model.add(nn.SpatialConvolutionMM(3, 64, 3, 3, 1, 1, 1))
    model.add(nn.ReLU())
    model.add(nn.SpatialConvolutionMM(64, 64, 3, 3, 1, 1, 1))
    model.add(nn.ReLU())
    model.add(nn.SpatialMaxPooling(2, 2, 2, 2))

    # inception 3a
    model.add(inception_module(1, 64, [[64], [96, 128], [16, 32], [3, 32]]))

    # inception 3b
    model.add(inception_module(1, 256, [[128], [128, 192], [32, 96], [3, 64]]))

    # maxpool
    model.add(nn.SpatialMaxPooling(2, 2, 2, 2))

    # inception 4a
    model.add(inception_module(1, 480, [[192], [96, 208], [16, 48], [3, 64]]))

    # inception 4b
    model.add(inception_module(1, 512, [[160], [112, 224], [24, 64], [3, 64]]))

    # inception 4c
    model.add(inception_module(1, 512, [[128], [128, 256], [24, 64], [3, 64]]))

    # inception 4d
    # model:add(inception_module(2, 512, {{112}, {144, 288}, {32, 64}, {3, 64}}))

    # inception 4e
    # model:add(inception_module(2, 528, {{256}, {160, 320}, {32, 128}, {3, 128}}))

    # global avgpool
    model.add(MySpatialAveragePooling(512, 6, 6, 6, 6))
    model.add(nn.Dropout(0.4))

    model.add(nn.SpatialConvolutionMM(512, 10, 1, 1, 1, 1))
    model.add(nn.Reshape(10))
    model.add(nn.SoftMax())

    return model
