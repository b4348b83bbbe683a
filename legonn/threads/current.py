"""Which worker is running this code, and whether threads run in parallel here."""
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
