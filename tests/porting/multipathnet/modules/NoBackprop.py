"""modules/NoBackprop.lua: runs its inner module forward; backward gives zeros and never reaches the inner
module (frozen trunk layers). The Lua's ``__read`` (files of its version 1) is not ported: legonn reads no
Torch7 files of that version."""
import legonn as lg
from legonn import nn


class NoBackprop(nn.Container):

    def __init__(self, inner):
        super().__init__()
        assert inner
        self.modules = [inner]

    def updateOutput(self, input):
        self.output = self.modules[0].updateOutput(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).zero()
        return self.gradInput

    def __tostring__(self):
        return 'NoBackprop: ' + lg.tostring(self.modules[0])


lg.register(NoBackprop, 'nn.NoBackprop')
