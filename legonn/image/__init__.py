"""``require 'image'``: torch/image's functions on legonn tensors (``from legonn import image``). Images are
channels first, ``C x H x W`` (or ``H x W``), Byte (0..255), Float or Double ([0, 1]); pixel coordinates are
0-based, as torch/image's already are. PNG and JPEG need Pillow (``pip install legonn[image]``)."""
__all__ = []
from .files import getSize, is_supported, load, save, supported_filetypes
__all__ += ['getSize', 'is_supported', 'load', 'save', 'supported_filetypes']
from .netpbm import getPPMsize, loadPPM, savePGM, savePPM
__all__ += ['getPPMsize', 'loadPPM', 'savePGM', 'savePPM']
from .pillow_formats import (compressJPG, compressPNG, decompress, decompressJPG, decompressPNG, getJPGsize,
                             getPNGsize, loadJPG, loadPNG, saveJPG, savePNG)
__all__ += ['compressJPG', 'compressPNG', 'decompress', 'decompressJPG', 'decompressPNG', 'getJPGsize',
            'getPNGsize', 'loadJPG', 'loadPNG', 'saveJPG', 'savePNG']
from .geometry import crop, flip, hflip, rotate, translate, vflip
__all__ += ['crop', 'flip', 'hflip', 'rotate', 'translate', 'vflip']
from .scaling import scale
__all__ += ['scale']
from .polar import logpolar, polar
__all__ += ['logpolar', 'polar']
from .warping import affinetransform, warp
__all__ += ['affinetransform', 'warp']
