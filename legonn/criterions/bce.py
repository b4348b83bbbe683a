"""BCECriterion: binary cross-entropy between probabilities and 0/1 targets."""
from ..modules.base.errors import input_error
from .criterion import Criterion, loss_scalar

EPS = 1e-12  # Torch7's guard inside the logarithms


class BCECriterion(Criterion):
    """loss = -sum_i w_i (t_i log(x_i + eps) + (1 - t_i) log(1 - x_i + eps)), divided by the number of
    elements when ``sizeAverage`` (default).

    ``input``: probabilities in [0, 1] of any shape (THNN runs over the elements: ``(batch, 1, H, W)`` masks
    too); ``target``: the same number of elements (values in [0, 1]). ``weights``: optional 1-D tensor. As
    BCECriterion.lua:29-31 and THNN's BCECriterion.c read it, the target's shape decides: for a 2-D
    ``(batch, n)`` target it holds ``n`` per-feature weights shared by every row; for a 1-D target, one weight per
    element, in order, whatever the input's shape (reedscot/icml2016 weights each sample of its discriminator's
    ``(batch, 1)`` output against a 1-D label vector so).
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
        x = input.array
        w = None
        if self.weights is not None:
            self.checkSameType(input, self.weights)
            n = self.weights.nElement()
            if target.dim() == 1:
                # BCECriterion.lua passes the weights as they are: THNN pairs them with the elements in order
                if n != input.nElement():
                    raise input_error(self, f"an input of {n} elements (the weights' size, with a 1-D target)",
                                      f"size {tuple(input.size())}")
                w = self.weights.array.reshape(x.shape)
            else:
                # BCECriterion.lua's weights:view(1, target:size(2)):expandAs(target): one weight per column
                if target.dim() != 2 or n != target._size[1]:
                    raise input_error(self, f"a 2-D target of {n} columns (the weights' size) or a 1-D target",
                                      f"a target of size {tuple(target.size())}")
                w = self.weights.xp.broadcast_to(self.weights.array.reshape(1, n), target._size).reshape(x.shape)
        if x.size and (float(x.min()) < 0 or float(x.max()) > 1):
            raise input_error(self, "probabilities in [0, 1] (e.g. a Sigmoid's output)",
                              f"values in [{float(x.min())}, {float(x.max())}]")
        return x, target.array.reshape(x.shape), w

    def _double(self, input, target):
        """The checked input and target in float64: THNN's ``EPS`` is a C double, so ``x + EPS`` and
        ``1. - x + EPS`` are double expressions even for a FloatTensor (in float32, ``1 - x + 1e-12`` would
        round to 0 at x = 1 and its log to -inf)."""
        x, t, w = self._check(input, target)
        xp = input.xp
        return xp, x.astype(xp.float64, copy=False), t.astype(xp.float64, copy=False), w

    def updateOutput(self, input, target):
        # THNN's BCECriterion.c, term by term: log(x + EPS) * t + log((1 - x) + EPS) * (1 - t), times w
        xp, x, t, w = self._double(input, target)
        terms = xp.log(x + EPS)
        terms *= t
        terms += xp.log(1 - x + EPS) * (1 - t)
        if w is not None:
            terms *= w
        self.output = loss_scalar(terms.sum(), x.size if self.sizeAverage and x.size else 1, sign=-1)
        return self.output

    def updateGradInput(self, input, target):
        # THNN's BCECriterion.c: -norm (t - x) / ((1 - x + EPS) (x + EPS)), then times w
        xp, x, t, w = self._double(input, target)
        norm = 1 / x.size if self.sizeAverage and x.size else 1
        g = t - x
        g *= -norm
        g /= (1 - x + EPS) * (x + EPS)
        if w is not None:
            g *= w
        self.bufferLike('gradInput', input)[...] = g
        return self.gradInput

    def clearState(self, *names):
        return super().clearState('_buffer', *names)
