"""cudnn.torch's softmaxes (cudnn/SpatialSoftMax.lua and the files built on it).

cuDNN normalises in one of two modes. INSTANCE mode (``SoftMax``, ``LogSoftMax``) normalises each sample
over all its values: a ``(C, H, W)`` input over its C*H*W values, an ``(N, C, H, W)`` one over each
sample's C*H*W, where nn's normalise over C at each pixel (the same for 1-D and 2-D inputs). CHANNEL mode
(``SpatialSoftMax``, ``SpatialLogSoftMax``, ``VolumetricSoftMax``, ``VolumetricLogSoftMax``) normalises over
the planes at each position, as nn.SpatialSoftMax. ``fastMode`` picks cuDNN's FAST algorithm (no shift by
the maximum); legonn always shifts, which gives the same values without overflow: the flag is kept in
``algorithm`` and changes nothing.
"""
from .. import nn
from ..modules.base.module import Module
from .base import CudnnClass

_INSTANCE_AXES = {1: 0, 2: 1, 3: (0, 1, 2), 4: (1, 2, 3)}


def _algorithm(fast):
    return 'CUDNN_SOFTMAX_FAST' if fast else 'CUDNN_SOFTMAX_ACCURATE'


class _PerSample:
    """INSTANCE mode on nn.SoftMax's maths: the normalised axes are every axis but the batch axis."""

    def _axis(self, input):
        self.checkInput(input)
        return _INSTANCE_AXES[input.dim()]


class SoftMax(CudnnClass, _PerSample, nn.SoftMax):
    """``SoftMax(fastMode=False)``: y = exp(x) / sum exp(x) over each sample's values (INSTANCE mode): a
    1-D input over its values, ``(N, D)`` over D, ``(C, H, W)`` over all, ``(N, C, H, W)`` per sample."""

    def __init__(self, fastMode=False):
        super().__init__()
        self.algorithm = _algorithm(fastMode)


class LogSoftMax(CudnnClass, _PerSample, nn.LogSoftMax):
    """``LogSoftMax(fastMode=False)``: y = x - log sum exp(x) over each sample's values (INSTANCE mode, shapes as
    SoftMax); the flag is accepted as the Lua's (which always uses the LOG algorithm)."""

    def __init__(self, fastMode=False):
        super().__init__()
        self.algorithm = 'CUDNN_SOFTMAX_LOG'


class SpatialSoftMax(CudnnClass, nn.SpatialSoftMax):
    """``SpatialSoftMax(fastMode=False)``: softmax over the planes at each position (CHANNEL mode):
    ``(C,)``, ``(N, C)``, ``(C, H, W)`` or ``(N, C, H, W)``, over C."""

    def __init__(self, fastMode=False):
        super().__init__()
        self.algorithm = _algorithm(fastMode)


class SpatialLogSoftMax(CudnnClass, nn.SpatialLogSoftMax):
    """``SpatialLogSoftMax(fastMode=False)``: log-softmax over the planes at each position (CHANNEL mode);
    the flag is accepted as the Lua's (which always uses the LOG algorithm)."""

    def __init__(self, fastMode=False):
        super().__init__()
        self.algorithm = 'CUDNN_SOFTMAX_LOG'


def fold_time_height(t):
    """(C, T, H, W) -> (C, T*H, W) and (N, C, T, H, W) -> (N, C, T*H, W): time and height as one axis."""
    sizes = t.size()
    return t.contiguous().view(*sizes[:-3], sizes[-3] * sizes[-2], sizes[-1])


class VolumetricSoftMax(CudnnClass, Module):
    """``VolumetricSoftMax(fastMode=False)``: softmax over the planes at each position of a ``(C, T, H, W)``
    or ``(N, C, T, H, W)`` input, run by its ``ssm`` (a cudnn.SpatialSoftMax) on the input with time and
    height folded into one axis, as cudnn/VolumetricSoftMax.lua; output the input's size."""

    input_ranks = (4, 5)

    def __init__(self, fastMode=False):
        super().__init__()
        self.ssm = SpatialSoftMax(fastMode)

    def updateOutput(self, input):
        self.checkInput(input)
        self.output = self.ssm.updateOutput(fold_time_height(input)).view(input.size())
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkGradOutput(gradOutput, self.output)
        grad = self.ssm.updateGradInput(fold_time_height(input), fold_time_height(gradOutput))
        self.gradInput = grad.view(input.size())
        return self.gradInput

    def clearState(self):
        self.ssm.clearState()
        return super().clearState()


class VolumetricLogSoftMax(VolumetricSoftMax):
    """``VolumetricLogSoftMax(fastMode=False)``: log-softmax over the planes at each position of a
    ``(C, T, H, W)`` or ``(N, C, T, H, W)`` input, its ``ssm`` a cudnn.SpatialLogSoftMax."""

    def __init__(self, fastMode=False):
        super().__init__(fastMode)
        self.ssm = SpatialLogSoftMax(fastMode)
