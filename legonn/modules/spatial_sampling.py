"""nnx's integer-factor resamplers of image planes: SpatialUpSampling (nearest neighbour, nnx's
SpatialUpSampling.lua and generic/SpatialUpSampling.c), SpatialDownSampling (block average,
generic/SpatialDownSampling.c) and SpatialMaxSampling (max over the cells of an output grid,
generic/SpatialMaxSampling.c)."""
import numpy as np

from ..tensor.bin_kernels import bin_max, scatter_bins
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_hyper, input_error
from .base.lua_arguments import table_arguments
from .base.module import Module
from ..tensor.reductions import reducer


class SpatialUpSampling(Module):
    """Nearest-neighbour up-sampling by integer factors: output pixel ``(y, x)`` is input pixel ``(y // dH,
    x // dW)``; gradInput sums the ``dH x dW`` gradOutput pixels of each input pixel.

    ``SpatialUpSampling(dW, dH, yDim=1, xDim=2)`` (or ``SpatialUpSampling({'dW': 2, 'dH': 2})``): the image axes
    are ``yDim`` and ``xDim = yDim + 1``, 0-based (nnx's defaults 2 and 3 are 1-based); the other axes, before
    and after, are any number of planes. An input ``(C, H, W)`` gives ``(C, H * dH, W * dW)``.
    """

    def __init__(self, dW=None, dH=None, yDim=1, xDim=2):
        super().__init__()
        if isinstance(dW, dict):   # the Lua call with a table, SpatialUpSampling{dW=2, dH=2}
            dW, dH, yDim, xDim = table_arguments('SpatialUpSampling', dW, ('dW', 'dH', 'yDim', 'xDim'),
                                                 (None, None, 1, 2))
        check_hyper('SpatialUpSampling', positive=dict(dW=dW, dH=dH), nonnegative=dict(yDim=yDim, xDim=xDim))
        if yDim + 1 != xDim:
            raise ValueError(f"SpatialUpSampling: yDim must be xDim - 1, got yDim={yDim}, xDim={xDim}")
        self.dW, self.dH, self.yDim, self.xDim = dW, dH, yDim, xDim

    def _check(self, input):
        self.checkTensor(input, floating=True)
        if input.dim() <= self.xDim:
            raise input_error(self, f"an input with an x axis {self.xDim} (at least {self.xDim + 1}-D)",
                              f"{input.dim()}-D of size {tuple(input.size())}")
        return tuple(input.size())

    def _shapes(self, sizes):
        """(input as (lead, H, 1, W, 1, trail), output sizes, output as (lead, H, dH, W, dW, trail))."""
        lead = int(np.prod(sizes[:self.yDim], dtype=np.int64))
        trail = int(np.prod(sizes[self.xDim + 1:], dtype=np.int64))
        h, w = sizes[self.yDim], sizes[self.xDim]
        out_sizes = sizes[:self.yDim] + (h * self.dH, w * self.dW) + sizes[self.xDim + 1:]
        return (lead, h, 1, w, 1, trail), out_sizes, (lead, h, self.dH, w, self.dW, trail)

    def updateOutput(self, input):
        small, out_sizes, big = self._shapes(self._check(input))
        out = self.bufferLike('output', input, out_sizes)
        out.reshape(big)[...] = input.array.reshape(small)
        return self.output

    def updateGradInput(self, input, gradOutput):
        small, out_sizes, big = self._shapes(self._check(input))
        self.checkSize(gradOutput, out_sizes)
        self.checkSameType(gradOutput, input, 'gradOutput')
        gi = self.bufferLike('gradInput', input)
        gradOutput.array.reshape(big).sum(axis=(2, 4), keepdims=True, out=gi.reshape(small))
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.dW}, {self.dH})"


class SpatialDownSampling(Module):
    """Block average: input ``(C, H, W)``, output ``(C, H // rH, W // rW)``, each pixel the mean of its ``rH x
    rW`` block (rows and columns past the last whole block are dropped); gradInput spreads each gradOutput
    pixel evenly over its block.

    ``SpatialDownSampling(rW, rH)`` (or ``SpatialDownSampling({'rW': 2, 'rH': 2})``). As the C, the block sum
    is multiplied by ``1/(rH*rW)`` rounded to single precision.
    """

    input_ranks = (3,)

    def __init__(self, rW=None, rH=None):
        super().__init__()
        if isinstance(rW, dict):
            rW, rH = table_arguments('SpatialDownSampling', rW, ('rW', 'rH'), (None, None))
        check_hyper('SpatialDownSampling', positive=dict(rW=rW, rH=rH))
        self.rW, self.rH = rW, rH

    def _check(self, input):
        self.checkInput(input)
        c, h, w = input.size()
        if h < self.rH or w < self.rW:
            raise input_error(self, f"an input of at least {self.rH}x{self.rW} pixels (rH x rW)",
                              f"{h}x{w} (input of size {tuple(input.size())})")
        return c, h // self.rH, w // self.rW

    def _factor(self):
        return float(np.float32(1.0) / np.float32(self.rH * self.rW))

    def updateOutput(self, input):
        c, oh, ow = self._check(input)
        blocks = input.array[:, :oh * self.rH, :ow * self.rW].reshape(c, oh, self.rH, ow, self.rW)
        out = self.bufferLike('output', input, (c, oh, ow))
        reducer(input.xp, 'sum')(blocks, axis=(2, 4), out=out)
        out *= self._factor()
        return self.output

    def updateGradInput(self, input, gradOutput):
        c, oh, ow = self._check(input)
        self.checkSize(gradOutput, (c, oh, ow))
        self.checkSameType(gradOutput, input, 'gradOutput')
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        blocks = gi[:, :oh * self.rH, :ow * self.rW].reshape(c, oh, self.rH, ow, self.rW)
        blocks[...] = (gradOutput.array * self._factor())[:, :, None, :, None]
        return self.gradInput

    def __repr__(self):
        return f"{lua_typename(self)}({self.rW}, {self.rH})"


def _cells(size, osize):
    """(start, end) of each output cell along one axis, with the C's single-precision step ``size / osize``:
    start = int(i * step), end = max(start + 1, int((i + 1) * step))."""
    step = np.float32(size) / np.float32(osize)
    i = np.arange(osize + 1, dtype=np.float32)
    edges = (i * step).astype(np.int64)
    start = edges[:-1]
    return start, np.maximum(start + 1, edges[1:])


class SpatialMaxSampling(Module):
    """Max over the cells of an ``oheight x owidth`` grid laid on the input: input ``(C, H, W)``, output
    ``(C, oheight, owidth)``. Cell ``(i, j)`` covers rows ``int(i * H / oheight)`` up to ``max(that + 1,
    int((i + 1) * H / oheight))`` (exclusive) and the columns alike, the ratio in single precision as the C;
    the first maximum in row-major order wins and, as the C's ``>`` from -inf, a NaN never does (a cell of NaNs
    and -infs gives -inf and no gradient). gradInput puts each gradOutput pixel on its cell's maximum.

    ``SpatialMaxSampling(owidth, oheight)`` (or ``SpatialMaxSampling({'owidth': 4, 'oheight': 3})``).
    ``indices`` ``(2, C, oheight, owidth)`` holds each maximum's row then column offset inside its cell,
    0-based (the C's are 1-based).
    """

    input_ranks = (3,)

    def __init__(self, owidth=None, oheight=None):
        super().__init__()
        if isinstance(owidth, dict):
            owidth, oheight = table_arguments('SpatialMaxSampling', owidth, ('owidth', 'oheight'), (None, None))
        check_hyper('SpatialMaxSampling', positive=dict(owidth=owidth, oheight=oheight))
        self.owidth, self.oheight = owidth, oheight
        self.indices = self.output.new()

    def _cells(self, input):
        self.checkInput(input)
        return _cells(input.size(1), self.oheight), _cells(input.size(2), self.owidth)

    def updateOutput(self, input):
        rows, cols = self._cells(input)
        xp = input.xp
        c, w = input.size(0), input.size(2)
        out = self.bufferLike('output', input, (c, self.oheight, self.owidth))
        out[...], where = bin_max(xp, input.array, rows, cols)
        idx = self.bufferLike('indices', input, (2, c, self.oheight, self.owidth))
        idx[0] = where // w - xp.asarray(rows[0])[:, None]
        idx[1] = where % w - xp.asarray(cols[0])[None, :]
        return self.output

    def updateGradInput(self, input, gradOutput):
        rows, cols = self._cells(input)
        c, w = input.size(0), input.size(2)
        self.checkSize(gradOutput, (c, self.oheight, self.owidth))
        self.checkSameType(gradOutput, input, 'gradOutput')
        if self.indices._size != (2, c, self.oheight, self.owidth) or type(self.indices) is not type(input):
            raise input_error(self, f"indices of size {(2, c, self.oheight, self.owidth)} from a forward of this "
                              "input", f"{tuple(self.indices.size())}")
        xp = input.xp
        idx = self.indices.array
        where = ((idx[0] + xp.asarray(rows[0])[:, None]) * w + idx[1] + xp.asarray(cols[0])[None, :]).astype(xp.int64)
        gi = self.bufferLike('gradInput', input)
        gi[...] = 0
        scatter_bins(xp, gi, where, gradOutput.array)
        return self.gradInput

    def clearState(self):
        return super().clearState('indices')

    def __repr__(self):
        return f"{lua_typename(self)}({self.owidth}x{self.oheight})"
