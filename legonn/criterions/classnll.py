"""ClassNLLCriterion: negative log-likelihood of the target class."""
from ..tensor.scatter_kernels import index_range
from .criterion import Criterion, loss_scalar


class ClassNLLCriterion(Criterion):
    """loss = -sum_n w[t_n] x[n, t_n], divided by sum_n w[t_n] when ``sizeAverage`` (default).

    ``input``: log-probabilities, ``(nClasses,)`` or ``(batch, nClasses)``;
    ``target``: 0-based integer labels, one per row (an int for a 1-D input).
    ``weights``: optional 1-D tensor of ``nClasses`` class weights (all 1 by
    default). Rows labelled ``ignoreIndex`` (default -100) add nothing to the loss,
    its gradient or the total weight. The constructor refuses ``ignoreIndex=0``:
    Torch7 users pass 0 to skip padding labels, outside its 1-based classes, while
    0 is legonn's first class; shift it to -1, or set ``crit.ignoreIndex = 0``
    afterwards to really ignore class 0.
    """

    input_ranks = (1, 2)
    takes_labels = True

    def __init__(self, weights=None, sizeAverage=True, ignoreIndex=-100):
        super().__init__()
        if ignoreIndex == 0 and not isinstance(ignoreIndex, bool):
            raise ValueError("ClassNLLCriterion: ignoreIndex 0 is a Torch7 padding label outside its 1-based "
                             "classes; legonn's labels are 0-based: pass -1 for padding labels shifted like the "
                             "others, or set crit.ignoreIndex = 0 after construction to ignore class 0")
        self.weights = self.classWeights(weights)
        self.sizeAverage = sizeAverage
        self.ignoreIndex = ignoreIndex

    def _check(self, input, target):
        self.checkInput(input)
        n_classes = input._size[-1]
        if self.weights is not None:
            self.checkSameType(input, self.weights)
            if self.weights.nElement() != n_classes:
                raise ValueError(f"{self.shortName()}: {self.weights.nElement()} class weights for an input of "
                                 f"{n_classes} classes")
        return self.checkLabels(input, target, n_classes, self.ignoreIndex)

    def _picked(self, input, target, may_ignore):
        """(row index array, label array, per-row weights or None, total weight); rows labelled ignoreIndex
        are left out (looked for only when ``may_ignore``, checkLabels' answer)."""
        xp = input.xp
        labels = target.array.reshape(-1)
        rows = index_range(xp, labels.size)
        if may_ignore:
            ignored = labels == self.ignoreIndex
            rows, labels = rows[~ignored], labels[~ignored]
        if self.weights is None:
            return rows, labels, None, labels.size
        w = self.weights.array[labels]
        return rows, labels, w, float(w.sum())

    def updateOutput(self, input, target):
        may_ignore = self._check(input, target)
        x = input.array.reshape(-1, input._size[-1])
        rows, labels, w, total = self._picked(input, target, may_ignore)
        picked = x[rows, labels]
        self.output = loss_scalar(picked.sum() if w is None else picked.dot(w),
                                  total if self.sizeAverage and total else 1, sign=-1)
        return self.output

    def updateGradInput(self, input, target):
        may_ignore = self._check(input, target)
        gi = self.bufferLike('gradInput', input)
        gi.fill(0)
        rows, labels, w, total = self._picked(input, target, may_ignore)
        scale = -1 / total if self.sizeAverage and total else -1
        gi.reshape(-1, input._size[-1])[rows, labels] = scale if w is None else w * scale
        return self.gradInput
