"""Disparity1D.lua (``nn.Disparity1DBHWD(height, width)``): (B, H, W, 1) disparities d -> (B, H, W, 2) grid
``(x + d, y)`` at each pixel's normalised (x, y) in [-1, 1]. ``torch.add`` of the (B, H, W) grid column and
the (B, H, W, 1) disparities, and the backward's copy of a (B, H, W) slice into the (B, H, W, 1) gradInput,
pair the elements in order (Torch7 checks only the counts)."""
import legonn as lg
from legonn import nn


class Disparity1DBHWD(nn.Module):

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

    def updateOutput(self, disparity1D):
        current_disparity = disparity1D

        assert (current_disparity.nDimension() == 4
                and current_disparity.size(1) == self.height
                and current_disparity.size(2) == self.width
                and current_disparity.size(3) == 1), 'please input disparity (bxhxwx1)'

        batchsize = current_disparity.size(0)

        if self.batchGrid.size(0) != batchsize:
            self.batchGrid.resize(batchsize, self.height, self.width, 2)
            for i in range(batchsize):
                self.batchGrid.select(0, i).copy(self.baseGrid)

        self.output.resize(batchsize, self.height, self.width, 2)

        self.output.select(3, 0).copy(lg.add(self.batchGrid.select(3, 0), current_disparity))
        self.output.select(3, 1).copy(self.batchGrid.select(3, 1))

        return self.output

    def updateGradInput(self, disparity1D, _gradGrid):
        self.gradInput.resizeAs(disparity1D).zero().typeAs(disparity1D)
        self.gradInput.copy(_gradGrid.select(3, 0))
        return self.gradInput


lg.register(Disparity1DBHWD, 'nn.Disparity1DBHWD')
