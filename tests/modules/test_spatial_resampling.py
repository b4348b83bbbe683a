"""SpatialDropout, VolumetricDropout, paddings, up-sampling, PixelShuffle, SpatialSoftMax, SpatialLogSoftMax."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.modules.base.module import Module
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


class Reseeded(Module):
    """Test wrapper: reseeds the RNG before each forward so a dropout mask is the same on every call."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def updateOutput(self, input):
        lg.manualSeed(7)
        self.output = self.inner.updateOutput(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.inner.updateGradInput(input, gradOutput)
        return self.gradInput


CASES = [
    pytest.param(lambda: Reseeded(nn.SpatialDropout(0.5)), (2, 4, 2, 2), id='spatial-dropout'),
    pytest.param(lambda: Reseeded(nn.VolumetricDropout(0.4)), (3, 2, 2, 2), id='volumetric-dropout-nobatch'),
    pytest.param(lambda: nn.SpatialZeroPadding(1, -1, 2, 0), (2, 2, 3, 4), id='zero-pad-crop'),
    pytest.param(lambda: nn.SpatialReflectionPadding(2, 1, 1, 2), (2, 3, 4), id='reflection'),
    pytest.param(lambda: nn.SpatialReplicationPadding(2, 1, -1, 3), (2, 2, 3, 4), id='replication'),
    pytest.param(lambda: nn.VolumetricReplicationPadding(1, 2, 0, 1, 2, 1), (2, 2, 3, 3), id='volumetric-replication'),
    pytest.param(lambda: nn.SpatialUpSamplingNearest(2), (2, 2, 3), id='nearest'),
    pytest.param(lambda: nn.SpatialUpSamplingBilinear(2), (2, 2, 2, 3), id='bilinear'),
    pytest.param(lambda: nn.SpatialUpSamplingBilinear({'oheight': 3, 'owidth': 5}), (2, 2, 3), id='bilinear-size'),
    pytest.param(lambda: nn.PixelShuffle(2), (2, 8, 2, 3), id='pixelshuffle'),
    pytest.param(lambda: nn.PixelShuffle(2), (4, 2, 2), id='pixelshuffle-nobatch'),
    pytest.param(lambda: nn.SpatialSoftMax(), (2, 3, 2, 2), id='softmax'),
    pytest.param(lambda: nn.SpatialLogSoftMax(), (3, 2, 2), id='logsoftmax-nobatch'),
]


@pytest.mark.parametrize('make,shape', CASES)
def test_jacobian(make, shape):
    assert_jacobian(make(), lg.randn(*shape))


@pytest.mark.parametrize('make,shape', CASES)
def test_type_roundtrip(make, shape):
    assert_type_roundtrip(make(), lg.randn(*shape))


@pytest.mark.gpu
@pytest.mark.parametrize('make,shape', CASES[2:])   # dropout masks come from different generators on GPU
def test_gpu_matches_cpu(make, shape):
    assert_gpu_matches_cpu(make(), lg.randn(*shape))


@pytest.mark.gpu
def test_dropout_on_gpu_drops_whole_planes():
    m = nn.SpatialDropout(0.5).cuda()
    out = m.forward(lg.ones(4, 8, 3, 3).cuda()).cpu().numpy()
    per_plane = out.reshape(4, 8, 9)
    assert np.all((per_plane == 0).all(-1) | (per_plane == 1).all(-1))


def test_spatial_dropout_drops_whole_planes_without_rescaling():
    m = nn.SpatialDropout(0.5)
    out = m.forward(lg.ones(8, 16, 3, 3)).numpy().reshape(8, 16, 9)
    assert np.all((out == 0).all(-1) | (out == 1).all(-1))
    assert 0.3 < out[:, :, 0].mean() < 0.7
    gi = m.backward(lg.ones(8, 16, 3, 3), lg.ones(8, 16, 3, 3)).numpy().reshape(8, 16, 9)
    np.testing.assert_array_equal(gi, out)
    m.evaluate()
    np.testing.assert_allclose(m.forward(lg.ones(2, 3, 1, 1)).numpy(), 0.5)
    with pytest.raises(ValueError, match=r'SpatialDropout\(0.500000\): expected training mode'):
        m.backward(lg.ones(2, 3, 1, 1), lg.ones(2, 3, 1, 1))
    with pytest.raises(ValueError, match='in \\[0, 1\\)'):
        nn.VolumetricDropout(1.5)
    with pytest.raises(ValueError, match='4-D or 5-D'):
        nn.VolumetricDropout().forward(lg.ones(2, 2, 2))


def pad_source(pos, size, pads, mode):
    """The input position that output position ``pos`` copies, or None where it is a zero of the border."""
    src = []
    for p, n, (b, _) in zip(pos, size, pads):
        i = p - b
        if mode == 'reflect':
            i = -i if i < 0 else (2 * (n - 1) - i if i >= n else i)
        elif mode == 'replicate':
            i = min(max(i, 0), n - 1)
        src.append(i)
    return tuple(src) if all(0 <= i < n for i, n in zip(src, size)) else None


def pad_reference(x, pads, mode):
    """Loops over every output position along the last len(pads) axes."""
    nd = len(pads)
    lead, size = x.shape[:-nd], x.shape[-nd:]
    out_size = tuple(n + b + a for n, (b, a) in zip(size, pads))
    y = np.zeros(lead + out_size)
    for pos in np.ndindex(*out_size):
        src = pad_source(pos, size, pads, mode)
        if src is not None:
            y[(Ellipsis,) + pos] = x[(Ellipsis,) + src]
    return y


def pad_gradient_reference(shape, grad_output, pads, mode):
    """THNN's backward loops: each output position adds its gradient into the input position it copied."""
    nd = len(pads)
    gi = np.zeros(shape)
    for pos in np.ndindex(*grad_output.shape[-nd:]):
        src = pad_source(pos, shape[-nd:], pads, mode)
        if src is not None:
            gi[(Ellipsis,) + src] += grad_output[(Ellipsis,) + pos]
    return gi


@pytest.mark.parametrize('module,pads,mode', [
    (nn.SpatialZeroPadding(2, -1, 0, 1), ((0, 1), (2, -1)), 'zero'),
    (nn.SpatialReflectionPadding(1, 2, 2, 0), ((2, 0), (1, 2)), 'reflect'),
    (nn.SpatialReplicationPadding(3, 0, 1, 2), ((1, 2), (3, 0)), 'replicate'),
    (nn.VolumetricReplicationPadding(1, 0, 2, 1, 0, 2), ((0, 2), (2, 1), (1, 0)), 'replicate'),
])
def test_padding_matches_loops(module, pads, mode):
    x = lg.randn(2, 2, 3, 3, 4) if len(pads) == 3 else lg.randn(2, 3, 4)
    np.testing.assert_array_equal(module.forward(x).numpy(), pad_reference(x.numpy(), pads, mode))


@pytest.mark.parametrize('module,pads,mode', [
    (nn.SpatialZeroPadding(2, -1, 1, 1), ((1, 1), (2, -1)), 'zero'),
    (nn.SpatialReflectionPadding(-3, 2, 2, 1), ((2, 1), (-3, 2)), 'reflect'),  # right border reads cropped columns
    (nn.SpatialReplicationPadding(3, -1, 1, 2), ((1, 2), (3, -1)), 'replicate'),
    (nn.VolumetricReplicationPadding(1, 0, 2, 1, 0, 2), ((0, 2), (2, 1), (1, 0)), 'replicate'),
])
def test_padding_keeps_nan_and_inf_where_thnn_puts_them(module, pads, mode):
    """THNN's loops copy (forward) and add (backward) element by element, so an inf or NaN at the border of the
    input or of gradOutput reaches only the positions it is copied to or added into; a mask product (inf * 0)
    or a 0/1 matrix product over a row would spread NaN along the padding or the whole row."""
    shape = (2, 2, 3, 3, 5) if len(pads) == 3 else (2, 4, 5)
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    x[..., 0, 0], x[..., -1, -1], x[..., 1, -1] = np.inf, np.nan, -np.inf
    y = module.forward(lg.Tensor(x))
    np.testing.assert_array_equal(y.numpy(), pad_reference(x, pads, mode))
    go = np.ones(y.size())
    go[..., 0, 0], go[..., -1, -1], go[..., 0, -1] = np.inf, np.nan, -np.inf
    gi = module.backward(lg.Tensor(x), lg.Tensor(go))
    np.testing.assert_array_equal(gi.numpy(), pad_gradient_reference(shape, go, pads, mode))


@pytest.mark.parametrize('kind', ['ByteTensor', 'IntTensor', 'LongTensor'])
def test_zero_padding_and_pixel_shuffle_take_any_element_type(kind):
    """SpatialZeroPadding.lua and PixelShuffle.lua only zero, narrow, view and copy, so an integer image goes
    through them as in Torch7 (output, gradInput of its type); the THNN paddings stay floating-point only."""
    x = lg.from_numpy((np.arange(2 * 8 * 3 * 2) % 200).reshape(2, 8, 3, 2)).type('legonn.' + kind)
    xa = x.numpy()
    pad = nn.SpatialZeroPadding(2, -1, 0, 1)
    out = pad.forward(x)
    assert out.type() == x.type()
    np.testing.assert_array_equal(out.numpy(), pad_reference(xa, ((0, 1), (2, -1)), 'zero'))
    gi = pad.backward(x, out)
    assert gi.type() == x.type()
    np.testing.assert_array_equal(gi.numpy(), np.where(np.arange(2) < 1, xa, 0))
    shuffle = nn.PixelShuffle(2)
    out = shuffle.forward(x)
    assert out.type() == x.type() and out.size() == (2, 2, 6, 4)
    for n, c, h, w in np.ndindex(*out.size()):
        assert out.numpy()[n, c, h, w] == xa[n, c * 4 + (h % 2) * 2 + w % 2, h // 2, w // 2]
    np.testing.assert_array_equal(shuffle.backward(x, out).numpy(), xa)
    with pytest.raises(TypeError, match='SpatialReflectionPadding.*floating-point'):
        nn.SpatialReflectionPadding(1).forward(x)


def test_padding_errors_and_repr():
    assert repr(nn.SpatialZeroPadding(1, 2, 3, 4)) == 'nn.SpatialZeroPadding(l=1, r=2, t=3, b=4)'
    with pytest.raises(ValueError, match='padding smaller than the input width'):
        nn.SpatialReflectionPadding(3, 0, 0, 0).forward(lg.randn(1, 3, 3))
    with pytest.raises(ValueError, match='non-empty output'):
        nn.SpatialZeroPadding(-2, -2, 0, 0).forward(lg.randn(1, 3, 3))
    with pytest.raises(ValueError, match='pad_t must be an integer'):
        nn.SpatialReplicationPadding(1, 1, 0.5)
    with pytest.raises(ValueError, match='4-D or 5-D'):
        nn.VolumetricReplicationPadding(1).forward(lg.randn(2, 3, 3))


def test_upsampling_match_loops():
    x = lg.randn(2, 2, 3, 4).double()
    xa = x.numpy()
    near = nn.SpatialUpSamplingNearest(3).forward(x).numpy()
    for n, c, h, w in np.ndindex(*near.shape):
        assert near[n, c, h, w] == xa[n, c, h // 3, w // 3]
    bil = nn.SpatialUpSamplingBilinear(2).forward(x).numpy()
    oh, ow = 6, 8
    rh, rw = (3 - 1) / (oh - 1), (4 - 1) / (ow - 1)
    for n, c, h2, w2 in np.ndindex(2, 2, oh, ow):
        h1, w1 = int(rh * h2), int(rw * w2)
        lh, lw = rh * h2 - h1, rw * w2 - w1
        hp, wp = (1 if h1 < 2 else 0), (1 if w1 < 3 else 0)
        want = ((1 - lh) * ((1 - lw) * xa[n, c, h1, w1] + lw * xa[n, c, h1, w1 + wp]) +
                lh * ((1 - lw) * xa[n, c, h1 + hp, w1] + lw * xa[n, c, h1 + hp, w1 + wp]))
        assert abs(bil[n, c, h2, w2] - want) < 1e-12
    with pytest.raises(ValueError, match='scale must be a positive integer'):
        nn.SpatialUpSamplingNearest(1.5)
    # SpatialUpSamplingNearest.lua builds a scale of 1 (it refuses < 1); THNN's shapeCheck refuses it at forward
    # and backward: "scale_factor must be greater than 1"
    one = nn.SpatialUpSamplingNearest(1)
    with pytest.raises(ValueError, match=r'SpatialUpSamplingNearest\(1\): expected a scale_factor greater than 1'):
        one.forward(x)
    with pytest.raises(ValueError, match='greater than 1'):
        one.backward(x, x)
    with pytest.raises(ValueError, match='3-D or 4-D'):
        nn.SpatialUpSamplingBilinear(2).forward(lg.randn(3, 3))


def test_pixel_shuffle_matches_loops():
    x = lg.randn(2, 8, 2, 3)
    out = nn.PixelShuffle(2).forward(x).numpy()
    xa = x.numpy()
    assert out.shape == (2, 2, 4, 6)
    for n, c, h, w in np.ndindex(*out.shape):
        assert out[n, c, h, w] == xa[n, c * 4 + (h % 2) * 2 + w % 2, h // 2, w // 2]
    with pytest.raises(ValueError, match=r'PixelShuffle\(2\): expected a number of planes divisible by'):
        nn.PixelShuffle(2).forward(lg.randn(6, 2, 2))


def test_spatial_softmax_matches_loops():
    x = lg.randn(2, 4, 2, 3).double()
    xa = x.numpy()
    sm, lsm = nn.SpatialSoftMax().forward(x).numpy(), nn.SpatialLogSoftMax().forward(x).numpy()
    for n, h, w in np.ndindex(2, 2, 3):
        e = np.exp(xa[n, :, h, w])
        np.testing.assert_allclose(sm[n, :, h, w], e / e.sum(), rtol=1e-12)
        np.testing.assert_allclose(lsm[n, :, h, w], np.log(e / e.sum()), rtol=1e-12)
    with pytest.raises(ValueError, match='1-D or 2-D or 3-D or 4-D'):
        nn.SpatialSoftMax().forward(lg.randn(1, 2, 2, 2, 2))


@pytest.mark.gpu
@pytest.mark.parametrize('cls', [nn.SpatialSoftMax, nn.SpatialLogSoftMax])
def test_spatial_softmax_half_sums_in_float_as_thcunn(cls):
    """THCUNN's LogSoftMax.cu and SoftMax.cu sum a CudaHalfTensor's 256 planes in float (AccumT): output and
    gradInput stay within two half spacings (cunn test.lua's half_max_error) of the double result on the same
    half inputs (sums rounded to half at each step drift by several)."""
    x = lg.randn(4, 256, 8, 8).cudaHalf()
    go = lg.randn(4, 256, 8, 8).cudaHalf()
    ref = cls().double()
    ref.forward(x.double())
    ref.backward(x.double(), go.double())
    m = cls().cudaHalf()
    m.forward(x)
    m.backward(x, go)
    for got, want in ((m.output, ref.output), (m.gradInput, ref.gradInput)):
        spacing = 2.0 ** (np.floor(np.log2(lg.abs(want).max())) - 10)
        assert (got.double() - want).abs().max() <= 2 * spacing
