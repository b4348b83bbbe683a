"""rnnlib/nn/ReverseTable.lua: ``nn.ReverseTable()`` reverses the order of its input table (and of gradOutput).
init.lua loads it always, so in Torch7 it replaces any nn.ReverseTable (dpnn's) loaded before; the port keeps it
here and bidirectional.py uses it."""
import legonn as lg
from legonn import nn


class ReverseTable(nn.Module):

    def __init__(self):
        super().__init__()

    def updateOutput(self, input):
        self.output = []
        len_ = len(input)
        for i in range(len_):
            self.output.append(input[len_ - i - 1])
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = []
        len_ = len(gradOutput)
        for i in range(len_):
            self.gradInput.append(gradOutput[len_ - i - 1])
        return self.gradInput


lg.register(ReverseTable, 'rnnlib.ReverseTable')
