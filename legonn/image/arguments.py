"""The argument forms torch/image's functions share: ``f([dst,] src)`` with an optional destination first, and
tensors given as legonn tensors or NumPy/CuPy arrays (wrapped without copying)."""
from ..tensor import Tensor, as_tensor
from .planes import result


def tensor_argument(name, what, obj):
    """``obj`` as a legonn tensor, or a TypeError naming ``image.<name>`` and the argument ``what``."""
    if isinstance(obj, Tensor):
        return obj
    try:
        return as_tensor(obj)
    except TypeError:
        raise TypeError(f"image.{name}: expected {what} as a legonn.Tensor, numpy.ndarray or cupy.ndarray, "
                        f"got {type(obj).__name__}") from None


def dst_and_src(name, args):
    """``(dst, src)`` of the call ``image.<name>([dst,] src)``; dst is None when not given."""
    if len(args) == 1:
        return None, tensor_argument(name, 'the source image', args[0])
    if len(args) == 2:
        return (tensor_argument(name, 'the destination', args[0]),
                tensor_argument(name, 'the source image', args[1]))
    raise TypeError(f"image.{name}: expected ([dst,] src), got {len(args)} arguments")


def into(dst, src, values):
    """``values`` (an array) as the result: written into ``dst`` (resized to its sizes) when one was given, else a
    new tensor of ``src``'s type."""
    return result(src, dst, values.astype(src.array.dtype, copy=False))

