"""torch/image's display helpers (init.lua, generic/image.c): ``minmax`` (rescaling to [0, 1]),
``toDisplayTensor`` (a grid of images), ``drawRect``, and ``display``, which refuses: legonn has no window
system.

The functions Torch7 calls with a table (``image.minmax{tensor=x, min=0}``) take the same names as keywords, or
the table as one dict: ``image.minmax(tensor=x, min=0)`` or ``image.minmax({'tensor': x, 'min': 0})``."""
import math

import numpy as np

from ..tensor import default_class
from ..tensor.functions import tensor_argument
from ..tensor.indexing import is_whole


def minmax(tensor, min=None, max=None, symm=False, inplace=False, saturate=False, tensorOut=None):
    """``tensor`` rescaled so that ``min`` maps to 0 and ``max`` to 1: minus min, divided by ``max - min``; the
    bounds default to the tensor's own (with ``symm``: ``-m`` and ``m``, m the largest magnitude), and values
    outside [0, 1] are clamped when ``saturate`` and a bound was given. The result goes into ``tensorOut``
    (resized), into the tensor itself when ``inplace``, or into a new tensor of the default type, as Torch7's
    ``torch.Tensor(size):copy(tensor)``; it is returned."""
    if isinstance(tensor, dict):
        return minmax(**tensor)
    tensor = tensor_argument('image.minmax', 'tensor', tensor)
    if tensorOut is not None:
        out = tensor_argument('image.minmax', 'tensorOut', tensorOut).resize(tuple(tensor.size())).copy(tensor)
    elif inplace:
        out = tensor
    else:
        out = default_class()(tensor.size()).copy(tensor)
    if out.nElement() == 0:
        raise ValueError("image.minmax: expected a non-empty tensor")
    magnitude = 0
    low = min
    if low is None:
        if symm:
            lowest, highest = abs(out.min()), abs(out.max())
            magnitude = lowest if lowest > highest else highest
            low = -magnitude
        else:
            low = out.min()
    if low != 0:
        out.add(-low)
    if max is None:
        span = magnitude * 2 if symm else out.max()
    else:
        span = max - low
    if span != 0:
        out.div(span)
    if saturate and out.array.dtype != np.uint8:
        out.array = out.xp.clip(out.array, 0, 1)
    return out


def _packed(input):
    """init.lua's ``packed``: the images as one tensor of the default type (a list becomes ``N x C x H x W``)."""
    if isinstance(input, (list, tuple)):
        if not input:
            raise ValueError("image.toDisplayTensor: expected a non-empty list of images")
        images = [tensor_argument('image.toDisplayTensor', 'each image', img) for img in input]
        first = images[0]
        channels = 1 if first.dim() == 2 else first.size(0)
        packed = default_class()(len(images), channels, first.size(-2), first.size(-1))
        for i, img in enumerate(images):
            packed.select(0, i).copy(img)
        return packed
    input = tensor_argument('image.toDisplayTensor', 'the input', input)
    return default_class()(input.size()).copy(input)


def toDisplayTensor(input, padding=0, nrow=6, scaleeach=False, min=None, max=None, symmetric=False, saturate=True):
    """One displayable tensor of ``input``: an ``H x W`` image or a ``1 x H x W``/``3 x H x W`` one is rescaled
    (``minmax``) and returned; ``K x H x W`` maps (K not 1 or 3), ``K x C x H x W`` images (C 1 or 3) or a list
    of images are laid out on a grid of ``nrow`` per row, row-major, each cell ``padding`` pixels larger than an
    image (the image at ``floor(padding / 2)``), the background the largest value; the grid is rescaled as a
    whole, or each image alone first when ``scaleeach``. A tensor of the default type."""
    if isinstance(input, dict):
        return toDisplayTensor(**input)
    packed = _packed(input)
    scale = dict(min=min, max=max, symm=symmetric, saturate=saturate, inplace=True)
    colour_images = packed.dim() == 4 and packed.size(1) in (1, 3)
    maps = packed.dim() == 3 and packed.size(0) not in (1, 3)
    if scaleeach and (colour_images or maps):
        for i in range(packed.size(0)):
            minmax(packed.select(0, i), **scale)
    if packed.dim() == 2 or (packed.dim() == 3 and not maps):
        return minmax(packed, **scale)
    if not (colour_images or maps):
        raise ValueError(f"image.toDisplayTensor: expected an H x W, K x H x W or K x C x H x W (C 1 or 3) tensor, "
                         f"or a list of images, got sizes {tuple(packed.size())}")
    for key, value, low in (('padding', padding, 0), ('nrow', nrow, 1)):
        if not is_whole(value) or value < low:
            # Torch7 fails on a negative padding (a cell narrowed outside the grid) and on nrow 0 (an infinite grid);
            # a fractional one is refused as legonn's sizes are (Torch7 truncates it)
            raise ValueError(f"image.toDisplayTensor: expected {key} to be a whole number of at least {low}, "
                             f"got {value!r}")
    padding, nrow = int(padding), int(nrow)
    count = packed.size(0)
    across = nrow if nrow < count else count
    down = math.ceil(count / across)
    rows, cols = packed.size(-2), packed.size(-1)
    cell_rows, cell_cols = rows + padding, cols + padding
    grid = default_class()(*packed.size()[1:-2], cell_rows * down, cell_cols * across).fill(packed.max())
    for k in range(count):
        top = (k // across) * cell_rows + padding // 2
        left = (k % across) * cell_cols + padding // 2
        grid.narrow(-2, top, rows).narrow(-1, left, cols).copy(packed.select(0, k))
    if not scaleeach:
        minmax(grid, **scale)
    return grid


def _rgb_image(name, src):
    """``src`` checked to be a ``3 x H x W`` image."""
    src = tensor_argument(f'image.{name}', 'the image', src)
    if src.dim() != 3 or src.size(0) != 3:
        raise ValueError(f"image.{name}: expected a 3 x H x W image, got sizes {tuple(src.size())}")
    return src


def _pixel_colour(name, dst_type, color):
    """A colour given as three 0-255 integers, as image.c stores it: as they are into a ByteTensor, divided by
    255 in float otherwise."""
    if len(color) != 3:
        raise ValueError(f"image.{name}: expected a color of three 0-255 values, got {color!r}")
    values = np.asarray([int(c) for c in color])
    if dst_type == np.uint8:
        return values.astype(np.uint8)
    return (values.astype(np.float32) / np.float32(255)).astype(dst_type)


def drawRect(src, x1, y1, x2, y2, opts=None, lineWidth=1, color=(255, 0, 0), inplace=False):
    """The outline of the rectangle with corners (x1, y1) and (x2, y2) (**0-based** column, row: Torch7's are
    1-based) drawn on a ``3 x H x W`` image, ``lineWidth`` pixels wide (centred on the corners' lines, one more
    pixel before than after for an even width), in ``color`` (three 0-255 values, divided by 255 unless the
    image is a ByteTensor), clipped to the image; on a copy unless ``inplace``. ``opts`` is Torch7's table of
    these options, as a dict. Returns the drawn image (unchanged when a corner is None)."""
    src = _rgb_image('drawRect', src)
    if opts is not None:
        unknown = sorted(set(opts) - {'lineWidth', 'color', 'inplace'})
        if unknown:
            raise TypeError(f"image.drawRect: unknown option(s) {unknown}; expected lineWidth, color, inplace")
        lineWidth = opts.get('lineWidth', lineWidth)
        color = opts.get('color', color)
        inplace = opts.get('inplace', inplace)
    out = src if inplace else src.clone()
    if x1 is None or y1 is None or x2 is None or y2 is None:
        return out
    height, width = out.size(1), out.size(2)
    below = int(lineWidth) // 2 + 1
    above = int(lineWidth) - below - 1
    # image.c's bounds for Torch7's 1-based corners (ours plus one), kept inside the image
    x1, y1, x2, y2 = (int(v) + 1 for v in (x1, y1, x2, y2))
    x1l, y1l, x2l, y2l = (v - below if v - below > 0 else 0 for v in (x1, y1, x2, y2))
    x1u, x2u = (v + above + 1 if v + above + 1 < width else width for v in (x1, x2))
    y1u, y2u = (v + above + 1 if v + above + 1 < height else height for v in (y1, y2))
    x1u, x2u, y1u, y2u = (v if v > 0 else 0 for v in (x1u, x2u, y1u, y2u))
    values = out.xp.asarray(_pixel_colour('drawRect', out.array.dtype, color))[:, None, None]
    a = out.array
    for rows, cols in (((y1l, y2u), (x1l, x1u)), ((y1l, y2u), (x2l, x2u)), ((y1l, y1u), (x1l, x2u)),
                       ((y2l, y2u), (x1l, x2u))):
        if rows[0] < rows[1] and cols[0] < cols[1]:
            a[:, rows[0]:rows[1], cols[0]:cols[1]] = values
    return out


def display(*args, **kwargs):
    """Not available: Torch7's ``image.display`` opens a Qt window, and legonn has no window system. It raises
    rather than writing a file the caller did not name, so that the one line to change is found at once: save
    the picture with ``image.save('name.png', image.toDisplayTensor(...))`` (same arguments as display's), or
    show ``image.toDisplayTensor(...).numpy()`` with a plotting library (channels first: move them last)."""
    raise RuntimeError("image.display: legonn has no window system (Torch7's display draws in a Qt window); save "
                       "the picture instead: image.save('name.png', image.toDisplayTensor(input, padding=..., "
                       "nrow=...)), or plot image.toDisplayTensor(...).numpy() with its channels moved last")
