"""BCECriterion: binary cross-entropy between probabilities and 0/1 targets."""
from ..modules.base.errors import input_error
from .criterion import Criterion, loss_scalar

EPS = 1e-12  # Torch7's guard inside the logarithms


class BCECriterion(Criterion):
    """loss = -sum_i w_i (t_i log(x_i + eps) + (1 - t_i) log(1 - x_i + eps)), divided by the number of
    elements when ``sizeAverage`` (default).

    ``input``: probabilities in [0, 1] of any shape (THNN runs over the elements: ``(batch, 1, H, W)`` masks
    too); ``target``: the same number of elements (values in [0, 1]). ``weights``: optional 1-D tensor of
    ``n`` per-feature weights, shared by every row of a batch; with weights the input is 1-D ``(n,)`` or
    2-D ``(batch, n)``, as BCECriterion.lua views them as one row of the target's second dimension.
    """

    input_kind = 'tensor'

    def __init__(self, weights=None, sizeAverage=True):
        super().__init__()
        self.weights = self.classWeights(weights)
        self.sizeAverage = sizeAverage

    def _check(self, input, target):
        self.checkInput(input)
        self.checkSameCount(input, target)
        self.checkSameType(target, input, 'target')
        if self.weights is not None:
            self.checkSameType(input, self.weights)
            if input.dim() > 2:
                raise input_error(self, "a 1-D or 2-D input with weights (one weight per column)",
                                  f"{input.dim()}-D of size {tuple(input.size())}")
            if self.weights.nElement() != input._size[-1]:
                raise input_error(self, f"inputs of {self.weights.nElement()} features (the weights' size)",
                                  f"size {tuple(input.size())}")
        x = input.array
        if x.size and (float(x.min()) < 0 or float(x.max()) > 1):
            raise input_error(self, "probabilities in [0, 1] (e.g. a Sigmoid's output)",
                              f"values in [{float(x.min())}, {float(x.max())}]")
        return x, target.array.reshape(x.shape)

    def _double(self, input, target):
        """The checked input and target in float64: THNN's ``EPS`` is a C double, so ``x + EPS`` and
        ``1. - x + EPS`` are double expressions even for a FloatTensor (in float32, ``1 - x + 1e-12`` would
        round to 0 at x = 1 and its log to -inf)."""
        x, t = self._check(input, target)
        xp = input.xp
        return xp, x.astype(xp.float64, copy=False), t.astype(xp.float64, copy=False)

    def updateOutput(self, input, target):
        # THNN's BCECriterion.c, term by term: log(x + EPS) * t + log((1 - x) + EPS) * (1 - t), times w
        xp, x, t = self._double(input, target)
        terms = xp.log(x + EPS)
        terms *= t
        terms += xp.log(1 - x + EPS) * (1 - t)
        if self.weights is not None:
            terms *= self.weights.array
        self.output = loss_scalar(terms.sum(), x.size if self.sizeAverage and x.size else 1, sign=-1)
        return self.output

    def updateGradInput(self, input, target):
        # THNN's BCECriterion.c: -norm (t - x) / ((1 - x + EPS) (x + EPS)), then times w
        xp, x, t = self._double(input, target)
        norm = 1 / x.size if self.sizeAverage and x.size else 1
        g = t - x
        g *= -norm
        g /= (1 - x + EPS) * (x + EPS)
        if self.weights is not None:
            g *= self.weights.array
        self.bufferLike('gradInput', input)[...] = g
        return self.gradInput

    def clearState(self, *names):
        return super().clearState('_buffer', *names)
