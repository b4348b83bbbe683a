"""KLDPenalty.lua of y0ast/VAE-Torch (MIT licence, Joost van Amersfoort), ported line by line."""
import legonn as lg
from legonn import nn


class KLDPenalty(nn.Module):
    def updateOutput(self, input):
        mean, log_var = input
        self.output = input

        # Appendix B from VAE paper: 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
        mean_sq = lg.pow(mean, 2)
        KLDelements = log_var.clone()
        KLDelements.exp().mul(-1)
        KLDelements.add(-1, lg.pow(mean, 2))
        KLDelements.add(1)
        KLDelements.add(log_var)
        self.loss = -0.5 * lg.sum(KLDelements)

        return self.output

    def updateGradInput(self, input, gradOutput):
        assert len(gradOutput) == 2
        mean, log_var = input
        self.gradInput = []
        self.gradInput.append(mean.clone() + gradOutput[0])

        # Fix this to be nicer
        self.gradInput.append(lg.exp(log_var).mul(-1).add(1).mul(-0.5) + gradOutput[1])

        return self.gradInput
