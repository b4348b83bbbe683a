"""code/module/Print.lua (``torch.class('nn.Print', 'nn.Module')``): prints its input and passes it (and the
gradient) through."""
import legonn as lg
from legonn import nn


class Print(nn.Module):
    def __init__(self, stcFlag=None):
        super().__init__()

    def updateOutput(self, input):
        print(input)
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput
        return self.gradInput


lg.register(Print)
