"""Dropout: zero each input element with probability p while training."""
from .base.module import Module


class Dropout(Module):
    """``Dropout(p=0.5, v1=False, inplace=False, stochasticInference=False)``; any input shape.

    Training: each element is kept with probability 1-p (mask in ``noise``) and, by
    default, scaled by 1/(1-p) so that evaluation is the identity. ``v1=True``
    is Torch7's original version: no scaling in training, output times (1-p)
    in evaluation. ``inplace`` overwrites the input (and the gradOutput).
    ``stochasticInference`` keeps sampling masks in evaluation too (Monte Carlo
    dropout); Torch7 names the field ``stochastic_inference``.
    """

    def __init__(self, p=0.5, v1=False, inplace=False, stochasticInference=False):
        super().__init__()
        self.v2 = not v1
        self.inplace = bool(inplace)
        self.stochastic_inference = bool(stochasticInference)
        self.setp(p)

    def setp(self, p):
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise ValueError(f"Dropout: the drop probability p must be a number in [0, 1), got {p!r}")
        self.p = p
        return self

    def updateOutput(self, input):
        self.checkTensor(input)
        xp, x = input.xp, input.array
        if self.inplace:
            self.output = input
            out = x
        else:
            out = self.bufferLike('output', input)
        if self.p > 0 and (self.train or self.stochastic_inference):
            noise = self.bufferLike('noise', input)
            self.noise.bernoulli(1 - self.p)
            if self.v2:
                noise /= 1 - self.p
            xp.multiply(x, noise, out=out)
        elif self.p > 0 and not self.v2:
            xp.multiply(x, 1 - self.p, out=out)
        elif out is not x:
            xp.copyto(out, x)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkGradOutput(gradOutput, input)
        xp, g = input.xp, gradOutput.array
        if self.inplace:
            self.gradInput = gradOutput
            gi = g
        else:
            gi = self.bufferLike('gradInput', input)
        if self.p > 0 and (self.train or self.stochastic_inference):
            xp.multiply(g, self.noise.array, out=gi)
        elif self.p > 0 and not self.v2:
            xp.multiply(g, 1 - self.p, out=gi)
        elif gi is not g:
            xp.copyto(gi, g)
        return self.gradInput

    def clearState(self, *names):
        return super().clearState('noise', *names)

    def __repr__(self):
        return f"nn.Dropout({self.p:f})"
