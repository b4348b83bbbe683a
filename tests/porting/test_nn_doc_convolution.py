"""torch/nn's doc/convolution.md, ported by docs/porting.md's rules: its examples (TemporalConvolution,
LookupTable, SpatialSubtractiveNormalization, SpatialBatchNormalization, the connection tables) and every output-size
formula it gives, each checked on one module (sizes small, for speed). Where a formula disagrees with THNN's C, the
C wins and the test says so."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn

pytestmark = pytest.mark.usefixtures('double_default')


def test_temporalconvolution_example_is_a_dot_product_per_element():
    """TemporalConvolution: ``nn.TemporalConvolution(5, 1, 1, 1)`` of a 7x5 sequence gives 7x1, each element's
    ``element:dot(weights) + bias`` with ``weights = torch.reshape(mlp.weight, inp)``."""
    inp, outp, kw, dw = 5, 1, 1, 1
    mlp = nn.TemporalConvolution(inp, outp, kw, dw)
    x = lg.rand(7, inp)
    out = mlp.forward(x)
    assert out.size() == (7, 1)
    weights = lg.reshape(mlp.weight, inp)
    bias = mlp.bias[0]
    for i in range(x.size(0)):
        element = x[i]
        assert np.isclose(out[i][0], element.dot(weights) + bias)


def test_temporalconvolution_formulas():
    """TemporalConvolution: ``nOutputFrame = (nInputFrame - kW) / dW + 1`` and ``output[t][i] = bias[i] +
    sum_j sum_k weight[i][k][j] * input[dW*(t-1)+k][j]`` (the weight stored as outputFrameSize x
    (kW*inputFrameSize))."""
    m = nn.TemporalConvolution(3, 2, 3, 2)
    x = lg.randn(9, 3)
    out = m.forward(x).numpy()
    assert out.shape == ((9 - 3) // 2 + 1, 2)
    w = m.weight.numpy().reshape(2, 3, 3)
    a = x.numpy()
    for t in range(out.shape[0]):
        assert np.allclose(out[t], m.bias.numpy() + np.einsum('ikj,kj->i', w, a[2 * t:2 * t + 3]))


def test_temporalmaxpooling_and_subsampling_formulas():
    """TemporalMaxPooling and TemporalSubSampling: ``(nInputFrame - kW) / dW + 1`` frames;
    subsampling's ``output[t][i] = bias[i] + weight[i] * sum_k input[dW*(t-1)+k][i]``."""
    x = lg.randn(9, 4)
    a = x.numpy()
    out = nn.TemporalMaxPooling(3, 2).forward(x).numpy()
    assert np.array_equal(out, np.stack([a[2 * t:2 * t + 3].max(0) for t in range(4)]))
    m = nn.TemporalSubSampling(4, 3, 2)
    out = m.forward(x).numpy()
    want = np.stack([m.bias.numpy() + m.weight.numpy() * a[2 * t:2 * t + 3].sum(0) for t in range(4)])
    assert out.shape == (4, 4) and np.allclose(out, want)


def test_lookuptable_examples():
    """LookupTable: ``nn.LookupTable(10, 3)`` of ``{1,2,1,10}`` (here 0, 1, 0, 9) gives rows of the weight, the
    first and third equal; a 2x4 batch of indices gives 2x4x3."""
    module = nn.LookupTable(10, 3)
    input = lg.Tensor([0, 1, 0, 9])
    out = module.forward(input)
    assert out.size() == (4, 3) and np.array_equal(out.numpy(), module.weight.numpy()[[0, 1, 0, 9]])
    input = lg.Tensor([[0, 1, 3, 4], [3, 2, 1, 9]])
    out = module.forward(input)
    assert out.size() == (2, 4, 3)
    assert np.array_equal(out.numpy(), module.weight.numpy()[input.numpy().astype(int)])


def test_lookuptable_max_norm_example():
    """LookupTable with a max-norm: the doc's ``nn.LookupTable(10, 3, 0, 1, 2)`` passes paddingValue 0, "no
    padding" in Torch7; legonn refuses 0 (docs/porting.md: None is no padding). With ``(10, 3, None, 1, 2)`` the
    output rows have 2-norm at most 1 and exactly the accessed rows of the weight are renormalised (rows 1, 2, 10 of
    the doc: here 0, 1, 9), the others unchanged."""
    with pytest.raises(ValueError, match='LookupTable'):
        nn.LookupTable(10, 3, 0, 1, 2)
    module = nn.LookupTable(10, 3, None, 1, 2)
    module.weight.copy(lg.randn(10, 3) * 2)
    before = module.weight.numpy().copy()
    input = lg.Tensor([0, 1, 0, 9])
    out = module.forward(input).numpy()
    assert (np.linalg.norm(out, axis=1) <= 1 + 1e-6).all()
    after = module.weight.numpy()
    untouched = [i for i in range(10) if i not in (0, 1, 9)]
    assert np.array_equal(after[untouched], before[untouched])
    for i in (0, 1, 9):
        n = np.linalg.norm(before[i])
        assert np.allclose(after[i], before[i] / (n + 1e-7) if n > 1 else before[i])
    assert np.array_equal(out, after[[0, 1, 0, 9]])


def test_temporalrowconvolution_sizes():
    """TemporalRowConvolution: ``nn.TemporalRowConvolution(inputFrameSize, kW)`` convolves each feature row on
    its own: a 10x4 sequence with kW 3 gives 8x4; with featFirst the input and output are 4x10 and 4x8."""
    assert nn.TemporalRowConvolution(4, 3).forward(lg.randn(10, 4)).size() == (8, 4)
    assert nn.TemporalRowConvolution(4, 3, 1, True).forward(lg.randn(4, 10)).size() == (4, 8)


def test_connection_tables():
    """SpatialConvolutionMap's tables: ``nn.tables.full(nin, nout)`` pairs every input with every output,
    ``oneToOne(n)`` plane i to plane i, ``random(nin, nout, nto)`` gives each output ``nto`` inputs; 0-based."""
    assert nn.tables.full(2, 3).tolist() == [[0, 0], [1, 0], [0, 1], [1, 1], [0, 2], [1, 2]]
    assert nn.tables.oneToOne(3).tolist() == [[0, 0], [1, 1], [2, 2]]
    t = nn.tables.random(4, 3, 2).numpy()
    assert t.shape == (6, 2) and sorted(t[:, 1].tolist()) == [0, 0, 1, 1, 2, 2] and (t[:, 0] < 4).all()
    m = nn.SpatialConvolutionMap(nn.tables.oneToOne(3), 3, 3)
    assert m.forward(lg.randn(3, 7, 7)).size() == (3, 5, 5)


def _floor(v):
    return math.floor(v)


# (doc section, module, input size, the doc's formula for the output size)
SIZES = [
    ('SpatialConvolution', lambda: nn.SpatialConvolution(2, 3, 3, 2, 2, 1, 1, 0), (2, 7, 8),
     (3, _floor((7 + 0 - 2) / 1 + 1), _floor((8 + 2 - 3) / 2 + 1))),
    ('SpatialFullConvolution', lambda: nn.SpatialFullConvolution(2, 3, 3, 3, 2, 2, 1, 1, 1, 0), (2, 4, 5),
     (3, (4 - 1) * 2 - 2 + 3 + 0, (5 - 1) * 2 - 2 + 3 + 1)),
    ('SpatialDilatedConvolution', lambda: nn.SpatialDilatedConvolution(2, 3, 3, 3, 1, 1, 1, 1, 2, 2), (2, 9, 8),
     (3, _floor((9 + 2 - 2 * 2 - 1) / 1) + 1, _floor((8 + 2 - 2 * 2 - 1) / 1) + 1)),
    ('SpatialDepthWiseConvolution', lambda: nn.SpatialDepthWiseConvolution(2, 3, 3, 3, 1, 1, 1, 1), (2, 5, 6),
     (6, 5, 6)),
    ('SpatialConvolutionLocal', lambda: nn.SpatialConvolutionLocal(2, 3, 6, 5, 3, 3, 1, 1, 1, 0), (2, 5, 6),
     (3, _floor((5 + 0 - 3) / 1 + 1), _floor((6 + 2 - 3) / 1 + 1))),
    ('SpatialLPPooling', lambda: nn.SpatialLPPooling(2, 2, 2, 2), (2, 6, 6), (2, 3, 3)),
    ('SpatialMaxPooling', lambda: nn.SpatialMaxPooling(3, 3, 2, 2), (2, 8, 8), (2, _floor(5 / 2 + 1), 3)),
    ('SpatialMaxPooling:ceil', lambda: nn.SpatialMaxPooling(3, 3, 2, 2).ceil(), (2, 8, 8),
     (2, math.ceil(5 / 2 + 1), math.ceil(5 / 2 + 1))),
    ('SpatialDilatedMaxPooling', lambda: nn.SpatialDilatedMaxPooling(2, 2, 1, 1, 0, 0, 2, 2), (2, 7, 7),
     (2, _floor((7 - (2 * 1 + 1)) / 1 + 1), 5)),
    ('SpatialFractionalMaxPooling:size', lambda: nn.SpatialFractionalMaxPooling(2, 2, 4, 3), (2, 8, 9), (2, 3, 4)),
    ('SpatialFractionalMaxPooling:ratio', lambda: nn.SpatialFractionalMaxPooling(2, 2, 0.5, 0.5), (2, 8, 9),
     (2, _floor(8 * 0.5), _floor(9 * 0.5))),
    ('SpatialAveragePooling', lambda: nn.SpatialAveragePooling(2, 2, 2, 2, 1, 1), (2, 6, 6), (2, 4, 4)),
    ('SpatialAdaptiveMaxPooling', lambda: nn.SpatialAdaptiveMaxPooling(3, 2), (2, 7, 5), (2, 2, 3)),
    ('SpatialAdaptiveAveragePooling', lambda: nn.SpatialAdaptiveAveragePooling(3, 2), (2, 7, 5), (2, 2, 3)),
    ('SpatialSubSampling', lambda: nn.SpatialSubSampling(2, 2, 2, 2, 2), (2, 6, 8), (2, (6 - 2) // 2 + 1, 4)),
    ('SpatialUpSamplingNearest', lambda: nn.SpatialUpSamplingNearest(3), (2, 2, 3), (2, 6, 9)),
    # SpatialUpSamplingBilinear and UpSampling 'linear': the doc (and SpatialUpSamplingBilinear.lua's header
    # comment) says ``oH = (iH - 1)(scale - 1) + iH``; the code (SpatialUpSamplingBilinear.lua:62,
    # UpSampling.lua:81) multiplies by the scale, ``oH = iH * scale``: the code wins
    ('SpatialUpSamplingBilinear', lambda: nn.SpatialUpSamplingBilinear(3), (2, 2, 3), (2, 2 * 3, 3 * 3)),
    ('SpatialUpSamplingBilinear:size', lambda: nn.SpatialUpSamplingBilinear({'oheight': 5, 'owidth': 4}), (2, 2, 3),
     (2, 5, 4)),
    ('SpatialZeroPadding', lambda: nn.SpatialZeroPadding(1, 2, 3, 0), (2, 3, 3), (2, 6, 6)),
    ('SpatialReflectionPadding', lambda: nn.SpatialReflectionPadding(1, 2, 2, 0), (2, 3, 3), (2, 5, 6)),
    ('SpatialReplicationPadding', lambda: nn.SpatialReplicationPadding(1, 2, 3, 0), (2, 3, 3), (2, 6, 6)),
    ('SpatialCrossMapLRN', lambda: nn.SpatialCrossMapLRN(3), (4, 3, 3), (4, 3, 3)),
    ('VolumetricConvolution', lambda: nn.VolumetricConvolution(2, 3, 2, 3, 3, 1, 2, 2, 1, 1, 0), (2, 5, 6, 7),
     (3, _floor((5 + 2 - 2) / 1 + 1), _floor((6 + 0 - 3) / 2 + 1), _floor((7 + 2 - 3) / 2 + 1))),
    ('VolumetricFullConvolution', lambda: nn.VolumetricFullConvolution(2, 3, 2, 3, 3, 2, 2, 2, 0, 1, 1, 1, 0, 1),
     (2, 3, 4, 5), (3, (3 - 1) * 2 - 0 + 2 + 1, (4 - 1) * 2 - 2 + 3 + 1, (5 - 1) * 2 - 2 + 3 + 0)),
    # VolumetricDilatedConvolution: the doc writes ``- dilationT * (kT-1) + 1``; THNN's
    # VolumetricDilatedConvolution.c:46 computes ``(inputDepth + 2*padT - (dilationT * (kT - 1) + 1)) / dT + 1``
    # (the spatial section's formula): the C wins
    ('VolumetricDilatedConvolution', lambda: nn.VolumetricDilatedConvolution(1, 1, 3, 3, 3, 1, 1, 1, 0, 0, 0, 2, 2, 2),
     (1, 9, 9, 9), (1, (9 - (2 * 2 + 1)) + 1, 5, 5)),
    ('VolumetricMaxPooling', lambda: nn.VolumetricMaxPooling(2, 2, 2), (2, 4, 6, 6), (2, 2, 3, 3)),
    ('VolumetricDilatedMaxPooling', lambda: nn.VolumetricDilatedMaxPooling(2, 2, 2, 1, 1, 1, 0, 0, 0, 2, 2, 2),
     (2, 5, 6, 7), (2, (5 - 3) + 1, (6 - 3) + 1, (7 - 3) + 1)),
    ('VolumetricFractionalMaxPooling', lambda: nn.VolumetricFractionalMaxPooling(2, 2, 2, 0.5, 0.5, 0.5),
     (2, 6, 8, 10), (2, 3, 4, 5)),
    ('VolumetricAveragePooling', lambda: nn.VolumetricAveragePooling(2, 2, 2, 2, 2, 2), (2, 4, 6, 6), (2, 2, 3, 3)),
    ('VolumetricReplicationPadding', lambda: nn.VolumetricReplicationPadding(1, 0, 2, 0, 0, 1), (2, 3, 3, 3),
     (2, 4, 5, 4)),
    ('UpSampling:nearest', lambda: nn.UpSampling(2, 'nearest'), (1, 2, 3, 4), (1, 2, 6, 8)),
    ('UpSampling:linear', lambda: nn.UpSampling(2, 'linear'), (1, 2, 3, 4), (1, 2, 3 * 2, 4 * 2)),
    ('UpSampling:size', lambda: nn.UpSampling({'oheight': 5, 'owidth': 7}, 'linear'), (1, 2, 3, 4), (1, 2, 5, 7)),
]


@pytest.mark.parametrize('section, make, insize, outsize', SIZES, ids=[s[0] for s in SIZES])
def test_output_size_formulas(section, make, insize, outsize):
    """Every output-size formula of convolution.md, for one module built as its section describes."""
    assert make().forward(lg.randn(*insize)).size() == outsize


def test_spatialconvolution_formula():
    """SpatialConvolution: ``output = bias + sum_l sum_s sum_t weight * input`` over each window (here checked
    against a NumPy correlation of the 4-D weight nOutputPlane x nInputPlane x kH x kW)."""
    m = nn.SpatialConvolution(2, 3, 3, 2)
    x = lg.randn(2, 5, 6)
    out = m.forward(x).numpy()
    w, a = m.weight.numpy(), x.numpy()
    want = np.empty((3, 4, 4))
    for i in range(4):
        for j in range(4):
            want[:, i, j] = m.bias.numpy() + np.einsum('oct,ct->o', w.reshape(3, 2, 6),
                                                        a[:, i:i + 2, j:j + 3].reshape(2, 6))
    assert np.allclose(out, want)


def test_spatialdepthwiseconvolution_formula():
    """SpatialDepthWiseConvolution: ``output[i][j] = input[j] * weight[i][j] + b[i][j]``: input plane j convolved
    with each of its nOutputPlane kernels on its own, the output planes ordered input plane first."""
    m = nn.SpatialDepthWiseConvolution(2, 3, 3, 3)
    x = lg.randn(2, 5, 5)
    out = m.forward(x).numpy()
    w = m.weight.numpy().reshape(3, 2, 3, 3)
    b = m.bias.numpy().reshape(3, 2)
    a = x.numpy()
    for i in range(3):
        for j in range(2):
            ref = np.array([[np.sum(a[j, r:r + 3, c:c + 3] * w[i, j]) for c in range(3)] for r in range(3)]) + b[i, j]
            assert np.allclose(out[j * 3 + i], ref)     # input plane j's outputs lie together


def test_spatialadaptivemaxpooling_windows():
    """SpatialAdaptiveMaxPooling: cell (i, j) is the max over rows ``floor(i/oh*ih) .. ceil((i+1)/oh*ih)`` and
    columns likewise."""
    x = lg.randn(1, 7, 5)
    out = nn.SpatialAdaptiveMaxPooling(3, 2).forward(x).numpy()
    a = x.numpy()[0]
    for i in range(2):
        for j in range(3):
            rows = slice(math.floor(i / 2 * 7), math.ceil((i + 1) / 2 * 7))
            cols = slice(math.floor(j / 3 * 5), math.ceil((j + 1) / 3 * 5))
            assert out[0, i, j] == a[rows, cols].max()


def test_spatialmaxunpooling_and_volumetricmaxunpooling():
    """SpatialMaxUnpooling and VolumetricMaxUnpooling(poolingModule): each max goes back where its pooling module
    found it, zeros elsewhere."""
    pool = nn.SpatialMaxPooling(2, 2)
    x = lg.randn(1, 4, 4)
    y = pool.forward(x)
    up = nn.SpatialMaxUnpooling(pool).forward(y).numpy()
    a = x.numpy()
    assert up.shape == (1, 4, 4) and ((up == 0) | (up == a)).all() and np.isclose(up.sum(), y.sum())
    pool = nn.VolumetricMaxPooling(2, 2, 2)
    x = lg.randn(1, 4, 4, 4)
    y = pool.forward(x)
    up = nn.VolumetricMaxUnpooling(pool).forward(y).numpy()
    assert up.shape == (1, 4, 4, 4) and np.isclose(up.sum(), y.sum())


def test_spatialupsamplingnearest_formula():
    """SpatialUpSamplingNearest: ``output(u, v) = input(floor(u/scale), floor(v/scale))`` (0-based)."""
    x = lg.randn(1, 2, 3)
    out = nn.SpatialUpSamplingNearest(2).forward(x).numpy()
    assert np.array_equal(out, x.numpy().repeat(2, 1).repeat(2, 2))


def test_spatialsubtractivenormalization_example():
    """SpatialSubtractiveNormalization: the doc subtracts the local mean under ``torch.ones(11)`` from
    ``image.rgb2y(image.lena())``; legonn ships no photographs (docs/porting.md's row) and has no window for
    ``image.display``, so a random 1x32x32 picture stands in and the result is checked: far from the borders
    the output is the input minus its 11x11 mean."""
    lena = lg.rand(1, 32, 32)
    ker = lg.ones(11)
    m = nn.SpatialSubtractiveNormalization(1, ker)
    processed = m.forward(lena)
    a = lena.numpy()[0]
    assert processed.size() == (1, 32, 32)
    assert np.isclose(processed[0, 16, 16], a[16, 16] - a[11:22, 11:22].mean())


def test_spatialcrossmaplrn_formula():
    """SpatialCrossMapLRN: ``y_f = x_f / (k + alpha/size * sum_{l in window} x_l^2)^beta``."""
    size, alpha, beta, k = 3, 1e-2, 0.75, 1
    x = lg.randn(5, 2, 2)
    out = nn.SpatialCrossMapLRN(size, alpha, beta, k).forward(x).numpy()
    a = x.numpy()
    for f in range(5):
        s = (a[max(0, f - 1):f + 2] ** 2).sum(0)
        assert np.allclose(out[f], a[f] / (k + alpha / size * s) ** beta)


def test_spatialbatchnormalization_examples():
    """SpatialBatchNormalization: with and without learnable parameters, bxmxhxw in and out, each plane
    normalised by its batch mean and (biased) standard deviation."""
    b, m, h, w = 3, 2, 4, 5
    model = nn.SpatialBatchNormalization(m)
    A = lg.randn(b, m, h, w)
    C = model.forward(A)
    a = A.numpy()
    norm = (a - a.mean((0, 2, 3), keepdims=True)) / np.sqrt(a.var((0, 2, 3), keepdims=True) + 1e-5)
    assert C.size() == (b, m, h, w)
    assert np.allclose(C.numpy(), norm * model.weight.numpy().reshape(1, m, 1, 1) +
                       model.bias.numpy().reshape(1, m, 1, 1))
    model = nn.SpatialBatchNormalization(m, None, None, False)
    C = model.forward(A)
    assert C.size() == (b, m, h, w) and np.allclose(C.numpy(), norm)
