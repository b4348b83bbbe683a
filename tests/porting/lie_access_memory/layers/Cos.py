"""layers/Cos.lua: componentwise cosine (``nn.Cos``, a class torch/nn does not have)."""
import legonn as lg
from legonn import nn


class Cos(nn.Module):
    # componentwise cosine

    def updateOutput(self, in_):
        self.output = self.output if self.output is not None else in_.new()
        self.output.resizeAs(in_).copy(lg.cos(in_))
        return self.output

    def updateGradInput(self, in_, gradOut):
        self.gradInput = self.gradInput if self.gradInput is not None else in_.new()
        self.gradInput.resizeAs(in_).copy(lg.cmul(gradOut, -lg.sin(in_)))
        return self.gradInput


lg.register(Cos, 'nn.Cos')
