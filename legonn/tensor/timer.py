"""``Timer``: Torch7's ``torch.Timer``, wall-clock and CPU time with stop/resume; ``tic``/``toc``."""
import os
import time


def _clock():
    cpu = os.times()
    return {'real': time.perf_counter(), 'user': cpu.user, 'sys': cpu.system}


class Timer:
    """Measures from creation (or ``reset()``); ``time()`` returns ``{'real', 'user', 'sys'}`` in seconds.
    ``stop()`` pauses the count and ``resume()`` continues it, as Torch7's timer."""

    def __init__(self):
        self._started = _clock()
        self.reset()

    def reset(self):
        """Zero the count; a stopped timer stays stopped (Torch7's doc/timer.md)."""
        self._total = {'real': 0.0, 'user': 0.0, 'sys': 0.0}
        if self._started is not None:
            self._started = _clock()
        return self

    def stop(self):
        if self._started is not None:
            now = _clock()
            for key in self._total:
                self._total[key] += now[key] - self._started[key]
            self._started = None
        return self

    def resume(self):
        if self._started is None:
            self._started = _clock()
        return self

    def time(self):
        now = _clock() if self._started is not None else None
        return {key: total + (now[key] - self._started[key] if now else 0.0) for key, total in self._total.items()}


def tic():
    """Torch7's ``torch.tic()``: the wall-clock time now, in seconds since the epoch (utils.c's real_time)."""
    return time.time()


def toc(start):
    """Torch7's ``torch.toc(t)``: seconds of wall-clock time since ``start``, a ``tic()`` value."""
    return time.time() - start
