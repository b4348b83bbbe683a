"""expand.lua: nn.ExpandDim, which expands dimension d (of size 1) k times, as a view."""
import legonn as lg
from legonn import nn


class ExpandDim(nn.Module):

    # expand dim d (must be 1 in the input) k times
    def __init__(self, d, k):
        super().__init__()
        self.d = d
        self.k = k
        # self.output = lg.Tensor()
        self.gradInput = lg.Tensor()

    def updateOutput(self, input):
        assert input.size(self.d) == 1
        dims = input.size().totable()
        dims[self.d] = self.k
        # self.output.resize(*dims)
        # self.output.copy(input.expand(*dims))
        self.output = input.expand(*dims)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input)
        self.gradInput.sum(gradOutput, self.d)
        return self.gradInput
