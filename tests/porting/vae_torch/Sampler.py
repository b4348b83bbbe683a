"""Sampler.lua of y0ast/VAE-Torch (MIT licence, Joost van Amersfoort), ported line by line (its ``self.ouput``
typo included: it sets a field nothing reads)."""
import legonn as lg
from legonn import nn


# Based on JoinTable module
class Sampler(nn.Module):
    def __init__(self):
        super().__init__()
        self.gradInput = []

    def updateOutput(self, input):
        if getattr(self, 'eps', None) is None:  # self.eps or input[1].new(): a test for nil (docs/porting.md)
            self.eps = input[0].new()
        self.eps.resizeAs(input[0]).copy(lg.randn(input[0].size()))

        self.ouput = self.output if self.output is not None else self.output.new()
        self.output.resizeAs(input[1]).copy(input[1])
        self.output.mul(0.5).exp().cmul(self.eps)

        self.output.add(input[0])

        return self.output

    def updateGradInput(self, input, gradOutput):
        if len(self.gradInput) < 1:  # self.gradInput[1] or input[1].new(): the list grows in order (docs/porting.md)
            self.gradInput.append(input[0].new())
        self.gradInput[0].resizeAs(gradOutput).copy(gradOutput)

        if len(self.gradInput) < 2:
            self.gradInput.append(input[1].new())
        self.gradInput[1].resizeAs(gradOutput).copy(input[1])

        self.gradInput[1].mul(0.5).exp().mul(0.5).cmul(self.eps)
        self.gradInput[1].cmul(gradOutput)

        return self.gradInput
