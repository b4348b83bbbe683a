"""NCEModule and NCECriterion (dpnn's NCEModule.lua, NCECriterion.lua) against float64 NumPy references of
their formulas, finite differences, and ports of dpnn's test/test.lua NCE tests."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

B, K, D, N = 4, 10, 3, 100


def _setup(batchnoise, Z=None, seed=0):
    lg.manualSeed(seed)
    noise = lg.DoubleTensor(N).random(1, 101)   # weights 1 .. 100, as the Lua test's random(1, 100)
    m = nn.NCEModule(D, N, K, noise, Z).double()
    m.batchnoise = batchnoise
    x = lg.DoubleTensor(B, D).normal()
    t = lg.LongTensor(B).random(0, N)
    return m, noise, x, t


def _dense_reference(m, x, idx):
    """dpnn's test: Linear -> Exp -> MulConstant(1/Z) over all classes, then the columns ``idx`` of each row."""
    W, b, Z = m.weight.numpy(), m.bias.numpy(), float(m.Z[0])
    dense = np.exp(x @ W.T + b) / Z
    return np.take_along_axis(dense, idx, axis=1), dense


def _criterion_reference(Pmt, Pms, Pnt, Pns, k, batch):
    mdiv = Pmt + k * Pnt + 1e-7
    ndiv = Pms + k * Pns + 1e-7
    loss = -(np.log(Pmt / mdiv).sum() + np.log(k * Pns / ndiv).sum()) / batch
    return loss, -k * Pnt / mdiv / (Pmt + 1e-7) / batch, Pms / ndiv / (Pms + 1e-7) / batch


@pytest.mark.parametrize('batchnoise', [False, True])
def test_nce_main_port(batchnoise):
    """dpnn test/test.lua NCE_main (batchnoise off) and its batchnoise twin: output sizes, noise probabilities,
    model probabilities against Linear + Exp / Z, the criterion's loss and gradients, and the module's
    gradients against the dense Linear + Exp backward of the scattered gradOutput."""
    m, noise, x, t = _setup(batchnoise, Z=None)
    c = nn.NCECriterion()
    out = m.forward([x, t])
    assert isinstance(out, list) and len(out) == 4
    assert [o.size() for o in out] == [(B,), (B, K), (B,), (B, K)]
    s = m.sampleidx.numpy()
    assert s.min() >= 0 and s.max() < N
    idx = np.concatenate([s[K:, None], np.broadcast_to(s[:K], (B, K))], axis=1) if batchnoise else s
    if batchnoise:
        np.testing.assert_array_equal(s[K:], t.numpy())
    else:
        np.testing.assert_array_equal(s[:, 0], t.numpy())
    probs = noise.numpy()   # divided by its sum in place, as NCEModule.lua's fastNoise
    assert probs.sum() == pytest.approx(1, rel=1e-12)
    Pmt, Pms, Pnt, Pns = (o.numpy() for o in out)
    np.testing.assert_allclose(Pnt, probs[idx[:, 0]], rtol=1e-15)
    np.testing.assert_allclose(Pns, probs[idx[:, 1:]], rtol=1e-15)
    picked, dense = _dense_reference(m, x.numpy(), idx)
    np.testing.assert_allclose(Pmt, picked[:, 0], rtol=1e-12)
    np.testing.assert_allclose(Pms, picked[:, 1:], rtol=1e-12)

    loss = c.forward(out)
    loss2, dPmt2, dPms2 = _criterion_reference(Pmt, Pms, Pnt, Pns, K, B)
    assert loss == pytest.approx(loss2, rel=1e-12)
    g = c.backward(out)
    assert len(g) == 4 and g[2].abs().sum() == 0 and g[3].abs().sum() == 0
    np.testing.assert_allclose(g[0].numpy(), dPmt2, rtol=1e-12)
    np.testing.assert_allclose(g[1].numpy(), dPms2, rtol=1e-12)

    m.zeroGradParameters()
    gi = m.backward([x, t], g)
    scattered = np.zeros((B, N))
    for i in range(B):
        np.add.at(scattered[i], idx[i], np.concatenate([[dPmt2[i]], dPms2[i]]))
    dscore = scattered * dense   # through Exp and MulConstant(1/Z)
    np.testing.assert_allclose(gi[0].numpy(), dscore @ m.weight.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(gi[1].numpy(), np.zeros(B))
    np.testing.assert_allclose(m.gradWeight.numpy(), dscore.T @ x.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(m.gradBias.numpy(), dscore.sum(0), rtol=1e-10, atol=1e-14)


def test_nce_batchnoise_port():
    """dpnn test/test.lua NCE_batchnoise: shared noise gives what per-row noise gives with the same samples."""
    m, _, x, t = _setup(True, Z=1)
    m2 = m.clone()
    m2.batchnoise = False
    c, c2 = nn.NCECriterion(), nn.NCECriterion()
    out = m.forward([x, t])
    shared = m.sampleidx.narrow(0, 0, K)
    m2.noiseSample = lambda sampleidx, batchsize, k: sampleidx.resize(batchsize, k).copy(
        shared.view(1, k).expand(batchsize, k))
    out2 = m2.forward([x, t])
    for a, b in zip(out, out2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    assert c.forward(out) == pytest.approx(c2.forward(out2), rel=1e-12)
    g, g2 = c.backward(out), c2.backward(out2)
    m.zeroGradParameters()
    m2.zeroGradParameters()
    gi, gi2 = m.backward([x, t], g), m2.backward([x, t], g2)
    np.testing.assert_allclose(gi[0].numpy(), gi2[0].numpy(), rtol=1e-10)
    for p, p2 in zip(m.parameters()[1], m2.parameters()[1]):
        np.testing.assert_allclose(p.numpy(), p2.numpy(), rtol=1e-10, atol=1e-15)


def test_nce_multinomial_port():
    """dpnn test/test.lua NCE_multinomial: noiseSample draws each class with its unigram probability."""
    lg.manualSeed(3)
    probs = lg.DoubleTensor(10).uniform(0, 1)
    probs.div(probs.sum())
    nce = nn.NCEModule(10, 10, 2500, probs)
    out = nce.noiseSample(lg.LongTensor(), 1000, 2500)
    assert out.size() == (1000, 2500)
    counts = np.bincount(out.numpy().ravel(), minlength=10) / out.nElement()
    np.testing.assert_allclose(counts, probs.numpy(), atol=1e-3)


def _fixed(m, samples):
    """Freeze m's noise draws to ``samples`` (rows repeated), so finite differences see one function."""
    m.noiseSample = lambda sampleidx, batchsize, k: sampleidx.resize(batchsize, k).copy(
        lg.LongTensor(np.broadcast_to(samples, (batchsize, k)).copy()))


@pytest.mark.parametrize('batchnoise', [False, True])
def test_nce_module_finite_differences(batchnoise):
    """d (r0 . Pmt + r1 . Pms) / d input, weight and bias, against central differences in float64."""
    m, _, x, t = _setup(batchnoise, Z=2.0)
    m.reset(0.5)
    _fixed(m, np.arange(3, 3 + K) * 7 % N)
    rng = np.random.default_rng(1)
    r0, r1 = rng.standard_normal(B), rng.standard_normal((B, K))

    def f():
        out = m.forward([x, t])
        return float((out[0].numpy() * r0).sum() + (out[1].numpy() * r1).sum())
    f()
    m.zeroGradParameters()
    gi = m.backward([x, t], [lg.DoubleTensor(r0), lg.DoubleTensor(r1), lg.DoubleTensor(B).zero(),
                             lg.DoubleTensor(B, K).zero()])[0].numpy().copy()
    for tensor, analytic in ((x, gi), (m.weight, m.gradWeight.numpy().copy()), (m.bias, m.gradBias.numpy().copy())):
        a = tensor.numpy()
        numeric = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            keep = a[i]
            a[i] = keep + 1e-6
            up = f()
            a[i] = keep - 1e-6
            numeric[i] = (up - f()) / 2e-6
            a[i] = keep
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_nce_criterion_finite_differences():
    """NCECriterion's gradients are d loss / d Pmt and d Pms up to its 1e-7 terms (checked to 1e-5)."""
    rng = np.random.default_rng(2)
    inputs = [lg.DoubleTensor(rng.uniform(0.1, 1, s)) for s in ((B,), (B, K), (B,), (B, K))]
    c = nn.NCECriterion()
    g = [t.numpy().copy() for t in c.backward(inputs)]
    for i in (0, 1):
        a = inputs[i].numpy()
        numeric = np.zeros_like(a)
        for j in np.ndindex(a.shape):
            keep = a[j]
            a[j] = keep + 1e-6
            up = c.forward(inputs)
            a[j] = keep - 1e-6
            numeric[j] = (up - c.forward(inputs)) / 2e-6
            a[j] = keep
        np.testing.assert_allclose(g[i], numeric, rtol=1e-5, atol=1e-9)
    c.sizeAverage = False
    assert c.forward(inputs) == pytest.approx(_criterion_reference(*(t.numpy() for t in inputs), K, 1)[0], rel=1e-12)


def test_nce_z_estimate_reset_and_normalized_evaluation():
    """NCEModule.lua: Z (when not positive) = mean(exp(samples' scores)) * outputSize from the first batch;
    reset() gives bias -log(outputSize); in evaluation with ``normalized``, the full softmax (or log-softmax)."""
    m, _, x, t = _setup(True, Z=None)
    np.testing.assert_allclose(m.bias.numpy(), -np.log(N))
    assert abs(m.weight.numpy()).max() <= 1 / np.sqrt(D)
    m.forward([x, t])
    s = m.sampleidx.numpy()[:K]
    scores = x.numpy() @ m.weight.numpy()[s].T + m.bias.numpy()[s]
    assert float(m.Z[0]) == pytest.approx(np.exp(scores).mean() * N, rel=1e-12)
    m.evaluate()
    assert isinstance(m.forward([x, t]), list)   # normalized unset: NCE outputs in evaluation too
    m.normalized = True
    lin = x.numpy() @ m.weight.numpy().T + m.bias.numpy()
    soft = np.exp(lin) / np.exp(lin).sum(1, keepdims=True)
    np.testing.assert_allclose(m.forward([x, t]).numpy(), soft, rtol=1e-12)
    m.logsoftmax = True
    np.testing.assert_allclose(m.forward([x, t]).numpy(), np.log(soft), rtol=1e-12)
    m.training()
    assert len(m.forward([x, t])) == 4


def test_nce_types_keep_the_noise_on_the_cpu():
    """float()/double(): parameters and outputs convert, the unigrams and alias tables stay (NCEModule.lua's
    type); the same samples give the same numbers in both types."""
    m, noise, x, t = _setup(True, Z=1)
    _fixed(m, np.arange(K))
    out64 = [o.numpy().copy() for o in m.forward([x, t])]
    m.float()
    assert m.weight.type() == 'legonn.FloatTensor' and m.Z.type() == 'legonn.FloatTensor'
    assert m.unigrams is noise and m.unigrams.type() == 'legonn.DoubleTensor'
    out32 = m.forward([x.float(), t])
    assert out32[0].type() == 'legonn.FloatTensor'
    for a, b in zip(out64, out32):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-5)
    m.double()
    assert m.forward([x, t])[1].type() == 'legonn.DoubleTensor'
    del m.noiseSample   # the test's frozen draws (a function) are not part of the module
    again = lg.deserialize(lg.serialize(m.clearState()))
    assert again.aliasmultinomial[0].type() == 'legonn.LongTensor' and float(again.Z[0]) == 1


def test_nce_bad_input_and_hyper_parameters():
    m, _, x, t = _setup(True, Z=1)
    w = m.weight.numpy().copy()
    with pytest.raises(ValueError, match=r'NCEModule\(3 -> 100\): expected input\[0\] of 3 columns'):
        m.forward([lg.DoubleTensor(B, 4), t])
    with pytest.raises(IndexError, match=r'targets in \[0, 100\)'):
        m.forward([x, lg.LongTensor([0, 1, 2, 100])])
    with pytest.raises(TypeError, match='whole-number targets'):
        m.forward([x, lg.DoubleTensor([0, 1.5, 2, 3])])
    with pytest.raises(ValueError, match='4 targets'):
        m.forward([x, lg.LongTensor([0, 1])])
    with pytest.raises(ValueError, match='table of 2'):
        m.forward([x])
    out = m.forward([x, t])
    with pytest.raises(ValueError, match=r'gradOutput\[1\]'):
        m.backward([x, t], [out[0], lg.DoubleTensor(B, K + 1), out[2], out[3]])
    np.testing.assert_array_equal(m.weight.numpy(), w)
    with pytest.raises(ValueError, match='k must be a positive integer'):
        nn.NCEModule(3, 5, 0, lg.ones(5))
    with pytest.raises(ValueError, match='unigrams must be a tensor of 5 weights'):
        nn.NCEModule(3, 5, 2, lg.ones(4))
    c = nn.NCECriterion()
    with pytest.raises(ValueError, match=r'NCECriterion: expected input\[3\] of size \(4, 3\)'):
        c.forward([out[0], lg.DoubleTensor(B, 3), out[2], out[3]])


@pytest.mark.gpu
def test_nce_on_the_gpu():
    """The same samples give the same outputs, loss and gradients on CUDA tensors (float64)."""
    for batchnoise in (True, False):
        m, _, x, t = _setup(batchnoise, Z=1)
        _fixed(m, np.arange(K) * 3)
        g = m.clone().cudaDouble()
        _fixed(g, np.arange(K) * 3)
        c, gc = nn.NCECriterion(), nn.NCECriterion().cuda()
        out, gout = m.forward([x, t]), g.forward([x.cudaDouble(), t.cudaLong()])
        assert gout[0].type() == 'legonn.CudaDoubleTensor'
        for a, b in zip(out, gout):
            np.testing.assert_allclose(a.numpy(), b.double().numpy(), rtol=1e-12)
        assert c.forward(out) == pytest.approx(float(gc.forward(gout)), rel=1e-12)
        m.zeroGradParameters()
        g.zeroGradParameters()
        gi, ggi = m.backward([x, t], c.backward(out)), g.backward([x.cudaDouble(), t.cudaLong()], gc.backward(gout))
        np.testing.assert_allclose(gi[0].numpy(), ggi[0].double().numpy(), rtol=1e-10)
        for a, b in zip(m.parameters()[1], g.parameters()[1]):
            np.testing.assert_allclose(a.numpy(), b.double().numpy(), rtol=1e-10, atol=1e-15)


def test_nce_target_gradient_passes_back_through_an_identity():
    """rnn's examples/noise-contrastive-estimate.lua feeds the targets to NCEModule through
    ParallelTable():add(lm):add(nn.Identity()): the zero gradient NCEModule gives its target is of the target's
    type (as torch/nn's LookupTable gives for indices), so the Identity takes it as its gradOutput."""
    u = lg.Tensor(N).fill(1)
    net = nn.Sequential().add(nn.ParallelTable().add(nn.Linear(D, D)).add(nn.Identity())) \
        .add(nn.NCEModule(D, N, K, u, 1))
    x = [lg.randn(B, D), lg.LongTensor(B).random(N)]
    out = net.forward(x)
    gi = net.backward(x, [o.clone().fill(1) for o in out])
    assert gi[1].type() == 'legonn.LongTensor' and gi[1].tolist() == [0] * B


def test_nce_trains_after_a_medium_serial_save(tmp_path):
    """rnn's examples/noise-contrastive-estimate.lua saves nn.Serial(lm):mediumSerial() and continues training from
    the file: the saved NCEModule comes back with an empty gradInput table, which its backward refills (as
    NCEModule.lua's ``self.gradInput[1] or input.new()``)."""
    u = lg.Tensor(N).fill(1)
    path = str(tmp_path / 'nce.t7')
    lg.save(path, nn.Serial(nn.Sequential().add(nn.NCEModule(D, N, K, u, 1))).mediumSerial())
    net = lg.load(path).modules[0]
    x = [lg.randn(B, D), lg.LongTensor(B).random(N)]
    out = net.forward(x)
    gi = net.backward(x, [o.clone().fill(1) for o in out])
    assert tuple(gi[0].size()) == (B, D) and tuple(gi[1].size()) == (B,)
