"""NonRigidPerPixelSE2.lua (``nn.NonRigidSE2BHWD(height, width)``): (B, H, W, 3) per-pixel (theta, tx, ty)
-> (B, H, W, 2) grid ``R(theta) (x, y) + (tx, ty)`` at each pixel's normalised (x, y) in [-1, 1]."""
import legonn as lg
from legonn import nn


class NonRigidSE2BHWD(nn.Module):

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
                and PerPixelAffineMatrixParams.size(3) == 3), \
            'please input affine per-pixel transformations (bxhxwx6)'

        batchsize = PerPixelAffineMatrixParams.size(0)

        if self.batchGrid.size(0) != batchsize:
            self.batchGrid.resize(batchsize, self.height, self.width, 3)
            for i in range(batchsize):
                self.batchGrid.select(0, i).copy(self.baseGrid)

        self.output.resize(batchsize, self.height, self.width, 2)

        sin_theta = lg.sin(PerPixelAffineMatrixParams.select(3, 0))
        cos_theta = lg.cos(PerPixelAffineMatrixParams.select(3, 0))

        self.output.select(3, 0).copy(lg.cmul(self.batchGrid.select(3, 0), cos_theta)
                                      - lg.cmul(self.batchGrid.select(3, 1), sin_theta)
                                      + PerPixelAffineMatrixParams.select(3, 1))
        self.output.select(3, 1).copy(lg.cmul(self.batchGrid.select(3, 0), sin_theta)
                                      + lg.cmul(self.batchGrid.select(3, 1), cos_theta)
                                      + PerPixelAffineMatrixParams.select(3, 2))

        return self.output

    def updateGradInput(self, _PerPixelAffineMatrixParams, _gradGrid):
        batchsize = _PerPixelAffineMatrixParams.size(0)

        self.gradInput.resizeAs(_PerPixelAffineMatrixParams).zero()

        sin_theta = lg.sin(_PerPixelAffineMatrixParams.select(3, 0))
        cos_theta = lg.cos(_PerPixelAffineMatrixParams.select(3, 0))

        Lx_theta = lg.cmul(_gradGrid.select(3, 0), -lg.cmul(self.batchGrid.select(3, 0), sin_theta)
                           - lg.cmul(self.batchGrid.select(3, 1), cos_theta))
        Ly_theta = lg.cmul(_gradGrid.select(3, 1), lg.cmul(self.batchGrid.select(3, 0), cos_theta)
                           - lg.cmul(self.batchGrid.select(3, 1), sin_theta))

        self.gradInput.select(3, 0).copy(Lx_theta + Ly_theta)
        self.gradInput.select(3, 1).copy(_gradGrid.select(3, 0))
        self.gradInput.select(3, 2).copy(_gradGrid.select(3, 1))

        return self.gradInput


lg.register(NonRigidSE2BHWD, 'nn.NonRigidSE2BHWD')
