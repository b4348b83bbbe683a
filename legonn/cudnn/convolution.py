"""cudnn.torch's convolutions: SpatialConvolution (with groups), TemporalConvolution (with padding),
SpatialFullConvolution, VolumetricConvolution, VolumetricFullConvolution, each legonn's nn twin with
cudnn's constructor."""
import inspect

from .. import nn
from ..modules.base.batching import batched
from ..modules.base.errors import input_error
from .base import AlgorithmChoice, CudnnClass


class SpatialConvolution(CudnnClass, AlgorithmChoice, nn.SpatialConvolution):
    """nn.SpatialConvolution with cudnn's arguments and grouped convolution.

    ``SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=0, groups=1)``: unlike
    nn's, ``padH`` defaults to 0, not to ``padW`` (cudnn/SpatialConvolution.lua). With ``groups`` g the
    planes split into g equal groups and output group j sees input group j only: ``weight`` is
    ``(nOutputPlane, nInputPlane / g, kH, kW)``, ``bias`` ``(nOutputPlane,)``; both plane counts must be
    multiples of g. Input ``(nInputPlane, H, W)`` or ``(N, nInputPlane, H, W)``; output as nn's.
    The weights start as nn's (uniform, fan-in kW*kH*nInputPlane, as the Lua's delayed nn reset).
    """

    positive_ints = nn.SpatialConvolution.positive_ints + ('groups',)

    def parameterSizes(self):
        return {'weight': (self.nOutputPlane, self.nInputPlane // self.groups, self.kH, self.kW),
                'bias': (self.nOutputPlane,)}

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=0, groups=1):
        self.checkHyper(groups=groups)
        if nInputPlane % groups or nOutputPlane % groups:
            raise ValueError(f"cudnn.SpatialConvolution: nInputPlane ({nInputPlane}) and nOutputPlane "
                             f"({nOutputPlane}) must be multiples of groups ({groups})")
        super().__init__(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
        self.groups = groups
        if groups != 1:
            sizes = self.parameterSizes()['weight']
            self.weight = self.weight.new(*sizes)
            self.gradWeight = self.gradWeight.new(*sizes)
            self.reset()


_accumulate = inspect.unwrap(nn.TemporalConvolution.accGradParameters)


class TemporalConvolution(CudnnClass, AlgorithmChoice, nn.TemporalConvolution):
    """nn.TemporalConvolution with cudnn's arguments and zero padding of the sequence.

    ``TemporalConvolution(inputFrameSize, outputFrameSize, kH, dH=1, padH=0)``: ``kH`` frames per window,
    stride ``dH``, ``padH`` zero frames added at both ends (cudnn/TemporalConvolution.lua). Input
    ``(nFrames, inputFrameSize)`` or ``(batch, nFrames, inputFrameSize)``, output ``(nOutputFrame,
    outputFrameSize)`` (or batched), nOutputFrame = (nFrames + 2 padH - kH) // dH + 1. ``weight``
    ``(outputFrameSize, kH * inputFrameSize)`` as nn's. The fields ``kW`` and ``dW`` keep nn's meaning (the
    window and stride in frames, equal to ``kH`` and ``dH``), where the Lua reuses them for the frame size.
    """

    nonnegative_ints = ('padH',)

    def __init__(self, inputFrameSize, outputFrameSize, kH, dH=1, padH=0):
        self.checkHyper(padH=padH)
        super().__init__(inputFrameSize, outputFrameSize, kH, dH)
        self.kH, self.dH, self.padH = kH, dH, padH

    def _padded(self, input):
        """The input with ``padH`` zero frames before and after (a buffer), after the rank and frame-size checks."""
        if not self.padH:
            return input
        x, is_batch = batched(self, input, (2, 3))
        self.checkSameType(input, self.weight)
        if x.shape[2] != self.inputFrameSize:
            raise input_error(self, f"frames of inputFrameSize = {self.inputFrameSize} (last dimension)",
                              f"{x.shape[2]} (input of size {tuple(input.size())})")
        padded = self.bufferLike('_paddedInput', input, self._paddedSizes(input))
        padded.fill(0)
        padded[..., self.padH:self.padH + x.shape[1], :] = input.array
        return self._paddedInput

    def _paddedSizes(self, input):
        sizes = list(input.size())
        sizes[-2] += 2 * self.padH
        return tuple(sizes)

    def _forwardPadded(self, input):
        """The padded input forward made, for backward (which takes forward's input, as nn's Module:backward
        assumes), or made afresh when it is gone (clearState) or is not this input's type and size."""
        padded = self.__dict__.get('_paddedInput')
        if padded is None or type(padded) is not type(input) or input.dim() < 2 or \
                padded.size() != self._paddedSizes(input):
            return self._padded(input)
        return padded

    def updateOutput(self, input):
        return super().updateOutput(self._padded(input))

    def updateGradInput(self, input, gradOutput):
        if not self.padH:
            return super().updateGradInput(input, gradOutput)
        padded = self._forwardPadded(input)
        # the parent writes the padded gradient into its own buffer; the caller gets its middle frames
        self.gradInput = self.__dict__.get('_paddedGradInput', self.gradInput)
        self._paddedGradInput = super().updateGradInput(padded, gradOutput)
        self.gradInput = self._paddedGradInput.narrow(input.dim() - 2, self.padH, input.size(input.dim() - 2))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        # this method's wrapper checked the caller's input against forward's; the parent's body then works on
        # the padded one, which its own wrapper would refuse
        return _accumulate(self, self._forwardPadded(input) if self.padH else input, gradOutput, scale)

    def clearState(self):
        self.__dict__.pop('_paddedGradInput', None)
        self.clearBuffers('_paddedInput')
        return super().clearState()


class SpatialFullConvolution(CudnnClass, AlgorithmChoice, nn.SpatialFullConvolution):
    """nn.SpatialFullConvolution (transposed convolution) as cudnn's, with nn's arguments
    ``(nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=0, adjW=0, adjH=0)`` and shapes."""


class VolumetricConvolution(CudnnClass, AlgorithmChoice, nn.VolumetricConvolution):
    """nn.VolumetricConvolution as cudnn's, with nn's arguments ``(nInputPlane, nOutputPlane, kT, kW, kH,
    dT=1, dW=1, dH=1, padT=0, padW=padT, padH=padW)`` and shapes (4-D or 5-D batched input)."""


class VolumetricFullConvolution(CudnnClass, AlgorithmChoice, nn.VolumetricFullConvolution):
    """nn.VolumetricFullConvolution as cudnn's, with nn's arguments and shapes."""
