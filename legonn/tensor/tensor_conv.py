"""Torch7's ``torch.conv2``, ``torch.xcorr2``, ``torch.conv3``, ``torch.xcorr3`` (TH/generic/THTensorConv.c as
TensorMath.lua wraps it): 2-D and 3-D convolution or cross-correlation of images with kernels, valid ('V', the
default) or full ('F'), stride 1.

For ``n``-D images (n = 2 or 3), the argument sizes pick the operation:

* x ``(m, n)`` and k ``(ki, kj)``: one image, one kernel, a 2-D result (conv2Dmul);
* x ``(p, m, n)`` and k ``(p, ki, kj)``: plane i of x with kernel i, a ``(p, ...)`` result (conv2Dcmul);
* x ``(p, m, n)`` and k ``(q, p, ki, kj)``: output plane j sums plane i of x with kernel ``(j, i)``, a ``(q, ...)``
  result (conv2Dmv), like a matrix-vector product;

and the same with one more trailing dimension for conv3/xcorr3. A valid result has ``m - ki + 1`` rows, a full
one ``m + ki - 1``. Convolution flips the kernel; cross-correlation does not.
"""
import itertools

from . import backend
from .functions import as_tensor


def _spatial(name, x, k, nd, mode, flip):
    """The result array of ``name``: x, k arrays of one module, ``nd`` spatial dimensions."""
    if mode not in ('V', 'F'):
        raise ValueError(f"legonn.{name}: the mode must be 'V' (valid) or 'F' (full), got {mode!r}")
    if x.ndim == nd and k.ndim == nd:
        # one plane, one kernel: the per-plane product, not tensordot (512x512 by 9x9, valid: 81 -> 6.4 ms, float32)
        out = _spatial(name, x[None], k[None], nd, mode, flip)
        return out[0]
    if x.ndim == nd + 1 and k.ndim == nd + 1 and x.shape[0] == k.shape[0]:
        per_plane = True
    elif x.ndim == nd + 1 and k.ndim == nd + 2 and k.shape[1] == x.shape[0]:
        per_plane = False
    else:
        raise ValueError(f"legonn.{name}: expected x and k of {nd}-D, x ({nd + 1}-D) and k ({nd + 1}-D) with as "
                         f"many planes, or x ({nd + 1}-D) and k ({nd + 2}-D, its second size x's planes); got "
                         f"sizes {tuple(x.shape)} and {tuple(k.shape)}")
    xp = backend.array_module(x)
    ks = k.shape[-nd:]
    if flip:
        k = k[(Ellipsis,) + (slice(None, None, -1),) * nd]
    if mode == 'F':
        x = xp.pad(x, [(0, 0)] + [(s - 1, s - 1) for s in ks])
    if any(a < b for a, b in zip(x.shape[1:], ks)):
        raise ValueError(f"legonn.{name}: the image ({tuple(x.shape[1:])}) is smaller than the kernel ({tuple(ks)}) "
                         f"for a valid {'convolution' if flip else 'cross-correlation'}")
    out_sizes = tuple(a - b + 1 for a, b in zip(x.shape[1:], ks))
    planes = x.shape[0] if per_plane else k.shape[0]
    out = xp.zeros((planes,) + out_sizes, dtype=x.dtype)
    for offset in itertools.product(*(range(s) for s in ks)):
        window = x[(slice(None),) + tuple(slice(o, o + n) for o, n in zip(offset, out_sizes))]
        weights = k[(Ellipsis,) + offset]
        if per_plane:
            out += weights.reshape((-1,) + (1,) * nd) * window
        else:
            out += xp.tensordot(weights, window, axes=(1, 0)).astype(x.dtype, copy=False)
    return out


def _conv_function(name, nd, flip):
    def fn(*args):
        result = None
        if len(args) >= 3 and all(hasattr(a, 'storageOffset') for a in args[:3]):
            result, args = args[0], args[1:]
        if len(args) not in (2, 3):
            raise TypeError(f"legonn.{name}: expected ([res,] x, k [, 'V' or 'F']), got {len(args)} arguments "
                            f"besides a result")
        x, k = as_tensor(args[0]), as_tensor(args[1])
        if type(k) is not type(x):
            raise TypeError(f"legonn.{name}: x and k must be of one type, got {x.type()} and {k.type()}")
        out = type(x)._from_array(_spatial(name, x.array, k.array, nd, args[2] if len(args) == 3 else 'V', flip))
        if result is None:
            return out
        return as_tensor(result).resize(tuple(out.size())).copy(out)
    fn.__name__ = name
    fn.__doc__ = (f"``legonn.{name}([res,] x, k [, 'V' or 'F'])``: {nd}-D "
                  f"{'convolution' if flip else 'cross-correlation'} of x with k, valid by default (see the module "
                  f"docstring for the sizes); a given ``res`` is resized and filled.")
    return fn


conv2 = _conv_function('conv2', 2, True)
xcorr2 = _conv_function('xcorr2', 2, False)
conv3 = _conv_function('conv3', 3, True)
xcorr3 = _conv_function('xcorr3', 3, False)
