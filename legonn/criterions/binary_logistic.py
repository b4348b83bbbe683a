"""Logistic losses of scores against -1/+1 labels (dpnn's BinaryLogisticRegression.lua and
SpatialBinaryLogisticRegression.lua)."""
from ..modules.base.errors import input_error
from .criterion import Criterion, loss_scalar


def _logistic(criterion, input, target):
    """(exp(-t x), 1 + exp(-t x)) as arrays of the input's shape, the terms of log(1 + exp(-t x))."""
    criterion.checkSameType(target, input, 'target')
    base = input.xp.exp(-(target.array.reshape(input.array.shape) * input.array))
    return base, 1 + base


class BinaryLogisticRegression(Criterion):
    """loss = sum_i log(1 + exp(-t_i x_i)), divided by the number of elements when ``sizeAverage`` (default).

    ``BinaryLogisticRegression(sizeAverage=True)``; input and target ``(batch,)``, ``(batch, 1)`` or ``(1, batch)``
    with one score and one label (-1 or 1) per sample."""

    input_ranks = (1, 2)

    def __init__(self, sizeAverage=True):
        super().__init__()
        self.sizeAverage = sizeAverage

    def _terms(self, input, target):
        self.checkInput(input)
        self.checkTensor(target, (1, 2), 'target')
        for what, t in (('input', input), ('target', target)):
            if t.dim() == 2 and 1 not in t._size:
                raise input_error(self, f"a {what} of size batch or batch x 1", tuple(t.size()))
        if input.nElement() != target.nElement():
            raise input_error(self, f"a target of {input.nElement()} elements (the input's)", target.nElement())
        return _logistic(self, input, target)

    def updateOutput(self, input, target):
        _, coeff = self._terms(input, target)
        xp = input.xp
        self.output = loss_scalar(xp.log(coeff).sum(), input.nElement() if self.sizeAverage else 1)
        return self.output

    def updateGradInput(self, input, target):
        base, coeff = self._terms(input, target)
        g = self.bufferLike('gradInput', input)
        g[...] = -target.array.reshape(g.shape) * base / coeff
        if self.sizeAverage:
            g /= input.nElement()
        return self.gradInput


class SpatialBinaryLogisticRegression(Criterion):
    """loss = sum log(1 + exp(-t x)) over the pixels of one-channel maps, divided by 2 H W, and by the batch
    size too when ``sizeAverage`` (default), as dpnn's.

    Input and target ``(1, H, W)`` or ``(batch, 1, H, W)`` of one size; labels -1 or 1."""

    input_ranks = (3, 4)

    def __init__(self):
        super().__init__()
        self.sizeAverage = True

    def _terms(self, input, target):
        self.checkInput(input)
        self.checkSize(target, input.size(), 'target')
        if input.size(-3) != 1:
            raise input_error(self, "one channel", f"{input.size(-3)} channels (size {tuple(input.size())})")
        k = input.size(0) if input.dim() == 4 else 1
        divisor = 2 * input.size(-2) * input.size(-1) * (k if self.sizeAverage else 1)
        return _logistic(self, input, target) + (divisor,)

    def updateOutput(self, input, target):
        _, coeff, divisor = self._terms(input, target)
        self.output = loss_scalar(input.xp.log(coeff).sum(), divisor)
        return self.output

    def updateGradInput(self, input, target):
        base, coeff, divisor = self._terms(input, target)
        g = self.bufferLike('gradInput', input)
        g[...] = -target.array * base / coeff / divisor
        return self.gradInput
