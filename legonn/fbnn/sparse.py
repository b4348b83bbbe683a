"""fbnn's SparseThreshold: nn.Threshold over the values of a sparse (index, value) input."""
from ..modules.base.module import Module
from ..modules.rectifiers import Threshold
from .base import FbnnClass


class SparseThreshold(FbnnClass, Module):
    """nn.SparseThreshold(th, v): a sparse input, ``(nnz, 2)`` or ``(batch, nnz, 2)`` pairs (index, value)
    along its last dimension, whose indices pass unchanged and whose values go through ``nn.Threshold(th, v)``
    (``self.module``); gradInput keeps gradOutput's indices and thresholds its values' gradient."""

    input_ranks = (2, 3)

    def __init__(self, th=1e-6, v=0):
        super().__init__()
        self.module = Threshold(th, v)

    def _pairs(self, tensor, what='input'):
        if tensor.size(-1) != 2:
            raise ValueError(f"{self.shortName()}: expected (index, value) pairs along the last dimension of "
                             f"the {what}, got size {tuple(tensor.size())}")
        last = tensor.dim() - 1
        return tensor.select(last, 0), tensor.select(last, 1)

    def updateOutput(self, input):
        self.checkInput(input)
        indices, values = self._pairs(input)
        out = self.bufferLike('output', input)
        out[..., 0] = indices.array
        out[..., 1] = self.module.updateOutput(values).array
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkGradOutput(gradOutput, input)
        _, values = self._pairs(input)
        grad_indices, grad_values = self._pairs(gradOutput, 'gradOutput')
        grad = self.bufferLike('gradInput', input)
        grad[..., 0] = grad_indices.array
        grad[..., 1] = self.module.updateGradInput(values, grad_values).array
        return self.gradInput
