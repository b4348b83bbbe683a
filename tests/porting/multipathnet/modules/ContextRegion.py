"""modules/ContextRegion.lua: rois (n x 5, ``{image, x1, y1, x2, y2}``) grown (scale > 1) about their centres."""
import legonn as lg
from legonn import nn


class ContextRegion(nn.Module):

    def __init__(self, scale):
        super().__init__()
        a = (1 + scale) / 2
        b = (1 - scale) / 2
        self.tr = lg.Tensor([
            [a, 0, b, 0],
            [0, a, 0, b],
            [b, 0, a, 0],
            [0, b, 0, a],
        ])

    def updateOutput(self, input):
        assert input.nDimension() == 2
        assert input.size(1) == 5
        self.output.resizeAs(input).copy(input)
        self.output.narrow(1, 1, 4).mm(input.narrow(1, 1, 4), self.tr)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).zero()
        return self.gradInput

    def __tostring__(self):
        return lg.type(self) + '(' + lg.tostring(self.tr[0][0] * 2 - 1) + ')'


lg.register(ContextRegion, 'nn.ContextRegion')
