"""Torch7's type queries: ``torch.typename``, ``torch.type`` and ``torch.isTensor``.

Ported code branches on them (``if torch.type(x) == 'table'``), so ``type`` answers
Lua's type names for plain values: a list, tuple or dict is a ``'table'``.
"""
import numbers

from .functions import is_tensor
from .storage import Storage
from .tensor import Tensor


def typename(obj):
    """The legonn class name of a tensor, storage ('legonn.FloatTensor') or module ('nn.Linear');
    None for anything else, as Torch7 returns nil."""
    if isinstance(obj, (Tensor, Storage)):
        return obj.type()
    if hasattr(obj, 'shortName') and hasattr(obj, 'updateOutput'):
        return 'nn.' + obj.__class__.__name__
    return None


def torch_type(obj):
    """``typename(obj)``, or Lua's name for a plain value: 'nil', 'boolean', 'number', 'string',
    'table' (list, tuple, dict), 'function', else the Python class name."""
    name = typename(obj)
    if name is not None:
        return name
    if obj is None:
        return 'nil'
    if isinstance(obj, bool):
        return 'boolean'
    if isinstance(obj, numbers.Number):
        return 'number'
    if isinstance(obj, str):
        return 'string'
    if isinstance(obj, (list, tuple, dict)):
        return 'table'
    if callable(obj):
        return 'function'
    return obj.__class__.__name__


isTensor = is_tensor   # Torch7's name for the test legonn already has
