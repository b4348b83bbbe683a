"""The stand-ins for torch/image's bundled photographs that its test.lua, test_rotate.lua and test_warp.lua read
with ``image.lena()`` and ``image.fabio()`` (legonn ships no photographs, docs/porting.md; none is copied):
a picture made here, saved as a PPM with legonn's writer and loaded as init.lua's ``lena``/``fabio`` load
theirs, so that its values are bytes / 255 as a decoded JPEG's. Shared by the test_image_testlua*.py ports."""
import numpy as np

import legonn as lg
from legonn import image


def picture(height, width):
    """A ``3 x H x W`` ByteTensor standing for a photograph: a luminance of slow waves with colour casts of a
    fifth of the range on top (muted colours, as a photograph's: the Byte HSL round trip of fully saturated
    dark colours loses up to 4 steps, in image.c's arithmetic as here, beyond test.lua's 3), a grey ramp band
    (r = g = b), a black and a white patch. No pixel is (200, 116, 115): its hue times 255 is 0.49999997 in
    float, which image.c's Byte path rounds up (adding 0.5 in float gives 1) and test.lua's ``torch.round``
    down, so Torch7 fails test_rgb2hsvByteTensor's exact check on it as legonn does."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    luminance = 0.5 + 0.3 * np.sin(x / 19 + 2 * np.sin(y / 29)) * np.cos(y / 37)
    rgb = luminance + 0.1 * np.stack([np.cos(y / 13 - x / 31), np.sin((x + y) / 23), np.cos(x / 41 + y / 53)])
    rgb[:, height // 4:height // 4 + 16, :] = (x[0] / (width - 1))[None, None, :]
    rgb[:, -24:-8, 8:40] = 0
    rgb[:, -24:-8, 48:80] = 1
    assert not ((np.floor(rgb * 255 + 0.5) == np.array([200, 116, 115])[:, None, None]).all(0)).any()
    return lg.ByteTensor(np.floor(rgb * 255 + 0.5).astype(np.uint8))


def photograph(folder, name, height, width, depth):
    """``image.lena``/``image.fabio`` of a ``3 x height x width`` ``picture`` saved as ``folder/name``: a function
    returning init.lua's ``image.load(path, depth)`` of it, in the default tensor type at the call (depth 3:
    ``3 x H x W``; depth 1: the luminance, ``H x W``)."""
    path = folder / name
    if not path.exists():
        image.savePPM(str(path), picture(height, width))
    return lambda: image.load(str(path), depth)
