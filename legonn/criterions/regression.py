"""Regression losses: AbsCriterion, SmoothL1Criterion, WeightedMSECriterion, L1Cost."""
from ..modules.base.errors import input_error
from ..modules.base.hessian import diag_hessian_input_buffer
from ..tensor import Tensor, as_tensor
from .criterion import ALWAYS_AVERAGES
from .elementwise import _ElementwiseCriterion, _TargetFree
from .mse import MSECriterion


class AbsCriterion(_ElementwiseCriterion):
    """loss = sum_i |x_i - t_i| (divided by the element count when ``sizeAverage``).
    ``AbsCriterion(sizeAverage=True)``; input any shape, target as many elements."""

    def _terms(self, x, t, xp):
        return xp.abs(x - t)

    def _derivative(self, x, t, xp):
        return xp.where(x - t >= 0, 1, -1)


class SmoothL1Criterion(_ElementwiseCriterion):
    """Huber loss: 0.5 d^2 where |d| < 1, |d| - 0.5 elsewhere, d = x - t; summed (averaged with
    ``sizeAverage``). ``SmoothL1Criterion(sizeAverage=True)``."""

    def _terms(self, x, t, xp):
        d = xp.abs(x - t)
        return xp.where(d < 1, 0.5 * d * d, d - 0.5)

    def _derivative(self, x, t, xp):
        return xp.clip(x - t, -1, 1)


class WeightedMSECriterion(MSECriterion):
    """MSE between the input and the target scaled by ``w``: sum_i (x_i - w_i t_i)^2 (Torch7's definition).

    ``WeightedMSECriterion(w)``; ``w`` has the target's size, or one sample's size for a
    batch target (applied to every row). ``sizeAverage`` attribute as MSECriterion (as Torch7's, the
    constructor takes none). A tensor ``w`` is cloned with its type (Torch7's ``w:clone()``); a NumPy/CuPy
    array or a list becomes a copy of the criterion's type.
    """
    unread_arguments_note = ALWAYS_AVERAGES

    def __init__(self, w):
        super().__init__()
        if isinstance(w, Tensor):
            self.weight = w.clone()
        else:
            try:
                w = as_tensor(w)
            except TypeError:
                raise ValueError(f"WeightedMSECriterion: w must be a tensor, array or list, got "
                                 f"{type(w).__name__}") from None
            self.weight = w.type(self.type()).clone()

    def _weighted(self, input, target):
        self.checkInput(input)
        self.checkTensor(target, what='target', floating=True)
        self.checkSameType(target, input, 'target')
        self.checkSameType(self.weight, input, 'weight')
        w = self.weight
        if tuple(target.size()) != tuple(w.size()) and tuple(target.size())[1:] != tuple(w.size()):
            raise input_error(self, f"a target of the weight's size {tuple(w.size())} or a batch of them",
                              f"size {tuple(target.size())}")
        buf = self.bufferLike('buffer', target)
        input.xp.multiply(target.array, w.array, out=buf)
        return self.buffer

    def updateOutput(self, input, target):
        return super().updateOutput(input, self._weighted(input, target))

    def updateGradInput(self, input, target):
        return super().updateGradInput(input, self._weighted(input, target))

    def clearState(self):
        return super().clearState('buffer')


class L1Cost(_TargetFree):
    """loss = sum_i |x_i|, no target (``forward(input)``); any input shape."""

    input_kind = 'tensor'

    def updateOutput(self, input, target=None):
        self.checkInput(input)
        self.output = float(input.xp.abs(input.array).sum())
        return self.output

    def updateGradInput(self, input, target=None):
        self.checkInput(input)
        input.xp.sign(input.array, out=self.bufferLike('gradInput', input))
        return self.gradInput

    def updateDiagHessianInput(self, input, target=None):
        """hessian.lua's rule: 1 where the input is not 0, 0 where it is; input-shaped."""
        diag_hessian_input_buffer(self, input)
        input.xp.not_equal(input.array, 0, out=self.diagHessianInput.array)
        return self.diagHessianInput
