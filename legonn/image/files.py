"""torch/image's ``load``, ``save`` and ``getSize``: the format told by the file's magic number, else its
extension, as init.lua. Images are channels first: ``C x H x W`` (a grey file loads as ``1 x H x W``)."""
import os

from ..tensor import LongTensor
from . import netpbm
from .netpbm import getPPMsize, loadPPM, savePGM, savePPM
from .pillow_formats import JPG_MAGIC, PNG_MAGIC, getJPGsize, getPNGsize, loadJPG, loadPNG, saveJPG, savePNG

# init.lua's supported_filetypes keys, each to its kind
SUPPORTED = {'jpg': 'jpg', 'JPG': 'jpg', 'jpeg': 'jpg', 'JPEG': 'jpg', 'png': 'png', 'PNG': 'png',
             'ppm': 'ppm', 'PPM': 'ppm', 'pgm': 'pgm', 'PGM': 'pgm'}
supported_filetypes = SUPPORTED
LOADERS = {'jpg': loadJPG, 'png': loadPNG, 'ppm': loadPPM, 'pgm': loadPPM}
SAVERS = {'jpg': saveJPG, 'png': savePNG, 'ppm': savePPM, 'pgm': savePGM}
SIZERS = {'jpg': getJPGsize, 'png': getPNGsize, 'ppm': getPPMsize, 'pgm': getPPMsize}


def _kind(name, filename, head=None):
    """The file kind from its first bytes ``head`` (read from the file when None: JPEG, PNG, PGM 'P2'/'P5', PPM
    'P3'/'P6'), else its extension."""
    if head is None:
        with open(filename, 'rb') as f:
            head = f.read(4)
    if head.startswith(JPG_MAGIC):
        return 'jpg'
    if head.startswith(PNG_MAGIC):
        return 'png'
    if head[:2] in (b'P2', b'P5'):
        return 'pgm'
    if head[:2] in (b'P3', b'P6'):
        return 'ppm'
    ext = _extension(filename)
    if ext is None:
        # init.lua's words, which torch/image's test.lua matches
        raise ValueError(f"image.{name}: unable to determine image type for file: {filename!r}")
    if ext not in SUPPORTED:
        raise ValueError(f"image.{name}: unknown image type {ext!r} (supported: {sorted(SUPPORTED)})")
    return SUPPORTED[ext]


def _extension(filename):
    """init.lua's ``%.(%a+)$``: the letters after the last dot, or None."""
    ext = os.path.splitext(os.fspath(filename))[1][1:]
    return ext if ext.isalpha() and ext.isascii() else None


def load(filename, depth=None, tensortype=None):
    """The image in ``filename`` (JPEG, PNG, PPM or PGM, told by its magic number, else its extension) as a
    ``C x H x W`` tensor of ``tensortype``: 'byte' (0..255), 'float' or 'double' (scaled to [0, 1]); None is the
    default tensor type, scaled, as Torch7's image.load. ``depth`` 1 or 3 converts the channels as init.lua's
    todepth does (depth 1 of a colour image is ``H x W``)."""
    with open(filename, 'rb') as f:
        # read once: a donkey loading small files pays mostly for opening and reading them
        data = f.read()
    kind = _kind('load', filename, data[:4])
    if kind in ('ppm', 'pgm'):
        return netpbm.decoded(filename, data, depth, tensortype)
    return LOADERS[kind](filename, depth, tensortype)


def save(filename, tensor):
    """Write ``tensor`` (``C x H x W`` or ``H x W``) to ``filename`` in the format its extension names (jpg,
    jpeg, png, ppm, pgm, or their upper-case forms); non-byte images are clamped to [0, 1] and scaled to
    0..255 first."""
    ext = _extension(filename)
    if ext not in SUPPORTED:
        raise ValueError(f"image.save: unknown image type {ext!r} of {os.fspath(filename)!r} "
                         f"(supported: {sorted(SUPPORTED)})")
    SAVERS[SUPPORTED[ext]](filename, tensor)


def getSize(filename):
    """A LongTensor ``(C, H, W)`` of the image in ``filename``, read from its header."""
    return LongTensor(list(SIZERS[_kind('getSize', filename)](filename)))


def is_supported(suffix):
    """True for an extension ``save``/``load`` know (case as init.lua lists them)."""
    return suffix in SUPPORTED
