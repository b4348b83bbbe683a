from .colour import hsl2rgb, hsv2rgb, lab2rgb, rgb2hsl, rgb2hsv, rgb2lab, rgb2nrgb, rgb2y, rgb2yuv, yuv2rgb
from .colormaps import colormap, jetColormap, y2jet
from .construct import gaussian, gaussian1D, laplacian
from .filtering import convolve, dilate, erode, gaussianpyramid, lcn
from .display import display, drawRect, minmax, toDisplayTensor
