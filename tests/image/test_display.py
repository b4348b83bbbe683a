"""torch/image's display helpers: init.lua's minmax and toDisplayTensor, image.c's drawRect, and display (which
legonn refuses), against hand values and loop transcriptions written here."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import image


def test_minmax_by_hand():
    """init.lua's minmax: minus the min, over the (shifted) max; symm maps [-m, m] to [0, 1]; given bounds
    rescale and (with saturate) clamp."""
    x = lg.DoubleTensor([[-1.0, 0.0], [1.0, 3.0]])
    got = image.minmax(x)
    assert isinstance(got, lg.FloatTensor) and got is not x   # torch.Tensor(size):copy(tensor), the default type
    np.testing.assert_allclose(got.numpy(), [[0, 0.25], [0.5, 1]])
    np.testing.assert_allclose(image.minmax({'tensor': x, 'symm': True}).numpy(), [[1 / 3, 0.5], [2 / 3, 1]])
    np.testing.assert_allclose(image.minmax(x, min=0, max=2).numpy(), [[-0.5, 0], [0.5, 1.5]])
    np.testing.assert_allclose(image.minmax(x, min=0, max=2, saturate=True).numpy(), [[0, 0], [0.5, 1]])
    out = lg.DoubleTensor()
    assert image.minmax(x, tensorOut=out) is out and tuple(out.size()) == (2, 2)
    assert image.minmax(x, inplace=True) is x
    np.testing.assert_allclose(x.numpy(), [[0, 0.25], [0.5, 1]])


def _grid(packed, padding, nrow):
    """init.lua's grid loop: cells of (h + padding) x (w + padding), the background the largest value, image k at
    row k // across, column k % across, offset floor(padding / 2)."""
    count, rows, cols = packed.shape[0], packed.shape[-2], packed.shape[-1]
    across = min(nrow, count)
    down = math.ceil(count / across)
    grid = np.full(packed.shape[1:-2] + ((rows + padding) * down, (cols + padding) * across), packed.max())
    k = 0
    for y in range(down):
        for x in range(across):
            if k == count:
                break
            top = math.floor(y * (rows + padding) + 1 + padding / 2) - 1
            left = math.floor(x * (cols + padding) + 1 + padding / 2) - 1
            grid[..., top:top + rows, left:left + cols] = packed[k]
            k += 1
    return grid


def _scaled(a):
    return (a - a.min()) / (a.max() - a.min())


@pytest.mark.parametrize('padding, nrow', [(0, 6), (1, 3), (2, 2)])
def test_todisplaytensor_grids(padding, nrow):
    """A list of 3-channel images and a K x H x W stack of maps laid out on init.lua's grid, rescaled as a
    whole (and each image alone with scaleeach)."""
    rng = np.random.default_rng(padding)
    images = [rng.random((3, 4, 5)) for _ in range(7)]
    got = image.toDisplayTensor([lg.DoubleTensor(a) for a in images], padding=padding, nrow=nrow)
    np.testing.assert_allclose(got.numpy(), _scaled(_grid(np.stack(images), padding, nrow)), rtol=1e-6, atol=1e-7)
    maps = rng.random((5, 3, 4)) * 10
    got = image.toDisplayTensor({'input': maps, 'padding': padding, 'nrow': nrow, 'scaleeach': True})
    each = np.stack([_scaled(m) for m in maps])
    np.testing.assert_allclose(got.numpy(), _grid(each, padding, nrow), rtol=1e-6, atol=1e-7)
    # with given bounds each map is rescaled once, the grid not again
    got = image.toDisplayTensor(maps, padding=padding, nrow=nrow, scaleeach=True, min=0, max=20, saturate=False)
    np.testing.assert_allclose(got.numpy(), _grid(maps / 20, padding, nrow), rtol=1e-6, atol=1e-7)


def test_todisplaytensor_single_images_and_errors():
    """An H x W or 3 x H x W image is only rescaled; other shapes are refused naming the function."""
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(image.toDisplayTensor(x).numpy(), x / 5)
    assert tuple(image.toDisplayTensor(np.ones((3, 2, 2)) * np.arange(3.0)[:, None, None]).size()) == (3, 2, 2)
    with pytest.raises(ValueError, match=r'image\.toDisplayTensor: expected an H x W, K x H x W or K x C x H x W'):
        image.toDisplayTensor(np.ones((2, 4, 3, 3)))
    # Torch7's nrow 0 asks for an infinite grid and a negative padding narrows a cell outside it
    with pytest.raises(ValueError, match=r'^image\.toDisplayTensor: expected nrow to be a whole number of at least 1, '
                                         r'got 0$'):
        image.toDisplayTensor(np.ones((4, 3, 3)), nrow=0)
    with pytest.raises(ValueError, match=r'^image\.toDisplayTensor: expected padding to be a whole number of at '
                                         r'least 0, got -1$'):
        image.toDisplayTensor(np.ones((4, 3, 3)), padding=-1)


def _draw_rect(img, x1, y1, x2, y2, width, colour):
    """image.c's drawRect for Torch7's 1-based corners: four filled bands, bounds clipped to the image."""
    out = img.copy()
    h, w = out.shape[1:]
    lo = width // 2 + 1
    hi = width - lo - 1
    x1l, y1l, x2l, y2l = max(0, x1 - lo), max(0, y1 - lo), max(0, x2 - lo), max(0, y2 - lo)
    x1u, y1u = min(w, x1 + hi + 1), min(h, y1 + hi + 1)
    x2u, y2u = min(w, x2 + hi + 1), min(h, y2 + hi + 1)
    for y in range(y1l, y2u):
        for x in list(range(x1l, x1u)) + list(range(x2l, x2u)):
            out[:, y, x] = colour
    for x in range(x1l, x2u):
        for y in list(range(y1l, y1u)) + list(range(y2l, y2u)):
            out[:, y, x] = colour
    return out


@pytest.mark.parametrize('corners, width', [((1, 2, 5, 4), 1), ((0, 0, 6, 5), 2), ((2, 1, 4, 3), 3),
                                            ((-2, 3, 9, 8), 1)])
def test_drawrect_matches_image_c(corners, width):
    """0-based corners here are image.c's 1-based ones minus one; a float image gets the colour / 255 (in
    float), a byte image the colour itself; the source is copied unless inplace."""
    img = np.zeros((3, 6, 7))
    colour = (10, 200, 255)
    want = _draw_rect(img, *(c + 1 for c in corners), width, np.float32(colour) / np.float32(255))
    src = lg.DoubleTensor(img)
    got = image.drawRect(src, *corners, {'lineWidth': width, 'color': colour})
    assert got is not src and src.numpy().max() == 0
    assert np.array_equal(got.numpy(), want)
    as_bytes = lg.ByteTensor(3, 6, 7).zero()
    assert image.drawRect(as_bytes, *corners, lineWidth=width, color=colour, inplace=True) is as_bytes
    assert np.array_equal(as_bytes.numpy(), _draw_rect(img, *(c + 1 for c in corners), width, colour))


def test_drawrect_default_red_and_errors():
    """The default is a one-pixel red outline; the image must be 3 x H x W."""
    got = image.drawRect(lg.FloatTensor(3, 3, 3).zero(), 0, 0, 2, 2).numpy()
    assert got[0].tolist() == [[1, 1, 1], [1, 0, 1], [1, 1, 1]] and got[1:].max() == 0
    with pytest.raises(ValueError, match=r'image\.drawRect: expected a 3 x H x W image'):
        image.drawRect(lg.FloatTensor(3, 3), 0, 0, 1, 1)
    with pytest.raises(TypeError, match=r"image\.drawRect: unknown option\(s\) \['colour'\]"):
        image.drawRect(lg.FloatTensor(3, 3, 3), 0, 0, 1, 1, {'colour': (0, 0, 0)})


def test_display_refuses_and_says_what_to_do():
    """There is no Qt: display raises, naming image.save of toDisplayTensor instead."""
    with pytest.raises(RuntimeError, match=r"image\.display: legonn has no window system.*image\.save"):
        image.display(lg.FloatTensor(3, 4, 4))


@pytest.mark.gpu
def test_display_helpers_on_cuda_tensors():
    """minmax, toDisplayTensor and drawRect on CUDA tensors match the CPU."""
    x = lg.FloatTensor(np.random.default_rng(7).random((4, 3, 5, 5)).astype(np.float32))
    np.testing.assert_allclose(image.minmax(x.cuda(), inplace=True).cpu().numpy(), image.minmax(x).numpy())
    drawn = image.drawRect(x.cuda()[0], 1, 1, 3, 3, lineWidth=2)
    assert drawn.is_cuda
    assert np.array_equal(drawn.cpu().numpy(), image.drawRect(x[0], 1, 1, 3, 3, lineWidth=2).numpy())
