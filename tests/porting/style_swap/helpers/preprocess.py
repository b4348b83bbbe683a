"""helpers/preprocess.lua of rtqichen/style-swap (MIT licence), ported line by line. Its getPreprocessConv is
the one of AdaIN-style's utils.lua (the same lines), imported from that port."""
import math

import legonn as lg
from legonn import image
from tests.porting.adain_style import getPreprocessConv  # noqa: F401 (helpers/preprocess.lua defines it too)


# Preprocess an image before passing it to a Caffe model.
# We need to rescale from [0, 1] to [0, 255], convert from RGB to BGR,
# and subtract the mean pixel.
def preprocess(img):
    mean_pixel = lg.FloatTensor([103.939, 116.779, 123.68]).type(img.type())
    perm = lg.LongTensor([2, 1, 0])
    img = img.index(0, perm).mul(255.0)
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img.add(-1, mean_pixel)
    return img


# Undo the above preprocessing.
def deprocess(img):
    mean_pixel = lg.FloatTensor([103.939, 116.779, 123.68]).type(img.type())
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img = img + mean_pixel
    perm = lg.LongTensor([2, 1, 0])
    img = img.index(0, perm).div(255.0)
    return img


# Randomly crops the image so
# the height and width are
# divisible by some factor
def setDivBy(img, factor):
    H, W = img.size(1), img.size(2)
    if H % factor != 0 or W % factor != 0:
        oheight = math.floor(H / factor) * factor
        owidth = math.floor(W / factor) * factor
        y = lg.floor(lg.uniform(0, H - oheight + 1))
        x = lg.floor(lg.uniform(0, W - owidth + 1))
        img = image.crop(img, x, y, x + owidth, y + oheight)
    return img
