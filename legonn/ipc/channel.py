"""torch-ipc's ``ipc.channel()``: a FIFO queue any thread may write to and read from (src/channel.c).

    c = ipc.channel()
    c.write(1, 2)                  # ipc.channel.OPEN; each value is one item
    status, item = c.read()        # (OPEN, 1); read(True) does not wait: (status, None) when empty
    c.close()                      # no more writes: write returns CLOSED
    c.read(); c.read()             # (CLOSED, 2), then (DRAINED, None): closed and empty is drained

``read`` always gives ``(status, item)``, item None when none was read (the Lua gives the status alone then,
which ``local status, item =`` turns into the same nil). Items are copies (see legonn.ipc.values): a dict
read is not the dict written, tensors and other handles are shared; a closure is refused, as channel.c writes
with upvalues off. A blocking ``read`` waits as long as it takes, as torch-ipc's (close the channel to
release its readers); ``num_items`` counts the items queued."""
import collections
import threading

from legonn.ipc.values import ProcessLocal, copy_value
from legonn.tensor.naming import TorchNamed


class Channel(ProcessLocal, TorchNamed):
    """See the module's docstring; ``OPEN``, ``CLOSED`` and ``DRAINED`` are channel.h's statuses."""
    __slots__ = ('_items', '_cond', '_closed', '_drained')
    OPEN, CLOSED, DRAINED = 0, 1, 2

    def __init__(self):
        self._items = collections.deque()
        self._cond = threading.Condition(threading.RLock())   # channel.c's recursive mutex
        self._closed = False
        self._drained = False

    def write(self, *values):
        """Queue each value (None too); the status: OPEN, or CLOSED/DRAINED when nothing was written."""
        with self._cond:
            if self._drained:
                return self.DRAINED
            if self._closed:
                return self.CLOSED
            # all values or none: a closure among them is refused before any is queued
            self._items.extend([copy_value(value, False, 'legonn.ipc.channel.write') for value in values])
            self._cond.notify(len(values))
            return self.OPEN

    def read(self, doNotBlock=False):
        """``(status, item)``: the oldest item with the status before reading it (CLOSED for the last items of
        a closed channel, whose last read makes it drained), ``(DRAINED, None)`` at once on a drained channel;
        an empty open one waits for an item or a close (with ``doNotBlock``: ``(OPEN, None)`` at once)."""
        with self._cond:
            while True:
                if self._items:
                    status = self.CLOSED if self._closed else self.OPEN
                    if self._closed and len(self._items) == 1:
                        self._drained = True
                        self._cond.notify_all()
                    return status, self._items.popleft()
                if self._drained:
                    return self.DRAINED, None
                if doNotBlock:
                    return (self.CLOSED if self._closed else self.OPEN), None
                self._cond.wait()

    def close(self):
        """Refuse further writes (again: no effect); an empty channel is drained at once. Wakes every reader."""
        with self._cond:
            if not self._closed:
                self._closed = True
                self._drained = not self._items
                self._cond.notify_all()

    def closed(self):
        """Whether ``close`` was called."""
        with self._cond:
            return self._closed

    def drained(self):
        """Whether the channel is closed and its last item read."""
        with self._cond:
            return self._drained

    def num_items(self):
        """The number of items queued."""
        with self._cond:
            return len(self._items)


channel = Channel
