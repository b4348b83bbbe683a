"""Device memory on the host: NumPy owns the bytes; pools and allocators only count them.

CuPy asks the current allocator for every new array's memory, which is what ``using_allocator`` hooks into
(legonn's ``lg.cuda.capture`` lists and pools the allocations of a captured step that way). The simulator calls
the current allocator with each new array's size the same way and keeps the pointer it returns alive as long as
the array, so a pool's ``used_bytes`` follows the live arrays.
"""
import contextlib
import itertools
import threading

_local = threading.local()
_addresses = itertools.count(1 << 40, 512)


class MemoryPointer:
    """An address on the simulated device (``ptr``) and the size of its block. A pointer into an array's memory
    (``ndarray.data``) also knows that memory (``owner``, the NumPy array holding it, and ``block``, what the
    allocator gave it), so ``data + offset`` can build a view as ``cupy.ndarray(..., memptr=...)`` does."""

    def __init__(self, size, ptr=None, release=None, owner=None, block=None):
        self.size, self.ptr = size, next(_addresses) if ptr is None else ptr
        self._release, self.owner, self.block = release, owner, block

    def __del__(self):
        if self._release is not None:
            self._release(self.size)

    def __add__(self, offset):
        if not isinstance(offset, int):
            return NotImplemented
        return MemoryPointer(self.size - offset, self.ptr + offset, owner=self.owner, block=self.block)

    def __sub__(self, offset):
        return self + (-offset)

    def __int__(self):
        return self.ptr


class MemoryPool:
    """A pool counting the bytes of the live arrays it served (``used_bytes``) and their peak total."""

    def __init__(self, allocator=None):
        self._used = self._total = 0

    def malloc(self, size):
        self._used += size
        self._total = max(self._total, self._used)
        return MemoryPointer(size, release=self._release)

    def _release(self, size):
        self._used -= size

    def used_bytes(self):
        return self._used

    def total_bytes(self):
        return self._total

    def free_bytes(self):
        return self._total - self._used

    def free_all_blocks(self, stream=None):
        self._total = self._used

    def n_free_blocks(self):
        return 0

    def set_limit(self, size=None, fraction=None):
        pass

    def get_limit(self):
        return 0


_default_pool = MemoryPool()
_global = {'allocator': _default_pool.malloc}   # set_allocator's choice; using_allocator's is per thread


def get_default_memory_pool():
    return _default_pool


def get_allocator():
    return getattr(_local, 'allocator', None) or _global['allocator']


def set_allocator(allocator=None):
    _global['allocator'] = allocator or _default_pool.malloc


@contextlib.contextmanager
def using_allocator(allocator=None):
    previous = getattr(_local, 'allocator', None)
    _local.allocator = allocator or _default_pool.malloc
    try:
        yield
    finally:
        _local.allocator = previous


def allocate(nbytes):
    """The block the current allocator gives a new array of ``nbytes`` (None for an empty array, as in CuPy)."""
    return get_allocator()(nbytes) if nbytes else None
