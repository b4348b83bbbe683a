"""A stand-in for deepmask's ``pretrained/resnet-50.t7`` (fb.resnet.torch's ImageNet ResNet-50, loaded by
DeepMask.lua), not part of the port: fb.resnet.torch's models/resnet.lua layout for ImageNet (conv1 7x7/2, its
batch normalisation, ReLU, max pooling 3x3/2, four stages of bottleneck blocks, average pooling, View, Linear)
with one block per stage and bottlenecks of 16 planes instead of 64 to 512, but the stages' output planes
(256, 512, 1024, 2048) and the strides DeepMask and SharpMask rely on: the trunk ends at 1/16 of the input
(``fSz = iSz / 16``) and SharpMask taps 64, 256, 512 and 1024 planes. Random weights, batch normalisations with
random running statistics (BNtoFixed folds them)."""
import legonn as lg
from legonn import cudnn, nn


def _bn(n):
    bn = nn.SpatialBatchNormalization(n)
    bn.running_mean.uniform(-0.1, 0.1)
    bn.running_var.uniform(0.5, 1.5)
    return bn


def _bottleneck(nin, n, nout, stride):
    s = nn.Sequential()
    s.add(cudnn.SpatialConvolution(nin, n, 1, 1, 1, 1, 0, 0)).add(_bn(n)).add(cudnn.ReLU(True))
    s.add(cudnn.SpatialConvolution(n, n, 3, 3, stride, stride, 1, 1)).add(_bn(n)).add(cudnn.ReLU(True))
    s.add(cudnn.SpatialConvolution(n, nout, 1, 1, 1, 1, 0, 0)).add(_bn(nout))
    shortcut = nn.Sequential().add(cudnn.SpatialConvolution(nin, nout, 1, 1, stride, stride)).add(_bn(nout))
    return nn.Sequential().add(nn.ConcatTable().add(s).add(shortcut)).add(nn.CAddTable(True)).add(cudnn.ReLU(True))


def resnet50_standin():
    model = nn.Sequential()
    model.add(cudnn.SpatialConvolution(3, 64, 7, 7, 2, 2, 3, 3))
    model.add(_bn(64))
    model.add(cudnn.ReLU(True))
    model.add(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    model.add(nn.Sequential().add(_bottleneck(64, 16, 256, 1)))
    model.add(nn.Sequential().add(_bottleneck(256, 16, 512, 2)))
    model.add(nn.Sequential().add(_bottleneck(512, 16, 1024, 2)))
    model.add(nn.Sequential().add(_bottleneck(1024, 16, 2048, 2)))
    model.add(cudnn.SpatialAveragePooling(1, 1, 1, 1))
    model.add(nn.View(2048).setNumInputDims(3))
    model.add(nn.Linear(2048, 10))
    model.evaluate()
    return model
