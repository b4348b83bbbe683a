"""layers/ExpandAs.lua: ``ExpandAs(){A, B}`` returns ``A:expandAs(B)`` (a view), its gradient A's size.

Not legonn's ``nn.ExpandAs``, which is rnn's ``{a, b} -> {a, b expanded to a's size}``: the Lua's
``pcall(torch.class('nn.ExpandAs', ...))`` falls back to replacing the methods of such an existing class; the port
uses this class of its own (docs/porting.md)."""
import legonn as lg
from legonn import nn


class ExpandAs(nn.Module):

    # ExpandAs(){A, B} returns A:expandAs(B)
    def __init__(self, epsilon=None):
        super().__init__()
        self.gradInput = []

    def updateOutput(self, inputs):
        self.output = inputs[0].expandAs(inputs[1])
        return self.output

    def updateGradInput(self, inputs, gradOutput):
        self.gradInput = self.gradInput if self.gradInput is not None else []
        if len(self.gradInput) < 2:
            self.gradInput = [inputs[0].new(), inputs[1].new()]
        self.gradInput[1].resizeAs(inputs[1]).zero()
        self.temp = getattr(self, 'temp', None) if getattr(self, 'temp', None) is not None else gradOutput.new()
        self.temp.resizeAs(gradOutput).copy(gradOutput)
        g = self.temp
        for d in range(gradOutput.dim()):
            if inputs[0].size(d) == 1:
                g.narrow(d, 0, 1).copy(g.sum(d))
                g = g.narrow(d, 0, 1)
        self.gradInput[0] = g
        return self.gradInput


# Torch7 saves it as nn.ExpandAs, legonn's (rnn's) class name: lg.save needs a name of its own
lg.register(ExpandAs, 'lie_access_memory.ExpandAs')
