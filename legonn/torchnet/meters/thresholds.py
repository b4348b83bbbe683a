"""Meters of thresholded scores against k-hot targets: PrecisionMeter, RecallMeter (torchnet's meter/
precisionmeter.lua, recallmeter.lua). A score at or above a threshold is a positive prediction."""
import numbers

import numpy as np

from ...tensor import Tensor
from ..arguments import named_table
from .meter import Meter, by_level, scores_and_targets


class _ThresholdMeter(Meter):
    """Counts per class, for each threshold, the true positives and what the measure divides them by
    (``_denominator``); ``value(t)`` is their ratio in % (100 where the denominator is 0)."""

    @named_table
    def __init__(self, threshold=(0.5,), perclass=False):
        if not isinstance(threshold, (list, tuple)) or not all(
                isinstance(t, numbers.Real) and not isinstance(t, bool) and 0 <= t <= 1 for t in threshold):
            raise ValueError(f"{self.name}: expected threshold as a list of numbers between 0 and 1, "
                             f"got {threshold!r}")
        self.threshold = sorted(float(t) for t in threshold)
        self.perclass = bool(perclass)
        self.reset()

    def reset(self):
        self.tp = {t: np.zeros(0) for t in self.threshold}
        self.total = {t: np.zeros(0) for t in self.threshold}

    @named_table
    def add(self, output, target):
        out, tgt = scores_and_targets(self, output, target)
        # torchnet counts in the output's type (typeAs(output)), comparing with the threshold in that type
        real = out.dtype.type if np.issubdtype(out.dtype, np.floating) else np.float64
        true_pos = np.where(tgt == 0, real(-1), out.astype(real))
        for t in self.threshold:
            if self.tp[t].size == 0:
                self.tp[t], self.total[t] = np.zeros(tgt.shape[1], real), np.zeros(tgt.shape[1], real)
            self.tp[t] += (true_pos >= real(t)).sum(axis=0, dtype=real)
            self.total[t] += self._denominator(out.astype(real), tgt, real(t)).sum(axis=0, dtype=real)

    @named_table
    def value(self, t=None):
        return by_level(self, t, self.tp, self._ratio,
                        lambda t: f"{t!r} is an incorrect threshold [not set: {self.threshold}]")

    def _ratio(self, t):
        """The measure at threshold ``t``, in %."""
        tp, total = self.tp[t], self.total[t]
        if self.perclass:
            with np.errstate(divide='ignore', invalid='ignore'):
                ratio = tp / total * 100
            ratio[total == 0] = 100
            return Tensor._from_array(ratio)
        if total.sum() == 0:
            return 100
        return float(tp.sum()) / float(total.sum()) * 100


class PrecisionMeter(_ThresholdMeter):
    """The precision in % at each threshold of ``threshold`` (default [0.5], numbers in [0, 1]): true positives
    over positive predictions, summed over classes, or per class (a tensor) when ``perclass``.
    ``add(output, target)``: N x K probabilities and N x K 0/1 targets (or one example's K). ``value()`` returns
    {threshold: precision}, ``value(t)`` one of them."""

    def _denominator(self, output, target, threshold):
        return output >= threshold


class RecallMeter(_ThresholdMeter):
    """The recall in % at each threshold of ``threshold`` (default [0.5], numbers in [0, 1]): true positives over
    positive targets, summed over classes, or per class (a tensor) when ``perclass``. ``add(output, target)``:
    N x K probabilities and N x K 0/1 targets (or one example's K). ``value()`` returns {threshold: recall},
    ``value(t)`` one of them."""

    def _denominator(self, output, target, threshold):
        return target
