"""The batch axis of inputs that may come without one (Torch7 layers take a sample or a batch)."""


def batched(module, tensor, ranks, what='input'):
    """``tensor``'s array with a leading batch axis (a view; a single sample gets N = 1), and whether
    it had one. ``ranks`` is (sample rank, batch rank); any other rank is a path-naming error."""
    module.checkTensor(tensor, ranks, what)
    arr = tensor.array
    is_batch = arr.ndim == ranks[-1]
    return (arr if is_batch else arr[None]), is_batch


class OnlineBatching:
    """``toBatch``/``fromBatch`` (dpnn's Module and Criterion methods): give a single sample a batch axis of 1
    for batch-only code, then take it off the result."""

    def toBatch(self, tensor, nDim, batchDim=0):
        """``tensor`` with a batch axis of size 1 inserted at ``batchDim`` (0-based) when it has ``nDim``
        dimensions (a single sample: ``dpnn_online`` becomes True), else ``tensor`` itself."""
        self.dpnn_online = tensor.dim() == nDim
        if self.dpnn_online:
            sizes = list(tensor.size())
            sizes.insert(batchDim, 1)
            tensor = tensor.view(*sizes)
        return tensor

    def fromBatch(self, tensor, batchDim=None):
        """After ``toBatch`` made a batch of one, ``tensor`` without axis ``batchDim`` (0-based; None is the
        last axis, as Lua's ``table.remove`` with no position); otherwise ``tensor`` itself."""
        if self.__dict__.get('dpnn_online'):
            sizes = list(tensor.size())
            axis = len(sizes) - 1 if batchDim is None else batchDim
            if sizes[axis] != 1:
                raise ValueError(f"{self.shortName()}.fromBatch: expected a size of 1 on axis {axis}, got "
                                 f"{tuple(sizes)}")
            del sizes[axis]
            tensor = tensor.view(*sizes)
        return tensor
