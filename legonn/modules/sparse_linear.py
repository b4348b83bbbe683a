"""SparseLinear: a Linear layer fed with sparse (index, value) input."""
import numbers

from ..tensor.scatter_kernels import scatter_add
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_hyper, input_error
from .base.module import Module
from .base.initialisation import uniform_reset


class SparseLinear(Module):
    """y = W x + b for a sparse x given as ``(nnz, 2)`` rows of (0-based index, value).

    ``SparseLinear(inputSize, outputSize, doGradInput=False)``. Input: one ``(nnz, 2)``
    tensor (output ``(outputSize,)``), a list of them (a batch; output
    ``(batch, outputSize)``), or a ``(batch, nnz, 2)`` tensor (Torch7's legacy batch).
    With ``doGradInput`` the gradient is dense, as Torch7's: per sample an
    ``(inputSize, 2)`` tensor of (index, d loss / d value) rows, in a list (one entry for a
    single ``(nnz, 2)`` input, as Torch7's table) or, for the legacy batch, a
    ``(batch, inputSize, 2)`` tensor; without it ``gradInput`` is empty (``[]``, or an
    empty tensor for the legacy batch).

    ``weightDecay`` is a number field (0 by default), as Torch7's: each ``accGradParameters`` adds
    ``weightDecay * weight`` to the whole ``gradWeight`` (on this class it hides ``Module.weightDecay``, dpnn's
    method, as the field does in Lua). As SparseLinear.lua, when exactly one ``accGradParameters`` (and no forward)
    came since ``zeroGradParameters``, ``updateParameters`` and ``zeroGradParameters`` are sparse: they step or
    zero only the weight columns of that input's indices whose value is not 0, and the bias (a list or single
    input with no such index leaves the bias alone in ``updateParameters``, as THNN's early return); otherwise
    they are dense. The two differ where ``gradWeight`` holds more than that input's columns (a ``weightDecay``,
    a gradient written by hand).
    """
    input_dtypes = 'any'  # integer indices are part of its input

    def __init__(self, inputSize, outputSize, doGradInput=False):
        super().__init__()
        check_hyper('SparseLinear', positive=dict(inputSize=inputSize, outputSize=outputSize))
        if not isinstance(doGradInput, bool):
            raise ValueError(f"SparseLinear: doGradInput must be a boolean, got {doGradInput!r}")
        self.doGradInput = doGradInput
        self.weight = self.output.new(outputSize, inputSize)
        self.gradWeight = self.output.new(outputSize, inputSize)
        self.bias = self.output.new(outputSize)
        self.gradBias = self.output.new(outputSize)
        self.weightDecay = 0
        # SparseLinear.lua's sparseUpdate: the columns (and the legacy flag) of the one accGradParameters since
        # zeroGradParameters, None before it, False after a second one or a forward (its ACC_MULTIPLE_TIMES)
        self._lastColumns = None
        self.reset()

    def reset(self, stdv=None):
        uniform_reset(stdv, self.weight.size(1), self.weight, self.bias)
        self.bias.mul(1e-6)   # Torch7 starts the bias near zero
        return self

    def _entries(self, input):
        """(sample of each entry, index, value, batch size, batched) after checking every entry."""
        samples = input if isinstance(input, list) else ([input] if getattr(input, 'dim', lambda: 0)() == 2
                                                         else None)
        if samples is None:
            self.checkTensor(input, (2, 3))
            samples = [input.select(0, b) for b in range(input.size(0))]
        n_in = self.weight.size(1)
        xp = self.weight.xp
        single = len(samples) == 1 and not isinstance(input, list)
        whats = ['input' if single else f'input[{b}]' for b in range(len(samples))]
        for what, s in zip(whats, samples):
            self.checkTensor(s, what=what, floating=True)
            self.checkSameType(s, self.weight, what)
            if s.dim() != 2 or s.size(1) != 2:
                raise input_error(self, f"{what} of (index, value) rows, size (nnz, 2)", tuple(s.size()))
        batched = isinstance(input, list) or input.dim() == 3
        if not samples:
            return xp.zeros(0, 'int64'), xp.zeros(0, 'int64'), xp.zeros(0, self.weight.dtype), 0, batched
        rows = xp.concatenate([xp.full(s.size(0), b, dtype='int64') for b, s in enumerate(samples)])
        entries = xp.concatenate([s.array for s in samples])
        idx = entries[:, 0].astype('int64')
        # one device-to-host check for the whole batch, not one per sample
        bad = (idx != entries[:, 0]) | (idx < 0) | (idx >= n_in)
        if bad.size and bool(bad.any()):
            b = int(rows[bad.argmax()])
            a = samples[b].array
            raise input_error(self, f"{whats[b]} indices: whole numbers in [0, {n_in})",
                              f"values in [{float(a[:, 0].min())}, {float(a[:, 0].max())}]", IndexError)
        return rows, idx, entries[:, 1], len(samples), batched

    def _out_sizes(self, n, batched):
        return (n, self.weight.size(0)) if batched else (self.weight.size(0),)

    def updateOutput(self, input):
        rows, idx, val, n, batched = self._entries(input)
        if self.__dict__.get('_lastColumns') and self._records_sparse_update(input):
            self._lastColumns = False   # SparseLinear.lua:54: a forward after the backward ends the sparse update
        out = self.bufferLike('output', self.weight, self._out_sizes(n, batched)).reshape(-1, self.weight.size(0))
        out[...] = self.bias.array
        scatter_add(out, rows, (self.weight.array[:, idx] * val).T)
        return self.output

    def _grad_rows(self, gradOutput, n, batched):
        self.checkGradOutput(gradOutput, self.output)
        return gradOutput.array.reshape(-1, self.weight.size(0))

    def updateGradInput(self, input, gradOutput):
        rows, idx, val, n, batched = self._entries(input)
        go = self._grad_rows(gradOutput, n, batched)
        if not self.doGradInput:
            # Torch7 answers a table ({}) unless in legacy (3-D) mode
            self.gradInput = self.weight.new() if self._legacy(input) else []
            return self.gradInput
        xp = self.weight.xp
        n_in = self.weight.size(1)
        dense = self.weight.new(n, n_in, 2)
        d = dense.array
        d[:, :, 0] = xp.arange(n_in)
        d[:, :, 1] = go @ self.weight.array
        # a single (nnz, 2) input gets a table of one, as SparseLinear.lua's gradInput[1]
        self.gradInput = dense if self._legacy(input) else [dense.select(0, b) for b in range(n)]
        return self.gradInput

    @staticmethod
    def _legacy(input):
        return not isinstance(input, list) and input.dim() == 3

    def accGradParameters(self, input, gradOutput, scale=1):
        rows, idx, val, n, batched = self._entries(input)
        go = self._grad_rows(gradOutput, n, batched)
        wd = self.__dict__.get('weightDecay', 0)
        if not isinstance(wd, numbers.Real) or isinstance(wd, bool):
            raise input_error(self, "a number weightDecay", repr(wd), TypeError)
        # column idx_k of W gains go[sample_k] * value_k
        scatter_add(self.gradWeight.array.T, idx, (scale * val)[:, None] * go[rows])
        self.gradBias.array += scale * go.sum(axis=0)
        if wd != 0:   # THNN/generic/SparseLinear.c:242: the decay of the whole weight
            self.gradWeight.array += wd * self.weight.array
        # SparseLinear.lua:108-115: the first accumulation since zeroGradParameters records its input's columns
        # (SparseLinear.c:340, those whose value is not 0), a second one makes the next update dense
        if self._records_sparse_update(input):
            last = self.__dict__.get('_lastColumns')
            self._lastColumns = (self.weight.xp.unique(idx[val != 0]), self._legacy(input)) if last is None else False

    def _records_sparse_update(self, input):
        """Whether a forward or backward of ``input`` moves SparseLinear.lua's sparseUpdate state."""
        return True

    def _sparse_columns(self):
        """The columns of the one accumulation since zeroGradParameters (and whether it was a legacy batch), or
        None when the update and zeroing are dense."""
        return self.__dict__.get('_lastColumns') or None

    def updateParameters(self, learningRate):
        last = self._sparse_columns()
        if last is None:
            return super().updateParameters(learningRate)
        columns, legacy = last
        if columns.size == 0 and not legacy:
            return   # THNN/generic/SparseLinear.c:358: no column, no step (the bias's neither)
        self.bias.array -= learningRate * self.gradBias.array
        self.weight.array[:, columns] -= learningRate * self.gradWeight.array[:, columns]

    def zeroGradParameters(self):
        last = self._sparse_columns()
        if last is None:
            super().zeroGradParameters()
        else:   # THNN/generic/SparseLinear.c:466: gradBias and the columns used
            self.gradBias.zero()
            self.gradWeight.array[:, last[0]] = 0
        self._lastColumns = None

    def __repr__(self):
        return f"{lua_typename(self)}({self.weight.size(1)} -> {self.weight.size(0)})"
