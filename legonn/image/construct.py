"""torch/image's kernels (init.lua, and generic/image.c's gaussian): ``gaussian``, ``gaussian1D`` and
``laplacian``, tensors of the default type (or written into a given ``tensor``).

Each takes its arguments by position or by name, as Torch7's ``dok.unpack``, or one dict of them, the Lua table
form: ``image.gaussian({'size': 9, 'sigma': 1.591 / 9, 'normalize': True})`` is ``image.gaussian(size=9, ...)``.
The means are fractions of the kernel's size (0.5: centred), not indices, so they keep Torch7's values. A None
argument takes its default, as Lua's nil does (a nil field is no field of a table: DIGITS's nnhelpers.lua calls
``image.gaussian({size=3, sigma=radius, normalize=true})`` with radius nil and gets the default sigma).
"""
import functools
import inspect

import numpy as np

from ..tensor import default_class
from ..tensor.functions import tensor_argument
from .arguments import result_sizes
from .pixels import FLOATS
from .planes import from_intermediate, temp_dtype



def _lua_arguments(kernel):
    """dok.unpack's rules for a kernel's arguments: by position, by name or as one dict (the Lua table form), and
    None (Lua's nil) meaning the argument's default."""
    signature = inspect.signature(kernel)

    @functools.wraps(kernel)
    def call(*args, **kwargs):
        if len(args) == 1 and isinstance(args[0], dict) and not kwargs:
            args, kwargs = (), dict(args[0])
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f'image.{kernel.__name__}: {err}') from None
        for name, value in bound.arguments.items():
            if value is None:
                bound.arguments[name] = signature.parameters[name].default
        return kernel(*bound.args, **bound.kwargs)
    return call


def _kernel_tensor(name, tensor, ndim, byte=False):
    """The ``tensor`` argument checked: a non-empty floating tensor (or a ByteTensor where ``byte``: image.c's
    gaussian is built for it too) of ``ndim`` dimensions."""
    tensor = tensor_argument(f'image.{name}', 'tensor', tensor)
    if tensor.dim() != ndim or tensor.nElement() == 0:
        raise ValueError(f"image.{name}: expected a non-empty {ndim}-D tensor, got sizes {tuple(tensor.size())}")
    if tensor.array.dtype not in FLOATS and not (byte and tensor.array.dtype == np.uint8):
        kinds = 'a floating tensor or a ByteTensor' if byte else 'a floating tensor'
        raise TypeError(f"image.{name}: expected {kinds}, got a {tensor.type()}")
    return tensor


def _per_axis(size, sigma, width, height, sigma_horz, sigma_vert):
    """``(width, height, sigma_horz, sigma_vert)``, each defaulting to ``size`` or ``sigma`` (dok's ``defaulta``)."""
    return (size if width is None else width, size if height is None else height,
            sigma if sigma_horz is None else sigma_horz, sigma if sigma_vert is None else sigma_vert)


def _filled(values, tensor):
    """float64 ``values`` stored into ``tensor``, or into a new tensor of the default type."""
    return default_class()(values) if tensor is None else tensor.copy(values)


@_lua_arguments
def gaussian(size=3, sigma=0.25, amplitude=1, normalize=False, width=None, height=None, sigma_horz=None,
             sigma_vert=None, mean_horz=0.5, mean_vert=0.5, tensor=None):
    """A ``height x width`` Gaussian (both ``size`` by default): ``amplitude * exp(-(du^2 + dv^2) / 2)`` with
    ``du = (u + 1 - (mean_horz * width + 0.5)) / (sigma_horz * width)`` for the 0-based column u, dv likewise
    for the row v; divided by its sum when ``normalize``. Written into ``tensor`` (2-D, its sizes win) when
    given. Computed as image.c does, in the tensor's precision (float for a Float or Byte tensor); a ByteTensor
    stores each value rounded half up and clamped to 0..255, and ``normalize`` then multiplies the stored bytes
    by the reciprocal of their sum, truncating, as the C's ``*=`` into an unsigned char."""
    width, height, sigma_horz, sigma_vert = _per_axis(size, sigma, width, height, sigma_horz, sigma_vert)
    if tensor is not None:
        tensor = _kernel_tensor('gaussian', tensor, 2, byte=True)
        height, width = tensor.size()
    height, width = result_sizes('gaussian', 'a kernel size', height=height, width=width)
    real = temp_dtype(default_class()._dtype if tensor is None else tensor.array.dtype)
    # image.c's temp_t roundings: means and reciprocals rounded to it, distances computed in it
    mean_u = real(real(mean_horz) * real(width) + 0.5)
    mean_v = real(real(mean_vert) * real(height) + 0.5)
    over_u = real(1.0 / (real(sigma_horz) * real(width)))
    over_v = real(1.0 / (real(sigma_vert) * real(height)))
    du = (np.arange(1, width + 1, dtype=real) - mean_u) * over_u
    dv = (np.arange(1, height + 1, dtype=real) - mean_v) * over_v
    values = (real(amplitude) * np.exp(-0.5 * (dv[:, None] * dv[:, None] + du * du).astype(np.float64))).astype(real)
    if tensor is not None and tensor.array.dtype == np.uint8:
        values = from_intermediate(np, values, np.uint8).astype(real)
        if normalize:
            values = np.trunc(values * real(1.0 / np.cumsum(values, dtype=real)[-1]))
        return _filled(values.astype(np.float64), tensor)
    if normalize:
        # image.c sums in temp_t, one value after another, and multiplies by the rounded reciprocal
        values = values * real(1.0 / np.cumsum(values, dtype=real)[-1])
    return _filled(values.astype(np.float64), tensor)


@_lua_arguments
def gaussian1D(size=3, sigma=0.25, amplitude=1, normalize=False, mean=0.5, tensor=None):
    """A Gaussian of ``size`` values: ``amplitude * exp(-((i + 1 - (mean * size + 0.5)) / (sigma * size))^2 /
    2)`` at the 0-based index i; divided by its sum when ``normalize``. Written into ``tensor`` (1-D, its size
    wins) when given."""
    if tensor is not None:
        tensor = _kernel_tensor('gaussian1D', tensor, 1)
        size = tensor.size(0)
    size, = result_sizes('gaussian1D', 'a kernel size', size=size)
    centre = mean * size + 0.5
    out = _filled(amplitude * np.exp(-(((np.arange(1, size + 1) - centre) / (sigma * size)) ** 2 / 2)), tensor)
    return out.div(out.sum()) if normalize else out


@_lua_arguments
def laplacian(size=3, sigma=0.1, amplitude=1, normalize=False, width=None, height=None, sigma_horz=None,
              sigma_vert=None, mean_horz=0.5, mean_vert=0.5):
    """A ``height x width`` Laplacian of Gaussian (both ``size`` by default): ``(1 - q) * amplitude * exp(-q)``
    with ``q = xsq + ysq``; as init.lua computes it, the row i (0-based) sets ``xsq = ((i + 1 - (mean_horz *
    width + 0.5)) / (sigma_horz * width))^2 / 2`` and the column j sets ysq from the vertical mean, sigma and
    height (horizontal and vertical are swapped in Torch7's loop; for a square kernel it does not matter).
    Divided by its sum when ``normalize``."""
    width, height, sigma_horz, sigma_vert = _per_axis(size, sigma, width, height, sigma_horz, sigma_vert)
    height, width = result_sizes('laplacian', 'a kernel size', height=height, width=width)
    xsq = ((np.arange(1, height + 1) - (mean_horz * width + 0.5)) / (sigma_horz * width)) ** 2 / 2
    ysq = ((np.arange(1, width + 1) - (mean_vert * height + 0.5)) / (sigma_vert * height)) ** 2 / 2
    q = xsq[:, None] + ysq
    out = _filled((1 - q) * amplitude * np.exp(-q), None)
    return out.div(out.sum()) if normalize else out
