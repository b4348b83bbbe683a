"""TransformationRotationSO3.lua: (B, 3) so(3) vectors v -> (B, 3, 3) rotations ``exp([v]x)`` (Rodrigues:
``I + sin|v|/|v| [v]x + (1 - cos|v|)/|v|^2 [v]x^2``, the identity's terms below ``threshold``), and their
gradients by ``dR/dv_i = (v_i [v]x + [v x (I - R) e_i]x) R / |v|^2`` (Gallego and Yezzi, arXiv:1312.0788).

The Lua's commented-out blocks (its fullMode, scale and translation, copied from AffineTransformMatrixGenerator)
are left out; its updateOutput prints the three derivatives at every forward, as the Lua does. updateGradInput
tests ``self.fullMode``, a field nothing sets (nil in Lua): ``getattr(self, 'fullMode', None)``.
TransformationMatrix3x4GeneratorSO3.lua holds the same local ``dR_by_dvi``: that port imports this one.
"""
import legonn as lg
from legonn import nn

from .Transform3DPoints_R import addOuterDim


class TransformationRotationSO3(nn.Module):

    def __init__(self):
        super().__init__()
        self.threshold = 1e-12

    def check(self, input):
        numberParameters = 0

        numberParameters = numberParameters + 3

        assert input.size(1) == numberParameters, \
            'Expected ' + str(numberParameters) + ' parameters, got ' + str(input.size(1))

    def updateOutput(self, _tranformParams):
        if _tranformParams.nDimension() == 1:
            transformParams = addOuterDim(_tranformParams)
        else:
            transformParams = _tranformParams

        self.check(transformParams)

        batchSize = transformParams.size(0)

        completeTransformation = lg.zeros(batchSize, 3, 3).typeAs(transformParams)
        completeTransformation.select(2, 0).select(1, 0).add(1)
        completeTransformation.select(2, 1).select(1, 1).add(1)
        completeTransformation.select(2, 2).select(1, 2).add(1)

        transformationBuffer = lg.Tensor(batchSize, 3, 3).typeAs(transformParams)

        paramIndex = 0

        omega_x = transformParams.select(1, paramIndex)
        omega_y = transformParams.select(1, paramIndex + 1)
        omega_z = transformParams.select(1, paramIndex + 2)

        omega_skew = lg.Tensor(batchSize, 3, 3).typeAs(transformParams)
        omega_skew.zero()
        omega_skew.select(2, 0).select(1, 1).copy(omega_z)
        omega_skew.select(2, 0).select(1, 2).copy(-omega_y)

        omega_skew.select(2, 1).select(1, 0).copy(-omega_z)
        omega_skew.select(2, 1).select(1, 2).copy(omega_x)

        omega_skew.select(2, 2).select(1, 0).copy(omega_y)
        omega_skew.select(2, 2).select(1, 1).copy(-omega_x)

        omega_skew_sqr = lg.bmm(omega_skew, omega_skew)

        theta_sqr = lg.pow(omega_x, 2) + lg.pow(omega_y, 2) + lg.pow(omega_z, 2)
        theta = lg.pow(theta_sqr, 0.5)

        sin_theta = lg.sin(theta)
        sin_theta_div_theta = lg.cdiv(sin_theta, theta)

        one_minus_cos_theta = lg.ones(theta.size()).typeAs(transformParams) - lg.cos(theta)
        one_minus_cos_div_theta_sqr = lg.cdiv(one_minus_cos_theta, theta_sqr)

        sin_theta_div_theta_tensor = lg.ones(omega_skew.size()).typeAs(transformParams)
        one_minus_cos_div_theta_sqr_tensor = lg.ones(omega_skew.size()).typeAs(transformParams)

        for b in range(batchSize):
            if theta_sqr[b] > self.threshold:
                sin_theta_div_theta_tensor[b] = sin_theta_div_theta_tensor[b].fill(sin_theta_div_theta[b])
                one_minus_cos_div_theta_sqr_tensor[b] = \
                    one_minus_cos_div_theta_sqr_tensor[b].fill(one_minus_cos_div_theta_sqr[b])
            else:
                sin_theta_div_theta_tensor[b] = sin_theta_div_theta_tensor[b].fill(1)
                one_minus_cos_div_theta_sqr_tensor[b] = one_minus_cos_div_theta_sqr_tensor[b].fill(0)

        # need to add boundary conditions i.e. when the size of the rot vector is very small ~ = 0

        completeTransformation = (completeTransformation + lg.cmul(sin_theta_div_theta_tensor, omega_skew)
                                  + lg.cmul(one_minus_cos_div_theta_sqr_tensor, omega_skew_sqr))

        self.rotationOutput = completeTransformation.narrow(1, 0, 3).narrow(2, 0, 3).clone()

        self.scaleOutput = completeTransformation.narrow(1, 0, 3).narrow(2, 0, 3).clone()

        self.output = completeTransformation.narrow(1, 0, 3)

        print('dR_by_dv1..')
        print(dR_by_dvi(transformParams, self.output, 0, self.threshold))
        print('dR_by_dv2..')
        print(dR_by_dvi(transformParams, self.output, 1, self.threshold))
        print('dR_by_dv3..')
        print(dR_by_dvi(transformParams, self.output, 2, self.threshold))

        if _tranformParams.nDimension() == 1:
            self.output = self.output.select(0, 0)
        return self.output

    def updateGradInput(self, _tranformParams, _gradParams):
        if _tranformParams.nDimension() == 1:
            transformParams = addOuterDim(_tranformParams)
            gradParams = addOuterDim(_gradParams).clone()
        else:
            transformParams = _tranformParams
            gradParams = _gradParams.clone()

        batchSize = transformParams.size(0)

        if getattr(self, 'fullMode', None):

            self.gradInput = gradParams.view(batchSize, 6)

        else:

            paramIndex = transformParams.size(1)
            self.gradInput.resizeAs(transformParams)

            rotationDerivative = lg.zeros(batchSize, 3, 3).typeAs(transformParams)

            gradInputRotationParams = self.gradInput.narrow(1, 0, 1)

            rotationDerivative = dR_by_dvi(transformParams, self.rotationOutput, 0, self.threshold)

            selectedGradParams = gradParams.narrow(1, 0, 3).narrow(2, 0, 3)
            gradInputRotationParams.copy(lg.cmul(rotationDerivative, selectedGradParams).sum(1).sum(2))

            rotationDerivative = dR_by_dvi(transformParams, self.rotationOutput, 1, self.threshold)

            gradInputRotationParams = self.gradInput.narrow(1, 1, 1)

            gradInputRotationParams.copy(lg.cmul(rotationDerivative, selectedGradParams).sum(1).sum(2))

            rotationDerivative = dR_by_dvi(transformParams, self.rotationOutput, 2, self.threshold)

            gradInputRotationParams = self.gradInput.narrow(1, 2, 1)
            gradInputRotationParams.copy(lg.cmul(rotationDerivative, selectedGradParams).sum(1).sum(2))

        if _tranformParams.nDimension() == 1:
            self.gradInput = self.gradInput.select(0, 0)
        return self.gradInput


def dR_by_dvi(transparams, RotMats, which_vi, threshold):
    """The file's local dR_by_dvi: (B, 3, 3) derivatives of the rotations ``RotMats`` by their so(3) vectors'
    entry ``which_vi`` (0-based)."""
    omega_x = transparams.select(1, 0)
    omega_y = transparams.select(1, 1)
    omega_z = transparams.select(1, 2)

    omega_skew = lg.Tensor(RotMats.size()).typeAs(transparams)
    omega_skew.zero()
    omega_skew.select(2, 0).select(1, 1).copy(omega_z)
    omega_skew.select(2, 0).select(1, 2).copy(-omega_y)

    omega_skew.select(2, 1).select(1, 0).copy(-omega_z)
    omega_skew.select(2, 1).select(1, 2).copy(omega_x)

    omega_skew.select(2, 2).select(1, 0).copy(omega_y)
    omega_skew.select(2, 2).select(1, 1).copy(-omega_x)

    Id_minus_R_ei = lg.Tensor(RotMats.size(0), RotMats.size(1), 1).zero().typeAs(transparams)

    Id_minus_R_ei.select(1, which_vi).add(1)

    I = lg.Tensor(RotMats.size(0), RotMats.size(1), RotMats.size(2)).zero().typeAs(transparams)

    assert RotMats.size(1) == 3
    assert RotMats.size(2) == 3

    I.select(1, 0).select(1, 0).add(1)
    I.select(1, 1).select(1, 1).add(1)
    I.select(1, 2).select(1, 2).add(1)

    Id_minus_R_ei = lg.bmm(lg.add(I, -RotMats), Id_minus_R_ei)

    # cross product
    v_cross_Id_minus_R_ei = lg.bmm(omega_skew, Id_minus_R_ei)

    cross_x = v_cross_Id_minus_R_ei.select(1, 0)
    cross_y = v_cross_Id_minus_R_ei.select(1, 1)
    cross_z = v_cross_Id_minus_R_ei.select(1, 2)

    vcross = lg.Tensor(RotMats.size()).typeAs(transparams)
    vcross.zero()
    vcross.select(2, 0).select(1, 1).copy(cross_z)
    vcross.select(2, 0).select(1, 2).copy(-cross_y)

    vcross.select(2, 1).select(1, 0).copy(-cross_z)
    vcross.select(2, 1).select(1, 2).copy(cross_x)

    vcross.select(2, 2).select(1, 0).copy(cross_y)
    vcross.select(2, 2).select(1, 1).copy(-cross_x)

    omega_mag = lg.pow(omega_x, 2) + lg.pow(omega_y, 2) + lg.pow(omega_z, 2)

    omega_selected = transparams.select(1, which_vi)

    for b in range(omega_skew.size(0)):
        if omega_mag[b] > threshold:
            v_i = omega_selected[b]
            omega_skew[b] = omega_skew[b].mul(v_i) + vcross[b]
            omega_skew[b].div(omega_mag[b])
        else:
            e_i = lg.Tensor(3, 1).typeAs(transparams).zero()
            e_i.select(0, which_vi).fill(1)

            eMat = lg.Tensor(3, 3).typeAs(transparams).zero()

            # [a]x = ( 0  -a3  a2
            #          a3   0 -a1
            #         -a2  a1  0 )

            eMat[0][1] = -e_i[2]
            eMat[0][2] = e_i[1]

            eMat[1][0] = e_i[2]
            eMat[1][2] = -e_i[0]

            eMat[2][0] = -e_i[1]
            eMat[2][1] = e_i[0]

            omega_skew[b] = eMat

    return lg.bmm(omega_skew, RotMats)


lg.register(TransformationRotationSO3, 'nn.TransformationRotationSO3')
