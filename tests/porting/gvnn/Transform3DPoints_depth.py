"""Transform3DPoints_depth.lua: (B, H, W) depths d -> (B, H, W, 3) points ``d [(u - u0)/fx, (v - v0)/fy, 1]``
of every pixel (u, v) (1-based pixel coordinates as in the Lua: the loops' ``i``, ``j`` are values)."""
import legonn as lg
from legonn import nn


class Transform3DPoints_depth(nn.Module):

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

        self.baseGrid = lg.Tensor(height, width, 3)

        for i in range(1, self.height + 1):
            self.baseGrid.select(2, 1).select(0, i - 1).fill((i - self.v0) / self.fy)

        for j in range(1, self.width + 1):
            self.baseGrid.select(2, 0).select(1, j - 1).fill((j - self.u0) / self.fx)

        self.baseGrid.select(2, 2).fill(1)

        self.points3D = lg.Tensor(1, height, width, 3).fill(1)

    def updateOutput(self, depth):
        depths = depth
        batchsize = depth.size(0)

        if batchsize > 1:
            self.points3D.resize(batchsize, self.height, self.width, 3)
            self.points3D.fill(1)

        for b in range(batchsize):
            u_minus_u0 = self.baseGrid.select(2, 0)
            v_minus_v0 = self.baseGrid.select(2, 1)

            u_times_depth = lg.cmul(u_minus_u0, depths[b])
            v_times_depth = lg.cmul(v_minus_v0, depths[b])

            self.points3D[b].select(2, 0).copy(u_times_depth)
            self.points3D[b].select(2, 1).copy(v_times_depth)
            self.points3D[b].select(2, 2).copy(depths[b])

        self.output = self.points3D
        return self.output

    def updateGradInput(self, _input, _gradGrid):
        batchsize = _input.size(0)

        gradGrid = _gradGrid.clone()

        x1 = gradGrid.select(3, 0)
        x2 = gradGrid.select(3, 1)
        x3 = gradGrid.select(3, 2)

        Rp = lg.Tensor(batchsize, self.height, self.width, 3).zero()

        for b in range(batchsize):
            Rp[b].select(2, 0).copy(self.baseGrid.select(2, 0))
            Rp[b].select(2, 1).copy(self.baseGrid.select(2, 1))
            Rp[b].select(2, 2).copy(self.baseGrid.select(2, 2))

        y1 = Rp.select(3, 0)
        y2 = Rp.select(3, 1)
        y3 = Rp.select(3, 2)

        self.gradInput = lg.add(lg.add(lg.cmul(x1, y1), lg.cmul(x2, y2)), lg.cmul(x3, y3))

        return self.gradInput


lg.register(Transform3DPoints_depth, 'nn.Transform3DPoints_depth')
