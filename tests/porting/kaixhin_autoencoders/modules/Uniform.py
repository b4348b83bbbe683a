"""modules/Uniform.lua of Kaixhin/Autoencoders (MIT licence, Kai Arulkumaran), ported line by line."""
from legonn import nn


class Uniform(nn.Module):
    def __init__(self, a=None, b=None):
        super().__init__()
        self.a = a or 0
        self.b = b or 1

    def updateOutput(self, input):
        self.output.resizeAs(input)
        self.output.uniform(self.a, self.b)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input)
        self.gradInput.zero()
        return self.gradInput
