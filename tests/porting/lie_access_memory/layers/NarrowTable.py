"""layers/NarrowTable.lua: replaces torch/nn's NarrowTable's methods for the whole Lua process; here a subclass the
port uses. A length below 1 counts from the table's length: ``NarrowTable(0, -1)`` keeps all but the last entry
(torch/nn's NarrowTable reads no negative length; legonn's -1 keeps everything from the offset on). The gradInput
table is grown to the input's length before it is filled by position (a Python list does not grow on assignment)."""
import legonn as lg
from legonn import nn


class NarrowTable(nn.NarrowTable):

    def __init__(self, offset, length=None):
        nn.Module.__init__(self)
        self.offset = offset
        self.length = length if length is not None else 1
        if offset is None:
            raise RuntimeError('nn.NarrowTable(offset, length)')

        self.output = []
        self.gradInput = []

    def updateOutput(self, input):
        if self.length < 1:
            length = len(input) + self.length
        else:
            length = self.length
        self.output = [input[self.offset + i] for i in range(length)]
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.length < 1:
            length = len(input) + self.length
        else:
            length = self.length
        self.gradInput.extend([None] * (len(input) - len(self.gradInput)))
        for i in range(len(gradOutput)):
            self.gradInput[self.offset + i] = gradOutput[i]
        for i in range(len(input)):
            if (i < self.offset) or (i >= self.offset + length):
                self.gradInput[i] = nn.utils.recursiveResizeAs(self.gradInput[i], input[i])[0]
                nn.utils.recursiveFill(self.gradInput[i], 0)
        del self.gradInput[len(input):]
        return self.gradInput

    def type(self, type=None, tensorCache=None):
        self.output = []
        self.gradInput = []
        return nn.Module.type(self, type, tensorCache)


# Torch7 saves it as nn.NarrowTable; lg.save needs a name of its own (docs/porting.md, the nn.LinearNoBias row)
lg.register(NarrowTable, 'lie_access_memory.NarrowTable')
