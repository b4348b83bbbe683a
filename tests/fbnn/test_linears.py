"""legonn.fbnn's linears (LinearNB.lua, LinearNoBackprop.lua, NormalizedLinearNoBias.lua) and SparseThreshold
(SparseThreshold.lua) against float64 NumPy transcriptions of the Lua, Jacobians, float()/double(), the GPU
simulator, typenames, files and bad input."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import fbnn
from tests.checks import (assert_jacobian, assert_parameter_jacobians, assert_rejected, assert_type_roundtrip,
                          on_gpu, standard_tests)

RNG = np.random.default_rng(3)


def _sparse(rows=5):
    """(nnz, 2) (index, value) pairs: indices as floats, values in [-1, 1]."""
    return lg.DoubleTensor(np.stack([np.arange(rows, dtype=float), RNG.uniform(-1, 1, rows)], axis=1))


CASES = {
    'linear-nb-vector': (lambda: fbnn.LinearNB(4, 3), lambda: lg.randn(4)),
    'linear-nb-batch': (lambda: fbnn.LinearNB(4, 3), lambda: lg.randn(5, 4)),
}

test_jacobian, test_type_roundtrip, test_gpu = standard_tests(
    list(CASES), lambda name: (CASES[name][0](), CASES[name][1]()))


@pytest.mark.gpu
def test_gpu_no_backprop_and_sparse_threshold():
    """The cuda() twins give the CPU's output and gradInput."""
    for module, x in ((fbnn.LinearNoBackprop(4, 3), lg.randn(5, 4)), (fbnn.SparseThreshold(0.1, -2), _sparse())):
        module.double()
        x = x.double()
        gpu = module.clone().cudaDouble()
        go = module.forward(x).clone().normal()
        np.testing.assert_allclose(gpu.forward(x.cudaDouble()).double().float().numpy(), module.output.float().numpy())
        np.testing.assert_allclose(gpu.backward(x.cudaDouble(), go.cudaDouble()).float().numpy(),
                                   module.backward(x, go).float().numpy())


def test_normalized_linear_jacobians():
    """In evaluation mode (the weight held): d output / d input and d output / d weight by central differences;
    the bias, which the Lua never gives a gradient, is left out."""
    m = fbnn.NormalizedLinearNoBias(4, 3).double().evaluate()
    assert_jacobian(m, lg.randn(5, 4), params=False)
    x = lg.DoubleTensor(RNG.normal(0, 1, (5, 4)))
    est = lg.nn.Jacobian.forward(m, x, param=m.weight)
    exact = lg.nn.Jacobian.backward(m, x, param=m.weight, dparam=m.gradWeight)
    assert np.abs(est - exact).max() < 1e-6
    assert_type_roundtrip(fbnn.NormalizedLinearNoBias(4, 3).evaluate(), lg.randn(5, 4))


def test_linear_nb_has_no_bias():
    """LinearNB.lua: nn.Linear(inputSize, outputSize, false): y = x W^T."""
    m = fbnn.LinearNB(4, 3).double()
    assert m.bias is None and len(m.parameters()[0]) == 1
    x = lg.DoubleTensor(RNG.normal(0, 1, (2, 4)))
    w = m.weight.numpy()
    want = [[sum(x.numpy()[n, i] * w[o, i] for i in range(4)) for o in range(3)] for n in range(2)]
    np.testing.assert_allclose(m.forward(x).numpy(), want, rtol=1e-12)


def test_linear_no_backprop_sends_zeros_and_still_learns():
    """LinearNoBackprop.lua: gradInput zeros of the input's size; gradWeight and gradBias as nn.Linear's."""
    m = fbnn.LinearNoBackprop(4, 3).double()
    x, go = lg.DoubleTensor(RNG.normal(0, 1, (2, 4))), lg.DoubleTensor(RNG.normal(0, 1, (2, 3)))
    m.zeroGradParameters()
    m.forward(x)
    np.testing.assert_array_equal(m.backward(x, go).numpy(), np.zeros((2, 4)))
    np.testing.assert_allclose(m.gradWeight.numpy(), go.numpy().T @ x.numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.gradBias.numpy(), go.numpy().sum(0), rtol=1e-12)


def test_linear_no_backprop_parameter_jacobian():
    """d output / d weight and bias by central differences (the input Jacobian is zero by design)."""
    m = fbnn.LinearNoBackprop(4, 3).double()
    assert_parameter_jacobians(m, lg.DoubleTensor(RNG.normal(0, 1, (2, 4))))


def test_normalized_linear_rescales_the_weight_in_training():
    """NormalizedLinearNoBias.lua: in training mode W <- W / ||W|| * sqrt(outputSize) before nn.Linear's
    forward; the bias is zero and accGradParameters accumulates gradWeight only (gradBias stays)."""
    m = fbnn.NormalizedLinearNoBias(4, 3).double()
    w0 = m.weight.numpy().copy()
    norm = math.sqrt(sum(v * v for v in w0.ravel()))
    w = w0 / norm * math.sqrt(3)
    x = lg.DoubleTensor(RNG.normal(0, 1, (2, 4)))
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() @ w.T, rtol=1e-12)
    np.testing.assert_allclose(m.weight.numpy(), w, rtol=1e-12)
    np.testing.assert_array_equal(m.bias.numpy(), np.zeros(3))
    m.zeroGradParameters()
    m.gradBias.fill(5)
    go = lg.DoubleTensor(RNG.normal(0, 1, (2, 3)))
    m.backward(x, go, 0.5)
    np.testing.assert_allclose(m.gradWeight.numpy(), 0.5 * go.numpy().T @ x.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(m.gradBias.numpy(), np.full(3, 5.0))
    m.evaluate()
    m.weight.mul(2)
    m.forward(x)
    np.testing.assert_allclose(m.weight.numpy(), 2 * w, rtol=1e-12)


def test_sparse_threshold_thresholds_the_values_only():
    """SparseThreshold.lua: indices copied, values through nn.Threshold(th, v); gradInput keeps gradOutput's
    indices and passes its values' gradient where the value is above th."""
    m = fbnn.SparseThreshold(0.2, -3).double()
    x = _sparse(6)
    out = m.forward(x).numpy()
    for i, (index, value) in enumerate(x.numpy()):
        assert out[i, 0] == index
        assert out[i, 1] == (value if value > 0.2 else -3)
    go = lg.DoubleTensor(RNG.normal(0, 1, (6, 2)))
    grad = m.backward(x, go).numpy()
    for i, (_, value) in enumerate(x.numpy()):
        assert grad[i, 0] == go.numpy()[i, 0]
        assert grad[i, 1] == (go.numpy()[i, 1] if value > 0.2 else 0)
    batch = lg.DoubleTensor(np.stack([x.numpy(), x.numpy()]))
    np.testing.assert_array_equal(m.forward(batch).numpy()[1], out)


def test_typenames_reprs_and_files(tmp_path):
    """torch.class names: 'nn.LinearNB', 'nn.LinearNoBackprop', 'nn.SparseThreshold',
    'fbnn.NormalizedLinearNoBias'; lg.save keeps them apart from nn.Linear."""
    mods = [fbnn.LinearNB(2, 3), fbnn.LinearNoBackprop(2, 3), fbnn.NormalizedLinearNoBias(2, 3),
            fbnn.SparseThreshold(), lg.nn.Linear(2, 3)]
    names = ['nn.LinearNB', 'nn.LinearNoBackprop', 'fbnn.NormalizedLinearNoBias', 'nn.SparseThreshold',
             'nn.Linear']
    assert [lg.typename(m) for m in mods] == names
    assert repr(mods[2]) == 'fbnn.NormalizedLinearNoBias(2 -> 3)'
    assert not hasattr(lg.nn, 'LinearNB')
    lg.save(str(tmp_path / 'm.legonn'), mods)
    loaded = lg.load(str(tmp_path / 'm.legonn'))
    assert [type(m) for m in loaded] == [type(m) for m in mods]
    np.testing.assert_array_equal(loaded[0].weight.numpy(), mods[0].weight.numpy())


@pytest.mark.parametrize('make, x, match', [
    (lambda: fbnn.LinearNB(4, 3), lg.rand(2, 5), 'LinearNB'),
    (lambda: fbnn.LinearNoBackprop(4, 3), lg.rand(2, 2, 4), 'LinearNoBackprop'),
    (lambda: fbnn.NormalizedLinearNoBias(4, 3), lg.rand(2, 5), 'NormalizedLinearNoBias'),
    (lambda: fbnn.SparseThreshold(), lg.rand(4, 3), 'SparseThreshold'),
    (lambda: fbnn.SparseThreshold(), lg.rand(4), 'SparseThreshold'),
])
def test_bad_input_names_the_module_and_changes_nothing(make, x, match):
    assert_rejected(make(), ValueError, match, 'forward', x)


SEGS, KEYS, VALS = np.array([0, 0, 1, 3, 1]), np.array([1, 4, 1, 0, 2]), RNG.normal(0, 1, 5)


def _seg_input(batch=None):
    entries = [lg.LongTensor(SEGS), lg.LongTensor(KEYS), lg.DoubleTensor(VALS)]
    return entries + [batch] if batch is not None else entries


def _seg_forward(weight, bias, batch):
    """SegSparseLinear.lua's updateOutput loop: each row starts at bias, entry i adds vals[i] * weight[keys[i]]
    to row segs[i] (weight (inputSize, outputSize))."""
    out = np.tile(bias, (batch, 1))
    for s, k, v in zip(SEGS, KEYS, VALS):
        for j in range(weight.shape[1]):
            out[s, j] += v * weight[k, j]
    return out


@pytest.mark.parametrize('batch', [None, 6])
def test_seg_sparse_linear_forward_and_gradients(batch):
    """Output against the loop (batch max(segs) + 1, or the given size); gradWeight row keys[i] gains
    scale * vals[i] * gradOutput[segs[i]], gradBias scale * the column sums; d output / d weight and bias by
    central differences."""
    m = fbnn.SegSparseLinear(5, 3).double()
    m.bias.normal(0, 1)
    rows = batch or 4
    np.testing.assert_allclose(m.forward(_seg_input(batch)).numpy(),
                               _seg_forward(m.weight.numpy(), m.bias.numpy(), rows), rtol=1e-12)
    go = RNG.normal(0, 1, (rows, 3))
    m.accGradParameters(_seg_input(batch), lg.DoubleTensor(go), 0.5)
    want = np.zeros((5, 3))
    for s, k, v in zip(SEGS, KEYS, VALS):
        want[k] += 0.5 * v * go[s]
    np.testing.assert_allclose(m.gradWeight.numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(m.gradBias.numpy(), 0.5 * go.sum(0), rtol=1e-12)
    m.gradWeight.zero()
    m.gradBias.zero()
    assert_parameter_jacobians(m, _seg_input(batch))


@pytest.mark.parametrize('sparse', [False, True])
def test_seg_sparse_linear_updates_the_seen_rows(sparse):
    """SegSparseLinear.lua's updateParameters: rows of the last backward's keys and the bias step by
    lr * learningRateMul, then their gradients (and gradBias) are zeroed; other rows stay; a second update
    without a backward is refused."""
    m = fbnn.SegSparseLinear(6, 3, sparse, 0.5).double()
    w, b = m.weight.numpy().copy(), m.bias.numpy().copy()
    go = RNG.normal(0, 1, (4, 3))
    m.forward(_seg_input())
    m.backward(_seg_input(), lg.DoubleTensor(go))
    grad = np.zeros((6, 3))
    for s, k, v in zip(SEGS, KEYS, VALS):
        grad[k] += v * go[s]
    m.updateParameters(0.2)
    np.testing.assert_allclose(m.weight.numpy(), w - 0.1 * grad, rtol=1e-12)
    np.testing.assert_allclose(m.bias.numpy(), b - 0.1 * go.sum(0), rtol=1e-12)
    assert not m.gradBias.numpy().any()
    if not sparse:
        assert not m.gradWeight.numpy().any()
    with pytest.raises(RuntimeError, match='SegSparseLinear: updateParameters needs a backward first'):
        m.updateParameters(0.2)


def test_seg_sparse_linear_contract(tmp_path):
    """torch.class('fbnn.SegSparseLinear'); the weight's (inputSize, outputSize) layout; bad entries named."""
    m = fbnn.SegSparseLinear(5, 3)
    assert lg.typename(m) == 'fbnn.SegSparseLinear' and tuple(m.weight.size()) == (5, 3)
    assert abs(m.bias.numpy()).max() <= 1e-6 / np.sqrt(5)
    lg.save(str(tmp_path / 's.legonn'), m)
    assert type(lg.load(str(tmp_path / 's.legonn'))) is fbnn.SegSparseLinear
    m.double()
    bad = [(lg.LongTensor([0, 1]), lg.LongTensor([1]), lg.DoubleTensor([1.0])),
           (lg.LongTensor([0]), lg.LongTensor([5]), lg.DoubleTensor([1.0])),
           (lg.LongTensor([2]), lg.LongTensor([0]), lg.DoubleTensor([1.0]), 2)]
    for entries, error in zip(bad, (ValueError, IndexError, IndexError)):
        assert_rejected(m, error, 'SegSparseLinear', 'forward', list(entries))
    assert_rejected(m, TypeError, 'SegSparseLinear', 'forward', lg.DoubleTensor(3))


@pytest.mark.gpu
def test_gpu_seg_sparse_linear():
    """The cuda() twin: the same output, gradients and update."""
    m = fbnn.SegSparseLinear(5, 3).double()
    gpu = m.clone().cudaDouble()
    go = lg.DoubleTensor(RNG.normal(0, 1, (4, 3)))
    np.testing.assert_allclose(gpu.forward([on_gpu(t) for t in _seg_input()]).float().numpy(),
                               m.forward(_seg_input()).float().numpy(), rtol=1e-6)
    m.backward(_seg_input(), go)
    gpu.backward([on_gpu(t) for t in _seg_input()], go.cudaDouble())
    m.updateParameters(0.1)
    gpu.updateParameters(0.1)
    np.testing.assert_allclose(gpu.weight.float().numpy(), m.weight.float().numpy(), rtol=1e-6)


KV_KEYS = np.array([[0, 5, -1], [2, 2, 1]])   # -1: padding, its value 0
KV_VALS = np.array([[1.5, -2.0, 0.0], [3.0, 0.5, -1.0]])


def _kv():
    return [lg.LongTensor(KV_KEYS), lg.DoubleTensor(KV_VALS)]


def test_sparse_linear_key_value_forward_and_gradients():
    """SparseLinear.c's updateOutput2/accGradParameters2 loops: output[h] = bias + sum of val * weight[:, key]
    over the entries whose value is not 0; gradWeight[:, key] += scale * val * gradOutput[h]; gradBias +=
    scale * the column sums; a one-row batch gives a 1-D output."""
    m = fbnn.SparseLinear(6, 3, False, True).double()
    w, b = m.weight.numpy(), m.bias.numpy()
    want = np.tile(b, (2, 1))
    for h in range(2):
        for k, v in zip(KV_KEYS[h], KV_VALS[h]):
            if v != 0:
                want[h] += v * w[:, k]
    np.testing.assert_allclose(m.forward(_kv()).numpy(), want, rtol=1e-12)
    go = RNG.normal(0, 1, (2, 3))
    m.zeroGradParameters()
    assert m.backward(_kv(), lg.DoubleTensor(go), 0.5) is None
    grad = np.zeros((3, 6))
    for h in range(2):
        for k, v in zip(KV_KEYS[h], KV_VALS[h]):
            if v != 0:
                grad[:, k] += 0.5 * v * go[h]
    np.testing.assert_allclose(m.gradWeight.numpy(), grad, rtol=1e-12)
    np.testing.assert_allclose(m.gradBias.numpy(), 0.5 * go.sum(0), rtol=1e-12)
    one = m.forward([lg.LongTensor(KV_KEYS[1:]), lg.DoubleTensor(KV_VALS[1:])])
    np.testing.assert_allclose(one.numpy(), want[1], rtol=1e-12)
    assert_parameter_jacobians(m, _kv())


def test_sparse_linear_sparse_update_touches_the_used_columns():
    """useSparseUpdate (SparseLinear.lua, updateParameters2/zeroGradParameters2): one backward per update; the
    update steps the bias and the batch's key columns only, zeroing clears gradBias and those columns only."""
    m = fbnn.SparseLinear(6, 3, True, True).double()
    m.gradWeight.fill(7)
    m.gradBias.zero()
    w = m.weight.numpy().copy()
    m.forward(_kv())
    m.backward(_kv(), lg.DoubleTensor(RNG.normal(0, 1, (2, 3))))
    with pytest.raises(RuntimeError, match='SparseLinear.*: you can only call one backward'):
        m.backward(_kv(), lg.DoubleTensor(2, 3).zero())
    g = m.gradWeight.numpy().copy()
    m.updateParameters(0.1)
    used = [0, 1, 2, 5]
    np.testing.assert_allclose(m.weight.numpy()[:, used], w[:, used] - 0.1 * g[:, used], rtol=1e-12)
    np.testing.assert_array_equal(m.weight.numpy()[:, [3, 4]], w[:, [3, 4]])
    m.zeroGradParameters()
    assert not m.gradWeight.numpy()[:, used].any() and (m.gradWeight.numpy()[:, [3, 4]] == 7).all()
    with pytest.raises(RuntimeError, match='SparseLinear.*: must call backward'):
        m.zeroGradParameters()


def test_sparse_linear_keeps_nn_inputs_and_contract(tmp_path):
    """A (nnz, 2) input is nn.SparseLinear's (the same output as legonn.nn's with the same weights);
    torch.class('fbnn.SparseLinear'); files; bad key/value inputs named; their gradInput refused."""
    m = fbnn.SparseLinear(6, 3).double()
    ref = lg.nn.SparseLinear(6, 3).double()
    ref.weight.copy(m.weight)
    ref.bias.copy(m.bias)
    x = lg.DoubleTensor([[0, 1.0], [4, -2.0]])
    np.testing.assert_array_equal(m.forward(x).numpy(), ref.forward(x).numpy())
    assert lg.typename(m) == 'fbnn.SparseLinear' and isinstance(m, lg.nn.SparseLinear)
    lg.save(str(tmp_path / 'f.legonn'), [m, ref])
    assert [type(v) for v in lg.load(str(tmp_path / 'f.legonn'))] == [fbnn.SparseLinear, lg.nn.SparseLinear]
    assert_rejected(m, IndexError, 'SparseLinear', 'forward', [lg.LongTensor([[6]]), lg.DoubleTensor([[1.0]])])
    assert_rejected(m, ValueError, 'SparseLinear', 'forward', [lg.LongTensor([[0, 1]]), lg.DoubleTensor([[1.0]])])
    m.forward(_kv())
    with pytest.raises(ValueError, match='SparseLinear.*: gradInput of a \\[keys, values\\] input is not supported'):
        m.updateGradInput(_kv(), lg.DoubleTensor(2, 3).zero())


@pytest.mark.gpu
def test_gpu_sparse_linear():
    m = fbnn.SparseLinear(6, 3, True, True).double()
    gpu = m.clone().cudaDouble()
    go = lg.DoubleTensor(RNG.normal(0, 1, (2, 3)))
    cuda_kv = [on_gpu(t) for t in _kv()]
    np.testing.assert_allclose(gpu.forward(cuda_kv).float().numpy(), m.forward(_kv()).float().numpy(), rtol=1e-6)
    for mod, x, g in ((m, _kv(), go), (gpu, cuda_kv, go.cudaDouble())):
        mod.zeroGradParameters()
        mod.backward(x, g)
        mod.updateParameters(0.1)
    np.testing.assert_allclose(gpu.weight.float().numpy(), m.weight.float().numpy(), rtol=1e-6)
