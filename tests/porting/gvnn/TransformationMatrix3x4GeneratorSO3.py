"""TransformationMatrix3x4GeneratorSO3.lua (``nn.TransformationMatrix3x4SO3(useRotation, useScale,
useTranslation)``): (B, 3 + 3) parameters (an so(3) vector, then a translation) -> (B, 3, 4) ``[R | R t]``
(the rotation exp([v]x) times the translation matrix, as the Lua composes them), with gradients.

Its local ``dR_by_dvi`` is TransformationRotationSO3.lua's, token for token: imported from that port. Its
scale branch reads ``scaleFactors``, a line the Lua comments out (a nil global), so ``useScale`` fails in Lua
as here (NameError); the Lua's ``check`` is never called (commented out).
"""
import legonn as lg
from legonn import nn

from .Transform3DPoints_R import addOuterDim
from .TransformationRotationSO3 import dR_by_dvi


class TransformationMatrix3x4SO3(nn.Module):

    def __init__(self, useRotation=None, useScale=None, useTranslation=None):
        super().__init__()

        # if no specific transformation, use fully parametrized version
        self.fullMode = not (useRotation or useScale or useTranslation)

        if not self.fullMode:
            self.useRotation = useRotation
            self.useScale = useScale
            self.useTranslation = useTranslation

        self.threshold = 1e-12

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
        transformParams = _tranformParams

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
                omega_x = transformParams.select(1, paramIndex)
                omega_y = transformParams.select(1, paramIndex + 1)
                omega_z = transformParams.select(1, paramIndex + 2)

                paramIndex = paramIndex + 3

                omega_skew = lg.Tensor(batchSize, 4, 4).typeAs(transformParams)
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

                completeTransformation = (completeTransformation
                                          + lg.cmul(sin_theta_div_theta_tensor, omega_skew)
                                          + lg.cmul(one_minus_cos_div_theta_sqr_tensor, omega_skew_sqr))

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


lg.register(TransformationMatrix3x4SO3, 'nn.TransformationMatrix3x4SO3')
