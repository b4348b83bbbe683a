"""torchx's recursive helpers over a tensor or a nested list of tensors (a Lua table of tensors), which
TensorLoader, SequenceLoader and MultiSequence use for their inputs and targets. The batch dimension is 0."""
from ..tensor import Tensor
from ..tensor.functions import FUNCTIONAL, tensor_argument


def check_tree(where, tree, what):
    """``tree`` (a tensor, an array or a nested list of them) with its arrays wrapped as Tensors; a TypeError
    or ValueError naming ``where`` for anything else, an empty list or a tensor without a batch dimension."""
    if isinstance(tree, (list, tuple)):
        if not tree:
            raise ValueError(f"{where}: {what} must be a tensor or a non-empty list of tensors, got an empty list")
        return [check_tree(where, value, what) for value in tree]
    leaf = tensor_argument(where, what + ' (or each of its leaves)', tree)
    if leaf.dim() == 0 or leaf.nElement() == 0:
        raise ValueError(f"{where}: {what} must have a batch dimension, got an empty tensor")
    return leaf


def batch_size(tree):
    """The size of dimension 0 of the first tensor of ``tree`` (torchx.recursiveBatchSize)."""
    return tree.size(0) if isinstance(tree, Tensor) else batch_size(tree[0])


def batch_sizes(tree):
    """The sizes of dimension 0 of every tensor of ``tree``, flattened in order."""
    return [tree.size(0)] if isinstance(tree, Tensor) else [n for t in tree for n in batch_sizes(t)]


def sizes(tree, excludedim=0):
    """The sizes of each tensor of ``tree`` as lists, nested like ``tree`` (torchx.recursiveSize): dimension
    ``excludedim`` (0-based; Torch7's default 1 is 0 here) left out where the tensor has it, all of them kept
    when it is False."""
    if not isinstance(tree, Tensor):
        return [sizes(t, excludedim) for t in tree]
    size = list(tree.size())
    if excludedim is not False and excludedim is not None and excludedim < len(size):
        del size[excludedim]
    return size


def index(res, src, indices):
    """The rows ``indices`` (a 0-based LongTensor) of every tensor of ``src``, written into ``res`` (a tensor or
    a tree like ``src``, resized; None makes new ones) and returned (torchx.recursiveIndex along dimension 0)."""
    if isinstance(src, Tensor):
        return FUNCTIONAL['index'](src.new() if res is None else res, src, 0, indices)
    res = [None] * len(src) if res is None else res
    return [index(r, s, indices) for r, s in zip(res, src)]


def sub(src, start, stop):
    """Views of rows ``start .. stop`` (0-based, inclusive) of every tensor of ``src`` (torchx.recursiveSub)."""
    if isinstance(src, Tensor):
        return src.sub(start, stop)
    return [sub(s, start, stop) for s in src]
