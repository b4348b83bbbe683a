"""DistKLDivCriterion: Kullback-Leibler divergence against a target distribution."""
from .criterion import ALWAYS_AVERAGES
from .elementwise import _ElementwiseCriterion


class DistKLDivCriterion(_ElementwiseCriterion):
    """loss = sum_i t_i (log t_i - x_i) over t_i > 0, with ``x`` log-probabilities and ``t``
    probabilities, divided by the element count. ``DistKLDivCriterion()`` takes no argument, as Torch7's: to
    sum, set ``sizeAverage = False``. Input any shape, target as many elements."""
    unread_arguments_note = ALWAYS_AVERAGES

    def __init__(self):
        super().__init__()

    def _terms(self, x, t, xp):
        # THNN's target > 0 ? target * (log(target) - input) : 0; the masked entries read 1 and 0, so that a zero
        # target against a log-probability of -inf (a zero probability) adds 0 without a 0 * inf warning
        positive = t > 0
        return xp.where(positive, t * (xp.log(xp.where(positive, t, 1)) - xp.where(positive, x, 0)), 0)

    def _derivative(self, x, t, xp):
        return xp.where(t > 0, -t, 0)
