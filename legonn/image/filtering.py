"""torch/image's filters (init.lua): ``convolve``, ``lcn`` (local contrast normalisation), the binary
morphology ``erode`` and ``dilate``, and ``gaussianpyramid``, all built on ``legonn.conv2`` as Torch7's on
``torch.conv2`` (a true convolution: the kernel is flipped)."""
import math
import numbers

from ..tensor import DoubleTensor, conv2
from ..tensor.functions import tensor_argument
from .arguments import number_text, result_sizes
from .construct import gaussian
from .scaling import scale

_MODES = {'valid': 'V', 'full': 'F', 'same': 'F'}


def _convolve_args(args):
    """``(dst, src, kernel, mode)`` of image.convolve's four call forms."""
    if len(args) == 3 and isinstance(args[2], str):
        args = (None,) + tuple(args)
    elif len(args) == 2:
        args = (None,) + tuple(args) + (None,)
    elif len(args) == 3:
        args = tuple(args) + (None,)
    elif len(args) != 4:
        raise TypeError(f"image.convolve: expected ([dst,] src, kernel [, mode]), got {len(args)} arguments")
    dst, src, kernel, mode = args
    if mode is not None and mode not in _MODES:
        raise ValueError(f"image.convolve: expected the mode 'full', 'valid' or 'same', got {mode!r}")
    return dst, src, kernel, mode


def convolve(*args):
    """``convolve([dst,] src, kernel [, mode])``: src (``H x W``, or ``C x H x W``) convolved with kernel (the
    kernel flipped, as ``legonn.conv2``); a 2-D kernel applies to each plane of a 3-D src, a ``C x kH x kW``
    kernel plane by plane, a ``D x C x kH x kW`` kernel sums over the planes into D. ``mode`` is 'valid' (the
    default: ``H - kH + 1`` rows), 'full' (``H + kH - 1`` rows) or 'same' (src's sizes: the full result from
    row ``ceil(kH / 2) - 1``, column ``ceil(kW / 2) - 1``, 0-based; a view of it). The kernel is converted to
    src's type. With ``dst``, dst gets the valid or full result and the 'same' view is of dst."""
    dst, src, kernel, mode = _convolve_args(args)
    src = tensor_argument('image.convolve', 'the source image', src)
    kernel = tensor_argument('image.convolve', 'the kernel', kernel).typeAs(src)
    if src.dim() not in (2, 3) or kernel.dim() not in (2, 3, 4) or kernel.dim() < src.dim() - 1 or \
            kernel.dim() > src.dim() + 1:
        raise ValueError(f"image.convolve: expected an H x W src with an H x W kernel, or a C x H x W src with a "
                         f"kH x kW, C x kH x kW or D x C x kH x kW kernel, got sizes {tuple(src.size())} and "
                         f"{tuple(kernel.size())}")
    if kernel.dim() == 2 and src.dim() == 3:
        kernel = kernel.view(1, *kernel.size()).expand(src.size(0), *kernel.size())
    try:
        out = conv2(*([] if dst is None else [tensor_argument('image.convolve', 'the destination', dst)]),
                    src, kernel, _MODES.get(mode, 'V'))
    except ValueError as err:
        raise ValueError(f"image.convolve: {err}") from None
    if mode == 'same':
        rows, cols = kernel.size()[-2:]
        out = out.narrow(out.dim() - 2, math.ceil(rows / 2) - 1, src.size(-2))
        out = out.narrow(out.dim() - 1, math.ceil(cols / 2) - 1, src.size(-1))
    return out


def lcn(im, ker=None):
    """Local contrast normalisation of a grey image (``H x W`` or ``1 x H x W``), in double: the image is
    standardised by its mean and (n - 1) standard deviation, then each pixel has the kernel-weighted local
    mean subtracted and is divided by the local standard deviation (at least 1). The kernel defaults to a
    normalised 9 x 9 Gaussian of sigma 1.591 / 9 (computed in double, as Torch7's default type). A valid
    result: a DoubleTensor of ``(H - kH + 1) x (W - kW + 1)``."""
    im = tensor_argument('image.lcn', 'the image', im)
    if not (im.dim() == 2 or (im.dim() == 3 and im.size(0) == 1)):
        raise ValueError(f"image.lcn: expected a grey image (H x W or 1 x H x W), got sizes {tuple(im.size())}")
    if ker is None:
        ker = gaussian(size=9, sigma=1.591 / 9, normalize=True, tensor=DoubleTensor(9, 9))
    ker = tensor_argument('image.lcn', 'the kernel', ker).double()
    im = im.double().clone()
    if im.dim() == 3:
        im = im.select(0, 0)
    im.add(-im.mean()).div(im.std())
    x, xp = im.array, im.xp
    local_mean = conv2(im, ker).array
    local_sq = conv2(DoubleTensor._from_array(x * x), ker).array
    var = -(local_mean * local_mean - local_sq)
    std = xp.sqrt(xp.where(var < 0, 0.0, var))
    std = xp.where(std < 1, 1.0, std)
    top, left = ker.size(0) // 2, ker.size(1) // 2
    centre = x[top:top + std.shape[0], left:left + std.shape[1]]
    return DoubleTensor._from_result((centre - local_mean) / std)


def _morphology(name, im, kern, pad, flip):
    """``conv2`` of the image, padded with ``pad`` by half the (odd) kernel's size on each side, with the kernel
    (flipped first when ``flip``), and the kernel; both in the image's type."""
    im = tensor_argument(f'image.{name}', 'the image', im)
    if im.dim() != 2:
        raise ValueError(f"image.{name}: expected an H x W image, got sizes {tuple(im.size())}")
    kern = im.new(3, 3).fill(1) if kern is None else tensor_argument(f'image.{name}', 'the kernel', kern).typeAs(im)
    if kern.dim() != 2 or kern.size(0) % 2 == 0 or kern.size(1) % 2 == 0:
        raise ValueError(f"image.{name}: expected a 2-D kernel of odd sizes, got sizes {tuple(kern.size())}")
    if flip:
        kern = type(kern)._from_result(kern.array[::-1, ::-1])
    hpad, wpad = kern.size(0) // 2, kern.size(1) // 2
    padded = im.xp.full((im.size(0) + 2 * hpad, im.size(1) + 2 * wpad), pad, dtype=im.array.dtype)
    padded[hpad:hpad + im.size(0), wpad:wpad + im.size(1)] = im.array
    return conv2(type(im)._from_array(padded), kern), kern


def erode(im, kern=None, pad=1):
    """Binary erosion of an ``H x W`` image of 0s and 1s: 1 where every pixel under the (odd-sized) kernel of 0s
    and 1s is 1, i.e. where ``conv2`` of the image padded with ``pad`` equals the kernel's sum (the kernel
    default: 3 x 3 ones); an image of the input's type and sizes."""
    conv, kern = _morphology('erode', im, kern, pad, False)
    return type(conv)._from_result((conv.array == kern.sum()).astype(conv.array.dtype))


def dilate(im, kern=None, pad=0):
    """Binary dilation of an ``H x W`` image of 0s and 1s: 1 where some pixel under the (odd-sized) kernel of 0s
    and 1s is 1, i.e. where the cross-correlation with the kernel of the image padded with ``pad`` is positive
    (the kernel default: 3 x 3 ones); an image of the input's type and sizes."""
    conv, _ = _morphology('dilate', im, kern, pad, True)
    return type(conv)._from_result((conv.array > 0).astype(conv.array.dtype))


def gaussianpyramid(*args):
    """``gaussianpyramid([dst,] src, scales)``: a list of images, one per scale: image i is src's ``[C x] H x W``
    times ``scales[i]`` (truncated), resampled ('simple', nearest) from the previous image convolved ('same')
    with a normalised 3 x 3 Gaussian; a scale of 1 copies instead (so the first image is src itself at scale
    1). ``dst`` (a list, shorter or holding None) receives the tensors and is returned."""
    if len(args) == 3:
        dst, src, scales = args
        dst = list(dst) if isinstance(dst, tuple) else dst
    elif len(args) == 2:
        dst, (src, scales) = [], args
    else:
        raise TypeError(f"image.gaussianpyramid: expected ([dst,] src, scales), got {len(args)} arguments")
    src = tensor_argument('image.gaussianpyramid', 'the source image', src)
    if src.dim() not in (2, 3):
        raise ValueError(f"image.gaussianpyramid: expected a 2-D or 3-D src, got sizes {tuple(src.size())}")
    if not isinstance(scales, (list, tuple)):
        raise TypeError(f"image.gaussianpyramid: expected the scales as a list of numbers, got "
                        f"{type(scales).__name__}")
    dst.extend([None] * (len(scales) - len(dst)))
    channels, (rows, cols) = tuple(src.size())[:-2], tuple(src.size())[-2:]
    for i, factor in enumerate(scales):
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or factor < 0 or \
                not isinstance(factor, numbers.Integral) and not math.isfinite(factor):
            raise ValueError(f"image.gaussianpyramid: expected each scale to be a finite, non-negative number, got "
                             f"{number_text(factor)} at {i}")
        height, width = result_sizes('gaussianpyramid', 'a scaled size', minimum=0, others=math.prod(channels),
                                     height=int(rows * factor), width=int(cols * factor))
        dst[i] = src.new() if dst[i] is None else tensor_argument('image.gaussianpyramid', 'a destination', dst[i])
        dst[i].resize(*channels, height, width)
    # Torch7's kernel is computed in its default type, double, then converted to src's type
    k = gaussian(width=3, normalize=True, tensor=DoubleTensor(3, 3)).typeAs(src)
    previous = src
    for i, factor in enumerate(scales):
        if factor == 1:
            dst[i].copy(previous)
        else:
            scale(dst[i], previous, 'simple')
        previous = convolve(dst[i], k, 'same')
    return dst

