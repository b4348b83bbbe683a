"""cudnn.torch's poolings: SpatialMaxPooling, SpatialAveragePooling, VolumetricMaxPooling,
VolumetricAveragePooling, each nn's with cudnn's constructor (cudnn/Pooling.lua, Pooling3D.lua): the
stride defaults to the kernel size, ``ceil()``/``floor()`` choose the output size's rounding, average
pooling divides by the window size counting padding (count_include_pad)."""
from .. import nn
from .base import CudnnClass


class SpatialMaxPooling(CudnnClass, nn.SpatialMaxPooling):
    """``SpatialMaxPooling(kW, kH, dW=kW, dH=kH, padW=0, padH=0)``; input ``(C, H, W)`` or ``(N, C, H, W)``."""


class SpatialAveragePooling(CudnnClass, nn.SpatialAveragePooling):
    """``SpatialAveragePooling(kW, kH, dW=kW, dH=kH, padW=0, padH=0)``: the stride defaults to the kernel
    size, where nn's defaults to 1 (cudnn/Pooling.lua); averages count the padding, as cuDNN's
    AVERAGE_COUNT_INCLUDE_PADDING mode. Input ``(C, H, W)`` or ``(N, C, H, W)``."""

    def __init__(self, kW, kH, dW=None, dH=None, padW=0, padH=0):
        super().__init__(kW, kH, kW if dW is None else dW, kH if dH is None else dH, padW, padH)


class VolumetricMaxPooling(CudnnClass, nn.VolumetricMaxPooling):
    """``VolumetricMaxPooling(kT, kW, kH, dT=kT, dW=kW, dH=kH, padT=0, padW=0, padH=0)``; input
    ``(C, T, H, W)`` or ``(N, C, T, H, W)``."""


class VolumetricAveragePooling(CudnnClass, nn.VolumetricAveragePooling):
    """``VolumetricAveragePooling(kT, kW, kH, dT=kT, dW=kW, dH=kH, padT=0, padW=0, padH=0)``, counting the
    padding; input ``(C, T, H, W)`` or ``(N, C, T, H, W)``. cudnn's constructor reads the padding, which
    nn's does not."""

    def __init__(self, kT, kW, kH, dT=None, dW=None, dH=None, padT=0, padW=0, padH=0):
        super(nn.VolumetricAveragePooling, self).__init__(kT, kW, kH, dT, dW, dH, padT, padW, padH)
