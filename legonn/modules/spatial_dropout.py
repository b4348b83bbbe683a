"""Dropout of whole feature maps: SpatialDropout (planes of images), VolumetricDropout (planes of volumes);
SpatialRegionDropout (dpnn), a band of rows or columns at an image's edge."""
import math

from ..tensor.random import SCALAR_DRAWS
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.dropout import DropoutBase


class SpatialDropout(DropoutBase):
    """In training, zeroes each whole plane with probability ``p`` (Tompson et al., 2015), as Torch7.

    ``SpatialDropout(p=0.5, stochasticInference=False)``; input ``(nPlanes, H, W)`` or
    ``(batch, nPlanes, H, W)``. Like Torch7's module, kept planes are not rescaled in training; in evaluate
    mode the output is ``(1 - p) * input`` (unless ``stochasticInference``, which keeps dropping).
    Backward is defined in training only.
    """

    input_ranks = (3, 4)
    planeDims = 2   # spatial axes after the plane axis

    def __init__(self, p=0.5, stochasticInference=False):
        super().__init__()
        self.setp(p)
        self.stochastic_inference = bool(stochasticInference)
        self.noise = self.output.new()

    def _noise_shape(self, input):
        lead = input.dim() - self.planeDims
        return tuple(input.size())[:lead] + (1,) * self.planeDims

    def updateOutput(self, input):
        if self.train or self.stochastic_inference:
            self.bufferLike('noise', input, self._noise_shape(input))
            self.noise.bernoulli(1 - self.p)
        return super().updateOutput(input)

    def _forward(self, x, out, xp):
        if self.train or self.stochastic_inference:
            xp.multiply(x, self.noise.array, out=out)
        else:
            xp.multiply(x, 1 - self.p, out=out)

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkTraining()
        self.checkGradOutput(gradOutput, input)
        if tuple(self.noise.size()) != self._noise_shape(input):
            raise input_error(self, f"gradOutput of the input's size {tuple(input.size())} after a forward call",
                              f"gradOutput of size {tuple(gradOutput.size())}")
        return super().updateGradInput(input, gradOutput)

    def __repr__(self):
        return f"{lua_typename(self)}({self.p:f})"


class VolumetricDropout(SpatialDropout):
    """SpatialDropout for volumes: drops whole planes of ``(nPlanes, T, H, W)`` or ``(batch, nPlanes, T, H, W)``."""

    input_ranks = (4, 5)
    planeDims = 3


class SpatialRegionDropout(DropoutBase):
    """In training, zero a band of ``floor(p * H)`` rows or ``floor(p * W)`` columns at one edge of every plane and
    scale the rest by 1 / (1 - p), to mimic imperfect bounding boxes (dpnn's SpatialRegionDropout.lua); the
    identity in evaluation. ``SpatialRegionDropout(p=0.2)``; input ``(nPlanes, H, W)`` or ``(batch, nPlanes, H,
    W)``. Each forward draws ``regionType`` uniformly, numbered as dpnn does: 1 top rows, 2 bottom rows, 3 left
    columns, 4 right columns (one band for the whole batch). Backward is defined in training only."""

    input_ranks = (3, 4)

    def __init__(self, p=0.2):
        super().__init__()
        self.setp(p)
        self.noise = self.output.new()

    def updateOutput(self, input):
        if self.train:
            noise = self.bufferLike('noise', input)
            noise.fill(1)
            self.regionType = SCALAR_DRAWS['random'](1, 5)
            axis = -2 if self.regionType <= 2 else -1
            band = math.floor(input.size(axis) * self.p)
            if band:
                cut = slice(0, band) if self.regionType in (1, 3) else slice(input.size(axis) - band, None)
                noise[(Ellipsis, cut) if axis == -1 else (Ellipsis, cut, slice(None))] = 0
            noise /= 1 - self.p
        return super().updateOutput(input)

    def _forward(self, x, out, xp):
        if self.train:
            xp.multiply(x, self.noise.array, out=out)
        elif out is not x:
            xp.copyto(out, x)

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkTraining()
        if self.noise._size != input._size:
            raise input_error(self, f"a forward on an input of size {tuple(input.size())} before backward",
                              f"noise of size {tuple(self.noise.size())}")
        return super().updateGradInput(input, gradOutput)

    def __repr__(self):
        return f"{lua_typename(self)} p: {self.p:f}"
