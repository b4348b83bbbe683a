"""Index arrays on either backend: unbuffered scatter-add, and range checks in one transfer.

``target[indices] += values`` with plain fancy indexing drops repeated indices
(each write sees the old value); modules that gather with repeated indices
(LookupTable, Index, the sparse linears) need every contribution summed. NumPy
has ``np.add.at``; CuPy before v13 has no ``ufunc.at`` at all, and
``cupyx.scatter_add`` (atomic adds on the device) is the one that works across
versions.

Modules that take indices check their range before any arithmetic; on the GPU
each ``int(idx.min())`` is a device-to-host sync, so ``index_bounds`` fetches
both ends at once, and ``out_of_range`` reports them only when some index is
out of range (and skips the read while a CUDA graph records). ``index_range``
keeps the 0..n-1 row indices a gather needs instead of building them (a launch
on the GPU) at every call.
"""
import functools

import numpy as np

from . import backend, cuda_kernels
from .backend import array_module


def scatter_add(target, indices, values):
    """``target[indices] += values`` with repeated indices accumulating; returns ``target``.

    ``target`` is a NumPy or CuPy array (a view is written through), ``indices``
    anything that indexes it (an integer array along axis 0, or a tuple of them),
    ``values`` an array or scalar broadcastable to ``target[indices]``, on the
    same device as ``target``. Every element type is taken, the GPU's atomic adds
    lacking (8-, 16-, signed 64-bit integers) done in a wider or unsigned twin.
    """
    xp = array_module(target)
    if xp is np:
        np.add.at(target, indices, values)
        return target
    import cupyx
    dtype = target.dtype
    if dtype == np.int64:
        # CUDA's atomicAdd (and so cupyx.scatter_add) has no signed 64-bit form; two's complement makes the
        # unsigned adds give the same bits
        cupyx.scatter_add(target.view(np.uint64), indices, xp.asarray(values).astype(np.int64).view(np.uint64))
    elif dtype.kind in 'iu' and dtype.itemsize < 4:
        # nor 8- or 16-bit forms: add in uint32 and keep the low bits, the narrow type's wrapped sum (as TH's)
        wide = target.astype(np.uint32)
        cupyx.scatter_add(wide, indices, xp.asarray(values).astype(dtype).astype(np.uint32))
        target[...] = wide.astype(dtype)
    else:
        cupyx.scatter_add(target, indices, values)
    return target


def scatter_add_along(target, indices, values, axis):
    """The adjoint of ``take_along_axis``: ``target[..., indices[..., j, ...], ...] += values[..., j, ...]``
    along ``axis``, repeated indices accumulating; returns ``target``.

    ``indices`` and ``values`` have one shape, equal to ``target``'s except along ``axis`` (as
    ``take_along_axis`` wants); e.g. unpooling puts each plane's maxima back at their flat positions.
    """
    xp = array_module(target)
    axis %= indices.ndim
    coords = tuple(indices if d == axis else
                   xp.arange(n).reshape((1,) * d + (n,) + (1,) * (indices.ndim - d - 1))
                   for d, n in enumerate(indices.shape))
    return scatter_add(target, coords, values)


@functools.lru_cache(maxsize=64)
def _index_range(xp, n):
    rows = xp.arange(n)
    if xp is np:
        rows.flags.writeable = False
    return rows


def index_range(xp, n):
    """0, 1, ..., n-1 as an int64 array of module ``xp`` (numpy or cupy), made once per length and shared:
    never write into it."""
    return _index_range(xp, int(n))


def out_of_range(indices, size):
    """(min, max) of the integer array ``indices`` when some lie outside [0, ``size``), else None. None too while
    lg.cuda.capture records (the values are read on the host, which a graph cannot do: data copied into a
    captured step's buffers is not range-checked)."""
    if not indices.size or backend.recording():
        return None
    lo, hi = index_bounds(indices)
    return (lo, hi) if lo < 0 or hi >= size else None


def index_bounds(indices):
    """(min, max) of a non-empty integer array as Python ints; from the device in one transfer (each is a
    host synchronisation)."""
    xp = array_module(indices)
    if xp is np:
        # the reductions called directly: the min and max methods are each one behind a Python wrapper
        return int(np.minimum.reduce(indices, axis=None)), int(np.maximum.reduce(indices, axis=None))
    if cuda_kernels.index_bounds_applies(indices):   # one launch for a batch of labels
        lo, hi = cuda_kernels.index_bounds(indices).tolist()
    else:
        lo, hi = xp.stack([indices.min(), indices.max()]).tolist()
    return int(lo), int(hi)
