"""The MPI communicator legonn trains over: ``init``, ``rank``, ``size``, ``barrier``, ``broadcast`` and
``allreduce`` on legonn tensors and NumPy/CuPy arrays, in place.

Every collective is started non-blocking and waited on with a deadline (``init(timeout=...)``): a rank
that raised, hung or was killed cannot leave the others waiting for ever. Before each buffer
collective the ranks exchange ``(element count, dtype, call, buffer state)`` in a small collective of
their own, so that ranks handing different buffers (models with different parameters) or calling
different collectives fail at once with every rank's named instead of reducing garbage or deadlocking.

A buffer that ``shareMemory`` moved into memory the ranks of a machine share is reduced there in place
(legonn/distributed/node_memory.py); across machines the ranks with the same place on their machine then
allreduce their chunks over MPI. Other buffers go through MPI's allreduce.
"""
import os
import sys
import time
import traceback

import numpy as np

from legonn.distributed.node_memory import SharedSegments
from legonn.tensor import Tensor, backend
from legonn.tensor.naming import TorchNamed

# the element types a collective carries, in a fixed order: a dtype's index is its code in the exchange
DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32), np.dtype(np.int64))
FLOAT_DTYPES = DTYPES[:2]
OPS = ('sum', 'mean')
# the calls that exchange buffer signatures, in a fixed order: a call's index is its code in the exchange
CALLS = ('allreduce', 'broadcast', 'shareMemory')
# a buffer's state in the exchange: NOT_MOVABLE and MOVABLE for shareMemory, SHARED when it lies in a window
NOT_MOVABLE, MOVABLE, SHARED = 0, 1, 2
DEFAULT_TIMEOUT = 60.0


class DistributedError(RuntimeError):
    """A collective failed: another rank disagreed, raised, hung or was killed."""


class Communicator(TorchNamed):
    """One MPI communicator with legonn's checked, deadline-bounded collectives.

    ``timeout`` (seconds) bounds every wait; ``cuda_aware`` says whether the MPI library reads GPU memory
    itself: when it is False (the PyPI ``mpich`` wheel) CuPy buffers are staged through host copies.
    ``node`` is the sub-communicator of the ranks that share this one's memory (default: MPI's
    ``COMM_TYPE_SHARED`` split of ``comm``, one per machine); ``shared_memory`` says whether buffers can be
    reduced there, which needs more than one rank per machine and as many on every machine.
    Constructing one is collective over ``comm``.
    """

    def __init__(self, comm, timeout=DEFAULT_TIMEOUT, cuda_aware=False, node=None):
        if not timeout > 0:
            raise ValueError(f"legonn.distributed: timeout must be a positive number of seconds, got {timeout!r}")
        self.comm = comm
        self.timeout = float(timeout)
        self.cuda_aware = bool(cuda_aware)
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self._signature = np.empty(4, dtype=np.int64)
        self._signatures = np.empty((self.size, 4), dtype=np.int64)
        self._windows = {}    # (address, count, dtype) of a window segment -> its SharedSegments
        self._host = {}       # (shape, dtype) -> the host copy a GPU buffer goes through without CUDA-aware MPI
        self.node, self.cross = self._split_by_machine(node)
        self.shared_memory = self.node is not None

    def _split_by_machine(self, node):
        """(this machine's communicator, the communicator of the ranks with this rank's place on the other
        machines or None on one machine); (None, None) when no buffer can be reduced in shared memory."""
        from mpi4py import MPI
        if node is None:
            node = self.comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        mine, sizes = np.array([node.Get_size()], dtype=np.int64), np.empty(self.size, dtype=np.int64)
        self._wait(self.comm.Iallgather(mine, sizes), 'machine layout')
        # each rank reduces its chunk of the buffer with the same chunk on the other machines, so every
        # machine must cut the buffer alike: as many ranks on each
        if node.Get_size() == 1 or (sizes != sizes[0]).any():
            return None, None
        if node.Get_size() == self.size:
            return node, None
        return node, self.comm.Split(color=node.Get_rank(), key=self.rank)

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

    def _check_same_buffer(self, arr, what, call, state=NOT_MOVABLE):
        """Exchange (count, dtype, call, state) with every rank; raise naming every rank's buffer or call when
        they differ; returns every rank's buffer state."""
        self._signature[:] = arr.size, DTYPES.index(arr.dtype), CALLS.index(call), state
        self._wait(self.comm.Iallgather(self._signature, self._signatures), f'{what} (buffer check)')
        if (self._signatures[:, 2] != self._signature[2]).any():
            calls = ', '.join(f"rank {r}: {CALLS[code]}" for r, code in enumerate(self._signatures[:, 2].tolist()))
            raise DistributedError(f"legonn.distributed rank {self.rank}: {what}: the ranks are in different "
                                   f"collectives ({calls})")
        if (self._signatures[:, :2] != self._signature[:2]).any():
            shapes = ', '.join(f"rank {r}: {count} {DTYPES[code].name} values"
                               for r, (count, code) in enumerate(self._signatures[:, :2].tolist()))
            raise DistributedError(f"legonn.distributed rank {self.rank}: {what}: the ranks hand different buffers "
                                   f"({shapes}); do all ranks build the same model?")
        return self._signatures[:, 3]

    def _segments(self, arr):
        """The SharedSegments whose segment ``arr`` is exactly, or None."""
        if not isinstance(arr, np.ndarray):
            return None
        return self._windows.get((arr.ctypes.data, arr.size, arr.dtype.str))

    def inSharedMemory(self, buffer):
        """Whether ``buffer`` (a tensor or array) is exactly a buffer ``shareMemory`` moved into shared memory,
        which ``allreduce`` then reduces there."""
        arr = buffer.array if isinstance(buffer, Tensor) else buffer
        return self._segments(arr) is not None

    def _run(self, arr, what, start):
        """Run the collective ``start(buffer)`` on ``arr``, through a host copy for GPU arrays when the MPI
        cannot read GPU memory."""
        if backend.is_cupy_array(arr) and not self.cuda_aware:
            key = (arr.shape, arr.dtype.str)
            host = self._host.get(key)
            if host is None:   # kept: every step reduces the same gradient buffer
                host = self._host[key] = np.empty(arr.shape, arr.dtype)
            arr.get(out=host)
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
        what = f'allreduce({arr.size} {arr.dtype.name} values)'
        segments = self._segments(arr)
        states = self._check_same_buffer(arr, what, 'allreduce', NOT_MOVABLE if segments is None else SHARED)
        if (states == SHARED).all():
            self._reduce_shared(segments, op, what)
            return buffer
        self._run(arr, what, lambda buf: self.comm.Iallreduce(MPI.IN_PLACE, buf, op=MPI.SUM))
        if op == 'mean':
            arr /= self.size
        return buffer

    def _reduce_shared(self, segments, op, what):
        """Allreduce a buffer every rank holds in a window segment: after a barrier each rank sums its chunk of
        the machine's segments (and allreduces that over MPI with the same chunk on the other machines),
        scales it for the mean, writes it into every segment of the machine; a second barrier ends it."""
        from mpi4py import MPI
        self._node_barrier(segments, what)
        chunk = segments.sum_chunk()
        if self.cross is not None:
            self._wait(self.cross.Iallreduce(MPI.IN_PLACE, chunk, op=MPI.SUM), what)
        if op == 'mean':
            chunk /= self.size
        segments.spread_chunk()
        self._node_barrier(segments, what)

    def _node_barrier(self, segments, what):
        """Wait for every rank of this machine, their stores to the window visible to this rank's loads."""
        segments.sync()
        self._wait(self.node.Ibarrier(), what)
        segments.sync()

    def shareMemory(self, tensor):
        """Move the storage under ``tensor`` into a window of memory shared by this machine's ranks, in place
        (values kept; every tensor viewing the storage, the modules' gradWeights included, follows it), so
        that ``allreduce`` sums it there without MPI's copies. Returns ``tensor``.

        ``tensor`` is a contiguous CPU legonn Tensor covering its whole storage, as getParameters()' flat
        vectors are (AllReduceSGD moves the flat gradient it is handed in two consecutive steps). Collective:
        every rank calls it with the same kind of buffer. It moves nothing, on every rank, when any rank's
        buffer is of another kind (a NumPy or CuPy array, a view of part of a storage) or when
        ``shared_memory`` is False; a buffer in a window already returns at once. Arrays taken from the old
        storage before the call (``t.numpy()``) no longer view the tensor afterwards.
        """
        arr = contiguous_array(tensor, 'shareMemory', DTYPES)
        if self._segments(arr) is not None:
            # the ranks moved it together; a rank that did not is caught by the next collective's check
            return tensor
        movable = (isinstance(tensor, Tensor) and not tensor.is_cuda and tensor.storageOffset() == 0
                   and arr.size == tensor.storage().size() > 0)
        what = f'shareMemory({arr.size} {arr.dtype.name} values)'
        states = self._check_same_buffer(arr, what, 'shareMemory', MOVABLE if movable else NOT_MOVABLE)
        if self.shared_memory and (states == MOVABLE).all():
            storage = tensor.storage()
            segments = SharedSegments(self.node, arr.size, arr.dtype)
            segments.mine[...] = storage.data
            storage.data = segments.mine
            storage.version += 1     # tensors viewing this storage rebuild their cached arrays
            self._windows[(segments.mine.ctypes.data, arr.size, arr.dtype.str)] = segments
        return tensor

    def broadcast(self, buffer, root=0):
        """Overwrite ``buffer`` on every rank with rank ``root``'s, in place; returns it."""
        if not 0 <= root < self.size:
            raise ValueError(f"legonn.distributed.broadcast: root must be a rank in [0, {self.size}), got {root!r}")
        arr = contiguous_array(buffer, 'broadcast', DTYPES)
        what = f'broadcast({arr.size} {arr.dtype.name} values from rank {root})'
        self._check_same_buffer(arr, what, 'broadcast')
        self._run(arr, what, lambda buf: self.comm.Ibcast(buf, root=root))
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


def init(comm=None, timeout=DEFAULT_TIMEOUT, cuda_aware=False, abort_on_error=True, node=None):
    """Start legonn's distributed layer on ``comm`` (default MPI ``COMM_WORLD``; a sub-communicator works)
    and return its Communicator, which the module-level functions then use; ``node``: see Communicator.

    With ``abort_on_error`` an exception that ends this rank's program prints its traceback and aborts the
    whole MPI job (the others would otherwise wait for it at their next collective).
    """
    global _world
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise ImportError("legonn.distributed needs mpi4py and an MPI library: pip install 'legonn[mpi]'") from err
    _world = Communicator(MPI.COMM_WORLD if comm is None else comm, timeout, cuda_aware, node)
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
