"""code/lib/tv2.lua of chuanli11/MGANs (MIT licence), ported line by line: nn.TVLoss2, tv.lua's TVLoss for a
batch B x C x H x W."""
import legonn as lg
from legonn import nn


class TVLoss2(nn.Module):

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
        B, C, H, W = input.size(0), input.size(1), input.size(2), input.size(3)
        self.x_diff.resize(B, C, H - 1, W - 1)
        self.y_diff.resize(B, C, H - 1, W - 1)
        self.x_diff.copy(input[:, :, 0:-1, 0:-1])
        self.x_diff.add(-1, input[:, :, 0:-1, 1:])
        self.y_diff.copy(input[:, :, 0:-1, 0:-1])
        self.y_diff.add(-1, input[:, :, 1:, 0:-1])
        self.gradInput[:, :, 0:-1, 0:-1].add(self.x_diff).add(self.y_diff)
        self.gradInput[:, :, 0:-1, 1:].add(-1, self.x_diff)
        self.gradInput[:, :, 1:, 0:-1].add(-1, self.y_diff)
        self.gradInput.mul(self.strength)
        self.gradInput.add(gradOutput)
        return self.gradInput
