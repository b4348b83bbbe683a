"""Changing the type/device of every tensor in a structure, keeping views shared.

Tensors that view one storage before the conversion view one (converted)
storage after it, at the same offsets: ``getParameters()`` views survive
``model.cuda()`` and shared weights stay shared. Floating tensors take the
requested type; integer tensors (indices) keep their element type and only
change device.
"""
import numpy as np

from . import backend
from .storage import Storage
from .tensor import TENSOR_CLASSES, Tensor
from .types import TYPES, device_twin, name_for, short_name


def on_gpu(obj):
    """``obj`` (a tensor, module or criterion) on the GPU with its element type kept: a DoubleTensor as a
    CudaDoubleTensor, indices as a CudaLongTensor; where ``obj.cuda()`` gives cutorch's float CudaTensor."""
    return obj.type(device_twin(obj.type(), True))


def target_class(t, typename):
    """The class ``t`` becomes under a module-level ``type(typename)``."""
    name = short_name(typename)
    dtype, cuda = TYPES[name]
    if t.dtype.kind == 'f':
        return TENSOR_CLASSES[name]
    return TENSOR_CLASSES[name_for(t.dtype, cuda)]


def convert_tensor(t, cls, cache):
    """``t`` as a ``cls`` tensor; storages converted once per ``cache`` so views stay views, and a tensor met
    twice (one weight held by two modules) becomes one tensor, as Torch7's ``tensorCache[param]``."""
    if type(t) is cls:
        return t
    converted = cache.get(('tensor', id(t)))
    if converted is not None:
        return converted
    key = id(t.storage())
    storage = cache.get(key)
    if storage is None:
        xp = backend.cupy() if cls._cuda else np
        storage = Storage(backend.to_module(t.storage().data, xp).astype(cls._dtype, copy=True))
        cache[key] = storage
        cache.setdefault('_keep', []).append(t.storage())  # keep ids unique while the cache lives
    new = object.__new__(cls)
    new._set(storage, t.storageOffset(), t.size(), t.stride())
    cache[('tensor', id(t))] = new
    cache.setdefault('_keep', []).append(t)
    return new


def convert_tree(obj, typename, cache):
    """Convert tensors inside nested lists/tuples/dicts; other values are returned unchanged.

    Objects with a ``type(typename, cache)`` method (modules, criterions) convert themselves and stay where they
    are whatever that method returns, as nn.utils.recursiveType ignores ``param:type(...)``'s result
    (gtsrb.torch keeps a sampler on the CPU inside a CUDA net with a ``type`` of its own that returns nil).
    """
    if isinstance(obj, Tensor):
        return convert_tensor(obj, target_class(obj, typename), cache)
    if isinstance(obj, list):
        return [convert_tree(v, typename, cache) for v in obj]
    if isinstance(obj, tuple):
        return tuple(convert_tree(v, typename, cache) for v in obj)
    if isinstance(obj, dict):
        return {k: convert_tree(v, typename, cache) for k, v in obj.items()}
    retype = getattr(obj, 'type', None)
    if callable(retype) and getattr(obj, 'converts_with_cache', False):
        retype(typename, cache)
    return obj
