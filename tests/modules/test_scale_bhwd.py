"""nn.ScaleBHWD (anuragranj/spynet's extras/spybhwd): BHWD bilinear up-scaling with aligned corners.

The CUDA kernel's loops (ScaleBHWD.cu's getTopLeft and bilinearSamplingFromGrid, the kernel spynet runs)
transcribed below in float64 NumPy; its equality with SpatialUpSamplingBilinear on the BCHW layout; the
finite-difference Jacobian, float() / double(), the GPU twin; bad input naming the module."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_rejected, standard_tests


def _cuda_loops(img, scale):
    """ScaleBHWD.cu's forward, pixel by pixel: xcoord = (W - 1) xOut / (1.0 Wout - 1), the four neighbours
    weighted, those past the last row or column reading zero (with weight zero there)."""
    B, H, W, D = img.shape
    h, w = H * scale, W * scale
    out = np.zeros((B, h, w, D))
    for b in range(B):
        for yo in range(h):
            for xo in range(w):
                xc = (W - 1) * xo / (1.0 * w - 1)
                yc = (H - 1) * yo / (1.0 * h - 1)
                x0, y0 = math.floor(xc), math.floor(yc)
                wx, wy = 1 - (xc - x0), 1 - (yc - y0)
                for yi, xi, weight in ((y0, x0, wy * wx), (y0, x0 + 1, wy * (1 - wx)),
                                       (y0 + 1, x0, (1 - wy) * wx), (y0 + 1, x0 + 1, (1 - wy) * (1 - wx))):
                    if 0 <= yi <= H - 1 and 0 <= xi <= W - 1:
                        out[b, yo, xo] += weight * img[b, yi, xi]
    return out


@pytest.mark.parametrize('scale', (1, 2, 3))
def test_matches_the_cuda_kernel_loops(scale):
    img = np.random.default_rng(scale).standard_normal((2, 3, 4, 2))
    out = nn.ScaleBHWD(scale).double().forward(lg.from_numpy(img))
    np.testing.assert_allclose(out.numpy(), _cuda_loops(img, scale), rtol=1e-12, atol=1e-14)


def test_is_spatial_up_sampling_bilinear_between_transposes():
    """spynet.lua's up2..up6, Transpose({2,3},{3,4}) -> ScaleBHWD(2) -> Transpose({3,4},{2,3}), is
    SpatialUpSamplingBilinear(2) on the BCHW flow, forward and backward."""
    lg.manualSeed(3)
    flow = lg.randn(2, 2, 5, 6).double()
    up = nn.Sequential().add(nn.Transpose([1, 2], [2, 3])).add(nn.ScaleBHWD(2)).add(
        nn.Transpose([2, 3], [1, 2])).double()
    ref = nn.SpatialUpSamplingBilinear(2).double()
    np.testing.assert_allclose(up.forward(flow).numpy(), ref.forward(flow).numpy(), rtol=1e-12)
    g = lg.randn(2, 2, 10, 12).double()
    np.testing.assert_allclose(up.backward(flow, g).numpy(), ref.backward(flow, g).numpy(), rtol=1e-12)


CASES = {
    'batch_x2': (lambda: nn.ScaleBHWD(2), lambda: np.random.default_rng(1).standard_normal((2, 3, 4, 2))),
    'single_x3': (lambda: nn.ScaleBHWD(3), lambda: np.random.default_rng(2).standard_normal((2, 3, 3))),
    'default_copy': (nn.ScaleBHWD, lambda: np.random.default_rng(3).standard_normal((1, 2, 3, 2))),
}


def _build(name):
    make, data = CASES[name]
    return make(), data()


test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), _build)


def test_bad_input_and_hyper_parameters_name_the_module():
    with pytest.raises(ValueError, match='ScaleBHWD'):
        nn.ScaleBHWD(0)
    with pytest.raises(ValueError, match='ScaleBHWD'):
        nn.ScaleBHWD(1.5)
    assert_rejected(nn.ScaleBHWD(2), ValueError, r'ScaleBHWD\(2\)', 'forward', lg.zeros(4, 4))
    assert_rejected(nn.ScaleBHWD(2), TypeError, r'ScaleBHWD\(2\).*floating', 'forward',
                    lg.LongTensor(1, 2, 2, 1).zero())
    m = nn.ScaleBHWD(2)
    x = lg.zeros(1, 2, 2, 3)
    m.forward(x)
    assert_rejected(m, ValueError, r'ScaleBHWD\(2\)', 'backward', x, lg.zeros(1, 2, 2, 3))
