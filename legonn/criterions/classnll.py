"""ClassNLLCriterion: negative log-likelihood of the target class."""
from ..tensor import backend, cuda_kernels
from ..tensor.scatter_kernels import index_range
from .criterion import Criterion, loss_scalar

_CHECKED_LABELS = 1024   # label arrays a criterion remembers checking (a long unrolled sequence's, at most)


class ClassNLLCriterion(Criterion):
    """loss = -sum_n w[t_n] x[n, t_n], divided by sum_n w[t_n] when ``sizeAverage`` (default).

    ``input``: log-probabilities, ``(nClasses,)`` or ``(batch, nClasses)``;
    ``target``: 0-based integer labels, one per row (an int for a 1-D input).
    ``weights``: optional 1-D tensor of ``nClasses`` class weights (all 1 by
    default). Rows labelled ``ignoreIndex`` (default -100) add nothing to the loss,
    its gradient or the total weight. After a forward ``total_weight_tensor`` holds the denominator,
    sum_n w[t_n] (a one-element tensor of the input's type), which ClassNLLCriterion.lua's updateOutput also
    returns as its second value: facebookresearch/MIXER's ``loss, n = crit:forward(x, t)`` reads it so.
    The constructor refuses ``ignoreIndex=0``: Torch7 users pass 0 to skip padding labels, outside its
    1-based classes, while 0 is legonn's first class; shift it to -1, or set ``crit.ignoreIndex = 0``
    afterwards to really ignore class 0.

    On the GPU a forward is one kernel and one read (the loss with the labels' range), and a backward is one
    kernel that reads nothing when a forward has checked those labels (the same memory, since construction or
    ``clearState``); a backward of other labels reads their range first. A CUDA graph checks none (see
    ``lg.cuda.capture``); labels out of range then add nothing.
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

    def _check(self, input, target, ranged=True):
        self.checkInput(input)
        n_classes = input._size[-1]
        if self.weights is not None:
            self.checkSameType(input, self.weights)
            if self.weights.nElement() != n_classes:
                raise ValueError(f"{self.shortName()}: {self.weights.nElement()} class weights for an input of "
                                 f"{n_classes} classes")
        return self.checkLabels(input, target, n_classes, self.ignoreIndex, ranged)

    def _device_batch(self, input, target):
        """(rows, classes) log-probabilities, labels, class weights and the labels' key when the CUDA kernels
        compute this call, else None. The key says which labels a forward has read the range of."""
        if not (input._cuda and backend.is_cupy_array(getattr(target, 'array', None))):
            return None
        # reshaped only when they must be: a CuPy view is a call of its own, and this runs at every time step
        x = input.array if len(input._size) == 2 else input.array.reshape(1, -1)
        labels = target.array if len(target._size) == 1 else target.array.reshape(-1)
        weights = None if self.weights is None else self.weights.array
        if not cuda_kernels.class_nll_applies(x, labels, weights, self.ignoreIndex):
            return None
        return x, labels, weights, (labels.data.ptr, labels.shape, labels.strides, x.shape[1], self.ignoreIndex)

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
        batch = self._device_batch(input, target)
        if batch is not None:
            return self._device_forward(input, target, *batch)
        may_ignore = self._check(input, target)
        x = input.array.reshape(-1, input._size[-1])
        rows, labels, w, total = self._picked(input, target, may_ignore)
        picked = x[rows, labels]
        self.output = loss_scalar(picked.sum() if w is None else picked.dot(w),
                                  total if self.sizeAverage and total else 1, sign=-1)
        self.bufferLike('total_weight_tensor', input, (1,))[0] = total
        return self.output

    def _device_forward(self, input, target, x, labels, weights, key):
        """The forward in one kernel and, unless a CUDA graph records, one read: the loss and the labels' range."""
        self._check(input, target, ranged=False)
        result = self.bufferLike('_device_result', input, (5,), kind='Double')
        cuda_kernels.class_nll_forward(x, labels, weights, self.ignoreIndex, self.sizeAverage, result)
        self.bufferLike('total_weight_tensor', input, (1,))[...] = result[1:2]   # on the device: no read
        if backend.recording():
            loss = result[0]   # a 0-d device view that each replay rewrites (see loss_scalar)
        else:
            loss, _, kept, lo, hi = result.get().tolist()
            if kept and (lo < 0 or hi >= x.shape[1]):
                self.labelsOutOfRange(int(lo), int(hi), x.shape[1])
            checked = self.__dict__.setdefault('_checked_labels', {})
            if len(checked) >= _CHECKED_LABELS:
                checked.clear()
            checked[key] = True
        self.output = loss
        return self.output

    def updateGradInput(self, input, target):
        batch = self._device_batch(input, target)
        if batch is not None:
            x, labels, weights, key = batch
            # labels a forward read the range of (a step's, each time step's when one criterion serves a
            # sequence) are not read again: the backward kernel then reads nothing
            self._check(input, target, ranged=key not in self.__dict__.get('_checked_labels', ()))
            gi = self.bufferLike('gradInput', input)
            cuda_kernels.class_nll_backward(labels, weights, self.ignoreIndex, self.sizeAverage,
                                            gi if gi.ndim == 2 else gi.reshape(x.shape))
            return self.gradInput
        may_ignore = self._check(input, target)
        gi = self.bufferLike('gradInput', input)
        gi.fill(0)
        rows, labels, w, total = self._picked(input, target, may_ignore)
        if not total > 0:
            return self.gradInput   # THNN returns before writing when the total weight is not positive
        if input.dim() == 1:
            # THNN's 1-D case: -weights[t] without sizeAverage, else -1 (its weight over itself)
            value = -w if w is not None and not self.sizeAverage else -1
        else:
            value = -1 if w is None else -w
            if self.sizeAverage:
                value = value / total   # a division, as THNN's, not a product with 1 / total
        gi.reshape(-1, input._size[-1])[rows, labels] = value
        return self.gradInput

    def clearState(self, *names):
        self.__dict__.pop('_checked_labels', None)
        return super().clearState('_device_result', *names)
