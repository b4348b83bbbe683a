"""code/module/Binarize.lua (``torch.class('nn.Binarize', 'nn.Module')``): sign((x + 1) / 2 - 0.5), or with
``stcFlag`` in training sign((x + 1) / 2 - u), u ~ U(0, 1) (stochastic); the gradient passes straight through."""
import legonn as lg
from legonn import nn


class Binarize(nn.Module):
    def __init__(self, stcFlag=None):
        super().__init__()
        self.stcFlag = stcFlag
        self.randmat = lg.Tensor()
        self.outputR = lg.Tensor()

    def updateOutput(self, input):
        self.randmat.resizeAs(input)
        self.outputR.resizeAs(input)
        self.output.resizeAs(input)
        self.outputR.copy(input).add(1).div(2)
        if self.train and self.stcFlag:
            mask = self.outputR - self.randmat.rand(self.randmat.size())
            self.output = mask.sign()
        else:
            self.output.copy(self.outputR).add(-0.5).sign()
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(gradOutput)
        self.gradInput.copy(gradOutput)     # :mul(0.5)
        return self.gradInput


lg.register(Binarize)
