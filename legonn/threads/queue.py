"""torch/threads' ``Queue`` (queue.lua over lib/queue.c): a bounded, thread-safe queue of jobs.

One thread puts a job with ``addjob(callback, *args)`` (waiting while the queue holds ``N`` jobs); another
takes the oldest with ``dojob()``, which runs it and returns what it returned (waiting while the queue is
empty). ``Threads`` is built on such queues in Torch7; legonn's pool has its own transports, and this class
is the piece for programs that use a Queue directly between threads of one process.

Torch7 serialises the callback and its arguments on ``addjob``; legonn passes the objects themselves, as its
thread workers do (docs/threads.md), binding the variables the callback closes over at ``addjob`` as the pool
does, so a callback made in a loop sees that iteration's values.
"""
import threading

from .pool import _positive_int
from .thread_workers import _frozen

SERIALIZATIONS = ('threads.serialize', 'threads.sharedserialize')


class Queue:
    """``threads.Queue(N, serialize='threads.serialize')``: a queue of at most ``N`` jobs. ``serialize`` names
    the scheme as lib/queue.c's second argument does (the README's ``Queue(N)`` leaves it out, which the C
    refuses; legonn takes the default); objects are passed, not serialised, whichever is named."""

    def __init__(self, N, serialize='threads.serialize'):
        self.size = _positive_int(N, 'the Queue size N')
        if serialize not in SERIALIZATIONS:
            raise ValueError(f"threads.Queue: serialize must be one of {SERIALIZATIONS}, got {serialize!r}")
        self.serialize = serialize
        self._jobs = []
        self._lock = threading.Lock()
        self._notfull = threading.Condition(self._lock)
        self._notempty = threading.Condition(self._lock)

    @property
    def isempty(self):
        """1 when no job is queued, else 0 (queue.lua's field)."""
        return int(not self._jobs)

    @property
    def isfull(self):
        """1 when ``N`` jobs are queued, else 0 (queue.lua's field)."""
        return int(len(self._jobs) >= self.size)

    def addjob(self, callback, *args):
        """Put ``callback(*args)`` at the tail, waiting while the queue is full."""
        if not callable(callback):
            raise TypeError(f"threads.Queue.addjob: expected a callable callback, got {callback!r}")
        job = (_frozen(callback), args)
        with self._notfull:
            while len(self._jobs) >= self.size:
                self._notfull.wait()
            self._jobs.append(job)
            self._notempty.notify()

    def dojob(self):
        """Take the job at the head (waiting while the queue is empty), run it and return its result."""
        with self._notempty:
            while not self._jobs:
                self._notempty.wait()
            callback, args = self._jobs.pop(0)
            self._notfull.notify()
        return callback(*args)

    def __repr__(self):
        return f"threads.Queue({len(self._jobs)}/{self.size} jobs)"
