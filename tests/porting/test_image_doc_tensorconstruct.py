"""torch/image's doc/tensorconstruct.md ("Tensor Constructors"), ported by docs/porting.md: one test per
section anchor, asserting the sizes, defaults and option effects the doc states; values follow image.c's
``gaussian`` (mean ``m * size + 0.5`` and deviation ``sigma * size`` in 1-based pixel positions, lines
1993-2009). ``image.lena()`` and ``image.fabio()`` are not provided (docs/porting.md: legonn ships no
photographs): those two sections have no test."""
import numpy as np
import pytest

import legonn as lg
from legonn import image

pytestmark = pytest.mark.usefixtures('double_default')


def reference_gaussian(h, w, amplitude=1.0, sigma_h=0.25, sigma_v=0.25, mean_h=0.5, mean_v=0.5):
    """image.c's Main_gaussian, written out in NumPy."""
    u = (np.arange(w) + 1 - (mean_h * w + 0.5)) / (sigma_h * w)
    v = (np.arange(h) + 1 - (mean_v * h + 0.5)) / (sigma_v * h)
    return amplitude * np.exp(-0.5 * (v[:, None] ** 2 + u[None, :] ** 2))


def test_image_gaussian_defaults():
    """image.gaussian(): size 3, sigma 0.25, amplitude 1 (its maximum), means 0.5 (the centre)."""
    g = image.gaussian()
    assert g.size() == (3, 3)
    np.testing.assert_allclose(g.numpy(), reference_gaussian(3, 3))
    assert float(g.max()) == 1 and g.numpy().argmax() == 4


def test_image_gaussian_arguments():
    """image.gaussian(size, sigma, amplitude, normalize, width, height, sigma_horz, sigma_vert, mean_horz,
    mean_vert, tensor), positional or "as key-value arguments (in a table)"."""
    np.testing.assert_allclose(image.gaussian(5, 0.1, 2).numpy(), reference_gaussian(5, 5, 2, 0.1, 0.1))
    normalised = image.gaussian(5, 0.25, 7, True)                   # normalize overrides amplitude
    np.testing.assert_allclose(float(normalised.sum()), 1)
    np.testing.assert_allclose(normalised.numpy(), reference_gaussian(5, 5) / reference_gaussian(5, 5).sum())
    wide = image.gaussian({'width': 6, 'height': 4, 'sigma_horz': 0.3, 'sigma_vert': 0.2, 'mean_horz': 0.25})
    assert wide.size() == (4, 6)
    np.testing.assert_allclose(wide.numpy(), reference_gaussian(4, 6, 1, 0.3, 0.2, 0.25, 0.5))
    t = lg.Tensor(2, 7)
    assert image.gaussian({'size': 3, 'tensor': t}) is t                 # size ignored for tensor's
    np.testing.assert_allclose(t.numpy(), reference_gaussian(2, 7))


def test_image_gaussian1D():
    """image.gaussian1D([size, sigma, amplitude, normalize, mean, tensor]): defaults 3, 0.25, 1, false, 0.5."""
    g = image.gaussian1D()
    assert g.size() == (3,)
    np.testing.assert_allclose(g.numpy(), reference_gaussian(1, 3)[0])
    np.testing.assert_allclose(image.gaussian1D(7, 0.2, 3).numpy(), reference_gaussian(1, 7, 3, 0.2)[0])
    np.testing.assert_allclose(float(image.gaussian1D({'size': 7, 'normalize': True}).sum()), 1)
    shifted = image.gaussian1D({'size': 8, 'mean': 0.25})
    assert shifted.numpy().argmax() == 1                                # centre at 0.25 * 8 + 0.5 (1-based)
    t = lg.Tensor(4)
    assert image.gaussian1D({'tensor': t}) is t


def test_image_laplacian():
    """image.laplacian: a size x size (3 by default) kernel, height x width with width/height given, whose
    largest magnitude is amplitude; normalize makes its sum 1."""
    k = image.laplacian()
    assert k.size() == (3, 3)
    np.testing.assert_allclose(float(k.abs().max()), 1)
    assert image.laplacian({'width': 5, 'height': 4}).size() == (4, 5)
    np.testing.assert_allclose(float(image.laplacian(5, 0.25, 3).abs().max()), 3)
    np.testing.assert_allclose(float(image.laplacian(5, 0.25, 1, True).sum()), 1)


def test_image_colormap():
    """image.colormap(nColor): nColor x 3, colours around the HSV wheel (hue stepped by 39 degrees, init.lua
    line 2372): all distinct, in [0, 1]; the first is pure hue 0 at saturation 0.3, lightness 0.5."""
    m = image.colormap(7)
    assert m.size() == (7, 3)
    a = m.numpy()
    assert a.min() >= 0 and a.max() <= 1 and len({tuple(r) for r in a.round(6)}) == 7
    np.testing.assert_allclose(a[0], [0.65, 0.35, 0.35])


def test_image_jetColormap():
    """image.jetColormap(nColor): nColor x 3, from blue to red (init.lua lines 2407-2412)."""
    m = image.jetColormap(8).numpy()
    assert m.shape == (8, 3)
    f = 4 * np.arange(1, 9) / 8
    expected = np.stack([np.clip(np.minimum(f - 1.5, -f + 4.5), 0, 1), np.clip(np.minimum(f - 0.5, -f + 3.5), 0, 1),
                         np.clip(np.minimum(f + 0.5, -f + 2.5), 0, 1)], 1)
    np.testing.assert_allclose(m, expected)
    assert m[0].argmax() == 2 and m[-1].argmax() == 0
