"""ReverseXYOrder.lua: swaps the first two entries of the last dimension of a (B, H, W, D) tensor (a grid's
(x, y) into BilinearSamplerBHWD's (y, x)); the other entries of the output are left as resizeAs leaves them."""
import legonn as lg
from legonn import nn


class ReverseXYOrder(nn.Module):

    def __init__(self, inputSize=None):
        super().__init__()

    def updateOutput(self, input):
        self.output.resizeAs(input)
        self.output.select(3, 0).copy(input.select(3, 1))
        self.output.select(3, 1).copy(input.select(3, 0))
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).zero()
        self.gradInput.select(3, 0).copy(gradOutput.select(3, 1))
        self.gradInput.select(3, 1).copy(gradOutput.select(3, 0))
        return self.gradInput


lg.register(ReverseXYOrder, 'nn.ReverseXYOrder')
