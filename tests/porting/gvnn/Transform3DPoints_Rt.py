"""Transform3DPoints_Rt.lua: {(B, 3, 4) [R|t], (B, H, W) depths d} -> (B, H, W, 3) points ``R p + t`` of the
back-projected pixels ``p = d [(u - u0)/fx, (v - v0)/fy, 1]`` (1-based pixel coordinates as in the Lua).

As in the Lua, updateOutput assigns the globals ``_transformMatrix`` and ``depths`` (module globals here).
"""
import legonn as lg
from legonn import nn


class Transform3DPoints_Rt(nn.Module):

    def __init__(self, height, width, fx, fy, u0, v0):
        super().__init__()
        assert height > 1
        assert width > 1
        self.height = height
        self.width = width

        self.fx = fx
        self.fy = fy
        self.u0 = u0
        self.v0 = v0

        self.gradInput = []   # filled below by index from empty: appended (docs/porting.md's t[#t + 1] row)

        self.baseGrid = lg.Tensor(height, width, 4)

        for i in range(1, self.height + 1):
            self.baseGrid.select(2, 1).select(0, i - 1).fill((i - self.v0) / self.fy)

        for j in range(1, self.width + 1):
            self.baseGrid.select(2, 0).select(1, j - 1).fill((j - self.u0) / self.fx)

        self.baseGrid.select(2, 2).fill(1)
        self.baseGrid.select(2, 3).fill(1)

        self.batchGrid = lg.Tensor(1, height, width, 4).copy(self.baseGrid)
        self.points3D = lg.Tensor(1, height, width, 4).fill(1)

        self.gradInput.append(lg.Tensor(1))
        self.gradInput.append(lg.Tensor(1))

        self.deriv = lg.Tensor(1, self.height, self.width, 4).zero()

        self.deriv.select(3, 0).copy(self.baseGrid.select(2, 0))
        self.deriv.select(3, 1).copy(self.baseGrid.select(2, 1))
        self.deriv.select(3, 2).copy(self.baseGrid.select(2, 2))

    def updateOutput(self, transformMatrix_and_depths):
        global _transformMatrix, depths
        _transformMatrix, depths = transformMatrix_and_depths

        transformMatrix = _transformMatrix

        assert (transformMatrix.nDimension() == 3
                and transformMatrix.size(1) == 3
                and transformMatrix.size(2) == 4), 'please input transformation matrix of size (bx3x4)'

        batchsize = transformMatrix.size(0)

        if self.points3D.size(0) != batchsize:
            self.points3D.resize(batchsize, self.height, self.width, 4)
            self.points3D.fill(1)

        for b in range(batchsize):
            u_minus_u0 = self.baseGrid.select(2, 0)
            v_minus_v0 = self.baseGrid.select(2, 1)

            u_times_depth = lg.cmul(u_minus_u0, depths[b])
            v_times_depth = lg.cmul(v_minus_v0, depths[b])

            self.points3D[b].select(2, 0).copy(u_times_depth)
            self.points3D[b].select(2, 1).copy(v_times_depth)
            self.points3D[b].select(2, 2).copy(depths[b])

        flattenedBatchGrid = self.points3D.view(batchsize, self.width * self.height, 4)
        flattenedOutput = lg.Tensor(batchsize, self.width * self.height, 3).typeAs(depths).zero()

        lg.bmm(flattenedOutput, flattenedBatchGrid, transformMatrix.transpose(1, 2))

        self.output = flattenedOutput.view(batchsize, self.height, self.width, 3)

        if _transformMatrix.nDimension() == 2:
            self.output = self.output.select(0, 0)

        return self.output

    def updateGradInput(self, _input, _gradGrid):
        tM3x4 = _input[0]
        depths = _input[1]

        gradGrid = _gradGrid

        batchsize = tM3x4.size(0)
        flattenedGradGrid = gradGrid.view(batchsize, self.width * self.height, 3)
        points3D = self.points3D.view(batchsize, self.width * self.height, 4)

        input = [tM3x4, depths]

        if batchsize > 1:
            self.deriv.resize(batchsize, self.height, self.width, 4)
            self.deriv.fill(0)

            for b in range(batchsize):
                self.deriv[b].select(2, 0).copy(self.baseGrid.select(2, 0))
                self.deriv[b].select(2, 1).copy(self.baseGrid.select(2, 1))
                self.deriv[b].select(2, 2).copy(self.baseGrid.select(2, 2))

        self.gradInput[0].resizeAs(tM3x4).typeAs(tM3x4).zero()
        self.gradInput[1].resizeAs(depths).typeAs(depths).zero()

        lg.bmm(self.gradInput[0], flattenedGradGrid.transpose(1, 2), points3D)

        x1 = gradGrid.select(3, 0)
        x2 = gradGrid.select(3, 1)
        x3 = gradGrid.select(3, 2)

        Rpt = lg.bmm(self.deriv.view(batchsize, self.height * self.width, 4), tM3x4.transpose(1, 2))
        Rpt = Rpt.view(batchsize, self.height, self.width, 3)

        y1 = Rpt.select(3, 0)
        y2 = Rpt.select(3, 1)
        y3 = Rpt.select(3, 2)

        self.gradInput[1] = lg.add(lg.add(lg.cmul(x1, y1), lg.cmul(x2, y2)), lg.cmul(x3, y3))

        return self.gradInput


lg.register(Transform3DPoints_Rt, 'nn.Transform3DPoints_Rt')
