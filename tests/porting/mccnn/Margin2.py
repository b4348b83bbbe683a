"""Margin2.lua (jzbontar/mc-cnn): the hinge loss of the fast architecture over (positive, negative) score pairs,
computed by adcensus.Margin2; its gradient is made in updateOutput."""
import legonn as lg
from legonn import nn

from . import adcensus


class Margin2(nn.Criterion):
    def __init__(self, margin, pow):
        super().__init__()
        self.tmp = lg.CudaTensor()
        self.margin = margin
        self.pow = pow

    def updateOutput(self, input, target):
        assert input.size(1) == 1 and input.size(2) == 1 and input.size(3) == 1
        self.tmp.resize(input.size(0) // 2)
        self.gradInput.resizeAs(input)
        adcensus.Margin2(input, self.tmp, self.gradInput, self.margin, self.pow)
        self.output = self.tmp.mean()
        self.gradInput.div(self.tmp.size(0))
        return self.output

    def updateGradInput(self, input, target):
        return self.gradInput
