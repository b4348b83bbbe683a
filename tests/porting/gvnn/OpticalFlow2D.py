"""OpticalFlow2D.lua (``nn.OpticalFlow2DBHWD(height, width)``): (B, H, W, 2) flows f -> (B, H, W, 2) grid
``(x, y) + f`` at each pixel's normalised (x, y) in [-1, 1]."""
import legonn as lg
from legonn import nn


class OpticalFlow2DBHWD(nn.Module):

    def __init__(self, height, width):
        super().__init__()
        assert height > 1
        assert width > 1
        self.height = height
        self.width = width

        self.baseGrid = lg.Tensor(height, width, 2)

        for i in range(1, self.height + 1):
            self.baseGrid.select(2, 1).select(0, i - 1).fill(-1 + (i - 1) / (self.height - 1) * 2)

        for j in range(1, self.width + 1):
            self.baseGrid.select(2, 0).select(1, j - 1).fill(-1 + (j - 1) / (self.width - 1) * 2)

        self.batchGrid = lg.Tensor(1, height, width, 2).copy(self.baseGrid)

    def updateOutput(self, optic_flow):
        current_optic_flow = optic_flow

        assert (current_optic_flow.nDimension() == 4
                and current_optic_flow.size(1) == self.height
                and current_optic_flow.size(2) == self.width
                and current_optic_flow.size(3) == 2), 'please input affine per-pixel transformations (bxhxwx2)'

        batchsize = current_optic_flow.size(0)

        if self.batchGrid.size(0) != batchsize:
            self.batchGrid.resize(batchsize, self.height, self.width, 2)
            for i in range(batchsize):
                self.batchGrid.select(0, i).copy(self.baseGrid)

        self.output.resize(batchsize, self.height, self.width, 2)
        self.output = lg.add(self.batchGrid, current_optic_flow)

        return self.output

    def updateGradInput(self, optic_flow, _gradGrid):
        self.gradInput.resizeAs(optic_flow).zero().typeAs(optic_flow)
        self.gradInput.copy(_gradGrid)
        return self.gradInput


lg.register(OpticalFlow2DBHWD, 'nn.OpticalFlow2DBHWD')
