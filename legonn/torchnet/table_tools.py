"""torchnet's ``tnt.utils.table`` (utils/table.lua): copies of Lua tables (dicts and lists here), and the
merge of a list of same-sized tensors into one tensor with a new first dimension (how batches are made)."""
import copy as _copy

from ..tensor import as_tensor
from ..tensor import backend
from ..tensor.functions import is_tensor_like


def clone(tbl):
    """A deep copy of ``tbl`` (tensors copied too, shared ones once, as torch's serialization round trip)."""
    return _copy.deepcopy(tbl)


def copy(tbl):
    """A shallow copy of the dict or list ``tbl``."""
    return _copy.copy(tbl)


def merge(dst, src):
    """Put every entry of the dict ``src`` into the dict ``dst`` (``src`` wins); returns ``dst``."""
    if not isinstance(dst, dict) or not isinstance(src, dict):
        raise TypeError(f"tnt.utils.table.merge: expected two dicts, got {type(dst).__name__} and "
                        f"{type(src).__name__}")
    dst.update(src)
    return dst


def foreach(tbl, closure, recursive=False):
    """A new dict (list for a list) of ``closure(value)`` for each value of ``tbl``; with ``recursive``,
    nested dicts and lists are walked instead of given to ``closure``."""
    def apply(value):
        return foreach(value, closure, True) if recursive and isinstance(value, (dict, list)) else closure(value)
    if isinstance(tbl, dict):
        return {key: apply(value) for key, value in tbl.items()}
    if isinstance(tbl, (list, tuple)):
        return [apply(value) for value in tbl]
    raise TypeError(f"tnt.utils.table.foreach: expected a dict or list, got {type(tbl).__name__}")


def canmergetensor(tbl):
    """True when ``tbl`` is a non-empty list of tensors (or arrays) that all have as many elements as the first."""
    if not isinstance(tbl, (list, tuple)) or not tbl or not is_tensor_like(tbl[0]):
        return False
    first = as_tensor(tbl[0]).nElement()
    return all(is_tensor_like(t) and as_tensor(t).nElement() == first for t in tbl[1:])


def mergetensor(tbl):
    """The n tensors (or arrays) of the list ``tbl`` stacked into one ``n x <sizes of the first>`` tensor of the
    first one's type and device; each is read with the first one's sizes, as Torch7's ``copy`` takes any tensor of
    as many elements."""
    if not canmergetensor(tbl):
        got = [type(t).__name__ for t in tbl] if isinstance(tbl, (list, tuple)) else type(tbl).__name__
        raise TypeError("tnt.utils.table.mergetensor: expected a non-empty list of tensors with equal numbers of "
                        f"elements, got {got}")
    first = as_tensor(tbl[0])
    xp, shape = first.xp, first.array.shape
    stacked = xp.stack([backend.to_module(as_tensor(t).array, xp).reshape(shape) for t in tbl])
    return type(first)._from_array(stacked.astype(first.array.dtype, copy=False))
