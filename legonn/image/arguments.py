"""The argument forms torch/image's functions share: ``f([dst,] src, ...)`` with an optional destination first, an
image ``C x H x W`` or ``H x W`` (channels first) of one of the three types torch/image's C is built for (Byte,
Float or Double, and their CUDA twins here), given as a legonn tensor or a NumPy/CuPy array (wrapped without a
copy). Every check names ``image.<function>``."""
import math

import numpy as np

from ..tensor.functions import is_tensor_like, tensor_argument
from ..tensor.indexing import is_whole

IMAGE_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.float64))
# the most elements a result may have: NumPy cannot describe an array of more float64 bytes than its index type
# counts, so a bigger size is a mistake to name rather than an allocation to attempt
MAX_ELEMENTS = np.iinfo(np.intp).max // np.dtype(np.float64).itemsize


def number_text(n):
    """``n`` for an error message: a huge integer by its digit count rather than hundreds of digits."""
    return repr(n) if not isinstance(n, int) or abs(n) < 10 ** 20 else f"an integer of {len(str(abs(n)))} digits"


def result_sizes(name, what, minimum=1, others=1, **sizes):
    """The sizes of a result as ints, each a whole number of at least ``minimum``, all of them (times ``others``,
    the sizes fixed by the inputs) at most ``MAX_ELEMENTS`` elements; else the error naming ``image.<name>``,
    ``what`` the sizes are and the values given."""
    for key, n in sizes.items():
        if not is_whole(n) or n < minimum:
            kind = 'positive' if minimum == 1 else 'non-negative'
            raise ValueError(f"image.{name}: expected {key} to be a {kind} whole number ({what}), got "
                             f"{number_text(n)}")
    ints = [int(n) for n in sizes.values()]
    if others * math.prod(ints) > MAX_ELEMENTS:
        shown = ' x '.join(f"{key} {number_text(n)}" for key, n in zip(sizes, ints))
        raise ValueError(f"image.{name}: expected {what} within {MAX_ELEMENTS} elements in all, got {shown}"
                         + (f" x {others}" if others != 1 else ''))
    return ints


def image_arg(name, obj, what='the source image', dims=(2, 3), dtypes=IMAGE_DTYPES):
    """``obj`` as a tensor with a dimension count in ``dims`` and an element type in ``dtypes`` (None: any, for a
    ``dst`` the function resizes or a function that checks its own types), or the error naming ``image.<name>``
    and the argument ``what``."""
    t = tensor_argument(f'image.{name}', what, obj)
    if dtypes is not None and t.array.dtype not in dtypes:
        raise TypeError(f"image.{name}: {what} must be a Byte, Float or Double tensor (torch/image's types), "
                        f"got {t.type()}")
    if dims is not None and t.dim() not in dims:
        raise ValueError(f"image.{name}: {what} must have {' or '.join(map(str, dims))} dimensions, "
                         f"got size {tuple(t.size())}")
    return t


def split_dst(name, args, dims=(2, 3), dtypes=IMAGE_DTYPES):
    """(dst or None, src, the other arguments) from init.lua's ``(dst, src, ...)`` or ``(src, ...)`` forms: a
    second tensor argument means the first is ``dst`` (any size: the function resizes it or checks it).
    ``dims`` and ``dtypes`` are ``image_arg``'s for src (dst: its types only)."""
    if len(args) >= 2 and is_tensor_like(args[1]):
        return (image_arg(name, args[0], 'the destination', None, dtypes), image_arg(name, args[1], dims=dims,
                                                                                      dtypes=dtypes), list(args[2:]))
    if not args:
        raise TypeError(f"image.{name}: expected a source image, got no arguments")
    return None, image_arg(name, args[0], dims=dims, dtypes=dtypes), list(args[1:])


def dst_and_src(name, args):
    """``(dst, src)`` of the call ``image.<name>([dst,] src)`` (tensors of any type and size: the function checks
    them); dst is None when not given."""
    dst, src, rest = split_dst(name, args, None, None) if args else (None, None, ())
    if src is None or rest:
        raise TypeError(f"image.{name}: expected ([dst,] src), got {len(args)} arguments")
    return dst, src


def check_same_depth(name, dst, src):
    """A ``dst`` whose size the function keeps must be an image of ``src``'s dimensions and channels
    (image.c's 'src and dst depths do not match')."""
    if dst.dim() != src.dim() or dst.dim() == 3 and dst.size(0) != src.size(0):
        raise ValueError(f"image.{name}: dst of size {tuple(dst.size())} does not match the depth of src "
                         f"{tuple(src.size())}")
