"""dpnn's image modules: SpatialUniformCrop, SpatialFeatNormalization, SimpleColorTransform, PCAColorTransform,
SpatialBinaryConvolution (dpnn's Lua files of those names): float64 NumPy references, Jacobians where the maps
are differentiable, types, GPU (simulator), bad input and ports of dpnn's test/test.lua."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip
from tests.modules.test_spatial_resampling import Reseeded


def _x(*sizes, seed=0):
    return lg.DoubleTensor(np.random.default_rng(seed).standard_normal(sizes))


# --- SpatialUniformCrop ---------------------------------------------------------------------------------
def test_uniform_crop_port_and_reference():
    """dpnn test/test.lua SpatialUniformCrop: each output image is the window of the input at ``coord`` (here
    0-based); gradInput is gradOutput placed there, zeros elsewhere; starts stay in 0 .. H - oheight - 1."""
    lg.manualSeed(0)
    m = nn.SpatialUniformCrop(5, 4).double()
    x, seen = _x(6, 3, 9, 8), set()
    for _ in range(20):
        out = m.forward(x).numpy()
        g = _x(6, 3, 5, 4, seed=1)
        gi = m.backward(x, g).numpy()
        want = np.zeros_like(x.numpy())
        for i, (h, w) in enumerate(m.coord.numpy()):
            assert 0 <= h <= 9 - 5 - 1 and 0 <= w <= 8 - 4 - 1
            seen.add((h, w))
            np.testing.assert_array_equal(out[i], x.numpy()[i, :, h:h + 5, w:w + 4])
            want[i, :, h:h + 5, w:w + 4] = g.numpy()[i]
        np.testing.assert_array_equal(gi, want)
    assert len(seen) > 5


def test_uniform_crop_means_port():
    """dpnn test/test.lua SpatialUniformCrop: image i constant i keeps its mean; its gradient's mean is
    i * 4 * 4 / (10 * 10)."""
    x = lg.range(1, 8).view(8, 1, 1, 1).expand(8, 3, 10, 10).contiguous()
    g = lg.range(1, 8).view(8, 1, 1, 1).expand(8, 3, 4, 4).contiguous()
    sc = nn.SpatialUniformCrop(4)
    for _ in range(10):
        out, gi = sc.forward(x), sc.backward(x, g)
    for i in range(8):
        assert abs(out[i].mean() - (i + 1)) < 1e-4
        assert abs(gi[i].mean() - (i + 1) * 16 / 100) < 1e-4


def test_uniform_crop_evaluation_single_image_jacobian_and_errors():
    """Evaluation crops at dpnn's centre, ceil((H - oheight) / 2) from 1 (0-based one less); one image (3-D) comes
    back 3-D; the evaluation map is linear, so the Jacobian check applies."""
    m = nn.SpatialUniformCrop(3).double().evaluate()
    x = _x(2, 8, 7)
    out = m.forward(x)
    assert out.size() == (2, 3, 3)
    h, w = int(np.ceil((8 - 3) / 2)) - 1, int(np.ceil((7 - 3) / 2)) - 1
    np.testing.assert_array_equal(out.numpy(), x.numpy()[:, h:h + 3, w:w + 3])
    assert m.backward(x, out).size() == (2, 8, 7)
    assert_jacobian(nn.SpatialUniformCrop(3, 2).evaluate(), _x(2, 2, 5, 4))
    assert_type_roundtrip(nn.SpatialUniformCrop(3, 2).evaluate(), lg.randn(2, 2, 5, 4))
    assert nn.SpatialUniformCrop(3).evaluate().forward(lg.randn(1, 3, 3)).size() == (1, 3, 3)
    with pytest.raises(ValueError, match=r'SpatialUniformCrop\(3x3\): expected images of at least 3x3'):
        m.forward(lg.randn(2, 2, 5).double())
    with pytest.raises(ValueError, match='oheight must be a positive integer'):
        nn.SpatialUniformCrop(0)


def test_uniform_crop_scaling_port():
    """dpnn test/test.lua SpatialUniformCrop's scaling case: a 120 x 120 image with a 60 x 60 block of ones,
    ``SpatialUniformCrop(100, 100, {min = 0.8, max = 1.2})``: forward and backward run and the gradient has a
    maximum (the Lua test's only check; dpnn imports nnx for it)."""
    lg.manualSeed(0)
    x = lg.zeros(1, 1, 120, 120)
    x[0].narrow(1, 29, 60).narrow(2, 29, 60).fill(1)
    layer = nn.SpatialUniformCrop(100, 100, {'min': 0.8, 'max': 1.2})
    out = layer.forward(x)
    assert out.size() == (1, 1, 100, 100)
    assert layer.backward(x, out).max() > 0


def _lua_scaled_window(iH, iW, oh, ow, low, high):
    """dpnn SpatialUniformCrop.lua's scaled window, its draws replayed: (s, 0-based row, column, height,
    width), the column start reading iH as the Lua line does."""
    s = lg.uniform(low, high)
    soh, sow = int(np.ceil(s * oh)), int(np.ceil(s * ow))
    h, w = int(np.ceil(lg.uniform(1e-2, iH - soh))), int(np.ceil(lg.uniform(1e-2, iW - sow)))
    ch, cw = int(np.ceil(iH / 2 - (iH - soh) / 2 + h)), int(np.ceil(iW / 2 - (iH - sow) / 2 + w))
    return s, max(ch - int(np.ceil(soh / 2)), 1) - 1, max(cw - int(np.ceil(sow / 2)), 1) - 1, soh, sow


def test_uniform_crop_scaled_windows_and_resampling():
    """dpnn SpatialUniformCrop.lua with ``scale``: per image s = uniform(min, max), a ceil(s * oheight) x
    ceil(s * owidth) window at dpnn's place (draws s, row, column in that order), resampled to oheight x owidth
    by nnx's SpatialReSampling; backward puts the resampling's gradient on the window; evaluation crops the
    centre unscaled."""
    x, g = _x(4, 2, 12, 12), _x(4, 2, 6, 5, seed=1)
    m = nn.SpatialUniformCrop(6, 5, [0.7, 1.6]).double()
    lg.manualSeed(5)
    out = m.forward(x).numpy()
    gi = m.backward(x, g).numpy()
    lg.manualSeed(5)
    resample = nn.SpatialReSampling(owidth=5, oheight=6).double()
    for i in range(4):
        s, h, w, sh, sw = _lua_scaled_window(12, 12, 6, 5, 0.7, 1.6)
        assert abs(m.scales[i] - s) < 1e-6 and m.coord[i].numpy().tolist() == [h, w]
        window = lg.from_numpy(np.ascontiguousarray(x.numpy()[i, :, h:h + sh, w:w + sw]))
        np.testing.assert_array_equal(out[i], resample.forward(window).numpy())
        want = np.zeros((2, 12, 12))
        want[:, h:h + sh, w:w + sw] = resample.updateGradInput(window, g[i]).numpy()
        np.testing.assert_allclose(gi[i], want, rtol=1e-14, atol=1e-15)
    m.evaluate()
    np.testing.assert_array_equal(m.forward(x).numpy(), x.numpy()[:, :, 2:8, 3:8])
    assert m.backward(x, g).size() == (4, 2, 12, 12)


def test_uniform_crop_scale_errors():
    """A bad ``scale`` fails at construction, a window past a non-square image's edge (dpnn's iH in the column
    formula) at forward, naming SpatialUniformCrop."""
    for bad in ([0.5], {'min': 0.5}, [1.2, 0.8], [0, 1], ['a', 1]):
        with pytest.raises(ValueError, match='SpatialUniformCrop: scale'):
            nn.SpatialUniformCrop(3, 3, bad)
    with pytest.raises(ValueError, match='SpatialUniformCrop: scaled crops .* at least 2x2'):
        nn.SpatialUniformCrop(1, 3, [0.9, 1.1])
    m = nn.SpatialUniformCrop(4, 4, [1, 1])
    with pytest.raises(ValueError, match=r'SpatialUniformCrop\(4x4, .*\): expected an image holding the scaled'):
        for _ in range(20):
            m.forward(lg.randn(1, 1, 6, 20))


@pytest.mark.gpu
def test_uniform_crop_on_the_gpu():
    assert_gpu_matches_cpu(nn.SpatialUniformCrop(3, 2).evaluate(), lg.randn(2, 2, 5, 4))


@pytest.mark.gpu
def test_uniform_crop_scaled_on_the_gpu():
    """dpnn's scaled crops (nnx's resampling) give the CPU's numbers on the GPU."""
    assert_gpu_matches_cpu(Reseeded(nn.SpatialUniformCrop(3, 2, [0.8, 1.5])), lg.randn(2, 2, 7, 7))


# --- SpatialFeatNormalization ---------------------------------------------------------------------------
def test_feat_normalization_port_and_reference():
    """dpnn test/test.lua SpatialFeatNormalization (mean 1, std 0.5 of a constant 2: output 2, gradient 4) and a
    per-plane reference."""
    m = nn.SpatialFeatNormalization(lg.zeros(3).fill(1), lg.zeros(3).fill(0.5))
    x = lg.zeros(3, 32, 32).fill(2)
    out = m.forward(x)
    assert out.mean() == 2 and m.backward(x, out).mean() == 4
    mean, std = np.array([0.5, -1, 2]), np.array([2.0, 0.5, 4])
    m = nn.SpatialFeatNormalization(lg.DoubleTensor(mean), lg.DoubleTensor(std)).double()
    x, g = _x(2, 3, 4, 5), _x(2, 3, 4, 5, seed=1)
    np.testing.assert_allclose(m.forward(x).numpy(), (x.numpy() - mean[:, None, None]) / std[:, None, None],
                               rtol=1e-15)
    np.testing.assert_allclose(m.backward(x, g).numpy(), g.numpy() / std[:, None, None], rtol=1e-15)
    np.testing.assert_array_equal(nn.SpatialFeatNormalization(lg.DoubleTensor(mean)).double().forward(x[0]).numpy(),
                                  x[0].numpy() - mean[:, None, None])


def test_feat_normalization_jacobian_types_and_errors():
    build = lambda: nn.SpatialFeatNormalization(lg.Tensor([0.5, -1]), lg.Tensor([2, 0.25]))  # noqa: E731
    assert_jacobian(build(), _x(2, 2, 3, 3))
    assert_type_roundtrip(build(), lg.randn(2, 3, 3))
    with pytest.raises(ValueError, match='expected 2 feature planes, got 3'):
        build().forward(lg.randn(3, 3, 3))
    with pytest.raises(ValueError, match='should be 1-D'):
        nn.SpatialFeatNormalization(lg.zeros(2, 2))
    with pytest.raises(ValueError, match='expected 2 std values'):
        nn.SpatialFeatNormalization(lg.zeros(2), lg.ones(3))


@pytest.mark.gpu
def test_feat_normalization_on_the_gpu():
    assert_gpu_matches_cpu(nn.SpatialFeatNormalization(lg.Tensor([0.5, -1]), lg.Tensor([2, 0.25])),
                           lg.randn(2, 2, 3, 3))


# --- colour transforms ----------------------------------------------------------------------------------
def test_simple_color_transform_port_and_reference():
    """dpnn test/test.lua SimpleColorTransform (the spread stays within the range; gradInput = gradOutput) and
    the offsets: noise[b, c] uniform in [-range[c], range[c]] added to every pixel of plane c."""
    lg.manualSeed(0)
    model = nn.SimpleColorTransform(3, lg.zeros(3).fill(2))
    x = lg.zeros(32, 3, 10, 10).fill(10)
    out = model.forward(x)
    assert out.std() <= 2 * 1.1
    assert model.backward(x, x).sum() == x.sum()
    r = np.array([0.1, 1.0, 5.0])
    m = nn.SimpleColorTransform(3, lg.DoubleTensor(r)).double()
    x = _x(40, 3, 2, 2)
    out = m.forward(x).numpy()
    noise = m.noise.numpy()
    assert noise.shape == (40, 3) and (np.abs(noise) <= r).all() and (np.abs(noise).max(0) > r / 2).all()
    np.testing.assert_allclose(out, x.numpy() + noise[:, :, None, None], rtol=1e-15)
    out1 = m.forward(x[0]).numpy()
    assert m.noise.size() == (3,)
    np.testing.assert_allclose(out1, x[0].numpy() + m.noise.numpy()[:, None, None], rtol=1e-15)
    m.evaluate()
    np.testing.assert_array_equal(m.forward(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match='training mode'):
        m.backward(x, x)


def test_pca_color_transform_port_and_reference():
    """dpnn test/test.lua PCAColorTransform (AlexNet's eigen decomposition of ImageNet's colours) and the offsets
    noise^T = eigenVectors @ (alphas * eigenValues)."""
    lg.manualSeed(1)
    vecs = np.array([[0.58786434, 0.56388045, 0.58004685], [-0.65427388, -0.0902746, 0.75085031],
                     [-0.47575331, 0.82090763, -0.31586303]])
    vals = np.array([4491.21, 722.85, 68.07])
    model = nn.PCAColorTransform(3, lg.Tensor(vecs), lg.Tensor(vals), 0.1)
    x = lg.zeros(32, 3, 10, 10).fill(145)
    assert model.forward(x).std() <= 1800 + 1800 * 3 * 0.1
    assert model.backward(x, x).sum() == x.sum()
    m = nn.PCAColorTransform(3, lg.DoubleTensor(vecs), lg.DoubleTensor(vals), 0.2).double()
    x = _x(5, 3, 2, 2)
    out = m.forward(x).numpy()
    alphas = m.alphas.numpy()   # already scaled by the eigenvalues
    assert alphas.shape == (3, 5)
    np.testing.assert_allclose(m.noise.numpy(), (vecs @ alphas).T, rtol=1e-13)
    np.testing.assert_allclose(out, x.numpy() + (vecs @ alphas).T[:, :, None, None], rtol=1e-13)
    assert m.forward(x[0]).size() == (3, 2, 2) and m.noise.size() == (1, 3)
    assert repr(m) == 'nn.PCAColorTransform channels: 3, std: 0.200000'
    with pytest.raises(ValueError, match='eigenVectors of size 3x3'):
        nn.PCAColorTransform(3, lg.zeros(3, 2), lg.zeros(3))
    with pytest.raises(ValueError, match='expected 3 eigenValues'):
        nn.PCAColorTransform(3, lg.zeros(3, 3), lg.zeros(2))
    with pytest.raises(ValueError, match='expected 3 channels, got 2'):
        m.forward(_x(2, 2, 2))


def test_color_transforms_gradients_and_types():
    """Training: a constant offset per plane, so the Jacobian is the identity; float()/double() in evaluation."""
    for build in (lambda: nn.SimpleColorTransform(2, lg.Tensor([0.1, 0.2])),
                  lambda: nn.PCAColorTransform(2, lg.eye(2), lg.Tensor([1, 2]))):
        m = build().double()
        x = _x(2, 2, 3, 3)
        m.forward(x)
        g = _x(2, 2, 3, 3, seed=1)
        np.testing.assert_array_equal(m.backward(x, g).numpy(), g.numpy())
        assert_type_roundtrip(build().evaluate(), lg.randn(2, 2, 3, 3))
    with pytest.raises(ValueError, match='expected 2 range values'):
        nn.SimpleColorTransform(2, lg.ones(3))
    with pytest.raises(ValueError, match='SimpleColorTransform: expected 2 channels, got 3'):
        nn.SimpleColorTransform(2, lg.ones(2)).forward(lg.randn(3, 2, 2))


@pytest.mark.gpu
def test_color_transforms_on_the_gpu():
    for m in (nn.SimpleColorTransform(2, lg.Tensor([0.1, 0.2])), nn.PCAColorTransform(2, lg.eye(2), lg.Tensor([1, 2]))):
        m.cuda()
        x = lg.randn(2, 2, 3, 3).cuda()
        out = m.forward(x)
        assert out.type() == 'legonn.CudaTensor'
        np.testing.assert_allclose((out - x).float().numpy(), np.broadcast_to(
            m.noise.float().numpy()[:, :, None, None], (2, 2, 3, 3)), rtol=1e-6, atol=1e-6)
        assert m.backward(x, x).type() == 'legonn.CudaTensor'


# --- SpatialBinaryConvolution ---------------------------------------------------------------------------
def _conv(x, w, pad):
    """Plain cross-correlation, stride 1: x (N, C, H, W), w (O, C, kH, kW)."""
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    O, _, kH, kW = w.shape
    oH, oW = x.shape[2] - kH + 1, x.shape[3] - kW + 1
    out = np.zeros((x.shape[0], O, oH, oW))
    for i in range(kH):
        for j in range(kW):
            out += np.einsum('nchw,oc->nohw', x[:, :, i:i + oH, j:j + oW], w[:, :, i, j])
    return out


@pytest.mark.parametrize('pad', [0, 1])
def test_binary_convolution_matches_numpy(pad):
    """SpatialBinaryConvolution.lua: output = conv(x, sign W) * |W[o]|_1 / (C kW kH); gradInput = the sign
    kernel's input gradient * |W[:, i]|_1 / (O kW kH); gradWeight = the sign kernel's gradient; weight kept."""
    m = nn.SpatialBinaryConvolution(2, 3, 3, 3, 1, 1, pad, pad).double()
    m.weight.array[0, 0, 0, 0] = 0   # a zero weight binarises to +1
    w = m.weight.numpy().copy()
    sw = np.where(w >= 0, 1.0, -1.0)
    alphas = np.abs(w).reshape(3, -1).sum(1) / 18
    galphas = np.abs(w).transpose(1, 0, 2, 3).reshape(2, -1).sum(1) / 27
    x, g = _x(2, 2, 5, 6), None
    out = m.forward(x).numpy()
    np.testing.assert_allclose(out, _conv(x.numpy(), sw, pad) * alphas[:, None, None], rtol=1e-12)
    g = _x(*out.shape, seed=1)
    m.zeroGradParameters()
    gi = m.backward(x, g).numpy()
    # the input gradient of a cross-correlation: g correlated with the flipped, transposed kernel
    full = _conv(g.numpy(), sw[:, :, ::-1, ::-1].transpose(1, 0, 2, 3), 2 - pad)
    np.testing.assert_allclose(gi, full * galphas[:, None, None], rtol=1e-12, atol=1e-12)
    xp = np.pad(x.numpy(), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    gw = np.zeros_like(w)
    for i in range(3):
        for j in range(3):
            gw[:, :, i, j] = np.einsum('nchw,nohw->oc', xp[:, :, i:i + out.shape[2], j:j + out.shape[3]], g.numpy())
    np.testing.assert_allclose(m.gradWeight.numpy(), gw, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(m.weight.numpy(), w)
    assert m.bias is None


def test_binary_convolution_port_types_and_evaluation():
    """dpnn test/test.lua SpatialBinaryConvolution (forward and backward of one image run); evaluation's input
    gradient uses the real weights, as dpnn restores them after forward; float()/double()."""
    m = nn.SpatialBinaryConvolution(3, 4, 3, 3)
    x = lg.rand(3, 12, 12)
    m.zeroGradParameters()
    out = m.forward(x)
    assert out.size() == (4, 10, 10) and m.backward(x, out).size() == (3, 12, 12)
    d = nn.SpatialBinaryConvolution(2, 3, 3, 3).double().evaluate()
    plain = nn.SpatialConvolution(2, 3, 3, 3).double().noBias()
    plain.weight.copy(d.weight)
    x = _x(2, 2, 5, 5)
    d.forward(x)
    g = _x(2, 3, 3, 3, seed=2)
    galphas = np.abs(d.weight.numpy()).transpose(1, 0, 2, 3).reshape(2, -1).sum(1) / 27
    plain.forward(x)
    np.testing.assert_allclose(d.updateGradInput(x, g).numpy(),
                               plain.updateGradInput(x, g).numpy() * galphas[:, None, None], rtol=1e-12)
    assert_type_roundtrip(nn.SpatialBinaryConvolution(2, 3, 3, 3), lg.randn(2, 2, 5, 5))
    assert repr(d) == 'nn.SpatialBinaryConvolution(2 -> 3, 3x3) without bias'
    with pytest.raises(ValueError, match='SpatialBinaryConvolution'):
        d.forward(lg.randn(2, 3, 5, 5).double())


@pytest.mark.gpu
def test_binary_convolution_on_the_gpu():
    assert_gpu_matches_cpu(nn.SpatialBinaryConvolution(2, 3, 3, 3, 1, 1, 1, 1), lg.randn(2, 2, 5, 5))
