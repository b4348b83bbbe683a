"""Colour augmentation of images in training (dpnn's SimpleColorTransform.lua and PCAColorTransform.lua): a random
offset per image and channel added to every pixel; the identity in evaluation, where backward is undefined."""
from .base.errors import input_error
from .base.module import Module
from ..tensor.introspection import typename as lua_typename


class _ChannelNoise(Module, abstract=True):
    """Adds ``noise`` ``(batch, channels)`` (drawn by ``_draw`` in training) to each plane of the input
    ``(channels, H, W)`` or ``(batch, channels, H, W)``; gradInput = gradOutput."""

    input_ranks = (3, 4)
    positive_ints = ('inputChannels',)

    def __init__(self, inputChannels):
        super().__init__()
        self.checkHyper(inputChannels=inputChannels)
        self.inputChannels = inputChannels

    def updateOutput(self, input):
        out = self.bufferLike('output', input)
        out[...] = input.array
        if self.train:
            channels = input.size(-3)
            if channels != self.inputChannels:
                raise input_error(self, f"{self.inputChannels} channels", f"{channels} (size {tuple(input.size())})")
            batch = input.size(0) if input.dim() == 4 else 1
            self.noise = self._draw(input, batch)
            offsets = self.noise.array.reshape(batch, channels, 1, 1)
            out += offsets if input.dim() == 4 else offsets[0]
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkTraining()
        self.checkGradOutput(gradOutput, input)
        self.bufferLike('gradInput', gradOutput)[...] = gradOutput.array
        return self.gradInput

    def clearState(self):
        return super().clearState('noise')


class SimpleColorTransform(_ChannelNoise):
    """In training, add to each channel of each image an offset uniform in [-range[c], range[c]].

    ``SimpleColorTransform(inputChannels, range)``, ``range`` a tensor of ``inputChannels`` values; ``noise``
    keeps the offsets drawn, ``(batch, channels)`` (``(channels,)`` for one image)."""

    def __init__(self, inputChannels, range):
        super().__init__(inputChannels)
        if range.nElement() != inputChannels:
            raise ValueError(f"SimpleColorTransform: expected {inputChannels} range values (one per channel), got "
                             f"{range.nElement()}")
        self.range = range

    def _draw(self, input, batch):
        noise = input.new(batch, self.inputChannels) if input.dim() == 4 else input.new(self.inputChannels)
        bounds = self.range.view(-1)
        for c in range(self.inputChannels):
            r = float(bounds[c])
            # a one-wide narrow, not select: one image's noise is 1-D, and a vector's select is a number
            noise.narrow(noise.dim() - 1, c, 1).uniform(-r, r)
        return noise

    def __repr__(self):
        return lua_typename(self)


class PCAColorTransform(_ChannelNoise):
    """In training, add to each image ``eigenVectors @ (alpha * eigenValues)`` with ``alpha`` normal(0, std) per
    channel and image (AlexNet's PCA colour augmentation).

    ``PCAColorTransform(inputChannels, eigenVectors, eigenValues, std=0.1)``: ``eigenVectors``
    ``(inputChannels, inputChannels)`` as dpnn multiplies it (``noise^T = eigenVectors @ alphas``),
    ``eigenValues`` ``inputChannels`` values. ``alphas`` ``(channels, batch)`` and ``noise`` ``(batch, channels)``
    keep the draws."""

    def __init__(self, inputChannels, eigenVectors, eigenValues, std=0.1):
        super().__init__(inputChannels)
        if eigenVectors.dim() != 2 or eigenVectors.size(0) != inputChannels or eigenVectors.size(1) != inputChannels:
            raise ValueError(f"PCAColorTransform: expected eigenVectors of size {inputChannels}x{inputChannels}, got "
                             f"{tuple(eigenVectors.size())}")
        if eigenValues.nElement() != inputChannels:
            raise ValueError(f"PCAColorTransform: expected {inputChannels} eigenValues, got {eigenValues.nElement()}")
        self.eigenVectors, self.eigenValues, self.std = eigenVectors, eigenValues, std

    def _draw(self, input, batch):
        self.checkSameType(self.eigenVectors, input, 'eigenVectors')
        self.alphas = input.new(self.inputChannels, batch).normal(0, self.std)
        self.alphas.array[...] *= self.eigenValues.array.reshape(-1, 1)
        noise = input.new(batch, self.inputChannels)
        noise.array[...] = (self.eigenVectors.array @ self.alphas.array).T
        return noise

    def clearState(self):
        self.__dict__.pop('alphas', None)
        return super().clearState()

    def __repr__(self):
        return f"{lua_typename(self)} channels: {self.inputChannels}, std: {self.std:f}"
