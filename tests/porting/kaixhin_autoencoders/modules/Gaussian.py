"""modules/Gaussian.lua of Kaixhin/Autoencoders (MIT licence, Kai Arulkumaran), ported line by line."""
from legonn import nn


class Gaussian(nn.Module):
    def __init__(self, mean=None, stdv=None):
        super().__init__()
        self.mean = mean or 0
        self.stdv = stdv or 1

    def updateOutput(self, input):
        self.output.resizeAs(input)
        self.output.normal(self.mean, self.stdv)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input)
        self.gradInput.zero()
        return self.gradInput
