"""rnnlib/nn/ZipTable.lua: ``nn.ZipTable()`` turns ``{{a1, a2}, {b1, b2}}`` into ``{{a1, b1}, {a2, b2}}``. init.lua
loads it only where nn lacks a ZipTable ("missing from older nn versions"); legonn's nn has one (torch/nn's
ZipTable.lua, the same computation), so bidirectional.py uses ``nn.ZipTable`` as rnnlib does under a current nn.
The class is ported for completeness and tested against legonn's."""
import legonn as lg
from legonn import nn


class ZipTable(nn.Module):

    def __init__(self):
        super().__init__()
        self.output = []
        self.gradInput = []

    def updateOutput(self, input):
        len_ = len(input[0])
        for i in range(1, len(input)):
            assert len(input[i]) == len_, 'tables must be of equal length'

        self.output = []
        for i in range(len_):
            self.output.append([])
            for j in range(len(input)):
                self.output[i].append(input[j][i])
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = []
        for i in range(len(input)):
            self.gradInput.append([])
            for j in range(len(input[i])):
                self.gradInput[i].append(gradOutput[j][i])
        return self.gradInput


lg.register(ZipTable, 'rnnlib.ZipTable')
