"""Tensors in POSIX shared memory, and the pickler that sends them by name.

This is Torch7's ``threads.sharedserialize`` for processes: ``share_memory(t)``
moves the storage under ``t`` into a shared-memory segment (the mechanism
behind ``multiprocessing.shared_memory``) and rebinds it there, so every tensor
viewing that storage (a model's weights after ``getParameters()`` included)
now lives in the segment. ``dumps``/``loads`` then send such a storage as its
segment name: the receiving process maps the same memory instead of copying
it, and a storage coming back to a process that already maps it is the very
same ``Storage`` object. Other CPU tensors travel by value, storages shared
between tensors stay shared; CUDA tensors use their own (copying) pickling.

Segments are mapped with ``mmap`` directly rather than through
``SharedMemory`` objects: a mapping then lives exactly as long as the arrays
over it, and attaching does not register the segment with the resource
tracker (which on Python < 3.13 would unlink it when the worker exits).
The creating process unlinks a segment when its storage is garbage
collected; worker processes keep theirs until they exit, since the main
process may still be about to map a tensor they returned.
"""
import io
import pickle
import secrets
import weakref
from multiprocessing import resource_tracker

import numpy as np

from ..tensor import Storage, Tensor, shared_memory

# Storage -> (segment name, the array over the segment it was given)
_shared = weakref.WeakKeyDictionary()
# (segment name, dtype, length) -> the Storage mapping it in this process
_by_name = weakref.WeakValueDictionary()
# set in worker processes: storages they share stay alive (and linked) until release_all()
_keep = None


def _map(name, nbytes=0, create=False):
    # one segment a storage: a fresh name each time, so creating never meets an object already there
    if not shared_memory.AVAILABLE:
        raise OSError("legonn.threads: shared memory needs a POSIX system (Linux, macOS)")
    return shared_memory.map_shared_memory('/' + name, nbytes, rule='create' if create else 'attach',
                                           caller='legonn.threads')


def _unlink(name):
    try:
        if shared_memory.unlink_shared_memory('/' + name):
            resource_tracker.unregister('/' + name, 'shared_memory')
    except OSError:
        pass


def is_shared(obj):
    """True when the storage of ``obj`` (a Tensor or Storage) lives in shared memory."""
    storage = obj.storage() if isinstance(obj, Tensor) else obj
    entry = _shared.get(storage) if isinstance(storage, Storage) else None
    return entry is not None and entry[1] is storage.data


def share_memory(obj):
    """Move the storage of ``obj`` into shared memory in place and return ``obj``.

    ``obj`` is a CPU Tensor, a Storage, or a module (its ``getParameters()``
    parameter storage is shared; gradients stay private to each process, as
    hogwild training wants). Values are kept; every view of the storage
    follows it. Sharing an already shared storage does nothing.
    """
    if isinstance(obj, Tensor):
        storage = obj.storage()
    elif isinstance(obj, Storage):
        storage = obj
    elif hasattr(obj, 'getParameters'):
        storage = obj.getParameters()[0].storage()
    else:
        raise TypeError(f"threads.share_memory: expected a Tensor, Storage or module, got {type(obj).__name__}")
    if storage.is_cuda:
        raise TypeError("threads.share_memory: expected a CPU storage, got a CUDA one (GPU memory is not "
                        "shared between processes this way)")
    if is_shared(storage):
        return obj
    name = 'lgnn_' + secrets.token_hex(8)
    n, dtype = storage.size(), storage.dtype
    mm = _map(name, max(n * dtype.itemsize, 1), create=True)
    resource_tracker.register('/' + name, 'shared_memory')   # unlinked even if this process crashes
    arr = np.frombuffer(mm, dtype=dtype, count=n)
    arr[...] = storage.data
    storage.data = arr
    storage.version += 1    # tensors viewing this storage rebuild their cached arrays
    _shared[storage] = (name, arr)
    _by_name[(name, dtype.str, n)] = storage
    if _keep is None:
        weakref.finalize(storage, _unlink, name)
    else:
        _keep.append((storage, name))
    return obj


def _attach(name, dtype, n):
    storage = _by_name.get((name, dtype, n))
    if storage is not None and is_shared(storage):
        return storage
    arr = np.frombuffer(_map(name), dtype=np.dtype(dtype), count=n)
    storage = Storage(arr)
    _shared[storage] = (name, arr)
    _by_name[(name, dtype, n)] = storage
    return storage


class _Pickler(pickle.Pickler):
    # tensors pickle as (storage, geometry) on their own; only shared storages need a different route
    def reducer_override(self, obj):
        if isinstance(obj, Storage) and not obj.is_cuda:
            entry = _shared.get(obj)
            if entry is not None and entry[1] is obj.data:
                return _attach, (entry[0], obj.dtype.str, obj.size())
        return NotImplemented


def dumps(obj):
    """Pickle ``obj``, sending shared-memory storages by name and other tensors by value."""
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def loads(data):
    return pickle.loads(data)


def keep_until_release():
    """In a worker process: storages shared from now on stay linked until ``release_all()``."""
    global _keep
    _keep = []


def release_all():
    """Unlink the segments kept by ``keep_until_release`` (a worker calls this as it exits)."""
    global _keep
    for _, name in _keep or ():
        _unlink(name)
    _keep = None
