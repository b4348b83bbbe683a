"""BinaryLogisticRegression and SpatialBinaryLogisticRegression (dpnn's BinaryLogisticRegression.lua,
SpatialBinaryLogisticRegression.lua): float64 references, finite differences, types, GPU, bad input and ports of
dpnn's test/test.lua."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


def _fd(crit, x, t):
    a = x.numpy()
    numeric = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        keep = a[i]
        a[i] = keep + 1e-6
        up = crit.forward(x, t)
        a[i] = keep - 1e-6
        numeric[i] = (up - crit.forward(x, t)) / 2e-6
        a[i] = keep
    return numeric


def test_binary_logistic_regression_port():
    """dpnn test/test.lua BinaryLogisticRegression: constant inputs and targets in {1, 0, -1}, (k, 1) and a (1, k)
    input against a (k, 1) target."""
    k = 32
    crit = nn.BinaryLogisticRegression()
    for shape in ((k, 1), (1, k)):
        for i in (1, 0, -1):
            for t in (1, 0, -1):
                x, y = lg.DoubleTensor(*shape).fill(i), lg.DoubleTensor(k, 1).fill(t)
                assert crit.forward(x, y) == pytest.approx(np.log(1 + np.exp(-i * t)), abs=1e-12)
                g = crit.backward(x, y)
                assert g.size() == shape
                want = 1 / (1 + np.exp(-i * t)) * np.exp(-i * t) * -t / k
                assert g.numpy().ravel()[0] == pytest.approx(want, abs=1e-15)


def test_binary_logistic_regression_reference_and_finite_differences():
    rng = np.random.default_rng(0)
    x = lg.DoubleTensor(rng.standard_normal(6))
    t = lg.DoubleTensor(rng.choice([-1.0, 1.0], 6))
    for avg in (True, False):
        crit = nn.BinaryLogisticRegression(avg)
        terms = np.log(1 + np.exp(-t.numpy() * x.numpy()))
        assert crit.forward(x, t) == pytest.approx(terms.sum() / (6 if avg else 1), rel=1e-14)
        np.testing.assert_allclose(crit.backward(x, t).numpy(), _fd(crit, x, t), rtol=1e-6, atol=1e-10)
    crit = nn.BinaryLogisticRegression()
    x32 = x.float()
    assert crit.forward(x32, t.float()) == pytest.approx(crit.forward(x, t), rel=1e-6)
    assert crit.backward(x32, t.float()).type() == 'legonn.FloatTensor'


def test_binary_logistic_regression_bad_input():
    crit = nn.BinaryLogisticRegression()
    with pytest.raises(ValueError, match='BinaryLogisticRegression: expected a input of size batch or batch x 1'):
        crit.forward(lg.randn(3, 2), lg.randn(6))
    with pytest.raises(ValueError, match='a target of 3 elements'):
        crit.forward(lg.randn(3), lg.randn(4))
    with pytest.raises(TypeError, match='BinaryLogisticRegression'):
        crit.forward(lg.randn(3), lg.DoubleTensor(3))


def test_spatial_binary_logistic_regression_port():
    """dpnn test/test.lua SpatialBinaryLogisticRegression: a batch of images and one image, constant values."""
    h = w = 28
    crit = nn.SpatialBinaryLogisticRegression()
    for sizes, k in (((32, 1, h, w), 32), ((1, h, w), 1)):
        for i in (1, 0, -1):
            for t in (1, 0, -1):
                x, y = lg.DoubleTensor(*sizes).fill(i), lg.DoubleTensor(*sizes).fill(t)
                assert crit.forward(x, y) == pytest.approx(np.log(1 + np.exp(-i * t)) / 2, abs=1e-12)
                want = 1 / (1 + np.exp(-i * t)) * np.exp(-i * t) * -t / (2 * k * h * w)
                assert crit.backward(x, y).numpy().ravel()[0] == pytest.approx(want, abs=1e-15)


def test_spatial_binary_logistic_regression_reference_and_errors():
    """The sum over pixels / (2 H W), and / batch with sizeAverage; finite differences."""
    rng = np.random.default_rng(1)
    x = lg.DoubleTensor(rng.standard_normal((2, 1, 3, 4)))
    t = lg.DoubleTensor(rng.choice([-1.0, 1.0], (2, 1, 3, 4)))
    crit = nn.SpatialBinaryLogisticRegression()
    total = np.log(1 + np.exp(-t.numpy() * x.numpy())).sum()
    assert crit.forward(x, t) == pytest.approx(total / (2 * 2 * 12), rel=1e-14)
    np.testing.assert_allclose(crit.backward(x, t).numpy(), _fd(crit, x, t), rtol=1e-6, atol=1e-10)
    crit.sizeAverage = False
    assert crit.forward(x, t) == pytest.approx(total / (2 * 12), rel=1e-14)
    with pytest.raises(ValueError, match='one channel'):
        crit.forward(lg.randn(2, 2, 3, 3), lg.randn(2, 2, 3, 3))
    with pytest.raises(ValueError, match=r'target of size \(2, 1, 3, 3\)'):
        crit.forward(lg.randn(2, 1, 3, 3), lg.randn(2, 1, 3, 4))


@pytest.mark.gpu
def test_binary_logistic_regressions_on_the_gpu():
    rng = np.random.default_rng(2)
    for crit, shape in ((nn.BinaryLogisticRegression(), (5, 1)), (nn.SpatialBinaryLogisticRegression(), (2, 1, 3, 3))):
        x = lg.DoubleTensor(rng.standard_normal(shape))
        t = lg.DoubleTensor(rng.choice([-1.0, 1.0], shape))
        loss, g = crit.forward(x, t), crit.backward(x, t).numpy().copy()
        crit.cudaDouble()
        assert float(crit.forward(x.cudaDouble(), t.cudaDouble())) == pytest.approx(loss, rel=1e-12)
        gg = crit.backward(x.cudaDouble(), t.cudaDouble())
        assert gg.type() == 'legonn.CudaDoubleTensor'
        np.testing.assert_allclose(gg.double().numpy(), g, rtol=1e-12)
