"""Parity audit of the modules of Torch7's other nn packages against PyTorch (CPU, float64): cudnn.torch's
non-recurrent modules, imagine-nn's (inn) and fbnn's.

PyTorch's torch.nn.functional descends from Torch7's THNN; it is run here as an independent implementation of the
same maths, on seeded random inputs: forward, gradInput, parameter gradients (with ``scale``) and persistent state.
Torch7 (with cudnn.torch, imagine-nn and fbnn) is the contract. Indices are 0-based in legonn and PyTorch alike.
inn.ROIPooling has no PyTorch counterpart here (no torchvision): it is checked against tests/test_inn.py's loop
transcription of ROIPooling.cu's ROIPoolForwardV2 / ROIPoolForward kernels, on random boxes.
CI has no torch: the file is skipped there.
"""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip('torch')

import legonn as lg  # noqa: E402
from legonn import cudnn, fbnn, inn  # noqa: E402

with warnings.catch_warnings():
    # tests/test_inn.py marks GPU tests with ``gpu``, a mark tests/conftest.py registers (not loaded here)
    warnings.simplefilter('ignore', pytest.PytestUnknownMarkWarning)
    from tests.test_inn import _roi_loops  # noqa: E402

# the audit's helpers: rng, L (a float64 legonn tensor), T (a torch leaf), N (as NumPy), close, noncontig,
# legonn_pass (forward and backward with SCALE), torch_pass (torch's gradients)
from audit.torch_parity.test_layers import (SCALE, L, N, T, close, legonn_pass, noncontig, rng,  # noqa: E402
                                            torch_pass)

F = torch.nn.functional


def check_module(m, x, fn, params=(), bias_unscaled=False):
    """Compare module ``m`` on NumPy ``x`` with ``fn(x_t, *param_t)``; ``params`` names m's (weight, bias)
    fields, whose gradients (times ``SCALE``) are compared too."""
    ps = [getattr(m, p) for p in params]
    tp = [T(N(p)) for p in ps]
    xt = T(x)
    y = fn(xt, *tp)
    go = rng(99).standard_normal(tuple(y.shape))
    out, gi = legonn_pass(m, L(x), L(go))
    grads = torch_pass(y, [xt, *tp], go)
    close(out, y)
    close(gi, grads[0])
    for name, g in zip(params, grads[1:]):
        s = 1 if (bias_unscaled and name == 'bias') else SCALE
        close(getattr(m, 'grad' + name[0].upper() + name[1:]), s * g)


# --- cudnn convolutions ------------------------------------------------------------------------------------
@pytest.mark.parametrize('groups', [1, 2, 3])
@pytest.mark.parametrize('conf', [(3, 3, 1, 1, 0, 0), (3, 2, 2, 1, 1, 0), (1, 1, 1, 1, 0, 0), (5, 3, 2, 3, 2, 1)],
                         ids=['3x3', 'rect', '1x1', 'strided'])
@pytest.mark.parametrize('batch', [None, 1, 3], ids=['single', 'batch1', 'batch'])
def test_cudnn_spatial_convolution(groups, conf, batch):
    kW, kH, dW, dH, padW, padH = conf
    lg.manualSeed(1)
    m = cudnn.SpatialConvolution(6, 9 if groups == 3 else 4, kW, kH, dW, dH, padW, padH, groups).double()
    shape = (6, 7, 8) if batch is None else (batch, 6, 7, 8)
    x = noncontig(rng(1).standard_normal(shape))

    def fn(xt, w, b):
        y = F.conv2d(xt if batch else xt[None], w, b, (dH, dW), (padH, padW), groups=groups)
        return y if batch else y[0]
    check_module(m, x, fn, ('weight', 'bias'))


def test_cudnn_spatial_convolution_pad_defaults():
    """cudnn's padH defaults to 0, not padW (cudnn/SpatialConvolution.lua's constructor)."""
    m = cudnn.SpatialConvolution(2, 3, 3, 3, 1, 1, 1).double()
    x = rng(2).standard_normal((2, 2, 5, 6))
    check_module(m, x, lambda xt, w, b: F.conv2d(xt, w, b, 1, (0, 1)), ('weight', 'bias'))


def test_cudnn_spatial_convolution_groups_no_bias():
    m = cudnn.SpatialConvolution(4, 6, 3, 2, 1, 2, 1, 0, 2).double().noBias()
    x = rng(9).standard_normal((2, 4, 5, 6))
    check_module(m, x, lambda xt, w: F.conv2d(xt, w, None, (2, 1), (0, 1), groups=2), ('weight',))


@pytest.mark.parametrize('conf', [(3, 3, 1, 1, 0, 0, 0, 0), (3, 3, 2, 2, 1, 1, 1, 0), (4, 2, 3, 2, 1, 0, 2, 1)],
                         ids=['plain', 'adj', 'rect'])
@pytest.mark.parametrize('batch', [None, 2], ids=['single', 'batch'])
def test_cudnn_spatial_full_convolution(conf, batch):
    kW, kH, dW, dH, padW, padH, adjW, adjH = conf
    lg.manualSeed(2)
    m = cudnn.SpatialFullConvolution(3, 4, kW, kH, dW, dH, padW, padH, adjW, adjH).double()
    x = rng(3).standard_normal((3, 5, 6) if batch is None else (batch, 3, 5, 6))

    def fn(xt, w, b):
        y = F.conv_transpose2d(xt if batch else xt[None], w, b, (dH, dW), (padH, padW), (adjH, adjW))
        return y if batch else y[0]
    check_module(m, x, fn, ('weight', 'bias'))


@pytest.mark.parametrize('conf', [(2, 3, 3, 1, 1, 1, 0, 0, 0), (3, 2, 2, 2, 1, 2, 1, 0, 1)], ids=['plain', 'strided'])
@pytest.mark.parametrize('batch', [None, 2], ids=['single', 'batch'])
def test_cudnn_volumetric_convolution(conf, batch):
    kT, kW, kH, dT, dW, dH, padT, padW, padH = conf
    lg.manualSeed(3)
    m = cudnn.VolumetricConvolution(2, 3, kT, kW, kH, dT, dW, dH, padT, padW, padH).double()
    x = rng(4).standard_normal((2, 5, 6, 5) if batch is None else (batch, 2, 5, 6, 5))

    def fn(xt, w, b):
        y = F.conv3d(xt if batch else xt[None], w, b, (dT, dH, dW), (padT, padH, padW))
        return y if batch else y[0]
    check_module(m, x, fn, ('weight', 'bias'))


# --- cudnn poolings (stride defaults to the kernel; averages count the padding) --------------------------------
@pytest.mark.parametrize('ceil', [False, True], ids=['floor', 'ceil'])
@pytest.mark.parametrize('conf', [(2, 2, None, None, 0, 0), (3, 3, 2, 2, 1, 1), (3, 2, 1, 2, 1, 0)],
                         ids=['default', 'pad', 'rect'])
@pytest.mark.parametrize('kind', ['max', 'avg'])
def test_cudnn_spatial_pooling(kind, conf, ceil):
    kW, kH, dW, dH, padW, padH = conf
    cls = cudnn.SpatialMaxPooling if kind == 'max' else cudnn.SpatialAveragePooling
    m = cls(kW, kH, dW, dH, padW, padH).double()
    if ceil:
        m.ceil()
    x = noncontig(rng(5).standard_normal((2, 3, 7, 8)))
    stride = (kH if dH is None else dH, kW if dW is None else dW)
    # PyTorch's ceil mode drops a last window that starts in the right padding, as Torch7's THNN does
    # (SpatialMaxPooling.c / SpatialAveragePooling.c: "ensure that the last pooling starts inside the image")
    if kind == 'max':
        fn = lambda xt: F.max_pool2d(xt, (kH, kW), stride, (padH, padW), ceil_mode=ceil)  # noqa: E731
    else:
        fn = lambda xt: F.avg_pool2d(xt, (kH, kW), stride, (padH, padW), ceil_mode=ceil,  # noqa: E731
                                     count_include_pad=True)
    check_module(m, x, fn)


@pytest.mark.parametrize('kind', ['max', 'avg'])
@pytest.mark.parametrize('pad', [0, 1])
def test_cudnn_volumetric_pooling(kind, pad):
    cls = cudnn.VolumetricMaxPooling if kind == 'max' else cudnn.VolumetricAveragePooling
    m = (cls(2, 3, 2, None, None, None, pad, pad, pad) if pad else cls(2, 3, 2)).double()
    x = rng(6).standard_normal((2, 2, 6, 7, 6))
    if kind == 'max':
        fn = lambda xt: F.max_pool3d(xt, (2, 2, 3), (2, 2, 3), pad)  # noqa: E731
    else:
        fn = lambda xt: F.avg_pool3d(xt, (2, 2, 3), (2, 2, 3), pad, count_include_pad=True)  # noqa: E731
    check_module(m, x, fn)


# --- cudnn batch normalisations: gradients accumulated in updateGradInput, with backward's scale ----------------
@pytest.mark.parametrize('cls,shape', [(cudnn.BatchNormalization, (8, 5)),
                                       (cudnn.SpatialBatchNormalization, (3, 4, 5, 6)),
                                       (cudnn.VolumetricBatchNormalization, (2, 3, 4, 3, 5))],
                         ids=['1d', '2d', '3d'])
def test_cudnn_batch_normalization(cls, shape):
    lg.manualSeed(4)
    C = shape[1]
    m = cls(C, 1e-5, 0.3).double()
    m.weight.copy(L(rng(7).uniform(0.5, 1.5, C)))
    m.bias.copy(L(rng(8).standard_normal(C)))
    rm, rv = torch.zeros(C, dtype=torch.float64), torch.ones(C, dtype=torch.float64)
    for step in range(2):
        x = noncontig(rng(10 + step).standard_normal(shape) * 3 + 1)
        w, b = T(N(m.weight)), T(N(m.bias))
        xt = T(x)
        y = F.batch_norm(xt, rm, rv, w, b, training=True, momentum=0.3, eps=1e-5)
        go = rng(20 + step).standard_normal(shape)
        m.zeroGradParameters()
        out = N(m.forward(L(x)))
        gi = N(m.updateGradInput(L(x), L(go), SCALE))    # cudnn's: the parameters' gradients come here
        m.accGradParameters(L(x), L(go), SCALE)           # and not again here
        gx, gw, gb = torch_pass(y, [xt, w, b], go)
        close(out, y)
        close(gi, gx)
        close(m.gradWeight, SCALE * gw)
        close(m.gradBias, SCALE * gb)
        close(m.running_mean, rm)
        close(m.running_var, rv)   # both unbiased (THNN BatchNormalization.c, PyTorch's batch_norm)
    m.evaluate()
    x = rng(30).standard_normal(shape)
    close(m.forward(L(x)), F.batch_norm(T(x, False), rm, rv, T(N(m.weight), False), T(N(m.bias), False),
                                        training=False, eps=1e-5))


def test_cudnn_batch_normalization_backward_scale():
    m = cudnn.SpatialBatchNormalization(3).double()
    x, go = rng(31).standard_normal((4, 3, 2, 2)), rng(32).standard_normal((4, 3, 2, 2))
    w, b, xt = T(N(m.weight)), T(N(m.bias)), T(x)
    y = F.batch_norm(xt, None, None, w, b, training=True, eps=1e-5)
    out, gi = legonn_pass(m, L(x), L(go))
    gx, gw, gb = torch_pass(y, [xt, w, b], go)
    close(out, y)
    close(gi, gx)
    close(m.gradWeight, SCALE * gw)
    close(m.gradBias, SCALE * gb)


# --- cudnn softmaxes: INSTANCE mode (per sample over all values), CHANNEL mode (over planes) -------------------
@pytest.mark.parametrize('log', [False, True], ids=['soft', 'log'])
@pytest.mark.parametrize('shape', [(7,), (3, 7), (3, 4, 5), (2, 3, 4, 5), (1,), (1, 1)])
def test_cudnn_softmax_instance(log, shape):
    m = cudnn.LogSoftMax() if log else cudnn.SoftMax(fastMode=True)
    x = rng(40).standard_normal(shape) * 5
    batched = len(shape) in (2, 4)
    f = F.log_softmax if log else F.softmax

    def fn(xt):
        flat = xt.reshape(shape[0], -1) if batched else xt.reshape(1, -1)
        return f(flat, dim=1).reshape(shape)
    check_module(m.double(), x, fn)


@pytest.mark.parametrize('log', [False, True], ids=['soft', 'log'])
@pytest.mark.parametrize('shape', [(7,), (3, 7), (3, 4, 5), (2, 3, 4, 5), (2, 1, 3, 3)])
def test_cudnn_spatial_softmax(log, shape):
    """CHANNEL mode over the planes; a 1-D input is one (1, D, 1, 1) sample, a 2-D one (N, D, 1, 1)
    (cudnn/SpatialSoftMax.lua's createIODescriptors)."""
    m = cudnn.SpatialLogSoftMax() if log else cudnn.SpatialSoftMax()
    x = rng(41).standard_normal(shape) * 5
    f = F.log_softmax if log else F.softmax
    check_module(m.double(), x, lambda xt: f(xt, dim=0 if len(shape) in (1, 3) else 1))


@pytest.mark.parametrize('log', [False, True], ids=['soft', 'log'])
@pytest.mark.parametrize('shape', [(2, 3, 2, 4, 3), (3, 2, 4, 3)], ids=['batch', 'single'])
def test_cudnn_volumetric_softmax(log, shape):
    m = cudnn.VolumetricLogSoftMax() if log else cudnn.VolumetricSoftMax()
    x = rng(42).standard_normal(shape) * 4
    f = F.log_softmax if log else F.softmax
    check_module(m.double(), x, lambda xt: f(xt, dim=len(shape) - 4))


# --- LRN: cudnn.SpatialCrossMapLRN, inn.SpatialCrossResponseNormalization, fbnn.CrossMapNormalization ---------
@pytest.mark.parametrize('size,alpha,beta,k', [(5, 1e-4, 0.75, 1), (3, 0.5, 0.9, 2), (1, 1.0, 0.5, 1),
                                               (7, 2.0, 1.2, 0.5)])
@pytest.mark.parametrize('which', ['cudnn', 'inn'])
@pytest.mark.parametrize('batch', [False, True], ids=['single', 'batch'])
def test_cross_map_lrn(which, size, alpha, beta, k, batch):
    cls = cudnn.SpatialCrossMapLRN if which == 'cudnn' else inn.SpatialCrossResponseNormalization
    m = cls(size, alpha, beta, k).double()
    x = noncontig(rng(50).standard_normal((2, 6, 4, 5) if batch else (6, 4, 5)) * 2)

    def fn(xt):
        y = F.local_response_norm(xt if batch else xt[None], size, alpha, beta, k)
        return y if batch else y[0]
    check_module(m, x, fn)


@pytest.mark.parametrize('size,scale,power', [(5, 1e-1, 0.75), (3, 2.0, 0.5), (1, 1.0, 1.0), (9, 0.3, 1.5)])
@pytest.mark.parametrize('batch', [False, True], ids=['single', 'batch'])
def test_fbnn_cross_map_normalization(size, scale, power, batch):
    """y = x (1 + scale/size sum x^2)^-power (fbnn/src/CrossMapNormalization.cpp): PyTorch's LRN with k=1. Size 9
    over 5 channels is legonn's zero-padded window: the .cpp's running ``convolve`` reads and writes past the
    planes there (its loops assume at least ``size`` channels), so Torch7 has no defined answer to compare."""
    m = fbnn.CrossMapNormalization(size, scale, power).double()
    x = noncontig(rng(51).standard_normal((2, 5, 4, 3) if batch else (5, 4, 3)) * 2)

    def fn(xt):
        y = F.local_response_norm(xt if batch else xt[None], size, scale, power, 1.0)
        return y if batch else y[0]
    check_module(m, x, fn)


# --- cudnn activations ---------------------------------------------------------------------------------------
@pytest.mark.parametrize('name', ['ReLU', 'Tanh', 'Sigmoid', 'ClippedReLU'])
@pytest.mark.parametrize('inplace', [False, True])
def test_cudnn_activations(name, inplace):
    x = rng(60).standard_normal((3, 4, 5)) * 3
    x[0, 0, :3] = [0.0, 2.5, -0.0]    # the branch points of ReLU and ClippedReLU(2.5)
    if name == 'ClippedReLU':
        m, fn = cudnn.ClippedReLU(2.5, inplace), lambda xt: F.hardtanh(xt, 0.0, 2.5)
    else:
        m = getattr(cudnn, name)(inplace)
        fn = {'ReLU': F.relu, 'Tanh': torch.tanh, 'Sigmoid': torch.sigmoid}[name]
    xt = T(x)
    y = fn(xt)
    go = rng(61).standard_normal(x.shape)
    m = m.double()
    out = N(m.forward(L(x))).copy()
    gi = N(m.backward(L(x) if not inplace else m.output.clone() if name in ('Tanh', 'Sigmoid') else L(x), L(go)))
    (gx,) = torch_pass(y, [xt], go)
    close(out, y)
    close(gi, gx)


# --- inn ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('levels', [([4, 4], [2, 2], [1, 1]), ([3, 2],), ([5, 3], [1, 2])], ids=['pyr', 'one', 'rect'])
@pytest.mark.parametrize('shape', [(3, 9, 11), (2, 3, 8, 8), (1, 2, 13, 7)])
def test_inn_spatial_pyramid_pooling(levels, shape):
    """Concatenated, flattened adaptive max poolings (inn/SpatialPyramidPooling.lua), each level (w, h)."""
    m = inn.SpatialPyramidPooling(*levels).double()
    x = rng(70).standard_normal(shape)
    batched = len(shape) == 4

    def fn(xt):
        xb = xt if batched else xt[None]
        y = torch.cat([F.adaptive_max_pool2d(xb, (h, w)).reshape(xb.shape[0], -1) for w, h in levels], 1)
        return y if batched else y[0]
    check_module(m, x, fn)


@pytest.mark.parametrize('size,alpha,beta', [(3, 5e-5, 0.75), (5, 0.5, 0.6), (1, 1.0, 1.0)])
def test_inn_spatial_same_response_normalization(size, alpha, beta):
    m = inn.SpatialSameResponseNormalization(size, alpha, beta).double()
    x = rng(71).standard_normal((2, 3, 6, 5)) * 3
    p = size // 2
    check_module(m, x, lambda xt: xt / (1 + alpha * F.avg_pool2d(xt * xt, size, 1, p, count_include_pad=True))
                 ** beta)


@pytest.mark.parametrize('shape,mshape', [((3, 4, 5), (3, 4, 5)), ((2, 3, 4, 5), (3, 4, 5)),
                                          ((2, 3, 4, 5), (1, 3, 4, 5)), ((2, 3, 4, 5), (2, 3, 4, 5))],
                         ids=['image', 'batch', 'mean1', 'perImage'])
def test_inn_mean_subtraction(shape, mshape):
    """x - mean broadcast; a (K, C, H, W) stack of means with K the batch size goes image by image
    (MeanSubtraction.lua:14 skips the expansion then)."""
    mean = rng(72).standard_normal(mshape)
    m = inn.MeanSubtraction(L(mean))
    check_module(m, rng(73).standard_normal(shape), lambda xt: xt - torch.as_tensor(mean))


@pytest.mark.parametrize('shape', [(4, 3), (2, 3, 4, 5)])
def test_inn_const_affine(shape):
    m = inn.ConstAffine(3).double()
    a, b = rng(74).standard_normal(3), rng(75).standard_normal(3)
    m.a.copy(L(a))
    m.b.copy(L(b))
    view = (1, 3) + (1,) * (len(shape) - 2)
    check_module(m, rng(76).standard_normal(shape),
                 lambda xt: xt * torch.as_tensor(a).reshape(view) + torch.as_tensor(b).reshape(view))


@pytest.mark.parametrize('kind', ['max', 'avg'])
@pytest.mark.parametrize('conf', [(3, 3, 2, 2, 0, 0, (2, 3, 8, 8)), (2, 2, 2, 2, 0, 0, (2, 3, 7, 9)),
                                  (3, 2, 2, 1, 1, 0, (1, 2, 6, 7))], ids=['3s2', '2s2', 'pad'])
def test_inn_pooling_always_ceil(kind, conf):
    kW, kH, dW, dH, padW, padH, shape = conf
    cls = inn.SpatialMaxPooling if kind == 'max' else inn.SpatialAveragePooling
    m = cls(kW, kH, dW, dH, padW, padH).double()
    x = rng(77).standard_normal(shape)
    if kind == 'max':
        fn = lambda xt: F.max_pool2d(xt, (kH, kW), (dH, dW), (padH, padW), ceil_mode=True)  # noqa: E731
    else:
        fn = lambda xt: F.avg_pool2d(xt, (kH, kW), (dH, dW), (padH, padW), ceil_mode=True,  # noqa: E731
                                     count_include_pad=True)
    check_module(m, x, fn)


@pytest.mark.parametrize('v2', [True, False], ids=['v2', 'v1'])
@pytest.mark.parametrize('W,H,scale', [(3, 3, 1.0), (2, 4, 0.5), (4, 2, 1 / 16)])
def test_inn_roi_pooling(v2, W, H, scale):
    """Random fractional boxes (past the map's end, one pixel, scale 1/16) against tests/test_inn.py's loop
    transcription of imagine-nn's ROIPooling.cu (ROIPoolForwardV2 / ROIPoolForward, float32 box geometry); the
    data float32 values in float64, as the kernel compares them."""
    data = rng(80).standard_normal((2, 3, 10, 12)).astype(np.float32).astype(np.float64)
    g = rng(81)
    rois = []
    for _ in range(6):
        x1, x2 = np.sort(g.uniform(0, 12 / scale, 2))
        y1, y2 = np.sort(g.uniform(0, 10 / scale, 2))
        rois.append([g.integers(0, 2), x1, y1, x2, y2])
    rois.append([1, 0, 0, 0, 0])             # a one-pixel box
    rois.append([0, 5 / scale, 5 / scale, 40 / scale, 40 / scale])   # past the map's end
    rois = np.array(rois)
    m = inn.ROIPooling(W, H, scale).double()
    m.v2 = v2
    out = N(m.forward([L(data), L(rois)]))
    ref, arg = _roi_loops(data, rois, W, H, scale, v2)
    close(out, ref, 0, 0)
    np.testing.assert_array_equal(N(m.indices), arg)
    go = rng(82).standard_normal(out.shape)
    gi = m.backward([L(data), L(rois)], L(go))
    expect = np.zeros_like(data)
    for r in range(len(rois)):
        for idx in np.ndindex(arg.shape[1:]):
            if arg[(r,) + idx] >= 0:
                expect[int(rois[r, 0]), idx[0]].reshape(-1)[arg[(r,) + idx]] += go[(r,) + idx]
    close(gi[0], expect)
    close(gi[1], np.zeros_like(rois), 0, 0)


# --- fbnn ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('kw,pad', [(1, 0), (3, 0), (3, 1), (2, 2), (5, 1)])
@pytest.mark.parametrize('B', [1, 3])
def test_fbnn_temporal_convolution_tbc(kw, pad, B):
    """conv1d in the (time, batch, channel) layout; gradBias is added unscaled, as TemporalConvolutionTBC.cpp's
    accGradParameters (only its gradWeight GEMM takes ``scale`` as alpha; its bias loop adds gradOutput)."""
    lg.manualSeed(5)
    m = fbnn.TemporalConvolutionTBC(4, 5, kw, pad).double()
    x = noncontig(rng(90).standard_normal((7, B, 4)))

    def fn(xt, w, b):
        return F.conv1d(xt.permute(1, 2, 0), w.permute(2, 1, 0), b, padding=pad).permute(2, 0, 1)
    check_module(m, x, fn, ('weight', 'bias'), bias_unscaled=True)


@pytest.mark.parametrize('n', [1, 6])
def test_fbnn_weighted_lookup_table(n):
    """Row index_i scaled by weight_i: embedding_bag with per_sample_weights, one index per bag."""
    lg.manualSeed(6)
    m = fbnn.WeightedLookupTable(7, 4).double()
    g = rng(91)
    idx = g.integers(0, 7, n)
    idx[0] = idx[-1]                  # a repeated row accumulates
    wts = g.standard_normal(n)
    inp = np.stack([idx.astype(np.float64), wts], 1)
    w = T(N(m.weight))
    y = F.embedding_bag(torch.as_tensor(idx), w, torch.arange(n), mode='sum',
                        per_sample_weights=torch.as_tensor(wts))
    go = g.standard_normal((n, 4))
    out, gi = legonn_pass(m, L(inp), L(go))
    (gw,) = torch_pass(y, [w], go)
    close(out, y)
    close(gi, np.zeros((n, 2)), 0, 0)
    close(m.gradWeight, SCALE * gw)


@pytest.mark.parametrize('shape,dim2', [((5,), False), ((3, 4), False), ((3, 4), True)], ids=['1d', 'batch', 'dim2'])
@pytest.mark.parametrize('unk', [None, 2])
def test_fbnn_lookup_table_gpu(shape, dim2, unk):
    lg.manualSeed(7)
    m = fbnn.LookupTableGPU(6, 3, dim2).double()
    m.unk_index = unk
    idx = rng(92).integers(0, 6, shape)
    idx.reshape(-1)[0] = 2
    w = T(N(m.weight))
    y = F.embedding(torch.as_tensor(idx), w)
    if unk is not None:
        y = y * torch.as_tensor(idx != unk, dtype=torch.float64)[..., None]
    if dim2 and len(shape) == 2:
        y = y.transpose(1, 2)
    go = rng(93).standard_normal(tuple(y.shape))
    out, gi = legonn_pass(m, lg.from_numpy(idx), L(go))
    (gw,) = torch_pass(y, [w], go)
    close(out, y)
    close(gi, np.zeros(shape), 0, 0)
    close(m.gradWeight, SCALE * gw)


@pytest.mark.parametrize('shape', [(5,), (3, 5), (1, 5)])
def test_fbnn_linear_no_backprop(shape):
    lg.manualSeed(8)
    m = fbnn.LinearNoBackprop(5, 4).double()
    x = rng(94).standard_normal(shape)
    w, b, xt = T(N(m.weight)), T(N(m.bias)), T(x)
    y = F.linear(xt, w, b)
    go = rng(95).standard_normal(tuple(y.shape))
    out, gi = legonn_pass(m, L(x), L(go))
    _, gw, gb = torch_pass(y, [xt, w, b], go)
    close(out, y)
    close(gi, np.zeros(shape), 0, 0)
    close(m.gradWeight, SCALE * gw)
    close(m.gradBias, SCALE * gb)


@pytest.mark.parametrize('batch', [None, 1, 4])
@pytest.mark.parametrize('size_average', [True, False])
def test_fbnn_sparse_nll_criterion(batch, size_average):
    g = rng(96)
    rows = 1 if batch is None else batch
    x = F.log_softmax(torch.as_tensor(g.standard_normal((rows, 8))), 1).numpy()
    idx = np.stack([g.permutation(8)[:3] for _ in range(rows)])
    p = g.uniform(0.1, 1, (rows, 3))
    p /= p.sum(1, keepdims=True)
    if batch is None:
        x, idx, p = x[0], idx[0], p[0]
    c = fbnn.SparseNLLCriterion(3)
    c.sizeAverage = size_average
    target = [L(p), lg.from_numpy(idx)]
    loss = c.forward(L(x), target)
    gi = N(c.backward(L(x), target))
    xt = T(x)
    xb, ib, pb = xt.reshape(rows, 8), torch.as_tensor(idx).reshape(rows, 3), torch.as_tensor(p).reshape(rows, 3)
    ref = -(xb.gather(1, ib) * pb).sum() / (rows if size_average else 1)
    ref.backward()
    close(np.asarray(loss), ref)
    close(gi, xt.grad)


def test_fbnn_class_hierarchical_nll_criterion():
    """-log softmax(C x + c)[k] - log softmax(W_k x + w_k)[j] (ClassHierarchicalNLLCriterion.lua), with the
    parameters' gradients accumulated in updateGradInput."""
    lg.manualSeed(9)
    counts = [3, 1, 4]
    mapping = np.array([[k, j] for k, c in enumerate(counts) for j in range(c)])
    c = fbnn.ClassHierarchicalNLLCriterion(lg.from_numpy(mapping), lg.from_numpy(np.array(counts)), 5).double()
    c.clusterBias.copy(L(rng(97).standard_normal(3)))
    c.classBias.copy(L(rng(98).standard_normal(8)))
    for t in (0, 3, 7, 5):
        fields = ('clusterMatrix', 'clusterBias', 'classMatrix', 'classBias')
        ps = [T(N(getattr(c, f))) for f in fields]
        x = rng(100 + t).standard_normal(5)
        xt = T(x)
        k, j = mapping[t]
        s = int(sum(counts[:k]))
        ref = -(F.log_softmax(ps[0] @ xt + ps[1], 0)[k]
                + F.log_softmax(ps[2][s:s + counts[k]] @ xt + ps[3][s:s + counts[k]], 0)[j])
        ref.backward()
        c.zeroGradParameters()
        loss = c.forward(L(x), t)
        gi = N(c.backward(L(x), t))
        close(np.asarray(loss), ref)
        close(gi, xt.grad)
        for f, p in zip(fields, ps):
            close(getattr(c, f + 'Dx'), p.grad)


@pytest.mark.parametrize('case', ['batch', 'single', 'oneCluster', 'direct'])
def test_fbnn_hsm(case):
    """Hierarchical softmax summed over the batch (fbnn/HSM.lua, src/HSM.cpp) against torch's log_softmax pieces;
    ``direct`` is accGradParameters(..., scale, direct_update=True), which adds scale times the gradients to the
    parameters (HSM.lua's direct_update branch). HSM.cpp sums the in-cluster log-sum-exp with THExpMinusApprox
    (a 1e-6-relative approximation of exp(-x)) and the class gradients use exp(score - that log-sum): both
    agree with the exact maths to ~1e-6, not 1e-10."""
    lg.manualSeed(10)
    mapping = np.array([[0, 0], [0, 1], [1, 0], [2, 0], [2, 2], [2, 1], [1, 1]])
    if case == 'oneCluster':
        mapping = np.array([[0, 2], [0, 0], [0, 1]])
    c = fbnn.HSM(lg.from_numpy(mapping), 5).double()
    sizes = np.bincount(mapping[:, 0])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    # class rows are ordered by cluster (HSM.lua's class_start_indices), positions within a cluster in order
    assert N(c.class_start_indices).tolist() == starts.tolist()
    t = rng(111).integers(0, len(mapping), 1 if case == 'single' else 6)
    t[0] = len(mapping) - 1
    x = rng(110).standard_normal((len(t), 5))
    fields = ('cluster_weight', 'cluster_bias', 'class_weight', 'class_bias')
    ps = [T(N(getattr(c, f))) for f in fields]
    before = [N(getattr(c, f)).copy() for f in fields]
    xt = T(x)
    loss = -F.log_softmax(xt @ ps[0].T + ps[1], 1)[torch.arange(len(t)), torch.as_tensor(mapping[t, 0])].sum()
    for i, label in enumerate(t):
        k, j = mapping[label]
        rows = slice(starts[k], starts[k] + sizes[k])
        loss = loss - F.log_softmax(ps[2][rows] @ xt[i] + ps[3][rows], 0)[j]
    loss.backward()
    xl, tl = (L(x[0]), lg.from_numpy(t)) if case == 'single' else (L(x), lg.from_numpy(t))
    out = c.forward(xl, tl)
    if case == 'direct':
        gi = N(c.updateGradInput(xl, tl))
        c.accGradParameters(xl, tl, -SCALE, True)
    else:
        gi = N(c.backward(xl, tl, SCALE))
    close(np.asarray(out), loss, 1e-5, 0)
    close(gi, xt.grad[0] if case == 'single' else xt.grad, 1e-5, 1e-7)
    for f, g, p, b in zip(('cluster_grad_weight', 'cluster_grad_bias', 'class_grad_weight', 'class_grad_bias'),
                          fields, ps, before):
        if case == 'direct':
            close(getattr(c, f), np.zeros_like(b), 0, 0)
            close(getattr(c, g), b - SCALE * p.grad.numpy(), 1e-5, 1e-7)
        else:
            close(getattr(c, f), SCALE * p.grad.numpy(), 1e-5, 1e-7)


@pytest.mark.parametrize('kH,dH,padH', [(3, 1, 0), (3, 2, 1), (1, 1, 2), (4, 3, 2)])
@pytest.mark.parametrize('batch', [None, 2], ids=['single', 'batch'])
def test_cudnn_temporal_convolution(kH, dH, padH, batch):
    """Frames (L, inputFrameSize), padH zero frames at both ends (cudnn/TemporalConvolution.lua); nn's
    (outputFrameSize, kH * inputFrameSize) weight is conv1d's (out, kH, in) weight transposed."""
    lg.manualSeed(11)
    m = cudnn.TemporalConvolution(3, 4, kH, dH, padH).double()
    x = rng(120).standard_normal((7, 3) if batch is None else (batch, 7, 3))

    def fn(xt, w, b):
        xb = (xt if batch else xt[None]).transpose(1, 2)
        y = F.conv1d(xb, w.reshape(4, kH, 3).transpose(1, 2), b, dH, padH).transpose(1, 2)
        return y if batch else y[0]
    check_module(m, x, fn, ('weight', 'bias'))


@pytest.mark.parametrize('batch', [None, 2], ids=['single', 'batch'])
def test_cudnn_volumetric_full_convolution(batch):
    lg.manualSeed(12)
    m = cudnn.VolumetricFullConvolution(2, 3, 2, 3, 2, 2, 1, 2, 1, 0, 1).double()
    x = rng(121).standard_normal((2, 3, 4, 3) if batch is None else (batch, 2, 3, 4, 3))

    def fn(xt, w, b):
        y = F.conv_transpose3d(xt if batch else xt[None], w, b, (2, 2, 1), (1, 1, 0))
        return y if batch else y[0]
    check_module(m, x, fn, ('weight', 'bias'))


def test_fbnn_caching_lookup_table():
    """Rows read through the cache are the backing LookupTable's (embedding); accUpdateGradParameters steps
    each looked-up row by -lr * gradOutput (accumulated for repeats), reaching the table on flush."""
    lg.manualSeed(13)
    lut = lg.nn.LookupTable(20, 4).double()
    w0 = N(lut.weight).copy()
    m = fbnn.CachingLookupTable(lut, 9)
    idx = np.array([[3, 7, 3], [19, 0, 7]])
    wt = T(w0)
    y = F.embedding(torch.as_tensor(idx), wt)
    close(m.forward(lg.from_numpy(idx)), y)
    go = rng(130).standard_normal((2, 3, 4))
    m.accUpdateGradParameters(lg.from_numpy(idx), L(go), 0.3)
    m.flush()
    (gw,) = torch_pass(y, [wt], go)
    close(lut.weight, w0 - 0.3 * gw)


@pytest.mark.parametrize('size', [2, 4, 6])
@pytest.mark.parametrize('which', ['cudnn', 'inn'])
def test_cross_map_lrn_even_size_differs_from_pytorch(which, size):
    """An even window takes channels c - (size - 1) // 2 .. c + size // 2: cuDNN's (cudnnSetLRNDescriptor:
    lookBehind = floor((lrnN - 1) / 2), lookAhead = lrnN - lookBehind - 1), THCUNN's SpatialCrossMapLRN.cu
    (pre_pad = (size - 1) / 2) that inn's subclass runs on the GPU, and legonn's. PyTorch's local_response_norm
    pads size // 2 channels before and (size - 1) // 2 after: the mirror image, so it gives legonn's numbers on
    channel-reversed planes only."""
    cls = cudnn.SpatialCrossMapLRN if which == 'cudnn' else inn.SpatialCrossResponseNormalization
    m = cls(size, 0.8, 0.75, 1.5).double()
    x = rng(52).standard_normal((2, 7, 3, 3)) * 2
    check_module(m, x, lambda xt: torch.flip(F.local_response_norm(torch.flip(xt, (1,)), size, 0.8, 0.75, 1.5), (1,)))
    plain = F.local_response_norm(torch.as_tensor(x), size, 0.8, 0.75, 1.5).numpy()
    assert not np.allclose(N(m.forward(L(x))), plain, rtol=1e-6, atol=0)


@pytest.mark.parametrize('conf', [(3, 3, 2, 2, (2, 3, 8, 7)), (2, 2, 2, 2, (3, 5, 5)), (3, 2, 1, 2, (1, 2, 6, 7)),
                                  (1, 1, 1, 1, (2, 4, 4))], ids=['3s2', '2s2', 'rect', '1x1'])
def test_inn_stochastic_pooling_evaluation(conf):
    """Evaluation: sum(a^2) / (FLT_MIN + sum(a)) over each window, ceil-mode windows clipped at the border
    (inn/SpatialStochasticPooling.cu's inference kernel) = window sums by sum pooling in ceil mode."""
    kW, kH, dW, dH, shape = conf
    m = inn.SpatialStochasticPooling(kW, kH, dW, dH).double()
    m.evaluate()
    x = np.abs(rng(53).standard_normal(shape)) + 0.1
    x.reshape(-1)[:3] = 0
    s = lambda t: F.avg_pool2d(t, (kH, kW), (dH, dW), ceil_mode=True, divisor_override=1)  # noqa: E731
    flt_min = float(np.finfo(np.float32).tiny)
    close(m.forward(L(x)), s(torch.as_tensor(x) ** 2) / (s(torch.as_tensor(x)) + flt_min))


@pytest.mark.parametrize('log', [False, True], ids=['soft', 'log'])
def test_cudnn_softmax_extreme_values(log):
    """Large and very negative scores: the max shift (cuDNN's ACCURATE algorithm) keeps them finite."""
    x = np.array([[800.0, -800.0, 799.0, 0.0], [-1e300, 1e300, 1e300, 0.0]])
    m = cudnn.LogSoftMax(fastMode=True) if log else cudnn.SoftMax()
    f = F.log_softmax if log else F.softmax
    check_module(m.double(), x, lambda xt: f(xt, dim=1))


@pytest.mark.parametrize('name', ['Tanh', 'Sigmoid'])
def test_cudnn_activations_extreme_values(name):
    x = np.array([-1000.0, -40.0, -1e-300, 0.0, 1e-300, 40.0, 1000.0])
    fn = torch.tanh if name == 'Tanh' else torch.sigmoid
    check_module(getattr(cudnn, name)().double(), x, fn)
