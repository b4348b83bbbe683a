"""legonn.cudnn: each class of soumith/cudnn.torch against a float64 NumPy reference or its nn twin, the
Jacobians, type round trips, the GPU (simulator), cudnn.convert, save/load, reprs, typenames and flags."""
import io

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, nn
from legonn.cudnn.convert import LAYERS
from tests.checks import assert_jacobian, assert_matches, assert_rejected, reference_test, standard_tests


def _np(t):
    return np.asarray(lg.as_tensor_tree(t).double().numpy())


def conv2d_ref(x, w, b, stride, pad, groups):
    """Grouped 2-D cross-correlation of (N, C, H, W) in float64, written out directly."""
    (dh, dw), (ph, pw) = stride, pad
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + wd] = x
    oh, ow = (h + 2 * ph - kh) // dh + 1, (wd + 2 * pw - kw) // dw + 1
    out = np.empty((n, o, oh, ow))
    og = o // groups
    for j in range(o):
        g = j // og
        for i in range(oh):
            for k in range(ow):
                win = xp[:, g * cg:(g + 1) * cg, i * dh:i * dh + kh, k * dw:k * dw + kw]
                out[:, j, i, k] = (win * w[j]).sum(axis=(1, 2, 3)) + b[j]
    return out


def temporal_ref(x, w, b, k, d, p):
    """Padded 1-D convolution of (N, T, F): each output frame is weight times k consecutive padded frames."""
    n, t, f = x.shape
    xp = np.zeros((n, t + 2 * p, f))
    xp[:, p:p + t] = x
    steps = (t + 2 * p - k) // d + 1
    cols = np.stack([xp[:, s * d:s * d + k].reshape(n, -1) for s in range(steps)], axis=1)
    return cols @ w.T + b


def softmax_ref(x, axes, log=False):
    z = x - x.max(axis=axes, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=axes, keepdims=True))
    return z - lse if log else np.exp(z - lse)


def twin(nn_module, cudnn_module):
    """The nn module with the cudnn module's parameter values (float64): the reference for a subclass."""
    nn_module.double()
    for p, q in zip(nn_module.parameters()[0], cudnn_module.parameters()[0]):
        p.copy(q)
    return nn_module


# name: (cudnn module factory, input size, reference(module, x as float64 array) -> expected output)
CASES = {
    'SpatialConvolution groups=2 pad': (
        lambda: cudnn.SpatialConvolution(4, 6, 3, 2, 2, 1, 1, 1, 2), (2, 4, 6, 5),
        lambda m, x: conv2d_ref(x, _np(m.weight), _np(m.bias), (1, 2), (1, 1), 2)),
    'SpatialConvolution groups=3 non-batch': (
        lambda: cudnn.SpatialConvolution(3, 6, 2, 2, 1, 1, 0, 0, 3), (3, 5, 4),
        lambda m, x: conv2d_ref(x[None], _np(m.weight), _np(m.bias), (1, 1), (0, 0), 3)[0]),
    'SpatialConvolution padW only': (
        lambda: cudnn.SpatialConvolution(2, 3, 3, 3, 1, 1, 1), (2, 2, 5, 5),
        lambda m, x: conv2d_ref(x, _np(m.weight), _np(m.bias), (1, 1), (0, 1), 1)),
    'TemporalConvolution padded batch': (
        lambda: cudnn.TemporalConvolution(3, 4, 3, 2, 1), (2, 7, 3),
        lambda m, x: temporal_ref(x, _np(m.weight), _np(m.bias), 3, 2, 1)),
    'TemporalConvolution non-batch': (
        lambda: cudnn.TemporalConvolution(2, 3, 2, 1, 1), (5, 2),
        lambda m, x: temporal_ref(x[None], _np(m.weight), _np(m.bias), 2, 1, 1)[0]),
    'SpatialFullConvolution': (
        lambda: cudnn.SpatialFullConvolution(3, 2, 3, 3, 2, 2, 1, 1, 1, 1), (2, 3, 4, 4),
        lambda m, x: _np(twin(nn.SpatialFullConvolution(3, 2, 3, 3, 2, 2, 1, 1, 1, 1), m).forward(x))),
    'VolumetricConvolution': (
        lambda: cudnn.VolumetricConvolution(2, 3, 2, 3, 2, 1, 1, 1, 1, 0, 1), (2, 2, 4, 4, 4),
        lambda m, x: _np(twin(nn.VolumetricConvolution(2, 3, 2, 3, 2, 1, 1, 1, 1, 0, 1), m).forward(x))),
    'VolumetricFullConvolution': (
        lambda: cudnn.VolumetricFullConvolution(2, 2, 2, 2, 2, 2, 2, 2), (1, 2, 3, 3, 3),
        lambda m, x: _np(twin(nn.VolumetricFullConvolution(2, 2, 2, 2, 2, 2, 2, 2), m).forward(x))),
    'SpatialMaxPooling ceil': (
        lambda: cudnn.SpatialMaxPooling(3, 3, 2, 2).ceil(), (2, 2, 6, 6),
        lambda m, x: _np(nn.SpatialMaxPooling(3, 3, 2, 2).ceil().double().forward(x))),
    'SpatialAveragePooling default stride': (
        lambda: cudnn.SpatialAveragePooling(2, 3), (2, 2, 6, 7),
        lambda m, x: x[:, :, :6, :6].reshape(2, 2, 2, 3, 3, 2).mean(axis=(3, 5))),
    'SpatialAveragePooling padded': (
        lambda: cudnn.SpatialAveragePooling(3, 3, 2, 2, 1, 1), (1, 2, 5, 5),
        lambda m, x: conv2d_ref(x.reshape(2, 1, 5, 5), np.full((1, 1, 3, 3), 1 / 9), [0], (2, 2), (1, 1), 1)
        .reshape(1, 2, 3, 3)),
    'VolumetricMaxPooling': (
        lambda: cudnn.VolumetricMaxPooling(2, 2, 2), (2, 2, 4, 4, 4),
        lambda m, x: x.reshape(2, 2, 2, 2, 2, 2, 2, 2).max(axis=(3, 5, 7))),
    'VolumetricAveragePooling': (
        lambda: cudnn.VolumetricAveragePooling(2, 2, 2), (2, 4, 4, 4),
        lambda m, x: x.reshape(2, 2, 2, 2, 2, 2, 2).mean(axis=(2, 4, 6))),
    'ReLU': (lambda: cudnn.ReLU(), (3, 4), lambda m, x: np.maximum(x, 0)),
    'Tanh': (lambda: cudnn.Tanh(), (3, 4), lambda m, x: np.tanh(x)),
    'Sigmoid': (lambda: cudnn.Sigmoid(), (2, 3, 4), lambda m, x: 1 / (1 + np.exp(-x))),
    'ClippedReLU': (lambda: cudnn.ClippedReLU(0.5), (4, 5), lambda m, x: np.clip(x, 0, 0.5)),
    'SoftMax 2-D': (lambda: cudnn.SoftMax(), (3, 5), lambda m, x: softmax_ref(x, 1)),
    'SoftMax 4-D per sample': (lambda: cudnn.SoftMax(True), (2, 3, 2, 2), lambda m, x: softmax_ref(x, (1, 2, 3))),
    'SoftMax 3-D whole': (lambda: cudnn.SoftMax(), (3, 2, 2), lambda m, x: softmax_ref(x, (0, 1, 2))),
    'LogSoftMax 4-D per sample': (lambda: cudnn.LogSoftMax(), (2, 3, 2, 2),
                                  lambda m, x: softmax_ref(x, (1, 2, 3), log=True)),
    'LogSoftMax 1-D': (lambda: cudnn.LogSoftMax(), (6,), lambda m, x: softmax_ref(x, 0, log=True)),
    'SpatialSoftMax': (lambda: cudnn.SpatialSoftMax(), (2, 3, 2, 2), lambda m, x: softmax_ref(x, 1)),
    'SpatialLogSoftMax 3-D': (lambda: cudnn.SpatialLogSoftMax(), (3, 2, 4), lambda m, x: softmax_ref(x, 0, True)),
    'VolumetricSoftMax': (lambda: cudnn.VolumetricSoftMax(), (2, 3, 2, 2, 3), lambda m, x: softmax_ref(x, 1)),
    'VolumetricLogSoftMax 4-D': (lambda: cudnn.VolumetricLogSoftMax(), (3, 2, 2, 3),
                                 lambda m, x: softmax_ref(x, 0, True)),
    'SpatialCrossMapLRN': (
        lambda: cudnn.SpatialCrossMapLRN(3, 0.5, 0.75, 2), (2, 5, 3, 3),
        lambda m, x: x / (2 + 0.5 / 3 * np.stack([(x[:, max(c - 1, 0):c + 2] ** 2).sum(1) for c in range(5)], 1))
        ** 0.75),
    'BatchNormalization': (
        lambda: cudnn.BatchNormalization(4), (5, 4),
        lambda m, x: (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) * _np(m.weight) + _np(m.bias)),
    'SpatialBatchNormalization': (
        lambda: cudnn.SpatialBatchNormalization(3), (2, 3, 2, 2),
        lambda m, x: ((x - x.mean((0, 2, 3), keepdims=True)) / np.sqrt(x.var((0, 2, 3), keepdims=True) + 1e-5)
                      * _np(m.weight)[:, None, None] + _np(m.bias)[:, None, None])),
    'VolumetricBatchNormalization': (
        lambda: cudnn.VolumetricBatchNormalization(2, 1e-3), (2, 2, 2, 2, 2),
        lambda m, x: ((x - x.mean((0, 2, 3, 4), keepdims=True))
                      / np.sqrt(x.var((0, 2, 3, 4), keepdims=True) + 1e-3)
                      * _np(m.weight)[:, None, None, None] + _np(m.bias)[:, None, None, None])),
}
NAMES = list(CASES)


def build(name):
    factory, size, _ = CASES[name]
    return factory(), lg.randn(*size).double()


test_jacobian, test_type_roundtrip, test_gpu = standard_tests(NAMES, build)
test_matches_numpy = reference_test(NAMES, build, lambda name, m, x: CASES[name][2](m, _np(x)), rtol=1e-10,
                                    atol=1e-12)


def test_grouped_convolution_is_per_group_nn_convolutions():
    """cudnn/SpatialConvolution.lua's groups (test/test_groups.lua compares them with ccn2's grouped
    convolution): each output group is an nn.SpatialConvolution of its input group, forward and backward."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    g, conv = 2, cudnn.SpatialConvolution(4, 6, 3, 3, 1, 1, 1, 1, 2)
    x, go = lg.randn(3, 4, 5, 5), lg.randn(3, 6, 5, 5)
    out, gi = conv.forward(x).clone(), conv.backward(x, go).clone()
    for j in range(g):
        part = nn.SpatialConvolution(2, 3, 3, 3, 1, 1, 1, 1)
        part.weight.copy(conv.weight.narrow(0, 3 * j, 3))
        part.bias.copy(conv.bias.narrow(0, 3 * j, 3))
        xj, goj = x.narrow(1, 2 * j, 2), go.narrow(1, 3 * j, 3)
        np.testing.assert_allclose(_np(part.forward(xj)), _np(out.narrow(1, 3 * j, 3)), rtol=1e-12)
        np.testing.assert_allclose(_np(part.backward(xj, goj)), _np(gi.narrow(1, 2 * j, 2)), rtol=1e-12)
        np.testing.assert_allclose(_np(part.gradWeight), _np(conv.gradWeight.narrow(0, 3 * j, 3)), rtol=1e-12)
    assert conv.weight.size() == (6, 2, 3, 3)


def test_constructor_defaults_follow_cudnn():
    """cudnn.torch's defaults where nn's differ: SpatialConvolution's padH is 0 (SpatialConvolution.lua),
    SpatialAveragePooling's stride is the kernel (Pooling.lua), SpatialCrossMapLRN's size is 5, and the
    rest keep nn's."""
    conv = cudnn.SpatialConvolution(3, 4, 3, 3, 1, 1, 2)
    assert (conv.padW, conv.padH, conv.groups) == (2, 0, 1)
    assert nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 2).padH == 2
    pool = cudnn.SpatialAveragePooling(3, 2)
    assert (pool.dW, pool.dH, pool.count_include_pad, pool.ceil_mode) == (3, 2, True, False)
    assert (cudnn.SpatialMaxPooling(3, 2).dW, cudnn.VolumetricMaxPooling(2, 3, 4).dH) == (3, 4)
    lrn = cudnn.SpatialCrossMapLRN()
    assert (lrn.size, lrn.alpha, lrn.beta, lrn.k) == (5, 1e-4, 0.75, 1)
    bn = cudnn.SpatialBatchNormalization(3, None, None, None)
    assert (bn.eps, bn.momentum, bn.affine) == (1e-5, 0.1, True)
    t = cudnn.TemporalConvolution(5, 6, 3)
    assert (t.kH, t.dH, t.padH, t.kW, t.dW) == (3, 1, 0, 3, 1) and t.weight.size() == (6, 15)
    assert not cudnn.ReLU().inplace and cudnn.Sigmoid(True).inplace
    assert cudnn.SoftMax(True).algorithm == 'CUDNN_SOFTMAX_FAST' and cudnn.SoftMax().algorithm.endswith('ACCURATE')
    assert cudnn.LogSoftMax(True).algorithm == cudnn.SpatialLogSoftMax(True).algorithm == 'CUDNN_SOFTMAX_LOG'


@pytest.mark.parametrize('make, match', [
    (lambda: cudnn.SpatialConvolution(3, 4, 3, 3, 1, 1, 0, 0, 2), 'multiples of groups'),
    (lambda: cudnn.SpatialConvolution(4, 4, 3, 3, 1, 1, 0, 0, 0), 'groups'),
    (lambda: cudnn.TemporalConvolution(4, 4, 3, 1, -1), 'padH'),
    (lambda: cudnn.ClippedReLU(None), 'ceiling'),
    (lambda: cudnn.ClippedReLU(-1), 'ceiling'),
    (lambda: cudnn.ReLU(1), 'in-place flag'),
    (lambda: cudnn.Tanh('yes'), 'in-place flag'),
    (lambda: cudnn.SpatialCrossMapLRN(17), 'size'),
    (lambda: cudnn.SpatialCrossMapLRN(5, 1e-4, 0.001), 'beta'),
    (lambda: cudnn.SpatialCrossMapLRN(5, 1e-4, 0.75, 0), 'k has'),
    (lambda: cudnn.BatchNormalization(4, 1e-5, 0.1, False), 'only affine'),
])
def test_bad_hyper_parameters_fail_at_construction(make, match):
    """The asserts of the Lua constructors (SpatialConvolution.lua, ClippedReLU.lua, SpatialCrossMapLRN.lua,
    BatchNormalization.lua) as ValueErrors naming the class."""
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_module_and_change_nothing():
    """A wrong plane count, frame size or rank: a ValueError naming the cudnn module, parameters untouched."""
    conv = cudnn.SpatialConvolution(4, 6, 3, 3, 1, 1, 0, 0, 2)
    assert_rejected(conv, ValueError, r'cudnn\.SpatialConvolution\(4 -> 6.*4 planes', 'forward', lg.randn(1, 3, 5, 5))
    t = cudnn.TemporalConvolution(3, 4, 3, 1, 1)
    assert_rejected(t, ValueError, r'cudnn\.TemporalConvolution.*inputFrameSize = 3', 'forward', lg.randn(5, 2))
    assert_rejected(t, ValueError, r'cudnn\.TemporalConvolution', 'forward', lg.randn(5))
    with pytest.raises(ValueError, match=r'cudnn\.VolumetricSoftMax'):
        cudnn.VolumetricSoftMax().forward(lg.randn(2, 3, 4))
    crit = cudnn.SpatialCrossEntropyCriterion()
    with pytest.raises(ValueError, match=r'cudnn\.SpatialCrossEntropyCriterion.*mini-batches'):
        crit.forward(lg.randn(3, 4, 4), lg.LongTensor(4, 4).zero())
    with pytest.raises(ValueError, match=r'cudnn\.SpatialCrossEntropyCriterion.*target of size \(2, 4, 4\)'):
        crit.forward(lg.randn(2, 3, 4, 4), lg.LongTensor(2, 4, 3).zero())
    with pytest.raises(ValueError, match=r'cudnn\.VolumetricCrossEntropyCriterion.*5-D input'):
        cudnn.VolumetricCrossEntropyCriterion().forward(lg.randn(2, 3, 4, 4), lg.LongTensor(2, 4, 4).zero())


@pytest.mark.parametrize('make, f, df', [
    (lambda: cudnn.ReLU(True), lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0),
    (lambda: cudnn.Tanh(True), np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    (lambda: cudnn.Sigmoid(True), lambda x: 1 / (1 + np.exp(-x)), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    (lambda: cudnn.ClippedReLU(1, True), lambda x: np.clip(x, 0, 1), lambda x: ((x > 0) & (x < 1)) * 1.0),
], ids=['ReLU', 'Tanh', 'Sigmoid', 'ClippedReLU'])
def test_inplace_activations_overwrite_input_and_gradoutput(make, f, df):
    """cudnn/Pointwise.lua's inplace: the output is set to view the input (``self.output:set(input)``), the
    gradInput the gradOutput, with the values of f(x) and f'(x) gradOutput (float64)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    m = make()
    x, go = lg.randn(3, 4), lg.randn(3, 4)
    x0, go0 = _np(x).copy(), _np(go).copy()
    assert m.forward(x) is m.output and m.output.isSetTo(x)
    np.testing.assert_allclose(_np(x), f(x0), rtol=1e-12)
    assert m.backward(x, go) is m.gradInput and m.gradInput.isSetTo(go)
    np.testing.assert_allclose(_np(go), df(x0) * go0, rtol=1e-12, atol=1e-15)


def spatial_cross_entropy_ref(x, t, w=None):
    """Per-pixel cross entropy averaged over batch and pixels (weighted: divided by the summed weights)."""
    logp = softmax_ref(x, 1, log=True)
    picked = np.take_along_axis(logp, t[:, None], 1)[:, 0]
    wt = np.ones_like(picked) if w is None else w[t]
    return -(wt * picked).sum() / wt.sum()


def test_spatial_cross_entropy_matches_numpy_and_per_pixel_cross_entropy():
    """cudnn/SpatialCrossEntropyCriterion.lua; test/test.lua's SpatialCrossEntropyCriterion compares the
    gradient with nn.CrossEntropyCriterion run pixel by pixel, divided by the pixel count."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    x, t = lg.randn(3, 4, 2, 5), lg.LongTensor(3, 2, 5).random(4)
    crit = cudnn.SpatialCrossEntropyCriterion()
    loss = crit.forward(x, t)
    assert loss == pytest.approx(spatial_cross_entropy_ref(_np(x), np.asarray(t.numpy())), rel=1e-12)
    gi = crit.backward(x, t)
    ce = nn.CrossEntropyCriterion()
    for i in range(2):
        for j in range(5):
            xi = x[:, :, i, j].contiguous()
            ce.forward(xi, t[:, i, j].contiguous())
            np.testing.assert_allclose(_np(gi[:, :, i, j]), _np(ce.backward(xi, t[:, i, j].contiguous())) / 10,
                                       rtol=1e-10)
    w = lg.Tensor([1, 2, 0.5, 3])
    weighted = cudnn.SpatialCrossEntropyCriterion(w)
    assert weighted.forward(x, t) == pytest.approx(
        spatial_cross_entropy_ref(_np(x), np.asarray(t.numpy()), _np(w)), rel=1e-12)
    crit.sizeAverage = False
    assert crit.forward(x, t) == pytest.approx(loss * 30, rel=1e-12)


def test_volumetric_cross_entropy_is_the_spatial_one_over_folded_time():
    """cudnn/VolumetricCrossEntropyCriterion.lua folds time and height; its test compares the gradient with
    per-voxel nn.CrossEntropyCriterion divided by the voxel count."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    x, t = lg.randn(2, 3, 2, 2, 3), lg.LongTensor(2, 2, 2, 3).random(3)
    crit = cudnn.VolumetricCrossEntropyCriterion()
    loss = crit.forward(x, t)
    xn, tn = _np(x), np.asarray(t.numpy())
    assert loss == pytest.approx(spatial_cross_entropy_ref(xn.reshape(2, 3, 4, 3), tn.reshape(2, 4, 3)), rel=1e-12)
    gi = crit.backward(x, t)
    assert gi.size() == x.size()
    ce = nn.CrossEntropyCriterion()
    xi, ti = x[:, :, 1, 0, 2].contiguous(), t[:, 1, 0, 2].contiguous()
    ce.forward(xi, ti)
    np.testing.assert_allclose(_np(gi[:, :, 1, 0, 2]), _np(ce.backward(xi, ti)) / 12, rtol=1e-10)


def test_criterion_jacobians():
    """d loss / d input of both criterions agrees with central differences (float64)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    for crit, x, t in ((cudnn.SpatialCrossEntropyCriterion(lg.Tensor([1, 2, 3])), lg.randn(2, 3, 2, 2),
                        lg.LongTensor(2, 2, 2).random(3)),
                       (cudnn.VolumetricCrossEntropyCriterion(), lg.randn(2, 3, 2, 1, 2),
                        lg.LongTensor(2, 2, 1, 2).random(3))):
        crit.forward(x, t)
        gi = _np(crit.backward(x, t)).ravel()
        flat, est = x.view(-1), np.empty(x.nElement())
        for i in range(x.nElement()):
            v = float(flat[i])
            flat[i] = v + 1e-6
            up = crit.forward(x, t)
            flat[i] = v - 1e-6
            est[i] = (up - crit.forward(x, t)) / 2e-6
            flat[i] = v
        np.testing.assert_allclose(gi, est, atol=1e-8)


@pytest.mark.gpu
def test_criterions_on_the_gpu():
    """Both criterions give the CPU's loss and gradient on CUDA tensors."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    x, t = lg.randn(2, 3, 2, 2, 3), lg.LongTensor(2, 2, 2, 3).random(3)
    for crit, xs, ts in ((cudnn.VolumetricCrossEntropyCriterion(), x, t),
                         (cudnn.SpatialCrossEntropyCriterion(), x.select(2, 0).contiguous(),
                          t.select(1, 0).contiguous())):
        loss, gi = crit.forward(xs, ts), crit.backward(xs, ts).clone()
        gpu = crit.clone().cudaDouble()
        assert float(gpu.forward(xs.cudaDouble(), ts.cudaLong())) == pytest.approx(loss, rel=1e-12)
        np.testing.assert_allclose(_np(gpu.backward(xs.cudaDouble(), ts.cudaLong()).double().cpu()), _np(gi),
                                   rtol=1e-12)


def test_temporal_padding_matches_nn_on_zero_padded_input():
    """test/test.lua's TemporalConvolution_padding_batch: cudnn's padded convolution equals nn's on the input
    padded with zero frames, forward, gradInput (the middle frames) and parameter gradients; also after a
    save/load."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    k, d, p = 5, 2, 2
    ref = nn.TemporalConvolution(3, 4, k, d)
    x = lg.randn(2, 9, 3)
    padded = lg.zeros(2, 9 + 2 * p, 3)
    padded.narrow(1, p, 9).copy(x)
    out = ref.forward(padded)
    go = lg.randn(*out.size())
    ref.zeroGradParameters()
    gref = ref.backward(padded, go, 0.5)
    conv = cudnn.TemporalConvolution(3, 4, k, d, p)
    conv.weight.copy(ref.weight.view(conv.weight.size()))
    conv.bias.copy(ref.bias)
    conv.forward(x)
    conv = lg.deserialize(lg.serialize(conv))
    np.testing.assert_allclose(_np(conv.forward(x)), _np(out), rtol=1e-12)
    conv.zeroGradParameters()
    gi = conv.backward(x, go, 0.5)
    np.testing.assert_allclose(_np(gi), _np(gref.narrow(1, p, 9)), rtol=1e-12)
    np.testing.assert_allclose(_np(conv.gradWeight), _np(ref.gradWeight), rtol=1e-12)
    np.testing.assert_allclose(_np(conv.gradBias), _np(ref.gradBias), rtol=1e-12)
    conv.clearState()
    np.testing.assert_allclose(_np(conv.forward(x)), _np(out), rtol=1e-12)


def test_temporal_padding_is_made_once_per_forward_backward(monkeypatch):
    """cudnn/TemporalConvolution.lua pads inside cudnn's call; legonn pads into a buffer at forward and its
    backward reads that buffer (nn's Module:backward takes forward's input), so each forward/backward pair pads
    once; the gradients are nn's on the zero-padded input."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    conv = cudnn.TemporalConvolution(3, 4, 3, 1, 2)
    ref = nn.TemporalConvolution(3, 4, 3, 1)
    ref.weight.copy(conv.weight)
    ref.bias.copy(conv.bias)
    pads = []
    pad = cudnn.TemporalConvolution._padded
    monkeypatch.setattr(cudnn.TemporalConvolution, '_padded', lambda self, x: pads.append(1) or pad(self, x))
    x = lg.randn(2, 6, 3)
    padded = lg.zeros(2, 10, 3)
    padded.narrow(1, 2, 6).copy(x)
    go = lg.randn(*ref.forward(padded).size())
    ref.zeroGradParameters()
    gref = ref.backward(padded, go).narrow(1, 2, 6)
    for step in (1, 2):
        conv.zeroGradParameters()
        conv.forward(x)
        gi = conv.backward(x, go)
        np.testing.assert_allclose(_np(gi), _np(gref), rtol=1e-12)
        np.testing.assert_allclose(_np(conv.gradWeight), _np(ref.gradWeight), rtol=1e-12)
        assert len(pads) == step


@pytest.mark.parametrize('make_nn, make_cudnn, size', [
    (lambda: nn.SoftMax(), lambda: cudnn.SoftMax(), (4, 7)),
    (lambda: nn.LogSoftMax(), lambda: cudnn.LogSoftMax(), (4, 7)),
    (lambda: nn.SoftMax(), lambda: cudnn.SoftMax(), (7,)),
    (lambda: nn.SpatialLogSoftMax(), lambda: cudnn.SpatialLogSoftMax(), (2, 4, 3, 3)),
    (lambda: nn.SpatialCrossMapLRN(5), lambda: cudnn.SpatialCrossMapLRN(), (2, 7, 3, 3)),
    (lambda: nn.SpatialMaxPooling(2, 2), lambda: cudnn.SpatialMaxPooling(2, 2), (2, 3, 6, 6)),
    (lambda: nn.VolumetricMaxPooling(2, 2, 2), lambda: cudnn.VolumetricMaxPooling(2, 2, 2), (2, 2, 4, 4, 4)),
], ids=['SoftMax', 'LogSoftMax', 'SoftMax non-batch', 'SpatialLogSoftMax', 'SpatialCrossMapLRN',
        'SpatialMaxPooling', 'VolumetricMaxPooling'])
def test_against_nn_as_cudnns_test_layer(make_nn, make_cudnn, size):
    """test/test.lua's testLayer: the cudnn module (after a save and load) gives nn's output and gradInput,
    and cudnn.convert of the nn module gives the same class."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    ref, mod = make_nn(), lg.deserialize(lg.serialize(make_cudnn()))
    x = lg.randn(*size)
    out = ref.forward(x)
    go = lg.randn(*out.size())
    np.testing.assert_allclose(_np(mod.forward(x)), _np(out), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(_np(mod.backward(x, go)), _np(ref.backward(x, go)), rtol=1e-12, atol=1e-14)
    converted = cudnn.convert(make_nn(), cudnn)
    if type(mod).__name__ in LAYERS:
        assert lg.typename(converted) == lg.typename(mod)
    else:   # convert.lua's list leaves it out
        assert type(converted) is type(ref)


@pytest.mark.parametrize('make,shape', [(lambda: cudnn.BatchNormalization(3), (4, 3)),
                                        (lambda: cudnn.SpatialBatchNormalization(3), (4, 3, 2, 2)),
                                        (lambda: cudnn.VolumetricBatchNormalization(3), (2, 3, 2, 2, 2))])
def test_batch_normalization_parameter_gradients_come_with_grad_input(make, shape):
    """cudnn/BatchNormalization.lua: updateGradInput(input, gradOutput, scale) accumulates scale times gradWeight
    and gradBias too (one cudnnBatchNormalizationBackward call) and accGradParameters is empty; backward's scale
    reaches them. So the gradients are right even when the gradOutput is rewritten between a container's
    updateGradInput and accGradParameters, as DenseNet's shared buffers do."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    m = make()
    ref = twin(nn.BatchNormalization(3) if len(shape) == 2 else
               (nn.SpatialBatchNormalization(3) if len(shape) == 4 else nn.VolumetricBatchNormalization(3)), m)
    x, go = lg.randn(*shape), lg.randn(*shape)
    m.forward(x)
    ref.forward(x)
    m.zeroGradParameters()
    ref.zeroGradParameters()
    ref.backward(x, go, 0.5)
    gi = m.updateGradInput(x, go.clone(), 0.5)
    np.testing.assert_allclose(_np(gi), _np(ref.gradInput), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(_np(m.gradWeight), _np(ref.gradWeight), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(_np(m.gradBias), _np(ref.gradBias), rtol=1e-12, atol=1e-14)
    m.accGradParameters(x, lg.randn(*shape))       # empty, as cudnn's
    np.testing.assert_allclose(_np(m.gradBias), _np(ref.gradBias), rtol=1e-12, atol=1e-14)
    m.zeroGradParameters()
    m.backward(x, go, 0.5)
    np.testing.assert_allclose(_np(m.gradWeight), _np(ref.gradWeight), rtol=1e-12, atol=1e-14)
    m.zeroGradParameters()
    m.updateGradInput(x, go)
    np.testing.assert_allclose(_np(m.gradBias), 2 * _np(ref.gradBias), rtol=1e-12, atol=1e-14)


def test_batch_normalization_running_statistics_and_evaluate_mode_as_nn():
    """cudnn/BatchNormalization.lua keeps running_mean and running_var (unbiased) as nn's; evaluation uses them."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    m = cudnn.SpatialBatchNormalization(3)
    ref = twin(nn.SpatialBatchNormalization(3), m)
    for _ in range(3):
        x = lg.randn(4, 3, 2, 2)
        m.forward(x)
        ref.forward(x)
    np.testing.assert_allclose(_np(m.running_mean), _np(ref.running_mean), rtol=1e-12)
    np.testing.assert_allclose(_np(m.running_var), _np(ref.running_var), rtol=1e-12)
    m.evaluate()
    ref.evaluate()
    np.testing.assert_allclose(_np(m.forward(x)), _np(ref.forward(x)), rtol=1e-12)


def small_net():
    net = nn.Sequential()
    net.add(nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1)).add(nn.SpatialBatchNormalization(8)).add(nn.ReLU(True))
    net.add(nn.SpatialMaxPooling(2, 2, 2, 2)).add(nn.SpatialConvolutionMM(8, 4, 3, 3)).add(nn.Tanh())
    net.add(nn.SpatialAveragePooling(2, 2, 2, 2, 1, 1)).add(nn.View(16).setNumInputDims(3))
    net.add(nn.Linear(16, 5)).add(nn.LogSoftMax())
    return net


def test_convert_both_ways_keeps_parameters_outputs_and_gradients():
    """cudnn/convert.lua: nn.X -> cudnn.X in place (nn.SpatialConvolutionMM too), the same tensors (no copy),
    the same outputs and gradients; back to nn, the same again; the call returns the net."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    net = small_net()
    x = lg.randn(2, 3, 8, 8)
    out = net.forward(x).clone()
    go = lg.randn(2, 5)
    net.zeroGradParameters()
    gi = net.backward(x, go).clone()
    grads = net.getParameters()[1].clone()
    weights = [m.weight for m in net.modules if m.weight is not None]
    assert cudnn.convert(net, cudnn) is net
    assert [lg.typename(m) for m in net.modules] == [
        'cudnn.SpatialConvolution', 'cudnn.SpatialBatchNormalization', 'cudnn.ReLU', 'cudnn.SpatialMaxPooling',
        'cudnn.SpatialConvolution', 'cudnn.Tanh', 'cudnn.SpatialAveragePooling', 'nn.View', 'nn.Linear',
        'cudnn.LogSoftMax']
    assert all(a is b for a, b in zip(weights, [m.weight for m in net.modules if m.weight is not None]))
    assert net.get(2).inplace and net.get(6).padW == 1
    for back in (False, True):
        if back:
            assert cudnn.convert(net, nn) is net
            assert [lg.typename(m) for m in net.modules][:7] == [
                'nn.SpatialConvolution', 'nn.SpatialBatchNormalization', 'nn.ReLU', 'nn.SpatialMaxPooling',
                'nn.SpatialConvolution', 'nn.Tanh', 'nn.SpatialAveragePooling']
            assert net.get(6).count_include_pad and net.get(6).divide
        np.testing.assert_array_equal(_np(net.forward(x)), _np(out))
        net.zeroGradParameters()
        np.testing.assert_array_equal(_np(net.backward(x, go)), _np(gi))
        np.testing.assert_array_equal(_np(net.getParameters()[1]), _np(grads))


def test_convert_exclusion_subclasses_groups_and_graphs():
    """convert.lua's exclusion_fn (the README's example keeps ReLU as nn's); subclasses of the listed classes are
    not converted (type names must match); a grouped convolution has no nn twin and stays; a whole module
    converts and is returned; the modules inside a gModule are converted too (legonn's replace reaches them)."""
    net = nn.Sequential().add(nn.SpatialConvolution(3, 96, 11, 11, 3, 3)).add(nn.ReLU())
    cudnn.convert(net, cudnn, lambda m: 'ReLU' in lg.type(m))
    assert repr(net) == ('nn.Sequential {\n  [input -> (0) -> (1) -> output]\n'
                         '  (0): cudnn.SpatialConvolution(3 -> 96, 11x11, 3,3)\n  (1): nn.ReLU\n}')
    assert lg.typename(cudnn.convert(nn.SpatialDilatedConvolution(2, 2, 3, 3), cudnn)) == 'nn.SpatialDilatedConvolution'
    grouped = nn.Sequential().add(cudnn.SpatialConvolution(4, 4, 3, 3, 1, 1, 0, 0, 2))
    assert lg.typename(cudnn.convert(grouped, nn).get(0)) == 'cudnn.SpatialConvolution'
    relu = cudnn.convert(nn.ReLU(), cudnn)
    assert lg.typename(relu) == 'cudnn.ReLU'
    x = nn.Identity()()
    g = nn.gModule([x], [nn.Tanh()(nn.Linear(3, 3)(x))])
    cudnn.convert(g, cudnn)
    assert 'cudnn.Tanh' in [lg.typename(m) for m in g.modules]
    assert g.forward(lg.randn(2, 3)).size() == (2, 3)
    with pytest.raises(TypeError, match='backend must be legonn.nn or legonn.cudnn'):
        cudnn.convert(net, 'cudnn')


ALL = [lambda: cudnn.SpatialConvolution(4, 6, 3, 3, 1, 1, 1, 1, 2), lambda: cudnn.TemporalConvolution(3, 4, 3, 1, 1),
       lambda: cudnn.SpatialFullConvolution(2, 3, 3, 3), lambda: cudnn.VolumetricConvolution(2, 3, 2, 2, 2),
       lambda: cudnn.VolumetricFullConvolution(2, 3, 2, 2, 2), lambda: cudnn.SpatialMaxPooling(2, 2).ceil(),
       lambda: cudnn.SpatialAveragePooling(3, 3), lambda: cudnn.VolumetricMaxPooling(2, 2, 2),
       lambda: cudnn.VolumetricAveragePooling(2, 2, 2), lambda: cudnn.ReLU(True), lambda: cudnn.Tanh(),
       lambda: cudnn.Sigmoid(), lambda: cudnn.ClippedReLU(6), lambda: cudnn.SoftMax(), lambda: cudnn.LogSoftMax(),
       lambda: cudnn.SpatialSoftMax(), lambda: cudnn.SpatialLogSoftMax(), lambda: cudnn.VolumetricSoftMax(),
       lambda: cudnn.VolumetricLogSoftMax(), lambda: cudnn.SpatialCrossMapLRN(),
       lambda: cudnn.BatchNormalization(3), lambda: cudnn.SpatialBatchNormalization(3),
       lambda: cudnn.VolumetricBatchNormalization(3), lambda: cudnn.SpatialCrossEntropyCriterion(),
       lambda: cudnn.VolumetricCrossEntropyCriterion(), lambda: cudnn.RNN(3, 4, 2), lambda: cudnn.RNNReLU(3, 4, 1),
       lambda: cudnn.RNNTanh(3, 4, 1), lambda: cudnn.LSTM(3, 4, 1), lambda: cudnn.GRU(3, 4, 1),
       lambda: cudnn.BLSTM(3, 4, 1), lambda: cudnn.BGRU(3, 4, 1)]


def test_every_class_names_itself_cudnn_and_survives_save_and_load(tmp_path):
    """Each class is 'cudnn.<name>' to legonn.typename, torch.type and its repr, isTypeOf its nn parent where
    the Lua class derives from it, and lg.save/lg.load give back the same class and state."""
    mods = [make() for make in ALL]
    # all classes but the flags, convert, functional, getHandle, C, configureMath, configmap and find
    assert len({type(m) for m in mods}) == len(cudnn.__all__) - 12
    path = tmp_path / 'all.legonn'
    lg.save(str(path), mods)
    back = lg.load(str(path))
    for m, b in zip(mods, back):
        name = 'cudnn.' + type(m).__name__
        assert lg.typename(m) == name == lg.type(m) == m.__typename
        assert repr(m).startswith(name) and repr(b) == repr(m)
        assert type(b) is type(m) and getattr(cudnn, type(m).__name__) is type(m)
        for field in ('weight', 'bias', 'running_var', 'hiddenOutput'):
            if getattr(m, field, None) is not None:
                np.testing.assert_array_equal(_np(getattr(b, field)), _np(getattr(m, field)))
    assert repr(cudnn.SpatialConvolution(3, 96, 11, 11, 3, 3)) == 'cudnn.SpatialConvolution(3 -> 96, 11x11, 3,3)'
    assert repr(cudnn.ClippedReLU(6)) == 'cudnn.ClippedReLU'
    assert lg.isTypeOf(mods[0], 'nn.SpatialConvolution') and lg.isTypeOf(mods[0], 'cudnn.SpatialConvolution')
    assert not lg.isTypeOf(nn.SpatialConvolution(2, 2, 3, 3), 'cudnn.SpatialConvolution')
    assert nn.ReLU is not cudnn.ReLU and nn.registry['ReLU'] is nn.ReLU and 'cudnn.ReLU' not in nn.__all__
    net = nn.Sequential().add(mods[0]).add(nn.SpatialConvolution(6, 2, 1, 1))
    assert net.findModules('cudnn.SpatialConvolution')[0] == [mods[0]]
    assert net.findModules('nn.SpatialConvolution')[0] == [net.get(1)]


def test_flags_and_version_are_accepted():
    """init.lua's flags (benchmark, fastest, useFindEx; verbose from the README) start False, can be set, and
    change no result; version is an R5 release number; the convolutions' fastest/setMode/resetMode chain."""
    assert (cudnn.benchmark, cudnn.fastest, cudnn.verbose, cudnn.useFindEx) == (False, False, False, False)
    assert 5005 <= cudnn.version < 6000
    conv = cudnn.SpatialConvolution(2, 2, 3, 3)
    x = lg.randn(1, 2, 5, 5)
    out = conv.forward(x).clone()
    try:
        cudnn.benchmark = cudnn.fastest = True
        assert conv.fastest() is conv and conv.setMode(1, 1, 1) is conv and conv.resetMode() is conv
        assert conv.fastest_mode and conv.fmode is None
        np.testing.assert_array_equal(_np(conv.forward(x)), _np(out))
    finally:
        cudnn.benchmark = cudnn.fastest = False


def test_grouped_convolution_jacobian_with_stride():
    """A grouped convolution with stride and uneven padding, by finite differences (input and parameters)."""
    assert_jacobian(cudnn.SpatialConvolution(6, 4, 3, 2, 2, 1, 0, 1, 2), lg.randn(2, 6, 5, 6))


def test_output_matches_reference_after_float_round_trip():
    """The grouped convolution built in float32 and then doubled still computes the reference."""
    m = cudnn.SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1, 4).double()
    x = lg.randn(1, 4, 4, 4).double()
    assert_matches(m.forward(x), conv2d_ref(_np(x), _np(m.weight), _np(m.bias), (1, 1), (1, 1), 4), rtol=1e-10)


def test_t7_files_with_cudnn_modules_load_as_legonn_cudnn():
    """A model Torch7 saved with cudnn layers (fb.resnet.torch's checkpoints: cudnn.SpatialConvolution without
    bias after ConvInit, cudnn.ReLU(true), cudnn.SpatialAveragePooling) loads as legonn.cudnn's classes with the
    file's parameters and flags; a grouped convolution keeps its groups, an LSTM its flat weight."""
    from tests.serialization.test_t7 import T7
    lg.setdefaulttensortype('torch.DoubleTensor')
    w = np.random.default_rng(0).standard_normal((4, 1, 3, 3))
    bn = dict(eps=1e-5, momentum=0.1, affine=True, train=False, running_mean=np.array([0.1, 0.2, 0.3, 0.4]),
              running_var=np.array([1.0, 2.0, 3.0, 4.0]), weight=np.array([1.0, 0.5, 2.0, 1.0]), bias=np.zeros(4))
    lstm = cudnn.LSTM(3, 2, 1)
    net = ('object', 'nn.Sequential', {'modules': {
        1: ('object', 'cudnn.SpatialConvolution', dict(nInputPlane=2, nOutputPlane=4, kW=3, kH=3, dW=1, dH=1,
                                                        padW=1, padH=1, groups=2, weight=w)),
        2: ('object', 'cudnn.SpatialBatchNormalization', bn),
        3: ('object', 'cudnn.ReLU', dict(inplace=True)),
        4: ('object', 'cudnn.SpatialAveragePooling', dict(kW=2, kH=2, dW=2, dH=2, padW=0, padH=0, ceil_mode=True,
                                                           count_include_pad=True))}})
    loaded = lg.load_lua(io.BytesIO(T7().value({'net': net, 'lstm': ('object', 'cudnn.LSTM', dict(
        inputSize=3, hiddenSize=2, numLayers=1, batchFirst=False, dropout=0, rememberStates=False,
        weight=lstm.weight.numpy().copy()))}).bytes()))
    model = loaded['net']
    assert [lg.typename(m) for m in model.modules] == ['cudnn.SpatialConvolution', 'cudnn.SpatialBatchNormalization',
                                                       'cudnn.ReLU', 'cudnn.SpatialAveragePooling']
    conv, norm, relu, pool = model.modules
    assert conv.groups == 2 and conv.bias is None and relu.inplace and pool.ceil_mode and not norm.train
    x = lg.randn(1, 2, 5, 5)
    y = conv2d_ref(_np(x), w, np.zeros(4), (1, 1), (1, 1), 2)
    y = (y - bn['running_mean'][:, None, None]) / np.sqrt(bn['running_var'][:, None, None] + 1e-5) \
        * bn['weight'][:, None, None]
    y = np.maximum(y, 0)
    # ceil mode: the last windows hang over the edge and average the values inside, as nn's (THNN's divisor)
    y = np.stack([np.stack([y[:, :, i:i + 2, j:j + 2].mean(axis=(2, 3)) for j in (0, 2, 4)], -1)
                  for i in (0, 2, 4)], -2)
    np.testing.assert_allclose(_np(model.forward(x)), y, rtol=1e-12)
    seq = lg.randn(4, 2, 3)
    np.testing.assert_array_equal(_np(loaded['lstm'].forward(seq)), _np(lstm.forward(seq)))


def test_t7_files_with_cudnn_volumetric_poolings_load_as_legonn_cudnn():
    """cudnn.VolumetricMaxPooling / VolumetricAveragePooling as cudnn.torch writes them (Pooling3D.lua's fields:
    kernel, stride, padding, ceil_mode, and the mode string its forward set) load as legonn.cudnn's classes
    computing the windows: max with ceil mode and padding; average counting the padding (cuDNN's
    AVERAGE_COUNT_INCLUDE_PADDING)."""
    from tests.serialization.test_t7 import T7
    lg.setdefaulttensortype('torch.DoubleTensor')
    maxpool = ('object', 'cudnn.VolumetricMaxPooling', dict(kT=2, kW=2, kH=2, dT=2, dW=2, dH=2, padT=0, padW=1,
                                                             padH=1, ceil_mode=True, mode='CUDNN_POOLING_MAX'))
    avgpool = ('object', 'cudnn.VolumetricAveragePooling', dict(
        kT=1, kW=3, kH=3, dT=1, dW=2, dH=2, padT=0, padW=1, padH=1, ceil_mode=False,
        mode='CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING'))
    loaded = lg.load_lua(io.BytesIO(T7().value({'max': maxpool, 'avg': avgpool}).bytes()))
    mx, avg = loaded['max'], loaded['avg']
    assert (lg.typename(mx), lg.typename(avg)) == ('cudnn.VolumetricMaxPooling', 'cudnn.VolumetricAveragePooling')
    assert (mx.kT, mx.dW, mx.padW, mx.padH, mx.ceil_mode) == (2, 2, 1, 1, True)
    assert (avg.kW, avg.dH, avg.padT, avg.padW, avg.ceil_mode) == (3, 2, 0, 1, False)
    x = np.random.default_rng(1).standard_normal((1, 2, 3, 4, 4))
    # ceil mode: T 3 -> 2 windows (the last hangs over the end), H and W padded by 1 -> 3 windows each
    padded = np.pad(x, ((0, 0), (0, 0), (0, 1), (1, 1), (1, 1)), constant_values=-np.inf)
    want = padded.reshape(1, 2, 2, 2, 3, 2, 3, 2).max(axis=(3, 5, 7))
    np.testing.assert_array_equal(_np(mx.forward(lg.from_numpy(x))), want)
    padded = np.pad(x, ((0, 0), (0, 0), (0, 0), (1, 1), (1, 1)))
    want = np.stack([np.stack([padded[:, :, :, i:i + 3, j:j + 3].sum(axis=(3, 4)) / 9 for j in (0, 2)], -1)
                     for i in (0, 2)], -2)
    np.testing.assert_allclose(_np(avg.forward(lg.from_numpy(x))), want, rtol=1e-13)
