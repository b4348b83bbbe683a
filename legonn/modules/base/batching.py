"""The batch axis of inputs that may come without one (Torch7 layers take a sample or a batch)."""


def batched(module, tensor, ranks, what='input'):
    """``tensor``'s array with a leading batch axis (a view; a single sample gets N = 1), and whether
    it had one. ``ranks`` is (sample rank, batch rank); any other rank is a path-naming error."""
    module.checkTensor(tensor, ranks, what)
    arr = tensor.array
    is_batch = arr.ndim == ranks[-1]
    return (arr if is_batch else arr[None]), is_batch
