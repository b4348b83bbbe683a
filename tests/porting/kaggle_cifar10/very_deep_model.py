"""very_deep_model.lua: the competition's model (VGG-style 3x3 convolutions on ccn2's C x H x W x N layout,
the ccn2.py stand-in; validate.lua's accuracy 0.924)."""
from legonn import nn

from . import ccn2


# Very Deep model
def very_deep_model():  # validate.lua Acc: 0.924
    model = nn.Sequential()
    final_mlpconv_layer = None  # noqa: F841

    # Convolution Layers

    model.add(nn.Transpose([0, 3], [0, 2], [0, 1]))
    model.add(ccn2.SpatialConvolution(3, 64, 3, 1, 1))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialConvolution(64, 64, 3, 1, 1))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialMaxPooling(2, 2))
    model.add(nn.Dropout(0.25))

    model.add(ccn2.SpatialConvolution(64, 128, 3, 1, 1))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialConvolution(128, 128, 3, 1, 1))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialMaxPooling(2, 2))
    model.add(nn.Dropout(0.25))

    model.add(ccn2.SpatialConvolution(128, 256, 3, 1, 1))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialConvolution(256, 256, 3, 1, 1))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialConvolution(256, 256, 3, 1, 1))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialConvolution(256, 256, 3, 1, 1))
    model.add(nn.ReLU())
    model.add(ccn2.SpatialMaxPooling(2, 2))
    model.add(nn.Dropout(0.25))

    # Fully Connected Layers
    model.add(ccn2.SpatialConvolution(256, 1024, 3, 1, 0))
    model.add(nn.ReLU())
    model.add(nn.Dropout(0.5))
    model.add(ccn2.SpatialConvolution(1024, 1024, 1, 1, 0))
    model.add(nn.ReLU())
    model.add(nn.Dropout(0.5))

    model.add(nn.Transpose([3, 0], [3, 1], [3, 2]))

    model.add(nn.SpatialConvolutionMM(1024, 10, 1, 1))
    model.add(nn.Reshape(10))
    model.add(nn.SoftMax())

    return model
