"""The thread backend: N daemon threads, one inbox each, one outbox to the main thread.

Jobs and their results are passed as Python objects: a tensor returned by a
job is the very tensor the job made (Torch7's sharedserialize without the
serialising). Under the GIL only code that releases it (BLAS, large NumPy
operations, I/O) runs in parallel; on a free-threaded CPython everything does.
"""
import queue
import threading
import types

from ..tensor.random import own_generator
from . import current
from .failure import Failure
from .sync import _Safe

_STOP = None


def _frozen(job):
    """``job`` with the variables it closes over bound to their values now. torch/threads serialises a job
    with its upvalues when addjob is called, so a job made in a loop (imagenet-multiGPU's test.lua reads
    indexStart, indexEnd) sees that iteration's values, where a Python closure reads the variables when it
    runs, after the loop has moved on. The objects are not copied: a tensor or list is the caller's."""
    if isinstance(job, _Safe):    # threads.safe(f): Torch7 serialises f as an upvalue of the safe function
        return _Safe(_frozen(job.func), job.mutex)
    cells = job.__closure__ if isinstance(job, types.FunctionType) else None
    if not cells:
        return job
    frozen = []
    for cell in cells:
        try:
            frozen.append(types.CellType(cell.cell_contents))
        except ValueError:      # a variable not assigned yet: nothing to freeze
            frozen.append(cell)
    copy = types.FunctionType(job.__code__, job.__globals__, job.__name__, job.__defaults__, tuple(frozen))
    copy.__kwdefaults__, copy.__qualname__ = job.__kwdefaults__, job.__qualname__
    copy.__dict__.update(job.__dict__)
    return copy


def _loop(tid, inbox, outbox):
    current._local.tid = tid
    own_generator()     # each Torch7 thread has its own torch._gen
    while True:
        message = inbox.get()
        if message is _STOP:
            return
        jobid, (job, args) = message
        try:
            outbox.put(('done', jobid, tid, True, job(*args)))
        except BaseException as exc:    # noqa: B036  (every failure goes back to the main thread)
            outbox.put(('done', jobid, tid, False, Failure.current(exc)))


class ThreadWorkers:
    def __init__(self, n):
        self.outbox = queue.SimpleQueue()
        self.inboxes = [queue.SimpleQueue() for _ in range(n)]
        self.threads = [threading.Thread(target=_loop, args=(i, self.inboxes[i], self.outbox), daemon=True,
                                         name=f'legonn-threads-{i}') for i in range(n)]
        for t in self.threads:
            t.start()

    def alive(self, tid):
        return self.threads[tid].is_alive()

    @staticmethod
    def pack(job, args):
        return _frozen(job), args

    def send(self, tid, jobid, packed):
        self.inboxes[tid].put((jobid, packed))

    def recv(self, timeout):
        """The next result, or None when none came within ``timeout`` seconds."""
        try:
            return self.outbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self, timeout=5.0, stuck=()):
        """Ask every thread to finish after its current job; wait at most ``timeout`` seconds in all.

        Threads in ``stuck`` are not waited for: a thread cannot be killed, so one whose job never
        returns is left behind (a daemon, it does not hold up the interpreter's exit).
        """
        for inbox in self.inboxes:
            inbox.put(_STOP)
        for tid, t in enumerate(self.threads):
            if tid not in stuck:
                t.join(timeout / len(self.threads))
