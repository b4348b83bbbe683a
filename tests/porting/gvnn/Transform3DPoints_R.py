"""Transform3DPoints_R.lua: (B, 3, 3) rotations -> (B, H, W, 3) points ``R [(u - u0)/fx, (v - v0)/fy, 1]``
of every pixel (u, v) (1-based pixel coordinates, as in the Lua; the loops' ``i`` and ``j`` are values here,
not indices, so they stay 1-based and only the select() indices are 0-based)."""
import legonn as lg
from legonn import nn


class Transform3DPoints_R(nn.Module):

    def __init__(self, height, width, fx, fy, u0, v0):
        super().__init__()
        assert height > 1
        assert width > 1
        self.height = height
        self.width = width

        self.u0 = u0  # -1 + (u0-1)/(self.width-1) * 2
        self.v0 = v0  # -1 + (v0-1)/(self.height-1) * 2

        self.fx = fx  # 2 * fx/(self.width-1)
        self.fy = fy  # 2 * fy/(self.height-1)

        self.scale = 1

        self.baseGrid = lg.Tensor(height, width, 3)

        for i in range(1, self.height + 1):
            self.baseGrid.select(2, 1).select(0, i - 1).fill(self.scale * (i - self.v0) / self.fy)

        for j in range(1, self.width + 1):
            self.baseGrid.select(2, 0).select(1, j - 1).fill(self.scale * (j - self.u0) / self.fx)

        self.baseGrid.select(2, 2).fill(1)
        self.batchGrid = lg.Tensor(1, height, width, 3).copy(self.baseGrid)

    def updateOutput(self, _transformMatrix):
        if _transformMatrix.nDimension() == 2:
            transformMatrix = addOuterDim(_transformMatrix)
        else:
            transformMatrix = _transformMatrix
        assert (transformMatrix.nDimension() == 3
                and transformMatrix.size(1) == 3
                and transformMatrix.size(2) == 3), 'please input affine transform matrices (bx3x3)'

        batchsize = transformMatrix.size(0)

        if self.batchGrid.size(0) != batchsize:
            self.batchGrid.resize(batchsize, self.height, self.width, 3)
            for i in range(batchsize):
                self.batchGrid.select(0, i).copy(self.baseGrid)

        self.output.resize(batchsize, self.height, self.width, 3)
        flattenedBatchGrid = self.batchGrid.view(batchsize, self.width * self.height, 3)
        flattenedOutput = self.output.view(batchsize, self.width * self.height, 3)
        lg.bmm(flattenedOutput, flattenedBatchGrid, transformMatrix.transpose(1, 2))
        if _transformMatrix.nDimension() == 2:
            self.output = self.output.select(0, 0)
        return self.output

    def updateGradInput(self, _transformMatrix, _gradGrid):
        if _transformMatrix.nDimension() == 2:
            transformMatrix = addOuterDim(_transformMatrix)
            gradGrid = addOuterDim(_gradGrid)
        else:
            transformMatrix = _transformMatrix
            gradGrid = _gradGrid

        batchsize = transformMatrix.size(0)
        flattenedGradGrid = gradGrid.view(batchsize, self.width * self.height, 3)
        flattenedBatchGrid = self.batchGrid.view(batchsize, self.width * self.height, 3)
        self.gradInput.resizeAs(transformMatrix).zero()
        self.gradInput.baddbmm(flattenedGradGrid.transpose(1, 2), flattenedBatchGrid)

        if _transformMatrix.nDimension() == 2:
            self.gradInput = self.gradInput.select(0, 0)

        return self.gradInput


def addOuterDim(t):
    """The file's local addOuterDim: ``t`` viewed with a leading dimension of 1."""
    sizes = t.size()
    newsizes = lg.LongStorage(sizes.size() + 1)
    newsizes[0] = 1
    for i in range(sizes.size()):
        newsizes[i + 1] = sizes[i]
    return t.view(newsizes)


lg.register(Transform3DPoints_R, 'nn.Transform3DPoints_R')
