"""LookupTable: embeddings, one learnt row of ``weight`` per index (0-based); LookupTableMaskZero, whose index -1
is padding looked up as zeros (Element-Research rnn)."""
import numpy as np

from ..tensor.backend import is_cupy_array, recording
from ..tensor.scatter_kernels import scatter_add
from ..tensor.introspection import typename as lua_typename
from ..tensor.reductions import in_acctype
from .base.errors import check_hyper, check_number
from .base.module import Module
from .base.training import lua_or


class LookupTable(Module):
    """output[..., :] = weight[index]: rows of ``weight`` ``(nIndex, nOutput)`` picked by 0-based indices.

    ``LookupTable(nIndex, nOutput, paddingValue=None, maxNorm=None, normType=2)``.
    Input: ``(n,)`` or ``(batch, n)`` integer indices (an integer tensor, or a floating
    one holding whole numbers); output ``(n, nOutput)`` or ``(batch, n, nOutput)``.
    Rows whose index is ``paddingValue`` receive no gradient; ``None`` (the default) pads
    nothing. The constructor refuses ``paddingValue=0``: Torch7's 0 meant "no padding"
    (its indices start at 1), so a literal port must not silently freeze row 0; pass
    ``None`` for no padding, or call ``setPadding(0)`` to keep row 0 out of training. With ``maxNorm``, every
    row the input references is rescaled in place before the lookup so that its
    ``normType``-norm is at most ``maxNorm`` (Torch7's renorm). ``scaleGradByFreq()``
    divides each row's gradient by how often its index appears in the input.
    ``gradInput`` is zeros of the input's size (indices have no gradient). Indices on the
    other device than the weight's are copied to it, as Torch7's (a host LongTensor feeds a
    CUDA table).
    """
    input_ranks = (1, 2)
    input_dtypes = 'any'  # integer indices are part of its input
    any_device = True  # host indices serve a GPU table (and back): _indices copies them to the weight's device

    def __init__(self, nIndex, nOutput, paddingValue=None, maxNorm=None, normType=None):
        super().__init__()
        check_hyper('LookupTable', positive=dict(nIndex=nIndex, nOutput=nOutput))
        if paddingValue == 0 and not isinstance(paddingValue, bool):
            raise ValueError("LookupTable: paddingValue 0 is Torch7's 'no padding' (1-based indices); legonn's "
                             "indices are 0-based: pass None for no padding, or call setPadding(0) to pad row 0")
        self.weight = self.output.new(nIndex, nOutput)
        self.gradWeight = self.output.new(nIndex, nOutput)
        self.setPadding(paddingValue)
        self.setMaxNorm(maxNorm)
        self.setNormType(normType)
        self.shouldScaleGradByFreq = False
        self.reset()

    def reset(self, stdv=None):
        # a container's reset() passes its stdv (None) on, which means the default, 1, as LookupTable.lua's
        self.weight.normal(0, 1 if stdv is None else stdv)
        return self

    def setPadding(self, paddingValue):
        """Keep row ``paddingValue`` (a 0-based index, or None for none) out of training."""
        n = self.weight.size(0)
        if paddingValue is not None and (not isinstance(paddingValue, int) or isinstance(paddingValue, bool)
                                         or not 0 <= paddingValue < n):
            raise ValueError(f"{self.shortName()}: paddingValue must be None (no padding) or a 0-based row "
                             f"index in [0, {n}), got {paddingValue!r}")
        self.paddingValue = paddingValue
        return self

    def setMaxNorm(self, maxNorm):
        """Renormalise each row the input references to a norm of at most ``maxNorm`` (None: no limit)."""
        self.maxNorm = self._positive_or_none('maxNorm', maxNorm)
        return self

    def setNormType(self, normType):
        """The p of that norm (None: 2)."""
        self.normType = self._positive_or_none('normType', normType)
        return self

    def _positive_or_none(self, name, value):
        # THNN's renorm refuses p <= 0 ("non-positive-norm not supported"), and a maxNorm <= 0 would flip every
        # row it rescales: both fail here, when set, rather than at a forward
        if value is not None and not check_number(self.shortName(), name, value) > 0:
            raise ValueError(f"{self.shortName()}: {name} must be a positive number or None, got {value!r}")
        return value

    def accUpdateOnly(self):
        """Drop ``gradWeight`` (a table of ``nIndex x nOutput`` can be large) for a module trained only by
        ``accUpdateGradParameters`` / ``backwardUpdate``, which step ``weight`` directly; as LookupTable.lua."""
        self.gradWeight = None
        return self

    def scaleGradByFreq(self):
        self.shouldScaleGradByFreq = True
        return self

    # what an input index adds to give its row of weight (LookupTableMaskZero's padding index -1 is row 0)
    index_offset = 0

    def _indices(self, input, checked=False):
        """The input as an int64 array of checked row numbers, only read (int64 indices already on the weight's
        device are the input's own array); nothing is touched before this passes. ``checked``: a backward's call,
        which on the GPU reads no range (a host synchronisation) of the indices the last forward checked (the
        same memory and geometry: ClassNLLCriterion's rule for its labels); a CUDA graph checks none."""
        self.checkInput(input)
        arr, n = input.array, self.weight._size[0]
        key = None
        if not self.index_offset and is_cupy_array(arr) and arr.dtype == np.int64 and self.weight._cuda:
            key = (arr.data.ptr, arr.shape, arr.strides, n)
            if checked and self.__dict__.get('_checked_indices') == key:
                return arr
        # indices on the other device are copied to the weight's, as LookupTable.lua's makeInputContiguous
        # copies any input whose type is not its _input's (a CudaLongTensor once the module is on the GPU)
        idx = self.checkIndices(input, n, 'indices', self.weight.xp, self.index_offset, readonly=True)
        if key is not None and not recording():   # a recording checks nothing
            self._checked_indices = key
        return idx

    def maxParamNorm(self, maxOutNorm=None, maxInNorm=None):
        """dpnn's max-norm constraint for an embedding: each column of ``weight`` (what feeds one output unit) to
        an L2 norm of at most ``maxOutNorm``, then each row (one index's embedding) to at most ``maxInNorm``.
        As dpnn's LookupTable.lua, a missing ``maxOutNorm`` takes ``maxInNorm``'s value."""
        maxOutNorm = lua_or(self.__dict__.get('maxOutNorm'), maxOutNorm, self.__dict__.get('maxInNorm'),
                             maxInNorm)
        if maxOutNorm is None and maxInNorm is None:
            return
        if maxOutNorm is not None and maxOutNorm > 0:
            self.weight.renorm(2, 1, maxOutNorm)
        if maxInNorm is not None and maxInNorm > 0:
            self.weight.renorm(2, 0, maxInNorm)

    def renorm(self, input):
        """Rescale the rows ``input`` references to a ``normType``-norm of at most ``maxNorm``."""
        if self.maxNorm is None:
            return
        idx = self._indices(input)
        xp = self.weight.xp
        rows = xp.unique(idx.reshape(-1))
        w = self.weight.array
        p = 2 if self.normType is None else self.normType
        # a half table's norms in float, as THCUNN's renorm (its Acctype): a row of 30 values of 50 overflowed half
        # and was scaled to zero
        norms = (xp.abs(in_acctype(w[rows])) ** p).sum(axis=1) ** (1.0 / p)
        factor = xp.where(norms > self.maxNorm, self.maxNorm / (norms + 1e-7), 1)
        w[rows] *= factor[:, None].astype(w.dtype)

    def updateOutput(self, input):
        return self._lookup(input, self._indices(input))

    def _lookup(self, input, idx):
        """output = the rows ``idx`` (``_indices(input)``, checked) of weight, after renorm."""
        self.renorm(input)
        out = self.bufferLike('output', self.weight, tuple(idx.shape) + (self.weight.size(1),))
        self.weight.xp.take(self.weight.array, idx, axis=0, out=out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        # LookupTable.lua's updateGradInput never reads the indices, only their sizes: a subclass that shifts them
        # in updateOutput (rnn's and HieCoAttenVQA's LookupTableMaskZero add 1, their padding -1 becoming row 0)
        # hands this the unshifted ones
        self.checkInput(input)
        self.checkGradOutput(gradOutput, self.output)
        self.bufferLike('gradInput', input)[...] = 0
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        idx = self._indices(input, checked=True)
        self.checkGradOutput(gradOutput, self.output)
        xp = self.weight.xp
        flat = idx.reshape(-1)
        go = in_acctype(gradOutput.array.reshape(flat.size, -1))   # a half gradient scaled and summed in float
        if scale != 1:   # scaled into a new array: gradOutput is the caller's
            go = go * scale
        if self.shouldScaleGradByFreq:
            counts = xp.bincount(flat, minlength=self.weight.size(0))
            go = go / counts[flat][:, None]
        if self.paddingValue is not None:
            # THNN skips the padding rows (a select, not a product: an inf or NaN there must not reach the table)
            go = xp.where((flat != self.paddingValue)[:, None], go, 0)
        dtype = self.gradWeight.dtype
        if dtype == np.float16:
            # THCUNN adds all the rows of one index in its Acctype and rounds once; half adds one at a time stall
            # (2048 + 1 is 2048 in half). The table is summed into in float (a row no index names comes back
            # unchanged): no host synchronisation, as a CUDA graph's capture needs, where finding the rows would
            gw = self.gradWeight.array
            gw[...] = scatter_add(in_acctype(gw), flat, go)
            return
        scatter_add(self.gradWeight.array, flat, go if go.dtype == dtype else go.astype(dtype))

    def clearState(self, *names):
        self.__dict__.pop('_checked_indices', None)
        return super().clearState(*names)

    def __repr__(self):
        # lg.load names a module whose weight it refuses by this text: it must not fail on that weight itself
        if self.weight.dim() != 2:
            return f"{lua_typename(self)}(weight of size {tuple(self.weight.size())})"
        return f"{lua_typename(self)}({self.weight.size(0)}, {self.weight.size(1)})"


class LookupTableMaskZero(LookupTable):
    """LookupTable whose index -1 gives a row of zeros, for sequences padded to one length (rnn's
    LookupTableMaskZero.lua, where the padding index is 0 and indices start at 1: both shift down by one here).

    ``LookupTableMaskZero(nIndex, nOutput)``: ``weight`` is ``(nIndex + 1, nOutput)``; row 0 is the padding row,
    zeroed at every forward, and index ``i`` in ``[0, nIndex)`` looks up row ``i + 1``. Inputs and outputs are
    LookupTable's. As in the Lua, no row is kept out of training: the padding's gradients gather in
    ``gradWeight``'s row 0 (and count in its norm), though forward zeroes the row again.
    """
    index_offset = 1

    def __init__(self, nIndex, nOutput):
        check_hyper('LookupTableMaskZero', positive=dict(nIndex=nIndex, nOutput=nOutput))
        super().__init__(nIndex + 1, nOutput)

    def reset(self, stdv=None):
        # the padding row starts at zero, as every forward leaves it: a forward then changes no parameter (a
        # refused call after it, neither)
        super().reset(stdv)
        self.weight.array[0] = 0
        return self

    def updateOutput(self, input):
        idx = self._indices(input)   # a bad input fails before the weight is touched
        self.weight.array[0] = 0
        return self._lookup(input, idx)

    def __repr__(self):
        return f"{lua_typename(self)}({self.weight.size(0) - 1}, {self.weight.size(1)})"
