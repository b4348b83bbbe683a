"""Spatial pooling and unpooling: Jacobians, nested-loop NumPy references, types, GPU, errors."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip
from tests.checks import launch_counting, on_gpu


def double(x):
    return lg.from_numpy(np.ascontiguousarray(x, dtype=np.float64))


def out_size(size, k, s, p, d, ceil):
    room = size + 2 * p - (d * (k - 1) + 1)
    n = (math.ceil(room / s) if ceil else math.floor(room / s)) + 1
    if (n - 1) * s >= size + p:   # no window may start past the input (THNN checks this only when padded)
        n -= 1
    return n


def ref_max(x, k, s, p, d=(1, 1), ceil=False):
    """Max over in-range window elements, plus Torch7's flat index of the winner."""
    n, c, h, w = x.shape
    oh, ow = out_size(h, k[0], s[0], p[0], d[0], ceil), out_size(w, k[1], s[1], p[1], d[1], ceil)
    y = np.full((n, c, oh, ow), -np.inf)
    idx = np.zeros((n, c, oh, ow), dtype=np.int64)
    for b in range(n):
        for pl in range(c):
            for i in range(oh):
                for j in range(ow):
                    for a in range(k[0]):
                        for e in range(k[1]):
                            r, q = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + e * d[1]
                            if 0 <= r < h and 0 <= q < w and x[b, pl, r, q] > y[b, pl, i, j]:
                                y[b, pl, i, j], idx[b, pl, i, j] = x[b, pl, r, q], r * w + q
    return y, idx


def ref_avg(x, k, s, p, ceil, include_pad):
    n, c, h, w = x.shape
    oh, ow = out_size(h, k[0], s[0], p[0], 1, ceil), out_size(w, k[1], s[1], p[1], 1, ceil)
    y = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, q0 = i * s[0] - p[0], j * s[1] - p[1]
            r1, q1 = min(r0 + k[0], h + p[0]), min(q0 + k[1], w + p[1])
            size = (r1 - r0) * (q1 - q0)
            r0, q0, r1, q1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, w)
            total = x[:, :, r0:r1, q0:q1].sum(axis=(2, 3))
            y[:, :, i, j] = total / (size if include_pad else (r1 - r0) * (q1 - q0))
    return y


POOLS = {
    'max': lambda: nn.SpatialMaxPooling(2, 2),
    'max-pad-ceil': lambda: nn.SpatialMaxPooling(3, 2, 2, 1, 1, 1).ceil(),
    'dilated-max': lambda: nn.SpatialDilatedMaxPooling(2, 2, 1, 2, 1, 0, 2, 1),
    'avg': lambda: nn.SpatialAveragePooling(2, 3),
    'avg-pad-ceil': lambda: nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1).ceil(),
    'avg-exclude-pad': lambda: nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1).setCountExcludePad(),
    'lp': lambda: nn.SpatialLPPooling(2, 2, 2, 2),
    'lp3': lambda: nn.SpatialLPPooling(2, 3, 2, 3, 1, 2),
    'subsampling': lambda: nn.SpatialSubSampling(2, 2, 3, 1, 2),
    'adaptive-max': lambda: nn.SpatialAdaptiveMaxPooling(3, 2),
    'adaptive-avg': lambda: nn.SpatialAdaptiveAveragePooling(4, 3),
    'fractional': lambda: nn.SpatialFractionalMaxPooling(2, 2, 3, 2).fixPoolingRegions(),
    'fractional-ratio': lambda: nn.SpatialFractionalMaxPooling(2, 3, 0.5, 0.5).fixPoolingRegions(),
}
POSITIVE = {'lp', 'lp3'}   # Lp norms of windows need positive inputs to be differentiable


@pytest.mark.parametrize('name', sorted(POOLS))
def test_jacobian_batch_and_single(name):
    lo = 0.5 if name in POSITIVE else -2
    assert_jacobian(POOLS[name](), lg.randn(2, 2, 7, 6), minval=lo)
    assert_jacobian(POOLS[name](), lg.randn(2, 7, 6), minval=lo)


@pytest.mark.parametrize('name', sorted(POOLS))
def test_type_roundtrip(name):
    assert_type_roundtrip(POOLS[name](), lg.rand(2, 2, 7, 6))


@pytest.mark.gpu
@pytest.mark.parametrize('name', sorted(POOLS))
def test_gpu_matches_cpu(name, monkeypatch):
    x = lg.rand(2, 2, 7, 6).add(0.5)
    if name.startswith('fractional'):
        pytest.skip('random regions differ between the twins; checked by test_fractional_gpu')
    assert_gpu_matches_cpu(POOLS[name](), x)
    monkeypatch.setenv('LEGONN_GENERIC_KERNELS', '1')
    assert_gpu_matches_cpu(POOLS[name](), x)



@pytest.mark.gpu
@pytest.mark.parametrize('name', ['avg', 'avg-pad-ceil', 'avg-exclude-pad', 'max-pad-ceil'])
def test_on_the_gpu_one_launch_each_way(name):
    """Average pooling's RawKernels sum each window and divide it in one launch (the array code made one a kernel
    offset, and the divisor's), as max pooling's do."""
    counting = launch_counting()
    m = POOLS[name]().cuda()
    x = lg.rand(2, 2, 7, 6).cuda()
    for _ in range(2):   # the second forward and backward are counted, kernels built by the first
        with counting() as forward_counts:
            y = m.forward(x)
        with counting() as backward_counts:
            m.backward(x, y)
    kind = 'max' if name.startswith('max') else 'avg'
    launches = [{op: n for op, n in counts.items() if not op.startswith(('view:', 'no-op:'))}
                for counts in (forward_counts, backward_counts)]
    assert launches == [{f'kernel {kind}_pool_forward': 1}, {f'kernel {kind}_pool_backward': 1}], launches

@pytest.mark.gpu
def test_fractional_gpu():
    m = nn.SpatialFractionalMaxPooling(2, 2, 3, 3).double()
    x = lg.rand(2, 2, 7, 6).double()
    y = m.forward(x).clone()
    gpu = on_gpu(m.clone()).fixPoolingRegions()
    np.testing.assert_allclose(gpu.forward(on_gpu(x)).array.get(), y.numpy())


@pytest.mark.gpu
def test_fractional_init_sample_buffer_gpu():
    """initSampleBuffer_ (cunn's test.lua calls it): samples (N, C, 2) of the input's type, (1, C, 2) for one
    image, kept by fixPoolingRegions and used by the next forward; redrawn for another batch size."""
    m = nn.SpatialFractionalMaxPooling(2, 2, 3, 3).cuda().fixPoolingRegions()
    x = on_gpu(lg.rand(3, 7, 6))
    u = m.initSampleBuffer_(x)
    assert u is m.randomSamples and u.type() == 'torch.CudaTensor' and tuple(u.size()) == (1, 3, 2)
    drawn = u.array.get().copy()
    assert m.initSampleBuffer_(x) is u
    np.testing.assert_array_equal(u.array.get(), drawn)          # fixed regions: no new draw
    m.forward(x)
    np.testing.assert_array_equal(m.randomSamples.array.get(), drawn)
    assert tuple(m.initSampleBuffer_(on_gpu(lg.rand(2, 3, 7, 6))).size()) == (2, 3, 2)


@pytest.mark.parametrize('k, s, p, d, ceil', [((2, 2), (2, 2), (0, 0), (1, 1), False),
                                              ((3, 2), (2, 1), (1, 1), (1, 1), True),
                                              ((2, 3), (2, 2), (1, 0), (1, 1), True),
                                              ((2, 2), (1, 2), (1, 0), (2, 1), False),
                                              ((3, 3), (3, 3), (0, 0), (1, 1), True)])
def test_max_pooling_matches_loops(k, s, p, d, ceil):
    m = nn.SpatialDilatedMaxPooling(k[1], k[0], s[1], s[0], p[1], p[0], d[1], d[0])
    if ceil:
        m.ceil()
    x = np.random.default_rng(0).standard_normal((2, 2, 7, 8))
    y = m.double().forward(double(x)).numpy()
    ref, idx = ref_max(x, k, s, p, d, ceil)
    np.testing.assert_array_equal(y, ref)
    np.testing.assert_array_equal(m.indices.numpy(), idx)
    go = np.random.default_rng(1).standard_normal(y.shape)
    gi = m.backward(double(x), double(go)).numpy()
    want = np.zeros_like(x).reshape(2, 2, -1)
    for b in range(2):
        for c in range(2):
            np.add.at(want[b, c], idx[b, c].ravel(), go[b, c].ravel())
    np.testing.assert_allclose(gi, want.reshape(x.shape))
    np.testing.assert_array_equal(m.forward(double(x[0])).numpy(), ref[0])


def test_max_pooling_defaults_and_nan():
    m = nn.SpatialMaxPooling(3, 2)
    assert (m.dW, m.dH) == (3, 2) and repr(m) == 'nn.SpatialMaxPooling(3x2, 3,2)'
    x = lg.Tensor([[[1.0, float('nan')], [3.0, 2.0]]])
    assert float(nn.SpatialMaxPooling(2, 2).forward(x).numpy().ravel()[0]) == 3.0


def _nan_rows():
    nan = float('nan')
    return lg.Tensor([[[2.0, 5.0, nan, 0.0, nan, nan],
                       [5.0, 1.0, 1.0, nan, nan, nan]]])


def _check_ties_first_nan_never(m, x, host):
    y = host(m.forward(x)).ravel()
    assert y[0] == 5.0 and y[1] == 1.0 and y[2] == -math.inf
    assert host(m.indices).ravel().tolist() == [1, 8, -1]
    g = host(m.backward(x, x.new(1, 1, 3).fill(1))).ravel()
    assert g.tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]   # the all-NaN window: no gradient, as THNN


def test_max_pooling_ties_go_to_the_first_and_nan_never_wins_as_thnn():
    """THNN's SpatialDilatedMaxPooling.c (and THCUNN's) keep a value only when ``val > maxval``, from
    ``maxval = -inf``: the first of equal maxima, never a NaN; a window of NaNs gives -inf and index -1, which
    backward skips. legonn let NaN win, then gave that window's gradient to its first element."""
    _check_ties_first_nan_never(nn.SpatialMaxPooling(2, 2), _nan_rows(), lambda t: t.numpy())


@pytest.mark.gpu
def test_max_pooling_nan_never_wins_gpu():
    _check_ties_first_nan_never(nn.SpatialMaxPooling(2, 2).cuda(), on_gpu(_nan_rows()), lambda t: t.array.get())


def test_max_pooling_family_skips_nan_as_thnn():
    """TemporalMaxPooling.c, VolumetricDilatedMaxPooling.c and SpatialAdaptiveMaxPooling.c test ``val > maxval``
    too: the NaN beside the 3 never wins, and the gradient goes to the 3."""
    nan = float('nan')
    t = nn.TemporalMaxPooling(2).double()
    x = lg.Tensor([[nan], [3.0], [1.0], [nan]]).double()
    assert t.forward(x).numpy().ravel().tolist() == [3.0, 1.0]
    assert t.backward(x, lg.ones(2, 1).double()).numpy().ravel().tolist() == [0, 1, 1, 0]
    v = nn.VolumetricMaxPooling(1, 2, 2).double()
    x = lg.Tensor([[[[nan, 1.0], [3.0, nan]]]]).double()
    assert v.forward(x).numpy().ravel().tolist() == [3.0]
    assert v.backward(x, lg.ones(1, 1, 1, 1).double()).numpy().ravel().tolist() == [0, 0, 1, 0]
    a = nn.SpatialAdaptiveMaxPooling(1, 1).double()
    x = lg.Tensor([[[nan, 1.0], [3.0, nan]]]).double()
    assert a.forward(x).numpy().ravel().tolist() == [3.0]
    assert a.backward(x, lg.ones(1, 1, 1).double()).numpy().ravel().tolist() == [0, 0, 1, 0]


def _no_maximum_windows():
    """Per pooling module: (module, input, gradOutput ones, expected output, indices, gradInput) where the first
    window holds only NaN and -inf (no winner: output -inf, index -1, no gradient, as THNN) and the second a 2."""
    nan, inf = float('nan'), math.inf
    row = [nan, -inf, 2.0, nan]
    return [(nn.SpatialMaxPooling(2, 1), lg.Tensor([[row]]), [-1, 2], [0, 0, 1, 0]),
             (nn.SpatialDilatedMaxPooling(2, 1, 2, 1, 0, 0, 1, 1), lg.Tensor([[row]]), [-1, 2], [0, 0, 1, 0]),
             (nn.VolumetricMaxPooling(1, 2, 1), lg.Tensor([[[row]]]), [-1, 2], [0, 0, 1, 0]),
             (nn.TemporalMaxPooling(2), lg.Tensor(row).view(4, 1), [-1, 0], [0, 0, 1, 0]),
             (nn.SpatialAdaptiveMaxPooling(2, 1), lg.Tensor([[row]]), [-1, 2], [0, 0, 1, 0])]


@pytest.mark.parametrize('case', range(5), ids=['max', 'dilated', 'volumetric', 'temporal', 'adaptive'])
@pytest.mark.parametrize('device', ['cpu', pytest.param('gpu', marks=pytest.mark.gpu)])
def test_max_pooling_window_without_maximum_has_index_minus_one_and_no_gradient(case, device):
    """THNN's SpatialDilatedMaxPooling.c, TemporalMaxPooling.c, VolumetricDilatedMaxPooling.c keep ``maxindex = -1``
    when no value beats ``maxval = -inf`` (a window of NaNs and -infs) and backward skips -1. legonn stored offset
    0 and sent that window's gradient to its first element. (THNN's SpatialAdaptiveMaxPooling starts from
    -FLT_MAX and splits its -1 into row 0, column -1, a neighbour: legonn keeps -inf and -1 there too.)"""
    m, x, indices, grad = _no_maximum_windows()[case]
    m, x = m.double(), x.double()
    host = lambda t: t.numpy()
    if device == 'gpu':
        m, x, host = m.cuda(), on_gpu(x), (lambda t: t.array.get())
    y = host(m.forward(x)).ravel()
    assert y.tolist() == [-math.inf, 2.0]
    assert host(m.indices).ravel().tolist() == indices
    g = host(m.backward(x, m.output.clone().fill(1))).ravel()
    assert g.tolist() == grad


@pytest.mark.parametrize('device', ['cpu', pytest.param('gpu', marks=pytest.mark.gpu)])
def test_unpooling_refuses_index_minus_one_as_thnn(device):
    """THNN's SpatialMaxUnpooling.c and VolumetricMaxUnpooling.c raise "found an invalid max index" for an index
    outside the plane; a -1 from a window without maximum made legonn write into the previous plane's end."""
    nan = float('nan')
    x = lg.Tensor([[[nan, nan, 2.0, 1.0]], [[1.0, 2.0, 3.0, 4.0]]]).double()
    for pool, unpool, inp in ((nn.SpatialMaxPooling(2, 1), nn.SpatialMaxUnpooling, x),
                              (nn.VolumetricMaxPooling(1, 1, 2), nn.VolumetricMaxUnpooling, x.view(2, 1, 4, 1))):
        pool, unpool = pool.double(), unpool(pool).double()
        if device == 'gpu':
            pool, unpool, inp = pool.cuda(), unpool.cuda(), on_gpu(inp)
        y = pool.forward(inp)
        with pytest.raises(ValueError, match=r'Unpooling.*expected pooling indices that each name a maximum.*'
                                             r'an index -1'):
            unpool.forward(y)


@pytest.mark.parametrize('make', [lambda: nn.SpatialMaxPooling(2, 2, 3, 3),
                                  lambda: nn.SpatialDilatedMaxPooling(2, 2, 3, 3),
                                  lambda: nn.SpatialAveragePooling(2, 2, 3, 3)], ids=['max', 'dilated-max', 'avg'])
def test_ceil_without_padding_never_starts_a_window_past_the_input(make):
    # 6 = 2 windows of stride 3 and kernel 2; ceil rounds (6 - 2) / 3 up to a third window starting at 6
    m = make().ceil().double()
    x = np.random.default_rng(4).standard_normal((1, 2, 6, 6))
    y = m.forward(double(x)).numpy()
    assert y.shape == (1, 2, 2, 2)
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y, ref_max(x, (2, 2), (3, 3), (0, 0))[0] if 'Max' in type(m).__name__
                               else ref_avg(x, (2, 2), (3, 3), (0, 0), True, True))
    gi = m.backward(double(x), double(np.ones(y.shape))).numpy()
    assert np.isfinite(gi).all() and gi[..., 2, :].sum() == 0 and gi[..., 5, :].sum() == 0


@pytest.mark.parametrize('ceil, include', [(False, True), (True, True), (True, False), (False, False)])
def test_average_pooling_matches_loops(ceil, include):
    m = nn.SpatialAveragePooling(3, 2, 2, 2, 1, 1)
    m.ceil() if ceil else m.floor()
    m.setCountIncludePad() if include else m.setCountExcludePad()
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 7))
    np.testing.assert_allclose(m.double().forward(double(x)).numpy(), ref_avg(x, (2, 3), (2, 2), (1, 1), ceil, include),
                               atol=1e-12)
    assert nn.SpatialAveragePooling(2, 2).dW == 1   # Torch7's default stride is 1 here


def test_lp_and_subsampling_match_loops():
    x = np.random.default_rng(3).random((2, 2, 6, 5)) + 0.1
    lp = nn.SpatialLPPooling(2, 3, 2, 3).double()
    y = lp.forward(double(x)).numpy()
    sub = nn.SpatialSubSampling(2, 2, 3, 2, 1).double()
    z = sub.forward(double(x)).numpy()
    w, b = sub.weight.numpy(), sub.bias.numpy()
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            win = x[:, :, i * 3:i * 3 + 3, j * 2:j * 2 + 2]
            np.testing.assert_allclose(y[:, :, i, j], (win ** 3).sum(axis=(2, 3)) ** (1 / 3))
    for i in range(z.shape[2]):
        for j in range(z.shape[3]):
            win = x[:, :, i:i + 3, j * 2:j * 2 + 2]
            np.testing.assert_allclose(z[:, :, i, j], w * win.sum(axis=(2, 3)) + b)


def test_l2_pooling_passes_no_gradient_from_a_window_of_zeros():
    """nn/SpatialLPPooling.lua builds pnorm 2 as Square, SpatialAveragePooling, MulConstant(kW*kH), Sqrt, and
    THNN's Sqrt.c gives gradInput 0 where the output is 0: a window of zeros (after a ReLU, or zero padding)
    passes no gradient, where out^-1 * x would be inf * 0 = NaN. Elsewhere gradInput = gradOutput * x / out."""
    x = np.zeros((1, 2, 4))
    x[0, :, 2:] = [[3.0, -1.0], [2.0, 0.5]]          # the first 2x2 window is all zeros, the second is not
    go = np.array([[[0.7, -1.3]]])
    m = nn.SpatialLPPooling(1, 2, 2, 2).double()
    y = m.forward(double(x)).numpy()
    out = np.sqrt((x[0, :, 2:] ** 2).sum())
    np.testing.assert_allclose(y, [[[0.0, out]]], rtol=1e-15)
    gi = m.backward(double(x), double(go)).numpy()
    want = np.zeros_like(x)
    want[0, :, 2:] = -1.3 * x[0, :, 2:] / out
    np.testing.assert_allclose(gi, want, rtol=1e-14)


def test_adaptive_pooling_matches_loops():
    x = np.random.default_rng(4).standard_normal((2, 2, 7, 5))
    mx = nn.SpatialAdaptiveMaxPooling(3, 4).double().forward(double(x)).numpy()
    av = nn.SpatialAdaptiveAveragePooling(3, 4).double().forward(double(x)).numpy()
    for i in range(4):
        r0, r1 = (i * 7) // 4, -((-(i + 1) * 7) // 4)
        for j in range(3):
            q0, q1 = (j * 5) // 3, -((-(j + 1) * 5) // 3)
            np.testing.assert_allclose(mx[:, :, i, j], x[:, :, r0:r1, q0:q1].max(axis=(2, 3)))
            np.testing.assert_allclose(av[:, :, i, j], x[:, :, r0:r1, q0:q1].mean(axis=(2, 3)))


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
def test_adaptive_average_pooling_keeps_inf_and_nan_in_their_windows(tensor):
    # THNN's loops read (forward) and write (backward) only the windows holding a pixel: an inf or NaN input,
    # or an inf gradOutput, stays there (a 0/1 window matrix product spread NaN over whole rows and columns)
    x = np.random.default_rng(6).standard_normal((1, 2, 9, 7))
    x[0, 0, 1, 1], x[0, 1, 7, 5] = np.inf, np.nan
    go = np.random.default_rng(7).standard_normal((1, 2, 4, 3))
    go[0, 0, 0, 0], go[0, 1, 3, 2] = np.inf, -np.inf
    m = nn.SpatialAdaptiveAveragePooling(3, 4).type(tensor)
    out = m.forward(double(x).type(tensor)).double().numpy()
    gi = m.backward(double(x).type(tensor), double(go).type(tensor)).double().numpy()
    want, want_gi = np.zeros_like(out), np.zeros_like(x)
    for i in range(4):   # THNN's loops
        r0, r1 = (i * 9) // 4, -((-(i + 1) * 9) // 4)
        for j in range(3):
            q0, q1 = (j * 7) // 3, -((-(j + 1) * 7) // 3)
            want[:, :, i, j] = x[:, :, r0:r1, q0:q1].sum(axis=(2, 3)) / (q1 - q0) / (r1 - r0)
            want_gi[:, :, r0:r1, q0:q1] += (go[:, :, i, j] / (q1 - q0) / (r1 - r0))[:, :, None, None]
    assert np.isfinite(want).sum() == 22 and np.isfinite(want_gi).sum() == 126 - 3 * 3 * 2
    np.testing.assert_allclose(out, want, rtol=1e-13)
    np.testing.assert_allclose(gi, want_gi, rtol=1e-13)


@pytest.mark.parametrize('batch', [False, True])
def test_adaptive_average_pooling_of_a_transposed_input_is_exact(batch):
    """THNN's SpatialAdaptiveAveragePooling.c loops over strides, so a non-contiguous input gives exactly
    the contiguous copy's output and gradInput (nn/test.lua compares them with asserteq ... 0)."""
    rng = np.random.default_rng(3)
    for c, h, w, kh, kw, n in [(4, 13, 4, 1, 4, 1), (3, 15, 16, 1, 3, 3), (2, 16, 12, 4, 5, 3)]:
        a = rng.uniform(size=(n, c, h, w) if batch else (c, w, h))
        x = lg.DoubleTensor(a).transpose(0, 2).transpose(1, 3) if batch else lg.DoubleTensor(a).transpose(1, 2)
        m = nn.SpatialAdaptiveAveragePooling(kw, kh).double()
        out = m.forward(x).clone()
        outc = m.forward(x.contiguous()).clone()
        np.testing.assert_array_equal(out.numpy(), outc.numpy())
        grad = m.backward(x, out).clone()
        np.testing.assert_array_equal(grad.numpy(), m.backward(x.contiguous(), outc).numpy())


def test_fractional_pooling_regions():
    m = nn.SpatialFractionalMaxPooling(2, 2, 4, 3).double()
    x = np.random.default_rng(5).standard_normal((2, 3, 8, 9))
    y = m.forward(double(x)).numpy()
    u = m.randomSamples.numpy().copy()
    for b in range(2):
        for c in range(3):
            def starts(sample, size, out, pool):
                alpha = (size - pool) / (out - 1)
                seq = [int(np.floor((i + sample) * alpha) - np.floor(sample * alpha)) for i in range(out - 1)]
                return seq + [size - pool]
            rows, cols = starts(u[b, c, 1], 8, 3, 2), starts(u[b, c, 0], 9, 4, 2)
            for i, r in enumerate(rows):
                for j, q in enumerate(cols):
                    assert y[b, c, i, j] == x[b, c, r:r + 2, q:q + 2].max()
    m.forward(double(x))
    assert not np.array_equal(m.randomSamples.numpy(), u)   # each forward draws new regions
    fixed = m.fixPoolingRegions()
    first = fixed.forward(double(x)).numpy().copy()
    np.testing.assert_array_equal(fixed.forward(double(x)).numpy(), first)


def test_unpooling_inverts_pooling_positions():
    pool = nn.SpatialMaxPooling(2, 2, 2, 2, 1, 1)
    unpool = nn.SpatialMaxUnpooling(pool)
    assert repr(unpool) == 'nn.SpatialMaxUnpooling associated to nn.SpatialMaxPooling(2x2, 2,2, 1,1)'
    x = np.random.default_rng(6).standard_normal((2, 2, 5, 6))
    y = pool.double().forward(double(x))
    z = unpool.double().forward(y).numpy()
    assert z.shape == x.shape
    idx = pool.indices.numpy()
    want = np.zeros_like(x).reshape(2, 2, -1)
    for b in range(2):
        for c in range(2):
            want[b, c, idx[b, c].ravel()] = y.numpy()[b, c].ravel()
    np.testing.assert_array_equal(z, want.reshape(x.shape))
    assert_jacobian(nn.Sequential().add(pool).add(unpool), lg.randn(2, 2, 5, 6), params=False)
    assert_jacobian(nn.Sequential().add(pool).add(unpool), lg.randn(2, 5, 6), params=False)
    seq = nn.Sequential().add(pool).add(unpool)
    assert_type_roundtrip(seq, lg.rand(2, 2, 5, 6))


@pytest.mark.gpu
def test_unpooling_gpu():
    pool = nn.SpatialMaxPooling(2, 2)
    assert_gpu_matches_cpu(nn.Sequential().add(pool).add(nn.SpatialMaxUnpooling(pool)), lg.rand(2, 2, 4, 6))


def test_unpooling_errors():
    with pytest.raises(TypeError, match='SpatialMaxPooling'):
        nn.SpatialMaxUnpooling(nn.SpatialAveragePooling(2, 2))
    pool = nn.SpatialMaxPooling(2, 2)
    unpool = nn.SpatialMaxUnpooling(pool)
    with pytest.raises(ValueError, match='run forward first'):
        unpool.forward(lg.randn(1, 2, 2))
    pool.forward(lg.randn(1, 4, 4))
    with pytest.raises(ValueError, match=r"pooling's output size \(1, 2, 2\), got \(1, 3, 2\)"):
        nn.Sequential().add(unpool).forward(lg.randn(1, 3, 2))


@pytest.mark.parametrize('make, bad, needle', [
    (lambda: nn.SpatialMaxPooling(3, 3), lambda: lg.randn(1, 2, 2), 'at least 3x3'),
    (lambda: nn.SpatialAveragePooling(2, 2), lambda: lg.randn(4, 4), '3-D or 4-D input'),
    (lambda: nn.SpatialSubSampling(3, 2, 2), lambda: lg.randn(2, 4, 4), '3 planes'),
    (lambda: nn.SpatialFractionalMaxPooling(2, 2, 4, 4), lambda: lg.randn(1, 4, 4), 'larger than output'),
    (lambda: nn.SpatialAdaptiveMaxPooling(2, 2), lambda: lg.randn(1, 1, 1, 2, 2), '3-D or 4-D input'),
])
def test_bad_input_names_module(make, bad, needle):
    with pytest.raises(ValueError) as err:
        nn.Sequential().add(make()).forward(bad())
    assert needle in str(err.value) and str(err.value).startswith('Sequential[0] ')


def test_bad_constructor_arguments():
    for bad in [lambda: nn.SpatialMaxPooling(2, 2, 0, 1), lambda: nn.SpatialMaxPooling(2, 2, 2, 2, 2, 0),
                lambda: nn.SpatialAveragePooling(0, 2), lambda: nn.SpatialDilatedMaxPooling(2, 2, 1, 1, 0, 0, 0, 1),
                lambda: nn.SpatialLPPooling(2, -1, 2, 2), lambda: nn.SpatialFractionalMaxPooling(2, 2, 0.5, 3),
                lambda: nn.SpatialAdaptiveMaxPooling(0, 2)]:
        with pytest.raises(ValueError):
            bad()


def test_max_pooling_with_more_offsets_than_a_byte_holds():
    # 17 x 16 = 272 offsets: the winning offset no longer fits the one-byte buffer used for small kernels
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 17, 33))
    m = nn.SpatialMaxPooling(16, 17, 16, 17).double()
    y = m.forward(double(x)).numpy()
    assert m._argmax.type() == 'legonn.IntTensor' and nn.SpatialMaxPooling(2, 2)._argmax is None
    windows = x[:, :, :, :32].reshape(2, 3, 17, 2, 16).transpose(0, 1, 3, 2, 4).reshape(2, 3, 2, -1)
    np.testing.assert_array_equal(y.reshape(2, 3, 2), windows.max(-1))
    flat = windows.argmax(-1)                       # row-major within the 17 x 16 window
    want_index = (flat // 16) * 33 + flat % 16 + np.array([0, 16])
    np.testing.assert_array_equal(m.indices.numpy().reshape(2, 3, 2), want_index)
    g = m.backward(double(x), double(np.ones_like(y))).numpy()
    assert g.sum() == 12 and g.reshape(2, 3, -1)[np.arange(2)[:, None], np.arange(3), want_index[..., 0]].all()


def test_whole_float_fields_set_after_construction_are_read_as_integers():
    """dpnn's SpatialGlimpse (the old one its test.lua keeps) writes ``glimpseSize/size``, a Lua number such as
    2.0, into an average pooling's kW, kH, dW, dH; THNN reads them as integers. legonn does too, and refuses a
    fractional one naming the module and the field."""
    x = lg.randn(1, 2, 8, 8).double()
    pool = nn.SpatialAveragePooling(2, 2, 2, 2).double()
    pool.kW = pool.kH = pool.dW = pool.dH = 8 / 2
    np.testing.assert_array_equal(pool.forward(x).numpy(), nn.SpatialAveragePooling(4, 4, 4, 4).double()
                                  .forward(x).numpy())
    pool.kW = 2.5
    with pytest.raises(TypeError, match=r'SpatialAveragePooling.*\.kW.*2\.5'):
        pool.forward(x)


def _fractional_with_zero_samples(dtype_name='double'):
    """A 2x2-pool, 2x2-output SpatialFractionalMaxPooling whose samples are 0, on a 4x4 plane: alpha = 2, the
    windows start at rows / columns 0 and 2 (THNN's generateIntervals), i.e. the four 2x2 quadrants."""
    m = getattr(nn.SpatialFractionalMaxPooling(2, 2, 2, 2), dtype_name)().fixPoolingRegions()
    return m


def _nan_quadrants():
    nan = float('nan')
    return lg.Tensor([[[nan, 1.0, 0.0, 0.0],
                       [5.0, nan, 0.0, 7.0],
                       [nan, nan, 2.0, 2.0],
                       [nan, 4.0, 3.0, 3.0]]]).double()


def _check_fractional_skips_nan(m, x, host):
    m.initSampleBuffer_(x).fill(0)
    y = host(m.forward(x))
    # THNN keeps a value only when val > maxVal: NaNs are skipped
    assert y[0, 0, 0] == 5.0 and y[0, 0, 1] == 7.0 and y[0, 1, 0] == 4.0 and y[0, 1, 1] == 3.0
    assert host(m.indices)[0, 0, 0] == 4 and host(m.indices)[0, 0, 1] == 7 and host(m.indices)[0, 1, 1] == 14
    g = host(m.backward(x, x.new(1, 2, 2).fill(1)))
    assert g[0, 1, 0] == 1 and g[0, 1, 3] == 1 and g[0, 3, 2] == 1 and g[0, 0, 0] == 0 and g[0, 3, 1] == 1
    # a window of NaNs and -infs fails THNN's THAssert(maxVal != -THInf) (THCUNN's assert): legonn raises
    for fill in (float('nan'), -math.inf):
        x[0, 3, 1] = fill
        with pytest.raises(ValueError, match=r'SpatialFractionalMaxPooling.*expected every pooling window to '
                                             r'hold a number above -inf.*a window of only NaN and -inf'):
            m.forward(x)


def test_fractional_max_skips_nan_as_thnn():
    """SpatialFractionalMaxPooling.c (and THCUNN's) test ``val > maxVal``, no ``isnan``: a window's NaNs never win
    over a number. legonn took the NaN (its first or any later one), and an all-NaN window gave NaN."""
    _check_fractional_skips_nan(_fractional_with_zero_samples(), _nan_quadrants(), lambda t: t.numpy())


@pytest.mark.gpu
def test_fractional_max_skips_nan_as_thcunn_gpu():
    _check_fractional_skips_nan(_fractional_with_zero_samples().cuda(), on_gpu(_nan_quadrants()),
                                lambda t: t.array.get())


def test_fractional_pool_sizes_at_least_two():
    """SpatialFractionalMaxPooling.lua asserts poolSizeW >= 2 and poolSizeH >= 2 (as the volumetric form)."""
    with pytest.raises(ValueError, match=r'SpatialFractionalMaxPooling: pool sizes must be at least 2, got \(1, 2\)'):
        nn.SpatialFractionalMaxPooling(1, 2, 2, 2)


@pytest.mark.parametrize('exclude', [False, True])
def test_average_pooling_without_divide_scales_the_mean_as_torch7(exclude):
    """SpatialAveragePooling.lua with ``divide = false`` (models saved before the field) multiplies THNN's mean by
    kW * kH, forwards and backwards: where the divisor is not kW * kH (ceil-mode overhang, excluded padding) that
    is not the plain window sum legonn gave."""
    m = nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1).ceil().double()
    if exclude:
        m.setCountExcludePad()
    m.divide = False
    x = np.random.default_rng(3).standard_normal((1, 2, 6, 5))
    y = m.forward(double(x)).numpy()
    # windows start at -1, 1, 3, 5 (rows; the last overhangs the padded input) and -1, 1, 3 (columns)
    expected = np.zeros(y.shape)
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            r0, q0 = 2 * i - 1, 2 * j - 1
            r1, q1 = min(r0 + 3, 6 + 1), min(q0 + 3, 5 + 1)      # clipped to the padded input
            rows, cols = slice(max(r0, 0), min(r1, 6)), slice(max(q0, 0), min(q1, 5))
            count = (min(r1, 6) - max(r0, 0)) * (min(q1, 5) - max(q0, 0)) if exclude else (r1 - r0) * (q1 - q0)
            expected[..., i, j] = x[..., rows, cols].sum(axis=(2, 3)) / count * 9
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    assert_jacobian(m, double(x))


def _thnn_window(i, out, size):
    """SpatialAdaptiveMaxPooling.c:27-35's window bounds, in C's float arithmetic:
    (int)floor((float)i / out * size), (int)ceil((float)(i + 1) / out * size)."""
    f = np.float32
    return int(np.floor(f(i) / f(out) * f(size))), int(np.ceil(f(i + 1) / f(out) * f(size)))


def test_adaptive_max_pooling_bounds_windows_in_float_as_thnn():
    """25 rows to 5: THNN's (float)2 / 5 * 25 is 10, but (float)3 / 5 * 25 rounds to 15.000001, whose ceil
    makes the third window rows 10..15 (not 10..14), overlapping the fourth; its maximum and gradient follow."""
    x = np.zeros((1, 1, 25, 25))
    x[0, 0, 15, 12] = 5.0                       # row 15: in the third and fourth windows of rows
    m = nn.SpatialAdaptiveMaxPooling(5, 5).double()
    y = m.forward(double(x)).numpy()
    want = np.zeros((1, 1, 5, 5))
    want[0, 0, 2:4, 2] = 5.0
    np.testing.assert_array_equal(y, want)
    assert m.indices.numpy()[0, 0, 2, 2] == m.indices.numpy()[0, 0, 3, 2] == 15 * 25 + 12
    go = np.arange(25.0).reshape(1, 1, 5, 5)
    gi = m.backward(double(x), double(go)).numpy()
    assert gi[0, 0, 15, 12] == go[0, 0, 2, 2] + go[0, 0, 3, 2]


def _thnn_adaptive_max(x, W, H):
    """SpatialAdaptiveMaxPooling.c's scan per window, row by row: ``val > maxval`` replaces, so a NaN never
    wins; legonn starts from -inf where the C starts from -FLT_MAX, so a window of NaNs and -infs gives -inf
    and index -1 (the other max poolings' rule); (output, flat in-plane index of the kept element)."""
    n, c, h, w = x.shape
    out, idx = np.zeros((n, c, H, W)), np.zeros((n, c, H, W), dtype=np.int64)
    for b in range(n):
        for p in range(c):
            for i in range(H):
                for j in range(W):
                    best, at = -np.inf, -1
                    for y in range(*_thnn_window(i, H, h)):
                        for z in range(*_thnn_window(j, W, w)):
                            v = x[b, p, y, z]
                            if v > best:
                                best, at = v, y * w + z
                    out[b, p, i, j], idx[b, p, i, j] = best, at
    return out, idx


def _adaptive_max_awkward_input():
    """Rounded values (ties), NaNs, a plane of -inf among NaNs and an all-NaN plane."""
    rng = np.random.default_rng(8)
    x = np.round(rng.standard_normal((2, 3, 11, 9)) * 2)
    x[rng.random(x.shape) < 0.25] = np.nan
    x[0, 1] = np.where(rng.random((11, 9)) < 0.5, np.nan, -np.inf)
    x[1, 2] = np.nan
    return x


# (1, 1) and (2, 3): windows larger than the output, reduced cell by cell; (5, 6): small windows, by offsets
@pytest.mark.parametrize('W,H', [(1, 1), (2, 3), (5, 6)])
def test_adaptive_max_pooling_scans_as_thnn(W, H):
    x = _adaptive_max_awkward_input()
    m = nn.SpatialAdaptiveMaxPooling(W, H).double()
    want, at = _thnn_adaptive_max(x, W, H)
    np.testing.assert_array_equal(m.forward(double(x)).numpy(), want)
    np.testing.assert_array_equal(m.indices.numpy(), at)
    go = np.random.default_rng(9).standard_normal(want.shape)
    gi = np.zeros(x.shape).reshape(2, 3, -1)
    planes = (np.arange(2)[:, None, None], np.arange(3)[None, :, None])
    won = at.reshape(2, 3, -1) >= 0   # no winner, no gradient
    np.add.at(gi, planes + (np.where(won, at.reshape(2, 3, -1), 0),), np.where(won, go.reshape(2, 3, -1), 0))
    np.testing.assert_array_equal(m.backward(double(x), double(go)).numpy(), gi.reshape(x.shape))


@pytest.mark.gpu
@pytest.mark.parametrize('W,H', [(1, 1), (5, 6)])
def test_adaptive_max_pooling_scans_as_thnn_gpu(W, H):
    x = _adaptive_max_awkward_input()
    m = nn.SpatialAdaptiveMaxPooling(W, H).cuda()
    want, at = _thnn_adaptive_max(x.astype(np.float32), W, H)
    np.testing.assert_array_equal(m.forward(on_gpu(double(x).float())).array.get(), want)
    np.testing.assert_array_equal(m.indices.array.get(), at)


@pytest.mark.parametrize('make', [lambda: nn.SpatialMaxPooling(2, 2, 3, 3).ceil(),
                                  lambda: nn.SpatialAveragePooling(2, 2, 3, 3).ceil()])
def test_ceil_mode_without_padding_drops_a_last_window_starting_past_the_input(make):
    """docs/porting.md's row: on 6 x 6, kernel 2, stride 3, Torch7's ceil mode makes 3 x 3 (THNN trims a last
    window starting past the input only when the module pads), whose third row and column read nothing; legonn
    drops that window, padded or not, so the output is the 2 x 2 of the windows that exist."""
    x = np.random.default_rng(4).standard_normal((1, 6, 6))
    m = make().double()
    y = m.forward(double(x)).numpy()
    windows = x.reshape(1, 2, 3, 2, 3)[:, :, :2, :, :2]
    want = windows.max(axis=(2, 4)) if isinstance(m, nn.SpatialMaxPooling) else windows.mean(axis=(2, 4))
    np.testing.assert_allclose(y, want, rtol=1e-15)
