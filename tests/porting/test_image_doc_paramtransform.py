"""torch/image's doc/paramtransform.md ("Parameterized transformations"), ported by docs/porting.md: one test
per documented function, named after its section anchor, asserting what the doc states of the result. Where
the doc's wording disagrees with torch/image's init.lua the source is asserted and the line cited: convolve's
'valid' drops ``kernel - 1`` rows and columns in all (not ``ceil(kernel/2)`` on each side) and its 'full' is
larger than ``src`` (init.lua line 1353 hands torch.conv2 'F'); lcn's local deviation is
``sqrt(lm(src*src) - lm(src)^2)`` floored at 1 (lines 2444-2454)."""
import numpy as np
import pytest

import legonn as lg
from legonn import image

pytestmark = pytest.mark.usefixtures('double_default')


@pytest.fixture
def src():
    lg.manualSeed(3)
    return lg.rand(2, 5, 6)


def test_image_warp_zero_field_is_identity(src):
    """image.warp: "When offset is true (the default), (x,y) is added to the flow field": a zero field gives
    the image back, in every mode."""
    field = lg.zeros(2, 5, 6)
    for mode in ('bilinear', 'bicubic', 'simple'):
        np.testing.assert_allclose(image.warp(src, field, mode).numpy(), src.numpy(), atol=1e-12)
    # lanczos's weights pass through C floats (image.c), so its identity holds to float precision
    np.testing.assert_allclose(image.warp(src, field, 'lanczos').numpy(), src.numpy(), atol=1e-6)


def test_image_warp_field_is_y_then_x(src):
    """image.warp: the field is ``2xHxW``, "the first dimension is for the (y,x) flow field"."""
    fx = lg.zeros(2, 5, 6)
    fx[1].fill(1)                                    # one pixel to the right in x
    np.testing.assert_allclose(image.warp(src, fx, 'simple').numpy()[:, :, :5], src.numpy()[:, :, 1:])
    fy = lg.zeros(2, 5, 6)
    fy[0].fill(1)                                    # one pixel down in y
    np.testing.assert_allclose(image.warp(src, fy, 'simple').numpy()[:, :4], src.numpy()[:, 1:])


def test_image_warp_offset_false_reads_absolute_positions(src):
    """image.warp(..., offset=false): the field holds the source positions themselves."""
    ys, xs = np.meshgrid(np.arange(5.0), np.arange(6.0), indexing='ij')
    field = lg.Tensor(np.stack([ys, xs]))
    np.testing.assert_allclose(image.warp(src, field, 'bilinear', False).numpy(), src.numpy(), atol=1e-12)


def test_image_warp_clamp_modes(src):
    """image.warp clamp_mode: 'clamp' (the default) repeats the border, 'pad' writes pad_val (default 0);
    "setting this value when clamp_mode equals clamp will result in an error"."""
    fx = lg.zeros(2, 5, 6)
    fx[1].fill(1)
    np.testing.assert_allclose(image.warp(src, fx, 'simple').numpy()[:, :, 5], src.numpy()[:, :, 5])
    assert image.warp(src, fx, 'simple', True, 'pad').numpy()[:, :, 5].max() == 0
    assert (image.warp(src, fx, 'simple', True, 'pad', 7).numpy()[:, :, 5] == 7).all()
    with pytest.raises(Exception, match='pad'):
        image.warp(src, fx, 'simple', True, 'clamp', 7)


def test_image_warp_dst(src):
    """image.warp(dst, ...): "If dst is specified, it is used to store the result of the warp"."""
    dst = lg.Tensor(2, 5, 6)
    assert image.warp(dst, src, lg.zeros(2, 5, 6)) is dst
    np.testing.assert_allclose(dst.numpy(), src.numpy(), atol=1e-12)


def test_image_affinetransform(src):
    """image.affinetransform(src, matrix, [mode, translation, clamp_mode, pad_val]): a ``(y,x)`` 2x2 matrix;
    the identity gives the image back; translation (default {0, 0}) is ``(y,x)`` as well."""
    np.testing.assert_allclose(image.affinetransform(src, lg.eye(2)).numpy(), src.numpy(), atol=1e-12)
    moved = image.affinetransform(src, lg.eye(2), 'simple', lg.Tensor([0, 1]), 'pad', 5)
    np.testing.assert_allclose(moved.numpy()[:, :, 1:], src.numpy()[:, :, :5])
    assert (moved.numpy()[:, :, 0] == 5).all()
    swap = image.affinetransform(src[:, :5, :5], lg.Tensor([[0, 1], [1, 0]]), 'simple')
    np.testing.assert_allclose(swap.numpy(), src.numpy()[:, :5, :5].transpose(0, 2, 1), atol=1e-12)
    dst = lg.Tensor(2, 5, 6)
    assert image.affinetransform(dst, src, lg.eye(2)) is dst


def test_image_convolve_modes(src):
    """image.convolve([dst,] src, kernel, [mode]): 'valid' (the default) loses kernel - 1 rows and columns,
    'full' gains them, 'same' "crops out" the source's size (init.lua lines 1353-1375, torch.conv2)."""
    k = lg.Tensor([[0, 0, 0], [0, 0, 1], [0, 0, 0]])
    valid = image.convolve(src, k)
    assert valid.size() == (2, 3, 4)
    np.testing.assert_array_equal(valid.numpy(), image.convolve(src, k, 'valid').numpy())
    assert image.convolve(src, k, 'full').size() == (2, 7, 8)
    same = image.convolve(src, k, 'same')
    assert same.size() == (2, 5, 6)
    # conv2 flips the kernel: the 1 right of centre takes each pixel's left neighbour
    np.testing.assert_allclose(same.numpy()[:, :, 1:], src.numpy()[:, :, :5])
    np.testing.assert_allclose(valid.numpy(), src.numpy()[:, 1:4, 0:4])
    dst = lg.Tensor()
    assert image.convolve(dst, src, k) is dst and dst.size() == (2, 3, 4)
    with pytest.raises(Exception, match='full'):
        image.convolve(src, k, 'circular')


def test_image_lcn_default_kernel():
    """image.lcn(src, [kernel]): global contrast normalisation, then ``(src - lm(src)) / std`` with lm the
    local mean under a 9x9 normalised Gaussian (init.lua line 2425: sigma 1.591/9); the local std is floored
    at 1 and the result is the valid part (lines 2444-2463)."""
    lg.manualSeed(4)
    im = lg.rand(12, 14)
    res = image.lcn(im)
    assert res.size() == (4, 6)
    a = im.numpy()
    a = (a - a.mean()) / a.std(ddof=1)
    ker = image.gaussian({'size': 9, 'sigma': 1.591 / 9, 'normalize': True}).numpy()

    def lm(x):
        return np.array([[(x[i:i + 9, j:j + 9] * ker[::-1, ::-1]).sum() for j in range(6)] for i in range(4)])

    mean = lm(a)
    std = np.maximum(np.sqrt(np.maximum(lm(a * a) - mean ** 2, 0)), 1)
    np.testing.assert_allclose(res.numpy(), (a[4:8, 4:10] - mean) / std, atol=1e-10)
    np.testing.assert_allclose(image.lcn(im, lg.Tensor(ker)).numpy(), res.numpy())


def test_image_lcn_needs_grey():
    """init.lua line 2428: lcn of a colour image is an error ('grayscale image expected'); a 1 x H x W one is
    read as H x W (line 2431)."""
    assert image.lcn(lg.rand(1, 12, 12)).size() == (4, 4)
    with pytest.raises(Exception, match='grey image'):
        image.lcn(lg.rand(3, 12, 12))


def test_image_erode_dilate_defaults():
    """image.erode / image.dilate(src, [kernel, pad]): a 3x3 kernel of ones by default; erode pads with 1,
    dilate with 0."""
    b = lg.zeros(5, 6)
    b[1:4, 1:5] = 1
    er = image.erode(b)
    assert er.size() == (5, 6)
    expected = np.zeros((5, 6))
    expected[2, 2:4] = 1
    np.testing.assert_array_equal(er.numpy(), expected)
    full = lg.ones(4, 4)
    np.testing.assert_array_equal(image.erode(full).numpy(), np.ones((4, 4)))          # pad 1 keeps the border
    assert image.erode(full, lg.ones(3, 3), 0).numpy()[0].max() == 0                  # pad 0 wears it away
    dot = lg.zeros(5, 5)
    dot[2, 2] = 1
    di = image.dilate(dot)
    expected = np.zeros((5, 5))
    expected[1:4, 1:4] = 1
    np.testing.assert_array_equal(di.numpy(), expected)
    grown = np.ones((3, 3))
    grown[1, 1] = 0                                  # pad 1 reaches every border pixel, not the centre
    np.testing.assert_array_equal(image.dilate(lg.zeros(3, 3), lg.ones(3, 3), 1).numpy(), grown)
