"""Dropout: zero each input element with probability p while training; TotalDropout (dpnn): the whole input."""
from ..tensor.random import SCALAR_DRAWS
from ..tensor.introspection import typename as lua_typename
from .base.dropout import DropoutBase


class Dropout(DropoutBase):
    """``Dropout(p=0.5, v1=False, inplace=False, stochasticInference=False, lazy=False, mono=False)``; any input
    shape.

    Training: each element is kept with probability 1-p (mask in ``noise``) and, by
    default, scaled by 1/(1-p) so that evaluation is the identity. ``v1=True``
    is Torch7's original version: no scaling in training, output times (1-p)
    in evaluation. ``inplace`` overwrites the input (and the gradOutput).
    ``stochasticInference`` keeps sampling masks in evaluation too (Monte Carlo
    dropout); Torch7 names the field ``stochastic_inference``. The gradient always goes
    through the map the forward applied, that mask included (Torch7's Dropout.lua passes
    gradOutput through in evaluation even then, a gradient of another function, and the rnn
    package's divides it by 1-p under v1).

    ``lazy`` and ``mono`` are the rnn package's additions (its Dropout.lua), which its GRU and LSTM use for
    Bayesian dropout: a lazy Dropout draws a mask on its first forward and keeps it until a backward
    (``updateGradInput``) or ``clearState()`` sets ``flag``, so the forwards between two backwards share
    one mask (a new mask is drawn too when the input's size no longer fits the kept one, where the Lua
    fails); a mono Dropout draws one mask row (sizes ``1 x ...``) for every sample of the batch. In the
    rnn package they are the fourth and fifth arguments, ``nn.Dropout(p, v1, inplace, lazy, mono)``, where
    torch/nn has ``stochasticInference`` fourth: legonn keeps torch/nn's order and takes them fifth and
    sixth by name, ``nn.Dropout(p, False, False, lazy=True, mono=mono)`` (docs/porting.md).
    """

    def __init__(self, p=0.5, v1=False, inplace=False, stochasticInference=False, *, lazy=False, mono=False):
        super().__init__()
        self.v2 = not v1
        self.inplace = bool(inplace)
        self.stochastic_inference = bool(stochasticInference)
        self.lazy = bool(lazy)
        self.mono = bool(mono)
        self.flag = True   # a lazy Dropout draws its next mask when this is set
        self.setp(p)

    def _sampling(self):
        return self.p > 0 and (self.train or self.stochastic_inference)

    def _noise_sizes(self, input):
        sizes = tuple(input._size)
        return (1,) + sizes[1:] if self.mono else sizes

    def updateOutput(self, input):
        if self._sampling():
            sizes = self._noise_sizes(input)
            kept = self.__dict__.get('noise')
            if not self.lazy or self.flag or kept is None or tuple(kept._size) != sizes:
                noise = self.bufferLike('noise', input, sizes)
                self.noise.bernoulli(1 - self.p)
                if self.v2:
                    noise /= 1 - self.p
                self.flag = False
        return super().updateOutput(input)

    def updateGradInput(self, input, gradOutput):
        if self.lazy:
            self.flag = True
        return super().updateGradInput(input, gradOutput)

    def _forward(self, x, out, xp):
        if self._sampling():
            # a mono mask (1 x ...) broadcasts over the batch
            xp.multiply(x, self.noise.array, out=out)
        elif self.p > 0 and not self.v2:
            xp.multiply(x, 1 - self.p, out=out)
        elif out is not x:
            xp.copyto(out, x)

    def clearState(self, *names):
        self.flag = True
        return super().clearState(*names)

    def __repr__(self):
        extras = ''.join(f', {name}' for name in ('lazy', 'mono') if getattr(self, name))
        return f"{lua_typename(self)}({self.p:f}{extras})"


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
        self.checkTraining()
        return super().updateGradInput(input, gradOutput)

    def __repr__(self):
        return f"{lua_typename(self)}({self.p:f})"
