"""lib/MaxCoord.lua of rtqichen/style-swap (MIT licence), ported line by line.

Expects 3D or 4D input. Does a max over the feature channels: the output is one-hot along the channels, 1 at each
pixel's arg-max channel. Its gradient is zero (the Lua's updateGradInput).
"""
import legonn as lg
from legonn import nn


class MaxCoord(nn.Module):

    def __init__(self, inplace=None):
        super().__init__()
        self.inplace = inplace or False

    def updateOutput(self, input):
        nInputDim = input.nDimension()
        if input.nDimension() == 3:
            C, H, W = input.size(0), input.size(1), input.size(2)
            input = input.view(1, C, H, W)
        assert input.nDimension() == 4, 'Input must be 3D or 4D (batch).'

        if self._type != 'torch.FloatTensor':
            input = input.float()

        _, argmax = lg.max(input, 1)

        if self.inplace:
            self.output = input.zero()
        else:
            self.output = lg.FloatTensor().resizeAs(input).zero()

        N = input.size(0)

        for b in range(N):
            for i in range(self.output.size(2)):
                for j in range(self.output.size(3)):
                    ind = argmax[b, 0, i, j]
                    self.output[b, ind, i, j] = 1

        self.output = self.output.type(self._type)

        if nInputDim == 3:
            self.output = self.output[0]
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).zero()
        return self.gradInput
