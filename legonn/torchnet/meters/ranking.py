"""Meters of scores ranked against binary targets or relevances: APMeter, mAPMeter, AUCMeter, NDCGMeter (torchnet's
meter/apmeter.lua, mapmeter.lua, aucmeter.lua, ndcgmeter.lua). Scores are ranked as Torch7's ``torch.sort``
ranks them, ties in its order (torch_order), so the results match torchnet's when scores tie."""
import math

import numpy as np

from ...tensor import DoubleTensor, LongTensor
from ..arguments import named_table
from .meter import Meter, by_level, check_binary, host_array, levels, lua_div, scores_and_targets, sum_in_order
from .torch_order import sort_order, sort_rows


def _columns(meter, what, value):
    """An N x K array of ``value`` (an N-vector is one column), else a ValueError naming the meter."""
    array = host_array(meter, 'add', what, value)
    if array.ndim == 1:
        return array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{meter.name}.add: wrong {what} size {tuple(array.shape)} (should be 1D or 2D with one "
                         f"column per class)")
    return array


class _Observations(Meter):
    """Keeps what ``add`` gets: ``scores`` (a DoubleTensor) and ``targets`` (a LongTensor), in the order added."""

    def __init__(self):
        self.reset()

    def reset(self):
        self._scores, self._targets = [], []

    @property
    def scores(self):
        return DoubleTensor(np.concatenate(self._scores) if self._scores else np.zeros(0))

    @property
    def targets(self):
        return LongTensor(np.concatenate(self._targets) if self._targets else np.zeros(0, dtype=np.int64))

    def _keep(self, scores, targets):
        self._scores.append(scores.astype(np.float64))
        self._targets.append(targets.astype(np.int64))


class APMeter(_Observations):
    """The average precision of each of K classes: ``add(output, target, weight=None)`` with N x K scores (an
    N-vector for one class), N x K targets of 0/1 and optional N non-negative weights of the examples.
    ``value()`` is a K DoubleTensor: for each class, the examples ranked by decreasing score, the precision at
    each positive (true positives over examples so far; with weights, their weighted sums) averaged over the
    positives (over max(1, positives)). ``scores``, ``targets`` and ``weights`` hold what was added."""

    def reset(self):
        super().reset()
        self._weights = []

    @property
    def weights(self):
        return DoubleTensor(np.concatenate(self._weights) if self._weights else np.zeros(0))

    @named_table
    def add(self, output, target, weight=None):
        out, tgt = _columns(self, 'output', output), _columns(self, 'target', target)
        if weight is not None:
            weight = np.atleast_1d(np.squeeze(host_array(self, 'add', 'weight', weight)))
            if weight.ndim != 1:
                raise ValueError(f"{self.name}.add: weight dimension should be 1, got size {tuple(weight.shape)}")
            if weight.size != tgt.shape[0]:
                raise ValueError(f"{self.name}.add: {weight.size} weights for {tgt.shape[0]} examples")
            if not np.all(weight >= 0):
                raise ValueError(f"{self.name}.add: weight should be non-negative only")
        if out.shape != tgt.shape:
            raise ValueError(f"{self.name}.add: dimensions for output and target do not match: "
                             f"{tuple(out.shape)} and {tuple(tgt.shape)}")
        check_binary(self, tgt, 'targets should be binary (0 or 1)')
        if self._scores and out.shape[1] != self._scores[0].shape[1]:
            raise ValueError(f"{self.name}.add: {out.shape[1]} columns, previously added examples have "
                             f"{self._scores[0].shape[1]}")
        # torchnet keeps one weight per example once weights come; mixing weighted and unweighted adds leaves
        # some without (Lua reads uninitialised memory then), so it is refused
        if self._scores and (weight is None) != (not self._weights):
            raise ValueError(f"{self.name}.add: weights must be given with every add or with none")
        self._keep(out, tgt)
        if weight is not None:
            self._weights.append(weight.astype(np.float64))

    def value(self):
        if not self._scores:
            raise ValueError(f"{self.name}.value: no examples were added")
        scores, targets = np.concatenate(self._scores), np.concatenate(self._targets)
        weights = np.concatenate(self._weights) if self._weights else None
        ap = np.zeros(scores.shape[1])
        order = sort_rows(scores.T, descending=True)
        with np.errstate(divide='ignore', invalid='ignore'):
            for k in range(scores.shape[1]):
                truth = targets[order[k], k]
                if weights is None:
                    tp, seen = np.cumsum(truth.astype(np.float64)), np.arange(1, truth.size + 1, dtype=np.float64)
                else:
                    weight = weights[order[k]]
                    tp, seen = np.cumsum(truth * weight), np.cumsum(weight)
                precision = tp / seen
                # apmeter.lua: precision[truth:byte()]:sum(), a sum in order
                ap[k] = sum_in_order(precision[truth == 1]) / max(int(truth.sum()), 1)
        return DoubleTensor(ap)


class mAPMeter(Meter):
    """The mean over classes of APMeter's average precisions; ``add(output, target, weight=None)`` as APMeter's,
    ``value()`` a number."""

    def __init__(self):
        self.apmeter = APMeter()

    def reset(self):
        self.apmeter.reset()

    @named_table
    def add(self, output, target, weight=None):
        self.apmeter.add(output, target, weight)

    def value(self):
        ap = self.apmeter.value().array
        return sum_in_order(ap) / ap.size   # mapmeter.lua's value():mean(), THTensor_(meanall): sumall / n


class AUCMeter(_Observations):
    """The area under the ROC curve of a binary classifier: ``add(output, target)`` with N scores and N targets of
    0/1. ``value()`` returns ``(auc, tpr, fpr)``: the ROC curve's N + 1 true- and false-positive rates
    (DoubleTensors) as the examples are taken by decreasing score, and the area under it (0.5 when nothing was
    added)."""

    @named_table
    def add(self, output, target):
        out = np.atleast_1d(np.squeeze(host_array(self, 'add', 'output', output)))
        tgt = np.atleast_1d(np.squeeze(host_array(self, 'add', 'target', target)))
        if out.ndim != 1:
            raise ValueError(f"{self.name}.add: dimensionality of output should be 1 (e.g., nn.Sigmoid output), "
                             f"got size {tuple(out.shape)}")
        if tgt.ndim != 1:
            raise ValueError(f"{self.name}.add: dimensionality of targets should be 1, got size {tuple(tgt.shape)}")
        if out.size != tgt.size:
            raise ValueError(f"{self.name}.add: number of outputs ({out.size}) and targets ({tgt.size}) does not "
                             f"match")
        check_binary(self, tgt, 'targets should be binary (0 or 1)')
        self._keep(out, tgt)

    def value(self):
        if not self._scores:
            return 0.5
        scores, targets = np.concatenate(self._scores), np.concatenate(self._targets)
        positive = targets[sort_order(scores, descending=True)] == 1
        tpr = np.concatenate([[0.0], np.cumsum(positive, dtype=np.float64)])
        fpr = np.concatenate([[0.0], np.cumsum(~positive, dtype=np.float64)])
        with np.errstate(divide='ignore', invalid='ignore'):
            tpr /= targets.sum()
            fpr /= (1 - targets).sum()
        auc = sum_in_order(tpr[:-1] * (fpr[1:] - fpr[:-1]))   # aucmeter.lua's cmul(...):sum(), in order
        return auc, DoubleTensor(tpr), DoubleTensor(fpr)


def _dcg(relevance, order, k):
    """Discounted cumulative gain of the first k of ``order``: rel_1 + sum_{i=2..k} rel_i / log2(i)."""
    gains = relevance[order[:k]]
    # ndcgmeter.lua's computeDCG: rel_1 + (its cdiv by log2):sum(), a sum in order
    return gains[0] + sum_in_order(gains[1:] / (np.log(np.arange(2, k + 1, dtype=np.float64)) / math.log(2)))


class NDCGMeter(Meter):
    """The normalised discounted cumulative gain at each level k of ``K`` (default [1]), averaged over examples:
    ``add(output, relevance)`` with N x C scores and N x C relevances (or one example's C of each), C at least
    the largest k. The outputs are ranked by Torch7's sort (ties in its order); NDCG_k = DCG_k of that ranking
    over DCG_k of the relevances sorted. ``value()`` returns {k: ndcg}, ``value(k)`` one of them."""

    @named_table
    def __init__(self, K=(1,)):
        self.K = levels(self, 'K', K)
        self.reset()

    def reset(self):
        self.ndcg = {k: 0.0 for k in self.K}
        self.n = 0

    @named_table
    def add(self, output, relevance):
        out, rel = scores_and_targets(self, output, relevance, 'relevance', squeeze=False)
        if rel.shape[1] < self.K[-1]:
            raise ValueError(f"{self.name}.add: too few results ({rel.shape[1]}) for K={self.K[-1]}")
        rel = rel.astype(np.float64)
        order = sort_rows(out.astype(np.float64), descending=True)
        for n in range(out.shape[0]):
            ideal = np.sort(rel[n])[::-1]
            for k in self.K:
                with np.errstate(divide='ignore', invalid='ignore'):
                    ratio = _dcg(rel[n], order[n], k) / _dcg(ideal, np.arange(k), k)
                if not 0 <= ratio <= 1:
                    raise ValueError(f"{self.name}.add: NDCG@{k} of example {n} is {ratio} (relevances must be "
                                     f"non-negative, not all zero)")
                self.ndcg[k] += float(ratio)
        self.n += out.shape[0]

    @named_table
    def value(self, K=None):
        return by_level(self, K, self.ndcg, lambda k: lua_div(self.ndcg[k], self.n),
                        lambda k: f"invalid k {k!r} (the meter measures K {self.K})")
