"""Normalize2.lua (jzbontar/mc-cnn): each pixel's feature vector divided by its L2 norm (adcensus's
Normalize_forward / Normalize_backward_input); (N, C, H, W) in and out."""
import legonn as lg
from legonn import nn

from . import adcensus


class Normalize2(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = lg.CudaTensor()

    def updateOutput(self, input):
        self.norm.resize(input.size(0), 1, input.size(2), input.size(3))
        self.output.resizeAs(input)
        adcensus.Normalize_forward(input, self.norm, self.output)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input)
        adcensus.Normalize_backward_input(gradOutput, input, self.norm, self.gradInput)
        return self.gradInput
