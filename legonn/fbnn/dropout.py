"""fbnn's dropouts: Dropout (fbnn/Dropout.lua), NestedDropout (fbnn/NestedDropout.lua) and IndividualDropout
(fbnn/IndividualDropout.lua). Their masks come from legonn's RNG (lg.manualSeed makes them repeatable) where
the Lua drew from fblualib's asynchronous generator; the laws are the Lua's.

Backward is defined in training only, as the Lua: in evaluation it raises."""
import math
import numbers

from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..tensor import Tensor
from .base import FbnnClass


class _MaskedDropout(FbnnClass, Module, abstract=True):
    """What the three share: training multiplies the input by ``noise`` (drawn by ``_draw``), gradInput is
    gradOutput times the same ``noise``; backward in evaluation is an error."""

    lua_name = 'fbnn'

    def updateOutput(self, input):
        self.checkInput(input)
        out = self.bufferLike('output', input)
        if self.train:
            self._draw(input)
            out[...] = input.array * self.noise.array
        else:
            out[...] = self._evaluated(input.array)
        return self.output

    def _evaluated(self, x):
        return x

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkGradOutput(gradOutput, input)
        if not self.train:
            raise input_error(self, "training mode (backprop is only defined while training)", "evaluate mode",
                              RuntimeError)
        self.bufferLike('gradInput', input)[...] = gradOutput.array * self.noise.array
        return self.gradInput


class Dropout(_MaskedDropout):
    """fbnn's faster nn.Dropout: training keeps each element with probability ``1 - p`` (``noise`` 0/1, no
    rescaling); evaluation multiplies by ``1 - p``. ``Dropout(p=0.5)``, ``0 <= p < 1``; any input shape."""

    def __init__(self, p=0.5):
        super().__init__()
        self.setp(p)

    def setp(self, p):
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
            raise ValueError(f"{self.lua_name}.Dropout: illegal percentage, must be 0 <= p < 1, got {p!r}")
        self.p = p

    def _draw(self, input):
        self.bufferLike('noise', input)
        self.noise.bernoulli(1 - self.p)

    def _evaluated(self, x):
        return x * (1 - self.p)

    def __repr__(self):
        return f"{self.lua_name}.Dropout({self.p:g})"


class NestedDropout(_MaskedDropout):
    """Nested dropout (Rippel et al., 2014) on ``(N, K)`` inputs: per row, ``b`` is drawn from Torch7's
    geometric law of parameter ``1 - p`` (P(b) = p^(b-1) (1 - p), b >= 1) and units ``b, ..., K-1``
    (0-based) are zeroed; the kept unit ``j`` is divided by ``(1 - p)^(j+1)``, the Lua's normalisation.
    Evaluation is the identity. ``NestedDropout(p=0.01)``, ``0 < p < 1``.
    """

    input_ranks = (2,)

    def __init__(self, p=0.01):
        super().__init__()
        self.setp(p)

    def setp(self, p):
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 < p < 1:
            raise ValueError(f"{self.lua_name}.NestedDropout: illegal geometric distribution parameter, "
                             f"must be 0 < p < 1, got {p!r}")
        self.p = p
        self.logp, self.log1p = math.log(p), math.log(1 - p)

    def _draw(self, input):
        xp = input.xp
        n, k = input.size(0), input.size(1)
        noise = self.bufferLike('noise', input)
        # the Lua's torch.geometric(1 - p) draws by TH's CPU law (p the chance to go on) whatever the input's type;
        # a CUDA tensor's geometric follows cutorch's law (p the chance to stop)
        b = xp.asarray(input.new(n).cpu().geometric(1 - self.p).array)
        units = xp.arange(k)
        noise[...] = units[None, :] < b[:, None]
        # the Lua's 1 - cumsum_j p (1-p)^(i-1) is (1 - p)^(j+1), 0-based
        noise /= xp.exp(self.log1p * (units + 1))[None, :].astype(noise.dtype)

    def __repr__(self):
        return f"{self.lua_name}.NestedDropout({self.p:g})"


class IndividualDropout(_MaskedDropout):
    """Dropout with a probability per unit: on ``(N, D)`` inputs, unit ``d`` is kept with probability ``1 -
    p[d]`` and divided by ``1 - p[d]`` (evaluation is then the identity). ``IndividualDropout(p)``, ``p`` a
    tensor (or list) of ``D`` values in ``[0, 1)``; the module keeps ``self.p`` as the Lua does, the keep
    probabilities ``1 - p`` (a FloatTensor).
    """

    input_ranks = (2,)

    def __init__(self, p):
        super().__init__()
        self.setp(p)

    def setp(self, p):
        if not isinstance(p, Tensor):
            try:
                p = Tensor(p)
            except (TypeError, ValueError):
                raise TypeError(f"{self.lua_name}.IndividualDropout: p must be a tensor of probabilities, "
                                f"got {p!r}") from None
        values = p.double().array
        if not bool(((values >= 0) & (values < 1)).all()):
            raise ValueError("fbnn.IndividualDropout: illegal percentage, must be 0 <= p < 1")
        self.p = p.new().resize(p.nElement()).float().copy(p.view(-1)).mul(-1).add(1)

    def _draw(self, input):
        if input.size(1) != self.p.nElement():
            raise input_error(self, f"{self.p.nElement()} units in dimension 1", f"input of size "
                              f"{tuple(input.size())}")
        keep = self.p.view(1, -1).type(input.type())
        self.bufferLike('noise', input)
        self.noise.bernoulli(keep)
        self.noise.array[...] /= keep.array

    def __repr__(self):
        return f"{self.lua_name}.IndividualDropout({self.p.nElement()})"
