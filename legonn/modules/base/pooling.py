"""What the window poolings of every rank share: Torch7's ceil/floor output rounding and the type of
max pooling's winning-offset buffer."""
from ...tensor import pool_kernels as pk


def offset_kind(ksize, input):
    """Element kind of max pooling's winning-offset buffer for ``input`` (``pool_kernels.offset_dtype``)."""
    if input.is_cuda:
        return 'Int'
    return 'Byte' if pk.offset_dtype(ksize).itemsize == 1 else 'Int'


class CeilMode:
    """Torch7's ``:ceil()`` / ``:floor()`` rounding of pooled output sizes (floor by default)."""

    ceil_mode = False

    def ceil(self):
        """Round output sizes up (a last window may run past the end of the input, never start past it)."""
        self.ceil_mode = True
        return self

    def floor(self):
        """Round output sizes down (the default)."""
        self.ceil_mode = False
        return self
