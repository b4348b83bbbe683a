"""mylib/content.lua of chuanli11/CNNMRF, ported line by line: nn.ContentLoss, the identity whose backward adds
``strength`` times the MSE gradient towards ``target`` (when the input has the target's element count)."""
import legonn as lg
from legonn import nn


# ----------------------------------------------------------------------
# ContentLoss
# ----------------------------------------------------------------------
class ContentLoss(nn.Module):

    def __init__(self, strength, target, normalize=None):
        super().__init__()
        self.strength = strength
        self.target = target
        self.normalize = normalize or False
        self.loss = 0
        self.crit = nn.MSECriterion()

    def updateOutput(self, input):
        if input.nElement() == self.target.nElement():
            self.loss = self.crit.forward(input, self.target) * self.strength
        else:
            pass   # print('WARNING: Skipping content loss')
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        if input.nElement() == self.target.nElement():
            self.gradInput = self.crit.backward(input, self.target)
        if self.normalize:
            self.gradInput.div(lg.norm(self.gradInput, 1) + 1e-8)
        self.gradInput.mul(self.strength)
        self.gradInput.add(gradOutput)
        return self.gradInput

    def update(self, other):
        self.strength = other.strength
        self.target = other.target
        self.normalize = other.normalize
        self.loss = other.loss
        self.crit = other.crit
