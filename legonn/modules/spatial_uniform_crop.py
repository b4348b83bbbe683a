"""SpatialUniformCrop: a random window of each image in training, the centre one in evaluation (dpnn's
SpatialUniformCrop.lua)."""
import math

from ..tensor import TENSOR_CLASSES
from ..tensor.random import SCALAR_DRAWS
from .base.errors import input_error
from .base.module import Module


class SpatialUniformCrop(Module):
    """Crop ``(oheight, owidth)`` windows: in training at a random place per image, in evaluation near the centre.

    ``SpatialUniformCrop(oheight, owidth=oheight)``; input ``(C, H, W)`` or ``(batch, C, H, W)``, output ``(C,
    oheight, owidth)`` or batched. Training draws each top-left corner as dpnn does, ``ceil(uniform(0.01, H -
    oheight))`` counted from 1, so 0-based starts ``0 .. H - oheight - 1`` (the last position is never drawn);
    evaluation starts at ``ceil((H - oheight) / 2) - 1`` (``0`` when ``H == oheight``, where dpnn fails).
    ``coord`` ``(batch, 2)`` keeps the 0-based (row, column) of each window; gradInput is gradOutput placed
    there, zeros elsewhere. dpnn's ``scale`` argument (rescaled crops through nnx's SpatialReSampling) is not
    available."""

    input_ranks = (3, 4)
    positive_ints = ('oheight', 'owidth')

    def __init__(self, oheight, owidth=None, scale=None):
        super().__init__()
        owidth = oheight if owidth is None else owidth
        self.checkHyper(oheight=oheight, owidth=owidth)
        if scale is not None:
            raise ValueError("SpatialUniformCrop: scale needs nnx's SpatialReSampling, which legonn does not have")
        self.oheight, self.owidth = oheight, owidth

    def _starts(self, iH, iW, batch):
        """0-based (row, column) of each image's window, kept in ``coord``."""
        coord = self.coord = TENSOR_CLASSES['IntTensor'](batch, 2)
        if self.train:
            for i in range(batch):
                coord[i, 0] = math.ceil(SCALAR_DRAWS['uniform'](1e-2, iH - self.oheight)) - 1
                coord[i, 1] = math.ceil(SCALAR_DRAWS['uniform'](1e-2, iW - self.owidth)) - 1
        else:
            coord.select(1, 0).fill(max(math.ceil((iH - self.oheight) / 2) - 1, 0))
            coord.select(1, 1).fill(max(math.ceil((iW - self.owidth) / 2) - 1, 0))
        return coord.numpy().tolist()

    def updateOutput(self, input):
        x = self.toBatch(input, 3)
        batch, planes, iH, iW = x.size()
        if iH < self.oheight or iW < self.owidth:
            raise input_error(self, f"images of at least {self.oheight}x{self.owidth}", f"{iH}x{iW}")
        out = self.bufferLike('output', x, (batch, planes, self.oheight, self.owidth))
        for i, (h, w) in enumerate(self._starts(iH, iW, batch)):
            out[i] = x.array[i, :, h:h + self.oheight, w:w + self.owidth]
        self.output = self.fromBatch(self.output, 0)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkInput(input)
        self.checkGradOutput(gradOutput, self.output)
        x, g = self.toBatch(input, 3), self.toBatch(gradOutput, 3)
        coord = self.__dict__.get('coord')
        if coord is None or coord.size(0) != x.size(0):
            raise input_error(self, "a forward on this input before backward", "none")
        gi = self.bufferLike('gradInput', x)
        gi[...] = 0
        for i, (h, w) in enumerate(coord.numpy().tolist()):
            gi[i, :, h:h + self.oheight, w:w + self.owidth] = g.array[i]
        self.gradInput = self.fromBatch(self.gradInput, 0)
        return self.gradInput

    def type(self, typename=None, cache=None):
        self.__dict__.pop('coord', None)
        return super().type(typename, cache)

    def clearState(self):
        self.__dict__.pop('coord', None)
        return super().clearState()

    def __repr__(self):
        return f"nn.SpatialUniformCrop({self.oheight}x{self.owidth})"
