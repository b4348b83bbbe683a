"""Meters of classifiers: ClassErrorMeter, ConfusionMeter, MultiLabelConfusionMeter (torchnet's meter/
classerrormeter.lua, confusionmeter.lua, multilabelconfusionmeter.lua). Class indices are 0-based (1-based in
torchnet): a target ``c`` names column ``c`` of the output."""
import numpy as np

from ...tensor import DoubleTensor, LongTensor
from ..arguments import named_table
from .meter import Meter, by_level, check_binary, count, host_array, levels, lua_div
from .torch_order import sort_rows, top_rows


def _squeezed(meter, what, value):
    """Torch7's ``x:squeeze()`` as a NumPy array: a tensor of one element becomes a number (a 0-d array)."""
    return np.squeeze(host_array(meter, 'add', what, value))


class ClassErrorMeter(Meter):
    """The classification error in % (the accuracy with ``accuracy=True``) of the top-k predictions, for each k
    of ``topk`` (default [1]). ``add(output, target)``: an N x K tensor of scores and an N-tensor of 0-based
    classes (or one example's K scores and its class). ``value()`` returns {k: error}, ``value(k)`` one of
    them. The top k are those of Torch7's ``topk`` (ties in its order)."""

    @named_table
    def __init__(self, topk=(1,), accuracy=False):
        self.topk = levels(self, 'topk', topk)
        self.accuracy = bool(accuracy)
        self.reset()

    def reset(self):
        self.sum = {k: 0 for k in self.topk}
        self.n = 0

    @named_table
    def add(self, output, target):
        out, tgt = _squeezed(self, 'output', output), _squeezed(self, 'target', target)
        if out.ndim == 1:
            if tgt.ndim != 0:
                raise ValueError(f"{self.name}.add: target and output do not match: one example's {out.shape[0]} "
                                 f"scores need one target, got {tgt.size}")
            out, tgt = out[None], tgt.reshape(1)
        elif out.ndim != 2:
            raise ValueError(f"{self.name}.add: wrong output size {tuple(out.shape)} (1D or 2D expected)")
        elif tgt.ndim != 1 or tgt.shape[0] != out.shape[0]:
            raise ValueError(f"{self.name}.add: target and output do not match: {out.shape[0]} examples, target "
                             f"of size {tuple(tgt.shape)}")
        maxk = self.topk[-1]
        if maxk > out.shape[1]:
            raise ValueError(f"{self.name}.add: topk {maxk} is larger than the number of classes {out.shape[1]}")
        pred = top_rows(out.astype(np.float64), maxk)
        correct = pred == tgt[:, None]
        for k in self.topk:
            self.sum[k] += out.shape[0] - int(correct[:, :k].sum())
        self.n += out.shape[0]

    @named_table
    def value(self, k=None):
        def error(k):
            if self.accuracy:
                return (1 - lua_div(self.sum[k], self.n)) * 100
            return lua_div(self.sum[k] * 100, self.n)
        return by_level(self, k, self.sum, error, lambda k: f"invalid k {k!r} (the meter measures topk {self.topk})")


class _Confusion(Meter):
    """A k x k matrix ``conf`` (a tensor of ``matrix``'s class) that ``reset`` zeroes."""

    def __init__(self, k, normalized, matrix):
        k = count(self.name, 'k (the number of classes)', k)
        self.conf = matrix(k, k)
        self.normalized = bool(normalized)
        self.reset()

    def reset(self):
        self.conf.zero()


class ConfusionMeter(_Confusion):
    """The k x k confusion matrix of a k-class classifier (a LongTensor of counts, or a DoubleTensor of each row
    divided by its sum when ``normalized``): rows are the targets, columns the predictions (the argmax of each
    output row, the first of ties). ``add(output, target)``: N x k scores and N 0-based classes, or N x k
    one-hot targets (or one example's k scores and its class)."""

    @named_table
    def __init__(self, k, normalized=False):
        super().__init__(k, normalized, LongTensor)

    @named_table
    def add(self, output, target):
        out, tgt = _squeezed(self, 'output', output), _squeezed(self, 'target', target)
        if out.ndim == 1:
            out = out[None]
            if tgt.ndim == 0:
                tgt = tgt.reshape(1)
        k = self.conf.size(0)
        if out.ndim != 2 or out.shape[1] != k:
            raise ValueError(f"{self.name}.add: number of outputs does not match size of confusion matrix: "
                             f"expected N x {k} scores, got {tuple(out.shape)}")
        onehot = tgt.ndim != 1
        if tgt.ndim == 0 or tgt.shape[0] != out.shape[0]:
            raise ValueError(f"{self.name}.add: number of targets and outputs do not match: {out.shape[0]} "
                             f"outputs, target of size {tuple(tgt.shape)}")
        if onehot:
            if tgt.shape[1:] != (k,):
                raise ValueError(f"{self.name}.add: target should be 1D or have the size of output (one-hot), "
                                 f"got {tuple(tgt.shape)}")
            check_binary(self, tgt, 'one-hot target values should be 0 or 1')
            if not np.all(tgt.sum(axis=1) == 1):
                raise ValueError(f"{self.name}.add: multi-label setting is not supported (one 1 per target row)")
            pos = np.argmax(tgt, axis=1)
        else:
            if not np.all((tgt == np.floor(tgt)) & (tgt >= 0) & (tgt < k)):
                raise ValueError(f"{self.name}.add: expected targets as 0-based classes in [0, {k}), got "
                                 f"{tgt.tolist()}")
            pos = tgt.astype(np.int64)
        np.add.at(self.conf.array, (pos, np.argmax(out.astype(np.float64), axis=1)), 1)

    def value(self):
        if not self.normalized:
            return self.conf
        conf = self.conf.array.astype(np.float64)
        return DoubleTensor(conf / np.maximum(conf.sum(axis=1, keepdims=True), 1e-12))


class MultiLabelConfusionMeter(_Confusion):
    """The k x k confusion matrix of a multi-label classifier (a DoubleTensor; rows divided by their sums plus
    1e-8 when ``normalized``, the default). For an example with m positive labels, the m top-scoring classes
    (Torch7's sort order, ties included) are its predictions: each one in the targets adds 1 on the diagonal,
    and each remaining target row shares 1 equally among the remaining predictions. ``add(output, target)``:
    N x k scores and N x k 0/1 targets (or one example's)."""

    @named_table
    def __init__(self, k, normalized=True):
        super().__init__(k, normalized, DoubleTensor)

    @named_table
    def add(self, output, target):
        out, tgt = np.atleast_2d(_squeezed(self, 'output', output)), np.atleast_2d(_squeezed(self, 'target', target))
        if out.shape != tgt.shape or out.ndim != 2:
            raise ValueError(f"{self.name}.add: number of targets and outputs do not match: "
                             f"{tuple(out.shape)} and {tuple(tgt.shape)}")
        check_binary(self, tgt, 'target values should be 0 or 1')
        if tgt.shape[1] != self.conf.size(0):
            raise ValueError(f"{self.name}.add: target size {tgt.shape[1]} does not match size of confusion "
                             f"matrix {self.conf.size(0)}")
        conf = self.conf.array
        pred = sort_rows(out.astype(np.float64), descending=True)
        for scores_order, labels in zip(pred, tgt):
            targets = set(np.flatnonzero(labels == 1).tolist())
            predicted = set(scores_order[:len(targets)].tolist())
            hits = targets & predicted
            for c in hits:
                conf[c, c] += 1
            targets, predicted = sorted(targets - hits), sorted(predicted - hits)
            if targets:
                conf[np.ix_(targets, predicted)] += 1 / len(predicted)

    def value(self):
        conf = self.conf.array.copy()
        if self.normalized:
            conf /= conf.sum(axis=1, keepdims=True) + 1e-8
        return DoubleTensor(conf)
