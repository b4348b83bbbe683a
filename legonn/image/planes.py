"""How the image functions take and give tensors. An image is ``C x H x W`` or ``H x W`` (channels first), of
one of the three types torch/image's C is built for: Byte, Float or Double (and their CUDA twins here). NumPy
and CuPy arrays are wrapped without a copy; results have the source's type and device."""
import numpy as np

from ..tensor import Tensor, as_tensor, backend

IMAGE_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.float64))


def is_image_like(obj):
    """True for what can be an image argument (a tensor or an array), as Lua's forms tell a dst from a number."""
    return isinstance(obj, (Tensor, np.ndarray)) or backend.is_cupy_array(obj)


def image_arg(name, obj, what='src', dims=(2, 3)):
    """``obj`` as a tensor of an image type with a dimension count in ``dims`` (None: any, for a ``dst`` the
    function resizes), or the error naming ``name``."""
    if not is_image_like(obj):
        raise TypeError(f"image.{name}: {what} must be a legonn.Tensor or an array, got {type(obj).__name__}")
    t = as_tensor(obj)
    if t.array.dtype not in IMAGE_DTYPES:
        raise TypeError(f"image.{name}: {what} must be a Byte, Float or Double tensor (torch/image's types), "
                        f"got {t.type()}")
    if dims is not None and t.dim() not in dims:
        raise ValueError(f"image.{name}: {what} must have {' or '.join(map(str, dims))} dimensions, "
                         f"got size {tuple(t.size())}")
    return t


def temp_dtype(dtype):
    """image.c's ``temp_t``, the precision of its intermediate values: double for Double images, else float."""
    return np.float64 if dtype == np.float64 else np.float32


def from_intermediate(xp, values, dtype):
    """image.c's ``FromIntermediate``: a Byte image rounds its float intermediate half up and saturates to
    0..255; the others keep the value (in their own precision)."""
    if dtype == np.uint8:
        return xp.floor(xp.clip(values.astype(np.float32) + np.float32(0.5), 0, 255)).astype(np.uint8)
    return values.astype(dtype)


def result(src, dst, values):
    """``values`` (an array already of ``src``'s dtype and device) written into ``dst`` (resized to them) and
    ``dst`` returned, or a new tensor of ``src``'s type holding them when ``dst`` is None."""
    if dst is None:
        return as_tensor(values)
    dst.resize(*values.shape)
    dst.array[...] = backend.to_module(values, dst.xp)
    return dst


def planes_of(t):
    """An image tensor's array seen as ``C x H x W`` (an ``H x W`` image as one plane), contiguous (a copy only
    for a strided view), so that ``gather`` reads it flat."""
    arr = t.array
    return t.xp.ascontiguousarray(arr if arr.ndim == 3 else arr[None])


def gather(xp, planes, rows, cols):
    """``planes[:, rows, cols]`` (row and column indices in range, broadcast together) for contiguous
    ``C x H x W`` planes, read as one flat ``take``: about 2.5 times faster than NumPy's two-array indexing."""
    c, _, w = planes.shape
    return xp.take(planes.reshape(c, -1), rows * w + cols, axis=1)


def planes_result(src, dst, values):
    """``result`` of ``C x H x W`` ``values`` computed from ``planes_of(src)``: one plane for an ``H x W`` src."""
    return result(src, dst, values if src.dim() == 3 else values[0])


def split_dst(name, args):
    """(dst or None, src, the other arguments) from init.lua's ``(dst, src, ...)`` or ``(src, ...)`` forms: a
    second image argument means the first is ``dst`` (any size: the function resizes it or checks it)."""
    if len(args) >= 2 and is_image_like(args[1]):
        return image_arg(name, args[0], 'dst', None), image_arg(name, args[1]), list(args[2:])
    if not args:
        raise TypeError(f"image.{name}: expected a source image, got no arguments")
    return None, image_arg(name, args[0]), list(args[1:])


def check_same_depth(name, dst, src):
    """A ``dst`` whose size the function keeps must be an image of ``src``'s dimensions and channels
    (image.c's 'src and dst depths do not match')."""
    if dst.dim() != src.dim() or dst.dim() == 3 and dst.size(0) != src.size(0):
        raise ValueError(f"image.{name}: dst of size {tuple(dst.size())} does not match the depth of src "
                         f"{tuple(src.size())}")


def bilinear_mix(xp, planes, i0, i1, j0, j1, wi, wj):
    """Each point's four neighbours (columns ``i0``/``i1``, rows ``j0``/``j1``, in range) of every plane mixed
    by the weights ``wi``, ``wj`` of ``i1`` and ``j1``, in double precision as image.c's ``1.0 - w``."""
    wi, wj = wi.astype(np.float64), wj.astype(np.float64)
    return ((1 - wi) * (1 - wj) * gather(xp, planes, j0, i0) + wi * (1 - wj) * gather(xp, planes, j0, i1)
            + (1 - wi) * wj * gather(xp, planes, j1, i0) + wi * wj * gather(xp, planes, j1, i1))
