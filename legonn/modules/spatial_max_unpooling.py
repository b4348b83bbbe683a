"""SpatialMaxUnpooling: the partial inverse of a SpatialMaxPooling, using that module's indices."""
from ..tensor.backend import array_module
from .errors import input_error
from .module import Module
from .spatial_convolution import batched
from .spatial_pooling import SpatialMaxPooling


class SpatialMaxUnpooling(Module):
    """Puts each input value back where the paired pooling found its maximum; zeros elsewhere.

    ``SpatialMaxUnpooling(poolingModule)`` with a SpatialMaxPooling (or
    SpatialDilatedMaxPooling) that has run forward; input of the pooling's output
    size, output of its input size: (C, H, W) or (N, C, H, W).
    """

    def __init__(self, poolingModule):
        super().__init__()
        if not isinstance(poolingModule, SpatialMaxPooling):
            raise TypeError(f"SpatialMaxUnpooling: expected a SpatialMaxPooling module, got "
                            f"{type(poolingModule).__name__}")
        self.pooling = poolingModule

    def _check(self, input, gradOutput=None):
        x = batched(self, input)
        idx = self.pooling.indices
        if idx is None:
            raise input_error(self, f"its pooling module {self.pooling.shortName()} to have run forward first",
                              "a pooling module with no indices")
        if tuple(idx.size()) != tuple(input.size()):
            raise input_error(self, f"an input of the pooling's output size {tuple(idx.size())}",
                              f"{tuple(input.size())}")
        sizes = tuple(input.size())[:-2] + self.pooling._input_hw
        if gradOutput is not None:
            if not hasattr(gradOutput, 'size') or tuple(gradOutput.size()) != sizes:
                raise input_error(self, f"gradOutput of size {sizes}", tuple(getattr(gradOutput, 'size', tuple)()))
            self.checkSameType(gradOutput, input, 'gradOutput (the input\'s type)')
        return x, idx.array.reshape(x.shape), sizes

    def _flat(self, x, idx):
        xp = array_module(idx)
        n, c = x.shape[:2]
        h, w = self.pooling._input_hw
        return (idx.reshape(n * c, -1) + (xp.arange(n * c) * (h * w))[:, None]).reshape(-1)

    def updateOutput(self, input):
        x, idx, sizes = self._check(input)
        out = self.bufferLike('output', input, sizes)
        out.fill(0)
        # overlapping pooling windows can name one position twice: the last write wins, as in THNN
        out.reshape(-1)[self._flat(x, idx)] = x.reshape(-1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        x, idx, sizes = self._check(input, gradOutput)
        gi = self.bufferLike('gradInput', input)
        gi.reshape(-1)[...] = gradOutput.array.reshape(-1)[self._flat(x, idx)]
        return self.gradInput

    def __repr__(self):
        return f"nn.{type(self).__name__} associated to {self.pooling!r}"
