"""KLDCriterion.lua of y0ast/VAE-Torch (MIT licence, Joost van Amersfoort) as it stood before commit c0e6b53
(which replaced it by KLDPenalty.lua), ported line by line. It takes the mean as ``input`` and the log-variance as
``target``, as its main.lua of then called it: ``KLD:forward(mean, log_var)``."""
import legonn as lg
from legonn import nn


class KLDCriterion(nn.Criterion):
    def updateOutput(self, mean, log_var):
        # Appendix B from VAE paper: 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)

        mean_sq = lg.pow(mean, 2)
        KLDelements = log_var.clone()

        KLDelements.exp().mul(-1)
        KLDelements.add(-1, mean_sq)
        KLDelements.add(1)
        KLDelements.add(log_var)

        self.output = -0.5 * lg.sum(KLDelements)

        return self.output

    def updateGradInput(self, mean, log_var):
        self.gradInput = []

        self.gradInput.append(mean.clone())

        # Fix this to be nicer
        self.gradInput.append(lg.exp(log_var).mul(-1).add(1).mul(-0.5))

        return self.gradInput
