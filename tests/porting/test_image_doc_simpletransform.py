"""torch/image's doc/simpletransform.md ("Simple Transformations"), ported by docs/porting.md: one test per
documented function, named after its section anchor, asserting the result the doc states (its printed
``image.crop`` example, the sizes, the options' effects). Where the doc is silent or stale the assertion is
torch/image's init.lua (cited by line). Images are ``C x H x W``; pixel coordinates are 0-based in the doc
already (crop's are "zero-based and non-inclusive")."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import image

pytestmark = pytest.mark.usefixtures('double_default')


@pytest.fixture
def src():
    """A 3 x 6 x 8 image of distinct values, so every crop, flip and shift is visible in the numbers."""
    return lg.range(0, 3 * 6 * 8 - 1).view(3, 6, 8).div(3 * 6 * 8)


def test_image_crop_doc_example():
    """image.crop: ``image.crop(torch.Tensor(3, 2, 2), 0, 0, 2, 2)`` "is a correct crop and the result is
    3x2x2", printed as a DoubleTensor of zeros (the doc's tensor happens to hold zeros: filled here)."""
    res = image.crop(lg.Tensor(3, 2, 2).zero(), 0, 0, 2, 2)
    assert res.size() == (3, 2, 2)
    assert res.type() == 'torch.DoubleTensor'
    assert res.eq(0).all()


def test_image_crop_corners_noninclusive(src):
    """image.crop(src, x1, y1, x2, y2): from (x1, y1) up to (x2, y2), x2 and y2 excluded."""
    res = image.crop(src, 1, 2, 5, 4)
    assert res.size() == (3, 2, 4)
    np.testing.assert_array_equal(res.numpy(), src.numpy()[:, 2:4, 1:5])


def test_image_crop_dst_is_used(src):
    """image.crop(dst, src, ...): "If dst is provided, it is used to store the output image"; init.lua
    lines 569-572 scale the crop into dst's size."""
    dst = lg.Tensor(3, 2, 4)
    assert image.crop(dst, src, 1, 2, 5, 4) is dst
    np.testing.assert_array_equal(dst.numpy(), src.numpy()[:, 2:4, 1:5])
    small = lg.Tensor(3, 1, 2)
    image.crop(small, src, 1, 2, 5, 4)
    np.testing.assert_allclose(small.numpy(), image.scale(image.crop(src, 1, 2, 5, 4), 2, 1).numpy())


@pytest.mark.parametrize('fmt, x1, y1', [('c', 2, 2), ('tl', 0, 0), ('tr', 4, 0), ('bl', 0, 4), ('br', 4, 4)])
def test_image_crop_format(src, fmt, x1, y1):
    """image.crop(src, format, width, height): "c", "tl", "tr", "bl", "br" for center, top left, top right,
    bottom left, bottom right (the centre's corner is floor((iwidth - width) / 2), init.lua line 545)."""
    res = image.crop(src, fmt, 4, 2)
    assert res.size() == (3, 2, 4)
    np.testing.assert_array_equal(res.numpy(), src.numpy()[:, y1:y1 + 2, x1:x1 + 4])
    dst = lg.Tensor(3, 2, 4)
    assert image.crop(dst, src, fmt, 4, 2) is dst
    np.testing.assert_array_equal(dst.numpy(), res.numpy())


def test_image_crop_bad_format(src):
    """init.lua line 555: any other format is an error naming the five."""
    with pytest.raises(Exception, match='tl'):
        image.crop(src, 'middle', 4, 2)


def test_image_translate(src):
    """image.translate(src, x, y): "Translates image src by x pixels horizontally and y pixels vertically"
    (the uncovered band is zeros); with dst, dst holds it."""
    res = image.translate(src, 2, 1)
    assert res.size() == src.size()
    np.testing.assert_array_equal(res.numpy()[:, 1:, 2:], src.numpy()[:, :-1, :-2])
    assert res.numpy()[:, 0, :].max() == 0 and res.numpy()[:, :, :2].max() == 0
    dst = lg.Tensor(3, 6, 8)
    assert image.translate(dst, src, 2, 1) is dst
    np.testing.assert_array_equal(dst.numpy(), res.numpy())


def test_image_scale_width_height(src):
    """image.scale(src, width, height, [mode]): width then height; bilinear, bicubic and simple modes."""
    for mode in (None, 'bilinear', 'bicubic', 'simple'):
        res = image.scale(src, 16, 12) if mode is None else image.scale(src, 16, 12, mode)
        assert res.size() == (3, 12, 16)
    np.testing.assert_array_equal(image.scale(src, 16, 12).numpy(), image.scale(src, 16, 12, 'bilinear').numpy())


@pytest.mark.parametrize('size, expected', [
    (4, (3, 3, 4)),          # a number: the maximum height or width
    ('16x12', (3, 12, 16)),  # 'WxH'
    ('16', (3, 12, 16)),     # 'MAX'
    ('^12', (3, 12, 16)),    # '^MIN': the minimum height or width
    ('*2', (3, 12, 16)),     # '*SC': a scaling factor
    ('*1/2', (3, 3, 4)),     # '*SCn/SCd': a fractional one
])
def test_image_scale_size_string(src, size, expected):
    """image.scale(src, size, [mode]): size a number or 'WxH', 'MAX', '^MIN', '*SC', '*SCn/SCd'."""
    assert image.scale(src, size).size() == expected


def test_image_scale_into_dst(src):
    """image.scale(dst, src, [mode]): "Rescale ... src to fit the dimensions of Tensor dst"."""
    dst = lg.Tensor(3, 3, 4)
    assert image.scale(dst, src) is dst
    np.testing.assert_allclose(dst.numpy(), image.scale(src, 4, 3).numpy())


def test_image_rotate(src):
    """image.rotate([dst,] src, theta, [mode]): by theta radians about the centre, 'simple' by default; a
    half turn of a square image is its two flips."""
    sq = src[:, :, 1:7]
    half = image.rotate(sq, math.pi)
    np.testing.assert_allclose(half.numpy(), sq.numpy()[:, ::-1, ::-1], atol=1e-12)
    np.testing.assert_array_equal(image.rotate(src, 0.3).numpy(), image.rotate(src, 0.3, 'simple').numpy())
    dst = lg.Tensor(3, 6, 8)
    assert image.rotate(dst, src, 0.3, 'bilinear') is dst


@pytest.mark.parametrize('fn', ['polar', 'logpolar'])
def test_image_polar_sizes_and_modes(src, fn):
    """image.polar / image.logpolar([dst,] src, [interpolation], [mode]): without dst "its size is
    automatically determined" (init.lua line 841: max(H, W) square); simple and valid by default; 'full'
    converts the whole image (so it reaches more of it than 'valid')."""
    f = getattr(image, fn)
    res = f(src)
    assert res.size() == (3, 8, 8)
    np.testing.assert_array_equal(res.numpy(), f(src, 'simple', 'valid').numpy())
    full = f(src, 'bilinear', 'full')
    assert full.size() == (3, 8, 8)
    assert not np.array_equal(full.numpy(), f(src, 'bilinear', 'valid').numpy())
    dst = lg.Tensor(3, 5, 7)
    assert f(dst, src) is dst


def test_image_flips(src):
    """image.hflip (left <-> right), image.vflip (up <-> down), image.flip(src, flip_dim) (0-based dim)."""
    a = src.numpy()
    np.testing.assert_array_equal(image.hflip(src).numpy(), a[:, :, ::-1])
    np.testing.assert_array_equal(image.vflip(src).numpy(), a[:, ::-1, :])
    np.testing.assert_array_equal(image.flip(src, 0).numpy(), a[::-1])
    np.testing.assert_array_equal(image.flip(src, 2).numpy(), a[:, :, ::-1])
    dst = lg.Tensor(3, 6, 8)
    assert image.hflip(dst, src) is dst and image.vflip(dst, src) is dst


def test_image_minmax(src):
    """image.minmax{tensor, [min, max, ...]}: ``tensor:add(-min):div(max-min)`` with min and max inferred;
    symm, inplace, saturate and tensorOut as documented (init.lua lines 1380-1430: with symm, min is minus the
    largest magnitude and the range twice it)."""
    t = src * 4 - 1                                     # values in [-1, 3)
    lo, hi = float(t.min()), float(t.max())
    res = image.minmax({'tensor': t})
    np.testing.assert_allclose(res.numpy(), (t.numpy() - lo) / (hi - lo))
    assert float(t.min()) == lo                         # not in place by default
    sym = image.minmax({'tensor': t, 'symm': True})
    np.testing.assert_allclose(sym.numpy(), (t.numpy() + hi) / (2 * hi))
    clipped = image.minmax({'tensor': t, 'min': 0, 'max': 1, 'saturate': True})
    np.testing.assert_allclose(clipped.numpy(), np.clip(t.numpy(), 0, 1))
    out = lg.Tensor()
    assert image.minmax({'tensor': t, 'tensorOut': out}) is out
    assert image.minmax({'tensor': t, 'inplace': True}) is t
    assert float(t.min()) == 0 and float(t.max()) == 1


def test_image_gaussianpyramid(src):
    """image.gaussianpyramid([dst,] src, scales): entry i is ``width*scales[i] x height*scales[i]``; a list
    dst is filled."""
    pyr = image.gaussianpyramid(src, [1, 0.5])
    assert [p.size() for p in pyr] == [(3, 6, 8), (3, 3, 4)]
    grey = image.gaussianpyramid(src[0], [0.5])
    assert grey[0].size() == (3, 4)
    dst = []
    assert image.gaussianpyramid(dst, src, [1, 0.5]) is dst and len(dst) == 2
    held = [lg.Tensor(1), lg.Tensor(2)]                 # "with or without Tensors": those given are resized
    first = held[0]
    image.gaussianpyramid(held, src, [1, 0.5])
    assert held[0] is first and [p.size() for p in held] == [(3, 6, 8), (3, 3, 4)]
    np.testing.assert_array_equal(held[0].numpy(), src.numpy())     # scale 1 is the image itself
