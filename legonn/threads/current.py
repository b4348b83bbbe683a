"""Which worker is running this code, its own namespace, and whether threads run in parallel here."""
import sys
import threading

_local = threading.local()   # .tid in the threads of a thread pool
_process = [None]            # the id of this worker process, in a process pool


def threadid():
    """The 0-based id of the worker running the current job, or None in the main thread."""
    tid = getattr(_local, 'tid', None)
    return _process[0] if tid is None else tid


def free_threaded():
    """True on a free-threaded CPython (3.13t+) running without the GIL: thread workers then run in parallel."""
    is_gil_enabled = getattr(sys, '_is_gil_enabled', None)
    return is_gil_enabled is not None and not is_gil_enabled()


class WorkerNamespace(threading.local):
    """Globals private to one worker, as Torch7's per-thread Lua states gave: ``threads.local``.

    An attribute set on ``threads.local`` by an init function or a job is
    seen by later jobs on the same worker and by no other worker; the main
    thread has its own too. Each worker starts with it empty, on both
    backends (a thread-local object in each thread, a fresh one in each
    process).
    """

    def __repr__(self):
        tid = threadid()
        where = 'the main thread' if tid is None else f'thread {tid}'
        return f"threads.local of {where}: {sorted(vars(self))}"


local = WorkerNamespace()
