"""PinHoleCameraProjectionBHWD.lua: (B, H, W, 3) points (X, Y, Z) -> (B, H, W, 2) ``(fx X/Z + u0, fy Y/Z + v0)``
in the normalised [-1, 1] coordinates of BilinearSamplerBHWD (fx, fy, u0, v0 rescaled by the constructor).

As in the Lua: updateGradInput adds ``epsilon`` to the input's Z in place (``Zs:add``, Zs a select of the
input), and its 2-D branch names ``addOuterDim`` and ``_gradGrid``, which this file never defines (nil globals
in Lua: an error there as here), so only (B, H, W, 3) inputs run. test.lua's PHCP_single builds it with no
fx, fy, u0, v0: the camera parameters default to None (docs/porting.md's row of a Lua function called with
fewer arguments), so that the constructor's ``(u0-1)`` fails as Lua's arithmetic on nil does (a TypeError).
"""
import legonn as lg
from legonn import nn


class PinHoleCameraProjectionBHWD(nn.Module):

    def __init__(self, height, width, fx=None, fy=None, u0=None, v0=None):
        super().__init__()
        assert height > 1
        assert width > 1
        self.height = height
        self.width = width

        self.u0 = -1 + 2 * (u0 - 1) / (self.width - 1)
        self.v0 = -1 + 2 * (v0 - 1) / (self.height - 1)

        self.fx = 2 * fx / (self.width - 1)
        self.fy = 2 * fy / (self.height - 1)

        self.epsilon = 1e-12
        self.output = lg.Tensor(1)

    def updateOutput(self, _points3D):
        points3D = _points3D
        assert (points3D.nDimension() == 4
                and points3D.size(1) == self.height
                and points3D.size(2) == self.width
                and points3D.size(3) == 3), 'please input 3d points in the format (bxhxwx3)'

        batchsize = points3D.size(0)

        self.output.resize(points3D.size(0), points3D.size(1), points3D.size(2), 2).zero()

        X = points3D.select(3, 0)
        Y = points3D.select(3, 1)
        Z = points3D.select(3, 2) + self.epsilon

        # u'  = fx * ( X / Z ) + u0
        # v'  = fy * ( Y / Z ) + v0
        self.output.select(3, 0).copy(lg.mul(lg.cdiv(X, Z), self.fx) + self.u0)
        self.output.select(3, 1).copy(lg.mul(lg.cdiv(Y, Z), self.fy) + self.v0)

        if _points3D.nDimension() == 2:
            self.output = self.output.select(0, 0)

        return self.output

    def updateGradInput(self, _points3D, _gradOut):
        if _points3D.nDimension() == 2:
            points3D = addOuterDim(_points3D)    # noqa: F821 -- a nil global in the Lua too
            gradGrid = addOuterDim(_gradGrid)    # noqa: F821
        else:
            points3D = _points3D
            gradOut = _gradOut

        batchsize = points3D.size(0)

        self.gradInput.resizeAs(points3D).zero().expandAs(points3D)

        X = points3D.select(3, 0)
        Y = points3D.select(3, 1)
        Z = points3D.select(3, 2)
        Zs = points3D.select(3, 2)

        X_div_Z = lg.cdiv(-X, Z)
        Y_div_Z = lg.cdiv(-Y, Z)

        Zs = Zs.add(self.epsilon)

        dLx = gradOut.select(3, 0)
        dLy = gradOut.select(3, 1)

        dLx_div_Z = lg.mul(lg.cdiv(dLx, Zs), self.fx)
        dLy_div_Z = lg.mul(lg.cdiv(dLy, Zs), self.fy)

        self.gradInput.select(3, 0).copy(dLx_div_Z)
        self.gradInput.select(3, 1).copy(dLy_div_Z)
        self.gradInput.select(3, 2).copy(lg.cmul(dLx_div_Z, X_div_Z) + lg.cmul(dLy_div_Z, Y_div_Z))

        if _points3D.nDimension() == 2:
            self.gradInput = self.gradInput.select(0, 0)

        return self.gradInput


lg.register(PinHoleCameraProjectionBHWD, 'nn.PinHoleCameraProjectionBHWD')
