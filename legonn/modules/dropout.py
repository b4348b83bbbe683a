"""Dropout: zero each input element with probability p while training; TotalDropout (dpnn): the whole input."""
from ..tensor.random import SCALAR_DRAWS
from .base.dropout import DropoutBase
from .base.errors import input_error


class Dropout(DropoutBase):
    """``Dropout(p=0.5, v1=False, inplace=False, stochasticInference=False)``; any input shape.

    Training: each element is kept with probability 1-p (mask in ``noise``) and, by
    default, scaled by 1/(1-p) so that evaluation is the identity. ``v1=True``
    is Torch7's original version: no scaling in training, output times (1-p)
    in evaluation. ``inplace`` overwrites the input (and the gradOutput).
    ``stochasticInference`` keeps sampling masks in evaluation too (Monte Carlo
    dropout); Torch7 names the field ``stochastic_inference``. The gradient always goes
    through the map the forward applied, that mask included (Torch7's Dropout.lua passes
    gradOutput through in evaluation even then, a gradient of another function).
    """

    def __init__(self, p=0.5, v1=False, inplace=False, stochasticInference=False):
        super().__init__()
        self.v2 = not v1
        self.inplace = bool(inplace)
        self.stochastic_inference = bool(stochasticInference)
        self.setp(p)

    def _sampling(self):
        return self.p > 0 and (self.train or self.stochastic_inference)

    def updateOutput(self, input):
        if self._sampling():
            noise = self.bufferLike('noise', input)
            self.noise.bernoulli(1 - self.p)
            if self.v2:
                noise /= 1 - self.p
        return super().updateOutput(input)

    def _forward(self, x, out, xp):
        if self._sampling():
            xp.multiply(x, self.noise.array, out=out)
        elif self.p > 0 and not self.v2:
            xp.multiply(x, 1 - self.p, out=out)
        elif out is not x:
            xp.copyto(out, x)

    def __repr__(self):
        return f"nn.Dropout({self.p:f})"


class TotalDropout(DropoutBase):
    """In training, zero the whole input with probability ``p`` (one draw per forward, in ``noise``, 0 or 1),
    with no rescaling; the identity in evaluation (dpnn's TotalDropout.lua). ``TotalDropout(p=0.5)``; any shape.
    Backward is defined in training only."""

    def __init__(self, p=0.5):
        super().__init__()
        self.setp(p)
        self.noise = 1

    def updateOutput(self, input):
        if self.train:
            self.noise = SCALAR_DRAWS['bernoulli'](1 - self.p)
        return super().updateOutput(input)

    def _forward(self, x, out, xp):
        if self.train:
            xp.multiply(x, self.noise, out=out)
        elif out is not x:
            xp.copyto(out, x)

    def updateGradInput(self, input, gradOutput):
        if not self.train:
            raise input_error(self, "training mode (backprop is only defined while training)", "evaluate mode")
        return super().updateGradInput(input, gradOutput)

    def __repr__(self):
        return f"nn.TotalDropout({self.p:f})"
