"""What the window poolings of every rank share: Torch7's ceil/floor output rounding, the type of
max pooling's winning-offset buffer, the fractional poolings' check that every window has a maximum and the
unpoolings' check of the indices they read."""
from ...tensor import pool_kernels as pk
from .errors import input_error


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


def check_unpool_indices(module, indices):
    """Refuse indices with a -1 (a pooling window of NaNs and -infs had no maximum): THNN's Spatial and
    VolumetricMaxUnpooling raise "found an invalid max index" where the -1 would write into a neighbouring
    plane."""
    if bool((indices < 0).any()):
        raise input_error(module, "pooling indices that each name a maximum",
                          "an index -1 (a pooling window held only NaN or -inf)")


def check_every_window_won(module, no_max):
    """Refuse an input where a window has no maximum (``no_max``: a boolean array, True where every element of
    the window was NaN or -inf): THNN's and THCUNN's fractional max poolings assert ``maxVal != -inf``."""
    if bool(no_max.any()):
        raise input_error(module, "every pooling window to hold a number above -inf",
                          "a window of only NaN and -inf")
