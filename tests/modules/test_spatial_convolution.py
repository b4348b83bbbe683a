"""Spatial convolutions: Jacobians, nested-loop NumPy references, types, GPU, errors."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tensor import conv_kernels as ck
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip, launch_counting

tables = nn.SpatialConvolutionMap.tables


def ref_conv(x, w, b, stride=(1, 1), pad=(0, 0), dil=(1, 1)):
    """Direct cross-correlation, x (N, C, H, W), w (O, C, kH, kW), loops over every output element."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, o, oh, ow))
    for b_ in range(n):
        for oc in range(o):
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0 if b is None else b[oc]
                    for ic in range(c):
                        for a in range(kh):
                            for e in range(kw):
                                r, q = i * stride[0] + a * dil[0], j * stride[1] + e * dil[1]
                                acc += w[oc, ic, a, e] * xp[b_, ic, r, q]
                    y[b_, oc, i, j] = acc
    return y


def ref_full_conv(x, w, b, stride, pad, adj):
    """Transposed convolution by scattering each input pixel, x (N, Ci, H, W), w (Ci, Co, kH, kW)."""
    n, ci, h, wd = x.shape
    co, kh, kw = w.shape[1:]
    oh, ow = (h - 1) * stride[0] + kh + adj[0], (wd - 1) * stride[1] + kw + adj[1]
    full = np.zeros((n, co, oh, ow))
    for b_ in range(n):
        for i_ in range(ci):
            for i in range(h):
                for j in range(wd):
                    for o in range(co):
                        full[b_, o, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw] += \
                            x[b_, i_, i, j] * w[i_, o]
    y = full[:, :, pad[0]:oh - pad[0], pad[1]:ow - pad[1]]
    return y + (0 if b is None else b.reshape(1, -1, 1, 1))


def double(x):
    return lg.from_numpy(np.ascontiguousarray(x, dtype=np.float64))


def outputs(module, x):
    module.double()
    return module.forward(double(x)).numpy()


CONVS = {
    'conv': lambda: nn.SpatialConvolution(2, 3, 3, 2),
    'conv-stride-pad': lambda: nn.SpatialConvolution(2, 3, 3, 2, 2, 1, 1, 0),
    'conv-mm-nobias': lambda: nn.SpatialConvolutionMM(2, 3, 2, 2, 1, 2, 1, 1).noBias(),
    'dilated': lambda: nn.SpatialDilatedConvolution(2, 3, 2, 3, 1, 1, 1, 1, 2, 2),
    'full': lambda: nn.SpatialFullConvolution(2, 3, 3, 2, 2, 2, 1, 0, 1, 1),
    'full-nobias': lambda: nn.SpatialFullConvolution(2, 2, 2, 2).noBias(),
    'depthwise': lambda: nn.SpatialDepthWiseConvolution(2, 2, 3, 2, 1, 2, 1, 0),
    'local': lambda: nn.SpatialConvolutionLocal(2, 3, 4, 5, 3, 2, 1, 2, 1, 0),
    'map-random': lambda: nn.SpatialConvolutionMap(tables.random(2, 3, 1), 3, 2, 1, 2),
    'map-full': lambda: nn.SpatialConvolutionMap(tables.full(2, 2), 2, 2),
    'fullmap': lambda: nn.SpatialFullConvolutionMap(tables.oneToOne(2), 3, 2, 2, 1),
}


@pytest.mark.parametrize('name', sorted(CONVS))
def test_jacobian_batch_and_single(name):
    assert_jacobian(CONVS[name](), lg.randn(2, 2, 5, 4))
    assert_jacobian(CONVS[name](), lg.randn(2, 5, 4))


@pytest.mark.parametrize('name', sorted(CONVS))
def test_type_roundtrip(name):
    assert_type_roundtrip(CONVS[name](), lg.randn(2, 2, 5, 4))


@pytest.mark.gpu
@pytest.mark.parametrize('name', sorted(CONVS))
def test_gpu_matches_cpu(name, monkeypatch):
    assert_gpu_matches_cpu(CONVS[name](), lg.randn(2, 2, 5, 4))
    monkeypatch.setenv('LEGONN_GENERIC_KERNELS', '1')   # the generic CuPy path too
    assert_gpu_matches_cpu(CONVS[name](), lg.randn(2, 2, 5, 4))


@pytest.mark.parametrize('geometry', [((1, 1), (0, 0), (1, 1)), ((2, 1), (1, 2), (1, 1)), ((1, 2), (0, 1), (2, 1))])
def test_convolution_matches_loops(geometry):
    stride, pad, dil = geometry
    m = nn.SpatialDilatedConvolution(3, 2, 2, 3, stride[1], stride[0], pad[1], pad[0], dil[1], dil[0])
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 5))
    y = outputs(m, x)
    np.testing.assert_allclose(y, ref_conv(x, m.weight.numpy(), m.bias.numpy(), stride, pad, dil), atol=1e-12)
    # the non-batch form is the same computation on one sample
    np.testing.assert_allclose(m.forward(double(x[1])).numpy(), y[1], atol=1e-12)


def test_convolution_weight_layout_and_constructor_order():
    m = nn.SpatialConvolution(3, 4, 5, 2, 3, 1, 2, 0)   # kW=5, kH=2, dW=3, dH=1, padW=2, padH=0
    assert tuple(m.weight.size()) == (4, 3, 2, 5)
    assert (m.kW, m.kH, m.dW, m.dH, m.padW, m.padH) == (5, 2, 3, 1, 2, 0)
    assert tuple(m.forward(lg.randn(3, 4, 9)).size()) == (4, 3, 3)   # oW = (9 + 4 - 5) // 3 + 1
    assert repr(m) == 'nn.SpatialConvolution(3 -> 4, 5x2, 3,1, 2,0)'
    assert nn.SpatialConvolution(1, 1, 3, 3, 1, 1, 1).padH == 1   # padH defaults to padW
    dilated = nn.SpatialDilatedConvolution(1, 1, 3, 3, 1, 1, 1)   # so in the subclass (SpatialConvolution.__init)
    assert (dilated.padW, dilated.padH) == (1, 1) and tuple(dilated.forward(lg.randn(1, 5, 5)).size()) == (1, 5, 5)
    bound = 1 / np.sqrt(5 * 2 * 3)
    assert np.abs(m.weight.numpy()).max() <= bound


def test_convolution_accumulates_with_scale_and_skips_input_gradient():
    m = nn.SpatialConvolution(2, 3, 2, 2).double()
    x, go = lg.randn(2, 2, 4, 4).double(), lg.randn(2, 3, 3, 3).double()
    m.forward(x)
    m.zeroGradParameters()
    m.backward(x, go)
    once = m.gradWeight.clone()
    m.backward(x, go, 0.5)
    np.testing.assert_allclose(m.gradWeight.numpy(), 1.5 * once.numpy(), rtol=1e-12)
    first = nn.SpatialConvolution(2, 3, 2, 2)
    first.gradInput = None                     # Torch7's first-layer idiom
    first.forward(lg.randn(1, 2, 4, 4))
    assert first.backward(lg.randn(1, 2, 4, 4), lg.randn(1, 3, 3, 3)) is None
    assert float(first.gradWeight.abs().sum()) > 0


def test_full_convolution_matches_loops():
    m = nn.SpatialFullConvolution(2, 3, 3, 2, 2, 3, 1, 0, 1, 2)
    x = np.random.default_rng(1).standard_normal((2, 2, 3, 4))
    y = outputs(m, x)
    assert y.shape == (2, 3, (3 - 1) * 3 + 2 + 2, (4 - 1) * 2 - 2 + 3 + 1)
    np.testing.assert_allclose(y, ref_full_conv(x, m.weight.numpy(), m.bias.numpy(), (3, 2), (0, 1), (2, 1)),
                               atol=1e-12)


def test_depthwise_matches_per_plane_convolution():
    m = nn.SpatialDepthWiseConvolution(3, 2, 2, 3, 1, 1, 1, 1)
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 4))
    y = outputs(m, x)
    w, b = m.weight.numpy(), m.bias.numpy()
    for i in range(3):
        for k in range(2):
            ref = ref_conv(x[:, i:i + 1], w[k, i][None, None], b[k, i:i + 1], pad=(1, 1))
            np.testing.assert_allclose(y[:, i * 2 + k], ref[:, 0], atol=1e-12)


def test_local_matches_loops():
    m = nn.SpatialConvolutionLocal(2, 3, 4, 5, 2, 3, 1, 2).double()
    x = np.random.default_rng(3).standard_normal((2, 2, 5, 4))
    y = m.forward(double(x)).numpy()
    w, b = m.weight.numpy(), m.bias.numpy()
    for i in range(m.oH):
        for j in range(m.oW):
            patch = x[:, :, i * 2:i * 2 + 3, j:j + 2]
            ref = np.einsum('ncab,ocab->no', patch, w[i, j]) + b[:, i, j]
            np.testing.assert_allclose(y[:, :, i, j], ref, atol=1e-12)


def test_map_matches_sum_over_connections():
    table = lg.LongTensor([[0, 1], [1, 1], [1, 0], [0, 1]])   # a repeated connection adds up
    m = nn.SpatialConvolutionMap(table, 2, 3, 1, 1)
    assert (m.nInputPlane, m.nOutputPlane) == (2, 2)
    x = np.random.default_rng(4).standard_normal((1, 2, 5, 4))
    y = outputs(m, x)
    w, b = m.weight.numpy(), m.bias.numpy()
    ref = np.zeros_like(y) + b.reshape(1, -1, 1, 1)
    for k, (i, o) in enumerate(table.tolist()):
        ref[:, o] += ref_conv(x[:, i:i + 1], w[k][None, None], None)[:, 0]
    np.testing.assert_allclose(y, ref, atol=1e-12)


def test_tables():
    assert tables.full(2, 3).tolist() == [[0, 0], [1, 0], [0, 1], [1, 1], [0, 2], [1, 2]]
    assert tables.oneToOne(3).tolist() == [[0, 0], [1, 1], [2, 2]]
    t = np.array(tables.random(5, 4, 3).tolist())
    assert t.shape == (12, 2)
    for o in range(4):
        chosen = t[t[:, 1] == o, 0]
        assert len(set(chosen.tolist())) == 3 and chosen.max() < 5


@pytest.mark.parametrize('make, bad, needle', [
    (lambda: nn.SpatialConvolution(2, 3, 3, 3), lambda: lg.randn(3, 5, 5), 'expected an input with 2 planes'),
    (lambda: nn.SpatialConvolution(2, 3, 3, 3), lambda: lg.randn(2, 2, 2), 'at least 3x3'),
    (lambda: nn.SpatialConvolution(2, 3, 3, 3), lambda: lg.randn(5, 5), '3-D or 4-D input'),
    (lambda: nn.SpatialFullConvolution(2, 3, 3, 3), lambda: lg.randn(1, 3, 5, 5), '2 planes'),
    (lambda: nn.SpatialConvolutionLocal(2, 3, 4, 4, 3, 3), lambda: lg.randn(2, 5, 4), '2 planes of 4x4'),
    (lambda: nn.SpatialDepthWiseConvolution(2, 2, 3, 3), lambda: lg.randn(2, 2, 5), 'at least 3x3'),
    (lambda: nn.SpatialDepthWiseConvolution(2, 2, 3, 3), lambda: lg.randn(1, 2, 2, 3, 3), '3-D or 4-D input'),
])
def test_bad_input_names_module(make, bad, needle):
    seq = nn.Sequential().add(make())
    with pytest.raises(ValueError) as err:
        seq.forward(bad())
    assert needle in str(err.value) and str(err.value).startswith('Sequential[0] ')


def test_wrong_type_and_bad_constructor_arguments():
    with pytest.raises(TypeError, match='DoubleTensor'):
        nn.SpatialConvolution(1, 1, 2, 2).forward(lg.randn(1, 3, 3).double())
    for bad in [lambda: nn.SpatialConvolution(1, 1, 0, 2), lambda: nn.SpatialConvolution(1, 1, 2, 2, 0),
                lambda: nn.SpatialConvolution(1, 1, 2, 2, 1, 1, -1), lambda: nn.SpatialDilatedConvolution(
                    1, 1, 2, 2, 1, 1, 0, 0, 0, 1), lambda: nn.SpatialFullConvolution(1, 1, 2, 2, 2, 2, 0, 0, 2, 0),
                lambda: nn.SpatialConvolutionMap([[0, -1]], 2, 2)]:
        with pytest.raises(ValueError):
            bad()


def test_failed_backward_changes_nothing():
    m = nn.SpatialConvolution(1, 2, 2, 2)
    x = lg.randn(1, 1, 3, 3)
    m.forward(x)
    m.zeroGradParameters()
    with pytest.raises(ValueError, match='gradOutput of size'):
        m.backward(x, lg.randn(1, 2, 3, 3))
    assert float(m.gradWeight.abs().sum()) == 0


# --- the engine's plan and its two column layouts ---------------------------------------------------------
def test_plan_geometry_and_buffer_shapes_are_worked_out_once_per_input_shape():
    args = (np, (3, 4, 9, 7), 5, (3, 2), (2, 1), (1, 0), (1, 2), 1, True)
    plan = ck.conv_plan(*args)
    assert ck.conv_plan(*args) is plan
    assert plan.out_size == ((9 + 2 - 3) // 2 + 1, (7 - 2 * 1 - 1) // 1 + 1) == (5, 5)
    assert plan.columns_shape == (4 * 3 * 2, 3 * 25) and plan.gemm_shape == (5, 3 * 25)
    assert plan.sums_shape == (3 * 4 * 11 * 7,)
    assert plan.batch_last   # 24 column rows >= 4 * 5 output planes, a batch of 3, NumPy
    assert not ck.conv_plan(*args[:-1], False).batch_last


@pytest.mark.parametrize('planes_in, planes_out, batch, groups, allowed, expected', [
    (20, 50, 64, 1, True, True),      # LeNet's second convolution: 500 column rows vs 50 output planes
    (1, 20, 64, 1, True, False),      # its first: 25 vs 20, the strided output transpose costs more
    (20, 50, 1, 1, True, False),      # a single sample has no batch to put innermost
    (20, 20, 64, 20, True, False),    # grouped
    (20, 50, 64, 1, False, False),    # not allowed by the module (batch_last_columns = False)
])
def test_batch_last_layout_is_the_declared_flag_and_the_numeric_condition(planes_in, planes_out, batch, groups,
                                                                          allowed, expected):
    plan = ck.conv_plan(np, (batch, planes_in, 12, 12), planes_out, (5, 5), (1, 1), (0, 0), (1, 1), groups, allowed)
    assert plan.batch_last is expected


def ref_conv_grads(x, w, go, stride, pad, dil):
    """d loss / d (x, w, b) of ``ref_conv`` for gradOutput ``go``, one kernel offset at a time."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    gx, gw = np.zeros_like(xp), np.zeros_like(w)
    oh, ow = go.shape[2:]
    for a in range(w.shape[2]):
        for e in range(w.shape[3]):
            rows = slice(a * dil[0], a * dil[0] + stride[0] * (oh - 1) + 1, stride[0])
            cols = slice(e * dil[1], e * dil[1] + stride[1] * (ow - 1) + 1, stride[1])
            gw[:, :, a, e] = np.einsum('noij,ncij->oc', go, xp[:, :, rows, cols])
            gx[:, :, rows, cols] += np.einsum('noij,oc->ncij', go, w[:, :, a, e])
    return gx[:, :, pad[0]:pad[0] + x.shape[2], pad[1]:pad[1] + x.shape[3]], gw, go.sum(axis=(0, 2, 3))


@pytest.mark.parametrize('batch_last', [True, False])
def test_both_column_layouts_give_the_reference_output_and_gradients(batch_last):
    stride, pad, dil = (2, 1), (1, 2), (1, 2)
    m = nn.SpatialDilatedConvolution(4, 3, 2, 3, stride[1], stride[0], pad[1], pad[0], dil[1], dil[0]).double()
    m.batch_last_columns = batch_last
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 7, 6))
    y = m.forward(double(x)).numpy()
    assert m._plan(x).batch_last is batch_last   # 4*3*2 = 24 column rows >= 4 * 3 output planes
    w = m.weight.numpy().copy()
    np.testing.assert_allclose(y, ref_conv(x, w, m.bias.numpy(), stride, pad, dil), atol=1e-12)
    go = rng.standard_normal(y.shape)
    m.zeroGradParameters()
    gi = m.backward(double(x), double(go), 0.5).numpy()
    gx, gw, gb = ref_conv_grads(x, w, go, stride, pad, dil)
    np.testing.assert_allclose(gi, gx, atol=1e-12)
    np.testing.assert_allclose(m.gradWeight.numpy(), 0.5 * gw, atol=1e-12)
    np.testing.assert_allclose(m.gradBias.numpy(), 0.5 * gb, atol=1e-12)
    # without a forward on this shape, accGradParameters builds the columns itself
    m.clearState()
    m.zeroGradParameters()
    m.accGradParameters(double(x), double(go))
    np.testing.assert_allclose(m.gradWeight.numpy(), gw, atol=1e-12)


def test_backward_transposes_grad_output_once_and_separate_calls_see_a_changed_grad_output():
    m = nn.SpatialConvolution(4, 3, 2, 3).double()   # a batch-last plan: 24 column rows >= 4 * 3 planes
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4, 6, 5))
    y = m.forward(double(x)).numpy()
    go1, go2 = rng.standard_normal(y.shape), rng.standard_normal(y.shape)
    w = m.weight.numpy().copy()
    m.zeroGradParameters()
    m.backward(double(x), double(go1))
    assert '_transposedGradOutput' not in m.__dict__   # the sharing lasts one backward
    np.testing.assert_allclose(m.gradWeight.numpy(), ref_conv_grads(x, w, go1, (1, 1), (0, 0), (1, 1))[1], atol=1e-12)
    m.zeroGradParameters()
    m.updateGradInput(double(x), double(go1))
    m.accGradParameters(double(x), double(go2))
    np.testing.assert_allclose(m.gradWeight.numpy(), ref_conv_grads(x, w, go2, (1, 1), (0, 0), (1, 1))[1], atol=1e-12)


@pytest.mark.gpu
def test_on_the_gpu_backward_transposes_grad_output_once_and_separate_calls_see_a_changed_grad_output():
    """The GPU's kernels share the channels-first gradOutput between updateGradInput and accGradParameters too:
    one transposing copy a backward, into the module's buffer (no array allocated); separate calls transpose each."""
    counting = launch_counting()
    m = nn.SpatialConvolution(4, 3, 2, 3).double()
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4, 6, 5))
    w = m.weight.numpy().copy()
    m.cudaDouble()
    xg = double(x).cudaDouble()
    y = m.forward(xg).double().numpy()
    go1, go2 = rng.standard_normal(y.shape), rng.standard_normal(y.shape)
    g1, g2 = double(go1).cudaDouble(), double(go2).cudaDouble()
    m.zeroGradParameters()
    m.backward(xg, g1)   # the buffers are made
    m.zeroGradParameters()
    with counting() as counts:
        m.backward(xg, g1)
    assert counts['copyto'] == 1 and counts['empty'] == 0, counts
    want_gi, want_gw = ref_conv_grads(x, w, go1, (1, 1), (0, 0), (1, 1))[:2]
    np.testing.assert_allclose(m.gradInput.double().numpy(), want_gi, atol=1e-12)
    np.testing.assert_allclose(m.gradWeight.double().numpy(), want_gw, atol=1e-12)
    m.zeroGradParameters()
    m.updateGradInput(xg, g1)
    m.accGradParameters(xg, g2)
    np.testing.assert_allclose(m.gradWeight.double().numpy(), ref_conv_grads(x, w, go2, (1, 1), (0, 0), (1, 1))[1],
                               atol=1e-12)


@pytest.mark.parametrize('name', ['SpatialConvolutionMap', 'SpatialFullConvolutionMap'])
@pytest.mark.parametrize('batch', [False, True])
def test_map_convolutions_take_planes_past_the_table(name, batch):
    """THNN's SpatialConvolutionMap.c / SpatialFullConvolutionMap.c check ``input planes >= nInputPlane``
    (nInputPlane: the table's largest input plane): a ``tables.random(4, ...)`` that uses no connection
    from plane 3 still takes a 4-plane input; plane 3 is read by nothing and its gradInput is 0."""
    table = lg.LongTensor([[0, 0], [1, 1], [0, 1], [2, 1]])
    m = getattr(nn, name)(table, 3, 2).double()
    ref = getattr(nn, name)(table, 3, 2).double()
    ref.weight.copy(m.weight)
    ref.bias.copy(m.bias)
    rng = np.random.default_rng(3)
    x = lg.DoubleTensor(rng.normal(size=((2,) if batch else ()) + (4, 6, 7)))
    used = x.narrow(x.dim() - 3, 0, 3)
    out = m.forward(x)
    np.testing.assert_array_equal(out.numpy(), ref.forward(used).numpy())
    go = out.clone().normal()
    gi = m.backward(x, go)
    assert gi.size() == x.size()
    np.testing.assert_array_equal(gi.narrow(x.dim() - 3, 0, 3).numpy(), ref.backward(used, go).numpy())
    assert np.abs(gi.narrow(x.dim() - 3, 3, 1).numpy()).max() == 0
    np.testing.assert_allclose(m.gradWeight.numpy(), ref.gradWeight.numpy(), atol=1e-12)
    assert_jacobian(m, x)
    with pytest.raises(ValueError, match='planes'):
        m.forward(x.narrow(x.dim() - 3, 0, 2))


# --- the direct kernels (tensor.conv_direct): inputs of few planes on the CPU -------------------------------
@pytest.fixture
def fresh_plans():
    """Plans made in the test are forgotten afterwards (a test may change the rule they follow)."""
    ck.conv_plan.cache_clear()
    yield
    ck.conv_plan.cache_clear()


def use_direct(monkeypatch, on):
    """Plans made from now on pick the direct kernels by the default rule (``on``) or never (im2col + GEMM);
    the caller also asks for ``fresh_plans``, before ``monkeypatch``."""
    from legonn.tensor import conv_direct
    monkeypatch.setattr(conv_direct, 'MAX_PLANES', conv_direct.MAX_PLANES if on else 0)
    ck.conv_plan.cache_clear()


DIRECT_CASES = [   # planes in, out, kernel (kH, kW), pad (h, w), dilation (h, w), batch (0: a 3-D input), H, W
    (1, 20, (5, 5), (0, 0), (1, 1), 3, 12, 11),
    (1, 3, (3, 2), (1, 2), (2, 1), 2, 7, 6),
    (2, 4, (1, 1), (0, 0), (1, 1), 0, 5, 3),
    (3, 5, (2, 3), (2, 0), (1, 3), 0, 6, 9),
    (4, 2, (4, 1), (3, 1), (1, 1), 1, 4, 5),
    (2, 3, (3, 3), (0, 0), (1, 1), 2, 3, 3),      # one output pixel
]


@pytest.mark.parametrize('dtype, tol', [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize('planes_in, planes_out, k, pad, dil, batch, h, w', DIRECT_CASES)
def test_direct_kernels_match_the_loop_reference(fresh_plans, planes_in, planes_out, k, pad, dil, batch, h, w, dtype,
                                                 tol):
    m = nn.SpatialDilatedConvolution(planes_in, planes_out, k[1], k[0], 1, 1, pad[1], pad[0], dil[1], dil[0])
    m = m.double() if dtype == np.float64 else m.float()
    rng = np.random.default_rng(11)
    x = rng.standard_normal((batch or 1, planes_in, h, w))
    go = rng.standard_normal((batch or 1, planes_out) + ck.conv_plan(np, x.shape, planes_out, k, (1, 1), pad, dil)
                             .out_size)
    cast = (lambda a: lg.from_numpy(np.ascontiguousarray(a[0] if batch == 0 else a, dtype=dtype)))
    y = m.forward(cast(x)).numpy()
    assert m._plan(np.asarray(cast(x).numpy()).reshape(x.shape)).direct is not None
    w_, b_ = m.weight.numpy().astype(np.float64), m.bias.numpy().astype(np.float64)
    ref = ref_conv(x, w_, b_, (1, 1), pad, dil)
    np.testing.assert_allclose(y, ref[0] if batch == 0 else ref, rtol=tol, atol=tol)
    m.gradWeight.fill(1)
    m.gradBias.fill(-1)
    gi = m.backward(cast(x), cast(go), 0.5).numpy()
    gx, gw, gb = ref_conv_grads(x, w_, go, (1, 1), pad, dil)
    np.testing.assert_allclose(gi, gx[0] if batch == 0 else gx, rtol=tol, atol=tol)
    np.testing.assert_allclose(m.gradWeight.numpy(), 1 + 0.5 * gw, rtol=tol, atol=tol)
    np.testing.assert_allclose(m.gradBias.numpy(), -1 + 0.5 * gb, rtol=tol, atol=tol)


@pytest.mark.parametrize('pad', [(0, 0), (1, 2)])
def test_direct_kernels_read_non_contiguous_input_and_grad_output(fresh_plans, pad):
    m = nn.SpatialConvolution(2, 3, 3, 2, 1, 1, pad[1], pad[0]).double()
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 9, 2, 7)).transpose(0, 2, 3, 1)[:, :, :, ::-1]   # (3, 2, 7, 9), no unit stride
    y = m.forward(lg.from_numpy(x)).numpy()
    assert m._plan(x).direct is not None and not x.flags.c_contiguous
    w_, b_ = m.weight.numpy(), m.bias.numpy()
    np.testing.assert_allclose(y, ref_conv(x, w_, b_, (1, 1), pad), atol=1e-12)
    go = rng.standard_normal(y.shape[::-1]).T      # Fortran order
    m.zeroGradParameters()
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(go)).numpy()
    gx, gw, gb = ref_conv_grads(x, w_, go, (1, 1), pad, (1, 1))
    np.testing.assert_allclose(gi, gx, atol=1e-12)
    np.testing.assert_allclose(m.gradWeight.numpy(), gw, atol=1e-12)
    np.testing.assert_allclose(m.gradBias.numpy(), gb, atol=1e-12)
    # accGradParameters alone, after a forward on another input: the padded copy is the last forward's
    x2 = rng.standard_normal(x.shape)
    m.forward(lg.from_numpy(x2))
    m.zeroGradParameters()
    m.accGradParameters(lg.from_numpy(x2), lg.from_numpy(go))
    np.testing.assert_allclose(m.gradWeight.numpy(), ref_conv_grads(x2, w_, go, (1, 1), pad, (1, 1))[1], atol=1e-12)


@pytest.mark.parametrize('stride', [(1, 1), (2, 1), (1, 3)])
def test_direct_kernels_run_only_stride_one_and_agree_with_the_columns(fresh_plans, monkeypatch, stride):
    rng = np.random.default_rng(13)
    x = lg.from_numpy(rng.standard_normal((2, 3, 9, 8)))
    go = None
    results = []
    for direct in (True, False):
        use_direct(monkeypatch, direct)
        m = nn.SpatialConvolution(3, 4, 3, 2, stride[1], stride[0], 1, 1).double()
        m.weight.copy(lg.from_numpy(np.linspace(-1, 1, 72).reshape(4, 3, 2, 3)))
        m.bias.copy(lg.from_numpy(np.array([0.5, -0.25, 0.0, 1.0])))
        y = m.forward(x).clone()
        assert (m._plan(x.numpy()).direct is not None) is (direct and stride == (1, 1))
        go = lg.from_numpy(rng.standard_normal(tuple(y.size()))) if go is None else go
        m.zeroGradParameters()
        results.append([y.numpy(), m.backward(x, go).numpy().copy(), m.gradWeight.numpy().copy(),
                        m.gradBias.numpy().copy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, atol=1e-12)


@pytest.mark.parametrize('threads', [1, 2])
def test_direct_kernels_split_over_threads_give_the_columns_result(fresh_plans, monkeypatch, threads):
    """A batch large enough for two parts (parallel.MIN_PART): each part sums its own weight gradient."""
    from legonn.tensor import parallel
    before = parallel.getnumthreads()
    parallel.setnumthreads(threads)
    try:
        rng = np.random.default_rng(14)
        x = lg.from_numpy(rng.standard_normal((48, 1, 28, 28)))
        go = lg.from_numpy(rng.standard_normal((48, 20, 24, 24)))
        results = []
        for direct in (True, False):
            use_direct(monkeypatch, direct)
            m = nn.SpatialConvolution(1, 20, 5, 5).double()
            m.weight.copy(lg.from_numpy(np.linspace(-1, 1, 500).reshape(20, 1, 5, 5)))
            m.bias.fill(0.125)
            y = m.forward(x).numpy().copy()
            m.zeroGradParameters()
            gi = m.backward(x, go, 2).numpy().copy()
            results.append((y, gi, m.gradWeight.numpy().copy(), m.gradBias.numpy().copy()))
            if direct:
                assert m._plan(x.numpy()).direct is not None
                assert len(parallel.leading_parts(go.numpy(), axes=1)) == threads
        for a, b in zip(*results):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-10)
    finally:
        parallel.setnumthreads(before)


def test_direct_kernels_keep_their_buffers_across_calls(fresh_plans):
    m = nn.SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1)
    x, go = lg.randn(2, 1, 6, 5), lg.randn(2, 4, 6, 5)
    m.forward(x)
    m.backward(x, go)
    names = ('output', 'gradInput', 'finput', '_gemm', '_gradOutputT', '_gradInputT', 'fgradInput')
    before = {name: m.__dict__[name].array.__array_interface__['data'][0] for name in names}
    m.forward(x)
    m.backward(x, go)
    assert {name: m.__dict__[name].array.__array_interface__['data'][0] for name in names} == before


@pytest.mark.parametrize('no_bias', [False, True])
def test_direct_kernels_jacobian(fresh_plans, no_bias):
    m = nn.SpatialDilatedConvolution(2, 3, 3, 2, 1, 1, 1, 2, 1, 2)
    if no_bias:
        m.noBias()
    for x in (lg.randn(2, 2, 5, 4), lg.randn(2, 6, 3)):
        assert_jacobian(m, x)
        assert m._plan(x.numpy().reshape((-1, 2) + tuple(x.size())[-2:])).direct is not None


def test_direct_kernels_refuse_operands_that_do_not_fit(fresh_plans):
    plan = ck.conv_plan(np, (2, 1, 6, 5), 4, (3, 3), (1, 1), (0, 0), (1, 1), 1, True, np.dtype(np.float32))
    direct = plan.direct
    source = np.zeros((2, 1, 6, 5), np.float32)
    weight, bias = np.zeros((4, 1, 3, 3), np.float32), np.zeros(4, np.float32)
    scratch = np.zeros(direct.scratch_shape, np.float32)
    with pytest.raises(ValueError, match=r'conv_direct\.forward: out must have shape \(2, 4, 4, 3\)'):
        direct.forward(source, weight, bias, np.zeros((2, 4, 4, 4), np.float32), scratch)
    with pytest.raises(TypeError, match=r'conv_direct\.forward: weight must be float32, got float64'):
        direct.forward(source, weight.astype(np.float64), bias, np.zeros((2, 4, 4, 3), np.float32), scratch)
    with pytest.raises(ValueError, match=r'conv_direct\.grad_input: scratch must have shape'):
        direct.grad_input(np.zeros((2, 4, 4, 3), np.float32), weight, np.zeros((2, 1, 6, 5), np.float32),
                          scratch[:, :3], np.zeros(direct.planes_shape, np.float32))


def test_direct_plan_rule():
    f32 = np.dtype(np.float32)
    assert ck.conv_plan(np, (64, 1, 28, 28), 20, (5, 5), (1, 1), (0, 0), (1, 1), 1, True, f32).direct is not None
    for args in [((64, 1, 28, 28), 20, (5, 5), (2, 2), 1, f32),       # strided
                 ((64, 20, 12, 12), 50, (5, 5), (1, 1), 1, f32),      # LeNet's second layer: many planes
                 ((64, 3, 12, 12), 64, (5, 5), (1, 1), 1, f32),       # 192 plane pairs
                 ((64, 2, 12, 12), 4, (5, 5), (1, 1), 2, f32),        # grouped
                 ((64, 1, 28, 28), 20, (5, 5), (1, 1), 1, np.dtype(np.float16)),
                 ((64, 1, 28, 28), 20, (5, 5), (1, 1), 1, None)]:
        shape, planes, k, stride, groups, dtype = args
        assert ck.conv_plan(np, shape, planes, k, stride, (0, 0), (1, 1), groups, True, dtype).direct is None, args


# --- the input gradient's column sums: one Numba gather (2-D, float) or one NumPy slice-add per offset ------
@pytest.mark.parametrize('dtype', [np.float64, np.float32])
@pytest.mark.parametrize('planes_in, planes_out, k, stride, pad, dil, groups, batch, h, w', [
    (20, 50, (5, 5), (1, 1), (0, 0), (1, 1), 1, 4, 12, 12),     # LeNet's second layer (batch-last columns)
    (6, 4, (3, 2), (2, 3), (1, 2), (1, 1), 2, 3, 9, 11),        # strided, padded, grouped
    (5, 3, (2, 3), (1, 2), (0, 1), (2, 1), 1, 1, 7, 8),         # dilated, a single sample
    (8, 2, (3, 3), (3, 3), (1, 1), (1, 1), 1, 2, 5, 5),         # windows that skip pixels
])
def test_gathered_column_sums_equal_the_slice_adds_bit_for_bit(monkeypatch, planes_in, planes_out, k, stride, pad,
                                                               dil, groups, batch, h, w, dtype):
    rng = np.random.default_rng(15)
    x = rng.standard_normal((batch, planes_in, h, w)).astype(dtype)
    weight = rng.standard_normal((planes_out, planes_in // groups) + k).astype(dtype)
    counts = tuple(ck.conv_output_size(s, kk, st, p, d) for s, kk, st, p, d in zip((h, w), k, stride, pad, dil))
    go = rng.standard_normal((batch, planes_out) + counts).astype(dtype)
    gathered = ck.conv_grad_input(go, weight, x.shape, stride, pad, dil, groups)
    monkeypatch.setattr(ck, 'numba_gathers', lambda cols: False)
    added = ck.conv_grad_input(go, weight, x.shape, stride, pad, dil, groups)
    assert gathered.dtype == dtype and (gathered == added).all()
    if dtype == np.float64:
        cin, cout = planes_in // groups, planes_out // groups
        ref = np.concatenate([ref_conv_grads(x[:, g * cin:(g + 1) * cin], weight[g * cout:(g + 1) * cout],
                                             go[:, g * cout:(g + 1) * cout], stride, pad, dil)[0]
                              for g in range(groups)], axis=1)
        np.testing.assert_allclose(gathered, ref, atol=1e-12)


def test_column_sums_are_gathered_only_from_2d_float_contiguous_columns():
    cols = np.zeros((2, 3, 3, 4, 4, 5), np.float32)
    assert ck.numba_gathers(cols) and ck.numba_gathers(cols.astype(np.float64))
    assert not ck.numba_gathers(cols.astype(np.float16))
    assert not ck.numba_gathers(cols[..., ::2])
    assert not ck.numba_gathers(np.zeros((2, 3, 4, 5), np.float32))   # one spatial axis (TemporalConvolution)


@pytest.mark.parametrize('field', ['weight', 'gradWeight', 'both'])
def test_mm_takes_thnns_two_dimensional_weight_layout(field):
    """SpatialConvolutionMM.lua views weight and gradWeight as (nOutputPlane, nInputPlane * kH * kW) around
    each THNN call, so a module whose tensors were resized to that layout (waifu2x's srcnn.lua clearState,
    old files) still trains: the same outputs and gradients, accumulated into the same storage."""
    lg.manualSeed(0)
    m = nn.SpatialConvolutionMM(2, 3, 3, 2, 1, 1, 1, 0).double()
    ref = m.clone()
    params, grads = m.getParameters()
    x, g = lg.randn(2, 2, 5, 4).double(), lg.randn(2, 3, 4, 4).double()
    for name in (('weight', 'gradWeight') if field == 'both' else (field,)):
        getattr(m, name).resize(3, 2 * 2 * 3)
    m.zeroGradParameters()
    ref.zeroGradParameters()
    y = m.forward(x)
    np.testing.assert_allclose(np.asarray(y), np.asarray(ref.forward(x)))
    np.testing.assert_allclose(np.asarray(m.backward(x, g)), np.asarray(ref.backward(x, g)))
    assert tuple(m.weight.size()) == tuple(m.gradWeight.size()) == (3, 2, 2, 3)
    np.testing.assert_allclose(np.asarray(m.gradWeight), np.asarray(ref.gradWeight))
    assert m.gradWeight.storage() is grads.storage() and m.weight.storage() is params.storage()
    # getParameters straight after the resize (no forward between) packs the 4-D views
    m.gradWeight.resize(3, 12)
    assert m.getParameters()[1].nElement() == 3 * 12 + 3 and tuple(m.gradWeight.size()) == (3, 2, 2, 3)


def test_plain_convolution_still_refuses_a_reshaped_gradient():
    m = nn.SpatialConvolution(2, 3, 3, 2)
    x = lg.randn(2, 2, 5, 4)
    m.forward(x)
    m.gradWeight.resize(3, 12)
    with pytest.raises(ValueError, match=r"gradient 0 to be a legonn.FloatTensor of size \(3, 2, 2, 3\)"):
        m.backward(x, lg.randn(2, 3, 4, 2))


def test_torch7s_finput_is_the_unfolded_input_legonns_a_kernel_buffer():
    """SpatialConvolutionMM.lua's forward leaves ``finput`` the unfolded input, ``(nInputPlane*kH*kW) x
    (oH*oW)`` (per sample for a batch), so that output = weight * finput + bias. legonn's ``finput`` is its kernels'
    buffer (docs/porting.md's row): the same columns only for a 3-D input on the column path, columns in
    another order for a batch, the padded input on the direct path (few input planes, stride 1). The row's form,
    unfold and permute, gives Torch7's finput in every case."""
    lg.manualSeed(1)
    for nIn, shape, pad in ((5, (5, 9, 8), 0), (5, (3, 5, 9, 8), 1), (2, (2, 7, 6), 0), (2, (3, 2, 7, 6), 1)):
        conv = nn.SpatialConvolutionMM(nIn, 4, 3, 2, 1, 1, pad, pad).double()
        x = lg.DoubleTensor(*shape).uniform()
        out = conv.forward(x)
        batch = x.dim() == 4
        xs = x if batch else x.view(1, *shape)
        padded = nn.SpatialZeroPadding(pad, pad, pad, pad).double().forward(xs) if pad else xs
        oH, oW = out.size(-2), out.size(-1)
        cols = padded.unfold(2, 2, 1).unfold(3, 3, 1).permute(0, 1, 4, 5, 2, 3).contiguous() \
            .view(xs.size(0), nIn * 2 * 3, oH * oW)              # Torch7's finput, N x (nIn*kH*kW) x (oH*oW)
        expected = lg.bmm(conv.weight.view(1, 4, -1).expand(xs.size(0), 4, nIn * 6), cols) + \
            conv.bias.view(1, 4, 1).expand(xs.size(0), 4, oH * oW)
        np.testing.assert_allclose(expected.numpy().reshape(out.numpy().shape), out.numpy(), rtol=1e-12, atol=1e-12)
        finput = conv.__dict__.get('finput')
        torch7_sizes = cols.size() if batch else cols.size()[1:]
        if nIn == 5 and not batch:
            assert lg.equal(finput, cols[0])                      # the one case where the buffer is Torch7's
        else:
            assert finput is None or finput.size() != torch7_sizes


def test_thnn_spatial_convolution_mm_update_output_writes_into_the_callers_output():
    """CNNMRF's mylib/mrf.lua convolves with its own patch matrix through THNN (THNN.h's
    SpatialConvolutionMM_updateOutput, THNN's 2-D weight): the caller's output, resized in place, holds the
    convolution; no random number is drawn (THNN makes no module); a weight of the wrong size is refused."""
    lg.manualSeed(1)
    x, w, b = lg.randn(2, 5, 4).double(), lg.randn(3, 2 * 2 * 3).double(), lg.randn(3).double()
    out, finput, fgradInput = lg.DoubleTensor(7), lg.DoubleTensor(), lg.DoubleTensor()
    state = lg.getRNGState()
    x.THNN.SpatialConvolutionMM_updateOutput(x.cdata(), out.cdata(), w.cdata(), b.cdata(), finput, fgradInput,
                                             3, 2, 1, 1, 1, 0)
    drawn = lg.rand(4).double()
    lg.setRNGState(state)
    assert drawn.equal(lg.rand(4).double())
    expected = ref_conv(np.asarray(x)[None], np.asarray(w).reshape(3, 2, 2, 3), np.asarray(b), pad=(0, 1))[0]
    assert tuple(out.size()) == (3, 4, 4)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-12)
    batch = lg.DoubleTensor()
    x.THNN.SpatialConvolutionMM_updateOutput(x.view(1, 2, 5, 4), batch, w, None, finput, fgradInput, 3, 2, 1, 1,
                                             1, 0)
    np.testing.assert_allclose(np.asarray(batch)[0], expected - np.asarray(b)[:, None, None], rtol=1e-12)
    with pytest.raises(ValueError, match=r"SpatialConvolutionMM_updateOutput: expected a weight of 3 x 12"):
        x.THNN.SpatialConvolutionMM_updateOutput(x, out, lg.randn(3, 10).double(), b, finput, fgradInput,
                                                 3, 2, 1, 1, 1, 0)
    with pytest.raises(TypeError, match=r"expected weight a legonn.DoubleTensor"):
        x.THNN.SpatialConvolutionMM_updateOutput(x, out, w.float(), b, finput, fgradInput, 3, 2, 1, 1, 1, 0)


@pytest.mark.parametrize('planes, stride, pad, dil, table', [
    (2, (1, 1), (1, 1), (2, 1), False),    # few planes, stride 1: the direct kernels, reading a padded copy
    (6, (2, 1), (1, 0), (1, 2), False),    # the columns and one GEMM
    (6, (1, 1), (0, 0), (1, 1), True),     # SpatialConvolutionMap, full table (the columns)
], ids=['dilated-direct', 'dilated-columns', 'map'])
def test_acc_grad_parameters_reads_the_input_it_is_given(planes, stride, pad, dil, table):
    """SpatialDilatedConvolution and SpatialConvolutionMap accumulate the gradient at the input accGradParameters
    is handed, not at the last forward's: THNN's SpatialDilatedConvolution.c:353 unfolds that input (im2col) and
    SpatialConvolutionMap.c:265 correlates it, where SpatialConvolutionMM.c multiplies by the forward's finput.
    legonn used the forward's columns for both."""
    if table:
        m = nn.SpatialConvolutionMap(nn.SpatialConvolutionMap.tables.full(planes, 2), 3, 3).double()
    else:
        m = nn.SpatialDilatedConvolution(planes, 2, 3, 2, stride[1], stride[0], pad[1], pad[0], dil[1],
                                         dil[0]).double()
    rng = np.random.default_rng(3)
    x_forward, x = rng.standard_normal((2, 2, planes, 7, 8))
    y = m.forward(double(x_forward))
    go = rng.standard_normal(tuple(y.size()))
    m.zeroGradParameters()
    m.accGradParameters(double(x), double(go), 0.5)
    w = m.denseWeight() if table else m.weight.numpy()
    _, gw, gb = ref_conv_grads(x, w, go, stride, pad, dil)
    if table:   # connection k = [i, o] holds the dense kernel (o, i)
        gw = np.stack([gw[o, i] for i, o in m.connTable.numpy().astype(int)])
    np.testing.assert_allclose(m.gradWeight.numpy(), 0.5 * gw, atol=1e-12)
    np.testing.assert_allclose(m.gradBias.numpy(), 0.5 * gb, atol=1e-12)


def test_chunked_path_jacobian_and_reference(fresh_plans):
    """Same-size 3x3 convolutions of rows of 16 or more run the chunked im2col + GEMM (tensor/conv_chunks.py):
    finite differences, the reference, batch and non-batch input, a non-contiguous one."""
    m = nn.SpatialConvolution(5, 3, 3, 3, 1, 1, 1, 1).double()
    x = lg.randn(2, 5, 3, 16).double()
    assert m._plan(x.numpy()).chunked is not None
    assert_jacobian(m, x)
    rng = np.random.default_rng(15)
    for shape in ((2, 5, 4, 17), (5, 4, 17)):
        xs = rng.standard_normal((17, 4) + shape[::-1][2:]).T   # Fortran order: no unit-stride rows
        assert xs.shape == shape and not xs.flags.c_contiguous
        y = m.forward(lg.from_numpy(xs)).numpy()
        batch = xs if xs.ndim == 4 else xs[None]
        w, b = m.weight.numpy(), m.bias.numpy()
        np.testing.assert_allclose(y.reshape((-1, 3, 4, 17)), ref_conv(batch, w, b, (1, 1), (1, 1)), atol=1e-12)
        go = rng.standard_normal(y.shape)
        m.zeroGradParameters()
        gi = m.backward(lg.from_numpy(xs), lg.from_numpy(go), 0.5).numpy()
        gx, gw, gb = ref_conv_grads(batch, w, go.reshape((-1, 3, 4, 17)), (1, 1), (1, 1), (1, 1))
        np.testing.assert_allclose(gi.reshape(batch.shape), gx, atol=1e-12)
        np.testing.assert_allclose(m.gradWeight.numpy(), 0.5 * gw, atol=1e-12)
        np.testing.assert_allclose(m.gradBias.numpy(), 0.5 * gb, atol=1e-12)


def test_chunked_path_weight_gradient_reads_the_forwards_padded_input(fresh_plans):
    """As SpatialConvolutionMM.c's finput: accGradParameters alone multiplies by the last forward's input (its
    padded copy), not by the input it is handed; SpatialDilatedConvolution reads the one it is handed."""
    rng = np.random.default_rng(16)
    x_forward, x = rng.standard_normal((2, 2, 6, 4, 16))
    for m, expected_input in ((nn.SpatialConvolution(6, 2, 3, 3, 1, 1, 1, 1), x_forward),
                              (nn.SpatialDilatedConvolution(6, 2, 3, 3, 1, 1, 2, 2, 2, 2), x)):
        m = m.double()
        y = m.forward(double(x_forward))
        assert m._plan(x).chunked is not None
        go = rng.standard_normal(tuple(y.size()))
        m.zeroGradParameters()
        m.accGradParameters(double(x), double(go))
        dil = (m.dilationH, m.dilationW)
        _, gw, gb = ref_conv_grads(expected_input, m.weight.numpy(), go, (1, 1), (m.padH, m.padW), dil)
        np.testing.assert_allclose(m.gradWeight.numpy(), gw, atol=1e-12)
        np.testing.assert_allclose(m.gradBias.numpy(), gb, atol=1e-12)


def test_chunked_path_keeps_its_buffers_and_matches_float32_and_half(fresh_plans):
    m = nn.SpatialConvolution(8, 4, 3, 3, 1, 1, 1, 1)
    x, go = lg.randn(3, 8, 5, 16), lg.randn(3, 4, 5, 16)
    assert m._plan(x.numpy()).chunked is not None
    m.forward(x)
    m.backward(x, go)
    names = ('output', 'gradInput', 'finput', '_gemm', '_gradOutputT', '_gradInputT', 'fgradInput')
    before = {name: m.__dict__[name].array.__array_interface__['data'][0] for name in names}
    y, gi = m.forward(x).numpy().copy(), m.backward(x, go).numpy().copy()
    assert {name: m.__dict__[name].array.__array_interface__['data'][0] for name in names} == before
    w, b = m.weight.numpy().astype(np.float64), m.bias.numpy().astype(np.float64)
    x64, go64 = x.numpy().astype(np.float64), go.numpy().astype(np.float64)
    np.testing.assert_allclose(y, ref_conv(x64, w, b, (1, 1), (1, 1)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gi, ref_conv_grads(x64, w, go64, (1, 1), (1, 1), (1, 1))[0], rtol=1e-4, atol=1e-4)
    half = m.clone()
    half.clearState()
    half.type('legonn.HalfTensor')   # float16 keeps the whole-batch columns
    assert half._plan(x.numpy().astype(np.float16)).chunked is None
    np.testing.assert_allclose(half.forward(x.type('legonn.HalfTensor')).numpy(), y, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize('route, planes_in, planes_out, k, stride, pad, size', [
    ('pointwise', 6, 4, 1, (2, 2), (0, 0), (5, 7)),      # a 1x1 projection shortcut, odd sizes
    ('pointwise', 6, 5, 1, (1, 1), (0, 0), (4, 6)),      # stride 1: the input is the source
    ('blocked', 8, 16, 3, (1, 1), (1, 1), (3, 16)),      # a ResNet first-stage layer
    ('chunked', 4, 3, 3, (2, 2), (1, 1), (3, 33)),       # strided chunks: output rows of 17
    ('direct', 3, 8, 3, (1, 1), (1, 1), (4, 5)),         # eight output planes a pass
])
def test_kernel_routes_jacobian_and_reference(fresh_plans, route, planes_in, planes_out, k, stride, pad, size):
    """Each CPU route of the plan (tensor/conv_pointwise.py, conv_blocked.py, strided conv_chunks.py, the blocked
    direct kernels): finite differences, the loop reference, batch and non-batch input, a non-contiguous one."""
    m = nn.SpatialConvolution(planes_in, planes_out, k, k, stride[1], stride[0], pad[1], pad[0]).double()
    rng = np.random.default_rng(planes_in + planes_out + k + size[1])
    x = rng.standard_normal((2, planes_in) + size)
    plan = m._plan(x)
    assert getattr(plan, route) is not None and plan.kernels is getattr(plan, route)
    if route == 'direct':
        assert plan.direct.blocked
    assert_jacobian(m, lg.from_numpy(x))
    for shape in ((2, planes_in) + size, (planes_in,) + size):
        xs = rng.standard_normal(shape[::-1]).T   # Fortran order: no unit-stride rows
        y = m.forward(lg.from_numpy(xs)).numpy()
        batch = xs if xs.ndim == 4 else xs[None]
        w, b = m.weight.numpy(), m.bias.numpy()
        out_shape = (-1, planes_out) + y.shape[-2:]
        np.testing.assert_allclose(y.reshape(out_shape), ref_conv(batch, w, b, stride, pad), atol=1e-12)
        go = rng.standard_normal(y.shape)
        m.zeroGradParameters()
        gi = m.backward(lg.from_numpy(xs), lg.from_numpy(go), 0.5).numpy()
        gx, gw, gb = ref_conv_grads(batch, w, go.reshape(out_shape), stride, pad, (1, 1))
        np.testing.assert_allclose(gi.reshape(batch.shape), gx, atol=1e-12)
        np.testing.assert_allclose(m.gradWeight.numpy(), 0.5 * gw, atol=1e-12)
        np.testing.assert_allclose(m.gradBias.numpy(), 0.5 * gb, atol=1e-12)
