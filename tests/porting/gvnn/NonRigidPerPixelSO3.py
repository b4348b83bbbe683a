"""NonRigidPerPixelSO3.lua (``nn.NonRigidRotationSO3()``): (B, H, W, 3) per-pixel so(3) vectors ->
(B, H, W, 3, 3) rotations exp([v]x) (Rodrigues, no small-angle branch), with gradients by
TransformationRotationSO3's formula per pixel. NonRigidPerPixelSE3.lua holds the same local ``dR_by_dvi``
token for token: that port imports this one. updateGradInput's ``width`` is the Lua's ``size(2)`` (sic).
The Lua's ``check`` and ``addOuterDim`` are never called; ``check`` is ported, ``addOuterDim`` is
Transform3DPoints_R's.
"""
import legonn as lg
from legonn import nn


class NonRigidRotationSO3(nn.Module):

    def __init__(self):
        super().__init__()
        self.threshold = 1e-12

    def check(self, input):
        numberParameters = 0

        numberParameters = numberParameters + 3

        assert input.size(1) == numberParameters, \
            'Expected ' + str(numberParameters) + ' parameters, got ' + str(input.size(1))

    def updateOutput(self, _tranformParams):
        transformParams = _tranformParams

        batchSize = transformParams.size(0)
        height = transformParams.size(1)
        width = transformParams.size(2)

        completeTransformation = lg.zeros(batchSize, height, width, 3, 3).typeAs(transformParams).zero()
        completeTransformation.select(4, 0).select(3, 0).add(1)
        completeTransformation.select(4, 1).select(3, 1).add(1)
        completeTransformation.select(4, 2).select(3, 2).add(1)

        omega_x = transformParams.select(3, 0)
        omega_y = transformParams.select(3, 1)
        omega_z = transformParams.select(3, 2)

        omega_skew = lg.Tensor(batchSize, height, width, 3, 3).typeAs(transformParams)
        omega_skew.zero()
        omega_skew.select(4, 0).select(3, 1).copy(omega_z)
        omega_skew.select(4, 0).select(3, 2).copy(-omega_y)

        omega_skew.select(4, 1).select(3, 0).copy(-omega_z)
        omega_skew.select(4, 1).select(3, 2).copy(omega_x)

        omega_skew.select(4, 2).select(3, 0).copy(omega_y)
        omega_skew.select(4, 2).select(3, 1).copy(-omega_x)

        omega_skew_sqr = lg.Tensor(batchSize, height, width, 3, 3).zero()

        omega_skew_sqr.select(4, 0).select(3, 0).copy(-lg.pow(omega_z, 2) - lg.pow(omega_y, 2))
        omega_skew_sqr.select(4, 0).select(3, 1).copy(lg.cmul(omega_x, omega_y))
        omega_skew_sqr.select(4, 0).select(3, 2).copy(lg.cmul(omega_x, omega_z))

        omega_skew_sqr.select(4, 1).select(3, 0).copy(lg.cmul(omega_y, omega_x))
        omega_skew_sqr.select(4, 1).select(3, 1).copy(-lg.pow(omega_z, 2) - lg.pow(omega_x, 2))
        omega_skew_sqr.select(4, 1).select(3, 2).copy(lg.cmul(omega_y, omega_z))

        omega_skew_sqr.select(4, 2).select(3, 0).copy(lg.cmul(omega_x, omega_z))
        omega_skew_sqr.select(4, 2).select(3, 1).copy(lg.cmul(omega_y, omega_z))
        omega_skew_sqr.select(4, 2).select(3, 2).copy(-lg.pow(omega_y, 2) - lg.pow(omega_x, 2))

        theta_sqr = lg.pow(omega_x, 2) + lg.pow(omega_y, 2) + lg.pow(omega_z, 2)
        theta = lg.pow(theta_sqr, 0.5)

        sin_theta = lg.sin(theta)
        sin_theta_div_theta = lg.cdiv(sin_theta, theta)

        one_minus_cos_theta = lg.ones(theta.size()).typeAs(transformParams) - lg.cos(theta)
        one_minus_cos_div_theta_sqr = lg.cdiv(one_minus_cos_theta, theta_sqr)

        sin_theta_div_theta_tensor = lg.ones(omega_skew.size()).typeAs(transformParams)
        one_minus_cos_div_theta_sqr_tensor = lg.ones(omega_skew.size()).typeAs(transformParams)

        sin_theta_div_theta_tensor.select(4, 0).select(3, 0).copy(sin_theta_div_theta)
        sin_theta_div_theta_tensor.select(4, 0).select(3, 1).copy(sin_theta_div_theta)
        sin_theta_div_theta_tensor.select(4, 0).select(3, 2).copy(sin_theta_div_theta)
        sin_theta_div_theta_tensor.select(4, 1).select(3, 0).copy(sin_theta_div_theta)
        sin_theta_div_theta_tensor.select(4, 1).select(3, 1).copy(sin_theta_div_theta)
        sin_theta_div_theta_tensor.select(4, 1).select(3, 2).copy(sin_theta_div_theta)
        sin_theta_div_theta_tensor.select(4, 2).select(3, 0).copy(sin_theta_div_theta)
        sin_theta_div_theta_tensor.select(4, 2).select(3, 1).copy(sin_theta_div_theta)
        sin_theta_div_theta_tensor.select(4, 2).select(3, 2).copy(sin_theta_div_theta)

        one_minus_cos_div_theta_sqr_tensor.select(4, 0).select(3, 0).copy(one_minus_cos_div_theta_sqr)
        one_minus_cos_div_theta_sqr_tensor.select(4, 0).select(3, 1).copy(one_minus_cos_div_theta_sqr)
        one_minus_cos_div_theta_sqr_tensor.select(4, 0).select(3, 2).copy(one_minus_cos_div_theta_sqr)
        one_minus_cos_div_theta_sqr_tensor.select(4, 1).select(3, 0).copy(one_minus_cos_div_theta_sqr)
        one_minus_cos_div_theta_sqr_tensor.select(4, 1).select(3, 1).copy(one_minus_cos_div_theta_sqr)
        one_minus_cos_div_theta_sqr_tensor.select(4, 1).select(3, 2).copy(one_minus_cos_div_theta_sqr)
        one_minus_cos_div_theta_sqr_tensor.select(4, 2).select(3, 0).copy(one_minus_cos_div_theta_sqr)
        one_minus_cos_div_theta_sqr_tensor.select(4, 2).select(3, 1).copy(one_minus_cos_div_theta_sqr)
        one_minus_cos_div_theta_sqr_tensor.select(4, 2).select(3, 2).copy(one_minus_cos_div_theta_sqr)

        completeTransformation = (completeTransformation + lg.cmul(sin_theta_div_theta_tensor, omega_skew)
                                  + lg.cmul(one_minus_cos_div_theta_sqr_tensor, omega_skew_sqr))

        self.rotationOutput = completeTransformation
        self.output = completeTransformation

        return self.output

    def updateGradInput(self, _tranformParams, _gradParams):
        transformParams = _tranformParams
        gradParams = _gradParams.clone()

        batchSize = transformParams.size(0)
        height = transformParams.size(1)
        width = transformParams.size(1)     # sic: the Lua's size(2); only sizes a buffer that is replaced

        self.gradInput.resizeAs(transformParams)

        rotationDerivative = lg.zeros(batchSize, height, width, 3, 3).typeAs(transformParams)

        gradInputRotationParams = self.gradInput.narrow(3, 0, 1)

        rotationDerivative = dR_by_dvi(transformParams, self.rotationOutput, 0, self.threshold)

        selectedGradParams = gradParams
        gradInputRotationParams.copy(lg.cmul(rotationDerivative, selectedGradParams).sum(3).sum(4))

        rotationDerivative = dR_by_dvi(transformParams, self.rotationOutput, 1, self.threshold)
        gradInputRotationParams = self.gradInput.narrow(3, 1, 1)
        gradInputRotationParams.copy(lg.cmul(rotationDerivative, selectedGradParams).sum(3).sum(4))

        rotationDerivative = dR_by_dvi(transformParams, self.rotationOutput, 2, self.threshold)
        gradInputRotationParams = self.gradInput.narrow(3, 2, 1)
        gradInputRotationParams.copy(lg.cmul(rotationDerivative, selectedGradParams).sum(3).sum(4))

        return self.gradInput


def dR_by_dvi(transparams, RotMats, which_vi, threshold):
    """The file's local dR_by_dvi, per pixel: (B, H, W, 3, 3) derivatives of the rotations ``RotMats`` by
    their so(3) vectors' entry ``which_vi`` (0-based). No small-angle branch: a zero vector divides by zero,
    as in the Lua."""
    omega_x = transparams.select(3, 0)
    omega_y = transparams.select(3, 1)
    omega_z = transparams.select(3, 2)

    omega_skew = lg.Tensor(RotMats.size()).typeAs(transparams)
    omega_skew.zero()
    omega_skew.select(4, 0).select(3, 1).copy(omega_z)
    omega_skew.select(4, 0).select(3, 2).copy(-omega_y)

    omega_skew.select(4, 1).select(3, 0).copy(-omega_z)
    omega_skew.select(4, 1).select(3, 2).copy(omega_x)

    omega_skew.select(4, 2).select(3, 0).copy(omega_y)
    omega_skew.select(4, 2).select(3, 1).copy(-omega_x)

    omega_skew_ge = lg.Tensor(RotMats.size()).copy(omega_skew).typeAs(transparams)

    Id_minus_R_ei = lg.Tensor(RotMats.size(0), RotMats.size(1), RotMats.size(2), 3, 1).zero().typeAs(transparams)

    Id_minus_R_ei.select(3, which_vi).add(1)

    I = lg.Tensor(RotMats.size(0), RotMats.size(1), RotMats.size(2), RotMats.size(3),
                  RotMats.size(4)).zero().typeAs(transparams)

    I.select(4, 0).select(3, 0).add(1)
    I.select(4, 1).select(3, 1).add(1)
    I.select(4, 2).select(3, 2).add(1)

    I_minus_RotMats = lg.add(I, -RotMats)

    Id_minus_R_ei_new = lg.Tensor(RotMats.size(0), RotMats.size(1), RotMats.size(2), 3, 1).zero().typeAs(transparams)

    # (B, H, W, 3) rows times (B, H, W, 3, 1) columns: torch.cmul pairs the elements in order
    Id_minus_R_ei_new.select(3, 0).copy(lg.cmul(I_minus_RotMats.select(3, 0), Id_minus_R_ei).sum(3))
    Id_minus_R_ei_new.select(3, 1).copy(lg.cmul(I_minus_RotMats.select(3, 1), Id_minus_R_ei).sum(3))
    Id_minus_R_ei_new.select(3, 2).copy(lg.cmul(I_minus_RotMats.select(3, 2), Id_minus_R_ei).sum(3))

    Id_minus_R_ei = Id_minus_R_ei_new

    # cross product
    v_cross_Id_minus_R_ei = lg.Tensor(Id_minus_R_ei.size()).typeAs(transparams)

    v_cross_Id_minus_R_ei.select(3, 0).copy(lg.cmul(omega_skew.select(3, 0), Id_minus_R_ei).sum(3))
    v_cross_Id_minus_R_ei.select(3, 1).copy(lg.cmul(omega_skew.select(3, 1), Id_minus_R_ei).sum(3))
    v_cross_Id_minus_R_ei.select(3, 2).copy(lg.cmul(omega_skew.select(3, 2), Id_minus_R_ei).sum(3))

    cross_x = v_cross_Id_minus_R_ei.select(3, 0)
    cross_y = v_cross_Id_minus_R_ei.select(3, 1)
    cross_z = v_cross_Id_minus_R_ei.select(3, 2)

    vcross = lg.Tensor(RotMats.size()).typeAs(transparams)
    vcross.zero()
    vcross.select(4, 0).select(3, 1).copy(cross_z)
    vcross.select(4, 0).select(3, 2).copy(-cross_y)

    vcross.select(4, 1).select(3, 0).copy(-cross_z)
    vcross.select(4, 1).select(3, 2).copy(cross_x)

    vcross.select(4, 2).select(3, 0).copy(cross_y)
    vcross.select(4, 2).select(3, 1).copy(-cross_x)

    omega_mag = lg.pow(omega_x, 2) + lg.pow(omega_y, 2) + lg.pow(omega_z, 2)

    v_i = transparams.select(3, which_vi)

    omega_skew.select(4, 0).select(3, 0).cmul(v_i)
    omega_skew.select(4, 0).select(3, 1).cmul(v_i)
    omega_skew.select(4, 0).select(3, 2).cmul(v_i)
    omega_skew.select(4, 1).select(3, 0).cmul(v_i)
    omega_skew.select(4, 1).select(3, 1).cmul(v_i)
    omega_skew.select(4, 1).select(3, 2).cmul(v_i)
    omega_skew.select(4, 2).select(3, 0).cmul(v_i)
    omega_skew.select(4, 2).select(3, 1).cmul(v_i)
    omega_skew.select(4, 2).select(3, 2).cmul(v_i)

    omega_skew = omega_skew + vcross

    omega_skew.select(4, 0).select(3, 0).cdiv(omega_mag)
    omega_skew.select(4, 0).select(3, 1).cdiv(omega_mag)
    omega_skew.select(4, 0).select(3, 2).cdiv(omega_mag)
    omega_skew.select(4, 1).select(3, 0).cdiv(omega_mag)
    omega_skew.select(4, 1).select(3, 1).cdiv(omega_mag)
    omega_skew.select(4, 1).select(3, 2).cdiv(omega_mag)
    omega_skew.select(4, 2).select(3, 0).cdiv(omega_mag)
    omega_skew.select(4, 2).select(3, 1).cdiv(omega_mag)
    omega_skew.select(4, 2).select(3, 2).cdiv(omega_mag)

    B = RotMats.size(0)
    H = RotMats.size(1)
    W = RotMats.size(2)

    BHW = B * H * W

    BHW33Mat = lg.bmm(omega_skew.view(BHW, 3, 3), RotMats.view(BHW, 3, 3))

    return BHW33Mat.view(B, H, W, 3, 3)


lg.register(NonRigidRotationSO3, 'nn.NonRigidRotationSO3')
