"""torch/image's doc/colorspace.md ("Color Space Conversions"), ported by docs/porting.md: one test per
section anchor, each asserting the conversion's defining values (init.lua's coefficients, cited by line) and
the documented ``dst`` form. The doc's one Lua example, ``image.display{image=image.y2jet(torch.linspace(1,
10,10)), zoom=50}``, shows a window: the tensor it displays is asserted instead (docs/porting.md: display),
with y2jet's 0-based levels (``linspace(1, 10, 10) - 1``, docs/porting.md's y2jet row)."""
import numpy as np
import pytest

import legonn as lg
from legonn import image

pytestmark = pytest.mark.usefixtures('double_default')

PAIRS = [('rgb2lab', 'lab2rgb'), ('rgb2yuv', 'yuv2rgb'), ('rgb2hsl', 'hsl2rgb'), ('rgb2hsv', 'hsv2rgb')]


@pytest.fixture
def rgb():
    lg.manualSeed(7)
    return lg.rand(3, 4, 5)


def colour(r, g, b):
    """A 3 x 1 x 1 image of one colour."""
    return lg.Tensor([r, g, b]).view(3, 1, 1)


@pytest.mark.parametrize('forward, backward', PAIRS)
def test_conversion_round_trip_and_dst(rgb, forward, backward):
    """image.rgb2lab/lab2rgb, rgb2yuv/yuv2rgb, rgb2hsl/hsl2rgb, rgb2hsv/hsv2rgb: each pair inverts the other
    (to the precision of yuv's four-digit coefficients, init.lua lines 1755-1757, and lab's float constants);
    "If dst is provided, it is used to store the output image"."""
    there = getattr(image, forward)(rgb)
    assert there.size() == (3, 4, 5)
    np.testing.assert_allclose(getattr(image, backward)(there).numpy(), rgb.numpy(), atol=1e-4)
    dst = lg.Tensor(3, 4, 5)
    assert getattr(image, forward)(dst, rgb) is dst
    np.testing.assert_array_equal(dst.numpy(), there.numpy())


def test_image_rgb2lab_white_and_black():
    """image.rgb2lab: white is L = 100, a = b = 0; black is all zeros (CIE Lab, D65 white)."""
    np.testing.assert_allclose(image.rgb2lab(colour(1, 1, 1)).numpy().ravel(), [100, 0, 0], atol=1e-2)
    np.testing.assert_allclose(image.rgb2lab(colour(0, 0, 0)).numpy().ravel(), [0, 0, 0], atol=1e-6)


def test_image_rgb2yuv_coefficients():
    """image.rgb2yuv: init.lua lines 1755-1757's rows (0.299, 0.587, 0.114), (-0.14713, -0.28886, 0.436),
    (0.615, -0.51499, -0.10001)."""
    for c, expected in [((1, 0, 0), (0.299, -0.14713, 0.615)), ((0, 1, 0), (0.587, -0.28886, -0.51499)),
                        ((0, 0, 1), (0.114, 0.436, -0.10001))]:
        np.testing.assert_allclose(image.rgb2yuv(colour(*c)).numpy().ravel(), expected, atol=1e-12)


def test_image_rgb2y(rgb):
    """image.rgb2y: "Converts a RGB image to Y (discard U and V)": one channel, rgb2yuv's first."""
    y = image.rgb2y(rgb)
    assert y.size() == (1, 4, 5)
    np.testing.assert_allclose(y.numpy()[0], image.rgb2yuv(rgb).numpy()[0], atol=1e-12)
    dst = lg.Tensor()
    assert image.rgb2y(dst, rgb) is dst and dst.size() == (1, 4, 5)


@pytest.mark.parametrize('fn, rgb_value, expected', [
    ('rgb2hsv', (1, 0, 0), (0, 1, 1)), ('rgb2hsv', (0, 0, 1), (2 / 3, 1, 1)), ('rgb2hsv', (0.5, 0.5, 0.5), (0, 0, 0.5)),
    ('rgb2hsl', (1, 0, 0), (0, 1, 0.5)), ('rgb2hsl', (0, 1, 0), (1 / 3, 1, 0.5)), ('rgb2hsl', (1, 1, 1), (0, 0, 1)),
])
def test_image_rgb2hsv_rgb2hsl_values(fn, rgb_value, expected):
    """image.rgb2hsv / image.rgb2hsl: hue as a fraction of the wheel, saturation, value or lightness in [0, 1]."""
    np.testing.assert_allclose(getattr(image, fn)(colour(*rgb_value)).numpy().ravel(), expected, atol=1e-12)


def test_image_rgb2nrgb(rgb):
    """image.rgb2nrgb: each channel over the pixel's sum (plus 1e-6, init.lua line 2096)."""
    n = image.rgb2nrgb(rgb)
    a = rgb.numpy()
    np.testing.assert_allclose(n.numpy(), a / (a.sum(0) + 1e-6))


def test_image_y2jet_doc_example():
    """image.y2jet: the doc's ``image.y2jet(torch.linspace(1,10,10))`` (ten levels, 0-based here): a 1-D
    greyscale is one row (init.lua line 2131), so a 3 x 1 x 10 heat map whose pixel i is jetColormap(10)'s
    colour i; blue at the lowest level, red at the highest."""
    jet = image.y2jet(lg.linspace(1, 10, 10) - 1)
    assert jet.size() == (3, 1, 10)
    np.testing.assert_allclose(jet.numpy()[:, 0, :].T, image.jetColormap(10).numpy())
    assert jet.numpy()[:, 0, 0].argmax() == 2 and jet.numpy()[:, 0, 9].argmax() == 0
    dst = lg.Tensor()
    assert image.y2jet(dst, lg.linspace(1, 10, 10) - 1) is dst
