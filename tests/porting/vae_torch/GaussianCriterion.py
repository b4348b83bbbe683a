"""GaussianCriterion.lua of y0ast/VAE-Torch (MIT licence, Joost van Amersfoort), ported line by line."""
import math

import legonn as lg
from legonn import nn


class GaussianCriterion(nn.Criterion):
    def updateOutput(self, input, target):
        # negative LL, so sign is flipped
        # log(sigma) + 0.5 *(2pi)) + 0.5 * (x - mu)^2/sigma^2
        # input[1] = mu
        # input[2] = log(sigma^2)

        Gelement = lg.mul(input[1], 0.5).add(0.5 * math.log(2 * math.pi))
        Gelement.add(lg.add(target, -1, input[0]).pow(2).cdiv(lg.exp(input[1])).mul(0.5))

        self.output = lg.sum(Gelement)

        return self.output

    def updateGradInput(self, input, target):
        self.gradInput = []

        # - (x - mu) / sigma^2  --> (1 / sigma^2 = exp(-log(sigma^2)) )
        self.gradInput.append(lg.exp(-input[1]).cmul(lg.add(target, -1, input[0])).mul(-1))

        # 0.5 - 0.5 * (x - mu)^2 / sigma^2
        self.gradInput.append(lg.exp(-input[1]).cmul(lg.add(target, -1, input[0]).pow(2)).mul(-0.5).add(0.5))

        return self.gradInput
