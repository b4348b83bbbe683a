"""torch/image's doc/drawing.md ("Simple Drawing Routines"), ported by docs/porting.md. ``image.lena()`` is
not provided (a 3 x 512 x 512 tensor stands in for it) and drawRect's corners are 0-based (docs/porting.md's
drawRect row: the doc's ``200, 200, 370, 400`` are ``199, 199, 369, 399``). ``image.drawText`` is not
provided (docs/porting.md: torch/image's bitmap font is not copied), so its three examples have no port."""
import numpy as np
import pytest

import legonn as lg
from legonn import image

pytestmark = pytest.mark.usefixtures('double_default')


def test_image_drawRect_doc_example():
    """image.drawRect: the doc's ``image.drawRect(image.lena(), 200, 200, 370, 400, {lineWidth = 5, color =
    {0, 255, 0}})``. image.c's Main_drawRect (lines 2230-2256) centres a 5-pixel line on each edge (two pixels
    before it, two after), the colour scaled by 1/255 for a floating image; not in place by default."""
    lena = lg.zeros(3, 512, 512)
    out = image.drawRect(lena, 199, 199, 369, 399, {'lineWidth': 5, 'color': [0, 255, 0]})
    assert out is not lena and float(lena.abs().max()) == 0
    a = out.numpy()
    expected = np.zeros((512, 512), bool)
    expected[197:402, 197:372] = True
    expected[202:397, 202:367] = False                  # the inside of the 5-pixel frame
    np.testing.assert_array_equal(a[1] == 1, expected)
    assert a[0].max() == 0 and a[2].max() == 0


def test_image_drawRect_options():
    """drawRect's options: color (red by default), lineWidth (1 by default), inplace (false by default); a
    ByteTensor takes the 0-255 colour as it is."""
    src = lg.ByteTensor(3, 8, 8).zero()
    out = image.drawRect(src, 1, 1, 5, 6)
    a = out.numpy()
    expected = np.zeros((8, 8), bool)
    expected[1:7, 1:6] = True
    expected[2:6, 2:5] = False
    np.testing.assert_array_equal(a[0] == 255, expected)
    assert a[1:].max() == 0
    assert image.drawRect(src, 1, 1, 5, 6, {'inplace': True}) is src
    assert int(src[0][1][1]) == 255
    with pytest.raises(Exception):
        image.drawRect(lg.zeros(1, 8, 8), 1, 1, 5, 6)     # "input image has to be a 3D tensor of shape 3 x H x W"
