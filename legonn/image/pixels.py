"""How torch/image's C loops (generic/image.c) read and store pixel values: they compute in the tensor's own
precision (``temp_t``: float for a Float or Byte tensor, double for a Double one), read a ByteTensor's colour
channels as ``value / 255`` and store a result into one rounded half up and clamped to [0, 255]
(``FromIntermediate``)."""
import numpy as np

from ..tensor import backend
from .planes import from_intermediate, temp_dtype

FLOATS = (np.float16, np.float32, np.float64)   # the floating types image.c's loops take


def real_type(name, t, byte=True):
    """The NumPy type image.c computes ``t``'s values in, or a TypeError naming ``image.<name>`` for a tensor type
    it does not take (a ByteTensor only where ``byte``)."""
    dtype = t.array.dtype
    if dtype in FLOATS or (byte and dtype == np.uint8):
        return temp_dtype(dtype)
    kinds = 'a Float, Double or Byte tensor' if byte else 'a Float or Double tensor'
    raise TypeError(f"image.{name}: expected {kinds}, got a {t.type()}")


def read(t, real, scale=True):
    """``t``'s array in the type ``real``; a ByteTensor's values divided by 255 when ``scale``."""
    values = t.array.astype(real)
    if scale and t.array.dtype == np.uint8:
        values /= real(255)
    return values


def stored(values, dtype, scale=True):
    """``values`` (computed in float) as image.c stores them into a tensor of ``dtype``: into a ByteTensor
    multiplied by 255 when ``scale``, then ``FromIntermediate``'s rounding (planes.from_intermediate)."""
    if scale and dtype == np.uint8:
        values = values * values.dtype.type(255)
    return from_intermediate(backend.array_module(values), values, dtype)
