"""IndexLinear: the three input layouts, dense value gradients, parameter Jacobians, errors."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_close_trees, assert_parameter_jacobians
from tests.checks import on_gpu

KEYS, VALS = [[0, 4, 2], [5]], [[1.0, 2.0, -1.0], [3.0]]


def _inputs():
    return {'single': [lg.LongTensor(KEYS[0]), lg.DoubleTensor(VALS[0])],
            'list': [[lg.LongTensor(k) for k in KEYS], [lg.DoubleTensor(v) for v in VALS]],
            'flat': [lg.LongTensor(KEYS[0] + KEYS[1]), lg.DoubleTensor(VALS[0] + VALS[1]), lg.LongTensor([3, 1])]}


def _module(**kw):
    return nn.IndexLinear(6, 3, **kw).reset().double()


def _dense(keys, vals, offset=0):
    d = np.zeros(6)
    for k, v in zip(keys, vals):
        d[k + offset] += v
    return d


@pytest.mark.parametrize('form', ['single', 'list', 'flat'])
def test_matches_dense_linear(form):
    m = _module()
    ref = np.stack([_dense(k, v) @ m.weight.numpy() + m.bias.numpy() for k, v in zip(KEYS, VALS)])
    out = m.forward(_inputs()[form]).numpy()
    np.testing.assert_allclose(out, ref[0] if form == 'single' else ref, rtol=1e-13)


def test_keys_offset_shifts_rows():
    m = _module(keysOffset=1)
    out = m.forward([lg.LongTensor([0, 4]), lg.DoubleTensor([1.0, 1.0])]).numpy()
    np.testing.assert_allclose(out, m.weight.numpy()[[1, 5]].sum(0) + m.bias.numpy())


@pytest.mark.parametrize('form', ['single', 'list', 'flat'])
def test_parameter_jacobians(form):
    m = _module()
    x = _inputs()[form]
    assert_parameter_jacobians(m, x)


def test_value_gradient_matches_central_differences():
    m = _module(doGradInput=True)
    x = _inputs()['flat']
    go = lg.DoubleTensor([[0.3, -1.0, 2.0], [1.0, 0.5, -0.5]])
    m.forward(x)
    keys_grad, dense = m.backward(x, go)
    assert keys_grad.size() == (2, 6) and keys_grad.numpy()[1].tolist() == list(range(6))
    dense = dense.numpy().copy()
    vals = x[1].numpy()
    for e, (b, k) in enumerate([(0, 0), (0, 4), (0, 2), (1, 5)]):
        vals[e] += 1e-6
        up = (m.forward(x).numpy() * go.numpy()).sum()
        vals[e] -= 2e-6
        down = (m.forward(x).numpy() * go.numpy()).sum()
        vals[e] += 1e-6
        assert abs((up - down) / 2e-6 - dense[b, k]) < 1e-7


def test_type_roundtrip():
    m = nn.IndexLinear(6, 3).reset()
    out32 = m.forward([lg.LongTensor(KEYS[0]), lg.FloatTensor(VALS[0])]).numpy().copy()
    m.double()
    assert m.gradWeight.type() == 'legonn.DoubleTensor'
    np.testing.assert_allclose(m.forward(_inputs()['single']).numpy(), out32, rtol=1e-5)


@pytest.mark.gpu
def test_gpu():
    m = _module(doGradInput=True)
    gpu = m.clone().cudaDouble()
    x = _inputs()['flat']
    gx = [on_gpu(t) for t in x]
    assert_close_trees(m.forward(x), gpu.forward(gx))
    go = lg.DoubleTensor(2, 3).normal()
    m.zeroGradParameters()
    gpu.zeroGradParameters()
    assert_close_trees(m.backward(x, go)[1], gpu.backward(gx, go.cudaDouble())[1])
    assert_close_trees(m.gradWeight, gpu.gradWeight)


def test_bad_inputs_change_nothing():
    m = _module()
    m.gradWeight.fill(1)
    with pytest.raises(IndexError, match=r'IndexLinear\(6 -> 3\): expected keys \+ keysOffset in \[0, 6\)'):
        m.backward([lg.LongTensor([6]), lg.DoubleTensor([1.0])], lg.DoubleTensor(3))
    with pytest.raises(ValueError, match='sizes that sum to the 4 keys'):
        m.forward([lg.LongTensor([0, 1, 2, 3]), lg.DoubleTensor(4), lg.LongTensor([2, 1])])
    with pytest.raises(TypeError, match='integer input keys'):
        m.forward([lg.DoubleTensor([0.0]), lg.DoubleTensor([1.0])])
    assert (m.gradWeight.numpy() == 1).all()
    with pytest.raises(ValueError, match='doGradInput is not defined in the max-normalise mode'):
        nn.IndexLinear(6, 3, True, normalize=True)


# --- max-normalise mode (torch/nn IndexLinear.lua normalize, lib/THNN/generic/IndexLinear.c maxNormalize) ---

def _normalized_module():
    m = nn.IndexLinear(6, 3, normalize=True).reset().double()
    m.weight.narrow(1, 3, 1).uniform(-0.5, 0.5)       # the learnt per-key offsets start at 0 in Torch7
    return m


def _normalized_reference(weight, bias, keys, vals, maxima):
    """NumPy: value / max + offset (sign + offset beyond the max), times the key's weight columns."""
    out = []
    for k, v in zip(keys, vals):
        row = bias.copy()
        for key, value in zip(k, v):
            m = maxima[key]
            n = np.sign(value) if abs(value) > m else value * (1 / m if m else 0)
            row += (n + weight[key, 3]) * weight[key, 4:]
        out.append(row)
    return np.stack(out)


@pytest.mark.parametrize('form', ['single', 'list', 'flat'])
def test_normalize_training_forward_tracks_maxima(form):
    """IndexLinear.c updateOutput: in training each key's column 0 keeps the largest |value| seen and column
    1 its inverse; column 2 (the update scale) is 1; the output uses the normalised values."""
    m = _normalized_module()
    w0 = m.weight.numpy().copy()
    out = m.forward(_inputs()[form]).numpy()
    maxima = np.zeros(6)
    for k, v in zip(KEYS if form != 'single' else KEYS[:1], VALS):
        for key, value in zip(k, v):
            maxima[key] = max(maxima[key], abs(value))
    seen = maxima > 0
    np.testing.assert_array_equal(m.weight.numpy()[:, 0], maxima)
    np.testing.assert_allclose(m.weight.numpy()[seen, 1], 1 / maxima[seen], rtol=1e-15)
    np.testing.assert_array_equal(m.weight.numpy()[:, 2], seen.astype(float))
    np.testing.assert_array_equal(m.weight.numpy()[:, 3:], w0[:, 3:])
    keys, vals = (KEYS, VALS) if form != 'single' else (KEYS[:1], VALS[:1])
    ref = _normalized_reference(w0, m.bias.numpy(), keys, vals, maxima)
    np.testing.assert_allclose(out, ref[0] if form == 'single' else ref, rtol=1e-13)


def _torch7_normalized_forward(weight, bias, keys, vals):
    """IndexLinear.c updateOutput with maxNormalize in training, entry by entry as its loops run: each
    entry raises its key's max (and stores 1/|value|) before it is normalised. Returns the output and
    the normalised values; ``weight`` is updated in place. Arithmetic stays in the arrays' dtype."""
    out, normalized = [], []
    for sample_keys, sample_vals in zip(keys, vals):
        row = bias.copy()
        for key, value in zip(sample_keys, sample_vals):
            magnitude = abs(value)
            if magnitude > weight[key, 0]:
                weight[key, 0], weight[key, 1] = magnitude, 1 / magnitude
            weight[key, 2] = 1
            n = (np.sign(value) if magnitude > weight[key, 0] else value * weight[key, 1]) + weight[key, 3]
            normalized.append(n)
            row += n * weight[key, 4:]
        out.append(row)
    return np.stack(out), np.array(normalized)


@pytest.mark.parametrize('dtype', ['float', 'double'])
@pytest.mark.parametrize('form', ['list', 'flat'])
def test_normalize_raises_maxima_entry_by_entry_as_torch7(form, dtype):
    """A key met several times in one batch: each entry is normalised by the largest |value| of its key
    so far (earlier batches and the entries before it), as IndexLinear.c's loop does; key 2's 1.5 after
    its -2.0 is 0.75, not 1.5 / 4 (the batch's max). The gradients use those same normalised values."""
    m = getattr(_normalized_module(), dtype)()
    real = m.weight.numpy().dtype.type
    m.forward([lg.LongTensor([2]), lg.Tensor([1.0]).type(m.weight.type())])   # key 2's max is 1 already
    keys, vals = [[2, 2, 5, 2], [5, 2, 0]], [[0.5, -2.0, 1.0, 1.5], [3.0, -4.0, 0.25]]
    x = ([[lg.LongTensor(k) for k in keys], [lg.Tensor(v).type(m.weight.type()) for v in vals]]
         if form == 'list' else
         [lg.LongTensor(sum(keys, [])), lg.Tensor(sum(vals, [])).type(m.weight.type()), lg.LongTensor([4, 3])])
    weight = m.weight.numpy().copy()
    expected, normalized = _torch7_normalized_forward(weight, m.bias.numpy(), keys,
                                                      [np.array(v, dtype=real) for v in vals])
    out = m.forward(x)
    np.testing.assert_array_equal(m.normalizedValues.numpy(), normalized)
    np.testing.assert_array_equal(m.weight.numpy(), weight)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6 if dtype == 'float' else 1e-13)
    assert m.normalizedValues.numpy()[3] - weight[2, 3] == real(0.75)

    go = np.random.RandomState(6).randn(2, 3).astype(real)
    m.zeroGradParameters()
    m.backward(x, lg.from_numpy(go))
    grad = np.zeros_like(weight)
    for e, (key, sample) in enumerate(zip(sum(keys, []), [0] * 4 + [1] * 3)):
        grad[key, 4:] += normalized[e] * go[sample]
        grad[key, 3] += go[sample] @ weight[key, 4:]
    np.testing.assert_allclose(m.gradWeight.numpy(), grad, rtol=1e-5 if dtype == 'float' else 1e-13, atol=1e-6)


def test_normalize_evaluation_clamps_and_keeps_maxima():
    """IndexLinear.c: out of training the maxima stay; a value beyond its key's max counts as its sign."""
    m = _normalized_module()
    m.forward([lg.LongTensor([0, 1]), lg.DoubleTensor([2.0, -4.0])])
    state = m.weight.numpy()[:, :3].copy()
    m.evaluate()
    out = m.forward([lg.LongTensor([0, 1]), lg.DoubleTensor([5.0, -1.0])]).numpy()
    np.testing.assert_array_equal(m.weight.numpy()[:, :3], state)
    w = m.weight.numpy()
    expected = m.bias.numpy() + (1 + w[0, 3]) * w[0, 4:] + (-0.25 + w[1, 3]) * w[1, 4:]
    np.testing.assert_allclose(out, expected, rtol=1e-13)


def test_normalize_parameter_gradients_by_finite_differences():
    """The learnt columns (per-key offset, weights) and the bias against central differences; the state
    columns (max, inverse, scale) get no gradient, as in Torch7."""
    m = _normalized_module()
    x = _inputs()['flat']
    m.forward(x)              # fixes the maxima
    m.evaluate()
    go = np.random.RandomState(4).randn(2, 3)
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, lg.DoubleTensor(go))
    for param, grad in ((m.weight, m.gradWeight), (m.bias, m.gradBias)):
        p = param.numpy()
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            if param is m.weight and idx[1] < 3:
                continue
            orig = p[idx]
            p[idx] = orig + 1e-6
            up = (m.forward(x).numpy() * go).sum()
            p[idx] = orig - 1e-6
            down = (m.forward(x).numpy() * go).sum()
            p[idx] = orig
            numeric[idx] = (up - down) / 2e-6
        np.testing.assert_allclose(grad.numpy(), numeric, rtol=1e-6, atol=1e-8)
    assert not m.gradWeight.numpy()[:, :3].any()


def test_normalize_update_matches_torch7_rule():
    """IndexLinear.c updateParameters (maxNormalize): offset -= lr * sum_k g_k w_k with the weights before
    their own step, then w_k -= lr * g_k * n; accUpdateGradParameters gives the same step."""
    m = _normalized_module()
    twin = m.clone()
    x, go = _inputs()['list'], lg.DoubleTensor(np.random.RandomState(5).randn(2, 3))
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, go)
    m.updateParameters(0.1)
    twin.forward(x)
    twin.accUpdateGradParameters(x, go, 0.1)
    np.testing.assert_allclose(twin.weight.numpy(), m.weight.numpy(), rtol=1e-13)


def test_normalize_type_roundtrip():
    m = nn.IndexLinear(6, 3, normalize=True).reset()
    x = [lg.LongTensor([0, 4, 2]), lg.FloatTensor([1.0, 2.0, -1.0])]
    out = m.forward(x).numpy().astype(np.float64)
    m.double()
    np.testing.assert_allclose(m.forward([x[0], x[1].double()]).numpy(), out, rtol=1e-6)
    assert repr(m) == 'nn.IndexLinear(6 -> 3, normalize)'


@pytest.mark.gpu
def test_normalize_gpu_matches_cpu():
    m = _normalized_module()
    gpu = m.clone().cudaDouble()
    x = _inputs()['flat']
    xg = [x[0].cudaLong(), x[1].cudaDouble(), x[2]]
    np.testing.assert_allclose(gpu.forward(xg).cpu().numpy(), m.forward(x).numpy(), rtol=1e-12)
    np.testing.assert_allclose(gpu.weight.cpu().numpy(), m.weight.numpy(), rtol=1e-12)
    go = lg.DoubleTensor(np.ones((2, 3)))
    m.zeroGradParameters()
    gpu.zeroGradParameters()
    m.backward(x, go)
    gpu.backward(xg, go.cudaDouble())
    np.testing.assert_allclose(gpu.gradWeight.cpu().numpy(), m.gradWeight.numpy(), rtol=1e-12)


@pytest.mark.gpu
def test_normalize_repeated_keys_gpu_matches_cpu():
    """The per-key running maxima (a scan over entries sorted by key) give the same on CuPy."""
    m = _normalized_module()
    gpu = m.clone().cudaDouble()
    x = [lg.LongTensor([2, 2, 5, 2, 5, 2, 0]), lg.DoubleTensor([0.5, -2.0, 1.0, 1.5, 3.0, -4.0, 0.25]),
         lg.LongTensor([4, 3])]
    out = gpu.forward([x[0].cudaLong(), x[1].cudaDouble(), x[2]])
    np.testing.assert_allclose(out.cpu().numpy(), m.forward(x).numpy(), rtol=1e-12)
    np.testing.assert_array_equal(gpu.normalizedValues.cpu().numpy(), m.normalizedValues.numpy())
    np.testing.assert_array_equal(gpu.weight.cpu().numpy(), m.weight.numpy())


@pytest.mark.gpu
def test_keys_must_be_on_the_weights_device():
    gpu = _normalized_module().cudaDouble()
    x = _inputs()['flat']
    with pytest.raises(TypeError, match=r"IndexLinear.*expected input keys on the weight's device \(GPU\), got "
                                        r"legonn\.LongTensor"):
        gpu.forward([x[0], x[1].cudaDouble(), x[2]])


def test_flat_one_sample_takes_a_one_dimensional_gradOutput():
    """nn/IndexLinear.lua's updateGradInput takes gradOutput:dim() == 1 (gi resized to 1 x inputSize) and
    THNN's IndexLinear_accGradParameters reads the gradOutput's elements: nn's test.lua backpropagates
    gradOutput[1] through a one-sample flat input {keys, values, size}, whose output is 1 x outputSize."""
    m = _module(doGradInput=True)
    x = [lg.LongTensor(KEYS[0]), lg.DoubleTensor(VALS[0]), 3]
    out = m.forward(x)
    assert out.size() == (1, 3)
    go = lg.DoubleTensor([0.5, -1.0, 2.0])
    twin = m.clone()
    m.zeroGradParameters()
    twin.zeroGradParameters()
    gi = m.backward(x, go)
    gi2 = twin.backward(x, go.view(1, 3))
    assert_close_trees(gi, gi2)
    assert_close_trees([m.gradWeight, m.gradBias], [twin.gradWeight, twin.gradBias])
    np.testing.assert_allclose(m.gradBias.numpy(), go.numpy())
    with pytest.raises(ValueError, match=r'IndexLinear\(6 -> 3\)'):
        m.backward(x, lg.DoubleTensor(4))
