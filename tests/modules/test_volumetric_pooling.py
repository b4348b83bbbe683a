"""VolumetricMaxPooling, VolumetricDilatedMaxPooling, VolumetricAveragePooling, VolumetricMaxUnpooling,
VolumetricFractionalMaxPooling."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, nn
from tests.checks import standard_tests


def _unpool():
    pool = nn.VolumetricMaxPooling(2, 2, 2).double()
    pool.forward(lg.randn(2, 2, 4, 4, 4).double())
    return nn.VolumetricMaxUnpooling(pool)


def _fixed_fractional():
    """Pooling regions drawn once, before the module is copied: a CUDA twin then pools the same regions (its
    own generator would draw others)."""
    pool = nn.VolumetricFractionalMaxPooling(2, 2, 2, 2, 3, 2).fixPoolingRegions()
    pool.forward(lg.randn(2, 2, 5, 5, 4))
    return pool


CASES = [
    pytest.param(lambda: nn.VolumetricMaxPooling(2, 2, 2), (2, 4, 4, 4), id='max-nobatch'),
    pytest.param(lambda: nn.VolumetricMaxPooling(2, 3, 2, 2, 2, 1, 1, 1, 0).ceil(), (2, 2, 5, 4, 5), id='max-ceil-pad'),
    pytest.param(lambda: nn.VolumetricDilatedMaxPooling(2, 2, 2, 1, 1, 2, 1, 0, 1, 2, 1, 2), (1, 2, 4, 4, 5),
                 id='dilated'),
    pytest.param(lambda: nn.VolumetricAveragePooling(2, 2, 2), (2, 4, 4, 4), id='avg'),
    pytest.param(lambda: cudnn.VolumetricAveragePooling(2, 3, 2, 1, 2, 1, 1, 1, 0), (2, 1, 3, 4, 5),
                 id='avg-stride-pad'),
    pytest.param(lambda: cudnn.VolumetricAveragePooling(2, 1, 3, 1, 2, 3, 1, 0, 0).ceil(), (1, 1, 5, 7, 3),
                 id='avg-ceil'),
    pytest.param(_unpool, (2, 2, 2, 2, 2), id='unpool'),
    pytest.param(_fixed_fractional, (2, 2, 5, 5, 4), id='fractional'),
]


def _build(case):
    make, shape = case
    return make(), lg.randn(*shape)


test_jacobian, test_type_roundtrip, test_gpu_matches_cpu = standard_tests(CASES, _build)


def reference_pool(x, k, s, p, d, ceil, reduce):
    """Nested loops over every output: Torch7's size rule and window clipping (padding never counts in max; a mean
    divides by the window clipped to the padded input, as THNN's VolumetricAveragePooling.c)."""
    n, c, *size = x.shape
    outs = []
    for a in range(3):
        room = size[a] + 2 * p[a] - d[a] * (k[a] - 1) - 1
        o = (math.ceil(room / s[a]) if ceil else room // s[a]) + 1
        if ceil and (o - 1) * s[a] >= size[a] + p[a]:
            o -= 1
        outs.append(o)
    y = np.zeros((n, c, *outs))
    idx = np.zeros((n, c, *outs), dtype=np.int64)
    for i in np.ndindex(n, c, *outs):
        vals, where, inside_padding = [], [], 0
        for kk in np.ndindex(*k):
            pos = [i[2 + a] * s[a] - p[a] + kk[a] * d[a] for a in range(3)]
            inside_padding += all(-p[a] <= pos[a] < size[a] + p[a] for a in range(3))
            if all(0 <= pos[a] < size[a] for a in range(3)):
                vals.append(x[(i[0], i[1]) + tuple(pos)])
                where.append((pos[0] * size[1] + pos[1]) * size[2] + pos[2])
            else:
                vals.append(0.0 if reduce == 'mean' else -np.inf)
                where.append(-1)
        if reduce == 'mean':
            y[i] = sum(vals) / inside_padding
        else:
            j = int(np.argmax(vals))
            y[i], idx[i] = vals[j], where[j]
    return y, idx


@pytest.mark.parametrize('args,ceil,shape', [
    ((2, 2, 2), False, (2, 2, 4, 5, 4)),
    ((2, 3, 2, 2, 2, 1, 1, 1, 0), True, (1, 2, 5, 4, 5)),
    ((3, 2, 2, 2, 1, 2), True, (1, 1, 6, 4, 5)),
])
def test_max_pooling_matches_nested_loops(args, ceil, shape):
    m = nn.VolumetricMaxPooling(*args)
    if ceil:
        m.ceil()
    x = lg.randn(*shape).double()
    want, idx = reference_pool(x.numpy(), (m.kT, m.kH, m.kW), (m.dT, m.dH, m.dW), (m.padT, m.padH, m.padW),
                               (1, 1, 1), ceil, 'max')
    np.testing.assert_allclose(m.forward(x).numpy(), want)
    np.testing.assert_array_equal(m.indices.numpy(), idx)
    assert m.indices.type() == 'legonn.LongTensor'


def test_dilated_max_pooling_matches_nested_loops():
    m = nn.VolumetricDilatedMaxPooling(2, 2, 2, 1, 2, 1, 1, 1, 0, 2, 1, 2).ceil()
    x = lg.randn(2, 6, 5, 6).double()
    want, idx = reference_pool(x.numpy()[None], (2, 2, 2), (1, 1, 2), (1, 0, 1), (2, 2, 1), True, 'max')
    np.testing.assert_allclose(m.forward(x).numpy(), want[0])
    np.testing.assert_array_equal(m.indices.numpy(), idx[0])


@pytest.mark.parametrize('ceil,shape', [(False, (2, 2, 3, 4, 5)), (True, (1, 1, 5, 3, 6))])
def test_average_pooling_matches_nested_loops(ceil, shape):
    m = cudnn.VolumetricAveragePooling(2, 3, 2, 1, 2, 1, 1, 1, 0)   # nn's constructor takes no padding
    if ceil:   # windows overhanging the padded input divide by the part inside it
        m.ceil()
    x = lg.randn(*shape).double()
    want, _ = reference_pool(x.numpy(), (2, 2, 3), (1, 1, 2), (1, 0, 1), (1, 1, 1), ceil, 'mean')
    np.testing.assert_allclose(m.forward(x).numpy(), want, rtol=1e-12)


def test_unpooling_inverts_pooling_on_its_maxima():
    pool = nn.VolumetricMaxPooling(2, 2, 2)
    unpool = nn.VolumetricMaxUnpooling(pool)
    x = lg.randn(2, 3, 4, 4, 6)
    y = pool.forward(x)
    z = unpool.forward(y).numpy()
    xa = x.numpy()
    kept = z != 0
    np.testing.assert_array_equal(z[kept], xa[kept])
    assert kept.sum() == y.nElement()
    # each 2x2x2 block keeps exactly its maximum
    blocks = xa.reshape(2, 3, 2, 2, 2, 2, 3, 2).max(axis=(3, 5, 7))
    np.testing.assert_array_equal(blocks, y.numpy())
    assert repr(unpool) == 'nn.VolumetricMaxUnpooling associated to nn.VolumetricMaxPooling(2x2x2, 2,2,2)'


def test_unpooling_rejects_mismatched_pooling():
    with pytest.raises(ValueError, match='kernel must equal its stride'):
        nn.VolumetricMaxUnpooling(nn.VolumetricMaxPooling(3, 3, 3, 2, 2, 2))
    with pytest.raises(ValueError, match='expected a VolumetricMaxPooling'):
        nn.VolumetricMaxUnpooling(nn.VolumetricAveragePooling(2, 2, 2))
    pool = nn.VolumetricMaxPooling(2, 2, 2)
    unpool = nn.VolumetricMaxUnpooling(pool)
    with pytest.raises(ValueError, match='has run forward'):
        unpool.forward(lg.randn(1, 2, 2, 2))
    pool.forward(lg.randn(1, 4, 4, 4))
    with pytest.raises(ValueError, match=r"VolumetricMaxUnpooling.*expected an input of the pooling output's size "
                                         r"\(1, 2, 2, 2\), got \(1, 3, 2, 2\)"):
        unpool.forward(lg.randn(1, 3, 2, 2))


def test_fractional_pooling_follows_torch7_intervals():
    m = nn.VolumetricFractionalMaxPooling(2, 2, 2, 3, 2, 2)
    x = lg.randn(1, 2, 5, 4, 6).double()   # read as (planes, H, W, T), as Torch7
    out = m.forward(x).numpy()
    assert out.shape == (1, 2, 2, 2, 3)
    u = m.randomSamples.numpy()

    def starts(sample, n_in, n_out, pool):
        alpha = (n_in - pool) / (n_out - 1)
        seq = [int((i + sample) * alpha) - int(sample * alpha) for i in range(n_out - 1)]
        return seq + [n_in - pool]

    xa = x.numpy()
    for b, c in np.ndindex(1, 2):
        st, sw, sh = (starts(u[b, c, 0], 6, 3, 2), starts(u[b, c, 1], 4, 2, 2), starts(u[b, c, 2], 5, 2, 2))
        for i, j, k in np.ndindex(2, 2, 3):
            block = xa[b, c, sh[i]:sh[i] + 2, sw[j]:sw[j] + 2, st[k]:st[k] + 2]
            assert out[b, c, i, j, k] == block.max()


def test_fractional_pooling_ratios_and_fixed_regions():
    m = nn.VolumetricFractionalMaxPooling(2, 2, 2, 0.5, 0.5, 0.5)
    x = lg.randn(2, 8, 8, 8)
    assert tuple(m.forward(x).size()) == (2, 4, 4, 4)
    m.fixPoolingRegions()
    first = m.forward(x).clone()
    np.testing.assert_array_equal(m.forward(x).numpy(), first.numpy())
    with pytest.raises(ValueError, match='ratios'):
        nn.VolumetricFractionalMaxPooling(2, 2, 2, 0.5, 1.5, 0.5)
    with pytest.raises(ValueError, match='at least 2'):
        nn.VolumetricFractionalMaxPooling(1, 2, 2, 2, 2, 2)


def test_fractional_init_sample_buffer():
    """VolumetricFractionalMaxPooling.lua's initSampleBuffer_: samples (N, C, 3) of the input's type, (1, C, 3)
    for one volume, redrawn at each call unless fixPoolingRegions(), used by the next forward, and drawn anew for
    another batch size."""
    m = nn.VolumetricFractionalMaxPooling(2, 2, 2, 0.5, 0.5, 0.5)
    x = lg.rand(3, 8, 8, 8)
    u = m.initSampleBuffer_(x)
    assert u is m.randomSamples and u.type() == x.type() and tuple(u.size()) == (1, 3, 3)
    drawn = u.clone()
    assert m.initSampleBuffer_(x) is u and not u.equal(drawn)      # a fresh draw in place
    m.fixPoolingRegions()
    drawn = u.clone()
    m.initSampleBuffer_(x)
    m.forward(x)
    assert m.randomSamples.equal(drawn)
    assert tuple(m.initSampleBuffer_(lg.rand(2, 3, 8, 8, 8)).size()) == (2, 3, 3)


@pytest.mark.parametrize('cls', [nn.VolumetricMaxPooling, cudnn.VolumetricAveragePooling])
def test_bad_construction(cls):
    with pytest.raises(ValueError, match='at most half the kernel'):
        cls(2, 2, 2, 1, 1, 1, 2, 0, 0)
    with pytest.raises(ValueError, match='kT must be a positive integer'):
        cls(0, 2, 2)
    with pytest.raises(ValueError, match='dW must be a positive integer'):
        cls(2, 2, 2, 1, -1, 1)


def test_bad_inputs_name_module():
    m = nn.VolumetricMaxPooling(3, 3, 3)
    with pytest.raises(ValueError, match=r'VolumetricMaxPooling\(3x3x3, 3,3,3\): expected an input of at least '
                                         r'\(3, 3, 3\).*got \(2, 4, 4\)'):
        m.forward(lg.randn(1, 2, 4, 4))
    with pytest.raises(ValueError, match='4-D or 5-D'):
        m.forward(lg.randn(4, 4, 4))
    m.forward(lg.randn(1, 3, 3, 3))
    with pytest.raises(ValueError, match='gradOutput of size'):
        m.backward(lg.randn(1, 3, 3, 3), lg.randn(1, 1, 1, 2))




@pytest.mark.gpu
@pytest.mark.parametrize('cls, k', [(nn.VolumetricMaxPooling, 3), (nn.VolumetricAveragePooling, 2)])
def test_half_gradients_sum_overlapping_windows_in_float(cls, k):
    """A CudaHalfTensor's gradInput adds the gradients of overlapping windows in float32 and rounds once (THC's
    accreal for half is float): stride 1 stacks k^3 windows on an inner element, whose sum in half lost a
    rounding each and missed cunn test.lua's half tolerance. It is the CudaTensor's gradInput of the same
    half values, rounded to half (average pooling's divisor 8 divides half values exactly)."""
    x = lg.Tensor(2, 9, 9, 9).uniform(-1, 1).type('torch.CudaHalfTensor')
    half = cls(k, k, k, 1, 1, 1).type('torch.CudaHalfTensor')
    gradOutput = half.forward(x).clone().uniform(-1, 1)
    gi_half = half.backward(x, gradOutput)
    single = cls(k, k, k, 1, 1, 1).type('torch.CudaTensor')
    single.forward(x.type('torch.CudaTensor'))
    gi_single = single.backward(x.type('torch.CudaTensor'), gradOutput.type('torch.CudaTensor'))
    assert lg.equal(gi_half, gi_single.type('torch.CudaHalfTensor'))


def test_fractional_pooling_skips_nan_as_thnn():
    """VolumetricFractionalMaxPooling.c keeps a value only when ``val > maxVal``: NaNs never win over a number.
    legonn's argmax took the first NaN. A window of NaNs and -infs fails THNN's ``THAssert(maxVal != -THInf)``:
    legonn raises too (it gave NaN or -inf)."""
    m = nn.VolumetricFractionalMaxPooling(2, 2, 2, 2, 2, 2).double().fixPoolingRegions()
    x = lg.zeros(1, 4, 4, 4).double()
    m.initSampleBuffer_(x).fill(0)                  # alpha = 2: every axis' windows start at 0 and 2
    a = x.numpy()
    a[0, 0, 0, 0], a[0, 0, 1, 1], a[0, 1, 1, 0] = np.nan, 3.0, 4.0     # window (0, 0, 0): NaN first, max 4
    y = m.forward(x).numpy()
    assert y[0, 0, 0, 0] == 4.0 and y[0, 1, 0, 0] == 0.0
    assert m.indices.numpy()[0, 0, 0, 0] == (1 * 4 + 1) * 4 + 0       # flat (h, w, t) of the 4
    g = m.backward(x, lg.ones(1, 2, 2, 2).double()).numpy()
    assert g[0, 1, 1, 0] == 1 and g[0, 0, 0, 0] == 0
    for fill in (np.nan, -np.inf):
        a[0, 2:, 2:, 2:] = fill                                         # window (1, 1, 1): no maximum
        a[0, 3, 3, 3] = np.nan
        with pytest.raises(ValueError, match=r'VolumetricFractionalMaxPooling.*expected every pooling window to '
                                             r'hold a number above -inf.*a window of only NaN and -inf'):
            m.forward(x)


def test_fractional_pooling_intervals_in_float32_as_thnn():
    """THNN computes the window starts in ``real``: for a FloatTensor, (i + u) * alpha rounds in float32. With
    alpha = 2 and u the largest float32 below 1, 1 + u rounds to 2 in float32, so the second window starts at
    floor(2 * 2) - floor(2u) = 4 - 1 = 3, not floor(3.9999999) - 1 = 2 (legonn's float64 arithmetic)."""
    u = np.nextafter(np.float32(1), np.float32(0))
    assert np.float32(1) + u == np.float32(2) and np.floor((1 + np.float64(u)) * 2) == 3
    m = nn.VolumetricFractionalMaxPooling(2, 2, 2, 3, 3, 3).fixPoolingRegions()   # 6 -> 3 with pool 2: alpha 2
    x = lg.from_numpy(np.arange(216, dtype=np.float32).reshape(1, 6, 6, 6))     # increasing: a window's max
    m.initSampleBuffer_(x).fill(float(u))                                          # is its last corner
    y = m.forward(x).numpy()
    starts = [0, 3, 4]                              # floor((i + u) * 2) - floor(2u) in float32, the last 6 - 2
    expected = np.array([[[(h + 1) * 36 + (w + 1) * 6 + (t + 1) for t in starts] for w in starts] for h in starts])
    np.testing.assert_array_equal(y[0], expected)
