"""nnx's Balance (clementfarabet/lua---nnx Balance.lua)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_type_roundtrip


class _BalanceLoops:
    """nnx Balance.lua in float64 with plain loops: the cache of the last nBatch batches, P(y) from its column
    sums, output = input / P(y) renormalised per row; gradInput = gradOutput / row sum / P(y)."""

    def __init__(self, n_batch):
        self.n_batch, self.batch, self.start = n_batch, 0, 0

    def forward(self, x):
        rows, cols = x.shape
        if self.batch != rows:
            self.cache, self.batch, self.start = np.zeros((rows * self.n_batch, cols)), rows, 0
        self.cache[self.start:self.start + rows] = x
        total = sum(self.cache[i, j] for i in range(self.cache.shape[0]) for j in range(cols))
        self.prob = [sum(self.cache[i, j] for i in range(self.cache.shape[0])) / total for j in range(cols)]
        out = np.array([[x[i, j] / self.prob[j] for j in range(cols)] for i in range(rows)])
        self.sums = [sum(out[i]) for i in range(rows)]
        out = np.array([[out[i, j] / self.sums[i] for j in range(cols)] for i in range(rows)])
        self.start += rows
        if self.start >= self.cache.shape[0]:
            self.start = 0
        return out

    def backward(self, go):
        return np.array([[go[i, j] / self.sums[i] / self.prob[j] for j in range(go.shape[1])]
                         for i in range(go.shape[0])])


def test_balance_matches_the_lua_over_several_batches():
    """Balance.lua: five batches through nBatch=2 (the cache wraps around), then a batch of another size (the
    cache restarts); output and gradInput of each against the loops."""
    rs = np.random.RandomState(0)
    m, ref = nn.Balance(2).double(), _BalanceLoops(2)
    for rows in (3, 3, 3, 3, 3, 4):
        x = rs.rand(rows, 5) + 0.05
        x /= x.sum(axis=1, keepdims=True)
        go = rs.randn(rows, 5)
        np.testing.assert_allclose(m.forward(lg.DoubleTensor(x)).numpy(), ref.forward(x), rtol=1e-12)
        np.testing.assert_allclose(m.backward(lg.DoubleTensor(x), lg.DoubleTensor(go)).numpy(), ref.backward(go),
                                   rtol=1e-12)


def test_balance_flattens_the_class_distribution():
    """test-all.lua Balance: a softmax of peaked rows (a Gaussian bump at class 2, 0-based) comes out with a
    nearly uniform mean class distribution (std < 0.02) that sums to 1; evaluate mode passes the input on."""
    lg.manualSeed(0)
    bump = np.exp(-0.5 * (np.arange(7) - 2.0) ** 2) / np.sqrt(2 * np.pi)
    x = nn.SoftMax().float().forward(lg.randn(3, 7).mul(0.1).float() + lg.FloatTensor(np.tile(bump, (3, 1))))
    m = nn.Balance(1).float()
    out = m.forward(x)
    p_y = out.numpy().sum(axis=0) / out.numpy().sum()
    assert p_y.std(ddof=1) < 0.02 and abs(p_y.sum() - 1) < 1e-6
    m.evaluate()
    np.testing.assert_array_equal(m.forward(x).numpy(), x.numpy())
    np.testing.assert_array_equal(m.backward(x, x).numpy(), x.numpy())


def test_types():
    """float()/double() give the same output."""
    assert_type_roundtrip(nn.Balance(2), nn.SoftMax().forward(lg.randn(4, 3)))


@pytest.mark.gpu
def test_gpu():
    """The GPU twin gives the CPU's output and gradInput."""
    assert_gpu_matches_cpu(nn.Balance(2), nn.SoftMax().forward(lg.randn(4, 3)))


def test_bad_input_names_the_module():
    """Balance.lua asserts 2-D batches; a backward before a training forward has nothing to divide by."""
    with pytest.raises(ValueError, match='Balance.*2-D'):
        nn.Balance().forward(lg.rand(3))
    with pytest.raises(ValueError, match='Balance.*training forward'):
        nn.Balance().backward(lg.rand(2, 3), lg.rand(2, 3))
    with pytest.raises(ValueError, match='Balance: nBatch must be a positive int'):
        nn.Balance(0)
