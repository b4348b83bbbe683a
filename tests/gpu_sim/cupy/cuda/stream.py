"""Streams, events and CUDA graphs on the host.

Every operation runs at once on NumPy, so a stream only matters while it captures: then each device operation is
also appended to the stream's graph, which ``Graph.launch`` replays in order, writing into the arrays the captured
call wrote (the same memory, as a real graph does). Recording runs nothing on a GPU, so ``end_capture`` puts back
the contents every array had when the capture began (arrays made during it keep what the recording computed,
which a GPU would leave uninitialised). What CUDA refuses while a stream records raises CuPy's
``CUDARuntimeError`` with CUDA's status and invalidates the capture: a host synchronisation (``get()``,
``float()``, ``bool()``, ``item()``, a ``synchronize()``), and a copy from host memory into a device array.
That is stricter than CuPy's relaxed capture mode in one case: a read through another, non-capturing stream
is refused too (legonn reads nothing that way).
"""
import collections
import contextlib
import threading
import time

from .runtime import (CUDARuntimeError, STREAM_CAPTURE_IMPLICIT, STREAM_CAPTURE_INVALIDATED,
                      STREAM_CAPTURE_UNSUPPORTED)

_local = threading.local()
_capturing = set()   # streams now recording; a blocking call anywhere breaks their capture (global mode)


def get_current_stream(device_id=None):
    stack = getattr(_local, 'stack', None)
    return stack[-1] if stack else Stream.null


_counts = []   # the tallies of the open ``counting()`` blocks


@contextlib.contextmanager
def counting(by_line=False):
    """The simulator's profiler: a Counter of the device operations (each roughly one CuPy kernel launch or
    copy) and host synchronisations (keys 'host sync: <call> at <file:line>') made inside the block, by name;
    with ``by_line`` every operation's key names the line that asked for it too."""
    tally = collections.Counter()
    _counts.append((tally, by_line))
    try:
        yield tally
    finally:
        _counts.remove((tally, by_line))


def count(what, by_line=False):
    """One more ``what`` in each open tally; keyed with the asking line where the tally (or ``by_line``) wants."""
    where = None
    for tally, lines in _counts:
        if (lines or by_line) and where is None:
            where = _caller()
        tally[f'{what} at {where}' if lines or by_line else what] += 1


def _caller():
    """'file:line' of the innermost frame outside the simulator: the code that asked for the value."""
    import os
    import sys
    here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    frame = sys._getframe(2)
    while frame is not None and os.path.realpath(frame.f_code.co_filename).startswith(here):
        frame = frame.f_back
    if frame is None:
        return 'an unknown line'
    return f'{os.path.relpath(os.path.realpath(frame.f_code.co_filename))}:{frame.f_lineno}'


def host_sync(what):
    """A call that waits for the device: refused while any stream records, which invalidates that capture."""
    count(f'host sync: {what}', by_line=True)
    if not _capturing:
        return
    current = get_current_stream()
    for stream in list(_capturing):
        stream._graph.invalid = what
    raise CUDARuntimeError(STREAM_CAPTURE_UNSUPPORTED if current in _capturing else STREAM_CAPTURE_IMPLICIT)


def host_to_device(what):
    """A copy from pageable host memory into the device: a graph would replay the bytes of the captured call, so
    the simulator refuses it while the current stream records."""
    if get_current_stream() in _capturing:
        host_sync(what)


def record(operation, targets):
    """While the current stream records, append ``operation`` (a function of no arguments returning the new
    results) and the arrays it wrote (``targets``, the captured results) to the stream's graph."""
    stream = get_current_stream()
    if stream in _capturing:
        stream._graph.nodes.append((operation, targets))


class Graph:
    """A recorded sequence of device operations; ``launch`` replays them into the captured memory."""

    def __init__(self):
        self.nodes, self.invalid = [], None

    def launch(self, stream=None):
        from .._array import copy_results
        for operation, targets in self.nodes:
            copy_results(targets, operation())

    def upload(self, stream=None):
        pass


class Stream:
    """A CUDA stream: a context manager making itself current; it can capture a graph."""
    null = None

    def __init__(self, null=False, non_blocking=False, ptds=False, priority=None):
        self._graph = None
        self.ptr = 0 if null else id(self)

    def __enter__(self):
        if not hasattr(_local, 'stack'):
            _local.stack = []
        _local.stack.append(self)
        return self

    def __exit__(self, *exc):
        _local.stack.pop()

    def use(self):
        _local.stack = [self]
        return self

    def synchronize(self):
        host_sync('Stream.synchronize')

    def is_capturing(self):
        return self in _capturing

    def begin_capture(self, mode=None):
        if self is Stream.null:
            raise RuntimeError('cannot capture on the default (legacy) stream')
        if self in _capturing:
            raise CUDARuntimeError(STREAM_CAPTURE_UNSUPPORTED)
        from .._array import device_memory
        self._graph = Graph()
        self._saved = [(a, a.copy()) for a in device_memory()]
        _capturing.add(self)

    def end_capture(self):
        if self not in _capturing:
            raise CUDARuntimeError(STREAM_CAPTURE_INVALIDATED)
        _capturing.discard(self)
        for a, saved in self._saved:
            a[...] = saved
        graph, self._graph, self._saved = self._graph, None, []
        if graph.invalid:
            raise CUDARuntimeError(STREAM_CAPTURE_INVALIDATED)
        return graph


Stream.null = Stream(null=True)


class Event:
    """A timing event: ``record`` notes the host clock (every operation has already run)."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.time = None

    def record(self, stream=None):
        self.time = time.perf_counter()

    def synchronize(self):
        host_sync('Event.synchronize')

    @property
    def done(self):
        return True


def get_elapsed_time(start, end):
    """Milliseconds between two recorded events."""
    return (end.time - start.time) * 1e3
