"""Batch normalisation's CPU kernels (legonn.tensor.batch_norm_kernels) against THNN's arithmetic written out in
NumPy (generic/BatchNormalization.c: sums in double, the rest in the data's type), through the modules and
directly: both loop shapes (features side by side when each sample holds one value, planes otherwise), blocks
that end mid-way, one and several threads, aliasing and bad operands."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tensor import batch_norm_kernels, parallel


def thnn_forward(x, weight, bias, eps, train, running_mean, running_var, momentum):
    """THNN's BatchNormalization_updateOutput on (B, C, S) ``x`` of type real: (output, save_mean, save_std,
    running_mean, running_var)."""
    real = x.dtype.type
    n = x.shape[0] * x.shape[2]
    out = np.empty_like(x)
    save_mean, save_std = np.empty(x.shape[1], x.dtype), np.empty(x.shape[1], x.dtype)
    rm, rv = running_mean.copy(), running_var.copy()
    for f in range(x.shape[1]):
        v = x[:, f]
        if train:
            mean = real(real(v.astype(np.float64).sum()) / real(n))
            sq = ((v - mean) * (v - mean)).astype(np.float64).sum()
            invstd = real(0) if sq == 0 and eps == 0 else real(1 / np.sqrt(sq / n + eps))
            save_mean[f], save_std[f] = mean, invstd
            rm[f] = momentum * np.float64(mean) + (1 - momentum) * np.float64(rm[f])
            rv[f] = momentum * (sq / (n - 1)) + (1 - momentum) * np.float64(rv[f])
        else:
            mean, invstd = rm[f], real(1 / np.sqrt(np.float64(rv[f]) + eps))
        w = real(1) if weight is None else weight[f]
        b = real(0) if bias is None else bias[f]
        out[:, f] = ((v - mean) * invstd) * w + b
    return out, save_mean, save_std, rm, rv


def thnn_backward(x, go, weight, mean, invstd, train, scale, grad_weight, grad_bias):
    """THNN's BatchNormalization_backward: (gradInput, gradWeight, gradBias)."""
    real = x.dtype.type
    n = x.shape[0] * x.shape[2]
    gi = np.empty_like(x)
    gw, gb = grad_weight.copy(), grad_bias.copy()
    for f in range(x.shape[1]):
        v, g = x[:, f], go[:, f]
        w = real(1) if weight is None else weight[f]
        total = g.astype(np.float64).sum()
        dotp = ((v - mean[f]) * g).astype(np.float64).sum()
        if train:
            k = real(dotp) * invstd[f] * invstd[f] / real(n)
            centred = (v - mean[f]) * k
            gi[:, f] = (g.astype(np.float64) - total / n - centred.astype(np.float64)) * np.float64(invstd[f]) \
                * np.float64(w)
        else:
            gi[:, f] = g * invstd[f] * w
        gw[f] = gw[f] + scale * dotp * np.float64(invstd[f])
        gb[f] = gb[f] + scale * total
    return gi, gw, gb


def _ulps(dtype):
    # the sums' order differs from THNN's one running sum (float64 partial sums): a result may round the other
    # way, one unit in the last place of its type, rarely two through the gradient's two sums
    return dict(rtol=4 * np.finfo(dtype).eps, atol=4 * np.finfo(dtype).eps)


SHAPES = [
    pytest.param(nn.BatchNormalization, (7, 5), id='rows'),
    pytest.param(nn.BatchNormalization, (3, 300), id='rows-block-ends-midway'),
    pytest.param(nn.SpatialBatchNormalization, (3, 40, 3, 3), id='planes-several-a-block'),
    pytest.param(nn.SpatialBatchNormalization, (2, 3, 17, 17), id='planes-one-a-block'),
    pytest.param(nn.VolumetricBatchNormalization, (2, 3, 2, 3, 5), id='volumes'),
]


def _module(cls, shape, dtype, affine, train, rng):
    m = cls(shape[1], 1e-5, 0.1, affine)
    m = m.double() if dtype == np.float64 else m
    m.running_mean.array[...] = rng.standard_normal(shape[1])
    m.running_var.array[...] = rng.uniform(0.5, 2, shape[1])
    if affine:
        m.weight.array[...] = rng.standard_normal(shape[1])
        m.bias.array[...] = rng.standard_normal(shape[1])
        m.gradWeight.array[...] = rng.standard_normal(shape[1])
        m.gradBias.array[...] = rng.standard_normal(shape[1])
    return m.training() if train else m.evaluate()


@pytest.mark.parametrize('cls,shape', SHAPES)
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('affine', [True, False])
@pytest.mark.parametrize('train', [True, False])
def test_module_computes_thnn_arithmetic(cls, shape, dtype, affine, train):
    rng = np.random.default_rng(sum(shape) + affine + 2 * train)
    m = _module(cls, shape, dtype, affine, train, rng)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    go = rng.standard_normal(shape).astype(dtype)
    x3, go3 = x.reshape(shape[0], shape[1], -1), go.reshape(shape[0], shape[1], -1)
    weight = m.weight.array.copy() if affine else None
    bias = m.bias.array.copy() if affine else None
    grads = (m.gradWeight.array.copy(), m.gradBias.array.copy()) if affine else (np.zeros(shape[1], dtype),) * 2
    want, mean, invstd, rm, rv = thnn_forward(x3, weight, bias, 1e-5, train, m.running_mean.array,
                                              m.running_var.array, 0.1)
    out = m.forward(lg.from_numpy(x)).array
    assert out.dtype == dtype
    np.testing.assert_allclose(out.reshape(x3.shape), want, **_ulps(dtype))
    np.testing.assert_allclose(m.running_mean.array, rm, **_ulps(dtype))
    np.testing.assert_allclose(m.running_var.array, rv, **_ulps(dtype))
    if not train:
        mean, invstd = m.running_mean.array, m.save_std.array
    gi_want, gw_want, gb_want = thnn_backward(x3, go3, weight, mean, invstd, train, 0.5, *grads)
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(go), 0.5).array
    np.testing.assert_allclose(gi.reshape(x3.shape), gi_want, **_ulps(dtype))
    if affine:
        # a sum that cancels is exact only to its terms' size: the tolerance follows their absolute sums
        terms = np.abs((x3 - mean[:, None].astype(dtype)) * go3).sum(axis=(0, 2)) * np.abs(invstd)
        eps = np.finfo(dtype).eps
        np.testing.assert_allclose(m.gradWeight.array, gw_want, rtol=4 * eps, atol=4 * eps * terms.max())
        np.testing.assert_allclose(m.gradBias.array, gb_want, rtol=4 * eps, atol=4 * eps * np.abs(go3).sum())


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_kernels_agree_with_the_array_code_they_replace(dtype, monkeypatch):
    # the module's array code (CuPy and half floats keep it) and the kernels compute the same maths
    rng = np.random.default_rng(3)
    x = lg.from_numpy((rng.standard_normal((4, 6, 5, 3)) * 2).astype(dtype))
    go = lg.from_numpy(rng.standard_normal((4, 6, 5, 3)).astype(dtype))
    results = []
    for kernels in (True, False):
        if not kernels:
            monkeypatch.setattr(batch_norm_kernels, 'takes', lambda array: False)
        m = nn.SpatialBatchNormalization(6)
        m = m.double() if dtype == np.float64 else m
        m.weight.array[...] = np.linspace(-1, 2, 6)
        m.forward(x)
        m.backward(x, go)
        results.append([a.copy() for a in (m.output.array, m.gradInput.array, m.gradWeight.array,
                                           m.gradBias.array, m.running_mean.array, m.running_var.array)])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5 if dtype ==
                                   np.float32 else 1e-12)


def test_a_constant_feature_with_eps_zero_gets_invstd_zero():
    # THNN: sum == 0 && eps == 0 -> invstd 0, so the feature's output is its bias, not NaN
    m = nn.SpatialBatchNormalization(2, 0)
    m.bias.array[...] = [0.25, -1]
    x = np.random.default_rng(0).standard_normal((3, 2, 4, 4)).astype(np.float32)
    x[:, 1] = 7
    out = m.forward(lg.from_numpy(x)).array
    assert m.save_std.array[1] == 0
    np.testing.assert_array_equal(out[:, 1], -1)
    assert np.isfinite(out[:, 0]).all()


def test_backward_and_separate_calls_agree():
    # backward sums gradOutput once for both gradients; updateGradInput + accGradParameters each sum it
    rng = np.random.default_rng(5)
    x = lg.from_numpy(rng.standard_normal((4, 3, 6, 6)).astype(np.float32))
    go = lg.from_numpy(rng.standard_normal((4, 3, 6, 6)).astype(np.float32))
    a, b = nn.SpatialBatchNormalization(3), nn.SpatialBatchNormalization(3)
    b.weight.copy(a.weight)
    a.forward(x)
    b.forward(x)
    a.backward(x, go, 0.3)
    b.updateGradInput(x, go)
    b.accGradParameters(x, go, 0.3)
    for name in ('gradInput', 'gradWeight', 'gradBias'):
        np.testing.assert_array_equal(getattr(a, name).array, getattr(b, name).array)
    assert '_jointScale' not in a.__dict__ and '_jointGradOutput' not in a.__dict__


def test_accGradParameters_sums_the_gradOutput_it_is_given():
    # a gradOutput changed between updateGradInput and accGradParameters is summed again, not taken from the first
    rng = np.random.default_rng(6)
    x = lg.from_numpy(rng.standard_normal((5, 4)).astype(np.float64))
    go = lg.from_numpy(rng.standard_normal((5, 4)))
    m = nn.BatchNormalization(4).double()
    m.forward(x)
    m.updateGradInput(x, go)
    m.accGradParameters(x, lg.from_numpy(go.array * 2))
    want = nn.BatchNormalization(4).double()
    want.forward(x)
    want.accGradParameters(x, lg.from_numpy(go.array * 2))
    np.testing.assert_array_equal(m.gradBias.array, want.gradBias.array)
    np.testing.assert_array_equal(m.gradWeight.array, want.gradWeight.array)


def test_strided_input_and_gradOutput():
    rng = np.random.default_rng(7)
    base = rng.standard_normal((3, 4, 10, 10)).astype(np.float32)
    grads = rng.standard_normal((3, 4, 10, 10)).astype(np.float32)
    x, go = lg.from_numpy(base[:, :, ::2, 1::2]), lg.from_numpy(grads.transpose(0, 1, 3, 2)[:, :, :5, :5])
    assert not x.array.flags.c_contiguous and not go.array.flags.c_contiguous
    a, b = nn.SpatialBatchNormalization(4), nn.SpatialBatchNormalization(4)
    b.weight.copy(a.weight)
    out_a = a.forward(x).array.copy()
    out_b = b.forward(lg.from_numpy(np.ascontiguousarray(x.array))).array
    np.testing.assert_array_equal(out_a, out_b)
    np.testing.assert_array_equal(a.backward(x, go).array,
                                  b.backward(x, lg.from_numpy(np.ascontiguousarray(go.array))).array)


def test_gradInput_sharing_gradOutput_memory():
    # a memory optimiser may hand a module its gradOutput's storage as gradInput: each value is read before written
    rng = np.random.default_rng(8)
    x = lg.from_numpy(rng.standard_normal((4, 3, 5, 5)))
    go = rng.standard_normal((4, 3, 5, 5))
    want = nn.SpatialBatchNormalization(3).double()
    want.forward(x)
    expected = want.backward(x, lg.from_numpy(go.copy())).array
    m = nn.SpatialBatchNormalization(3).double()
    m.weight.copy(want.weight)
    m.forward(x)
    shared = lg.from_numpy(go.copy())
    m.gradInput = shared
    got = m.updateGradInput(x, shared).array
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize('shape', [(64, 40, 16, 16), (4096, 150)], ids=['planes', 'rows'])
def test_features_split_over_threads_give_the_same_numbers(shape):
    # above 2 * parallel.MIN_PART values the features go to two threads, each its own share
    rng = np.random.default_rng(9)
    x = rng.standard_normal(shape).astype(np.float32)
    go = rng.standard_normal(shape).astype(np.float32)
    assert x.size >= 2 * parallel.MIN_PART
    results = []
    before = parallel.getnumthreads()
    try:
        for threads in (1, 2):
            parallel.setnumthreads(threads)
            m = (nn.SpatialBatchNormalization if len(shape) == 4 else nn.BatchNormalization)(shape[1])
            m.weight.fill(0.5)
            m.forward(lg.from_numpy(x))
            m.backward(lg.from_numpy(x), lg.from_numpy(go))
            results.append([a.copy() for a in (m.output.array, m.gradInput.array, m.gradWeight.array)])
    finally:
        parallel.setnumthreads(before)
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


def test_operands_are_checked_before_native_code():
    x = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match=r'batch_norm_kernels\.forward_train: output'):
        batch_norm_kernels.forward_train(x, None, None, 1e-5, 0.1, *(np.zeros(3, np.float32),) * 2,
                                         np.zeros((2, 3, 5), np.float32), *(np.zeros(3, np.float32),) * 2)
    running_var = np.ones(3, np.float32)
    with pytest.raises(ValueError, match=r'batch_norm_kernels\.forward_train: running_var'):
        batch_norm_kernels.forward_train(x, None, None, 1e-5, 0.1, np.zeros(3, np.float32), np.ones(4, np.float32),
                                         np.zeros_like(x), *(np.zeros(3, np.float32),) * 2)
    assert (running_var == 1).all()
    with pytest.raises(TypeError, match=r'batch_norm_kernels\.normalize: output must be float32'):
        batch_norm_kernels.normalize(x, None, None, None, None, np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r'batch_norm_kernels\.backward: gradOutput'):
        batch_norm_kernels.backward(x, np.zeros((2, 3, 4), np.float32)[:, :, ::2], None, None, None, True)
    with pytest.raises(ValueError, match=r'batch_norm_kernels\.backward: weight'):
        batch_norm_kernels.backward(x, x, None, None, np.ones(4, np.float32), True)
    with pytest.raises(TypeError, match=r'batch_norm_kernels\.backward: gradBias must be float32'):
        batch_norm_kernels.backward(x, x, None, None, None, True, None, np.zeros(3, np.float32), np.zeros(3))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_running_estimates_and_parameter_gradients_move_as_the_array_arithmetic(dtype):
    # the kernels move the running estimates and add the parameter gradients in float64 rounded once: the same
    # numbers as the NumPy arithmetic the module did before (momentum * mean + (1 - momentum) * running, ...)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 4, 5)).astype(dtype)
    go = rng.standard_normal((3, 4, 5)).astype(dtype)
    running_mean, running_var = rng.random(4).astype(dtype), rng.random(4).astype(dtype) + 0.5
    rm0, rv0 = running_mean.copy(), running_var.copy()
    mean, invstd, out = np.empty(4, dtype), np.empty(4, dtype), np.empty_like(x)
    batch_norm_kernels.forward_train(x, None, None, 1e-5, 0.3, running_mean, running_var, out, mean, invstd)
    n = x.shape[0] * x.shape[2]
    var_sum = ((x.astype(np.float64) - mean[:, None].astype(np.float64)) ** 2).sum(axis=(0, 2))
    keep = 1 - 0.3
    np.testing.assert_array_equal(running_mean, (0.3 * mean.astype(np.float64) + keep * rm0.astype(np.float64))
                                  .astype(dtype))
    np.testing.assert_allclose(running_var, (0.3 * var_sum / (n - 1) + keep * rv0.astype(np.float64)).astype(dtype),
                               rtol=2 * np.finfo(dtype).eps)
    grad_weight, grad_bias = np.full(4, 0.25, dtype), np.full(4, -0.5, dtype)
    batch_norm_kernels.backward(x, go, mean, invstd, None, True, None, grad_weight, grad_bias, 0.5)
    dotp = ((x - mean[:, None]) * go).astype(np.float64).sum(axis=(0, 2))
    np.testing.assert_allclose(grad_weight, (0.25 + 0.5 * dotp * invstd.astype(np.float64)).astype(dtype),
                               rtol=4 * np.finfo(dtype).eps, atol=4 * np.finfo(dtype).eps)
    np.testing.assert_allclose(grad_bias, (-0.5 + 0.5 * go.astype(np.float64).sum(axis=(0, 2))).astype(dtype),
                               rtol=4 * np.finfo(dtype).eps, atol=4 * np.finfo(dtype).eps)


def test_module_with_strided_running_estimates_and_gradients_writes_them_back():
    # a module whose running estimates and parameter gradients view strided memory (a loaded or shared tensor)
    # gets the kernels' results copied back into that memory
    rng = np.random.default_rng(12)
    x = lg.from_numpy(rng.standard_normal((4, 3, 5, 5)).astype(np.float32))
    plain, strided = nn.SpatialBatchNormalization(3), nn.SpatialBatchNormalization(3)
    strided.weight.copy(plain.weight)
    for name in ('running_mean', 'running_var', 'gradWeight', 'gradBias'):
        wide = lg.from_numpy(np.zeros(6, np.float32))
        view = wide.view(3, 2).select(1, 0)
        view.copy(getattr(plain, name))
        setattr(strided, name, view)
        assert not view.array.flags.c_contiguous
    for m in (plain, strided):
        m.forward(x)
        m.backward(x, x)
    for name in ('output', 'gradInput', 'running_mean', 'running_var', 'gradWeight', 'gradBias'):
        np.testing.assert_array_equal(getattr(strided, name).array, getattr(plain, name).array)
