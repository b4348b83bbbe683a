"""MSECriterion: mean (or sum) of squared differences."""
from ..modules.base.hessian import diag_hessian_input_buffer
from .criterion import Criterion, loss_scalar


class MSECriterion(Criterion):
    """loss = sum_i (x_i - t_i)^2, divided by the number of elements when ``sizeAverage`` (default).

    ``input`` any shape; ``target`` a tensor of the same number of elements.
    """

    input_kind = 'tensor'

    def __init__(self, sizeAverage=True):
        super().__init__()
        self.sizeAverage = sizeAverage

    def _difference(self, input, target, into_gradInput):
        """input - target, in the gradInput buffer when ``into_gradInput``, else in a new array.

        The forward leaves gradInput alone (THNN's MSECriterion_updateOutput writes only the loss):
        a gradInput a previous backward returned keeps its values across later forwards.
        """
        self.checkInput(input)
        self.checkSameCount(input, target)
        self.checkSameType(target, input, 'target')
        diff = self.bufferLike('gradInput', input) if into_gradInput else None
        return input.xp.subtract(input.array, target.array.reshape(input._size), out=diff)

    def updateOutput(self, input, target):
        diff = self._difference(input, target, False).reshape(-1)
        self.output = loss_scalar(input.xp.dot(diff, diff), diff.size if self.sizeAverage and diff.size else 1)
        return self.output

    def updateGradInput(self, input, target):
        diff = self._difference(input, target, True)
        diff *= 2 / diff.size if self.sizeAverage and diff.size else 2
        return self.gradInput

    def updateDiagHessianInput(self, input, target):
        """hessian.lua: d^2loss/dx_i^2 = 2, divided by the element count when ``sizeAverage``; input-shaped."""
        diag_hessian_input_buffer(self, input)
        self.diagHessianInput.fill(2 / input.nElement() if self.sizeAverage else 2)
        return self.diagHessianInput
