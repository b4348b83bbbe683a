"""adversarial_D.lua: the SRGAN discriminator over a 1-plane image of ``input_size`` pixels a side (a multiple of
32): strided 3x3 convolutions with LeakyReLU and batch normalisation down to 1024 planes of input_size/32 pixels, a
convolution of that size to one plane, a Sigmoid, viewed as one value per sample. ``createModelD(input_size)`` is what
the file returns."""
from legonn import nn


def createModelD(input_size):
    global model, kernel_size
    model = nn.Sequential()
    model.add(nn.SpatialConvolution(1, 64, 3, 3, 1, 1, 1, 1))
    model.add(nn.LeakyReLU(0.2))
    model.add(nn.SpatialConvolution(64, 64, 3, 3, 2, 2, 1, 1))
    model.add(nn.LeakyReLU(0.2))
    model.add(nn.SpatialBatchNormalization(64))
    model.add(nn.SpatialConvolution(64, 128, 3, 3, 1, 1, 1, 1))
    model.add(nn.LeakyReLU(0.2))
    model.add(nn.SpatialBatchNormalization(128))
    model.add(nn.SpatialConvolution(128, 128, 3, 3, 2, 2, 1, 1))
    model.add(nn.LeakyReLU(0.2))
    model.add(nn.SpatialBatchNormalization(128))
    model.add(nn.SpatialConvolution(128, 256, 3, 3, 1, 1, 1, 1))
    model.add(nn.LeakyReLU(0.2))
    model.add(nn.SpatialBatchNormalization(256))
    model.add(nn.SpatialConvolution(256, 256, 3, 3, 2, 2, 1, 1))
    model.add(nn.LeakyReLU(0.2))
    model.add(nn.SpatialBatchNormalization(256))
    model.add(nn.SpatialConvolution(256, 512, 3, 3, 1, 1, 1, 1))
    model.add(nn.LeakyReLU(0.2))
    model.add(nn.SpatialBatchNormalization(512))
    model.add(nn.SpatialConvolution(512, 512, 3, 3, 2, 2, 1, 1))
    model.add(nn.LeakyReLU(0.2))
    model.add(nn.SpatialBatchNormalization(512))
    model.add(nn.SpatialConvolution(512, 1024, 3, 3, 2, 2, 1, 1))
    model.add(nn.LeakyReLU(0.2))
    kernel_size = input_size / 32
    model.add(nn.SpatialConvolution(1024, 1, kernel_size, kernel_size))
    model.add(nn.Sigmoid())
    model.add(nn.View(1))
    return model
