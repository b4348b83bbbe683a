"""BSO's SynchedDropout.lua: a dropout whose mask is a slice of a noise tensor shared by every clone, so the gold
and predicted decoders (and the beam decoder) drop the same units at a time step."""
import legonn as lg
from legonn import nn


class SynchedDropout(nn.Module):
    """output = input * global_noise[noise_idx][:batch] in training (the noise already holds bernoulli(1-p)/(1-p));
    the input as it is at evaluation (v2) or scaled by 1-p (v1). Shapes: batch x n, the noise's rows >= batch."""

    def __init__(self, p=None, global_noise=None, noise_idx=None, v1=None, inplace=None):
        super().__init__()
        self.p = p if p is not None else 0.5
        self.train = True
        self.inplace = inplace
        # version 2 scales output during training instead of evaluation
        self.v2 = not v1
        if self.p >= 1 or self.p < 0:
            raise ValueError('<SynchedDropout> illegal percentage, must be 0 <= p < 1')
        self.global_noise = global_noise
        self.noise_idx = noise_idx

    def updateOutput(self, input):
        if self.inplace:
            self.output.set(input)
        else:
            self.output.resizeAs(input).copy(input)
        if self.p > 0:
            if self.train:
                self.noise = self.global_noise[self.noise_idx].sub(0, input.size(0) - 1)
                self.output.cmul(self.noise)
            elif not self.v2:
                self.output.mul(1 - self.p)
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.inplace:
            self.gradInput.set(gradOutput)
        else:
            self.gradInput.resizeAs(gradOutput).copy(gradOutput)
        if self.train:
            if self.p > 0:
                self.gradInput.cmul(self.noise)   # simply mask the gradients with the noise vector
        else:
            if not self.v2 and self.p > 0:
                self.gradInput.mul(1 - self.p)
        return self.gradInput

    def setp(self, p):
        self.p = p

    def __tostring__(self):
        return '%s(%f)' % (lg.type(self), self.p)

    def clearState(self):
        if getattr(self, 'noise', None) is not None:
            self.noise.set()
        return super().clearState()


lg.register(SynchedDropout, 'nn.SynchedDropout')
