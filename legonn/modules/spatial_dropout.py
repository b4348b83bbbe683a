"""Dropout of whole feature maps: SpatialDropout (planes of images), VolumetricDropout (planes of volumes)."""
from .base.errors import input_error
from .base.module import Module


class SpatialDropout(Module):
    """In training, zeroes each whole plane with probability ``p`` (Tompson et al., 2015), as Torch7.

    ``SpatialDropout(p=0.5, stochasticInference=False)``; input ``(nPlanes, H, W)`` or
    ``(batch, nPlanes, H, W)``. Like Torch7's module, kept planes are not rescaled in training; in evaluate
    mode the output is ``(1 - p) * input`` (unless ``stochasticInference``, which keeps dropping).
    Backward is defined in training only.
    """

    planeDims = 2   # spatial axes after the plane axis

    def __init__(self, p=0.5, stochasticInference=False):
        super().__init__()
        self._check_p(p)
        self.p = p
        self.stochastic_inference = bool(stochasticInference)
        self.noise = self.output.new()

    def _check_p(self, p):
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p < 1:
            raise ValueError(f"{type(self).__name__}: p must be a number in [0, 1), got {p!r}")

    def setp(self, p):
        self._check_p(p)
        self.p = p
        return self

    def _noise_shape(self, input):
        ranks = (self.planeDims + 1, self.planeDims + 2)
        self.checkTensor(input, ranks)
        if input.dtype.kind != 'f':
            raise input_error(self, "a floating-point input", input.type(), TypeError)
        lead = input.dim() - self.planeDims
        return tuple(input.size())[:lead] + (1,) * self.planeDims

    def updateOutput(self, input):
        shape = self._noise_shape(input)
        out = self.bufferLike('output', input)
        if self.train or self.stochastic_inference:
            self.bufferLike('noise', input, shape)
            self.noise.bernoulli(1 - self.p)
            input.xp.multiply(input.array, self.noise.array, out=out)
        else:
            input.xp.multiply(input.array, 1 - self.p, out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        shape = self._noise_shape(input)
        if not self.train:
            raise input_error(self, "training mode (backprop is only defined while training)", "evaluate mode")
        self.checkGradOutput(gradOutput, input)
        if tuple(self.noise.size()) != shape:
            raise input_error(self, f"gradOutput of the input's size {tuple(input.size())} after a forward call",
                              f"gradOutput of size {tuple(gradOutput.size())}")
        gi = self.bufferLike('gradInput', input)
        input.xp.multiply(gradOutput.array, self.noise.array, out=gi)
        return self.gradInput

    def clearState(self):
        return super().clearState('noise')

    def __repr__(self):
        return f"nn.{type(self).__name__}({self.p:f})"


class VolumetricDropout(SpatialDropout):
    """SpatialDropout for volumes: drops whole planes of ``(nPlanes, T, H, W)`` or ``(batch, nPlanes, T, H, W)``."""

    planeDims = 3
