"""fbnn's lookup tables: WeightedLookupTable (each looked-up row scaled by a weight given with its index) and
FasterLookup (an embedding that counts how often each row was seen)."""
from ..modules.base.errors import check_hyper
from ..modules.base.module import Module
from ..modules.base.typed import kind_class
from ..modules.lookup_table import LookupTable
from ..tensor.backend import to_module
from ..tensor.scatter_kernels import scatter_add
from ..tensor.introspection import typename as lua_typename
from .base import FbnnClass


class WeightedLookupTable(FbnnClass, LookupTable):
    """nn.WeightedLookupTable(nIndex, nOutput): input ``(n, 2)``, column 0 the 0-based row indices (whole
    numbers) and column 1 their weights; output ``(n, nOutput)``, row i ``weight[index_i] * weight_i``.
    accGradParameters adds ``scale * weight_i * gradOutput[i]`` to row ``index_i`` of gradWeight (nn.LookupTable's
    rule on the weighted gradient); gradInput is zeros ``(n, 2)`` (WeightedLookupTable.lua; the weights get no
    gradient there either)."""

    input_ranks = (2,)

    def _columns(self, input):
        """(indices, weights) columns of a checked ``(n, 2)`` input."""
        self.checkInput(input)
        if input.size(1) != 2:
            raise ValueError(f"{self.shortName()}: expected an (n, 2) input of (index, weight) rows, got size "
                             f"{tuple(input.size())}")
        return input.select(1, 0), input.select(1, 1)

    def _indices(self, input, checked=False):
        # LookupTable's lookups, renorm and gradInput read the index column through this; a copy of a float column,
        # checked at every call (``checked`` is LookupTable's leave to skip a backward's range read)
        indices, _ = self._columns(input)
        return self.checkIndices(indices, self.weight.size(0), 'indices', self.weight.xp, self.index_offset)

    def updateOutput(self, input):
        self.checkSameType(input, self.weight)
        super().updateOutput(input)
        self.output.array[...] *= input.array[:, 1:]
        return self.output

    def accGradParameters(self, input, gradOutput, scale=1):
        _, weights = self._columns(input)
        self.checkGradOutput(gradOutput, self.output)
        weighted = self.bufferLike('_gradOutput', gradOutput)
        input.xp.multiply(gradOutput.array, weights.array[:, None], out=weighted)
        super().accGradParameters(input, self._gradOutput, scale)


class ZeroIndexGradient:
    """updateGradInput of the modules fed indices (``_indices`` checks them): zeros of the input's size."""

    def updateGradInput(self, input, gradOutput):
        self._indices(input)
        self.checkGradOutput(gradOutput, self.output)
        self.bufferLike('gradInput', input)[...] = 0
        return self.gradInput


class FasterLookup(ZeroIndexGradient, FbnnClass, Module):
    """nn.FasterLookup(nIndex, dim, skipBoundChecking, scaleGradByFreq, concurrentUpdates): an embedding,
    ``output[..., :] = weight[index]`` for ``(n,)`` or ``(batch, n)`` 0-based integer indices, ``weight``
    ``(nIndex, dim)`` drawn from N(0, 1). Unlike nn.LookupTable it counts, in ``count`` (an IntTensor), how often
    accGradParameters saw each row since ``zeroGradParameters``, and ``updateParameters(lr)`` steps only the
    rows seen, by ``lr`` or, with ``scaleGradByFreq``, by ``lr / count`` (FasterLookup.c).
    ``accUpdateGradParameters(input, gradOutput, lr)`` subtracts ``lr * gradOutput[i]`` (over this input's count
    of the row with ``scaleGradByFreq``) from each row at once.

    Indices are always checked (``skipBoundChecking`` is kept but a bad index raises the IndexError instead of
    reading outside the weight); ``concurrentUpdates`` (OpenMP updates that may drop some) is kept and changes
    nothing. gradInput is zeros of the input's size (indices have no gradient).
    """

    input_ranks = (1, 2)
    input_dtypes = 'any'   # integer indices

    def __init__(self, nIndex, dim, skipBoundChecking=False, scaleGradByFreq=False, concurrentUpdates=False):
        super().__init__()
        check_hyper('FasterLookup', positive=dict(nIndex=nIndex, dim=dim))
        self.count = kind_class(self.output, 'Int')(nIndex).zero()
        self.weight = self.output.new(nIndex, dim).normal(0, 1)
        self.gradWeight = self.output.new(nIndex, dim).zero()
        self.skipBoundChecking = bool(skipBoundChecking)
        self.scaleGradByFreq = bool(scaleGradByFreq)
        self.concUpdates = bool(concurrentUpdates)

    def _indices(self, input):
        self.checkInput(input)
        return self.checkIndices(input, self.weight.size(0), 'indices', self.weight.xp)

    def updateOutput(self, input):
        idx = self._indices(input)
        out = self.bufferLike('output', self.weight, tuple(idx.shape) + (self.weight.size(1),))
        self.weight.xp.take(self.weight.array, idx, axis=0, out=out)
        return self.output

    def _rows_and_gradient(self, input, gradOutput):
        """(flat checked indices, gradOutput as (indices, dim) rows)."""
        flat = self._indices(input).reshape(-1)
        self.checkGradOutput(gradOutput, self.output)
        return flat, gradOutput.array.reshape(flat.size, -1)

    def _counts(self, flat):
        """How often each row occurs in ``flat``, on the weight's device (an int array of nIndex)."""
        return self.weight.xp.bincount(flat, minlength=self.weight.size(0)).astype(self.count.array.dtype)

    def accGradParameters(self, input, gradOutput, scale=1):
        flat, go = self._rows_and_gradient(input, gradOutput)
        self.count.array[...] += to_module(self._counts(flat), self.count.xp)
        scatter_add(self.gradWeight.array, flat, (go * scale).astype(self.gradWeight.dtype, copy=False))

    def zeroGradParameters(self):
        self.gradWeight.resizeAs(self.weight).zero()
        self.count.zero()

    def updateParameters(self, learningRate):
        xp = self.weight.xp
        counts = to_module(self.count.array, xp)
        step = xp.where(counts > 0, learningRate / xp.maximum(counts, 1) if self.scaleGradByFreq else learningRate,
                        0)
        self.weight.array[...] -= step[:, None].astype(self.weight.dtype) * self.gradWeight.array

    def accUpdateGradParameters(self, input, gradOutput, lr):
        flat, go = self._rows_and_gradient(input, gradOutput)
        scale = self.weight.xp.full(flat.shape, -lr, dtype=self.weight.dtype)
        if self.scaleGradByFreq:
            counts = self._counts(flat)
            # the C resets the seen rows' counts to this input's, then divides by them
            self.count.array[to_module(flat, self.count.xp)] = to_module(counts[flat], self.count.xp)
            scale /= counts[flat]
        scatter_add(self.weight.array, flat, (go * scale[:, None]).astype(self.weight.dtype, copy=False))

    def __repr__(self):
        return f"{lua_typename(self)}({self.weight.size(0)}, {self.weight.size(1)})"


class LookupTableGPU(FbnnClass, LookupTable):
    """fbcunn's nn.LookupTableGPU(nInput, nOutput, featuresInDim2=False) (fbcunn/LookupTableGPU.lua; kept with
    fbnn's classes, as fbcunn's Lua loads fbnn): ``weight`` ``(nInput, nOutput)``; a ``(n,)`` input of 0-based
    indices gives ``(n, nOutput)``, a ``(batch, n)`` one ``(batch, n, nOutput)``, or ``(batch, nOutput, n)``
    with ``featuresInDim2``. Where ``unk_index`` (a field the user sets, 0-based; None by default) is the index,
    the output row is zeros and ``weight`` gets no gradient. ``reset(stdv)`` draws the weight as the Lua's
    ``weight:normal(stdv)``: mean ``stdv`` (1 by default), standard deviation 1. gradInput is zeros of the
    input's size (the Lua's updateGradInput returns nothing)."""

    def __init__(self, nInput, nOutput, featuresInDim2=None):
        super().__init__(nInput, nOutput)
        self.nInput, self.nOutput = nInput, nOutput
        self.featuresInDim2 = bool(featuresInDim2)   # `featuresInDim2 or false`: Lua's truth, nil and false off
        self.unk_index = None

    def reset(self, stdv=None):
        # Tensor:normal(a) takes a as the mean: the Lua's weights have mean 1 and deviation 1
        self.weight.normal(1 if stdv is None else stdv, 1)
        return self

    def _features_last(self, input, array):
        """``array`` laid out as ``(..., n, nOutput)``: featuresInDim2's batch ``(batch, nOutput, n)`` swapped."""
        return array.transpose(0, 2, 1) if self.featuresInDim2 and input.dim() == 2 else array

    def updateOutput(self, input):
        idx = self._indices(input)
        rows = self.weight.xp.take(self.weight.array, idx, axis=0)
        if self.unk_index is not None:
            rows[idx == self.unk_index] = 0
        rows = self._features_last(input, rows)
        self.bufferLike('output', self.weight, rows.shape)[...] = rows
        return self.output

    def accGradParameters(self, input, gradOutput, scale=1):
        idx = self._indices(input, checked=True)
        self.checkGradOutput(gradOutput, self.output)
        flat = idx.reshape(-1)
        go = self._features_last(input, gradOutput.array).reshape(flat.size, -1) * scale
        if self.unk_index is not None:
            go = self.weight.xp.where((flat != self.unk_index)[:, None], go, 0)
        scatter_add(self.gradWeight.array, flat, go.astype(self.gradWeight.dtype, copy=False))

    def __repr__(self):
        return f"nn.LookupTableGPU({self.nInput}, {self.nOutput})"
