"""fbnn's SparseLinear: nn.SparseLinear that also takes a [keys, values] batch and can update only the weight
columns a batch used (SparseLinear.lua, SparseLinear.c's *2 functions)."""
from ..modules.base.errors import input_error
from ..modules.sparse_linear import SparseLinear as NNSparseLinear
from ..tensor.scatter_kernels import out_of_range
from .base import FbnnClass


def _is_key_value(input):
    """Whether ``input`` is fbnn's [keys, values] pair (integer keys), not nn's list of (nnz, 2) samples."""
    return (isinstance(input, (list, tuple)) and len(input) == 2 and hasattr(input[0], 'dtype')
            and input[0].dtype.kind in 'iu')


class SparseLinear(FbnnClass, NNSparseLinear):
    """fbnn.SparseLinear(inputSize, outputSize, useSparseUpdate, skipUpdateGradInput): legonn's nn.SparseLinear
    (every input it takes, the same maths) plus fbnn's key/value input ``[keys, values]``: ``keys`` integer
    0-based feature indices and ``values`` their values, both ``(batch, nnz)`` (or ``(nnz,)``);
    ``output[b] = bias + sum_j values[b, j] * weight[:, keys[b, j]]``, ``(batch, outputSize)``, or
    ``(outputSize,)`` when the batch has one row (SparseLinear.c). Entries whose value is 0 are skipped, their
    keys unread (padding).

    With ``useSparseUpdate``, one backward per update: after a key/value backward, ``updateParameters(lr)``
    steps the bias and only the weight columns of that batch's keys, and ``zeroGradParameters`` zeroes
    gradBias and only those columns (other inputs update and zero everything). ``skipUpdateGradInput`` sets
    ``gradInput`` to None (no gradient below); a key/value input's gradInput is not supported (as the Lua).
    """

    lua_name = 'fbnn'

    def __init__(self, inputSize, outputSize, useSparseUpdate=False, skipUpdateGradInput=False):
        super().__init__(inputSize, outputSize)
        self.useSparseUpdate = bool(useSparseUpdate)
        self.numBackward = 0
        self.lastInputKey = None
        if skipUpdateGradInput:
            self.gradInput = None

    def _entries(self, input):
        if not _is_key_value(input):
            return super()._entries(input)
        keys, values = input
        self.checkSameType(values, self.weight, 'values')
        if keys.size() != values.size() or keys.dim() not in (1, 2):
            raise input_error(self, "keys and values of one size, (batch, nnz) or (nnz,)",
                              f"sizes {tuple(keys.size())} and {tuple(values.size())}")
        xp = self.weight.xp
        batch = keys.size(0) if keys.dim() == 2 else 1
        k = xp.asarray(keys.array).reshape(batch, -1)
        v = values.array.reshape(batch, -1)
        used = v != 0
        rows = xp.nonzero(used)[0]
        idx = k[used].astype('int64')
        bad = out_of_range(idx, self.weight.size(1))
        if bad:
            raise input_error(self, f"keys in [0, {self.weight.size(1)}) (0-based) where the value is not 0",
                              f"keys in [{bad[0]}, {bad[1]}]", IndexError)
        return rows, idx, v[used], batch, batch != 1

    def _records_sparse_update(self, input):
        # fbnn's SparseLinear.lua runs its own C for a key/value input (updateOutput2, accGradParameters2), which
        # leaves nn.SparseLinear.lua's sparseUpdate state alone
        return not _is_key_value(input)

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is None:
            return None
        if _is_key_value(input):
            raise ValueError(f"{self.shortName()}: gradInput of a [keys, values] input is not supported (construct "
                             "with skipUpdateGradInput = true, as fbnn's)")
        return super().updateGradInput(input, gradOutput)

    def accGradParameters(self, input, gradOutput, scale=1):
        if self.useSparseUpdate and self.numBackward != 0:
            raise RuntimeError(f"{self.shortName()}: you can only call one backward() when using sparse update")
        super().accGradParameters(input, gradOutput, scale)
        if self.useSparseUpdate:
            self.numBackward += 1
        if _is_key_value(input):
            self.lastInputKey = self._entries(input)[1]

    def _sparse_step(self):
        """Whether the next update or zeroing touches only the last key/value batch's columns."""
        if self.useSparseUpdate and self.lastInputKey is not None and self.numBackward != 1:
            raise RuntimeError(f"{self.shortName()}: must call backward() once")
        return self.useSparseUpdate and self.lastInputKey is not None

    def updateParameters(self, learningRate):
        if not self._sparse_step():
            return super().updateParameters(learningRate)
        columns = self.weight.xp.unique(self.lastInputKey)
        self.bias.add(-learningRate, self.gradBias)
        self.weight.array[:, columns] -= learningRate * self.gradWeight.array[:, columns]

    def zeroGradParameters(self):
        if self._sparse_step():
            self.gradBias.zero()
            self.gradWeight.array[:, self.weight.xp.unique(self.lastInputKey)] = 0
        else:
            super().zeroGradParameters()
        self.numBackward = 0
