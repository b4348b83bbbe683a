"""cupy.cuda on the host: one simulated device, streams that can capture graphs, memory pools and allocators."""
from . import memory, runtime, stream  # noqa: F401
from .memory import (MemoryPointer, MemoryPool, get_allocator, set_allocator,  # noqa: F401
                     using_allocator)
from .stream import Event, Graph, Stream, get_current_stream, get_elapsed_time  # noqa: F401


def is_available():
    return True


class Device:
    """The simulated device 0."""

    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)
        runtime.setDevice(self.id)
        self.compute_capability = '90'

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def use(self):
        pass

    def synchronize(self):
        stream.host_sync('Device.synchronize')

    @property
    def mem_info(self):
        return runtime.memGetInfo()
