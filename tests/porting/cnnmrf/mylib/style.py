"""mylib/style.lua of chuanli11/CNNMRF, ported line by line: ``GramMatrix()`` (View, ConcatTable of two
Identities, MM(false, true)) and nn.StyleLoss, whose loss is ``strength`` times the MSE between the input's
Gram matrix divided by its element count and ``target``. No script of the repository uses it."""
import legonn as lg
from legonn import nn


# ----------------------------------------------------------------------
# StyleLoss
# ----------------------------------------------------------------------
# Returns a network that computes the CxC Gram matrix from inputs
# of size C x H x W
def GramMatrix():
    net = nn.Sequential()
    net.add(nn.View(-1).setNumInputDims(2))
    concat = nn.ConcatTable()
    concat.add(nn.Identity())
    concat.add(nn.Identity())
    net.add(concat)
    net.add(nn.MM(False, True))
    return net


class StyleLoss(nn.Module):

    def __init__(self, strength, target, normalize=None):
        super().__init__()
        self.normalize = normalize or False
        self.strength = strength
        self.target = target
        self.loss = 0

        self.gram = GramMatrix()
        self.G = None
        self.crit = nn.MSECriterion()

    def updateOutput(self, input):
        self.G = self.gram.forward(input)
        self.G.div(input.nElement())
        self.loss = self.crit.forward(self.G, self.target)
        self.loss = self.loss * self.strength
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        dG = self.crit.backward(self.G, self.target)
        dG.div(input.nElement())
        self.gradInput = self.gram.backward(input, dG)
        if self.normalize:
            self.gradInput.div(lg.norm(self.gradInput, 1) + 1e-8)
        self.gradInput.mul(self.strength)
        self.gradInput.add(gradOutput)
        return self.gradInput
