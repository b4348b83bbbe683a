"""The MPI communicator legonn trains over: ``init``, ``rank``, ``size``, ``barrier``, ``broadcast`` and
``allreduce`` on legonn tensors and NumPy/CuPy arrays, in place.

Every collective is started non-blocking and waited on with a deadline (``init(timeout=...)``): a rank
that raised, hung or was killed cannot leave the others waiting for ever. Before each buffer
collective the ranks exchange ``(element count, dtype)`` in a small collective of their own, so that
ranks handing different buffers (models with different parameters) fail at once with both shapes
named instead of reducing garbage or deadlocking.
"""
import os
import sys
import time
import traceback

import numpy as np

from legonn.tensor import Tensor, backend

# the element types a collective carries, in a fixed order: a dtype's index is its code in the exchange
DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32), np.dtype(np.int64))
FLOAT_DTYPES = DTYPES[:2]
OPS = ('sum', 'mean')
DEFAULT_TIMEOUT = 60.0


class DistributedError(RuntimeError):
    """A collective failed: another rank disagreed, raised, hung or was killed."""


class Communicator:
    """One MPI communicator with legonn's checked, deadline-bounded collectives.

    ``timeout`` (seconds) bounds every wait; ``cuda_aware`` says whether the MPI library reads GPU memory
    itself: when it is False (the PyPI ``mpich`` wheel) CuPy buffers are staged through host copies.
    """

    def __init__(self, comm, timeout=DEFAULT_TIMEOUT, cuda_aware=False):
        if not timeout > 0:
            raise ValueError(f"legonn.distributed: timeout must be a positive number of seconds, got {timeout!r}")
        self.comm = comm
        self.timeout = float(timeout)
        self.cuda_aware = bool(cuda_aware)
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self._signature = np.empty(2, dtype=np.int64)
        self._signatures = np.empty((self.size, 2), dtype=np.int64)

    def __repr__(self):
        return f"legonn.distributed.Communicator(rank {self.rank} of {self.size}, timeout {self.timeout:g}s)"

    def _wait(self, request, what):
        """Drive ``request`` to completion, or raise once the deadline has passed."""
        deadline = time.monotonic() + self.timeout
        polls = 0
        while not request.Test():
            polls += 1
            # reading the clock costs more than a poll: look at it now and then
            if polls % 256 == 0 and time.monotonic() > deadline:
                raise DistributedError(
                    f"legonn.distributed rank {self.rank} of {self.size}: {what} did not complete within "
                    f"{self.timeout:g}s; another rank failed, hung, was killed or is in a different collective")
            # ranks often share cores (with each other, donkeys, other jobs): a rank that spins without
            # yielding keeps the rank it waits for off the core (measured: 1.5-2x slower allreduces then)
            os.sched_yield()

    def barrier(self):
        """Wait until every rank reaches this point."""
        self._wait(self.comm.Ibarrier(), 'barrier')

    def _check_same_buffer(self, arr, what):
        """Exchange (count, dtype) with every rank; raise naming every rank's buffer when they differ."""
        self._signature[0] = arr.size
        self._signature[1] = DTYPES.index(arr.dtype)
        self._wait(self.comm.Iallgather(self._signature, self._signatures), f'{what} (buffer check)')
        if (self._signatures != self._signature).any():
            shapes = ', '.join(f"rank {r}: {count} {DTYPES[code].name} values"
                               for r, (count, code) in enumerate(self._signatures.tolist()))
            raise DistributedError(f"legonn.distributed rank {self.rank}: {what}: the ranks hand different buffers "
                                   f"({shapes}); do all ranks build the same model?")

    def _run(self, arr, what, start):
        """Run the collective ``start(buffer)`` on ``arr``, through a host copy for GPU arrays when the MPI
        cannot read GPU memory."""
        self._check_same_buffer(arr, what)
        if backend.is_cupy_array(arr) and not self.cuda_aware:
            host = arr.get()
            self._wait(start(host), what)
            arr.set(host)
        else:
            if backend.is_cupy_array(arr):
                # a CUDA-aware MPI reads the device buffer directly: the kernels writing it must be done
                backend.cupy().cuda.get_current_stream().synchronize()
            self._wait(start(arr), what)

    def allreduce(self, buffer, op='sum'):
        """Sum (``op='sum'``) or average (``op='mean'``) ``buffer`` over all ranks, in place; returns it."""
        from mpi4py import MPI
        if op not in OPS:
            raise ValueError(f"legonn.distributed.allreduce: op must be one of {OPS}, got {op!r}")
        arr = contiguous_array(buffer, 'allreduce', FLOAT_DTYPES if op == 'mean' else DTYPES)
        self._run(arr, f'allreduce({arr.size} {arr.dtype.name} values)',
                  lambda buf: self.comm.Iallreduce(MPI.IN_PLACE, buf, op=MPI.SUM))
        if op == 'mean':
            arr /= self.size
        return buffer

    def broadcast(self, buffer, root=0):
        """Overwrite ``buffer`` on every rank with rank ``root``'s, in place; returns it."""
        if not 0 <= root < self.size:
            raise ValueError(f"legonn.distributed.broadcast: root must be a rank in [0, {self.size}), got {root!r}")
        arr = contiguous_array(buffer, 'broadcast', DTYPES)
        self._run(arr, f'broadcast({arr.size} {arr.dtype.name} values from rank {root})',
                  lambda buf: self.comm.Ibcast(buf, root=root))
        return buffer


def contiguous_array(buffer, what, dtypes):
    """The NumPy/CuPy array behind ``buffer`` (a legonn Tensor or an array), never a copy; raises when it is
    not contiguous or not of one of ``dtypes``, since an MPI collective needs one dense block."""
    if isinstance(buffer, Tensor):
        if not buffer.isContiguous():
            raise ValueError(f"legonn.distributed.{what}: expected a contiguous tensor, got one of sizes "
                             f"{tuple(buffer.size())} with strides {tuple(buffer.stride())}; "
                             f"pass getParameters()'s flat vectors or a contiguous() copy")
        arr = buffer.array
    elif isinstance(buffer, np.ndarray) or backend.is_cupy_array(buffer):
        arr = buffer
        if not arr.flags.c_contiguous:
            raise ValueError(f"legonn.distributed.{what}: expected a C-contiguous array, got one of shape "
                             f"{arr.shape} with strides {arr.strides}")
    else:
        raise TypeError(f"legonn.distributed.{what}: expected a legonn.Tensor, numpy.ndarray or cupy.ndarray, "
                        f"got {type(buffer).__name__}")
    if arr.dtype not in dtypes:
        raise TypeError(f"legonn.distributed.{what}: expected elements of type {', '.join(d.name for d in dtypes)}, "
                        f"got {arr.dtype.name}")
    return arr


_world = None


def init(comm=None, timeout=DEFAULT_TIMEOUT, cuda_aware=False, abort_on_error=True):
    """Start legonn's distributed layer on ``comm`` (default MPI ``COMM_WORLD``; a sub-communicator works)
    and return its Communicator, which the module-level functions then use.

    With ``abort_on_error`` an exception that ends this rank's program prints its traceback and aborts the
    whole MPI job (the others would otherwise wait for it at their next collective).
    """
    global _world
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise ImportError("legonn.distributed needs mpi4py and an MPI library: pip install 'legonn[mpi]'") from err
    _world = Communicator(MPI.COMM_WORLD if comm is None else comm, timeout, cuda_aware)
    if abort_on_error:
        _install_abort_hooks(_world)
    return _world


ABORT_GRACE_S = 0.5


def _install_abort_hooks(world):
    previous_hook = sys.excepthook

    def abort_job(kind, value, tb):
        message = ''.join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(f"[legonn.distributed rank {world.rank} of {world.size}] aborting the MPI job:\n{message}")
        sys.stderr.flush()
        # Abort has the launcher kill every rank at once, this one included, and a message still in the pipe
        # to the launcher is then lost (measured with MPICH's hydra: 4 of 6 hung-rank runs printed nothing);
        # a moment lets the launcher forward the traceback first
        time.sleep(ABORT_GRACE_S)
        world.comm.Abort(1)
        previous_hook(kind, value, tb)   # only reached if Abort returned

    sys.excepthook = abort_job


def world():
    """The Communicator ``init`` started."""
    if _world is None:
        raise RuntimeError("legonn.distributed: call legonn.distributed.init() first")
    return _world


def rank():
    """This process's rank (0-based)."""
    return world().rank


def size():
    """The number of processes."""
    return world().size


def barrier():
    world().barrier()


def allreduce(buffer, op='sum'):
    return world().allreduce(buffer, op)


def broadcast(buffer, root=0):
    return world().broadcast(buffer, root)


allreduce.__doc__ = Communicator.allreduce.__doc__
broadcast.__doc__ = Communicator.broadcast.__doc__
barrier.__doc__ = Communicator.barrier.__doc__
