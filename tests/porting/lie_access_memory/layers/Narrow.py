"""layers/Narrow.lua: replaces torch/nn's Narrow's updateOutput and updateGradInput for the whole Lua process; here a
subclass the port uses. A length below 1 counts from the dimension's size: ``Narrow(1, 0, -1)`` keeps all but the
last element (torch/nn's and legonn's -1 keeps everything from the offset on)."""
import legonn as lg
from legonn import nn


class Narrow(nn.Narrow):

    def updateOutput(self, input):
        self._length = input.size(self.dimension) + self.length if self.length < 1 else self.length
        output = input.narrow(self.dimension, self.index, self._length)
        self.output = self.output.typeAs(output)
        self.output.resizeAs(output).copy(output)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.gradInput.typeAs(input)
        self.gradInput.resizeAs(input).zero()
        self.gradInput.narrow(self.dimension, self.index, self._length).copy(gradOutput)
        return self.gradInput


# Torch7 saves it as nn.Narrow; lg.save needs a name of its own (docs/porting.md, the nn.LinearNoBias row)
lg.register(Narrow, 'lie_access_memory.Narrow')
