"""TransformationMatrix3x4GeneratorEuler.lua (``nn.TransformationMatrix3x4Euler(useRotation, useScale,
useTranslation)``): (B, 3 + 3) parameters (Euler angles phi, theta, psi, then a translation) -> (B, 3, 4)
``[R | R t]`` with ``R = R_phi R_theta R_psi``, with gradients. ``EulerRot`` and ``dR_by_dangle`` keep the Lua's
``which_axis`` / ``which_angle`` numbers 1..3 (they are labels, not indices). The scale branch reads the nil
global ``scaleFactors`` as TransformationMatrix3x4GeneratorSO3.lua's does.
"""
import legonn as lg
from legonn import nn

from .Transform3DPoints_R import addOuterDim


class TransformationMatrix3x4Euler(nn.Module):

    def __init__(self, useRotation=None, useScale=None, useTranslation=None):
        super().__init__()

        # if no specific transformation, use fully parametrized version
        self.fullMode = not (useRotation or useScale or useTranslation)

        if not self.fullMode:
            self.useRotation = useRotation
            self.useScale = useScale
            self.useTranslation = useTranslation

    def check(self, input):
        if self.fullMode:
            assert input.size(1) == 7, 'Expected 7 parameters, got ' + str(input.size(1))
        else:
            numberParameters = 0
            if self.useRotation:
                numberParameters = numberParameters + 3
            if self.useScale:
                numberParameters = numberParameters + 1
            if self.useTranslation:
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

        if self.fullMode:
            self.output = transformParams.view(batchSize, 3, 4)
        else:
            completeTransformation = lg.zeros(batchSize, 4, 4).typeAs(transformParams)
            completeTransformation.select(2, 0).select(1, 0).add(1)
            completeTransformation.select(2, 1).select(1, 1).add(1)
            completeTransformation.select(2, 2).select(1, 2).add(1)
            completeTransformation.select(2, 3).select(1, 3).add(1)

            transformationBuffer = lg.Tensor(batchSize, 4, 4).typeAs(transformParams)

            paramIndex = 0
            if self.useRotation:
                phi = transformParams.select(1, paramIndex)
                theta = transformParams.select(1, paramIndex + 1)
                psi = transformParams.select(1, paramIndex + 2)

                paramIndex = paramIndex + 3

                cos_phi = lg.cos(phi)
                sin_phi = lg.sin(phi)
                R_phi = EulerRot(batchSize, cos_phi, sin_phi, 1)

                cos_theta = lg.cos(theta)
                sin_theta = lg.sin(theta)
                R_theta = EulerRot(batchSize, cos_theta, sin_theta, 2)

                cos_psi = lg.cos(psi)
                sin_psi = lg.sin(psi)
                R_psi = EulerRot(batchSize, cos_psi, sin_psi, 3)

                R_phi_times_R_theta_times_R_psi = lg.bmm(lg.bmm(R_phi, R_theta), R_psi)
                completeTransformation.sub(0, batchSize - 1, 0, 2, 0, 2).copy(R_phi_times_R_theta_times_R_psi)

            self.rotationOutput = completeTransformation.narrow(1, 0, 3).narrow(2, 0, 3).clone()

            if self.useScale:
                paramIndex = paramIndex + 1

                transformationBuffer.zero()
                transformationBuffer.select(2, 0).select(1, 0).copy(scaleFactors)  # noqa: F821 -- nil in Lua
                transformationBuffer.select(2, 1).select(1, 1).copy(scaleFactors)  # noqa: F821
                transformationBuffer.select(2, 2).select(1, 2).add(1)

                completeTransformation = lg.bmm(completeTransformation, transformationBuffer)

            self.scaleOutput = completeTransformation.narrow(1, 0, 3).narrow(2, 0, 3).clone()

            if self.useTranslation:
                txs = transformParams.select(1, paramIndex)
                tys = transformParams.select(1, paramIndex + 1)
                tzs = transformParams.select(1, paramIndex + 2)

                transformationBuffer.zero()
                transformationBuffer.select(2, 0).select(1, 0).add(1)
                transformationBuffer.select(2, 1).select(1, 1).add(1)
                transformationBuffer.select(2, 2).select(1, 2).add(1)
                transformationBuffer.select(2, 3).select(1, 3).add(1)

                transformationBuffer.select(2, 3).select(1, 0).copy(txs)
                transformationBuffer.select(2, 3).select(1, 1).copy(tys)
                transformationBuffer.select(2, 3).select(1, 2).copy(tzs)

                completeTransformation = lg.bmm(completeTransformation, transformationBuffer)

            self.output = completeTransformation.narrow(1, 0, 3)

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
        if self.fullMode:
            self.gradInput = gradParams.view(batchSize, 6)
        else:
            paramIndex = transformParams.size(1) - 1    # the last parameter's (0-based) index
            self.gradInput.resizeAs(transformParams)

            if self.useTranslation:
                gradInputTranslationParams = self.gradInput.narrow(1, paramIndex - 2, 3)
                tParams = lg.Tensor(batchSize, 1, 3).typeAs(transformParams)

                tParams.select(2, 0).copy(transformParams.select(1, paramIndex - 2))
                tParams.select(2, 1).copy(transformParams.select(1, paramIndex - 1))
                tParams.select(2, 2).copy(transformParams.select(1, paramIndex))
                paramIndex = paramIndex - 3

                selectedOutput = self.scaleOutput
                selectedGradParams = gradParams.narrow(2, 0, 4).narrow(2, 3, 1).transpose(1, 2)
                gradInputTranslationParams.copy(lg.bmm(selectedGradParams, selectedOutput))

                gradientCorrection = lg.bmm(selectedGradParams.transpose(1, 2), tParams)
                gradParams.narrow(2, 0, 3).narrow(2, 0, 3).add(1, gradientCorrection)

            if self.useScale:
                gradInputScaleparams = self.gradInput.narrow(1, paramIndex, 1)
                sParams = transformParams.select(1, paramIndex)
                paramIndex = paramIndex - 1

                selectedOutput = self.rotationOutput
                selectedGradParams = gradParams.narrow(1, 0, 2).narrow(2, 0, 2)
                gradInputScaleparams.copy(lg.cmul(selectedOutput, selectedGradParams).sum(1).sum(2))

                gradParams.select(2, 0).select(1, 0).cmul(sParams)
                gradParams.select(2, 1).select(1, 0).cmul(sParams)
                gradParams.select(2, 0).select(1, 1).cmul(sParams)
                gradParams.select(2, 1).select(1, 1).cmul(sParams)

            if self.useRotation:
                rotationDerivative = lg.zeros(batchSize, 3, 3).typeAs(transformParams)

                gradInputRotationParams = self.gradInput.narrow(1, 0, 1)

                rotationDerivative = dR_by_dangle(transformParams, self.rotationOutput, 1)

                selectedGradParams = gradParams.narrow(1, 0, 3).narrow(2, 0, 3)
                gradInputRotationParams.copy(lg.cmul(rotationDerivative, selectedGradParams).sum(1).sum(2))

                rotationDerivative = dR_by_dangle(transformParams, self.rotationOutput, 2)

                gradInputRotationParams = self.gradInput.narrow(1, 1, 1)

                gradInputRotationParams.copy(lg.cmul(rotationDerivative, selectedGradParams).sum(1).sum(2))

                rotationDerivative = dR_by_dangle(transformParams, self.rotationOutput, 3)

                gradInputRotationParams = self.gradInput.narrow(1, 2, 1)
                gradInputRotationParams.copy(lg.cmul(rotationDerivative, selectedGradParams).sum(1).sum(2))

        if _tranformParams.nDimension() == 1:
            self.gradInput = self.gradInput.select(0, 0)
        return self.gradInput


def EulerRot(batchSize, cos_angle, sin_angle, which_axis):
    """The file's local EulerRot: (B, 3, 3) rotations about axis ``which_axis`` (1, 2 or 3)."""
    R_phi = lg.Tensor(batchSize, 3, 3).zero()

    if which_axis == 1:
        R_phi.select(1, 2).select(1, 2).add(1)
        R_phi.select(1, 0).select(1, 0).copy(cos_angle)
        R_phi.select(1, 0).select(1, 1).copy(sin_angle)
        R_phi.select(1, 1).select(1, 0).copy(-sin_angle)
        R_phi.select(1, 1).select(1, 1).copy(cos_angle)
    elif which_axis == 2:
        R_phi.select(1, 1).select(1, 1).add(1)
        R_phi.select(1, 0).select(1, 0).copy(cos_angle)
        R_phi.select(1, 0).select(1, 2).copy(-sin_angle)
        R_phi.select(1, 2).select(1, 0).copy(sin_angle)
        R_phi.select(1, 2).select(1, 2).copy(cos_angle)
    elif which_axis == 3:
        R_phi.select(1, 0).select(1, 0).add(1)
        R_phi.select(1, 1).select(1, 1).copy(cos_angle)
        R_phi.select(1, 1).select(1, 2).copy(sin_angle)
        R_phi.select(1, 2).select(1, 1).copy(-sin_angle)
        R_phi.select(1, 2).select(1, 2).copy(cos_angle)

    return R_phi


def dR_by_dangle(transparams, RotMats, which_angle):
    """The file's local dR_by_dangle: (B, 3, 3) derivatives of R_phi R_theta R_psi by angle ``which_angle``
    (1, 2 or 3)."""
    phi = transparams.select(1, 0)
    theta = transparams.select(1, 1)
    psi = transparams.select(1, 2)

    cos_phi = lg.cos(phi)
    sin_phi = lg.sin(phi)

    cos_theta = lg.cos(theta)
    sin_theta = lg.sin(theta)

    cos_psi = lg.cos(psi)
    sin_psi = lg.sin(psi)

    if which_angle == 1:
        Rdash_phi = lg.Tensor(RotMats.size()).zero()
        Rdash_phi.select(1, 0).select(1, 0).copy(-sin_phi)
        Rdash_phi.select(1, 0).select(1, 1).copy(cos_phi)
        Rdash_phi.select(1, 1).select(1, 0).copy(-cos_phi)
        Rdash_phi.select(1, 1).select(1, 1).copy(-sin_phi)

        R_theta = EulerRot(RotMats.size(0), cos_theta, sin_theta, 2)
        R_psi = EulerRot(RotMats.size(0), cos_psi, sin_psi, 3)

        return lg.bmm(lg.bmm(Rdash_phi, R_theta), R_psi)
    elif which_angle == 2:
        Rdash_theta = lg.Tensor(RotMats.size()).zero()
        Rdash_theta.select(1, 0).select(1, 0).copy(-sin_theta)
        Rdash_theta.select(1, 0).select(1, 2).copy(-cos_theta)
        Rdash_theta.select(1, 2).select(1, 0).copy(cos_theta)
        Rdash_theta.select(1, 2).select(1, 2).copy(-sin_theta)

        return lg.bmm(lg.bmm(EulerRot(RotMats.size(0), cos_phi, sin_phi, 1), Rdash_theta),
                      EulerRot(RotMats.size(0), cos_psi, sin_psi, 3))
    elif which_angle == 3:
        Rdash_psi = lg.Tensor(RotMats.size()).zero()
        Rdash_psi.select(1, 1).select(1, 1).copy(-sin_psi)
        Rdash_psi.select(1, 1).select(1, 2).copy(cos_psi)
        Rdash_psi.select(1, 2).select(1, 1).copy(-cos_psi)
        Rdash_psi.select(1, 2).select(1, 2).copy(-sin_psi)

        return lg.bmm(lg.bmm(EulerRot(RotMats.size(0), cos_phi, sin_phi, 1),
                             EulerRot(RotMats.size(0), cos_theta, sin_theta, 2)), Rdash_psi)


lg.register(TransformationMatrix3x4Euler, 'nn.TransformationMatrix3x4Euler')
