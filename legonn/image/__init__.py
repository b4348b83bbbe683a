"""``require 'image'``: torch/image's functions on legonn tensors (``from legonn import image``). Images are
channels first, ``C x H x W`` (or ``H x W``), Byte (0..255), Float or Double ([0, 1]); pixel coordinates are
0-based, as torch/image's already are. PNG and JPEG need Pillow (``pip install legonn[image]``)."""
from .colormaps import colormap, jetColormap, y2jet
from .colour import hsl2rgb, hsv2rgb, lab2rgb, rgb2hsl, rgb2hsv, rgb2lab, rgb2nrgb, rgb2y, rgb2yuv, yuv2rgb
from .construct import gaussian, gaussian1D, laplacian
from .display import display, drawRect, minmax, toDisplayTensor
from .files import getSize, is_supported, load, save, supported_filetypes
from .filtering import convolve, dilate, erode, gaussianpyramid, lcn
from .geometry import crop, flip, hflip, rotate, translate, vflip
from .netpbm import getPPMsize, loadPPM, savePGM, savePPM
from .pillow_formats import (compressJPG, compressPNG, decompress, decompressJPG, decompressPNG, getJPGsize,
                             getPNGsize, loadJPG, loadPNG, saveJPG, savePNG)
from .polar import logpolar, polar
from .scaling import scale
from .warping import affinetransform, warp

__all__ = [
    'colormap', 'jetColormap', 'y2jet',
    'hsl2rgb', 'hsv2rgb', 'lab2rgb', 'rgb2hsl', 'rgb2hsv', 'rgb2lab', 'rgb2nrgb', 'rgb2y', 'rgb2yuv', 'yuv2rgb',
    'gaussian', 'gaussian1D', 'laplacian',
    'display', 'drawRect', 'minmax', 'toDisplayTensor',
    'getSize', 'is_supported', 'load', 'save', 'supported_filetypes',
    'convolve', 'dilate', 'erode', 'gaussianpyramid', 'lcn',
    'crop', 'flip', 'hflip', 'rotate', 'translate', 'vflip',
    'getPPMsize', 'loadPPM', 'savePGM', 'savePPM',
    'compressJPG', 'compressPNG', 'decompress', 'decompressJPG', 'decompressPNG', 'getJPGsize', 'getPNGsize',
    'loadJPG', 'loadPNG', 'saveJPG', 'savePNG',
    'logpolar', 'polar', 'scale', 'affinetransform', 'warp',
]
