"""BCECriterion: binary cross-entropy between probabilities and 0/1 targets."""
from ..modules.base.errors import input_error
from .criterion import Criterion, loss_scalar

EPS = 1e-12  # Torch7's guard inside the logarithms


class BCECriterion(Criterion):
    """loss = -sum_i w_i (t_i log(x_i + eps) + (1 - t_i) log(1 - x_i + eps)), divided by the number of
    elements when ``sizeAverage`` (default).

    ``input``: probabilities in [0, 1], 1-D ``(n,)`` or 2-D ``(batch, n)``; ``target``: the same number
    of elements (values in [0, 1]). ``weights``: optional 1-D tensor of ``n`` per-feature
    weights, shared by every row of a batch.
    """

    input_ranks = (1, 2)

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
            if self.weights.nElement() != input._size[-1]:
                raise input_error(self, f"inputs of {self.weights.nElement()} features (the weights' size)",
                                  f"size {tuple(input.size())}")
        x = input.array
        if x.size and (float(x.min()) < 0 or float(x.max()) > 1):
            raise input_error(self, "probabilities in [0, 1] (e.g. a Sigmoid's output)",
                              f"values in [{float(x.min())}, {float(x.max())}]")
        return x, target.array.reshape(x.shape)

    def updateOutput(self, input, target):
        x, t = self._check(input, target)
        xp = input.xp
        buf = self.bufferLike('_buffer', input)
        # sum t log(x+eps) + (1-t) log(1-x+eps) = sum (log(1-x+eps) + t (log(x+eps) - log(1-x+eps)))
        xp.add(x, EPS, out=buf)
        xp.log(buf, out=buf)
        below = xp.log(1 + EPS - x)
        buf -= below
        buf *= t
        buf += below
        if self.weights is not None:
            buf *= self.weights.array
        self.output = loss_scalar(buf.sum(), x.size if self.sizeAverage and x.size else 1, sign=-1)
        return self.output

    def updateGradInput(self, input, target):
        # d/dx = -w (t - x) / ((x + eps) (1 - x + eps))
        x, t = self._check(input, target)
        xp = input.xp
        gi = self.bufferLike('gradInput', input)
        buf = self.bufferLike('_buffer', input)
        xp.add(x, EPS, out=buf)
        xp.subtract(1 + EPS, x, out=gi)
        buf *= gi
        xp.subtract(x, t, out=gi)
        gi /= buf
        if self.weights is not None:
            gi *= self.weights.array
        if self.sizeAverage and x.size:
            gi /= x.size
        return self.gradInput

    def clearState(self, *names):
        return super().clearState('_buffer', *names)
