"""nin_model.lua: Network in Network (validate.lua's accuracy 0.911) on ccn2's C x H x W x N layout (the
ccn2.py stand-in), back to N x C x H x W for the last mlpconv layer and MySpatialAveragePooling.
``nn.Transpose({1,4},{1,3},{1,2})`` swaps 0-based dimensions here."""
from legonn import nn

from . import ccn2
from .lib.SpatialAveragePooling import MySpatialAveragePooling


# Network in Network model
def nin_model():  # validate.lua Acc: 0.911
    model = nn.Sequential()
    final_mlpconv_layer = None

    # MLP Convolution Layers

    model.add(nn.Transpose([0, 3], [0, 2], [0, 1]))

    model.add(ccn2.SpatialConvolution(3, 128, 5, 1, 3))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialConvolution(128, 96, 1, 1))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialMaxPooling(3, 2))
    model.add(nn.Dropout(0.25))

    model.add(ccn2.SpatialConvolution(96, 192, 5, 1, 2))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialConvolution(192, 256, 1, 1))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialMaxPooling(3, 2))
    model.add(nn.Dropout(0.5))

    model.add(ccn2.SpatialConvolution(256, 256, 5, 1, 2))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialConvolution(256, 1024, 1, 1))
    model.add(nn.ReLU())

    # Global Average Pooling Layer

    model.add(nn.Transpose([3, 0], [3, 1], [3, 2]))
    final_mlpconv_layer = nn.SpatialConvolutionMM(1024, 10, 1, 1, 1, 1)
    model.add(final_mlpconv_layer)
    model.add(nn.ReLU())
    model.add(MySpatialAveragePooling(10, 5, 5, 5, 5))
    model.add(nn.Reshape(10))
    model.add(nn.SoftMax())

    # all initial values in final layer must be a positive number.
    # this trick is awfully important ('-')b
    final_mlpconv_layer.weight.abs()
    final_mlpconv_layer.bias.abs()

    return model
