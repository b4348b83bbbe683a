"""TensorLoader (TensorLoader.lua): a DataLoader over tensors held in memory, or nested lists of them."""
import math
import numbers

from ..tensor import randperm
from . import nested
from .dataloader import DataLoader


class TensorLoader(DataLoader):
    """``TensorLoader(inputs, targets)``: samples are the rows (dimension 0) of ``inputs`` and ``targets``, each
    a tensor, an array (wrapped without a copy) or a nested list of them, all with the same number of rows.
    ``index`` gathers rows into the ``inputs``/``targets`` buffers it is given (the same nesting)."""

    def __init__(self, inputs, targets):
        self.inputs = nested.check_tree('TensorLoader', inputs, 'inputs')
        self.targets = nested.check_tree('TensorLoader', targets, 'targets')
        rows = nested.batch_sizes(self.inputs) + nested.batch_sizes(self.targets)
        if len(set(rows)) != 1:
            raise ValueError(f"TensorLoader: every input and target tensor must have the same size of dimension 0 "
                             f"(the samples), got {rows}")

    def index(self, indices, inputs=None, targets=None):
        """Rows ``indices`` (0-based) of the inputs and targets, written into the buffers, as ``(inputs,
        targets)``."""
        inputs = nested.index(inputs, self.inputs, indices)
        targets = nested.index(targets, self.targets, indices)
        return inputs, targets

    def shuffle(self):
        """Permute the rows (new tensors, as the Lua's ``recursiveIndex(nil, ...)``); returns ``(self,
        indices)``, the 0-based permutation applied."""
        indices = randperm(self.size())
        self.inputs = nested.index(None, self.inputs, indices)
        self.targets = nested.index(None, self.targets, indices)
        return self, indices

    def split(self, ratio):
        """Two TensorLoaders viewing rows ``0 .. floor(size*ratio)-1`` and the rest (no copy)."""
        if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) or not 0 < ratio < 1:
            raise ValueError(f"TensorLoader.split: expected 0 < ratio < 1, got {ratio!r}")
        size = self.size()
        cut = math.floor(size * ratio)
        if not 0 < cut < size:
            raise ValueError(f"TensorLoader.split: ratio {ratio} of {size} samples leaves one part empty")
        return tuple(TensorLoader(nested.sub(self.inputs, start, stop), nested.sub(self.targets, start, stop))
                     for start, stop in ((0, cut - 1), (cut, size - 1)))

    def size(self):
        """The number of rows."""
        return nested.batch_size(self.inputs)

    def isize(self, excludedim=0):
        """The sizes of the inputs (nested like them), dimension ``excludedim`` (0-based) left out; False keeps
        them all."""
        return nested.sizes(self.inputs, excludedim)

    def tsize(self, excludedim=0):
        """The sizes of the targets, as ``isize``."""
        return nested.sizes(self.targets, excludedim)
