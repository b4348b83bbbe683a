"""Parity audit of legonn's pooling and normalisation modules against PyTorch (CPU, float64).

PyTorch's ``torch.nn.functional`` pooling, batch_norm, layer_norm, local_response_norm and normalize descend from
Torch7's THNN; each case runs the legonn module and the PyTorch function on one seeded input and compares the
output, gradInput, parameter gradients (with a ``scale``) and persistent state (indices, running estimates,
save_mean/save_std). Torch7 is the contract: where PyTorch changed the maths later, the test asserts that the
difference is exactly the documented one (the ``*_differs_*`` tests), citing Torch7's and PyTorch's sources.

Skipped where torch is not installed (CI); the project's audit, run where it is.
"""
import math

import numpy as np
import pytest

torch = pytest.importorskip('torch')
F = torch.nn.functional

import legonn as lg  # noqa: E402
from legonn import nn  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12


def data(seed, shape, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def lt(a, strided=False):
    """A legonn DoubleTensor holding ``a``; ``strided``: the same values seen through a transposed view of a
    contiguous buffer (last two dimensions swapped back), so the module reads a non-contiguous input."""
    a = np.asarray(a, dtype=np.float64)
    if not strided:
        return lg.from_numpy(np.ascontiguousarray(a))
    t = lg.from_numpy(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(a.ndim - 2, a.ndim - 1)
    assert not t.isContiguous()
    return t


def arr(t):
    return np.array(t.array)


def close(got, want, rtol=RTOL, atol=ATOL):
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else np.asarray(want)
    np.testing.assert_allclose(arr(got) if hasattr(got, 'array') else got, want, rtol=rtol, atol=atol)


def legonn_pass(module, x, seed=99, strided=False, scale=1.0):
    """(output, gradOutput, gradInput) of one forward and backward of ``module`` on ``x``."""
    module.double()
    inp = lt(x, strided)
    out = module.forward(inp).clone()
    go = data(seed, tuple(out.size()))
    if module.parameters():
        module.zeroGradParameters()
    gi = module.backward(inp, lt(go), scale).clone()
    return out, go, gi


def torch_pass(fn, x, go, *params):
    """(output, gradInput, parameter gradients, extra) of ``fn(x, *params)`` backpropagating ``go``; ``fn`` may
    return (output, extra), the pooling's indices, else extra is None."""
    xt = torch.tensor(x, requires_grad=True)
    ps = [None if p is None else torch.tensor(p, requires_grad=True) for p in params]
    res = fn(xt, *ps)
    out, extra = (res if isinstance(res, tuple) else (res, None))
    out.backward(torch.tensor(go))
    return out, xt.grad, [None if p is None else p.grad for p in ps], extra


def batched(fn, batch):
    """``fn`` on a batch: a non-batch (C, ...) input goes through PyTorch with a leading batch axis of one."""
    if batch:
        return fn

    def one(x, *rest):
        res = fn(x[None], *rest)
        if isinstance(res, tuple):
            return tuple(r[0] for r in res)
        return res[0]
    return one


# ---------------------------------------------------------------------------------------------------------------
# SpatialMaxPooling / SpatialDilatedMaxPooling = F.max_pool2d (indices: flat in-plane, 0-based in both)

# (input shape, kW, kH, dW, dH, padW, padH, dilationW, dilationH, ceil, strided)
MAX2D = [
    ((2, 3, 7, 9), 3, 2, 2, 1, 1, 1, 1, 1, False, False),
    ((3, 8, 8), 2, 2, 2, 2, 0, 0, 1, 1, False, False),
    ((1, 2, 7, 7), 3, 3, 2, 2, 1, 1, 1, 1, True, False),
    ((2, 2, 10, 11), 3, 3, 3, 2, 1, 1, 1, 1, True, True),
    ((2, 1, 9, 8), 2, 3, 1, 2, 1, 0, 1, 1, False, True),
    ((1, 1, 1, 1), 1, 1, 1, 1, 0, 0, 1, 1, False, False),
    ((1, 4, 5, 1), 1, 3, 1, 1, 0, 1, 1, 1, True, False),
    ((2, 3, 11, 9), 3, 2, 2, 2, 1, 1, 2, 3, False, False),
    ((3, 9, 10), 2, 3, 1, 2, 1, 1, 3, 2, True, True),
    ((1, 2, 6, 6), 2, 2, 2, 2, 0, 0, 1, 1, True, False),     # ceil that adds no window
]


@pytest.mark.parametrize('case', MAX2D, ids=[f'max2d-{i}' for i in range(len(MAX2D))])
def test_spatial_max_pooling(case):
    shape, kW, kH, dW, dH, padW, padH, dilW, dilH, ceil, strided = case
    dilated = (dilW, dilH) != (1, 1)
    m = (nn.SpatialDilatedMaxPooling(kW, kH, dW, dH, padW, padH, dilW, dilH) if dilated
         else nn.SpatialMaxPooling(kW, kH, dW, dH, padW, padH))
    if ceil:
        m.ceil()
    x = data(1, shape)
    out, go, gi = legonn_pass(m, x, strided=strided)
    fn = batched(lambda t: F.max_pool2d(t, (kH, kW), (dH, dW), (padH, padW), (dilH, dilW), ceil_mode=ceil,
                                        return_indices=True), len(shape) == 4)
    t_out, t_gi, _, t_idx = torch_pass(fn, x, go)
    close(out, t_out, 0, 0)
    close(gi, t_gi)          # overlapping windows add their gradients in another order
    np.testing.assert_array_equal(arr(m.indices), t_idx.numpy())


def test_spatial_max_pooling_ties_pick_the_first():
    """Integer-valued planes tie often: Torch7 (``val > maxval``) and PyTorch keep the first in scan order."""
    x = np.random.default_rng(3).integers(0, 3, (2, 3, 8, 7)).astype(np.float64)
    m = nn.SpatialMaxPooling(3, 3, 1, 1, 1, 1)
    out, go, gi = legonn_pass(m, x)
    t_out, t_gi, _, t_idx = torch_pass(
        lambda t: F.max_pool2d(t, 3, 1, 1, return_indices=True), x, go)
    np.testing.assert_array_equal(arr(m.indices), t_idx.numpy())
    close(gi, t_gi)


def test_spatial_max_pooling_huge_values():
    x = data(4, (1, 2, 6, 6)) * 1e300
    m = nn.SpatialMaxPooling(2, 2, 1, 1)
    out, go, gi = legonn_pass(m, x)
    t_out, t_gi, _, _ = torch_pass(lambda t: F.max_pool2d(t, 2, 1, return_indices=True), x, go)
    close(out, t_out, 0, 0)
    close(gi, t_gi, 0, 0)


# (module, input shape, PyTorch, flat input positions of the first output's window)
NAN_MAX = {
    'spatial': (lambda: nn.SpatialMaxPooling(2, 2), (1, 1, 4, 4), lambda t: F.max_pool2d(t, 2), (0, 1, 4, 5)),
    'volumetric': (lambda: nn.VolumetricMaxPooling(2, 2, 2), (1, 1, 2, 4, 4), lambda t: F.max_pool3d(t, 2),
                   (0, 1, 4, 5, 16, 17, 20, 21)),
    'adaptive': (lambda: nn.SpatialAdaptiveMaxPooling(2, 2), (1, 1, 4, 4), lambda t: F.adaptive_max_pool2d(t, 2),
                 (0, 1, 4, 5)),
    'temporal': (lambda: nn.TemporalMaxPooling(2), (1, 4, 4),
                 lambda t: F.max_pool1d(t.transpose(1, 2), 2).transpose(1, 2), (0, 4)),
}


@pytest.mark.parametrize('kind', list(NAN_MAX))
def test_max_pooling_nan_differs_from_pytorch(kind):
    """Torch7 keeps a value only when ``val > maxval`` (THNN SpatialDilatedMaxPooling.c:135, VolumetricDilated
    MaxPooling.c:175, SpatialAdaptiveMaxPooling.c:54, TemporalMaxPooling.c:116): a NaN never wins. PyTorch's
    CPU kernels take ``val > maxval || isnan(val)`` (aten/src/ATen/native/cpu/MaxPoolKernel.cpp,
    AdaptiveMaxPoolKernel.cpp): the NaN wins its window. Only the first output's window holds a NaN; the other
    outputs agree."""
    build, shape, fn, window = NAN_MAX[kind]
    x = data(5, shape)
    x.reshape(-1)[window[1]] = np.nan
    out = arr(build().double().forward(lt(x))).reshape(-1)
    t_out = fn(torch.tensor(x)).numpy().reshape(-1)
    assert np.isnan(t_out[0])
    assert out[0] == max(x.reshape(-1)[i] for i in window if i != window[1])
    np.testing.assert_array_equal(out[1:], t_out[1:])


def test_max_pooling_window_without_winner_differs_from_pytorch():
    """A window of only -inf: THNN's ``maxindex = -1`` stays (SpatialDilatedMaxPooling.c:125), legonn's index
    -1 and no gradient; PyTorch starts from the window's first position (MaxPoolKernel.cpp) and routes the
    gradient there. The output is -inf in both."""
    x = data(6, (1, 1, 4, 4))
    x[0, 0, 2:, 2:] = -np.inf
    m = nn.SpatialMaxPooling(2, 2)
    out, go, gi = legonn_pass(m, x)
    t_out, t_gi, _, t_idx = torch_pass(lambda t: F.max_pool2d(t, 2, return_indices=True), x, go)
    close(out, t_out, 0, 0)
    assert arr(m.indices)[0, 0, 1, 1] == -1 and t_idx[0, 0, 1, 1] == 2 * 4 + 2
    assert arr(gi)[0, 0, 2, 2] == 0 and t_gi[0, 0, 2, 2] == go[0, 0, 1, 1]
    keep = np.ones((4, 4), bool)
    keep[2, 2] = False
    np.testing.assert_array_equal(arr(gi)[0, 0][keep], t_gi.numpy()[0, 0][keep])


# ---------------------------------------------------------------------------------------------------------------
# SpatialAveragePooling = F.avg_pool2d

# (input shape, kW, kH, dW, dH, padW, padH, ceil, count_include_pad, divide, strided)
AVG2D = [
    ((2, 3, 7, 9), 3, 2, 2, 1, 1, 1, False, True, True, False),
    ((2, 3, 7, 9), 3, 2, 2, 1, 1, 1, False, False, True, True),
    ((1, 2, 8, 7), 3, 3, 2, 2, 1, 1, True, True, True, False),
    ((1, 2, 8, 7), 3, 3, 2, 2, 1, 1, True, False, True, False),
    ((3, 9, 10), 2, 4, 3, 3, 1, 2, True, True, True, True),
    ((3, 9, 10), 2, 4, 3, 3, 1, 2, True, False, True, True),
    ((2, 2, 5, 5), 2, 2, 1, 1, 0, 0, False, True, True, False),
    ((1, 1, 1, 1), 1, 1, 1, 1, 0, 0, False, True, True, False),
    ((1, 3, 6, 4), 4, 3, 1, 2, 2, 1, False, True, False, False),   # old saved models: divide = false
    ((1, 3, 7, 6), 3, 3, 2, 2, 1, 1, True, False, False, True),
]


@pytest.mark.parametrize('case', AVG2D, ids=[f'avg2d-{i}' for i in range(len(AVG2D))])
def test_spatial_average_pooling(case):
    shape, kW, kH, dW, dH, padW, padH, ceil, include, divide, strided = case
    m = nn.SpatialAveragePooling(kW, kH, dW, dH, padW, padH)
    if ceil:
        m.ceil()
    if not include:
        m.setCountExcludePad()
    m.divide = divide
    x = data(7, shape)
    out, go, gi = legonn_pass(m, x, strided=strided)
    # SpatialAveragePooling.lua:59-61,78-80: without ``divide`` the mean (and its gradient) times kW * kH
    factor = 1 if divide else kW * kH
    fn = batched(lambda t: F.avg_pool2d(t, (kH, kW), (dH, dW), (padH, padW), ceil, include) * factor,
                 len(shape) == 4)
    t_out, t_gi, _, _ = torch_pass(fn, x, go)
    close(out, t_out)
    close(gi, t_gi)


# ---------------------------------------------------------------------------------------------------------------
# SpatialLPPooling = F.lp_pool2d, FeatureLPPooling = F.lp_pool1d along the feature dimension

# (input shape, pnorm, kW, kH, dW, dH, low, strided)
LP2D = [
    ((2, 3, 6, 8), 2, 2, 2, 2, 2, -2.0, False),
    ((3, 7, 7), 2, 3, 2, 1, 2, -2.0, True),
    ((1, 2, 6, 6), 3, 2, 3, 2, 1, 0.1, False),
    ((2, 2, 5, 7), 1.5, 3, 3, 1, 1, 0.1, True),
    ((1, 1, 4, 4), 4, 2, 2, 2, 2, -2.0, False),
    ((1, 1, 3, 3), 1, 3, 3, 3, 3, 0.1, False),
]


@pytest.mark.parametrize('case', LP2D, ids=[f'lp2d-{i}' for i in range(len(LP2D))])
def test_spatial_lp_pooling(case):
    shape, p, kW, kH, dW, dH, low, strided = case
    m = nn.SpatialLPPooling(shape[-3], p, kW, kH, dW, dH)
    x = data(8, shape, low=low)
    out, go, gi = legonn_pass(m, x, strided=strided)
    fn = batched(lambda t: F.lp_pool2d(t, p, (kH, kW), (dH, dW)), len(shape) == 4)
    t_out, t_gi, _, _ = torch_pass(fn, x, go)
    close(out, t_out)
    close(gi, t_gi)


def test_spatial_lp_pooling_zero_window():
    """pnorm 2 ends in nn.Sqrt (SpatialLPPooling.lua:22), whose backward is 0 where the output is 0 (THNN
    Sqrt.c): a window of zeros passes no gradient; PyTorch's lp_pool2d gives 0 there too."""
    x = data(9, (1, 1, 4, 4))
    x[0, 0, :2, :2] = 0
    m = nn.SpatialLPPooling(1, 2, 2, 2)
    out, go, gi = legonn_pass(m, x)
    t_out, t_gi, _, _ = torch_pass(lambda t: F.lp_pool2d(t, 2, 2), x, go)
    assert arr(out)[0, 0, 0, 0] == 0 and np.all(arr(gi)[0, 0, :2, :2] == 0)
    close(out, t_out)
    close(gi, t_gi)


# (input shape, width, stride, power, batch_mode, strided)
FLP = [
    ((12,), 2, 2, 2.0, False, False),
    ((10, 5), 3, 1, 3.0, False, True),
    ((9, 3, 4), 4, 2, 1.5, False, False),
    ((2, 11), 2, 1, 2.0, True, False),
    ((3, 16, 2), 16, 4, 2.5, True, True),
    ((2, 8, 3, 2), 3, 3, 1.0, True, False),
    ((2, 9, 3), 3, 2, 2.0, True, True),      # signed input: x^2 needs no absolute value
]


@pytest.mark.parametrize('case', FLP, ids=[f'flp-{i}' for i in range(len(FLP))])
def test_feature_lp_pooling(case):
    shape, width, stride, power, batch_mode, strided = case
    m = nn.FeatureLPPooling(width, stride, power, batch_mode)
    x = data(10, shape, low=-2.0 if power == 2 else 0.1)
    out, go, gi = legonn_pass(m, x, strided=strided and len(shape) > 1)
    axis = 1 if batch_mode else 0

    def fn(t):
        moved = torch.movedim(t, axis, -1)                  # features last: lp_pool1d's pooled axis
        flat = moved.reshape(-1, 1, moved.shape[-1])
        pooled = F.lp_pool1d(flat, power, width, stride)
        return torch.movedim(pooled.reshape(moved.shape[:-1] + pooled.shape[-1:]), -1, axis)
    t_out, t_gi, _, _ = torch_pass(fn, x, go)
    close(out, t_out)
    close(gi, t_gi)


# ---------------------------------------------------------------------------------------------------------------
# SpatialAdaptiveAveragePooling / SpatialAdaptiveMaxPooling = F.adaptive_avg_pool2d / F.adaptive_max_pool2d

# (input shape, W, H, strided); sizes whose windows THNN's float bounds and the exact ones agree on
ADAPTIVE = [
    ((2, 3, 7, 9), 3, 2, False),
    ((3, 10, 6), 4, 5, True),
    ((1, 2, 5, 5), 5, 5, False),
    ((1, 2, 3, 4), 7, 6, False),      # more outputs than inputs: windows of one, repeated
    ((2, 1, 13, 11), 1, 1, True),     # global pooling
    ((1, 1, 1, 1), 1, 1, False),
    ((2, 2, 16, 12), 4, 4, False),
]


@pytest.mark.parametrize('case', ADAPTIVE, ids=[f'adaptive-{i}' for i in range(len(ADAPTIVE))])
def test_spatial_adaptive_average_pooling(case):
    shape, W, H, strided = case
    x = data(11, shape)
    out, go, gi = legonn_pass(nn.SpatialAdaptiveAveragePooling(W, H), x, strided=strided)
    t_out, t_gi, _, _ = torch_pass(batched(lambda t: F.adaptive_avg_pool2d(t, (H, W)), len(shape) == 4), x, go)
    close(out, t_out)
    close(gi, t_gi)


@pytest.mark.parametrize('case', ADAPTIVE, ids=[f'adaptive-{i}' for i in range(len(ADAPTIVE))])
def test_spatial_adaptive_max_pooling(case):
    shape, W, H, strided = case
    x = data(12, shape)
    m = nn.SpatialAdaptiveMaxPooling(W, H)
    out, go, gi = legonn_pass(m, x, strided=strided)
    fn = batched(lambda t: F.adaptive_max_pool2d(t, (H, W), return_indices=True), len(shape) == 4)
    t_out, t_gi, _, t_idx = torch_pass(fn, x, go)
    close(out, t_out, 0, 0)
    close(gi, t_gi, 0, 0)
    np.testing.assert_array_equal(arr(m.indices), t_idx.numpy())


def test_spatial_adaptive_max_pooling_float_windows_differ_from_pytorch():
    """THNN SpatialAdaptiveMaxPooling.c:27-35 (and THCUNN's kernel) bound the windows in float32:
    ``floor((float)i / oheight * iheight)`` .. ``ceil((float)(i + 1) / oheight * iheight)``; for 25 -> 5,
    3/5 rounds up and the third window is rows 10..15, not 10..14. PyTorch bounds them exactly in integers
    (aten/src/ATen/native/AdaptivePooling.h start_index/end_index). Every other window agrees."""
    x = data(13, (1, 2, 25, 25))
    m = nn.SpatialAdaptiveMaxPooling(5, 5)
    out = arr(m.double().forward(lt(x)))
    f32 = np.float32
    edges = [(int(np.floor(f32(f32(i) / f32(5)) * f32(25))), int(np.ceil(f32(f32(i + 1) / f32(5)) * f32(25))))
             for i in range(5)]
    assert edges == [(0, 5), (5, 10), (10, 16), (15, 20), (20, 25)]
    want = np.array([[[[x[b, c, r0:r1, q0:q1].max() for q0, q1 in edges] for r0, r1 in edges]
                      for c in range(2)] for b in range(1)])
    np.testing.assert_array_equal(out, want)
    t_out = F.adaptive_max_pool2d(torch.tensor(x), 5).numpy()
    exact = np.array([[[[x[b, c, 5 * i:5 * i + 5, 5 * j:5 * j + 5].max() for j in range(5)] for i in range(5)]
                       for c in range(2)] for b in range(1)])
    np.testing.assert_array_equal(t_out, exact)
    other = np.ones((5, 5), bool)
    other[2, :] = other[:, 2] = False
    np.testing.assert_array_equal(out[..., other], t_out[..., other])


# ---------------------------------------------------------------------------------------------------------------
# SpatialMaxUnpooling = F.max_unpool2d, VolumetricMaxUnpooling = F.max_unpool3d

# (input shape, pooling, unpooling, PyTorch's unpooling of (input, indices))
UNPOOL = {
    'spatial': ((2, 3, 8, 6), lambda: nn.SpatialMaxPooling(2, 2), nn.SpatialMaxUnpooling,
                lambda t, i: F.max_unpool2d(t, i, 2, 2, output_size=(8, 6))),
    'spatial-padded': ((3, 9, 7), lambda: nn.SpatialMaxPooling(3, 3, 3, 3, 1, 1), nn.SpatialMaxUnpooling,
                       lambda t, i: F.max_unpool2d(t[None], i[None], 3, 3, 1, output_size=(9, 7))[0]),
    'spatial-1x1': ((1, 1, 4, 4), lambda: nn.SpatialMaxPooling(1, 1), nn.SpatialMaxUnpooling,
                    lambda t, i: F.max_unpool2d(t, i, 1, 1, output_size=(4, 4))),
    'volumetric': ((2, 2, 4, 6, 4), lambda: nn.VolumetricMaxPooling(2, 3, 2), nn.VolumetricMaxUnpooling,
                   lambda t, i: F.max_unpool3d(t, i, (2, 2, 3), (2, 2, 3), output_size=(4, 6, 4))),
    'volumetric-3d': ((3, 5, 4, 6), lambda: nn.VolumetricMaxPooling(1, 2, 3), nn.VolumetricMaxUnpooling,
                      lambda t, i: F.max_unpool3d(t[None], i[None], (1, 3, 2), (1, 3, 2), output_size=(5, 4, 6))[0]),
}


@pytest.mark.parametrize('kind', list(UNPOOL))
def test_max_unpooling(kind):
    shape, build, unpool, fn = UNPOOL[kind]
    pool = build().double()
    y = arr(pool.forward(lt(data(14, shape))))
    out, go, gi = legonn_pass(unpool(pool), y)
    idx = torch.tensor(arr(pool.indices))
    t_out, t_gi, _, _ = torch_pass(lambda t: fn(t, idx), y, go)
    close(out, t_out, 0, 0)
    close(gi, t_gi, 0, 0)


# ---------------------------------------------------------------------------------------------------------------
# VolumetricMaxPooling / VolumetricDilatedMaxPooling / VolumetricAveragePooling = F.max_pool3d / F.avg_pool3d

# (input shape, (kT, kW, kH), (dT, dW, dH), (padT, padW, padH), (dilT, dilW, dilH), ceil, strided)
MAX3D = [
    ((2, 2, 5, 6, 7), (2, 3, 2), (2, 2, 1), (1, 1, 1), (1, 1, 1), False, False),
    ((3, 6, 5, 7), (3, 2, 2), (2, 2, 2), (1, 1, 0), (1, 1, 1), True, True),
    ((1, 2, 4, 4, 4), (2, 2, 2), (2, 2, 2), (0, 0, 0), (1, 1, 1), False, False),
    ((1, 1, 1, 1, 1), (1, 1, 1), (1, 1, 1), (0, 0, 0), (1, 1, 1), False, False),
    ((2, 2, 7, 8, 9), (2, 3, 2), (1, 2, 2), (1, 1, 1), (2, 2, 3), False, True),
    ((2, 7, 9, 8), (3, 2, 2), (2, 3, 2), (1, 1, 1), (2, 1, 3), True, False),
]


@pytest.mark.parametrize('case', MAX3D, ids=[f'max3d-{i}' for i in range(len(MAX3D))])
def test_volumetric_max_pooling(case):
    shape, (kT, kW, kH), (dT, dW, dH), (pT, pW, pH), (lT, lW, lH), ceil, strided = case
    if (lT, lW, lH) != (1, 1, 1):
        m = nn.VolumetricDilatedMaxPooling(kT, kW, kH, dT, dW, dH, pT, pW, pH, lT, lW, lH)
    else:
        m = nn.VolumetricMaxPooling(kT, kW, kH, dT, dW, dH, pT, pW, pH)
    if ceil:
        m.ceil()
    x = data(16, shape)
    out, go, gi = legonn_pass(m, x, strided=strided)
    fn = batched(lambda t: F.max_pool3d(t, (kT, kH, kW), (dT, dH, dW), (pT, pH, pW), (lT, lH, lW), ceil_mode=ceil,
                                        return_indices=True), len(shape) == 5)
    t_out, t_gi, _, t_idx = torch_pass(fn, x, go)
    close(out, t_out, 0, 0)
    close(gi, t_gi)          # overlapping windows add their gradients in another order
    np.testing.assert_array_equal(arr(m.indices), t_idx.numpy())


@pytest.mark.parametrize('shape,k,d,strided', [((2, 2, 5, 6, 7), (2, 3, 2), (2, 2, 1), False),
                                               ((3, 6, 5, 7), (3, 2, 2), (1, 1, 2), True),
                                               ((1, 1, 2, 2, 2), (2, 2, 2), (2, 2, 2), False)])
def test_volumetric_average_pooling(shape, k, d, strided):
    (kT, kW, kH), (dT, dW, dH) = k, d
    m = nn.VolumetricAveragePooling(kT, kW, kH, dT, dW, dH)
    x = data(17, shape)
    out, go, gi = legonn_pass(m, x, strided=strided)
    fn = batched(lambda t: F.avg_pool3d(t, (kT, kH, kW), (dT, dH, dW)), len(shape) == 5)
    t_out, t_gi, _, _ = torch_pass(fn, x, go)
    close(out, t_out)
    close(gi, t_gi)


# ---------------------------------------------------------------------------------------------------------------
# TemporalMaxPooling = F.max_pool1d over the frames of (N, T, F)

@pytest.mark.parametrize('shape,kW,dW,strided', [((2, 9, 4), 3, 2, False), ((7, 5), 2, None, True),
                                                 ((1, 6, 1), 6, 1, False), ((3, 10, 3), 1, 3, False)])
def test_temporal_max_pooling(shape, kW, dW, strided):
    m = nn.TemporalMaxPooling(kW, dW)
    x = data(18, shape)
    out, go, gi = legonn_pass(m, x, strided=strided)
    step = kW if dW is None else dW

    def fn(t):
        o, i = F.max_pool1d(t.transpose(-1, -2), kW, step, return_indices=True)
        return o.transpose(-1, -2), i.transpose(-1, -2)
    t_out, t_gi, _, t_idx = torch_pass(batched(fn, len(shape) == 3), x, go)
    close(out, t_out, 0, 0)
    close(gi, t_gi, 0, 0)
    # Torch7 keeps the winner's offset inside its window (TemporalMaxPooling.c:119), PyTorch its frame
    starts = (np.arange(t_idx.shape[-2]) * step)[:, None]
    np.testing.assert_array_equal(arr(m.indices), t_idx.numpy() - starts)


# ---------------------------------------------------------------------------------------------------------------
# SpatialFractionalMaxPooling = F.fractional_max_pool2d with the module's samples

@pytest.mark.parametrize('shape,pool,outsize', [((2, 3, 11, 9), (2, 3), (5, 4)), ((3, 10, 12), (3, 2), (4, 7)),
                                                ((1, 2, 7, 7), (2, 2), (1, 3)), ((2, 1, 8, 9), (3, 3), (6, 5))])
def test_spatial_fractional_max_pooling(shape, pool, outsize):
    (pW, pH), (oW, oH) = pool, outsize
    x = data(19, shape)
    batch = len(shape) == 4
    n, c = (shape[0] if batch else 1), shape[-3]
    samples = np.random.default_rng(20).uniform(0, 1, (n, c, 2))
    m = nn.SpatialFractionalMaxPooling(pW, pH, oW, oH).double()
    m.randomSamples = lt(samples)
    m.fixPoolingRegions()
    out, go, gi = legonn_pass(m, x)
    np.testing.assert_array_equal(arr(m.randomSamples), samples)
    fn = batched(lambda t: F.fractional_max_pool2d(t, (pH, pW), output_size=(oH, oW), return_indices=True,
                                                   _random_samples=torch.tensor(samples)), batch)
    t_out, t_gi, _, t_idx = torch_pass(fn, x, go)
    close(out, t_out, 0, 0)
    close(gi, t_gi, 0, 0)
    np.testing.assert_array_equal(arr(m.indices), t_idx.numpy())


@pytest.mark.parametrize('shape,pool,outsize', [((2, 2, 9, 8, 10), (2, 3, 2), (4, 3, 5)),
                                                ((3, 7, 9, 8), (3, 2, 2), (2, 5, 4))])
def test_volumetric_fractional_max_pooling(shape, pool, outsize):
    """Torch7 reads (planes, H, W, T) with samples (T, W, H) (VolumetricFractionalMaxPooling.c); PyTorch reads
    (planes, T, H, W) with samples (T, H, W): legonn's H, W, T axes go to PyTorch as its W, H, T."""
    (pT, pW, pH), (oT, oW, oH) = pool, outsize
    x = data(21, shape)
    batch = len(shape) == 5
    n, c = (shape[0] if batch else 1), shape[-4]
    samples = np.random.default_rng(22).uniform(0, 1, (n, c, 3))
    m = nn.VolumetricFractionalMaxPooling(pT, pW, pH, oT, oW, oH).double()
    m.randomSamples = lt(samples)
    m.fixPoolingRegions()
    out, go, gi = legonn_pass(m, x)

    def fn(t):
        o, i = F.fractional_max_pool3d(t.permute(0, 1, 4, 3, 2), (pT, pW, pH), output_size=(oT, oW, oH),
                                       return_indices=True, _random_samples=torch.tensor(samples))
        return o.permute(0, 1, 4, 3, 2), i.permute(0, 1, 4, 3, 2)
    t_out, t_gi, _, t_idx = torch_pass(batched(fn, batch), x, go)
    close(out, t_out, 0, 0)
    close(gi, t_gi, 0, 0)
    # PyTorch's flat index counts in its (T, W, H) order, Torch7's in (H, W, T): convert PyTorch's
    h, w, t = shape[-3:]
    ti, rem = np.divmod(t_idx.numpy(), w * h)
    wi, hi = np.divmod(rem, h)
    np.testing.assert_array_equal(arr(m.indices), (hi * w + wi) * t + ti)


# ---------------------------------------------------------------------------------------------------------------
# BatchNormalization / SpatialBatchNormalization / VolumetricBatchNormalization = F.batch_norm

BN = {2: nn.BatchNormalization, 4: nn.SpatialBatchNormalization, 5: nn.VolumetricBatchNormalization}

# (input shape, eps, momentum, affine, strided)
BN_CASES = [
    ((8, 5), 1e-5, 0.1, True, False),
    ((3, 4), 1e-3, 0.3, False, True),
    ((2, 1), 0.5, 1.0, True, False),
    ((4, 3, 5, 6), 1e-5, 0.1, True, True),
    ((2, 2, 1, 3), 1e-9, 0.0, True, False),
    ((3, 3, 4, 5), 1e-2, 0.5, False, False),
    ((2, 2, 3, 4, 5), 1e-5, 0.1, True, True),
    ((3, 1, 2, 2, 1), 1e-4, 0.9, False, False),
]


def _torch_bn(x, go, rm, rv, weight, bias, train, momentum, eps):
    """PyTorch's batch_norm forward and backward; in training also native_batch_norm's save_mean and
    save_invstd of the batch."""
    xt = torch.tensor(x, requires_grad=True)
    w = None if weight is None else torch.tensor(weight, requires_grad=True)
    b = None if bias is None else torch.tensor(bias, requires_grad=True)
    rm, rv = torch.tensor(rm), torch.tensor(rv)
    out = F.batch_norm(xt, rm, rv, w, b, train, momentum, eps)
    out.backward(torch.tensor(go))
    saved = torch.native_batch_norm(torch.tensor(x), None, None, None, None, True, 0.0, eps)[1:] if train \
        else (None, None)
    return (out, xt.grad, w, b, rm, rv) + tuple(saved)


def _bn_module(shape, eps, momentum, affine, seed):
    """(module, running mean, running variance, weight, bias): random running estimates and bias."""
    m = BN[len(shape)](shape[1], eps, momentum, affine).double()
    rng = np.random.default_rng(seed)
    m.running_mean.array[...] = rng.uniform(-1, 1, shape[1])
    m.running_var.array[...] = rng.uniform(0.5, 2, shape[1])
    if affine:
        m.bias.array[...] = rng.uniform(-1, 1, shape[1])
    weight, bias = (arr(m.weight), arr(m.bias)) if affine else (None, None)
    return m, arr(m.running_mean), arr(m.running_var), weight, bias


@pytest.mark.parametrize('case', BN_CASES, ids=[f'bn-{i}' for i in range(len(BN_CASES))])
def test_batch_normalization_training(case):
    shape, eps, momentum, affine, strided = case
    m, rm, rv, weight, bias = _bn_module(shape, eps, momentum, affine, 23)
    scale = 0.7
    for step in range(2):   # twice: the running estimates move from where the first step left them
        x = data(24 + step, shape) * (1 + step) + step
        out, go, gi = legonn_pass(m, x, seed=30 + step, strided=strided, scale=scale)
        t_out, t_gi, w, b, rm, rv, save_mean, save_invstd = _torch_bn(x, go, rm, rv, weight, bias, True,
                                                                      momentum, eps)
        close(out, t_out)
        close(gi, t_gi, 1e-9)
        close(m.running_mean, rm)
        close(m.running_var, rv)          # Torch7's running variance is the unbiased one, as PyTorch's
        close(m.save_mean, save_mean)
        close(m.save_std, save_invstd)    # Torch7's save_std holds 1 / sqrt(var + eps), PyTorch's save_invstd
        if affine:
            close(m.gradWeight, scale * w.grad.numpy(), 1e-9)
            close(m.gradBias, scale * b.grad.numpy())
        rm, rv = rm.numpy(), rv.numpy()


@pytest.mark.parametrize('case', BN_CASES, ids=[f'bn-{i}' for i in range(len(BN_CASES))])
def test_batch_normalization_evaluate(case):
    shape, eps, momentum, affine, strided = case
    m, rm, rv, weight, bias = _bn_module(shape, eps, momentum, affine, 26)
    m.evaluate()
    x = data(27, shape)
    for one in (False, True):    # evaluate mode takes an input without the batch axis too
        xi = x[0] if one else x
        out, go, gi = legonn_pass(m, xi, strided=strided and xi.ndim > 2, scale=0.5)
        t_out, t_gi, w, b, t_rm, t_rv, _, _ = _torch_bn(xi[None] if one else xi, go[None] if one else go,
                                                        rm, rv, weight, bias, False, momentum, eps)
        close(out, t_out[0] if one else t_out)
        close(gi, t_gi[0] if one else t_gi)
        close(m.running_mean, rm, 0, 0)
        close(m.running_var, rv, 0, 0)
        if affine:
            close(m.gradWeight, 0.5 * w.grad.numpy())
            close(m.gradBias, 0.5 * b.grad.numpy())


def test_batch_normalization_without_eps_differs_from_pytorch():
    """eps = 0 and a feature constant over the batch: THNN BatchNormalization.c:37-41 sets invstd to 0, so the
    output is the bias and the gradInput 0. PyTorch's functional batch_norm refuses eps <= 0 in training
    (torch/nn/functional.py batch_norm); its kernel (torch.native_batch_norm and its backward) keeps THNN's
    rule and agrees with legonn."""
    x = data(28, (4, 3))
    x[:, 1] = 0.25
    m = nn.BatchNormalization(3, 0).double()
    m.bias.array[...] = [0.5, -0.5, 1.5]
    out, go, gi = legonn_pass(m, x, scale=2.0)
    assert np.all(arr(out)[:, 1] == -0.5) and np.all(arr(gi)[:, 1] == 0)
    with pytest.raises(ValueError, match='eps'):
        F.batch_norm(torch.tensor(x), None, None, None, None, True, 0.1, 0.0)
    w, b = torch.tensor(arr(m.weight)), torch.tensor(arr(m.bias))
    t_out, save_mean, save_invstd = torch.native_batch_norm(torch.tensor(x), w, b, None, None, True, 0.1, 0.0)
    t_gi, t_gw, t_gb = torch.ops.aten.native_batch_norm_backward(
        torch.tensor(go), torch.tensor(x), w, None, None, save_mean, save_invstd, True, 0.0, [True, True, True])
    close(out, t_out)
    close(gi, t_gi)
    close(m.save_std, save_invstd)
    close(m.gradWeight, 2 * t_gw)
    close(m.gradBias, 2 * t_gb)


# ---------------------------------------------------------------------------------------------------------------
# LayerNormalization = F.layer_norm with eps / nOutput

@pytest.mark.parametrize('shape,eps,affine', [((4, 6), 1e-10, True), ((7,), 1e-10, True), ((3, 5), 0.3, True),
                                              ((2, 9), 1e-5, False), ((3, 1), 1e-3, True)])
def test_layer_normalization(shape, eps, affine):
    """Torch7's LayerNormalization.lua is Mean, CSubTable, Normalize(2, eps), MulConstant(sqrt(n)): its eps is
    added to the sum of squares, (x - mean) / sqrt(var + eps / n); PyTorch's layer_norm adds eps to the
    variance. The same numbers come from PyTorch given eps / n, so a Torch7 eps is not PyTorch's eps."""
    n = shape[-1]
    m = nn.LayerNormalization(n, 0.5, eps, affine).double()
    rng = np.random.default_rng(29)
    if affine:
        m.weight.array[...] = rng.uniform(0.5, 1.5, n)
        m.bias.array[...] = rng.uniform(-1, 1, n)
    x = data(30, shape)
    out, go, gi = legonn_pass(m, x, scale=1.5)
    params = (arr(m.weight), arr(m.bias)) if affine else (None, None)
    fn = lambda t, w, b: F.layer_norm(t, (n,), w, b, eps / n)  # noqa: E731
    t_out, t_gi, grads, _ = torch_pass(fn, x, go, *params)
    close(out, t_out)
    close(gi, t_gi, 1e-9)
    if affine:
        close(m.gradWeight, 1.5 * grads[0].numpy())
        close(m.gradBias, 1.5 * grads[1].numpy())
    if eps > 1e-6 and n > 1:
        assert not np.allclose(arr(out), F.layer_norm(torch.tensor(x), (n,), *(
            None if p is None else torch.tensor(p) for p in params), eps).numpy(), rtol=1e-8, atol=0)


# ---------------------------------------------------------------------------------------------------------------
# SpatialCrossMapLRN = F.local_response_norm

@pytest.mark.parametrize('shape,size,alpha,beta,k,strided', [
    ((2, 7, 4, 5), 5, 1e-4, 0.75, 1.0, False),
    ((6, 3, 3), 3, 0.5, 0.6, 2.0, True),
    ((1, 3, 2, 2), 7, 1.0, 1.5, 1.0, False),     # a window wider than the planes
    ((2, 5, 3, 4), 1, 0.3, 0.75, 0.5, True),
])
def test_spatial_cross_map_lrn(shape, size, alpha, beta, k, strided):
    m = nn.SpatialCrossMapLRN(size, alpha, beta, k)
    x = data(31, shape)
    out, go, gi = legonn_pass(m, x, strided=strided)
    fn = batched(lambda t: F.local_response_norm(t, size, alpha, beta, k), len(shape) == 4)
    t_out, t_gi, _, _ = torch_pass(fn, x, go)
    close(out, t_out)
    close(gi, t_gi)


@pytest.mark.parametrize('size', [2, 4])
def test_spatial_cross_map_lrn_even_size_differs_from_pytorch(size):
    """An even window: THCUNN SpatialCrossMapLRN.cu (LRNFillScale: pre_pad = (size - 1) / 2, post_pad =
    size - pre_pad - 1) takes channels c - (size - 1) // 2 .. c + size // 2, legonn too; PyTorch's
    local_response_norm pads size // 2 channels before and (size - 1) // 2 after (torch/nn/functional.py),
    the mirror image: it gives legonn's numbers on channel-reversed planes, not on the planes themselves."""
    x = data(32, (2, 6, 3, 3))
    m = nn.SpatialCrossMapLRN(size, 0.7, 0.75, 1.0)
    out, go, gi = legonn_pass(m, x)
    rev = lambda t: torch.flip(F.local_response_norm(torch.flip(t, (1,)), size, 0.7, 0.75, 1.0), (1,))  # noqa
    t_out, t_gi, _, _ = torch_pass(rev, x, go)
    close(out, t_out)
    close(gi, t_gi)
    plain = F.local_response_norm(torch.tensor(x), size, 0.7, 0.75, 1.0).numpy()
    assert not np.allclose(arr(out), plain, rtol=1e-6, atol=0)


# ---------------------------------------------------------------------------------------------------------------
# Normalize = F.normalize (eps 0: Torch7 adds eps to the p-th power sum, PyTorch floors the norm at eps)

@pytest.mark.parametrize('shape,p', [((4, 7), 2), ((9,), 1), ((3, 5), 3), ((3, 6), 1.5), ((2, 5), 0.5),
                                     ((3, 4), 4), ((5, 6), math.inf), ((1, 1), 2)])
def test_normalize(shape, p):
    m = nn.Normalize(p, 0)
    x = data(33, shape)
    out, go, gi = legonn_pass(m, x)
    t_out, t_gi, _, _ = torch_pass(lambda t: F.normalize(t, p, -1, 0.0), x, go)
    close(out, t_out)
    close(gi, t_gi, 1e-9)


@pytest.mark.parametrize('p', [2, 3, 1.5, 0.5, math.inf])
def test_normalize_eps_differs_from_pytorch(p):
    """Normalize.lua:44-45 divides by (sum |x|^p + eps)^(1/p) (math.huge: max |x| + eps, lines 34-36); PyTorch's
    normalize divides by max(||x||_p, eps) (torch/nn/functional.py). legonn's output is Torch7's."""
    eps = 0.3
    x = data(34, (3, 5))
    out = arr(nn.Normalize(p, eps).double().forward(lt(x)))
    xt = torch.tensor(x)
    norm = (xt.abs().amax(-1, keepdim=True) + eps if math.isinf(p)
            else (xt.abs().pow(p).sum(-1, keepdim=True) + eps).pow(1 / p))
    close(out, xt / norm)
    assert not np.allclose(out, F.normalize(xt, p, -1, eps).numpy(), rtol=1e-6, atol=0)
    if p >= 2 and not math.isinf(p):
        # from p = 2 on Normalize.lua's gradient is the exact derivative of that output (below 2 and at the
        # infinity norm it keeps eps terms of its own: tests/modules/test_reductions.py)
        go = data(35, x.shape)
        m = nn.Normalize(p, eps)
        _, _, gi = legonn_pass(m, x, seed=35)
        xt.requires_grad_(True)
        (xt / (xt.abs().pow(p).sum(-1, keepdim=True) + eps).pow(1 / p)).backward(torch.tensor(go))
        close(gi, xt.grad)
