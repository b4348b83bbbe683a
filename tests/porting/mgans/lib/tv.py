"""code/lib/tv.lua of chuanli11/MGANs (MIT licence), ported line by line: nn.TVLoss, the identity forward whose
backward adds ``strength`` times the gradient of half the total variation of a C x H x W input (the squared
differences of each pixel with its right and lower neighbours, over the top-left (H-1) x (W-1) pixels)."""
import legonn as lg
from legonn import nn


class TVLoss(nn.Module):

    def __init__(self, strength):
        super().__init__()
        self.strength = strength
        self.x_diff = lg.Tensor()
        self.y_diff = lg.Tensor()

    # --------------------------------------------------------------------
    # TVLoss
    # --------------------------------------------------------------------
    def updateOutput(self, input):
        self.output = input
        return self.output

    # TV loss backward pass inspired by kaishengtai/neuralart
    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).zero()
        C, H, W = input.size(0), input.size(1), input.size(2)
        self.x_diff.resize(C, H - 1, W - 1)
        self.y_diff.resize(C, H - 1, W - 1)
        self.x_diff.copy(input[:, 0:-1, 0:-1])
        self.x_diff.add(-1, input[:, 0:-1, 1:])
        self.y_diff.copy(input[:, 0:-1, 0:-1])
        self.y_diff.add(-1, input[:, 1:, 0:-1])
        self.gradInput[:, 0:-1, 0:-1].add(self.x_diff).add(self.y_diff)
        self.gradInput[:, 0:-1, 1:].add(-1, self.x_diff)
        self.gradInput[:, 1:, 0:-1].add(-1, self.y_diff)
        self.gradInput.mul(self.strength)
        self.gradInput.add(gradOutput)
        return self.gradInput
