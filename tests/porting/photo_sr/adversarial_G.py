"""adversarial_G.lua: the SRGAN generator, a 1-plane (luminance) image upscaled 4x: a 3x3 convolution to 64 planes,
15 residual blocks (conv-BN-ReLU-conv-BN plus the identity), two stride-2 full convolutions, a last 3x3 full
convolution back to one plane. ``createModel()`` is what the file returns."""
from legonn import nn


def createModel():
    global model

    def bottleneck():
        convs = nn.Sequential()
        convs.add(nn.SpatialConvolution(64, 64, 3, 3, 1, 1, 1, 1))
        convs.add(nn.SpatialBatchNormalization(64))
        convs.add(nn.ReLU(True))
        convs.add(nn.SpatialConvolution(64, 64, 3, 3, 1, 1, 1, 1))
        convs.add(nn.SpatialBatchNormalization(64))
        shortcut = nn.Identity()
        return nn.Sequential().add(nn.ConcatTable().add(convs).add(shortcut)).add(nn.CAddTable(True))

    def layer(count):
        s = nn.Sequential()
        for i in range(count):
            s.add(bottleneck())
        return s

    model = nn.Sequential()
    model.add(nn.SpatialConvolution(1, 64, 3, 3, 1, 1, 1, 1))
    model.add(nn.ReLU())
    model.add(layer(15))
    model.add(nn.SpatialFullConvolution(64, 64, 3, 3, 2, 2, 1, 1, 1, 1))
    model.add(nn.ReLU())
    model.add(nn.SpatialFullConvolution(64, 64, 3, 3, 2, 2, 1, 1, 1, 1))
    model.add(nn.ReLU())
    model.add(nn.SpatialFullConvolution(64, 1, 3, 3, 1, 1, 1, 1))
    return model
