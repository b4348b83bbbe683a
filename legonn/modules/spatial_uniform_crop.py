"""SpatialUniformCrop: a random window of each image in training, the centre one in evaluation (dpnn's
SpatialUniformCrop.lua)."""
import math

from ..tensor import TENSOR_CLASSES
from ..tensor.interpolation_kernels import resample_bilinear, resample_bilinear_grad
from ..tensor.random import SCALAR_DRAWS
from ..tensor.introspection import typename as lua_typename
from .base.errors import input_error
from .base.module import Module


class SpatialUniformCrop(Module):
    """Crop ``(oheight, owidth)`` windows: in training at a random place per image, in evaluation near the centre.

    ``SpatialUniformCrop(oheight, owidth=oheight)``; input ``(C, H, W)`` or ``(batch, C, H, W)``, output ``(C,
    oheight, owidth)`` or batched. Training draws each top-left corner as dpnn does, ``ceil(uniform(0.01, H -
    oheight))`` counted from 1, so 0-based starts ``0 .. H - oheight - 1`` (the last position is never drawn);
    evaluation starts at ``ceil((H - oheight) / 2) - 1`` (``0`` when ``H == oheight``, where dpnn fails).
    ``coord`` ``(batch, 2)`` keeps the 0-based (row, column) of each window; gradInput is gradOutput placed
    there, zeros elsewhere.

    ``scale`` (``{'min': a, 'max': b}`` or ``[a, b]``, as dpnn's table) makes training crops of a random size:
    per image ``s = uniform(a, b)`` (kept in the FloatTensor ``scales``), a window of ``ceil(s * oheight)`` x
    ``ceil(s * owidth)`` placed as dpnn does (its column start reads the image height where it means the
    width; kept, so non-square images can put the window past the edge, which raises), then brought to
    ``oheight`` x ``owidth`` by nnx's SpatialReSampling arithmetic; gradInput is that resampling's gradient
    placed on the window. Evaluation crops the centre without scaling, as dpnn."""

    input_ranks = (3, 4)
    positive_ints = ('oheight', 'owidth')

    def __init__(self, oheight, owidth=None, scale=None):
        super().__init__()
        owidth = oheight if owidth is None else owidth
        self.checkHyper(oheight=oheight, owidth=owidth)
        self.oheight, self.owidth, self.scale = oheight, owidth, scale
        if scale is not None:
            low, high = self._scale_range()
            if not 0 < low <= high:
                raise ValueError(f"SpatialUniformCrop: scale must be {{min, max}} with 0 < min <= max, got {scale!r}")
            if oheight < 2 or owidth < 2:
                raise ValueError(f"SpatialUniformCrop: scaled crops resample to oheight x owidth, which nnx's "
                                 f"SpatialReSampling needs to be at least 2x2, got {oheight}x{owidth}")

    def _scale_range(self):
        """(min, max) of the scale: dpnn reads ``scale['min'] or scale[1]``, ``scale['max'] or scale[2]``."""
        scale = self.scale
        try:
            low, high = (scale['min'], scale['max']) if isinstance(scale, dict) else (scale[0], scale[1])
        except (KeyError, IndexError, TypeError):
            raise ValueError(f"SpatialUniformCrop: scale must be {{'min': a, 'max': b}} or [a, b], got "
                             f"{scale!r}") from None
        for v in (low, high):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"SpatialUniformCrop: scale must hold two numbers, got {scale!r}")
        return low, high

    def _scaled_windows(self, iH, iW, batch):
        """dpnn's scaled training windows: per image (0-based row, column, height, width), in ``coord``,
        ``cropSize`` and ``scales``; draws s, then the row, then the column, as the Lua loop."""
        coord = self.coord = TENSOR_CLASSES['IntTensor'](batch, 2)
        size = self.cropSize = TENSOR_CLASSES['IntTensor'](batch, 2)
        self.scales = TENSOR_CLASSES['FloatTensor'](batch)
        low, high = self._scale_range()
        for i in range(batch):
            s = SCALAR_DRAWS['uniform'](low, high)
            soh, sow = math.ceil(s * self.oheight), math.ceil(s * self.owidth)
            h = math.ceil(SCALAR_DRAWS['uniform'](1e-2, iH - soh))
            w = math.ceil(SCALAR_DRAWS['uniform'](1e-2, iW - sow))
            ch = math.ceil(iH / 2 - (iH - soh) / 2 + h)
            cw = math.ceil(iW / 2 - (iH - sow) / 2 + w)   # dpnn's iH, see the docstring
            h1, w1 = max(ch - math.ceil(soh / 2), 1), max(cw - math.ceil(sow / 2), 1)
            if h1 - 1 + soh > iH or w1 - 1 + sow > iW:
                raise input_error(self, f"an image holding the scaled {soh}x{sow} window at ({h1 - 1}, {w1 - 1}) "
                                        f"(scale {s:.4g})", f"{iH}x{iW}")
            self.scales[i] = s
            coord[i, 0], coord[i, 1], size[i, 0], size[i, 1] = h1 - 1, w1 - 1, soh, sow
        return [c + z for c, z in zip(coord.numpy().tolist(), size.numpy().tolist())]

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
        if self.train and self.scale is not None:
            for i, (h, w, sh, sw) in enumerate(self._scaled_windows(iH, iW, batch)):
                out[i] = resample_bilinear(x.xp, x.array[i, :, h:h + sh, w:w + sw], self.oheight, self.owidth)
        else:
            self.__dict__.pop('cropSize', None)
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
        sizes = self.__dict__.get('cropSize')
        if sizes is not None:
            for i, ((h, w), (sh, sw)) in enumerate(zip(coord.numpy().tolist(), sizes.numpy().tolist())):
                window = x.xp.zeros((x.size(1), sh, sw), dtype=gi.dtype)
                gi[i, :, h:h + sh, w:w + sw] = resample_bilinear_grad(x.xp, g.array[i], window)
        else:
            for i, (h, w) in enumerate(coord.numpy().tolist()):
                gi[i, :, h:h + self.oheight, w:w + self.owidth] = g.array[i]
        self.gradInput = self.fromBatch(self.gradInput, 0)
        return self.gradInput

    def _forget_windows(self):
        for name in ('coord', 'cropSize', 'scales'):
            self.__dict__.pop(name, None)

    def type(self, typename=None, cache=None):
        self._forget_windows()
        return super().type(typename, cache)

    def clearState(self):
        self._forget_windows()
        return super().clearState()

    def __repr__(self):
        scale = '' if self.scale is None else f", scale={self.scale!r}"
        return f"{lua_typename(self)}({self.oheight}x{self.owidth}{scale})"
