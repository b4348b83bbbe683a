"""VolumetricConvolution, VolumetricDilatedConvolution, VolumetricFullConvolution."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import standard_tests

CASES = [
    pytest.param(lambda: nn.VolumetricConvolution(2, 3, 2, 2, 2), (2, 3, 3, 3), id='conv-nobatch'),
    pytest.param(lambda: nn.VolumetricConvolution(2, 2, 2, 3, 2, 1, 2, 1, 1, 1, 0), (2, 2, 3, 3, 4),
                 id='conv-stride-pad'),
    pytest.param(lambda: nn.VolumetricDilatedConvolution(1, 2, 2, 2, 2, 1, 1, 1, 0, 1, 1, 2, 1, 2), (2, 1, 4, 3, 4),
                 id='dilated'),
    pytest.param(lambda: nn.VolumetricFullConvolution(2, 2, 2, 2, 3, 2, 1, 2, 1, 0, 1, 1, 0, 1), (2, 2, 2, 2, 2),
                 id='full-stride-pad-adj'),
    pytest.param(lambda: nn.VolumetricFullConvolution(2, 1, 2, 2, 2), (2, 2, 2, 2), id='full-nobatch'),
]


def _build(case):
    make, shape = case
    return make(), lg.randn(*shape)


test_jacobian, test_type_roundtrip, test_gpu_matches_cpu = standard_tests(CASES, _build)


def reference_conv(x, w, b, stride, pad, dil):
    """Direct nested-loop 3-D cross-correlation of x (N, C, T, H, W) with w (F, C, kT, kH, kW)."""
    x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    n, c = x.shape[:2]
    f, _, *k = w.shape
    outs = [(x.shape[2 + i] - dil[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(3)]
    y = np.zeros((n, f, *outs))
    for i in np.ndindex(n, f, *outs):
        s = b[i[1]]
        for kk in np.ndindex(*k):
            pos = tuple(i[2 + a] * stride[a] + kk[a] * dil[a] for a in range(3))
            s += (x[(i[0], slice(None)) + pos] * w[(i[1], slice(None)) + kk]).sum()
        y[i] = s
    return y


def test_convolution_matches_nested_loops():
    m = nn.VolumetricConvolution(2, 3, 2, 3, 2, 1, 2, 1, 1, 1, 0).double()
    x = lg.randn(2, 2, 3, 4, 5).double()
    want = reference_conv(x.numpy(), m.weight.numpy(), m.bias.numpy(), (1, 1, 2), (1, 0, 1), (1, 1, 1))
    np.testing.assert_allclose(m.forward(x).numpy(), want, rtol=1e-10)
    assert tuple(m.weight.size()) == (3, 2, 2, 2, 3)   # (nOut, nIn, kT, kH, kW) as Torch7


def test_dilated_matches_nested_loops():
    m = nn.VolumetricDilatedConvolution(1, 2, 2, 2, 2, 1, 2, 1, 1, 0, 1, 2, 1, 2).double()
    x = lg.randn(1, 5, 4, 5).double()
    want = reference_conv(x.numpy()[None], m.weight.numpy(), m.bias.numpy(), (1, 1, 2), (1, 1, 0), (2, 2, 1))[0]
    np.testing.assert_allclose(m.forward(x).numpy(), want, rtol=1e-10)


def test_full_convolution_matches_scatter_loops():
    m = nn.VolumetricFullConvolution(2, 3, 2, 3, 2, 2, 2, 1, 1, 1, 0, 1, 1, 0).double()
    x = lg.randn(2, 2, 2, 3, 2).double()
    xa, w, b = x.numpy(), m.weight.numpy(), m.bias.numpy()
    k, s, p, adj = (2, 2, 3), (2, 1, 2), (1, 0, 1), (1, 0, 1)
    full = [(xa.shape[2 + a] - 1) * s[a] + k[a] + adj[a] for a in range(3)]
    y = np.zeros((2, 3, *full))
    for n, c, t, h, ww in np.ndindex(*xa.shape):
        for kk in np.ndindex(*k):
            pos = (t * s[0] + kk[0], h * s[1] + kk[1], ww * s[2] + kk[2])
            y[(n, slice(None)) + pos] += xa[n, c, t, h, ww] * w[(c, slice(None)) + kk]
    y = y[:, :, p[0]:full[0] - p[0], p[1]:full[1] - p[1], p[2]:full[2] - p[2]] + b.reshape(-1, 1, 1, 1)
    out = m.forward(x)
    assert tuple(out.size()) == (2, 3, 3, 4, 4)
    np.testing.assert_allclose(out.numpy(), y, rtol=1e-10)


def test_gradients_accumulate_with_scale():
    m = nn.VolumetricConvolution(1, 2, 2, 2, 2).double()
    x, go = lg.randn(1, 3, 3, 3).double(), lg.randn(2, 2, 2, 2).double()
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, go)
    once = m.gradWeight.clone()
    m.backward(x, go, 0.5)
    np.testing.assert_allclose(m.gradWeight.numpy(), 1.5 * once.numpy(), rtol=1e-12)


@pytest.mark.parametrize('cls', [nn.VolumetricConvolution, nn.VolumetricDilatedConvolution])
def test_padding_defaults_chain_as_torch7(cls):
    """VolumetricConvolution.lua: padW = padW or padT, padH = padH or padW (the dilated one calls it)."""
    m = cls(1, 1, 3, 3, 3, 1, 1, 1, 1)
    assert (m.padT, m.padW, m.padH) == (1, 1, 1)
    assert tuple(m.forward(lg.randn(1, 5, 5, 5)).size()) == (1, 5, 5, 5)
    m = cls(1, 1, 3, 3, 3, 1, 1, 1, 2, 1)
    assert (m.padT, m.padW, m.padH) == (2, 1, 1)
    assert (cls(1, 1, 3, 3, 3).padW, cls(1, 1, 3, 3, 3, 1, 1, 1, 1, 0).padH) == (0, 0)


def test_repr():
    assert repr(nn.VolumetricConvolution(2, 3, 2, 3, 4)) == 'nn.VolumetricConvolution(2 -> 3, 2x3x4)'
    assert repr(nn.VolumetricConvolution(2, 3, 2, 3, 4, 1, 1, 1, 1, 0, 0)) == \
        'nn.VolumetricConvolution(2 -> 3, 2x3x4, 1,1,1, 1,0,0)'
    assert repr(nn.VolumetricDilatedConvolution(1, 1, 2, 2, 2, 1, 1, 1, 0, 0, 0, 2, 2, 2)) == \
        'nn.VolumetricDilatedConvolution(1 -> 1, 2x2x2, 2,2,2)'


@pytest.mark.parametrize('args', [(0, 1, 2, 2, 2), (1, 1, 2, 2, 0), (1, 1, 2, 2, 2, 0), (1, 1, 2, 2, 2, 1, 1, 1, -1),
                                  (1, 1, 2.5, 2, 2)])
def test_bad_construction(args):
    with pytest.raises(ValueError, match='VolumetricConvolution'):
        nn.VolumetricConvolution(*args)


def test_full_convolution_rejects_adj_not_below_stride():
    with pytest.raises(ValueError, match='adj'):
        nn.VolumetricFullConvolution(1, 1, 2, 2, 2, 1, 1, 1, 0, 0, 0, 1, 0, 0)


def test_bad_inputs_name_module_and_change_nothing():
    m = nn.VolumetricConvolution(2, 3, 3, 3, 3)
    m.zeroGradParameters()
    w = m.weight.clone()
    with pytest.raises(ValueError, match=r'VolumetricConvolution\(2 -> 3, 3x3x3\): expected an input of at least'):
        m.forward(lg.randn(2, 2, 4, 4))
    with pytest.raises(ValueError, match='expected 2 input planes.*got 3'):
        m.forward(lg.randn(3, 4, 4, 4))
    with pytest.raises(ValueError, match='expected a 4-D or 5-D input, got 3-D'):
        m.forward(lg.randn(2, 4, 4))
    with pytest.raises(TypeError, match='FloatTensor'):
        m.forward(lg.randn(2, 4, 4, 4).double())
    m.forward(lg.randn(2, 4, 4, 4))
    with pytest.raises(ValueError, match='gradOutput of size'):
        m.backward(lg.randn(2, 4, 4, 4), lg.randn(3, 1, 1, 2))
    assert float(m.gradWeight.abs().sum()) == 0
    np.testing.assert_array_equal(m.weight.numpy(), w.numpy())


def test_numpy_input_is_not_copied_and_output_reused():
    m = nn.VolumetricConvolution(1, 1, 1, 1, 1)
    a = np.random.rand(1, 2, 2, 2).astype(np.float32)
    out = m.forward(a)
    np.testing.assert_allclose(out.numpy(), a * m.weight.numpy().item() + m.bias.numpy().item(), rtol=1e-6)
    assert m.forward(a) is out


def test_dilated_acc_grad_parameters_reads_the_input_it_is_given():
    """THNN's VolumetricDilatedConvolution.c:364 unfolds (vol2col) the input accGradParameters is handed; legonn
    used the last forward's columns. gradWeight[f, c, a] = sum go[n, f, o] * x_padded[n, c, o * stride + a * dil]."""
    stride, pad, dil = (1, 2, 1), (1, 0, 1), (2, 1, 1)
    m = nn.VolumetricDilatedConvolution(2, 3, 2, 2, 2, stride[0], stride[2], stride[1], pad[0], pad[2], pad[1],
                                        dil[0], dil[2], dil[1]).double()
    rng = np.random.default_rng(4)
    x_forward, x = rng.standard_normal((2, 2, 2, 5, 5, 4))
    y = m.forward(lg.from_numpy(x_forward))
    go = rng.standard_normal(tuple(y.size()))
    m.zeroGradParameters()
    m.accGradParameters(lg.from_numpy(x), lg.from_numpy(go), 2.0)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    want = np.zeros((3, 2, 2, 2, 2))
    for a in np.ndindex(2, 2, 2):
        window = tuple(slice(a[i] * dil[i], a[i] * dil[i] + stride[i] * (go.shape[2 + i] - 1) + 1, stride[i])
                       for i in range(3))
        want[(slice(None), slice(None)) + a] = np.einsum('nftij,nctij->fc', go, xp[(slice(None), slice(None)) + window])
    np.testing.assert_allclose(m.gradWeight.numpy(), 2.0 * want, atol=1e-12)
    np.testing.assert_allclose(m.gradBias.numpy(), 2.0 * go.sum(axis=(0, 2, 3, 4)), atol=1e-12)
