"""fbnn's variants of nn.Linear: LinearNB (no bias), LinearNoBackprop (a zero gradInput) and
fbnn.NormalizedLinearNoBias (a weight rescaled to norm sqrt(outputSize) at each training forward)."""
import math

from ..modules.linear import Linear
from .base import FbnnClass


class LinearNB(FbnnClass, Linear):
    """nn.LinearNB(inputSize, outputSize): ``nn.Linear(inputSize, outputSize, False)``, ``y = x W^T``
    (LinearNB.lua keeps it for old scripts). Input ``(inputSize,)`` or ``(batch, inputSize)``."""

    def __init__(self, inputSize, outputSize):
        super().__init__(inputSize, outputSize, False)


class LinearNoBackprop(FbnnClass, Linear):
    """nn.LinearNoBackprop(inputSize, outputSize): nn.Linear whose gradInput is zeros of the input's size
    (the layer learns, but sends no gradient below it); ``gradInput = None`` still means no gradient at all."""

    def updateGradInput(self, input, gradOutput):
        self._check_backward(input, gradOutput)
        if self.gradInput is None:
            return None
        self.bufferLike('gradInput', input)[...] = 0
        return self.gradInput


class NormalizedLinearNoBias(FbnnClass, Linear):
    """fbnn.NormalizedLinearNoBias(inputSize, outputSize): ``y = x W^T + b`` with ``b`` zeros that never learn;
    in training mode each forward first rescales ``W`` (in place) to Frobenius norm ``sqrt(outputSize)``, as
    NormalizedLinearNoBias.lua. accGradParameters accumulates ``gradWeight`` only."""

    lua_name = 'fbnn'

    def __init__(self, inputSize, outputSize):
        super().__init__(inputSize, outputSize)
        self.bias.zero()

    def updateOutput(self, input):
        self._check(input)   # before the weight changes: a refused input leaves it as it was
        if self.train:
            weight = self.weight.array
            weight *= math.sqrt(weight.shape[0]) / float(input.xp.linalg.norm(weight))
        return super().updateOutput(input)

    def accGradParameters(self, input, gradOutput, scale=1):
        self._acc_grad_weight(input, gradOutput, scale)
