"""Mutex and Condition shared by the main thread and every worker, threads or processes.

Torch7's ``threads.Mutex``/``threads.Condition`` can be re-created in any
thread from their ``id()``. Here the id is the path of a small file: a mutex
is a process-local lock (for threads) plus ``flock`` on that file (for
processes), so it pickles by path and works after the pool has started.
A condition keeps a wake-up counter in its file; ``wait`` sleeps until the
counter moves (polling with a short back-off), which allows the spurious
wake-ups every condition variable allows: re-check the predicate in a loop.
``free()`` removes one now, as Torch7's. ``safe(func)`` wraps a function in
a mutex of its own (torch/threads' safe.lua). POSIX only (``fcntl``).
"""
import fcntl
import functools
import mmap
import os
import struct
import tempfile
import threading
import time
import weakref

_handles = {}   # path -> (pid, thread lock, fd, mmap or None) for this process
_handles_lock = threading.Lock()


def _folder():
    return '/dev/shm' if os.path.isdir('/dev/shm') else tempfile.gettempdir()


def _create(prefix, nbytes):
    fd, path = tempfile.mkstemp(prefix=prefix, dir=_folder())
    os.ftruncate(fd, nbytes)
    os.close(fd)
    return path


def _remove(path):
    with _handles_lock:
        entry = _handles.pop(path, None)
    if entry is not None and entry[0] == os.getpid():
        if entry[3] is not None:
            entry[3].close()
        os.close(entry[2])
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _handle(path, mapped):
    with _handles_lock:
        entry = _handles.get(path)
        if entry is None or entry[0] != os.getpid():    # a forked child opens its own descriptor
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                raise RuntimeError(f"legonn.threads: the mutex or condition {path} no longer exists "
                                   "(freed, or its creator was garbage collected)") from None
            entry = (os.getpid(), threading.Lock(), fd, mmap.mmap(fd, 8) if mapped else None)
            _handles[path] = entry
        return entry


class _SyncFile:
    """What Mutex and Condition share: the file named by ``id()``, created under ``_prefix`` (and removed when
    this object is collected or freed) unless an id is given, and the pickling and printing by that id."""

    _prefix = None

    def __init__(self, id=None):
        self._free = None
        if id is None:
            id = _create(self._prefix, 8)
            self._free = weakref.finalize(self, _remove, id)
        self._path = id

    def id(self):
        return self._path

    def free(self):
        """Torch7's ``m:free()``: the mutex or condition this object created is removed now rather than when
        it is collected (a handle re-created from an id leaves it to its creator); using it afterwards raises."""
        if self._free is not None:
            self._free()

    def __reduce__(self):
        return type(self), (self._path,)

    def __repr__(self):
        return f"threads.{type(self).__name__}({self._path!r})"


class Mutex(_SyncFile):
    """A mutual-exclusion lock for jobs in thread or process workers.

    ``Mutex()`` creates one; ``Mutex(m.id())`` (or pickling ``m``) gives a
    handle to the same lock in another worker. ``lock()``/``unlock()`` or
    ``with m:``. The creating object removes the lock when it is collected.
    """

    _prefix = 'legonn-mutex-'

    def lock(self):
        _, tlock, fd, _ = _handle(self._path, False)
        tlock.acquire()
        fcntl.flock(fd, fcntl.LOCK_EX)

    def unlock(self):
        _, tlock, fd, _ = _handle(self._path, False)
        fcntl.flock(fd, fcntl.LOCK_UN)
        tlock.release()

    def __enter__(self):
        self.lock()
        return self

    def __exit__(self, *exc):
        self.unlock()


class Condition(_SyncFile):
    """A condition variable for jobs in thread or process workers.

    ``wait(mutex, timeout=None)`` releases ``mutex`` (held by the caller),
    sleeps until ``signal()``/``broadcast()`` and takes ``mutex`` again;
    it returns False when ``timeout`` seconds passed first. Every waiter
    wakes on a signal; callers re-check their predicate in a loop.
    """

    _prefix = 'legonn-cond-'

    def _count(self):
        return struct.unpack_from('q', _handle(self._path, True)[3], 0)[0]

    def wait(self, mutex, timeout=None):
        seen = self._count()
        mutex.unlock()
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = 1e-5
        woken = True
        try:
            while self._count() == seen:
                if deadline is not None and time.monotonic() >= deadline:
                    woken = False
                    break
                time.sleep(pause)
                pause = min(pause * 2, 1e-3)
        finally:
            mutex.lock()
        return woken

    def signal(self):
        _, tlock, fd, counter = _handle(self._path, True)
        with tlock:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                struct.pack_into('q', counter, 0, struct.unpack_from('q', counter, 0)[0] + 1)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    broadcast = signal


class _Safe:
    """What ``safe(func, mutex)`` returns: ``func`` called with ``mutex`` held. A class rather than a closure
    so that it pickles (by the mutex's id) for process workers."""

    def __init__(self, func, mutex):
        self.func, self.mutex = func, mutex
        functools.update_wrapper(self, func)

    def __call__(self, *args, **kwargs):
        with self.mutex:
            return self.func(*args, **kwargs)

    def __reduce__(self):
        return _Safe, (self.func, self.mutex)


def safe(func, mutex=None):
    """torch/threads' ``threads.safe(func, [mutex])``: a function that calls ``func`` with the same arguments
    and results while holding ``mutex``, so that jobs of any worker run it one at a time. Without a mutex
    one is created, and removed when the returned function is collected (it owns it)."""
    if not callable(func):
        raise TypeError(f"threads.safe: expected a function, got {func!r:.60}")
    if mutex is not None and not isinstance(mutex, Mutex):
        raise TypeError(f"threads.safe: the mutex must be a threads.Mutex, got {mutex!r:.60}")
    return _Safe(func, Mutex() if mutex is None else mutex)
