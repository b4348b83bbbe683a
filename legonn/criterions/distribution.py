"""DistKLDivCriterion: Kullback-Leibler divergence against a target distribution."""
from .elementwise import _ElementwiseCriterion


class DistKLDivCriterion(_ElementwiseCriterion):
    """loss = sum_i t_i (log t_i - x_i) over t_i > 0, with ``x`` log-probabilities and ``t``
    probabilities (divided by the element count when ``sizeAverage``).
    ``DistKLDivCriterion(sizeAverage=True)``; input any shape, target as many elements."""

    def _terms(self, x, t, xp):
        positive = t > 0
        return xp.where(positive, t * (xp.log(xp.where(positive, t, 1)) - x), 0)

    def _derivative(self, x, t, xp):
        return xp.where(t > 0, -t, 0)
