"""layers/PowSum.lua: ``PowSum(p, dim)(A)`` computes the p-powered sum of A in dimension dim (0-based)."""
import legonn as lg
from legonn import nn


class PowSum(nn.Module):
    # PowSum(p, dim)(A) computes the p-powered sum of A in dimension dim

    def __init__(self, p, dim):
        super().__init__()
        self.dim = dim
        self.p = p

    def updateOutput(self, input):
        self.output = lg.norm(input, self.p, self.dim).squeeze(self.dim)
        self.output.pow(self.p)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.gradInput if self.gradInput is not None else input.new()
        self.gradInput.resizeAs(input).copy(input).pow(self.p - 1).mul(self.p)
        size = input.size().totable()
        size[self.dim] = 1
        _gradOut = gradOutput.view(*size)
        self.gradInput.cmul(_gradOut.expandAs(self.gradInput))
        return self.gradInput


lg.register(PowSum, 'nn.PowSum')
