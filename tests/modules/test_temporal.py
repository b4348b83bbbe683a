"""TemporalConvolution, TemporalRowConvolution, TemporalMaxPooling, TemporalSubSampling, TemporalDynamicKMaxPooling."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import standard_tests

CASES = [
    pytest.param(lambda: nn.TemporalConvolution(3, 2, 3, 2), (7, 3), id='conv-nobatch'),
    pytest.param(lambda: nn.TemporalConvolution(2, 3, 2), (2, 5, 2), id='conv-batch'),
    pytest.param(lambda: nn.TemporalRowConvolution(3, 3, 2), (2, 7, 3), id='row'),
    pytest.param(lambda: nn.TemporalRowConvolution(3, 2, 1, True), (3, 5), id='row-featfirst'),
    pytest.param(lambda: nn.TemporalMaxPooling(3, 2), (2, 7, 3), id='max'),
    pytest.param(lambda: nn.TemporalMaxPooling(2), (6, 3), id='max-nobatch'),
    pytest.param(lambda: nn.TemporalSubSampling(3, 3, 2), (2, 7, 3), id='subsampling'),
    pytest.param(lambda: nn.TemporalSubSampling(2, 2), (5, 2), id='subsampling-nobatch'),
    pytest.param(lambda: nn.TemporalDynamicKMaxPooling(2, 0.5), (2, 7, 3), id='kmax'),
    pytest.param(lambda: nn.TemporalDynamicKMaxPooling(3), (5, 2), id='kmax-nobatch'),
]


def _build(case):
    make, shape = case
    return make(), lg.randn(*shape)


test_jacobian, test_type_roundtrip, test_gpu_matches_cpu = standard_tests(CASES, _build)


def test_temporal_convolution_matches_loops():
    m = nn.TemporalConvolution(3, 2, 3, 2).double()
    x = lg.randn(2, 8, 3).double()
    xa, w, b = x.numpy(), m.weight.numpy(), m.bias.numpy()
    want = np.zeros((2, 3, 2))
    for n, t, o in np.ndindex(*want.shape):
        frames = xa[n, t * 2:t * 2 + 3].reshape(-1)     # kW frames one after the other, as Torch7's weight
        want[n, t, o] = b[o] + (w[o] * frames).sum()
    np.testing.assert_allclose(m.forward(x).numpy(), want, rtol=1e-12)
    assert tuple(m.weight.size()) == (2, 9)


@pytest.mark.parametrize('make', [lambda: nn.TemporalConvolution(4, 3, 3), lambda: lg.cudnn.TemporalConvolution(4, 3, 3, 1, 1)],
                         ids=['nn', 'cudnn'])
def test_temporal_convolution_multiplies_the_whole_batch_in_one_2d_product(make, monkeypatch):
    """Forward and gradInput are one GEMM over every frame of the batch: NumPy's stacked matmul of
    (batch, frames, kW*F) by the weight ran a small product per sequence, 2 to 7 times slower on 512-wide
    frames (bench/temporal_conv.py). The numbers stay those of the loops above."""
    m = make().double()
    x = lg.randn(5, 6, 4).double()
    go = lg.randn(*m.forward(x).size()).double()
    want_out, want_gi = m.forward(x).clone(), m.updateGradInput(x, go).clone()
    ranks, matmul = [], np.matmul

    def spy(a, b, *args, **kwargs):
        ranks.append((a.ndim, b.ndim))
        return matmul(a, b, *args, **kwargs)
    monkeypatch.setattr(np, 'matmul', spy)
    np.testing.assert_allclose(m.forward(x).numpy(), want_out.numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.updateGradInput(x, go).numpy(), want_gi.numpy(), rtol=1e-12)
    assert ranks == [(2, 2), (2, 2)]


@pytest.mark.parametrize('feat_first', [False, True])
def test_row_convolution_matches_loops(feat_first):
    m = nn.TemporalRowConvolution(3, 2, 2, feat_first).double()
    x = lg.randn(7, 3).double()
    xa = x.numpy()
    w, b = m.weight.numpy(), m.bias.numpy()
    want = np.zeros((3, 3))
    for t, f in np.ndindex(3, 3):
        want[t, f] = b[f] + sum(w[f, 0, k] * xa[t * 2 + k, f] for k in range(2))
    got = m.forward(lg.DoubleTensor(xa.T.copy()) if feat_first else x).numpy()
    np.testing.assert_allclose(got.T if feat_first else got, want, rtol=1e-12)


def test_max_pooling_matches_loops_and_keeps_window_offsets():
    m = nn.TemporalMaxPooling(3, 2)
    x = lg.randn(2, 8, 4)
    xa = x.numpy()
    out, idx = m.forward(x).numpy(), m.indices.numpy()
    for n, t, f in np.ndindex(2, 3, 4):
        window = xa[n, 2 * t:2 * t + 3, f]
        assert out[n, t, f] == window.max()
        assert idx[n, t, f] == window.argmax()


def test_subsampling_matches_loops():
    m = nn.TemporalSubSampling(2, 3, 2).double()
    x = lg.randn(8, 2).double()
    xa, w, b = x.numpy(), m.weight.numpy(), m.bias.numpy()
    want = np.array([[b[f] + w[f] * xa[2 * t:2 * t + 3, f].sum() for f in range(2)] for t in range(3)])
    np.testing.assert_allclose(m.forward(x).numpy(), want, rtol=1e-12)


def test_dynamic_k_max_keeps_order():
    m = nn.TemporalDynamicKMaxPooling(2, 0.6)
    x = lg.Tensor([[1, 9], [5, 8], [3, 7], [4, 1], [2, 6]])
    out = m.forward(x).numpy()
    k = max(2, math.ceil(0.6 * 5))
    assert out.shape == (k, 2)
    np.testing.assert_array_equal(out[:, 0], [5, 3, 4])
    np.testing.assert_array_equal(out[:, 1], [9, 8, 7])
    np.testing.assert_array_equal(m.indices.numpy()[:, 0], [1, 2, 3])


def test_bad_inputs_and_construction():
    m = nn.TemporalConvolution(3, 2, 4)
    with pytest.raises(ValueError,
                       match=r'TemporalConvolution\(3 -> 2, 4, 1\): expected at least kW = 4 frames, got 3'):
        m.forward(lg.randn(3, 3))
    with pytest.raises(ValueError, match='inputFrameSize = 3.*got 5'):
        m.forward(lg.randn(6, 5))
    with pytest.raises(ValueError, match='2-D or 3-D'):
        m.forward(lg.randn(6))
    with pytest.raises(ValueError, match='kW must be a positive integer'):
        nn.TemporalConvolution(3, 2, 0)
    with pytest.raises(ValueError, match='dW must be a positive integer'):
        nn.TemporalMaxPooling(2, 0)
    with pytest.raises(ValueError, match='expected at least k = 4 frames, got 3'):
        nn.TemporalDynamicKMaxPooling(4).forward(lg.randn(3, 2))
    r = nn.TemporalRowConvolution(3, 2, featFirst=True)
    with pytest.raises(ValueError, match='first non-batch dimension'):
        r.forward(lg.randn(5, 3))
    m.zeroGradParameters()
    m.forward(lg.randn(5, 3))
    with pytest.raises(ValueError, match='gradOutput'):
        m.backward(lg.randn(5, 3), lg.randn(3, 2))
    assert float(m.gradWeight.abs().sum()) == 0


def test_temporal_convolution_acc_grad_parameters_reads_the_input_it_is_given():
    """THNN's TemporalConvolution.c:328 takes accGradParameters' windows from the input it is handed; legonn
    multiplied by the windows its last forward kept. gradWeight[o, k * F + f] = sum go[n, t, o] x[n, t dW + k, f]."""
    m = nn.TemporalConvolution(3, 2, 3, 2).double()
    rng = np.random.default_rng(6)
    x_forward, x = rng.standard_normal((2, 2, 9, 3))
    go = rng.standard_normal(tuple(m.forward(lg.from_numpy(x_forward)).size()))
    m.zeroGradParameters()
    m.accGradParameters(lg.from_numpy(x), lg.from_numpy(go), 0.5)
    want = np.zeros((2, 9))
    for n, t, o, k, f in np.ndindex(2, go.shape[1], 2, 3, 3):
        want[o, k * 3 + f] += go[n, t, o] * x[n, t * 2 + k, f]
    np.testing.assert_allclose(m.gradWeight.numpy(), 0.5 * want, atol=1e-12)
    np.testing.assert_allclose(m.gradBias.numpy(), 0.5 * go.sum(axis=(0, 1)), atol=1e-12)
