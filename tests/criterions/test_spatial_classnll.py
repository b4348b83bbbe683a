"""SpatialClassNLLCriterion."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import as_double


def reference(x, t, weights, size_average):
    loss = total = 0.0
    for n, h, w in np.ndindex(*t.shape):
        wt = 1.0 if weights is None else weights[t[n, h, w]]
        loss -= wt * x[n, t[n, h, w], h, w]
        total += wt
    return loss / total if size_average else loss


@pytest.mark.parametrize('weights', [None, [0.5, 2.0, 1.0]])
@pytest.mark.parametrize('size_average', [True, False])
def test_matches_loops_and_finite_differences(weights, size_average):
    c = nn.SpatialClassNLLCriterion(None if weights is None else lg.Tensor(weights), size_average)
    x = lg.randn(2, 3, 2, 3).double()
    t = lg.LongTensor(2, 2, 3).random(3)
    xa, ta = x.numpy(), t.numpy()
    assert abs(c.forward(x, t) - reference(xa, ta, weights, size_average)) < 1e-12
    grad = c.backward(x, t).numpy()
    eps = 1e-6
    for idx in np.ndindex(*xa.shape):
        up, down = xa.copy(), xa.copy()
        up[idx] += eps
        down[idx] -= eps
        fd = (reference(up, ta, weights, size_average) - reference(down, ta, weights, size_average)) / (2 * eps)
        assert abs(grad[idx] - fd) < 1e-6


def test_non_batch_input_and_total_weight():
    c = nn.SpatialClassNLLCriterion(lg.Tensor([1.0, 3.0]))
    x = lg.randn(2, 2, 2).double()
    t = lg.LongTensor([[0, 1], [1, 1]])
    loss = c.forward(x, t)
    assert c.total_weight == 10.0
    assert abs(loss - reference(x.numpy()[None], t.numpy()[None], [1.0, 3.0], True)) < 1e-12
    assert tuple(c.backward(x, t).size()) == (2, 2, 2)


def test_float_type_follows_input():
    c = nn.SpatialClassNLLCriterion()
    x = as_double(lg.randn(1, 2, 2, 2))
    t = lg.LongTensor(1, 2, 2).random(2)
    assert c.backward(x, t).type() == 'legonn.DoubleTensor'
    assert c.backward(x.float(), t).type() == 'legonn.FloatTensor'


@pytest.mark.gpu
def test_gpu_matches_cpu():
    c = nn.SpatialClassNLLCriterion(lg.Tensor([0.5, 2.0, 1.0]))
    x = lg.randn(2, 3, 2, 2).double()
    t = lg.LongTensor(2, 2, 2).random(3)
    cpu_loss, cpu_grad = c.forward(x, t), c.backward(x, t).numpy()
    g = nn.SpatialClassNLLCriterion(lg.Tensor([0.5, 2.0, 1.0])).cudaDouble()
    assert abs(g.forward(x.cudaDouble(), t.cudaLong()) - cpu_loss) < 1e-12
    np.testing.assert_allclose(g.backward(x.cudaDouble(), t.cudaLong()).cpu().numpy(), cpu_grad, rtol=1e-12)
    g.cuda()   # cutorch's float CudaTensor from here on
    with pytest.raises(TypeError, match=r"expected a legonn\.CudaTensor target \(the module's type\), got "
                                        r"legonn\.LongTensor"):
        g.forward(x.cuda(), t)   # labels left on the CPU
    with pytest.raises(TypeError, match="expected a target on the input's device"):
        g.updateOutput(x.cuda(), t)   # Torch7 code calls it directly too


def test_errors():
    c = nn.SpatialClassNLLCriterion()
    x = lg.randn(2, 3, 2, 2)
    with pytest.raises(IndexError, match=r'SpatialClassNLLCriterion: expected labels in \[0, 3\), got labels in'):
        c.forward(x, lg.LongTensor(2, 2, 2).fill(3))
    with pytest.raises(ValueError, match=r'expected a target of size \(2, 2, 2\), got \(2, 2\)'):
        c.forward(x, lg.LongTensor(2, 2).fill(0))
    with pytest.raises(ValueError, match='whole-number class labels'):
        c.forward(x, lg.zeros(2, 2, 2).fill(0.5))
    with pytest.raises(ValueError, match='4-D input'):
        c.forward(lg.randn(3, 2), lg.LongTensor(3).fill(0))
    with pytest.raises(ValueError, match='one weight per class'):
        nn.SpatialClassNLLCriterion(lg.ones(2)).forward(x, lg.LongTensor(2, 2, 2).fill(0))


def test_spatial_classnll_gradient_as_thnn_writes_it():
    """nn/lib/THNN/generic/SpatialClassNLLCriterion.c (updateGradInput): nothing is written when the total
    weight is not positive, else -(weights[t]) / normalize, a division by the total weight with sizeAverage."""
    w = np.array([0.1, 1.3, 2.9])
    t = np.array([[[0, 1], [2, 2]]])                                     # total 0.1 + 1.3 + 2.9 + 2.9
    x = -np.arange(12, dtype=np.float64).reshape(1, 3, 2, 2) / 7
    crit = nn.SpatialClassNLLCriterion(lg.DoubleTensor(w)).double()
    crit.forward(lg.DoubleTensor(x), lg.LongTensor(t))
    total = 0.0
    for c in t.ravel():
        total += w[c]
    expected = np.zeros_like(x)
    for i in range(2):
        for j in range(2):
            expected[0, t[0, i, j], i, j] = -w[t[0, i, j]] / total
    assert (crit.backward(lg.DoubleTensor(x), lg.LongTensor(t)).numpy() == expected).all()
    signed = nn.SpatialClassNLLCriterion(lg.DoubleTensor([1.0, -1.0, 2.0])).double()
    ones = lg.LongTensor(np.ones((1, 2, 2), dtype=np.int64))
    signed.forward(lg.DoubleTensor(x), ones)
    assert (signed.backward(lg.DoubleTensor(x), ones).numpy() == 0).all()
