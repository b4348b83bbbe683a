"""layers/MaskedLoss.lua (``torch.class('MaskedLoss', 'nn.Module')``): input {log-probabilities (batch x vocab),
targets (batch)}; output {the summed negative log-probability of the marked targets over batch_size, the number of
them predicted right (the row's max), the number marked}. Targets count from 0 here, so the Lua's "no target" 0
is -1 (data.py). Its gradInput ignores gradOutput (the Lua's ``updateGradInput(input)``: docs/porting.md's row on
more arguments than declared): -1/batch_size at each marked target; the target's entry is an empty tensor where
the Lua has ``torch.Tensor({0})`` (docs/porting.md's MaskedLoss row)."""
import legonn as lg
from legonn import nn


class MaskedLoss(nn.Module):
    lua_package = None

    def __init__(self):
        super().__init__()

    def updateOutput(self, input):
        input, target = input
        output = 0
        acc = 0
        normal = 0
        for i in range(target.size(0)):
            if target[i] != -1:
                if input[i].max() == input[i][target[i]]:
                    acc = acc + 1
                normal = normal + 1
                output = output - input[i][target[i]]
        output = output / target.size(0)
        self.output = [output, acc, normal]
        return self.output

    def updateGradInput(self, input, gradOutput=None):
        input, target = input
        gradInput = input.new(input.size()).fill(0)
        z = -1 / target.size(0)
        for i in range(target.size(0)):
            if target[i] != -1:
                gradInput[i][target[i]] = z
        # torch.Tensor({0}) in the Lua: legonn's nn.Identity (the target's input node) checks its gradient's
        # size, and an empty tensor is the "no gradient" it passes (docs/porting.md's MaskedLoss row)
        self.gradInput = [gradInput, lg.Tensor(), lg.Tensor()]
        return self.gradInput


lg.register(MaskedLoss)         # torch.class makes the class known to torch.MemoryFile (utils.cloneManyTimes)
