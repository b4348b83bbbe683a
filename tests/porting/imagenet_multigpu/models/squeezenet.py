"""models/squeezenet.lua ported line by line (SqueezeNet with simple bypasses, http://arxiv.org/abs/1602.07360).

Edits beyond Lua syntax and 0-based indices: ``nn.Concat(2)`` is ``nn.Concat(1)``."""
from legonn import nn

from ..util import makeDataParallel
from . import G

# implementation of squeezenet proposed in: http://arxiv.org/abs/1602.07360


def fire(ch, s1, e1, e3):
    net = nn.Sequential()
    net.add(nn.SpatialConvolution(ch, s1, 1, 1))
    net.add(nn.ReLU(True))
    exp = nn.Concat(1)
    exp.add(nn.SpatialConvolution(s1, e1, 1, 1))
    exp.add(nn.SpatialConvolution(s1, e3, 3, 3, 1, 1, 1, 1))
    net.add(exp)
    net.add(nn.ReLU(True))
    return net


def bypass(net):
    cat = nn.ConcatTable()
    cat.add(net)
    cat.add(nn.Identity())
    seq = nn.Sequential()
    seq.add(cat)
    seq.add(nn.CAddTable(True))
    return seq


def squeezenet(output_classes):
    net = nn.Sequential()
    net.add(nn.SpatialConvolution(3, 96, 7, 7, 2, 2, 0, 0))  # conv1
    net.add(nn.ReLU(True))
    net.add(nn.SpatialMaxPooling(3, 3, 2, 2))
    net.add(fire(96, 16, 64, 64))  # fire2
    net.add(bypass(fire(128, 16, 64, 64)))  # fire3
    net.add(fire(128, 32, 128, 128))  # fire4
    net.add(nn.SpatialMaxPooling(3, 3, 2, 2))
    net.add(bypass(fire(256, 32, 128, 128)))  # fire5
    net.add(fire(256, 48, 192, 192))  # fire6
    net.add(bypass(fire(384, 48, 192, 192)))  # fire7
    net.add(fire(384, 64, 256, 256))  # fire8
    net.add(nn.SpatialMaxPooling(3, 3, 2, 2))
    net.add(bypass(fire(512, 64, 256, 256)))  # fire9
    net.add(nn.Dropout())
    net.add(nn.SpatialConvolution(512, output_classes, 1, 1, 1, 1, 1, 1))  # conv10
    net.add(nn.ReLU(True))
    net.add(nn.SpatialAveragePooling(14, 14, 1, 1))
    net.add(nn.View(output_classes))
    net.add(nn.LogSoftMax())
    return net


def createModel(nGPU):
    model = squeezenet(G['nClasses'])
    model.cuda()
    model = makeDataParallel(model, nGPU)
    model.imageSize = 256
    model.imageCrop = 224
    return model
