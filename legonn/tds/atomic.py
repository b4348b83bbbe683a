"""``tds.AtomicCounter``: atomic.lua's counter, shared by the threads of one process."""
import threading

from ..tensor.indexing import whole_number

# one lock for every counter: a counter's state stays a plain integer (what lg.save writes), and its
# operations are a few instructions, so they never wait long on one another
_LOCK = threading.Lock()


class AtomicCounter:
    """``tds.AtomicCounter()``: an integer that threads update atomically, starting at 0. The threads of a
    ``legonn.threads`` pool share it; processes (its process backend) do not."""
    typename = 'tds.AtomicCounter'

    def __init__(self):
        self._value = 0

    def inc(self):
        """Add 1; returns the value before (THAtomicAddLong's)."""
        with _LOCK:
            before = self._value
            self._value = before + 1
        return before

    def get(self):
        return self._value

    def set(self, value):
        """Store ``value``: an integer or a whole number (Lua's numbers are doubles, so ``n / 2`` may be one)."""
        value = whole_number(value, 'tds.AtomicCounter.set')
        with _LOCK:
            self._value = value

    def __repr__(self):
        return f'tds.AtomicCounter={self._value}'

    __str__ = __repr__

    def validateState(self):
        """For ``lg.load``: the saved value is an integer."""
        if type(self._value) is not int:
            raise TypeError(f"tds.AtomicCounter: its value must be an integer, got {self._value!r:.40}")
