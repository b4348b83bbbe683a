"""SpatialCrossMapLRN, SpatialSubtractiveNormalization, SpatialDivisiveNormalization,
SpatialContrastiveNormalization."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_close_trees, assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip

KERNEL2 = lg.Tensor([[1, 2, 1], [2, 4, 2], [1, 2, 1]])
KERNEL1 = lg.Tensor([1, 3, 1])

CASES = [
    pytest.param(lambda: nn.SpatialCrossMapLRN(3, 0.5, 0.75, 1), (2, 5, 2, 2), id='lrn'),
    pytest.param(lambda: nn.SpatialCrossMapLRN(4, 0.5, 0.6, 2), (5, 2, 3), id='lrn-even-nobatch'),
    pytest.param(lambda: nn.SpatialSubtractiveNormalization(2, KERNEL2), (2, 2, 4, 5), id='sub-2d'),
    pytest.param(lambda: nn.SpatialSubtractiveNormalization(2, KERNEL1), (2, 4, 5), id='sub-1d-nobatch'),
    pytest.param(lambda: nn.SpatialDivisiveNormalization(2, KERNEL2), (2, 2, 4, 5), id='div-2d'),
    pytest.param(lambda: nn.SpatialDivisiveNormalization(2, KERNEL1, 0.5, 0.3), (2, 4, 5), id='div-1d-threshold'),
    pytest.param(lambda: nn.SpatialContrastiveNormalization(2, KERNEL2), (2, 2, 4, 4), id='contrastive'),
]


@pytest.mark.parametrize('make,shape', CASES)
def test_jacobian(make, shape):
    assert_jacobian(make(), lg.randn(*shape))


@pytest.mark.parametrize('make,shape', CASES)
def test_type_roundtrip(make, shape):
    assert_type_roundtrip(make(), lg.randn(*shape))


@pytest.mark.gpu
@pytest.mark.parametrize('make,shape', CASES)
def test_gpu_matches_cpu(make, shape):
    assert_gpu_matches_cpu(make(), lg.randn(*shape))


@pytest.mark.parametrize('size', [3, 4])
def test_lrn_matches_loops(size):
    m = nn.SpatialCrossMapLRN(size, 0.3, 0.75, 2)
    x = lg.randn(2, 6, 2, 3).double()
    xa = x.numpy()
    want = np.empty_like(xa)
    pre = (size - 1) // 2
    for n, c, h, w in np.ndindex(*xa.shape):
        lo, hi = max(0, c - pre), min(6, c - pre + size)
        s = 2 + 0.3 / size * (xa[n, lo:hi, h, w] ** 2).sum()
        want[n, c, h, w] = xa[n, c, h, w] / s ** 0.75
    np.testing.assert_allclose(m.forward(x).numpy(), want, rtol=1e-12)


def local_mean_and_std(x, k2):
    """Nested loops: plane-summed kernel-weighted sums with zero padding, divided by the kernel mass inside."""
    c, h, w = x.shape
    kh, kw = k2.shape
    mean, std = np.zeros((h, w)), np.zeros((h, w))
    for i, j in np.ndindex(h, w):
        s = s2 = mass = 0.0
        for a, b in np.ndindex(kh, kw):
            y, z = i + a - kh // 2, j + b - kw // 2
            if 0 <= y < h and 0 <= z < w:
                s += k2[a, b] * x[:, y, z].sum()
                s2 += k2[a, b] * (x[:, y, z] ** 2).sum()
                mass += k2[a, b] * c
        mean[i, j], std[i, j] = s / mass, np.sqrt(s2) / mass
    return mean, std


def test_subtractive_matches_loops():
    m = nn.SpatialSubtractiveNormalization(3, KERNEL2)
    x = lg.randn(3, 4, 5).double()
    k2 = KERNEL2.numpy().astype(np.float64) / (KERNEL2.numpy().sum() * 3)
    mean, _ = local_mean_and_std(x.numpy(), k2)
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() - mean, rtol=1e-10, atol=1e-12)


def test_divisive_matches_loops_with_threshold():
    m = nn.SpatialDivisiveNormalization(2, KERNEL1, 1.1, 0.9)
    x = lg.randn(2, 4, 4).double()
    k = KERNEL1.numpy().astype(np.float64) / (KERNEL1.numpy().sum() * np.sqrt(2))
    _, std = local_mean_and_std(x.numpy(), np.outer(k, k))
    div = np.where(std > 1.1, std, 0.9)
    assert (std <= 1.1).any() and (std > 1.1).any()   # both branches of the threshold are exercised
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() / div, rtol=1e-10)


def test_contrastive_is_subtractive_then_divisive():
    x = lg.randn(2, 5, 5).double()
    sub = nn.SpatialSubtractiveNormalization(2, KERNEL2)
    div = nn.SpatialDivisiveNormalization(2, KERNEL2)
    want = div.forward(sub.forward(x)).numpy()
    np.testing.assert_allclose(nn.SpatialContrastiveNormalization(2, KERNEL2).forward(x).numpy(), want, rtol=1e-12)


def test_user_kernel_is_not_modified():
    k = lg.Tensor([[1, 1, 1]] * 3)
    nn.SpatialSubtractiveNormalization(2, k)
    np.testing.assert_array_equal(k.numpy(), np.ones((3, 3)))


def test_errors():
    with pytest.raises(ValueError, match='odd sizes'):
        nn.SpatialSubtractiveNormalization(1, lg.ones(4, 3))
    with pytest.raises(ValueError, match='1-D or 2-D'):
        nn.SpatialDivisiveNormalization(1, lg.ones(3, 3, 3))
    with pytest.raises(ValueError, match='size must be a positive integer'):
        nn.SpatialCrossMapLRN(0)
    m = nn.SpatialContrastiveNormalization(3, KERNEL2)
    with pytest.raises(ValueError, match=r'SpatialContrastiveNormalization\(3\): expected 3 input planes.*got 2'):
        m.forward(lg.randn(2, 4, 4))
    with pytest.raises(ValueError, match='3-D or 4-D'):
        nn.SpatialCrossMapLRN(3).forward(lg.randn(4, 4))
    # a threshold that is no number failed only at the forward, inside NumPy (ContrastiveNormalization's too)
    for args in (('x',), (1e-4, 'x'), (True,)):
        with pytest.raises(ValueError, match=r'SpatialDivisiveNormalization: thres(hold|val) must be a number'):
            nn.SpatialDivisiveNormalization(1, None, *args)
        with pytest.raises(ValueError, match=r'SpatialDivisiveNormalization: thres(hold|val) must be a number'):
            nn.SpatialContrastiveNormalization(1, None, *args)


@pytest.mark.parametrize('half', ['legonn.HalfTensor', pytest.param('legonn.CudaHalfTensor', marks=pytest.mark.gpu)])
def test_lrn_sums_a_half_input_in_float(half):
    """THCUNN's LRN kernels sum the squares and the gradient ratios in float (their Acctype): five squares of
    values near 150 overflow half, which made the scale inf and the output 0."""
    x = lg.DoubleTensor(np.random.default_rng(3).normal(0, 150, (2, 6, 3, 3))).type(half).double()
    go = lg.DoubleTensor(np.random.default_rng(4).normal(size=(2, 6, 3, 3))).type(half).double()
    ref = nn.SpatialCrossMapLRN(5, 1e-4, 0.75, 1).double()
    m = ref.clone().type(half)
    ref.forward(x)
    ref.backward(x, go)
    m.forward(x.type(half))
    m.backward(x.type(half), go.type(half))
    assert ((ref.scale.numpy() - 1) * 5 / 1e-4 > 65504).any()   # a window's sum of squares beyond half's range
    assert_close_trees(m.output, ref.output, rtol=5e-3, atol=1e-2)
    assert_close_trees(m.gradInput, ref.gradInput, rtol=1e-2, atol=1e-2)
