"""_ElementwiseCriterion: the shared body of losses that sum a term per element.

A subclass writes ``_terms(x, t, xp)`` (the loss of each element) and
``_derivative(x, t, xp)`` (its derivative in x); the base checks input and
target (any shape, a target of as many elements and the input's type), sums,
divides by the number of elements when ``sizeAverage``, and fills the reused
``gradInput`` buffer.

_TargetFree: the base of losses of the input alone (L1Cost, DistanceRatioCriterion).
"""
from .criterion import Criterion, loss_scalar
from ..tensor.reductions import reducer


class _ElementwiseCriterion(Criterion):
    input_kind = 'tensor'

    def __init__(self, sizeAverage=True):
        super().__init__()
        if not isinstance(sizeAverage, bool):
            raise ValueError(f"{type(self).__name__}: sizeAverage must be a boolean, got {sizeAverage!r}")
        self.sizeAverage = sizeAverage

    def _terms(self, x, t, xp):
        raise NotImplementedError

    def _derivative(self, x, t, xp):
        raise NotImplementedError

    def _arrays(self, input, target):
        self.checkInput(input)
        self.checkSameCount(input, target)
        self.checkSameType(target, input, 'target')
        return input.array, target.array.reshape(input._size)

    def _norm(self, input):
        n = input.nElement()
        return 1.0 / n if self.sizeAverage and n else 1.0

    def updateOutput(self, input, target):
        x, t = self._arrays(input, target)
        # THNN's sum /= nElement: a division (the gradients use norm = 1 / nElement, as THNN's do)
        n = input.nElement()
        self.output = loss_scalar(reducer(input.xp, 'sum')(self._terms(x, t, input.xp), axis=None),
                                  n if self.sizeAverage and n else 1)
        return self.output

    def updateGradInput(self, input, target):
        x, t = self._arrays(input, target)
        gi = self.bufferLike('gradInput', input)
        input.xp.multiply(self._derivative(x, t, input.xp), self._norm(input), out=gi)
        return self.gradInput


class _TargetFree(Criterion):
    """A loss of the input alone: ``forward(input)``, ``backward(input)``; a target given anyway is
    passed through unread, as in Torch7."""

    def _targets(self, target):
        return target

    def forward(self, input, target=None):
        return super().forward(input, target)

    def backward(self, input, target=None):
        return super().backward(input, target)
