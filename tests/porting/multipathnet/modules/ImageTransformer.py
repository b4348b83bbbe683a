"""modules/ImageTransformer.lua: a 3 x h x w image with its channels reordered by ``swap`` (1-based in the Lua,
0-based here), times ``scale``, minus ``mean`` (and divided by ``std``) per channel."""
import legonn as lg
from legonn import nn


class ImageTransformer(nn.Module):

    def __init__(self, mean, std=None, scale=None, swap=None):
        super().__init__()
        self.mean = mean
        self.std = std
        self.scale = scale or 1
        self.swap = swap

    def updateOutput(self, I):
        assert I.nDimension() == 3
        I = I.index(0, lg.LongTensor(self.swap)) if self.swap else I.clone()
        if self.scale != 1:
            I.mul(self.scale)
        for i in range(3):
            I[i].add(-self.mean[i])
            if self.std:
                I[i].div(self.std[i])
        self.output = I
        return I


lg.register(ImageTransformer, 'fbcoco.ImageTransformer')
