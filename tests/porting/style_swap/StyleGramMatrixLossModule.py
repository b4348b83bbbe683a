"""lib/StyleGramMatrixLossModule.lua of rtqichen/style-swap (MIT licence), ported line by line: the identity
forward that records ``strength`` times the squared error between the input's Gram matrices (over C x H*W
features, divided by H*W) and the target's, divided by the squared Frobenius norm of the input's and by N; its
gradient comes from torch-autograd (legonn.autograd) applied to that loss, L1-normalised when ``normalize``.

``self.gradInput = self.dfun(input, self.target)`` keeps the first of the gradient function's two values (the
gradient, then the loss): ``[0]`` here (docs/porting.md's row on a call returning several values).
"""
import legonn as lg
from legonn import autograd, nn


# Input N x C x H x W
def gramMatrix(input):
    N, C, H, W = input.size(0), input.size(1), input.size(2), input.size(3)
    vecInput = input.view(N, C, H * W)
    gramMatrix = lg.bmm(vecInput, lg.transpose(vecInput, 1, 2))
    output = gramMatrix / H / W
    return output


def squareErr(input, target):
    buffer = input - target
    return lg.sum(lg.cmul(buffer, buffer))


def sqFrobnorm(x):
    return lg.sum(lg.cmul(x, x))


class StyleGramMatrixLossModule(nn.Module):

    def __init__(self, strength=None, normalize=None):
        super().__init__()
        self.normalize = normalize or False
        self.strength = strength if strength is not None else 1
        self.target = None
        self.loss = 0

        self.fun = self.GramMatrixLoss
        self.dfun = autograd(self.fun)

    def clearState(self):
        self.dfun = None
        return super().clearState()

    # Input N x C x H x W
    # Target N x C x C
    @staticmethod
    def GramMatrixLoss(input, target):
        gmInput = gramMatrix(input)
        sqErr = squareErr(gmInput, target)
        sqNorm = sqFrobnorm(gmInput)
        error = sqErr / sqNorm
        if input.nDimension() == 4:
            error = error / input.size(0)
        return error

    def setTarget(self, target_features):
        if target_features.nDimension() == 3:
            C, H, W = target_features.size(0), target_features.size(1), target_features.size(2)
            target = gramMatrix(target_features.view(1, C, H, W))
            self.target = target.view(1, C, C)
        elif target_features.nDimension() == 4:
            N, C, H, W = target_features.size(0), target_features.size(1), target_features.size(2), \
                target_features.size(3)
            target = gramMatrix(target_features)
            self.target = target.view(N, C, C)
        else:
            raise RuntimeError('Target must be 3D or 4D')
        return self

    def unsetTarget(self):
        self.target = None
        return self

    # if # targets > 1 then assume # targets == # samples per batch
    def updateOutput(self, input):
        self.output = input
        if self.target is not None:

            if input.nDimension() == 3:
                C, H, W = input.size(0), input.size(1), input.size(2)
                input = input.view(1, C, H, W)
            assert input.nDimension() == 4

            N, C, H, W = input.size(0), input.size(1), input.size(2), input.size(3)
            assert input.size(1) == self.target.size(1)

            if self.target.size(0) == 1:
                self.match = self.target.expand(N, C, C)
            else:
                self.match = self.target

            self.loss = self.fun(input, self.target)
            self.loss = self.loss * self.strength
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.target is not None:
            nInputDim = input.nDimension()
            if input.nDimension() == 3:
                C, H, W = input.size(0), input.size(1), input.size(2)
                input = input.view(1, C, H, W)
            assert input.nDimension() == 4

            N, C, H, W = input.size(0), input.size(1), input.size(2), input.size(3)
            assert input.size(1) == self.target.size(1)

            if self.target.size(0) == 1:
                self.match = self.target.expand(N, C, C)
            else:
                self.match = self.target

            if self.dfun is None:
                self.dfun = autograd(self.fun)

            self.gradInput = self.dfun(input, self.target)[0]

            if self.normalize:
                self.gradInput.div(lg.norm(self.gradInput, 1) + 1e-8)

            if nInputDim == 3:
                self.gradInput = self.gradInput.view(C, H, W)

            self.gradInput.mul(self.strength)
            self.gradInput.add(gradOutput)
        else:
            self.gradInput = gradOutput
        return self.gradInput
