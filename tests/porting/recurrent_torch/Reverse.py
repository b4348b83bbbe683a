"""recurrent.torch's Reverse.lua: reverses its input along ``dim`` (by default the time dimension)."""
import legonn as lg
from legonn import nn


class Reverse(nn.Module):

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim if dim is not None else 1
        self.reverseIdx = lg.LongTensor()

    def updateOutput(self, input):
        self.reverseIdx = self.reverseIdx.long()
        # range(n, 1, -1) of 1-based positions is n-1 .. 0 (docs/porting.md's Indices section)
        self.reverseIdx.resize(input.size(self.dim)).range(input.size(self.dim) - 1, 0, -1)
        self.output.resizeAs(input)
        self.output.indexCopy(self.dim, self.reverseIdx, input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input)
        self.gradInput.indexCopy(self.dim, self.reverseIdx, gradOutput)
        return self.gradInput


lg.register(Reverse)   # as torch.class does, for lg.load (docs/porting.md)
