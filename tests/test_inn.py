"""legonn.inn, szagoruyko/imagine-nn's classes: the .cu kernels (ROIPooling.cu, SpatialStochasticPooling.cu)
transcribed as float32 loops, the Lua compositions checked in closed form, inn's test/test_jacobian.lua cases
(0-based), Jacobians, float()/double(), the GPU twins, typenames and files, inn.utils."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import inn, nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip, standard_tests
from tests.robustness import test_sweep
from tests.robustness.perturb import KINDS


def _affine():
    m = inn.ConstAffine(3)
    m.a.uniform(0.5, 2)
    m.b.uniform(-1, 1)
    return m


CASES = {
    'maxpool-ceil': (lambda: inn.SpatialMaxPooling(3, 3, 2, 2), lambda: lg.randn(2, 6, 6)),
    'maxpool-batch': (lambda: inn.SpatialMaxPooling(2, 2), lambda: lg.randn(2, 2, 5, 5)),
    'avgpool-ceil': (lambda: inn.SpatialAveragePooling(3, 3, 2, 2), lambda: lg.randn(2, 2, 6, 7)),
    'pyramid-3d': (lambda: inn.SpatialPyramidPooling([4, 4], [3, 3]), lambda: lg.randn(2, 9, 10)),
    'pyramid-4d': (lambda: inn.SpatialPyramidPooling([[2, 1], [1, 1]]), lambda: lg.randn(2, 3, 5, 6)),
    'cross-lrn': (lambda: inn.SpatialCrossResponseNormalization(3), lambda: lg.randn(2, 4, 3, 3)),
    'const-affine-4d': (_affine, lambda: lg.randn(2, 3, 2, 2)),
    'const-affine-2d': (_affine, lambda: lg.randn(4, 3)),
    'mean-3d': (lambda: inn.MeanSubtraction(lg.rand(2, 3, 4)), lambda: lg.randn(2, 3, 4)),
    'mean-4d': (lambda: inn.MeanSubtraction(lg.rand(1, 2, 3, 4)), lambda: lg.randn(3, 2, 3, 4)),
}

test_jacobian, test_type_roundtrip, test_gpu = standard_tests(
    list(CASES), lambda name: (CASES[name][0](), CASES[name][1]()))


def _host(t):
    return np.asarray(t.array.get() if t.is_cuda else t.array, dtype=np.float64)


# --- ROIPooling -------------------------------------------------------------------------------------------------
def _c_round(v):
    return math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1)


def _roi_loops(data, rois, W, H, scale, v2):
    """ROIPooling.cu, ROIPoolForward (v1) and ROIPoolForwardV2, thread by thread in float32 (Dtype float); the
    boxes 0-based, where the kernel subtracts 1 from inn's 1-based ones."""
    f = np.float32
    n, c, height, width = data.shape
    out, arg = np.zeros((len(rois), c, H, W), np.float32), np.full((len(rois), c, H, W), -1)
    for r, box in enumerate(rois):
        b = int(box[0])
        sw, sh = _c_round(f(box[1]) * f(scale)), _c_round(f(box[2]) * f(scale))
        ew, eh = _c_round(f(box[3]) * f(scale)), _c_round(f(box[4]) * f(scale))
        if v2:
            ew, eh = ew - 1, eh - 1
        bin_h, bin_w = f(max(eh - sh + 1, 1)) / f(H), f(max(ew - sw + 1, 1)) / f(W)
        for k in range(c):
            for ph in range(H):
                for pw in range(W):
                    if v2:
                        hs, ws = _c_round(f(ph) * bin_h), _c_round(f(pw) * bin_w)
                        he, we = _c_round(f(ph + 1) * bin_h), _c_round(f(pw + 1) * bin_w)
                    else:
                        hs, ws = math.floor(f(ph) * bin_h), math.floor(f(pw) * bin_w)
                        he, we = math.ceil(f(ph + 1) * bin_h), math.ceil(f(pw + 1) * bin_w)
                    hs, he = min(max(hs + sh, 0), height), min(max(he + sh, 0), height)
                    ws, we = min(max(ws + sw, 0), width), min(max(we + sw, 0), width)
                    empty = he <= hs or we <= ws
                    best, where = (f(0) if empty else -np.finfo(np.float32).max), -1
                    for h in range(hs, he):
                        for w in range(ws, we):
                            if data[b, k, h, w] > best:
                                best, where = data[b, k, h, w], h * width + w
                    out[r, k, ph, pw], arg[r, k, ph, pw] = best, where
    return out, arg


ROIS = [[0, 0, 0, 7, 7], [1, 2, 1, 5, 6], [0, 3, 3, 3, 3], [1, 6.4, 0.5, 30, 3], [0, 5, 5, 1, 1]]


@pytest.mark.parametrize('v2', [True, False], ids=['v2', 'v1'])
@pytest.mark.parametrize('W,H,scale', [(4, 4, 1), (3, 2, 0.5), (2, 5, 1.3)])
def test_roi_pooling_matches_the_cu(v2, W, H, scale):
    """ROIPooling.cu: the rounded, scaled box (at least 1x1), its bins (floor/ceil in v1, rounded in v2 with the box
    end exclusive), clipped to the map, an empty bin 0; the first maximum's position; backward
    (ROIPoolBackwardAtomic) adds each gradOutput at it; rois get a zero gradient. Boxes past the map, reversed and
    fractional included."""
    data = np.random.RandomState(0).rand(2, 3, 8, 8).astype(np.float32)
    data[0, 0, 1, 1] = data[0, 0, 1, 2] = 2.0    # a tie: the first one wins
    rois = np.array(ROIS, np.float32)
    m = inn.ROIPooling(W, H, scale)
    m.v2 = v2
    out, arg = _roi_loops(data, rois, W, H, scale, v2)
    x, r = lg.from_numpy(data), lg.from_numpy(rois)
    np.testing.assert_array_equal(_host(m.forward([x, r])), out)
    np.testing.assert_array_equal(np.asarray(m.indices.array), arg)
    go = np.random.RandomState(1).randn(*out.shape).astype(np.float32)
    gd = np.zeros(data.shape, np.float64)
    for i in range(len(rois)):
        for k in range(3):
            for ph in range(H):
                for pw in range(W):
                    if arg[i, k, ph, pw] >= 0:
                        gd[int(rois[i, 0]), k].flat[arg[i, k, ph, pw]] += go[i, k, ph, pw]
    gi = m.backward([x, r], lg.from_numpy(go))
    np.testing.assert_allclose(_host(gi[0]), gd, rtol=1e-6)
    np.testing.assert_array_equal(_host(gi[1]), np.zeros_like(rois))



@pytest.mark.parametrize('v2', [True, False], ids=['v2', 'v1'])
def test_roi_pooling_never_takes_a_nan_as_the_cu(v2):
    """ROIPooling.cu compares ``bottom_data > maxval`` from -FLT_MAX: a NaN is never a bin's maximum (NumPy's max
    would return it), and a bin of NaNs and values at or below -FLT_MAX (-inf here) gives -FLT_MAX, index -1 and
    no gradient."""
    data = np.random.RandomState(2).rand(2, 3, 8, 8).astype(np.float32)
    data[0, 0, 0, 0] = data[1, 2, 4, 4] = data[0, 1, 3, 3] = np.nan
    data[0, 2] = -np.inf
    data[0, 2, 1, 1] = np.nan
    rois = np.array(ROIS, np.float32)
    m = inn.ROIPooling(2, 2)
    m.v2 = v2
    out, arg = _roi_loops(data, rois, 2, 2, 1, v2)
    x, r = lg.from_numpy(data), lg.from_numpy(rois)
    got = _host(m.forward([x, r]))
    np.testing.assert_array_equal(got, out)
    assert not np.isnan(got).any() and (got[0, 2] == -np.finfo(np.float32).max).all()
    np.testing.assert_array_equal(np.asarray(m.indices.array), arg)
    go = np.random.RandomState(3).randn(*out.shape).astype(np.float32)
    gd = np.zeros(data.shape, np.float64)
    for i, k, ph, pw in zip(*np.nonzero(arg >= 0)):
        gd[int(rois[i, 0]), k].flat[arg[i, k, ph, pw]] += go[i, k, ph, pw]
    np.testing.assert_allclose(_host(m.backward([x, r], lg.from_numpy(go))[0]), gd, rtol=1e-6)

class _FixedROIPooling(inn.ROIPooling):
    """test_jacobian.lua's FixedROIPooling: the boxes held, the data the only input."""

    input_kind = 'tensor'

    def __init__(self, W, H, s, roi):
        super().__init__(W, H, s)
        self.roi = roi

    def updateOutput(self, input):
        return super().updateOutput([input, self.roi.type(input.type())])

    def updateGradInput(self, input, gradOutput):
        self.gradInput = super().updateGradInput([input, self.roi.type(input.type())], gradOutput)[0]
        return self.gradInput


@pytest.mark.parametrize('v2', [True, False], ids=['v2', 'v1'])
def test_roi_pooling_as_test_jacobian_lua(v2):
    """inn test/test_jacobian.lua ROIPooling: a 4x4 grid on 3 images 8x8, random boxes (image, x1, y1, x2, y2) from
    randperm, 0-based here; three repeats; Jacobian error < 1e-3 (here 1e-5 in float64)."""
    rs = np.random.RandomState(0)
    for _ in range(3):
        rois = []
        for _ in range(3):
            y, x = np.sort(rs.permutation(8)[:2]), np.sort(rs.permutation(8)[:2])
            rois.append([rs.randint(3), x[0], y[0], x[1], y[1]])
        module = _FixedROIPooling(4, 4, 1, lg.DoubleTensor(rois))
        module.v2 = v2
        assert_jacobian(module, lg.rand(3, 1, 8, 8), params=False)


def test_roi_pooling_errors_and_gpu_twin():
    """Bad boxes and tables raise naming inn.ROIPooling; the module runs on the GPU twin (the simulator without
    a GPU) with CUDA data and boxes."""
    m = inn.ROIPooling(2, 2, 0.5)
    x = lg.rand(2, 3, 6, 6)
    with pytest.raises(ValueError, match=r"ROIPooling.*image indices in 0..1"):
        m.forward([x, lg.FloatTensor([[2, 0, 0, 3, 3]])])
    with pytest.raises(ValueError, match=r"ROIPooling.*rois of size \(R, 5\)"):
        m.forward([x, lg.FloatTensor([[0, 0, 0, 3]])])
    with pytest.raises(TypeError, match=r"ROIPooling.*table"):
        m.forward(x)
    with pytest.raises(ValueError, match="ROIPooling: spatial_scale must be a positive number"):
        inn.ROIPooling(2, 2, 0)
    assert m.setSpatialScale(0.25) is m and m.spatial_scale == 0.25


@pytest.mark.gpu
def test_roi_pooling_gpu_matches_cpu():
    """The CUDA twin gives the CPU's output and gradients."""
    assert_gpu_matches_cpu(inn.ROIPooling(3, 2, 0.5), [lg.rand(2, 3, 8, 8), lg.FloatTensor(ROIS)])


# --- SpatialStochasticPooling -------------------------------------------------------------------------------------
def _stochastic_loops(x, draws, kW, kH, dW, dH, train):
    """SpatialStochasticPooling.cu: StoPoolForwardTrain (float sums, threshold u * sum, the first running sum
    reaching it) and StoPoolForwardTest (sum of squares over FLT_MIN + sum), per (n, c, ph, pw)."""
    f = np.float32
    n, c, h, w = x.shape
    oh, ow = int(math.ceil(f(h - kH) / f(dH))) + 1, int(math.ceil(f(w - kW) / f(dW))) + 1
    out, idx = np.zeros((n, c, oh, ow), np.float32), np.full((n, c, oh, ow), -1)
    for b in range(n):
        for k in range(c):
            for ph in range(oh):
                for pw in range(ow):
                    hs, ws = ph * dH, pw * dW
                    he, we = min(hs + kH, h), min(ws + kW, w)
                    cells = [(yy, xx) for yy in range(hs, he) for xx in range(ws, we)]
                    if not train:
                        total, squares = f(np.finfo(np.float32).tiny), f(0)
                        for yy, xx in cells:
                            total, squares = f(total + x[b, k, yy, xx]), f(squares + x[b, k, yy, xx] ** 2)
                        out[b, k, ph, pw] = squares / total
                        continue
                    total = f(0)
                    for yy, xx in cells:
                        total = f(total + x[b, k, yy, xx])
                    thres, running = f(draws[b, k, ph, pw]) * total, f(0)
                    for yy, xx in cells:
                        running = f(running + x[b, k, yy, xx])
                        if running >= thres:
                            out[b, k, ph, pw], idx[b, k, ph, pw] = x[b, k, yy, xx], yy * w + xx
                            break
    return out, idx


@pytest.mark.parametrize('k,d', [((3, 2), (2, 1)), ((2, 2), (2, 2)), ((1, 3), (3, 2))])
def test_stochastic_pooling_matches_the_cu(k, d):
    """SpatialStochasticPooling.cu: output sizes ceil((in - k) / d) + 1, windows clipped; training draws each
    output from its window by the activations' probabilities (the module's own uniforms replayed), evaluation is
    the probability-weighted average; StoPoolBackward sends gradOutput to the drawn activation."""
    x = np.random.RandomState(2).rand(2, 3, 7, 8).astype(np.float32)
    m = inn.SpatialStochasticPooling(*k, *d)
    out = m.forward(lg.from_numpy(x))
    ref, idx = _stochastic_loops(x, np.asarray(m._draws.array), *k, *d, True)
    np.testing.assert_allclose(_host(out), ref, rtol=0)
    np.testing.assert_array_equal(np.asarray(m.indices.array), idx)
    go = np.random.RandomState(3).randn(*ref.shape).astype(np.float32)
    gi = np.zeros(x.shape)
    for b, c, i, j in np.ndindex(*ref.shape):
        if idx[b, c, i, j] >= 0:   # a window past the border (kernel 1, step 3 on 8 columns) draws nothing
            gi[b, c].flat[idx[b, c, i, j]] += go[b, c, i, j]
    np.testing.assert_allclose(_host(m.backward(lg.from_numpy(x), lg.from_numpy(go))), gi, rtol=1e-6)
    m.evaluate()
    ref, _ = _stochastic_loops(x, None, *k, *d, False)
    np.testing.assert_allclose(_host(m.forward(lg.from_numpy(x))), ref, rtol=1e-6)
    with pytest.raises(ValueError, match="SpatialStochasticPooling.*training mode"):
        m.backward(lg.from_numpy(x), lg.from_numpy(go))


def test_stochastic_pooling_draws_follow_the_probabilities():
    """Training samples activation a_i of a window with probability a_i / sum(a): over 20000 draws of a 2x2 window
    (1, 2, 3, 4) the frequencies are 0.1, 0.2, 0.3, 0.4 within 0.015; lg.manualSeed repeats the draws."""
    x = lg.FloatTensor([[[1, 2], [3, 4]]]).expand(20000, 2, 2).contiguous()
    m = inn.SpatialStochasticPooling(2, 2)
    counts = np.bincount(_host(m.forward(x)).astype(int).ravel(), minlength=5)[1:] / 20000
    np.testing.assert_allclose(counts, [0.1, 0.2, 0.3, 0.4], atol=0.015)
    lg.manualSeed(7)
    first = m.forward(x).clone()
    lg.manualSeed(7)
    assert m.forward(x).equal(first)


def test_stochastic_pooling_as_test_jacobian_lua():
    """inn test/test_jacobian.lua SpatialStochasticPooling: random kernel, step and output sizes, the seed fixed
    before every forward so the draws repeat; Jacobian of a 3-D and a batched input."""
    rs = np.random.RandomState(4)
    frm, ki, kj, si, sj = rs.randint(1, 6), rs.randint(1, 5), rs.randint(1, 5), rs.randint(1, 4), rs.randint(1, 4)
    outi, outj = rs.randint(4, 6), rs.randint(4, 6)
    ini, inj = (outi - 1) * si + ki, (outj - 1) * sj + kj

    class Seeded(inn.SpatialStochasticPooling):
        def updateOutput(self, input):
            lg.manualSeed(11)
            return super().updateOutput(input)

    assert_jacobian(Seeded(ki, kj, si, sj), lg.rand(frm, ini, inj), minval=0.1, maxval=1)
    assert_jacobian(Seeded(ki, kj, si, sj), lg.rand(3, frm, ini, inj), minval=0.1, maxval=1)


@pytest.mark.gpu
def test_stochastic_pooling_gpu():
    """On the GPU twin: evaluation matches the CPU; a training draw picks, per output, an activation of its
    window (the draws come from the GPU's generator)."""
    x = lg.rand(2, 3, 6, 6)
    cpu = inn.SpatialStochasticPooling(2, 2).evaluate()
    gpu = cpu.clone().cuda()
    np.testing.assert_allclose(_host(gpu.forward(x.cuda())), _host(cpu.forward(x)), rtol=1e-6)
    gpu.training()
    out = _host(gpu.forward(x.cuda()))
    picked = np.take_along_axis(_host(x).reshape(2, 3, 36), np.asarray(gpu.indices.array.get()).reshape(2, 3, 9), 2)
    np.testing.assert_array_equal(out.reshape(2, 3, 9), picked)


# --- the Lua compositions -----------------------------------------------------------------------------------------
def _same_response(x, size, alpha, beta):
    """x / (1 + alpha * (sum of x^2 over the size x size window, zero padded) / size^2) ^ beta, plane by plane."""
    pad = size // 2
    sq = np.pad(x * x, [(0, 0)] * (x.ndim - 2) + [(pad, pad), (pad, pad)])
    h, w = x.shape[-2:]
    oh, ow = h + 2 * pad - size + 1, w + 2 * pad - size + 1
    mean = np.zeros(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            mean[..., i, j] = sq[..., i:i + size, j:j + size].sum((-1, -2)) / size ** 2
    return x / (1 + alpha * mean) ** beta


@pytest.mark.parametrize('shape', [(16, 2, 2), (4, 3, 5, 6)], ids=['3d', 'batch'])
def test_same_response_normalization(shape):
    """inn SpatialSameResponseNormalization.lua: x / (1 + alpha avg_{size x size}(x^2)) ^ beta (the average pooling
    counts the zero padding); test_jacobian.lua's sizes (16 planes of 2x2, and a batch); the gradient is checked by
    central differences of <output, g> with a forward before each backward, since the in-place MulConstant and
    AddConstant restore their input in backward, as Torch7's."""
    x = np.random.RandomState(5).randn(*shape)
    m = inn.SpatialSameResponseNormalization(3, 5e-2, 0.75).double()
    np.testing.assert_allclose(_host(m.forward(lg.from_numpy(x.copy()))), _same_response(x, 3, 5e-2, 0.75), rtol=1e-12)
    g = np.random.RandomState(6).randn(*m.output.size())
    m.forward(lg.from_numpy(x.copy()))
    gi = _host(m.backward(lg.from_numpy(x.copy()), lg.from_numpy(g)))
    for index in list(np.ndindex(*shape))[:40]:
        step = np.zeros(shape)
        step[index] = 1e-6
        numeric = ((_same_response(x + step, 3, 5e-2, 0.75) - _same_response(x - step, 3, 5e-2, 0.75)) * g).sum() / 2e-6
        assert abs(numeric - gi[index]) < 1e-7
    assert inn.SpatialSameResponseNormalization().size == 3 and inn.SpatialSameResponseNormalization().alpha == 5e-5


def test_pyramid_pooling_sizes_and_values():
    """inn SpatialPyramidPooling.lua: adaptive max pooling to each (w, h) level, flattened and concatenated along
    the planes' axis, so ({4, 4}, {3, 3}) gives C * 25 values for any input size; test_jacobian.lua's case."""
    m = inn.SpatialPyramidPooling([4, 4], [3, 3]).double()
    x = lg.randn(3, 11, 13).double()
    out = _host(m.forward(x))
    assert out.shape == (75,)
    level = nn.SpatialAdaptiveMaxPooling(3, 3).double().forward(x)
    np.testing.assert_array_equal(out[48:], _host(level).ravel())
    assert m.forward(lg.randn(2, 3, 5, 7).double()).size() == (2, 75)
    rs = np.random.RandomState(7)
    ki, kj, si, sj = rs.randint(1, 5), rs.randint(1, 5), rs.randint(1, 4), rs.randint(1, 4)
    ini, inj = (rs.randint(4, 6) - 1) * si + ki, (rs.randint(4, 6) - 1) * sj + kj
    assert_jacobian(inn.SpatialPyramidPooling({0: None} and [[4, 4], [3, 3]]), lg.rand(rs.randint(1, 6), ini, inj))
    with pytest.raises(ValueError, match="SpatialPyramidPooling: expected levels"):
        inn.SpatialPyramidPooling(4, 4)


def test_ceil_mode_poolings():
    """inn SpatialMaxPooling.lua / SpatialAveragePooling.lua: nn's classes with ceil(), set again at every
    updateOutput (so floor() does not stick): a 3x3/2 window on 6x6 gives 3x3 (floor would give 2x2)."""
    for cls in (inn.SpatialMaxPooling, inn.SpatialAveragePooling):
        m = cls(3, 3, 2, 2)
        m.floor()
        assert m.forward(lg.randn(1, 6, 6)).size() == (1, 3, 3)
        assert lg.isTypeOf(m, 'nn.' + cls.__name__)
    np.testing.assert_allclose(_host(inn.SpatialCrossResponseNormalization(5).double().forward(
        lg.ones(6, 1, 1).double())), _host(nn.SpatialCrossMapLRN(5).double().forward(lg.ones(6, 1, 1).double())))


def test_const_affine_and_mean_subtraction():
    """inn ConstAffine.lua: a * x + b per plane of (N, C) or (N, C, H, W), gradInput a * gradOutput, no parameters,
    never in place (the Lua tests self.inplace before setting it); test_jacobian.lua's 1-plane case. inn
    MeanSubtraction.lua: the mean image subtracted from each image; gradInput is gradOutput itself."""
    m = inn.ConstAffine(1, True).double()
    m.a.fill(2)
    m.b.fill(-1)
    x = lg.randn(60, 1, 3, 3).double()
    np.testing.assert_allclose(_host(m.forward(x)), 2 * _host(x) - 1)
    assert m.parameters() == ([], []) and m.inplace is False and m.output is not x
    assert_jacobian(inn.ConstAffine(4), lg.randn(5, 4, 3, 3))
    with pytest.raises(ValueError, match=r"ConstAffine.*4 planes"):
        inn.ConstAffine(4).forward(lg.randn(2, 3, 2, 2))
    mean = lg.rand(2, 3, 4).double()
    s = inn.MeanSubtraction(mean).double()
    batch = lg.randn(5, 2, 3, 4).double()
    np.testing.assert_allclose(_host(s.forward(batch)), _host(batch) - _host(mean)[None])
    go = lg.randn(5, 2, 3, 4).double()
    assert s.backward(batch, go) is go
    with pytest.raises(ValueError, match="MeanSubtraction.*24 values"):
        s.forward(lg.randn(2, 3, 3).double())



def test_mean_subtraction_takes_a_stack_of_means_as_the_lua():
    """MeanSubtraction.lua's updateOutput (lines 14-22): a (K, C, H, W) mean and an (N, C, H, W) input with N == K
    are subtracted element by element, image i's mean from image i; a batch of another size makes the Lua replace
    self.mean by its first image (expanded), which every later forward subtracts, whatever its batch size."""
    rs = np.random.RandomState(4)
    means = rs.rand(3, 2, 2, 2)
    s = inn.MeanSubtraction(lg.from_numpy(means.copy()))
    x3 = rs.randn(3, 2, 2, 2)
    np.testing.assert_allclose(_host(s.forward(lg.from_numpy(x3))), x3 - means, rtol=1e-15)
    x2 = rs.randn(2, 2, 2, 2)
    np.testing.assert_allclose(_host(s.forward(lg.from_numpy(x2))), x2 - means[:1], rtol=1e-15)
    np.testing.assert_allclose(_host(s.forward(lg.from_numpy(x3))), x3 - means[:1], rtol=1e-15)
    one = inn.MeanSubtraction(lg.from_numpy(means[:1].copy()))   # a (1, C, H, W) mean: every image
    np.testing.assert_allclose(_host(one.forward(lg.from_numpy(x3))), x3 - means[:1], rtol=1e-15)


@pytest.mark.gpu
def test_mean_subtraction_stack_of_means_gpu_matches_cpu():
    assert_gpu_matches_cpu(inn.MeanSubtraction(lg.rand(3, 2, 2, 2)), lg.rand(3, 2, 2, 2))

# --- names, files, utils -------------------------------------------------------------------------------------------
def test_names_and_files(tmp_path):
    """inn's classes are 'inn.X' in typenames and reprs, kept by lg.save/lg.load; the nn namespace has none."""
    for m in (inn.ROIPooling(2, 2), inn.SpatialCrossResponseNormalization(3), inn.SpatialStochasticPooling(2, 2),
              inn.SpatialSameResponseNormalization(), _affine()):
        assert lg.typename(m).startswith('inn.') and repr(m).startswith('inn.' + type(m).__name__)
        lg.save(str(tmp_path / 'm.t7'), m)
        back = lg.load(str(tmp_path / 'm.t7'))
        assert type(back) is type(m)
    assert 'ROIPooling' not in nn.registry
    assert lg.isTypeOf(inn.SpatialStochasticPooling(2, 2), 'nn.SpatialMaxPooling')


def _bn_net():
    net = nn.Sequential().add(nn.SpatialConvolution(2, 3, 3, 3)).add(nn.SpatialBatchNormalization(3)) \
        .add(nn.ReLU()).add(nn.View(-1).setNumInputDims(3)).add(nn.Linear(12, 4)).add(nn.BatchNormalization(4))
    net.double()
    for bn in (net.get(1), net.get(5)):
        bn.running_mean.uniform(-1, 1)
        bn.running_var.uniform(0.5, 2)
        bn.weight.uniform(0.5, 1.5)
        bn.bias.uniform(-1, 1)
    return net.evaluate()


def test_utils_fold_batch_norm_and_bn_to_fixed():
    """inn utils.lua: foldBatchNorm folds each batch normalisation into the convolution or Linear before it and
    removes it; BNtoFixed replaces each by a ConstAffine (batched inputs: ConstAffine takes 2-D or 4-D);
    testSurgery measures the change (0 up to rounding)."""
    x = lg.randn(3, 2, 4, 4).double()
    net = _bn_net()
    assert inn.utils.testSurgery(x, inn.utils.foldBatchNorm, net) < 1e-12
    assert len(net.modules) == 4 and not net.findModules('nn.SpatialBatchNormalization')[0]
    net = _bn_net()
    before = net.forward(x).clone()
    fixed = inn.utils.BNtoFixed(net)
    assert len(fixed.findModules('inn.ConstAffine')[0]) == 2
    np.testing.assert_allclose(_host(fixed.forward(x)), _host(before), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('name', ['ROIPooling', 'SpatialStochasticPooling', 'ConstAffine'])
def test_type_round_trips_of_the_kernels(name):
    """float() and double() of the classes the standard cases leave out."""
    if name == 'ROIPooling':
        assert_type_roundtrip(inn.ROIPooling(2, 3, 0.5), [lg.rand(2, 2, 6, 6), lg.FloatTensor(ROIS[:3])])
    elif name == 'SpatialStochasticPooling':
        assert_type_roundtrip(inn.SpatialStochasticPooling(2, 2).evaluate(), lg.rand(2, 4, 4))
    else:
        assert_type_roundtrip(_affine(), lg.randn(2, 3))


# --- the robustness sweep (tests/robustness/test_sweep.py) over inn's classes, outside nn.registry --------------
SWEEP = {
    'SpatialMaxPooling': (lambda: inn.SpatialMaxPooling(3, 3, 2, 2), lambda: lg.rand(2, 2, 6, 6)),
    'SpatialAveragePooling': (lambda: inn.SpatialAveragePooling(3, 3, 2, 2), lambda: lg.rand(2, 2, 6, 6)),
    'SpatialStochasticPooling': (lambda: inn.SpatialStochasticPooling(2, 2), lambda: lg.rand(2, 2, 4, 5)),
    'SpatialPyramidPooling': (lambda: inn.SpatialPyramidPooling([2, 2], [1, 1]), lambda: lg.rand(2, 2, 5, 5)),
    'ROIPooling': (lambda: inn.ROIPooling(2, 2, 0.5), lambda: [lg.rand(2, 2, 6, 6), lg.FloatTensor(ROIS[:3])]),
    'SpatialSameResponseNormalization': (lambda: inn.SpatialSameResponseNormalization(), lambda: lg.rand(2, 3, 4, 4)),
    'SpatialCrossResponseNormalization': (lambda: inn.SpatialCrossResponseNormalization(3),
                                          lambda: lg.rand(2, 4, 3, 3)),
    'MeanSubtraction': (lambda: inn.MeanSubtraction(lg.rand(2, 3, 3)), lambda: lg.rand(2, 2, 3, 3)),
    'ConstAffine': (lambda: inn.ConstAffine(3), lambda: lg.rand(2, 3, 2, 2)),
}


def test_every_inn_class_is_swept():
    assert sorted(SWEEP) == sorted(n for n in inn.__all__ if isinstance(getattr(inn, n), type))


@pytest.mark.filterwarnings('ignore:invalid value encountered:RuntimeWarning')
@pytest.mark.parametrize('kind', [pytest.param(k, marks=test_sweep.DEVICE_MARKS) for k in KINDS])
@pytest.mark.parametrize('name', list(SWEEP))
def test_bad_input_sweep(name, kind):
    """Wrong ranks, sizes, dtypes, empty batches, NaN/Inf, non-contiguous views, a wrong device: a clear error
    naming the module or a clean result, never a raw exception (test_sweep.sweep's rules); on the GPU with
    ``LEGONN_SWEEP_DEVICE=cuda``, as test_sweep_cudnn.py."""
    make, x = SWEEP[name]
    obj, x = make(), x()
    if test_sweep.ON_GPU:
        obj.cuda()
        x = test_sweep.moved_to_gpu(x)
    test_sweep.sweep('inn.' + name, kind, obj, x, None)
