"""torch-ipc's ``ipc.map(n, fn, ...)``: run ``fn(..., mapid)`` in ``n`` threads at once and ``join`` their
results, as map.c does with one thread (and one fresh Lua state) per call."""
import threading
import time
import traceback

from legonn import ipc
from legonn.tensor.indexing import whole_number
from legonn.tensor.naming import TorchNamed
from legonn.tensor.random import own_generator


class MapError(RuntimeError):
    """A worker of ``ipc.map`` raised; the message holds its traceback, ``__cause__`` is the exception."""


class Map(TorchNamed):
    """``n`` threads each running ``fn(*args, mapid)`` (``mapid`` 0 to n - 1). ``join()`` waits for them all
    and returns every result in mapid order, as one tuple (Lua's multiple results: a worker returning a tuple
    gives its items); ``checkErrors()`` raises a failure of a worker already ended without waiting."""

    def __init__(self, n, fn, *args):
        n = whole_number(n, 'legonn.ipc.map')   # Lua's numbers are doubles: math.pow(2, k) - 1 workers
        if n < 0:
            raise ValueError(f"legonn.ipc.map: expected a number of workers >= 0, got {n!r}")
        if not callable(fn):
            raise TypeError(f"legonn.ipc.map: expected a function to run, got {type(fn).__name__}")
        self._results = [None] * n
        self._failures = {}
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(mapid, fn, args), daemon=True,
                                          name=f'legonn.ipc.map[{mapid}]') for mapid in range(n)]
        for thread in self._threads:
            thread.start()

    def _run(self, mapid, fn, args):
        own_generator()    # each of map.c's threads is a new Lua state, with its own torch._gen
        try:
            result = fn(*args, mapid)
        except BaseException as exc:    # noqa: B036  (every failure goes back to join)
            with self._lock:
                self._failures[mapid] = (exc, traceback.format_exc())
            return
        self._results[mapid] = result if isinstance(result, tuple) else (result,)

    def _raise(self, mapids, what):
        mapid = mapids[0]
        exc, text = self._failures.pop(mapid)
        for other in mapids[1:]:
            self._failures.pop(other)
        raise MapError(f"legonn.ipc.map.{what}: worker {mapid} failed"
                       + (f" (and workers {mapids[1:]})" if mapids[1:] else '') + f":\n{text}") from exc

    def checkErrors(self):
        """Raise the failure of any worker that has ended with one (that failure is then reported only here)."""
        with self._lock:
            failed = sorted(self._failures)
        if failed:
            self._raise(failed, 'checkErrors')

    def join(self, timeout=None):
        """Wait (at most ``timeout`` s, default ``legonn.ipc.DEFAULT_TIMEOUT``) for every worker; raise the
        first failure not reported yet, else return the results."""
        deadline = time.monotonic() + (ipc.DEFAULT_TIMEOUT if timeout is None else timeout)
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0))
        running = [i for i, thread in enumerate(self._threads) if thread.is_alive()]
        if running:
            raise TimeoutError(f"legonn.ipc.map.join: workers {running} still ran after "
                               f"{ipc.DEFAULT_TIMEOUT if timeout is None else timeout} s")
        failed = sorted(self._failures)
        if failed:
            self._raise(failed, 'join')
        # a worker whose failure checkErrors reported has no results
        return tuple(value for result in self._results if result is not None for value in result)


def map(n, fn, *args):   # noqa: A001  (torch-ipc's name)
    """Start ``n`` workers running ``fn(*args, mapid)``; returns the ``Map`` to ``join``."""
    return Map(n, fn, *args)


def map_extended(n, init, fn, *args):
    """torch-ipc's ``ipc.map_extended``: ``map``, each worker first calling ``init()`` (None: nothing), as
    map.c runs its second argument in each new Lua state before the function. torch-ipc also takes Lua source
    as a string there; Python code is not run from a string here: pass a function."""
    if init is not None and not callable(init):
        raise TypeError(f"legonn.ipc.map_extended: arg #2 expected a function or None, got {type(init).__name__}")
    if not callable(fn):
        raise TypeError(f"legonn.ipc.map_extended: arg #3 expected a function, got {type(fn).__name__}")

    def run(*all_args):
        if init is not None:
            init()
        return fn(*all_args)
    return Map(n, run, *args)
