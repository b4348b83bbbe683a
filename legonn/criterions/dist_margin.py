"""DistMarginCriterion: nnx's hinge between each row's weakest target and its other classes (nnx's
DistMarginCriterion.lua and generic/DistMarginCriterion.c)."""
from ..modules.base.errors import input_error
from ..tensor import Tensor
from ..tensor.scatter_kernels import index_bounds
from .criterion import Criterion, loss_scalar


class DistMarginCriterion(Criterion):
    """loss = sum over rows, sum over non-target classes d of max(0, 1 - x_m + x_d), with x_m the smallest
    input among the row's targets; divided by ``dim`` (not by the rows) with ``sizeAverage`` (default True).

    Input ``(dim,)`` or ``(batch, dim)``; target an integer tensor of the input's size holding each row's
    0-based target classes, then -1 padding (the C's 1-based classes and 0 end marker, shifted to 0-based). A
    row without targets adds nothing. gradInput: g (1/dim or 1) at each non-target class whose hinge is
    positive, minus g times their count at the row's weakest target, 0 elsewhere (the C leaves the other
    targets' entries unwritten and, for a row without targets, writes the element before the row)."""

    input_ranks = (1, 2)
    takes_labels = True

    def __init__(self):
        super().__init__()
        self.sizeAverage = True

    def _hinges(self, input, target):
        """(rows x, active hinges (rows, dim), the weakest target's one-hot (rows, dim)), checked."""
        self.checkInput(input)
        if not isinstance(target, Tensor) or target.dtype.kind not in 'iu':
            got = target.type() if isinstance(target, Tensor) else type(target).__name__
            raise input_error(self, "an integer target tensor of class indices padded with -1", got, TypeError)
        if tuple(target.size()) != tuple(input.size()):
            raise input_error(self, f"a target of the input's size {tuple(input.size())}", tuple(target.size()))
        if target.is_cuda != input.is_cuda:
            raise input_error(self, "a target on the input's device", target.type(), TypeError)
        xp = input.xp
        x = input.array.reshape(-1, input.size(-1))
        dim = x.shape[1]
        t = target.array.reshape(x.shape).astype('int64')
        lo, hi = index_bounds(t)
        if lo < -1 or hi >= dim:
            raise input_error(self, f"target classes in [0, {dim}) or -1 padding", f"values in [{lo}, {hi}]",
                              IndexError)
        listed = xp.cumprod(t >= 0, axis=1).astype(bool)                      # before the first -1
        # the listed classes marked by one scatter (as the C's loop over the targets), not a (rows, slot, class)
        # one-hot: quadratic in dim
        is_target = xp.zeros(x.shape, dtype=bool)
        rows, slots = xp.nonzero(listed)
        is_target[rows, t[rows, slots]] = True
        # the C keeps the first smallest in the target's order
        slot = xp.where(listed, xp.take_along_axis(x, xp.where(listed, t, 0), axis=1), xp.inf).argmin(axis=1)
        weakest = xp.take_along_axis(xp.where(listed, t, 0), slot[:, None], axis=1)[:, 0]
        has_target = listed[:, 0]
        z = 1 - xp.take_along_axis(x, weakest[:, None], axis=1) + x
        active = (z > 0) & ~is_target & has_target[:, None]
        pick = (xp.arange(dim) == weakest[:, None]) & has_target[:, None]
        return z, active, pick

    def updateOutput(self, input, target):
        z, active, _ = self._hinges(input, target)
        # the C adds z only where z > 0 (a select: a -inf or NaN hinge it skips must not become NaN via 0 * z)
        self.output = loss_scalar(input.xp.where(active, z, 0).sum(), z.shape[1] if self.sizeAverage else 1)
        return self.output

    def updateGradInput(self, input, target):
        z, active, pick = self._hinges(input, target)
        g = 1.0 / z.shape[1] if self.sizeAverage else 1.0
        gi = self.bufferLike('gradInput', input)
        grad = g * active - g * active.sum(axis=1, keepdims=True) * pick
        gi[...] = grad.reshape(gi.shape)
        return self.gradInput
