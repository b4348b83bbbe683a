"""Intra-op parallelism on the CPU: Torch7's ``torch.setnumthreads`` / ``getnumthreads``.

NumPy runs every element-wise pass on one core while BLAS (and PyTorch's
kernels) use them all. The window kernels (pooling, column copies and
scatters) and the pointwise modules therefore split their work into as many
parts as there are threads, along the leading axes, and run the parts in a
small thread pool; NumPy releases the GIL inside its loops, so the parts run
at the same time. Arrays below ``MIN_PART`` elements per part, CuPy arrays
(the GPU has its own parallelism, and CuPy's current device is per thread) and
one thread run whole in the caller, unchanged.

The thread count starts at ``OMP_NUM_THREADS`` or ``OPENBLAS_NUM_THREADS`` when
set, else the cores this process may use; ``setnumthreads`` in the main thread
sets it for the process and also sets OpenBLAS's, as Torch7's does. Called in
another thread (a data-loading worker of ``legonn.threads``, which fb.resnet.torch's
DataLoader pins with ``torch.setnumthreads(1)``) it sets that thread's count only:
OpenMP keeps the count per thread, so in Torch7 a donkey's call never slowed the
training thread. OpenBLAS has one process-wide count, which such a call leaves as it is.
"""
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import openblas

# below this many elements per part, a thread hand-off (tens of microseconds) costs more than it saves
MIN_PART = 1 << 18
_WORKER_PREFIX = 'legonn-intra-op'


def _initial_threads():
    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS'):
        value = os.environ.get(var, '').strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else (os.cpu_count() or 1)


_threads = _initial_threads()


class _Own(threading.local):
    threads = 0   # a count set by setnumthreads in a thread other than the main one; 0: none (the process's)


_own = _Own()   # a class default, not getattr's: a missing thread-local attribute costs a raised AttributeError
_pool = None
_pool_lock = threading.Lock()


def _forget_pool():
    """A forked child has none of the parent's worker threads: start a pool of its own when needed."""
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_forget_pool)


def setnumthreads(n):
    """Use ``n`` threads for legonn's CPU kernels and for BLAS (Torch7's ``torch.setnumthreads``); called in a
    thread other than the main one, for the kernels that thread runs only (BLAS's count is left alone)."""
    global _threads, _pool
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"setnumthreads: expected a positive integer, got {n!r}")
    if threading.current_thread() is not threading.main_thread():
        _own.threads = int(n)
        return
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None
        _threads = int(n)
    openblas.set_blas_threads(_threads)


def getnumthreads():
    """The number of threads legonn's CPU kernels use in this thread (Torch7's ``torch.getnumthreads``)."""
    return _own.threads or _threads


def _executor():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_threads - 1, thread_name_prefix=_WORKER_PREFIX)
        return _pool


def leading_parts(array, axes=2, work=1):
    """Index tuples splitting ``array``'s first axis (or its second, when the first is too short and
    ``axes`` allows two) into parts of similar size, one per thread; ``[()]`` (the whole array) when
    splitting would not pay. ``work``: what each element costs, in element-wise passes (a kernel doing a
    product of many terms per element it writes splits smaller arrays).
    """
    parts = array.size * work // MIN_PART
    if parts < 2 or type(array) is not np.ndarray or array.ndim == 0:
        return [()]
    count = min(getnumthreads(), parts)
    if count < 2:
        return [()]
    axis = 0 if array.shape[0] >= count or array.ndim == 1 or axes < 2 else 1
    length = array.shape[axis]
    count = min(count, length)
    if count < 2:
        return [()]
    bounds = [length * i // count for i in range(count + 1)]
    lead = (slice(None),) * axis
    return [lead + (slice(bounds[i], bounds[i + 1]),) for i in range(count)]


def leading_ranges(array, work=1):
    """``leading_parts`` of ``array``'s first axis as ``(start, stop)`` pairs (one pair, the whole axis, when
    splitting would not pay; ``work`` as there): the form a native kernel takes its share of the work in."""
    parts = leading_parts(array, axes=1, work=work)
    return [(0, array.shape[0])] if parts == [()] else [(p[0].start, p[0].stop) for p in parts]


def run_parts(fn, parts):
    """Call ``fn(part)`` for every part of ``leading_parts``, this thread and the pool's taking parts in turn.

    Returns once all have finished; the first exception raised by any part is re-raised here.
    Parts are claimed, not assigned: when the other cores are busy (donkey processes, other
    programs) and a worker has not started, this thread runs its parts too instead of waiting.
    """
    if len(parts) == 1 or threading.current_thread().name.startswith(_WORKER_PREFIX):
        # a part that itself asks for parts runs them in turn: a worker waiting on the pool could deadlock it
        for part in parts:
            fn(part)
        return
    claims = itertools.count()   # next() on it is atomic: each part is run exactly once

    def drain():
        for i in iter(claims.__next__, None):
            if i >= len(parts):
                return
            fn(parts[i])

    helpers = [_executor().submit(drain) for _ in parts[1:]]
    errors = []
    try:
        drain()
    except Exception as err:   # noqa: BLE001  (re-raised below, once the helpers are done with the arrays)
        errors.append(err)
    for helper in helpers:
        if not helper.cancel():   # a helper still queued has nothing left to do; a running one finishes its part
            err = helper.exception()
            if err is not None:
                errors.append(err)
    if errors:
        raise errors[0]


def map_parts(fn, *arrays, axes=2):
    """``fn(*parts)`` over matching parts of ``arrays`` (split as ``arrays[0]``), in parallel.

    The arrays must agree on their first ``axes`` axes (the ones that may be split).
    """
    # the whole, (), passes the arrays themselves: indexing a 0-d array with () gives a scalar, not a view
    run_parts(lambda p: fn(*(a[p] if p else a for a in arrays)), leading_parts(arrays[0], axes))
