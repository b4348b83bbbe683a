"""Between file samples and image tensors: the types torch/image loads (``'byte'`` 0..255, ``'float'`` and
``'double'`` scaled to [0, 1]), init.lua's depth conversion, and the clamping to bytes done before saving."""
import numpy as np

from ..tensor import as_tensor, backend, default_class, tensor_class
from .colour import rgb2y

TENSOR_TYPES = {'byte': 'legonn.ByteTensor', 'float': 'legonn.FloatTensor', 'double': 'legonn.DoubleTensor'}


def typed_image(name, samples, tensortype, maxval=255):
    """A ``C x H x W`` tensor of ``tensortype`` (None: the default tensor type) from integer ``samples``:
    a ByteTensor keeps them; the other types multiply by ``1 / maxval`` in their own precision, as init.lua's
    ``img:mul(1/MAXVAL)``."""
    if tensortype is None:
        cls = default_class()
    elif tensortype in TENSOR_TYPES:
        cls = tensor_class(TENSOR_TYPES[tensortype])
    else:
        raise ValueError(f"image.{name}: tensortype must be 'byte', 'float' or 'double', got {tensortype!r}")
    dtype = cls._dtype
    if dtype == np.uint8:
        return as_tensor(np.ascontiguousarray(samples, dtype=np.uint8))
    values = np.ascontiguousarray(samples).astype(dtype) * dtype.type(1 / maxval)
    return as_tensor(values)


def to_depth(name, img, depth):
    """init.lua's todepth: depth 1 of a 3- or 4-channel image is its luminance ``0.299 r + 0.587 g + 0.114 b``
    as an ``H x W`` tensor (image.rgb2y's plane), of a 2-channel one its first channel; depth 3 repeats a grey
    image's plane and drops a fourth channel; other depths (None, 4) keep the image as loaded."""
    if depth not in (1, 3):
        return img
    arr = img.array
    channels = arr.shape[0] if arr.ndim == 3 else 0
    if depth == 1:
        if arr.ndim == 2 or channels == 1:
            return img
        if channels == 2:
            return as_tensor(arr[:1])
        if channels in (3, 4):
            return rgb2y(img.narrow(0, 0, 3))[0]
    else:
        if channels == 3:
            return img
        if arr.ndim == 2 or channels == 1:
            return as_tensor(np.repeat(arr.reshape((1,) + arr.shape[-2:]), 3, axis=0))
        if channels == 4:
            return as_tensor(arr[:3])
    raise ValueError(f"image.{name}: cannot bring an image of {channels} channels to depth {depth}")


def clamped_bytes(name, tensor, channels):
    """init.lua's clampImage and the C savers' conversion: the image as a ``C x H x W`` uint8 NumPy array,
    a ByteTensor as it is, any other type saturated to [0, 1] and times 255 in double precision, then
    truncated as C converts to unsigned char. ``channels`` lists the channel counts the format takes."""
    t = as_tensor(tensor)
    arr = backend.to_module(t.array, np)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[0] not in channels:
        raise ValueError(f"image.{name}: expected an image of {' or '.join(map(str, channels))} channels "
                         f"(C x H x W, or H x W for one), got size {tuple(t.size())}")
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    return np.trunc(np.clip(arr.astype(np.float64), 0, 1) * 255).astype(np.uint8)
