"""NonRigidPerPixelSE3.lua (``nn.NonRigidPerPixelSE3()``): (B, H, W, 6) per-pixel (so(3) vector, translation)
-> (B, H, W, 3, 4) ``[exp([v]x) | t]``, with gradients. Its local ``dR_by_dvi`` is NonRigidPerPixelSO3.lua's,
token for token: imported from that port. updateGradInput's ``width`` is the Lua's ``size(2)`` (sic).

Edit: updateGradInput's ``self.gradInput:select(4,4,1)`` (and ``(4,5,1)``, ``(4,6,1)``) hands select a third
argument, which Torch7's hand-written select (torch7 generic/Tensor.c, torch_Tensor_(select), reading only
arguments 2 and 3) never reads; Python's select refuses it (docs/porting.md's row of a function called with
more arguments than it declares): dropped.
"""
import legonn as lg
from legonn import nn

from .NonRigidPerPixelSO3 import dR_by_dvi


class NonRigidPerPixelSE3(nn.Module):

    def __init__(self):
        super().__init__()
        self.threshold = 1e-12

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

        self.output = lg.zeros(batchSize, height, width, 3, 4).typeAs(transformParams).zero()

        self.rotationOutput = completeTransformation

        self.output.narrow(4, 0, 3).narrow(3, 0, 3).copy(completeTransformation)
        self.output.select(4, 3).select(3, 0).copy(transformParams.narrow(3, 3, 1))
        self.output.select(4, 3).select(3, 1).copy(transformParams.narrow(3, 4, 1))
        self.output.select(4, 3).select(3, 2).copy(transformParams.narrow(3, 5, 1))

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

        selectedGradParams = gradParams.narrow(4, 0, 3).narrow(3, 0, 3)
        gradInputRotationParams.copy(lg.cmul(rotationDerivative, selectedGradParams).sum(3).sum(4))

        rotationDerivative = dR_by_dvi(transformParams, self.rotationOutput, 1, self.threshold)
        gradInputRotationParams = self.gradInput.narrow(3, 1, 1)
        gradInputRotationParams.copy(lg.cmul(rotationDerivative, selectedGradParams).sum(3).sum(4))

        rotationDerivative = dR_by_dvi(transformParams, self.rotationOutput, 2, self.threshold)
        gradInputRotationParams = self.gradInput.narrow(3, 2, 1)
        gradInputRotationParams.copy(lg.cmul(rotationDerivative, selectedGradParams).sum(3).sum(4))

        self.gradInput.select(3, 3).copy(gradParams.select(4, 3).select(3, 0))
        self.gradInput.select(3, 4).copy(gradParams.select(4, 3).select(3, 1))
        self.gradInput.select(3, 5).copy(gradParams.select(4, 3).select(3, 2))

        return self.gradInput


lg.register(NonRigidPerPixelSE3, 'nn.NonRigidPerPixelSE3')
