"""lib/utils.lua of Yijunmaverick/UniversalStyleTransfer. getPreprocessConv, extractImageNamesRecursive and
torch.find are AdaIN-style's lines (imported from that port, ``find`` a plain function there too); sizePreprocess is
this repo's own: no crop, a bilinear scale to ``newSize`` (image.scale's size string without the ``^``)."""
from legonn import image
from tests.porting.adain_style import extractImageNamesRecursive, find, getPreprocessConv  # noqa: F401


# image size preprocessing
def sizePreprocess(x, newSize):
    assert x.dim() == 3
    if newSize != 0:
        # x = image.scale(x, '^' .. newSize)
        x = image.scale(x, newSize, 'bilinear')
    return x
