"""fbnn's Upsample (fbnn/Upsample.lua), CrossMapNormalization (fbnn/CrossMapNormalization.lua,
src/CrossMapNormalization.cpp), LocallyConnected (fbnn/LocallyConnected.lua, src/LocallyConnected.cpp) and
LaplacianOfGaussian (fbnn/LaplacianOfGaussian.lua): finite-difference Jacobians in float64, float() / double(), the GPU
twin, the Lua's expand/transpose copy and "downsumming" and the C++'s running channel sums transcribed as float64 loops,
fbnn/test.lua's testUpsample, bad input naming the module."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import fbnn, nn
from tests.checks import assert_rejected, standard_tests

CASES = {'single_f1': (lambda: fbnn.Upsample(1), (2, 3, 4)), 'single_f2': (lambda: fbnn.Upsample(2), (2, 3, 4)),
         'batch_f3': (lambda: fbnn.Upsample(3), (2, 2, 3, 2)),
         'crossmap': (lambda: fbnn.CrossMapNormalization(3, 0.5, 0.75), (5, 2, 3)),
         'crossmap_batch': (lambda: fbnn.CrossMapNormalization(5, 2.0, 0.6), (2, 3, 2, 2)),
         'local': (lambda: fbnn.LocallyConnected(2, 5, 4, 3, 2, 3), (2, 4, 5)),
         'log': (lambda: fbnn.LaplacianOfGaussian(2, 0.5), (2, 6, 7)),
         'log_batch_k5_pad0': (lambda: fbnn.LaplacianOfGaussian(2, 1, 5, 0), (2, 2, 5, 6)),
         'local_batch_stride': (lambda: fbnn.LocallyConnected(2, 5, 5, 2, 3, 2, 2, 3), (2, 2, 5, 5))}


def _build(name):
    make, size = CASES[name]
    return make(), lg.from_numpy(np.random.default_rng(0).standard_normal(size))


test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), _build)


def test_matches_lua_loops():
    """Upsample.lua: output[c, y, x] = input[c, y // f, x // f]; gradInput[c, i, j] sums gradOutput over the
    f x f block of (i, j)."""
    rng = np.random.default_rng(1)
    x, f = rng.standard_normal((2, 3, 4)), 3
    g = rng.standard_normal((2, 9, 12))
    m = fbnn.Upsample(f).double()
    out = m.forward(lg.from_numpy(x)).numpy()
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(g)).numpy()
    ref, ref_gi = np.zeros((2, 9, 12)), np.zeros((2, 3, 4))
    for c in range(2):
        for y in range(9):
            for xx in range(12):
                ref[c, y, xx] = x[c, y // f, xx // f]
                ref_gi[c, y // f, xx // f] += g[c, y, xx]
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_allclose(gi, ref_gi, rtol=1e-12)


@pytest.mark.parametrize('factor', (1, 2, 3, 4.0))
def test_upsample_of_fbnn_test_lua(factor):
    """fbnn/test.lua testUpsample: single images and a batch of 8, factors 1..4 (a Lua number, 4.0, too): the
    sizes scale by the factor and backward(im, upsampled) / factor^2 gives the image back."""
    f = int(factor)
    im = lg.from_numpy(np.random.default_rng(2).uniform(size=(3, 32, 32)))
    for x in (im, lg.from_numpy(im.numpy()[None] + np.random.default_rng(3).standard_normal((8, 3, 32, 32)))):
        m = fbnn.Upsample(factor).double()
        up = m.forward(x)
        assert tuple(up.size()) == tuple(x.size())[:-2] + (32 * f, 32 * f)
        recon = m.backward(x, up).div(f * f)
        assert np.abs(recon.numpy() - x.numpy()).sum() < 1e-5


def test_bad_input_names_the_module():
    """Upsample.lua's asserts (a whole factor >= 1) at construction; a 2-D input or a gradOutput of the wrong
    size names the module."""
    for bad in (1.5, 0, True):
        with pytest.raises(ValueError, match='nn.Upsample'):
            fbnn.Upsample(bad)
    assert_rejected(fbnn.Upsample(2), ValueError, 'Upsample', 'forward', lg.zeros(3, 4))
    m = fbnn.Upsample(2)
    m.forward(lg.zeros(1, 2, 2))
    assert_rejected(m, ValueError, 'Upsample.*gradOutput', 'backward', lg.zeros(1, 2, 2), lg.zeros(1, 4, 3))
    assert lg.typename(m) == 'nn.Upsample' and repr(m) == 'nn.Upsample(factor 2)'   # torch.class('nn.Upsample')


def _crossmap_loops(x, g, size, scale, power):
    """src/CrossMapNormalization.cpp for one image: the running sums of its convolve() over channels, the
    denominator 1 + scale/size * sum x^2, output x d^-power, and updateGradInput's s = g d^-power, gradInput =
    s + x * window sum of (-2 scale/size power x s / d)."""
    C = x.shape[0]
    half, a = size // 2, scale / size

    def window(v):
        out = np.zeros_like(v)
        for c in range(C):
            for c2 in range(max(0, c - half), min(C, c + half + 1)):
                out[c] += v[c2]
        return out
    d = 1 + a * window(x * x)
    s = g * d ** -power
    return x * d ** -power, s + x * window(-2 * a * power * x * s / d)


def test_crossmap_matches_cpp_loops():
    """src/CrossMapNormalization.cpp: output and gradInput for each image of a batch, 7 channels with size 5
    (the windows clipped at both ends)."""
    rng = np.random.default_rng(8)
    x, g = rng.standard_normal((2, 7, 3, 2)), rng.standard_normal((2, 7, 3, 2))
    m = fbnn.CrossMapNormalization(5, 0.3, 0.75).double()
    out = m.forward(lg.from_numpy(x)).numpy()
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(g)).numpy()
    for n in range(2):
        ref, ref_gi = _crossmap_loops(x[n], g[n], 5, 0.3, 0.75)
        np.testing.assert_allclose(out[n], ref, rtol=1e-12)
        np.testing.assert_allclose(gi[n], ref_gi, rtol=1e-11, atol=1e-13)


def test_crossmap_equals_spatial_cross_map_lrn():
    """fbnn's formula is nn.SpatialCrossMapLRN(size, alpha=scale, beta=power, k=1)'s."""
    x = lg.from_numpy(np.random.default_rng(9).standard_normal((2, 6, 4, 4)))
    ours = fbnn.CrossMapNormalization(3, 1e-2, 0.75).double().forward(x).numpy()
    theirs = nn.SpatialCrossMapLRN(3, 1e-2, 0.75, 1).double().forward(x).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_crossmap_bad_input_names_the_module():
    """The C++'s errors (an odd kernel size; 3-D or 4-D input) name the module."""
    with pytest.raises(ValueError, match='nn.CrossMapNormalization.*odd'):
        fbnn.CrossMapNormalization(4, 1e-4, 0.75)
    assert_rejected(fbnn.CrossMapNormalization(3, 1e-4, 0.75), ValueError, 'CrossMapNormalization', 'forward',
                    lg.zeros(3, 4))


def test_locally_connected_matches_loops():
    """src/LocallyConnected.cpp (CPU, planar layout): out[o, y, x] = bias[o, y, x] + sum_{i, a, b}
    weight[o, y, x, i, a, b] in[i, y dH + a, x dW + b]; gradInput and gradWeight/gradBias (scale 0.5) by the
    same loops."""
    rng = np.random.default_rng(10)
    m = fbnn.LocallyConnected(2, 6, 5, 3, 3, 2, 2, 1).double()
    x = rng.standard_normal((2, 2, 5, 6))
    out = m.forward(lg.from_numpy(x)).numpy()
    assert out.shape == (2, 3, 4, 2) and m.outputSize() == (2, 4)
    g = rng.standard_normal(out.shape)
    m.zeroGradParameters()
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(g), 0.5).numpy()
    w, b = m.weight.numpy(), m.bias.numpy()
    ref, ref_gi = np.zeros_like(out), np.zeros_like(x)
    ref_gw, ref_gb = np.zeros_like(w), np.zeros_like(b)
    for n in range(2):
        for o in range(3):
            for y in range(4):
                for xx in range(2):
                    ref[n, o, y, xx] = b[o, y, xx]
                    ref_gb[o, y, xx] += 0.5 * g[n, o, y, xx]
                    for i in range(2):
                        for a in range(2):
                            for c in range(3):
                                iy, ix = y * 1 + a, xx * 2 + c
                                ref[n, o, y, xx] += w[o, y, xx, i, a, c] * x[n, i, iy, ix]
                                ref_gi[n, i, iy, ix] += w[o, y, xx, i, a, c] * g[n, o, y, xx]
                                ref_gw[o, y, xx, i, a, c] += 0.5 * g[n, o, y, xx] * x[n, i, iy, ix]
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gi, ref_gi, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(m.gradWeight.numpy(), ref_gw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(m.gradBias.numpy(), ref_gb, rtol=1e-12, atol=1e-12)


def test_locally_connected_bad_input_names_the_module():
    """LocallyConnected.lua's asserts: a kernel within the image at construction; the planes, height and width
    of the input."""
    with pytest.raises(ValueError, match='nn.LocallyConnected.*must not exceed'):
        fbnn.LocallyConnected(1, 3, 3, 1, 4, 1)
    assert_rejected(fbnn.LocallyConnected(2, 4, 4, 1, 2, 2), ValueError, r'LocallyConnected.*\(2, 4, 4\)', 'forward',
                    lg.zeros(2, 4, 5))


def _log_filter_lua(k):
    """LaplacianOfGaussian.lua's getFilter in float64: image.gaussian{normalize, width = height = k, sigma = .1}
    (image.c: exp(-((i - (0.5 k + 0.5)) / (0.1 k))^2 / 2 - ...) over 1-based i, j, divided by its sum), then
    the forward differences dKdY, dKdX, dKdYY, dKdXX and LoG = dKdYY[:, 1:] + dKdXX[1:, :] on (k-2) x (k-2)."""
    ker = np.zeros((k, k))
    centre = 0.5 * k + 0.5
    for i in range(1, k + 1):
        for j in range(1, k + 1):
            ker[i - 1, j - 1] = math.exp(-0.5 * (((i - centre) / (0.1 * k)) ** 2 + ((j - centre) / (0.1 * k)) ** 2))
    ker /= ker.sum()
    log = np.zeros((k - 2, k - 2))
    for i in range(k - 2):
        for j in range(k - 2):
            d_yy = (ker[i, j + 1] - ker[i + 1, j + 1]) - (ker[i + 1, j + 1] - ker[i + 2, j + 1])
            d_xx = (ker[i + 1, j] - ker[i + 1, j + 1]) - (ker[i + 1, j + 1] - ker[i + 1, j + 2])
            log[i, j] = d_yy + d_xx
    return log


@pytest.mark.parametrize('sigma,k,size', [(1, None, 11), (0.5, None, 5), (2, 7, 7), (0.3, None, 3)])
def test_log_filter_and_output_match_lua(sigma, k, size):
    """getFilter (default size ceil(10 sigma) made odd) and updateOutput: each plane correlated with the filter
    after zero padding of half its size, so the output keeps the input's size."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    try:
        m = fbnn.LaplacianOfGaussian(2, sigma, k)
    finally:
        lg.setdefaulttensortype('torch.FloatTensor')
    filt = _log_filter_lua(size)
    np.testing.assert_allclose(m.weight.numpy()[1], filt, rtol=1e-10, atol=1e-15)
    x = np.random.default_rng(12).standard_normal((2, 6, 5))
    out = m.forward(lg.from_numpy(x)).numpy()
    assert out.shape == x.shape
    p, kk = m.padding, size - 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    ref = np.zeros_like(out)
    for c in range(2):
        for y in range(6):
            for xx in range(5):
                ref[c, y, xx] = sum(filt[a, b] * xp[c, y + a, xx + b] for a in range(kk) for b in range(kk))
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-14)


def test_log_network_of_fbnn_test_lua():
    """fbnn/test.lua testLoGLayer and testLoGNetwork: LoG(3, 1) keeps a 3-plane image's size; in LoG -> View ->
    Linear -> LogSigmoid with BCECriterion, backward gives a gradInput of the image's size; the filter never
    learns."""
    im = lg.from_numpy(np.random.default_rng(13).uniform(size=(3, 24, 24)).astype(np.float32))
    layer = fbnn.LaplacianOfGaussian(3, 1)
    net = nn.Sequential().add(layer).add(nn.View(im.nElement())).add(nn.Linear(im.nElement(), 1)).add(
        nn.LogSigmoid())
    out = net.forward(im)
    assert tuple(layer.output.size()) == (3, 24, 24)
    crit = nn.BCECriterion()
    target = lg.Tensor([1.0])
    prob = lg.exp(out)   # the Lua feeds the LogSigmoid's output to BCECriterion; legonn's checks for [0, 1]
    crit.forward(prob, target)
    filt = layer.weight.clone()
    net.backward(im, crit.backward(prob, target))
    net.updateParameters(0.1)
    assert tuple(layer.gradInput.size()) == (3, 24, 24)
    np.testing.assert_array_equal(layer.weight.numpy(), filt.numpy())
    assert_rejected(fbnn.LaplacianOfGaussian(3, 1), ValueError, 'LaplacianOfGaussian.*3 planes', 'forward',
                    lg.zeros(2, 12, 12))


def _dog_loops(x, n_octaves, s):
    """DifferenceOfGaussian.lua in float64 for one (C, H, W) image: sigmas 1, 2^(1/S).., 2; getGaussianFilter
    centred at floor(sz/2) (1-based); per octave SpatialConvolutionMM of each plane with each filter (padding
    sz // 2), plane c*S + n = blur n - blur n+1, then the sigma-2 blur subsampled at 1-based rows/cols 2, 4, ..."""
    sigmas = [1.0]
    for _ in range(1, s):
        sigmas.append(sigmas[-1] * 2 ** (1 / s))
    sigmas.append(2.0)
    sz = math.ceil(max(sigmas) * 2.5)
    if sz % 2 == 0:
        sz += 1
    filters = []
    for sigma in sigmas:
        f = np.zeros((sz, sz))
        for i in range(1, sz + 1):
            for j in range(1, sz + 1):
                f[i - 1, j - 1] = math.exp(-((i - sz // 2) ** 2 + (j - sz // 2) ** 2) / (2 * sigma * sigma))
        filters.append(f / f.sum())
    p, outs = sz // 2, []
    for _ in range(n_octaves):
        C, H, W = x.shape
        xp = np.pad(x, ((0, 0), (p, p), (p, p)))
        blurs = np.zeros((C, len(sigmas), H, W))
        for c in range(C):
            for n, f in enumerate(filters):
                for y in range(H):
                    for xx in range(W):
                        blurs[c, n, y, xx] = (f * xp[c, y:y + sz, xx:xx + sz]).sum()
        outs.append(np.concatenate([blurs[c, :s] - blurs[c, 1:] for c in range(C)]))
        x = blurs[:, s][:, 1::2, 1::2]
    return outs


def test_dog_matches_lua_loops():
    """DifferenceOfGaussian.lua's updateOutput, octave by octave, against the float64 transcription above (the
    module built under the DoubleTensor default, Lua's, so its filters are float64 too)."""
    x = np.random.default_rng(14).standard_normal((2, 9, 8))
    lg.setdefaulttensortype('torch.DoubleTensor')
    try:
        m = fbnn.DifferenceOfGaussian(2, 3, 4)
    finally:
        lg.setdefaulttensortype('torch.FloatTensor')
    out = m.forward(lg.from_numpy(x))
    ref = _dog_loops(x, 3, 4)
    assert len(out) == 3
    for o, r in zip(out, ref):
        np.testing.assert_allclose(o.numpy(), r, rtol=1e-10, atol=1e-13)


def test_dog_of_fbnn_test_lua():
    """fbnn/test.lua testDoG: a 16x16 image of C planes, 3 octaves of 4 scales gives 3 tensors of 4 C planes;
    a batch of 8 gives (8, 4 C, ...); float() and double() agree; no backward (the Lua defines none)."""
    im = np.random.default_rng(15).uniform(size=(3, 16, 16))
    m = fbnn.DifferenceOfGaussian(3, 3, 4)
    out = m.forward(lg.from_numpy(im.astype(np.float32)))
    assert [tuple(t.size()) for t in out] == [(12, 16, 16), (12, 8, 8), (12, 4, 4)]
    batch = im[None] + 0.05 * np.random.default_rng(16).standard_normal((8, 3, 16, 16))
    out64 = m.double().forward(lg.from_numpy(batch))
    assert [tuple(t.size()) for t in out64] == [(8, 12, 16, 16), (8, 12, 8, 8), (8, 12, 4, 4)]
    out32 = m.float().forward(lg.from_numpy(batch.astype(np.float32)))
    for a, b in zip(out32, out64):
        assert a.type() == 'legonn.FloatTensor'
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(NotImplementedError, match='DifferenceOfGaussian'):
        m.backward(lg.from_numpy(im.astype(np.float32)), out32)
    assert_rejected(m, ValueError, 'DifferenceOfGaussian.*at least 8x8', 'forward', lg.zeros(3, 7, 16))


@pytest.mark.gpu
def test_dog_on_the_gpu():
    """cuda(): the pyramid is computed on the device and equals the CPU's."""
    x = lg.from_numpy(np.random.default_rng(17).standard_normal((2, 8, 8)))
    cpu = fbnn.DifferenceOfGaussian(2, 2, 3).double()
    gpu = cpu.clone().cudaDouble()
    for a, b in zip(cpu.forward(x), gpu.forward(x.cudaDouble())):
        assert b.type() == 'legonn.CudaDoubleTensor'
        np.testing.assert_allclose(a.numpy(), b.double().numpy(), rtol=1e-10)
