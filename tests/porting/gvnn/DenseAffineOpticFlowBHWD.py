"""DenseAffineOpticFlowBHWD.lua: (B, H, W, 6) per-pixel affine parameters a -> (B, H, W, 2) sampling grid
``(a1 x + a2 y + a3, a4 x + a5 y + a6)`` at each pixel's normalised (x, y) in [-1, 1] (x along W).
The grid's loops ``i``, ``j`` are 1-based values as in the Lua (only the select() indices are 0-based)."""
import legonn as lg
from legonn import nn


class DenseAffineOpticFlowBHWD(nn.Module):

    def __init__(self, height, width):
        super().__init__()
        assert height > 1
        assert width > 1
        self.height = height
        self.width = width

        self.baseGrid = lg.Tensor(height, width, 3)

        for i in range(1, self.height + 1):
            self.baseGrid.select(2, 1).select(0, i - 1).fill(-1 + (i - 1) / (self.height - 1) * 2)

        for j in range(1, self.width + 1):
            self.baseGrid.select(2, 0).select(1, j - 1).fill(-1 + (j - 1) / (self.width - 1) * 2)

        self.baseGrid.select(2, 2).fill(1)
        self.batchGrid = lg.Tensor(1, height, width, 3).copy(self.baseGrid)

    def updateOutput(self, _PerPixelAffineMatrixParams):
        PerPixelAffineMatrixParams = _PerPixelAffineMatrixParams

        assert (PerPixelAffineMatrixParams.nDimension() == 4
                and PerPixelAffineMatrixParams.size(1) == self.height
                and PerPixelAffineMatrixParams.size(2) == self.width
                and PerPixelAffineMatrixParams.size(3) == 6), \
            'please input affine per-pixel transformations (bxhxwx6)'

        batchsize = PerPixelAffineMatrixParams.size(0)

        if self.batchGrid.size(0) != batchsize:
            self.batchGrid.resize(batchsize, self.height, self.width, 3)
            for i in range(batchsize):
                self.batchGrid.select(0, i).copy(self.baseGrid)

        self.output.resize(batchsize, self.height, self.width, 2)

        Affx = PerPixelAffineMatrixParams.narrow(3, 0, 3)
        Affy = PerPixelAffineMatrixParams.narrow(3, 3, 3)

        self.output.select(3, 0).copy(lg.sum(lg.cmul(Affx, self.batchGrid), 3))
        self.output.select(3, 1).copy(lg.sum(lg.cmul(Affy, self.batchGrid), 3))

        return self.output

    def updateGradInput(self, _PerPixelAffineMatrixParams, _gradGrid):
        batchsize = _PerPixelAffineMatrixParams.size(0)

        self.gradInput.resizeAs(_PerPixelAffineMatrixParams).zero()

        Lx_x = lg.cmul(_gradGrid.select(3, 0), self.batchGrid.select(3, 0))
        Lx_y = lg.cmul(_gradGrid.select(3, 0), self.batchGrid.select(3, 1))

        Ly_x = lg.cmul(_gradGrid.select(3, 1), self.batchGrid.select(3, 0))
        Ly_y = lg.cmul(_gradGrid.select(3, 1), self.batchGrid.select(3, 1))

        self.gradInput.select(3, 0).copy(Lx_x)
        self.gradInput.select(3, 1).copy(Lx_y)
        self.gradInput.select(3, 2).copy(_gradGrid.select(3, 0))

        self.gradInput.select(3, 3).copy(Ly_x)
        self.gradInput.select(3, 4).copy(Ly_y)
        self.gradInput.select(3, 5).copy(_gradGrid.select(3, 1))

        return self.gradInput


lg.register(DenseAffineOpticFlowBHWD, 'nn.DenseAffineOpticFlowBHWD')
