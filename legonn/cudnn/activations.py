"""cudnn.torch's pointwise activations (cudnn/Pointwise.lua): ReLU, Tanh, Sigmoid and ClippedReLU, each
taking cudnn's ``inplace`` flag (output written over the input, gradInput over gradOutput); any shape."""
from .. import nn
from ..modules.base.errors import check_inplace
from .base import CudnnClass


class ReLU(CudnnClass, nn.ReLU):
    """y = max(0, x); ``ReLU(inplace=False)``."""

    def __init__(self, inplace=False):
        super().__init__(inplace)


class Tanh(CudnnClass, nn.Tanh):
    """y = tanh(x); ``Tanh(inplace=False)`` (nn's has no in-place flag)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = check_inplace('cudnn.Tanh', inplace)


class Sigmoid(CudnnClass, nn.Sigmoid):
    """y = 1 / (1 + exp(-x)); ``Sigmoid(inplace=False)``."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = check_inplace('cudnn.Sigmoid', inplace)


class ClippedReLU(CudnnClass, nn.HardTanh):
    """y = min(max(0, x), ceiling), cuDNN's CLIPPED_RELU: nn.HardTanh(0, ceiling, inplace).

    ``ClippedReLU(ceiling, inplace=False)``; the ceiling is required and must be positive. The gradient
    passes where 0 < x < ceiling, as HardTanh's.
    """

    def __init__(self, ceiling, inplace=False):
        if isinstance(ceiling, bool) or not isinstance(ceiling, (int, float)) or not ceiling > 0:
            raise ValueError(f"cudnn.ClippedReLU: ceiling must be a positive number, got {ceiling!r}")
        super().__init__(0, ceiling, inplace)
        self.ceiling = ceiling

    def __repr__(self):
        return 'cudnn.ClippedReLU'
