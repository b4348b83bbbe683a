"""A stand-in for soumith/cuda-convnet2.torch's ``ccn2`` (not part of the port, not part of legonn): the two
modules nin_model.lua and very_deep_model.lua use, on cuda-convnet's C x H x W x N layout. Each checks what
ccn2's constructor and ``ccn2.inputcheck`` check (input planes 1, 2, 3 or a multiple of 4; output planes a
multiple of 16; square images; a batch that is a multiple of 32) and gives ccn2's output sizes (convolution
``ceil((2 padding + H - kH) / dH + 1)``, pooling ``ceil((H - kW) / dW + 1)``), computed as N x C x H x W by
legonn's nn.SpatialConvolution and nn.SpatialMaxPooling (ceil mode) between two nn.Transposes. ccn2's
``typecheck`` (a CudaTensor only) is left out, so the models run on the CPU too; its weight layout
((nInputPlane*kH*kH) x nOutputPlane) is nn's here."""
import math

from legonn import nn


class _DHWB(nn.Sequential):
    """C x H x W x N in and out, the module ``inner`` applied to the N x C x H x W view."""

    def __init__(self, inner):
        super().__init__()
        self.add(nn.Transpose([3, 0], [3, 1], [3, 2])).add(inner).add(nn.Transpose([0, 3], [0, 2], [0, 1]))

    def updateOutput(self, input):
        if input.size(1) != input.size(2):
            raise ValueError(f"{self}: Only square images supported by this module! got {tuple(input.size())}")
        if math.fmod(input.size(3), 32) != 0:
            raise ValueError(f"{self}: Only batchSizes which are a multiple of 32 are supported, got "
                             f"{input.size(3)}")
        return super().updateOutput(input)


class SpatialConvolution(_DHWB):

    def __init__(self, nInputPlane, nOutputPlane, kH, dH=None, padding=None, groups=None):
        dH = dH or 1
        padding = padding or 0
        if not (nInputPlane >= 1 and (nInputPlane <= 3 or math.fmod(nInputPlane, 4) == 0)):
            raise ValueError('ccn2.SpatialConvolution: Number of input channels has to be 1, 2, 3 or a multiple '
                             f'of 4, got {nInputPlane}')
        if math.fmod(nOutputPlane, 16) != 0:
            raise ValueError(f'ccn2.SpatialConvolution: Number of output planes has to be a multiple of 16, '
                             f'got {nOutputPlane}')
        super().__init__(nn.SpatialConvolution(nInputPlane, nOutputPlane, kH, kH, dH, dH, padding, padding))


class SpatialMaxPooling(_DHWB):

    def __init__(self, kW, dW=None):
        super().__init__(nn.SpatialMaxPooling(kW, kW, dW or kW, dW or kW).ceil())


for _cls in (SpatialConvolution, SpatialMaxPooling):
    __import__('legonn').register(_cls, 'ccn2.' + _cls.__name__)
