"""Parity audit of legonn's convolution, up-sampling and padding modules against PyTorch (CPU, float64).

PyTorch's conv / interpolate / pad / pixel_shuffle descend from Torch7's THNN code; Torch7 stays the contract
(tests/modules/ hold the regression tests, which need no torch). Each case runs one legonn module on a seeded
random input, batched and then not batched (a second, differently sized input on the same module, so reused
buffers are exercised), optionally non-contiguous, and compares with autograd through the PyTorch function:
output, gradInput, and each parameter gradient accumulated onto a random gradient already there with a
``scale`` (``gradW0 + scale * dL/dW``).
"""
import numpy as np
import pytest

torch = pytest.importorskip('torch')
F = torch.nn.functional

import legonn as lg
from legonn import nn

RTOL, ATOL = 1e-10, 1e-12


def _noncontiguous(a):
    """The same values as ``a`` in a strided view (every other element of a wider array)."""
    wide = np.zeros(a.shape + (2,))
    wide[..., 0] = a
    view = wide[..., 0]
    assert a.size == 1 or not view.flags.c_contiguous
    return view


def _as_torch(a, grad=False):
    return torch.tensor(np.ascontiguousarray(a), dtype=torch.float64, requires_grad=grad)


def check(module, shape, torch_fn, seed, scale=0.5, noncontig=False, target=None):
    """Compare ``module`` (legonn, made double here) with ``torch_fn(x, *params)`` on an input of ``shape``.

    ``torch_fn`` receives the input and leaf tensors of legonn's parameters in legonn's shapes (it reshapes
    them as PyTorch wants, so autograd's gradients come back in legonn's shapes). With ``target``, the module's
    input is the table ``{input, target}`` (the output-size form of the full convolutions)."""
    rng = np.random.default_rng(seed)
    module.double()
    params, grads = module.parameters() if module.parameters() else ([], [])
    for p in params:
        p.array[...] = rng.uniform(-1, 1, p.array.shape)
    x = rng.standard_normal(shape)
    x_in = _noncontiguous(x) if noncontig else x
    xt = _as_torch(x, grad=True)
    pts = [_as_torch(p.array, grad=True) for p in params]
    y_ref = torch_fn(xt, *pts)
    go = rng.standard_normal(tuple(y_ref.shape))
    y_ref.backward(_as_torch(go))

    inp = lg.from_numpy(x_in) if target is None else [lg.from_numpy(x_in), lg.from_numpy(np.zeros(target))]
    y = module.forward(inp)
    np.testing.assert_allclose(y.array, y_ref.detach().numpy(), rtol=RTOL, atol=ATOL)
    before = [rng.standard_normal(g.array.shape) for g in grads]
    for g, b in zip(grads, before):
        g.array[...] = b
    gi = module.backward(inp, lg.from_numpy(_noncontiguous(go) if noncontig else go), scale)
    if target is not None:
        np.testing.assert_array_equal(gi[1].array, np.zeros(target))
        gi = gi[0]
    np.testing.assert_allclose(gi.array, xt.grad.numpy(), rtol=RTOL, atol=ATOL)
    for g, b, pt in zip(grads, before, pts):
        np.testing.assert_allclose(g.array, b + scale * pt.grad.numpy(), rtol=RTOL, atol=ATOL)


def check_both(make, batch_shape, single_shape, torch_fn, seed, **kw):
    """``check`` on a batch input, then on a non-batch one through the same module."""
    module = make()
    check(module, batch_shape, torch_fn, seed, **kw)
    check(module, single_shape, torch_fn, seed + 1, **kw)
    return module


# --- SpatialConvolution, SpatialConvolutionMM, SpatialDilatedConvolution ---------------------------------
# (nIn, nOut, kW, kH, dW, dH, padW, padH, dilW, dilH, H, W)
SPATIAL = [
    (3, 4, 3, 3, 1, 1, 0, 0, 1, 1, 7, 7),
    (2, 5, 3, 2, 2, 1, 1, 0, 1, 1, 8, 9),
    (1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1),
    (3, 2, 2, 3, 4, 5, 0, 1, 1, 1, 11, 9),        # strides larger than the kernel
    (4, 3, 5, 4, 3, 2, 2, 3, 1, 1, 6, 5),         # padding about half the kernel, odd sizes
    (16, 8, 3, 3, 1, 1, 1, 1, 1, 1, 9, 10),       # many planes (the im2col + GEMM path)
    (2, 3, 3, 2, 1, 2, 1, 1, 2, 3, 10, 9),        # dilated
    (3, 2, 2, 2, 3, 1, 0, 2, 3, 1, 7, 12),
    (2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2),         # a kernel larger than the input, which the padding fits
    (2, 2, 2, 2, 5, 5, 0, 0, 1, 1, 3, 4),         # a stride past the input: one output position
]


def _conv2d(c):
    nIn, nOut, kW, kH, dW, dH, padW, padH, dilW, dilH, H, W = c
    return lambda x, w, b=None: F.conv2d(x, w, b, stride=(dH, dW), padding=(padH, padW), dilation=(dilH, dilW))


@pytest.mark.parametrize('cls,c', [(cls, c) for cls in ('SpatialConvolution', 'SpatialConvolutionMM',
                                                         'SpatialDilatedConvolution') for c in SPATIAL
                                   if cls == 'SpatialDilatedConvolution' or c[8:10] == (1, 1)])
@pytest.mark.parametrize('variant', ['plain', 'noBias', 'noncontiguous'])
def test_spatial_convolution(cls, c, variant):
    nIn, nOut, kW, kH, dW, dH, padW, padH, dilW, dilH, H, W = c
    args = (nIn, nOut, kW, kH, dW, dH, padW, padH) + ((dilW, dilH) if cls == 'SpatialDilatedConvolution' else ())

    def make():
        m = getattr(nn, cls)(*args)
        return m.noBias() if variant == 'noBias' else m
    check_both(make, (3, nIn, H, W), (nIn, H + 1, W + 2), _conv2d(c), seed=hash(c) % 1000,
               noncontig=variant == 'noncontiguous')


def test_spatial_convolution_gradinput_none_still_accumulates():
    """Torch7's first-layer idiom (gradInput = nil): only the parameter gradients, which match PyTorch's."""
    c = SPATIAL[1]
    m = nn.SpatialConvolution(*c[:8]).double()
    m.gradInput = None
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, c[0], c[10], c[11]))
    xt = _as_torch(x)
    w, b = (_as_torch(p.array, grad=True) for p in m.parameters()[0])
    y = _conv2d(c)(xt, w, b)
    go = rng.standard_normal(tuple(y.shape))
    y.backward(_as_torch(go))
    m.zeroGradParameters()
    m.forward(lg.from_numpy(x))
    assert m.backward(lg.from_numpy(x), lg.from_numpy(go), 2.0) is None
    np.testing.assert_allclose(m.gradWeight.array, 2 * w.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(m.gradBias.array, 2 * b.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize('c', [SPATIAL[1], SPATIAL[5]])   # few planes (direct kernels), many (im2col + GEMM)
def test_spatial_convolution_separate_calls(c):
    """updateGradInput and accGradParameters called apart, with different gradOutputs: each result is PyTorch's
    for its own gradOutput. (As THNN's, accGradParameters reads the columns its forward left, so the input is
    the forward's.)"""
    nIn, nOut, kW, kH, dW, dH, padW, padH, _, _, H, W = c
    m = nn.SpatialConvolution(nIn, nOut, kW, kH, dW, dH, padW, padH).double()
    rng = np.random.default_rng(11)
    x1 = rng.standard_normal((2, nIn, H, W))
    w, b = (_as_torch(p.array, grad=True) for p in m.parameters()[0])
    xt = _as_torch(x1, grad=True)
    y = _conv2d(c)(xt, w, b)
    go1, go2 = rng.standard_normal((2,) + tuple(y.shape))
    y.backward(_as_torch(go1))
    m.zeroGradParameters()
    m.forward(lg.from_numpy(x1))
    np.testing.assert_allclose(m.updateGradInput(lg.from_numpy(x1), lg.from_numpy(go1)).array, xt.grad.numpy(),
                               rtol=RTOL, atol=ATOL)
    w.grad = b.grad = None
    _conv2d(c)(_as_torch(x1), w, b).backward(_as_torch(go2))
    m.accGradParameters(lg.from_numpy(x1), lg.from_numpy(go2), 3.0)
    np.testing.assert_allclose(m.gradWeight.array, 3 * w.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(m.gradBias.array, 3 * b.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_spatial_convolution_mm_2d_weight():
    """SpatialConvolutionMM with THNN's 2-D weight layout (nOutputPlane, nInputPlane*kH*kW) gives the 4-D result."""
    c = SPATIAL[4]
    nIn, nOut, kW, kH, dW, dH, padW, padH = c[:8]
    m = nn.SpatialConvolutionMM(nIn, nOut, kW, kH, dW, dH, padW, padH).double()
    m.weight = m.weight.view(nOut, nIn * kH * kW)
    m.gradWeight = m.gradWeight.view(nOut, nIn * kH * kW)
    check(m, (2, nIn, c[10], c[11]), _conv2d(c), seed=3)


# --- SpatialConvolutionMap, SpatialFullConvolutionMap ----------------------------------------------------
def _dense(table, w, planes, transposed):
    """The dense kernel of a connection table (0-based [input, output] rows), repeated pairs summed."""
    t = torch.as_tensor(np.asarray(table))
    rows, cols = (t[:, 0], t[:, 1]) if transposed else (t[:, 1], t[:, 0])
    dense = torch.zeros(planes + tuple(w.shape[1:]), dtype=w.dtype)
    return dense.index_put((rows, cols), w, accumulate=True)


MAP_TABLES = [('full', (3, 4)), ('oneToOne', (3,)), ('random', (5, 4, 2)),
              ('explicit', [[0, 1], [2, 0], [0, 1], [1, 1]])]   # a repeated connection adds twice


@pytest.mark.parametrize('table', MAP_TABLES, ids=[t[0] for t in MAP_TABLES])
@pytest.mark.parametrize('geom', [(3, 3, 1, 1), (2, 3, 2, 1), (2, 2, 3, 4)])
@pytest.mark.parametrize('full', [False, True], ids=['SpatialConvolutionMap', 'SpatialFullConvolutionMap'])
def test_spatial_convolution_map(table, geom, full):
    kW, kH, dW, dH = geom
    name, args = table
    conn = np.array(args) if name == 'explicit' else getattr(nn.SpatialConvolutionMap.tables, name)(*args)
    m = (nn.SpatialFullConvolutionMap if full else nn.SpatialConvolutionMap)(conn, kW, kH, dW, dH)
    tab = m.connTable.array.copy()
    nIn, nOut = m.nInputPlane, m.nOutputPlane
    if full:
        # THNN's SpatialFullConvolutionMap.c: fullConv2Dptr (a true, stride-dilated full convolution) of each
        # connection, i.e. the transposed convolution of the connection's kernel; non-batch input only there
        fn = lambda x, w, b: F.conv_transpose2d(x, _dense(tab, w, (nIn, nOut), True), b, stride=(dH, dW))
        check(m, (nIn, 4, 5), fn, seed=kW * 10 + dW)
        return
    fn = lambda x, w, b: F.conv2d(x, _dense(tab, w, (nOut, nIn), False), b, stride=(dH, dW))
    check(m, (2, nIn, 9, 8), fn, seed=kW * 10 + dW)
    check(m, (nIn, 7, 10), fn, seed=kW * 10 + dW + 1)


# --- SpatialConvolutionLocal ------------------------------------------------------------------------------
@pytest.mark.parametrize('c', [(3, 2, 7, 6, 3, 2, 1, 2, 1, 0), (2, 3, 5, 5, 2, 2, 3, 3, 0, 0),
                               (1, 1, 1, 1, 1, 1, 1, 1, 0, 0), (2, 2, 6, 5, 3, 3, 1, 1, 1, 1)])
@pytest.mark.parametrize('noncontig', [False, True])
def test_spatial_convolution_local(c, noncontig):
    nIn, nOut, iW, iH, kW, kH, dW, dH, padW, padH = c

    def fn(x, w, b):
        # weight (oH, oW, nOut, nIn, kH, kW), bias (nOut, oH, oW): PyTorch's unfold gives each position's window
        batch = x if x.dim() == 4 else x[None]
        cols = F.unfold(batch, (kH, kW), padding=(padH, padW), stride=(dH, dW))      # (N, nIn*kH*kW, oH*oW)
        oH, oW = b.shape[1:]
        y = torch.einsum('lok,nkl->nol', w.reshape(oH * oW, nOut, -1), cols).reshape(-1, nOut, oH, oW) + b
        return y if x.dim() == 4 else y[0]
    check_both(lambda: nn.SpatialConvolutionLocal(*c), (2, nIn, iH, iW), (nIn, iH, iW), fn, seed=sum(c),
               noncontig=noncontig)


# --- SpatialFullConvolution -------------------------------------------------------------------------------
# (nIn, nOut, kW, kH, dW, dH, padW, padH, adjW, adjH, H, W)
FULL = [
    (3, 2, 3, 3, 1, 1, 0, 0, 0, 0, 4, 5),
    (2, 3, 4, 3, 2, 2, 1, 1, 1, 0, 5, 4),
    (1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1),
    (2, 4, 2, 3, 4, 3, 0, 1, 3, 2, 3, 5),         # strides larger than the kernel, adj up to stride - 1
    (5, 3, 5, 4, 3, 2, 2, 1, 0, 1, 6, 7),
    (2, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1),         # one input pixel, padding that crops the kernel
]


def _conv_transpose2d(c, adj):
    nIn, nOut, kW, kH, dW, dH, padW, padH, adjW, adjH, H, W = c
    return lambda x, w, b=None: F.conv_transpose2d(x, w, b, stride=(dH, dW), padding=(padH, padW),
                                                   output_padding=adj)


@pytest.mark.parametrize('c', FULL)
@pytest.mark.parametrize('variant', ['plain', 'noBias', 'noncontiguous'])
def test_spatial_full_convolution(c, variant):
    nIn, nOut, kW, kH, dW, dH, padW, padH, adjW, adjH, H, W = c

    def make():
        m = nn.SpatialFullConvolution(nIn, nOut, kW, kH, dW, dH, padW, padH, adjW, adjH)
        return m.noBias() if variant == 'noBias' else m
    check_both(make, (2, nIn, H, W), (nIn, W, H), _conv_transpose2d(c, (adjH, adjW)), seed=hash(c) % 1000,
               noncontig=variant == 'noncontiguous')


@pytest.mark.parametrize('c', FULL)
def test_spatial_full_convolution_target_size(c):
    """The ``{input, target}`` form: the adj is (target size - (H-1) d + 2 pad - k), each adj below the stride."""
    nIn, nOut, kW, kH, dW, dH, padW, padH, _, _, H, W = c
    m = nn.SpatialFullConvolution(nIn, nOut, kW, kH, dW, dH, padW, padH)
    for adjH in range(dH):
        for adjW in range(dW):
            oh = (H - 1) * dH - 2 * padH + kH + adjH
            ow = (W - 1) * dW - 2 * padW + kW + adjW
            check(m, (2, nIn, H, W), _conv_transpose2d(c, (adjH, adjW)), seed=adjH * 7 + adjW,
                  target=(2, 1, oh, ow))


# --- SpatialDepthWiseConvolution --------------------------------------------------------------------------
# (nIn, multiplier, kW, kH, dW, dH, padW, padH, H, W)
DEPTHWISE = [
    (3, 2, 3, 3, 1, 1, 0, 0, 6, 6),
    (2, 1, 2, 3, 2, 1, 1, 1, 7, 7),
    (1, 3, 1, 1, 1, 1, 0, 0, 1, 1),
    (4, 3, 3, 2, 4, 3, 1, 0, 9, 9),               # strides larger than the kernel
    # Non-square planes: legonn (and PyTorch) compute the convolution of each plane; Torch7's THNN
    # (generic/SpatialDepthWiseConvolution.c:163-166) takes size[3] as the height and size[2] as the width, so
    # there the output of a non-square input is that of the plane's memory read as W x H (and its backward's
    # shapeCheck refuses that output's gradient): Torch7 has no usable result to follow for these.
    (2, 2, 3, 2, 1, 2, 1, 0, 5, 8),
]


def _depthwise(c):
    nIn, M, kW, kH, dW, dH, padW, padH, H, W = c

    def fn(x, w, b=None):
        # legonn's weight (M, nIn, kH, kW) and bias (M, nIn): output plane i*M + m is input plane i with w[m, i]
        wt = w.transpose(0, 1).reshape(nIn * M, 1, kH, kW)
        bt = None if b is None else b.transpose(0, 1).reshape(-1)
        return F.conv2d(x, wt, bt, stride=(dH, dW), padding=(padH, padW), groups=nIn)
    return fn


@pytest.mark.parametrize('c', DEPTHWISE)
@pytest.mark.parametrize('variant', ['plain', 'noBias', 'noncontiguous'])
def test_spatial_depthwise_convolution(c, variant):
    nIn, M, kW, kH, dW, dH, padW, padH, H, W = c

    def make():
        m = nn.SpatialDepthWiseConvolution(nIn, M, kW, kH, dW, dH, padW, padH)
        return m.noBias() if variant == 'noBias' else m
    square = H == W
    check_both(make, (2, nIn, H, W), (nIn, H + square, W + square), _depthwise(c), seed=hash(c) % 1000,
               noncontig=variant == 'noncontiguous')


# --- VolumetricConvolution, VolumetricDilatedConvolution, VolumetricFullConvolution ----------------------
# (nIn, nOut, kT, kW, kH, dT, dW, dH, padT, padW, padH, dil/adj T, W, H, T, H, W)
VOLUMETRIC = [
    (2, 3, 2, 3, 3, 1, 1, 1, 0, 0, 0, 1, 1, 1, 4, 5, 5),
    (1, 2, 3, 2, 2, 2, 1, 2, 1, 0, 1, 1, 1, 1, 5, 4, 6),
    (1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1),
    (3, 2, 2, 2, 3, 3, 4, 2, 0, 1, 1, 2, 1, 2, 7, 8, 6),  # stride > kernel; dilation/adj (2, 1, 2)
]


def _v(c):
    nIn, nOut, kT, kW, kH, dT, dW, dH, padT, padW, padH, eT, eW, eH, T, H, W = c
    return (dT, dH, dW), (padT, padH, padW), (eT, eH, eW)


@pytest.mark.parametrize('cls', ['VolumetricConvolution', 'VolumetricDilatedConvolution'])
@pytest.mark.parametrize('c', VOLUMETRIC)
@pytest.mark.parametrize('variant', ['plain', 'noBias', 'noncontiguous'])
def test_volumetric_convolution(cls, c, variant):
    nIn, nOut, kT, kW, kH, dT, dW, dH, padT, padW, padH, eT, eW, eH, T, H, W = c
    s, p, e = _v(c)
    dilated = cls == 'VolumetricDilatedConvolution'
    if not dilated:
        e = (1, 1, 1)
    args = (nIn, nOut, kT, kW, kH, dT, dW, dH, padT, padW, padH) + ((eT, eW, eH) if dilated else ())

    def make():
        m = getattr(nn, cls)(*args)
        return m.noBias() if variant == 'noBias' else m
    check_both(make, (2, nIn, T, H, W), (nIn, T + 1, H, W + 1),
               lambda x, w, b=None: F.conv3d(x, w, b, stride=s, padding=p, dilation=e), seed=hash(c) % 1000,
               noncontig=variant == 'noncontiguous')


@pytest.mark.parametrize('c', VOLUMETRIC)
@pytest.mark.parametrize('variant', ['plain', 'noBias', 'noncontiguous'])
def test_volumetric_full_convolution(c, variant):
    nIn, nOut, kT, kW, kH, dT, dW, dH, padT, padW, padH, aT, aW, aH, T, H, W = c
    s, p, _ = _v(c)
    adj = tuple(min(a, d - 1) for a, d in zip((aT, aH, aW), s))

    def make():
        m = nn.VolumetricFullConvolution(nIn, nOut, kT, kW, kH, dT, dW, dH, padT, padW, padH,
                                         adj[0], adj[2], adj[1])
        return m.noBias() if variant == 'noBias' else m
    check_both(make, (2, nIn, T, H, W), (nIn, T + 1, H + 2, W),
               lambda x, w, b=None: F.conv_transpose3d(x, w, b, stride=s, padding=p, output_padding=adj),
               seed=hash(c) % 1000, noncontig=variant == 'noncontiguous')


def test_volumetric_full_convolution_target_size():
    c = VOLUMETRIC[3]
    nIn, nOut, kT, kW, kH, dT, dW, dH, padT, padW, padH, _, _, _, T, H, W = c
    s, p, _ = _v(c)
    m = nn.VolumetricFullConvolution(nIn, nOut, kT, kW, kH, dT, dW, dH, padT, padW, padH)
    for adj in [(0, 0, 0), (2, 1, 2), (1, 0, 1)]:
        size = tuple((n - 1) * d - 2 * pp + k + a for n, d, pp, k, a in zip((T, H, W), s, p, (kT, kH, kW), adj))
        check(m, (2, nIn, T, H, W),
              lambda x, w, b: F.conv_transpose3d(x, w, b, stride=s, padding=p, output_padding=adj),
              seed=sum(adj), target=(2, 1) + size)


# --- TemporalConvolution, TemporalSubSampling, TemporalRowConvolution -----------------------------------
TEMPORAL = [(3, 4, 3, 1, 9), (5, 2, 2, 3, 10), (1, 1, 1, 1, 1), (4, 3, 2, 5, 13), (2, 6, 7, 2, 7)]


@pytest.mark.parametrize('c', TEMPORAL)
@pytest.mark.parametrize('noncontig', [False, True])
def test_temporal_convolution(c, noncontig):
    inF, outF, kW, dW, T = c

    def fn(x, w, b):
        # legonn's weight (outF, kW * inF) is frame after frame, as Torch7's: w[o, k * inF + f]
        wt = w.reshape(outF, kW, inF).permute(0, 2, 1)
        return F.conv1d(x.transpose(-1, -2), wt, b, stride=dW).transpose(-1, -2)
    check_both(lambda: nn.TemporalConvolution(inF, outF, kW, dW), (3, T, inF), (T + 2, inF), fn, seed=T,
               noncontig=noncontig)


@pytest.mark.parametrize('c', TEMPORAL)
def test_temporal_subsampling(c):
    inF, _, kW, dW, T = c

    def fn(x, w, b):
        wt = w.reshape(inF, 1, 1).expand(inF, 1, kW)    # one weight per feature, on each of the kW taps
        return F.conv1d(x.transpose(-1, -2), wt, b, stride=dW, groups=inF).transpose(-1, -2)
    check_both(lambda: nn.TemporalSubSampling(inF, kW, dW), (3, T, inF), (T + 1, inF), fn, seed=T)


@pytest.mark.parametrize('c', TEMPORAL)
@pytest.mark.parametrize('featFirst', [False, True])
@pytest.mark.parametrize('bias', [True, False])
def test_temporal_row_convolution(c, featFirst, bias):
    inF, _, kW, dW, T = c

    def fn(x, w, b=None):
        xf = x if featFirst else x.transpose(-1, -2)
        y = F.conv1d(xf, w, b, stride=dW, groups=inF)
        return y if featFirst else y.transpose(-1, -2)

    def make():
        m = nn.TemporalRowConvolution(inF, kW, dW, featFirst)
        return m if bias else m.noBias()
    layout = (lambda t: (inF, t)) if featFirst else (lambda t: (t, inF))
    check_both(make, (2,) + layout(T), layout(T + 3), fn, seed=T)


# --- accGradParameters after a forward on another input ---------------------------------------------------
STALE = [
    ('SpatialDilatedConvolution', lambda: nn.SpatialDilatedConvolution(6, 3, 3, 2, 2, 1, 1, 0, 1, 2), (2, 6, 9, 8),
     lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=(0, 1), dilation=(2, 1))),
    ('SpatialDilatedConvolution-direct', lambda: nn.SpatialDilatedConvolution(2, 3, 3, 3, 1, 1, 1, 1, 2, 2),
     (2, 2, 8, 7), lambda x, w, b: F.conv2d(x, w, b, padding=1, dilation=2)),
    ('SpatialConvolutionMap', lambda: nn.SpatialConvolutionMap(nn.SpatialConvolutionMap.tables.full(6, 2), 3, 3),
     (2, 6, 7, 7), lambda x, w, b: F.conv2d(x, w.reshape(2, 6, 3, 3), b)),   # full's rows: output, then input
    ('VolumetricDilatedConvolution', lambda: nn.VolumetricDilatedConvolution(2, 3, 2, 2, 2, 1, 1, 1, 1, 0, 1, 2, 1, 1),
     (2, 2, 5, 4, 4), lambda x, w, b: F.conv3d(x, w, b, padding=(1, 1, 0), dilation=(2, 1, 1))),
    ('TemporalConvolution', lambda: nn.TemporalConvolution(3, 2, 3, 2), (2, 9, 3),
     lambda x, w, b: F.conv1d(x.transpose(1, 2), w.reshape(2, 3, 3).permute(0, 2, 1), b, stride=2).transpose(1, 2)),
]


@pytest.mark.parametrize('name,make,shape,fn', STALE, ids=[c[0] for c in STALE])
def test_acc_grad_parameters_at_the_input_given(name, make, shape, fn):
    """These modules' THNN code reads the input accGradParameters is handed (SpatialDilatedConvolution.c:353,
    SpatialConvolutionMap.c:265, VolumetricDilatedConvolution.c:364, TemporalConvolution.c:328), so after a
    forward on another input the gradients are PyTorch's at the input given."""
    m = make().double()
    rng = np.random.default_rng(9)
    x_forward, x = rng.standard_normal((2,) + shape)
    m.forward(lg.from_numpy(x_forward))
    pts = [_as_torch(p.array, grad=True) for p in m.parameters()[0]]
    y = fn(_as_torch(x), *pts)
    go = rng.standard_normal(tuple(y.shape))
    y.backward(_as_torch(go))
    m.zeroGradParameters()
    m.accGradParameters(lg.from_numpy(x), lg.from_numpy(go), 1.5)
    for g, pt in zip(m.parameters()[1], pts):
        np.testing.assert_allclose(g.array, 1.5 * pt.grad.numpy(), rtol=RTOL, atol=ATOL)


# --- Up-sampling ------------------------------------------------------------------------------------------
def _unbatched(fn):
    """``fn`` (which wants a batch) applied to a non-batch input as a batch of one."""
    return lambda x, nd: fn(x[None])[0] if x.dim() == nd else fn(x)


@pytest.mark.parametrize('scale', [2, 3])
@pytest.mark.parametrize('hw', [(1, 1), (3, 5), (4, 4)])
def test_spatial_upsampling_nearest(scale, hw):
    fn = _unbatched(lambda x: F.interpolate(x, scale_factor=scale, mode='nearest'))
    check_both(lambda: nn.SpatialUpSamplingNearest(scale), (2, 3) + hw, (2,) + hw[::-1], lambda x: fn(x, 3),
               seed=scale, noncontig=True)


def hw_out(x, scale):
    return (x.shape[-2] * scale, x.shape[-1] * scale)


def _bilinear(size):
    # Torch7's SpatialUpSamplingBilinear.c: source = output index * (in - 1) / (out - 1), 0 for one output:
    # PyTorch's align_corners=True rule
    def fn(x):
        y = F.interpolate(x[None] if x.dim() == 3 else x, size=size(x), mode='bilinear', align_corners=True)
        return y[0] if x.dim() == 3 else y
    return fn


@pytest.mark.parametrize('scale', [1, 2, 3])
@pytest.mark.parametrize('hw', [(1, 1), (3, 5), (4, 4), (1, 6)])
def test_spatial_upsampling_bilinear_scale(scale, hw):
    check_both(lambda: nn.SpatialUpSamplingBilinear(scale), (2, 3) + hw, (2,) + hw[::-1],
               _bilinear(lambda x: hw_out(x, scale)), seed=scale, noncontig=True)


def test_spatial_upsampling_bilinear_is_pytorchs_align_corners_rule_not_its_default():
    """Known difference: Torch7's SpatialUpSamplingBilinear.c maps output h to input h * (iH - 1) / (oH - 1)
    (corners aligned), which legonn follows; PyTorch's interpolate defaults to align_corners=False since 0.4
    (input (h + 0.5) iH / oH - 0.5), which gives other values at every interior output of a 2x up-sampling."""
    x = np.random.default_rng(1).standard_normal((1, 2, 3, 4))
    y = nn.SpatialUpSamplingBilinear(2).double().forward(lg.from_numpy(x)).array
    aligned = F.interpolate(_as_torch(x), scale_factor=2, mode='bilinear', align_corners=True).numpy()
    default = F.interpolate(_as_torch(x), scale_factor=2, mode='bilinear').numpy()
    np.testing.assert_allclose(y, aligned, rtol=RTOL, atol=ATOL)
    # the corners agree under both rules; the outputs strictly inside differ
    np.testing.assert_allclose(y[..., 0, 0], default[..., 0, 0], rtol=RTOL)
    assert (np.abs(y - default)[..., 1:-1, 1:-1] > 1e-3).mean() > 0.9


@pytest.mark.parametrize('out', [(1, 1), (7, 4), (5, 9), (3, 3), (2, 1)])
def test_spatial_upsampling_bilinear_size(out):
    check_both(lambda: nn.SpatialUpSamplingBilinear({'oheight': out[0], 'owidth': out[1]}), (2, 3, 3, 4),
               (2, 5, 2), _bilinear(lambda x: out), seed=out[0] * 10 + out[1])


@pytest.mark.parametrize('shape', [(2, 3, 3, 4), (1, 2, 2, 3, 4), (2, 1, 1, 1, 1)])
@pytest.mark.parametrize('scale', [1, 2, 3])
@pytest.mark.parametrize('mode', ['nearest', 'linear'])
def test_upsampling_scale(shape, scale, mode):
    spatial = len(shape) - 2
    tmode = 'nearest' if mode == 'nearest' else ('bilinear', 'trilinear')[spatial - 2]
    extra = {} if mode == 'nearest' else {'align_corners': True}
    m = nn.UpSampling(scale, mode)
    fn = lambda x: F.interpolate(x, scale_factor=scale, mode=tmode, **extra)
    check(m, shape, fn, seed=scale, noncontig=True)
    check(m, shape[:2] + tuple(n + 1 for n in shape[2:]), fn, seed=scale + 1)


@pytest.mark.parametrize('sizes', [{'oheight': 5, 'owidth': 7}, {'oheight': 1, 'owidth': 2},
                                   {'odepth': 3, 'oheight': 5, 'owidth': 4}])
def test_upsampling_linear_size(sizes):
    spatial = ('odepth', 'oheight', 'owidth') if 'odepth' in sizes else ('oheight', 'owidth')
    out = tuple(sizes[k] for k in spatial)
    shape = (2, 3) + (2, 3, 4)[-len(spatial):]
    check(nn.UpSampling(sizes, 'linear'), shape,
          lambda x: F.interpolate(x, size=out, mode=('bilinear', 'trilinear')[len(out) - 2], align_corners=True),
          seed=len(out))


# --- Padding ----------------------------------------------------------------------------------------------
PADS = [(1, 1, 1, 1), (2, 0, 1, 3), (0, 0, 0, 0), (-1, 2, 1, -2), (-2, -1, -1, 0), (3, 1, 0, 2),
        (3, 3, 3, 3)]   # the largest reflection: pads one less than the non-batch input's 4 x 6


@pytest.mark.parametrize('cls,mode', [('SpatialZeroPadding', 'constant'), ('SpatialReflectionPadding', 'reflect'),
                                      ('SpatialReplicationPadding', 'replicate')])
@pytest.mark.parametrize('pads', PADS)
def test_spatial_padding(cls, mode, pads):
    l, r, t, b = pads
    def fn(x):
        y = F.pad(x[None] if x.dim() == 3 else x, (l, r, t, b), mode=mode)
        return y[0] if x.dim() == 3 else y
    check_both(lambda: getattr(nn, cls)(l, r, t, b), (2, 3, 5, 4), (2, 4, 6), fn, seed=sum(pads) + 10,
               noncontig=True)


@pytest.mark.parametrize('pads', [(1, 2, 0, 1, 2, 1), (0, 0, 0, 0, 0, 0), (-1, 1, 2, -1, 1, -1), (2, 2, 2, 2, 2, 2)])
def test_volumetric_replication_padding(pads):
    def fn(x):
        y = F.pad(x[None] if x.dim() == 4 else x, pads, mode='replicate')
        return y[0] if x.dim() == 4 else y
    check_both(lambda: nn.VolumetricReplicationPadding(*pads), (2, 2, 3, 4, 5), (3, 4, 3, 2), fn,
               seed=sum(pads) + 20, noncontig=True)


@pytest.mark.parametrize('pads,val', [((1, 2, 0, 3), 0), ((-1, 1, 2, -2), 2.5), ((0, 0, 1, 1), -1)])
def test_nnx_spatial_padding(pads, val):
    l, r, t, b = pads
    check_both(lambda: nn.SpatialPadding(l, r, t, b, 1, 2, val), (3, 5, 4, 2), (2, 6, 5),
               lambda x: F.pad(x.movedim((1, 2), (-2, -1)), (l, r, t, b), value=val).movedim((-2, -1), (1, 2))
               if x.dim() == 4 else F.pad(x, (l, r, t, b), value=val), seed=sum(pads) + 30)


# --- PixelShuffle -----------------------------------------------------------------------------------------
@pytest.mark.parametrize('r', [1, 2, 3])
def test_pixel_shuffle(r):
    check_both(lambda: nn.PixelShuffle(r), (2, 2 * r * r, 3, 4), (3 * r * r, 5, 2),
               lambda x: F.pixel_shuffle(x, r), seed=r, noncontig=True)
