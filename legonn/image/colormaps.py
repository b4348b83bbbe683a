"""torch/image's colour maps (init.lua): ``colormap(n)`` and ``jetColormap(n)``, ``n x 3`` tables of RGB colours
in [0, 1] of the default tensor type, and ``y2jet``, which paints a map of levels with the jet colours."""
import numpy as np

from ..tensor import default_class
from .arguments import dst_and_src, result_sizes
from .planes import into


def _count(name, n):
    """``n`` checked to be a whole number of colours (a table of ``n x 3``)."""
    return result_sizes(name, 'a number of colours', minimum=0, others=3, nbColor=n)[0]


def _jet(n, rows=None):
    """The jet colours of ``jetColormap(n)`` as an ``n x 3`` float64 array; ``rows`` of them (``n`` truncated, as
    init.lua's ``for i = 1, n`` and ``torch.Tensor(n, 3)`` take a fractional n) when given."""
    rows = n if rows is None else rows
    four = 4 * np.arange(1, rows + 1) / (n if n else 1)
    return np.stack([np.clip(np.minimum(four - shift, -four + (shift + 3)), 0, 1) for shift in (1.5, 0.5, -0.5)],
                    axis=1)


def colormap(nbColor):
    """``colormap(nbColor)``: ``nbColor x 3`` well-separated colours: hues stepping by 39 degrees around the
    wheel, saturations stepping by 1/9 through [0.3, 1), lightness 0.5, turned into RGB."""
    n = _count('colormap', nbColor)
    hue = np.fmod(39.0 * np.arange(n), 360)
    # init.lua adds 1/9 once per colour: a running sum, not k/9, decides where the saturation wraps
    sat = np.fmod(np.concatenate([[0.0], np.cumsum(np.full(max(n - 1, 0), 1 / 9))]), 0.7) + 0.3
    light = 0.5
    chroma = (1 - abs(2 * light - 1)) * sat
    huep = hue / 60
    x = chroma * (1 - np.abs(np.fmod(huep, 2) - 1))
    zero = np.zeros(n)
    # (red, green, blue) on each sixth of the hue wheel
    sixths = [(chroma, x, zero), (x, chroma, zero), (zero, chroma, x), (zero, x, chroma), (x, zero, chroma),
              (chroma, zero, x)]
    sector = np.minimum(np.floor(huep), 5).astype(np.intp)
    rgb = np.stack([np.choose(sector, [s[c] for s in sixths]) for c in range(3)], axis=1)
    return default_class()(rgb + (light - chroma / 2)[:, None])


def jetColormap(nbColor):
    """``jetColormap(nbColor)``: ``nbColor x 3`` colours of the jet map, from dark blue (row 0) through cyan,
    yellow and red: row i (0-based) has ``v = 4 (i + 1) / nbColor``, red ``clamp(min(v - 1.5, 4.5 - v))``,
    green ``clamp(min(v - .5, 3.5 - v))``, blue ``clamp(min(v + .5, 2.5 - v))``, clamped to [0, 1]."""
    return default_class()(_jet(_count('jetColormap', nbColor)))


def y2jet(*args):
    """``y2jet([dst,] src)``: an ``H x W`` map of levels (also ``1 x H x W``, or a 1-D row of ``W``) painted with
    ``jetColormap(L)``, L the highest level plus one: a ``3 x H x W`` image of src's type. **Levels are 0-based**
    (0 .. L-1; Torch7's are 1 .. L), fractional levels truncated (row ``i`` of a fractional L's table is
    ``jetColormap``'s formula with that L, as init.lua's). A ByteTensor gets the colours times 255,
    rounded; another integer type gets them converted (so 0 or 1), as Torch7's ``typeAs``."""
    dst, src = dst_and_src('y2jet', args)
    levels = src.array
    if levels.ndim == 3 and levels.shape[0] == 1:
        levels = levels[0]
    elif levels.ndim == 1:
        levels = levels[None]
    if levels.ndim != 2 or levels.size == 0:
        raise ValueError(f"image.y2jet: expected a non-empty H x W (or 1 x H x W, or W) map of levels, got sizes "
                         f"{tuple(src.size())}")
    xp = src.xp
    ids = xp.trunc(levels.astype(np.float64)).astype(np.int64)
    lowest, highest = int(ids.min()), float(levels.max()) + 1
    if lowest < 0 or highest < 1:
        raise ValueError(f"image.y2jet: expected levels from 0 (0-based), got "
                         f"{f'one below: {lowest}' if lowest < 0 else f'a highest level of {highest - 1}'}")
    # init.lua's jetColormap(L) of the highest (1-based) level L: a fractional L scales the colours too
    colours = _jet(highest, int(highest))
    if levels.dtype == np.uint8:
        colours = np.clip(np.floor(colours * 255 + 0.5), 0, 255)
    table = xp.asarray(colours.astype(levels.dtype))
    return into(dst, src, xp.moveaxis(table[ids], -1, 0))
