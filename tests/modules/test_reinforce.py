"""dpnn's REINFORCE modules (Reinforce, ReinforceNormal, ReinforceBernoulli, ReinforceCategorical,
ReinforceGamma), Module.reinforce and ArgMax, against float64 NumPy references of the Lua formulas."""
import math
from fractions import Fraction

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tensor.special import digamma
from tests.checks import assert_rejected, assert_type_roundtrip

NOTHING = lg.Tensor()   # the gradOutput the REINFORCE modules ignore, as dpnn's tests pass it
EULER_GAMMA = 0.57721566490153286060651209
# B_2k / 2k for k = 1..8: the asymptotic series psi(x) = ln x - 1/(2x) - sum B_2k / (2k x^2k)
BERNOULLI_TERMS = [Fraction(1, 12), Fraction(-1, 120), Fraction(1, 252), Fraction(-1, 240), Fraction(1, 132),
                   Fraction(-691, 32760), Fraction(1, 12), Fraction(-3617, 8160)]


def digamma_reference(x):
    """psi(x) for x > 0, written apart from legonn's: the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 30 (its
    terms summed exactly by math.fsum), then eight terms of the asymptotic series."""
    terms = []
    while x < 30:
        terms.append(-1.0 / x)
        x += 1.0
    terms += [math.log(x), -0.5 / x] + [-float(b) / x ** (2 * k) for k, b in enumerate(BERNOULLI_TERMS, 1)]
    return math.fsum(terms)


def draws(seed, fn):
    """What legonn's CPU stream gives after ``lg.manualSeed(seed)``: NumPy's PCG64 seeded alike."""
    return fn(np.random.Generator(np.random.PCG64(seed)))


def _double():
    lg.setdefaulttensortype('legonn.DoubleTensor')


# --- the references of the Lua formulas -------------------------------------------------------------------
def ref_normal_grads(x, mu, sigma, reward):
    """ReinforceNormal.lua's updateGradInput: (d/dmu, d/dsigma), reward broadcast over each example's row."""
    r = reward.reshape((-1,) + (1,) * (mu.ndim - 1))
    return -r * (x - mu) / sigma ** 2, -r * ((x - mu) ** 2 - sigma ** 2) / (sigma ** 3 + 1e-8)


def test_normal_samples_and_gradients_match_the_lua_formulas():
    """ReinforceNormal.lua: x = mu + stdev * N(0, 1) (the stream's normals), gradients from those samples."""
    _double()
    mu = np.random.default_rng(0).normal(size=(6, 5))
    rn = nn.ReinforceNormal(0.7)
    lg.manualSeed(11)
    x = rn.forward(mu).numpy().copy()
    np.testing.assert_allclose(x, mu + 0.7 * draws(11, lambda g: g.normal(0, 1, size=(6, 5))), rtol=1e-14)
    reward = np.random.default_rng(1).normal(size=6)
    rn.reinforce(lg.from_numpy(reward))
    g = rn.backward(mu, NOTHING)
    np.testing.assert_allclose(g.numpy(), ref_normal_grads(x, mu, 0.7, reward)[0], rtol=1e-13)


def test_normal_table_input_gives_both_gradients():
    """ReinforceNormal.lua with {mean, stdev}: d/dmean and d/dstdev (its s^3 + 1e-8)."""
    _double()
    rng = np.random.default_rng(2)
    mu, sigma, reward = rng.normal(size=(4, 10)), rng.uniform(0.1, 1, size=(4, 10)), rng.normal(size=4)
    rn = nn.ReinforceNormal()
    x = rn.forward([mu, sigma]).numpy().copy()
    rn.reinforce(lg.from_numpy(reward))
    g_mu, g_sigma = rn.backward([mu, sigma], NOTHING)
    ref_mu, ref_sigma = ref_normal_grads(x, mu, sigma, reward)
    np.testing.assert_allclose(g_mu.numpy(), ref_mu, rtol=1e-13)
    np.testing.assert_allclose(g_sigma.numpy(), ref_sigma, rtol=1e-13)


def test_normal_stdev_row_is_shared_by_the_batch():
    """ReinforceNormal.lua: a stdev tensor of one dimension fewer than the mean is expanded over the batch."""
    _double()
    mu, sigma = np.zeros((3, 4)), np.array([0.1, 1.0, 2.0, 3.0])
    rn = nn.ReinforceNormal(lg.from_numpy(sigma))
    lg.manualSeed(5)
    x = rn.forward(mu).numpy()
    np.testing.assert_allclose(x, sigma * draws(5, lambda g: g.normal(0, 1, size=(3, 4))), rtol=1e-14)
    rn.reinforce(lg.ones(3))
    np.testing.assert_allclose(rn.backward(mu, NOTHING).numpy(), -x / sigma ** 2, rtol=1e-13)


def test_dpnn_reinforce_normal():
    """Port of dpnn's test.lua ReinforceNormal: the sample's spread is stdev, the gradient -(x - mu) r / s^2."""
    mu = lg.randn(500, 1000)
    rn = nn.ReinforceNormal(1)
    out = rn.forward(mu)
    assert out.isSameSizeAs(mu)
    assert abs(float(((mu - out) ** 2).mean()) ** 0.5 - 1) < 0.1
    reward = lg.randn(500)
    rn.reinforce(reward)
    expected = (out.numpy() - mu.numpy()) * -reward.numpy()[:, None]
    np.testing.assert_allclose(rn.updateGradInput(mu, NOTHING).numpy(), expected, atol=1e-5)


def test_bernoulli_samples_and_gradient():
    """ReinforceBernoulli.lua: x = (u < p) for the stream's uniforms u; gradient -r (x - p) / (p (1 - p))."""
    _double()
    p = np.random.default_rng(3).uniform(0.05, 0.95, size=(5, 7))
    rb = nn.ReinforceBernoulli()
    lg.manualSeed(4)
    x = rb.forward(p).numpy().copy()
    np.testing.assert_array_equal(x, draws(4, lambda g: g.uniform(size=(5, 7))) < p)
    reward = np.arange(5.0) - 2
    rb.reinforce(lg.from_numpy(reward))
    np.testing.assert_allclose(rb.backward(p, NOTHING).numpy(), -reward[:, None] * (x - p) / (p * (1 - p)),
                               rtol=1e-13)


def test_dpnn_reinforce_bernoulli():
    """Port of dpnn's test.lua ReinforceBernoulli: binary samples whose column means are p."""
    p = lg.rand(1, 10)
    inp = p.expand(1000, 10).clone()
    out = nn.ReinforceBernoulli().forward(inp)
    assert out.min() == 0 and out.max() == 1 and set(np.unique(out.numpy())) == {0, 1}
    assert np.abs(out.numpy().mean(0) - p.numpy()).mean() < 0.05


def test_categorical_samples_and_gradient():
    """ReinforceCategorical.lua: one-hot rows of the drawn classes (the distribution's frequencies);
    gradient -r x / (p + 1e-8)."""
    _double()
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    rc = nn.ReinforceCategorical()
    counts = np.zeros((2, 3))
    for _ in range(2000):
        x = rc.forward(p).numpy()
        assert (x.sum(1) == 1).all() and set(np.unique(x)) <= {0, 1}
        counts += x
    np.testing.assert_allclose(counts / 2000, p, atol=0.04)
    assert counts[1, 2] == 0
    x = x.copy()
    rc.reinforce(lg.DoubleTensor([2.0, -1.0]))
    np.testing.assert_allclose(rc.backward(p, NOTHING).numpy(), -np.array([[2.0], [-1.0]]) * x / (p + 1e-8),
                               rtol=1e-13)


def test_categorical_draws_follow_the_stream():
    """ReinforceCategorical.lua draws with multinomial(p, 1): the classes lg.multinomial draws after the same
    seed."""
    p = lg.rand(6, 4)
    lg.manualSeed(9)
    x = nn.ReinforceCategorical().forward(p)
    lg.manualSeed(9)
    idx = lg.multinomial(p, 1, True)
    np.testing.assert_array_equal(x.numpy().argmax(1), idx.numpy()[:, 0])


def test_dpnn_reinforce_categorical():
    """Port of dpnn's test.lua ReinforceCategorical: one 1 per row, column means near p."""
    p = lg.rand(1, 10)
    p.div(p.sum())
    inp = p.expand(1000, 10).clone()
    out = nn.ReinforceCategorical().forward(inp)
    assert out.sum() == 1000 and out.min() == 0 and out.max() == 1
    assert np.abs(out.numpy().mean(0) - p.numpy()).mean() < 0.05


def test_gamma_samples_and_gradients():
    """ReinforceGamma.lua: samples of Gamma(k, theta) (NumPy's gamma on the stream); d/dk
    -r (ln x - digamma(k) - ln theta), d/dtheta -r (x / theta^2 - k / theta)."""
    _double()
    rng = np.random.default_rng(6)
    k, theta, reward = rng.uniform(0.5, 3, size=(3, 4)), rng.uniform(0.5, 2, size=(3, 4)), rng.normal(size=3)
    rg = nn.ReinforceGamma()
    lg.manualSeed(8)
    x = rg.forward([k, theta]).numpy().copy()
    np.testing.assert_allclose(x, draws(8, lambda g: g.gamma(k, theta, size=(3, 4))), rtol=1e-14)
    rg.reinforce(lg.from_numpy(reward))
    g_k, g_theta = rg.backward([k, theta], NOTHING)
    psi = np.vectorize(digamma_reference)(k)
    r = reward[:, None]
    np.testing.assert_allclose(g_k.numpy(), -r * (np.log(x) - psi - np.log(theta)), rtol=1e-12)
    np.testing.assert_allclose(g_theta.numpy(), -r * (x / theta ** 2 - k / theta), rtol=1e-12)


def test_dpnn_reinforce_gamma():
    """Port of dpnn's test.lua ReinforceGamma: the samples' mean is shape * scale; the shape's gradient."""
    shape = lg.Tensor(500, 1000).fill(250)
    rg = nn.ReinforceGamma(2)
    out = rg.forward(shape)
    assert abs(float(out.mean()) - 500) < 0.1
    reward = lg.randn(500)
    rg.reinforce(reward)
    expected = (np.log(out.numpy()) - digamma_reference(250) - np.log(2)) * -reward.numpy()[:, None]
    np.testing.assert_allclose(rg.updateGradInput(shape, NOTHING).numpy(), expected, atol=1e-5)


def test_digamma_against_closed_forms_and_a_series():
    """The digamma ReinforceGamma uses (cephes.digamma in the Lua file): at whole and half-whole numbers against
    the closed forms psi(n) = -gamma + H(n - 1) and psi(n + 1/2) = -gamma - 2 ln 2 + sum 2 / (2k - 1) (exact
    fractions), which also check the reference series; over six decades against that series."""
    n = np.arange(1, 60)
    whole = [-EULER_GAMMA + float(sum(Fraction(1, k) for k in range(1, m))) for m in n]
    half = [-EULER_GAMMA - 2 * math.log(2) + float(sum(Fraction(2, 2 * k - 1) for k in range(1, m + 1))) for m in n]
    for x, ref in ((n.astype(float), whole), (n + 0.5, half)):
        np.testing.assert_allclose(digamma(x, np), ref, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose([digamma_reference(v) for v in x], ref, rtol=1e-14, atol=1e-14)
    x = np.geomspace(1e-3, 1e3, 61)
    np.testing.assert_allclose(digamma(x, np), [digamma_reference(v) for v in x], rtol=1e-14, atol=1e-14)
    assert np.isnan(digamma(np.array([0.0, -1.0]), np)).all()


@pytest.mark.parametrize('make, inp', [
    (lambda: nn.ReinforceNormal(0.5), lambda: np.random.default_rng(0).normal(size=(3, 4))),
    (nn.ReinforceBernoulli, lambda: np.random.default_rng(0).uniform(0.1, 0.9, size=(3, 4))),
    (nn.ReinforceCategorical, lambda: np.random.default_rng(0).dirichlet(np.ones(4), size=3)),
    (lambda: nn.ReinforceGamma(0.5), lambda: np.random.default_rng(0).uniform(1, 2, size=(3, 4))),
], ids=['Normal', 'Bernoulli', 'Categorical', 'Gamma'])
def test_evaluation_is_deterministic_unless_stochastic(make, inp):
    """Reinforce.lua's stochastic flag: evaluation without it gives the mode/mean (mu, p, p, k * theta); with
    stochastic=True evaluation samples too."""
    _double()
    x = inp()
    m = make().evaluate()
    expected = x * 0.5 if isinstance(m, nn.ReinforceGamma) else x
    np.testing.assert_array_equal(m.forward(x).numpy(), expected)
    m.stochastic = True
    assert not np.array_equal(m.forward(x).numpy(), expected)
    m.stochastic = False
    m.training()
    assert not np.array_equal(m.forward(x).numpy(), expected)


def test_reinforce_reaches_every_module_of_a_tree():
    """dpnn's Module.lua reinforce: containers hand the reward to each child; Reinforce.lua keeps it."""
    a, b = nn.ReinforceNormal(1), nn.ReinforceBernoulli()
    model = nn.Sequential().add(nn.Linear(3, 3)).add(nn.ConcatTable().add(a).add(nn.Sequential().add(b)))
    reward = lg.randn(2)
    assert model.reinforce(reward) is model
    assert a.reward is reward and b.reward is reward
    nn.Linear(2, 2).reinforce(reward)   # a no-op elsewhere


def test_base_reinforce_is_identity_with_the_reward_as_gradient():
    """Reinforce.lua: output shares the input's storage; gradInput is the reward expanded to the input."""
    x = lg.randn(3, 2, 2)
    rf = nn.Reinforce()
    assert rf.forward(x).storage() is x.storage()
    rf.reinforce(lg.Tensor([1, 2, 3]))
    np.testing.assert_array_equal(rf.backward(x, NOTHING).numpy(), np.broadcast_to([[[1]], [[2]], [[3]]], (3, 2, 2)))
    # one example (online mode): a single reward over all of it
    rf.reinforce(lg.Tensor([4]))
    np.testing.assert_array_equal(rf.rewardAs(lg.randn(5, 2)).numpy(), np.full((5, 2), 4))


@pytest.mark.parametrize('make, inp', [
    (lambda: nn.ReinforceNormal(0.5), lambda: lg.randn(3, 4)),
    (lambda: nn.ReinforceNormal(), lambda: [lg.randn(3, 4), lg.rand(3, 4).add(0.1)]),
    (nn.ReinforceBernoulli, lambda: lg.rand(3, 4)),
    (nn.ReinforceCategorical, lambda: lg.rand(3, 4)),
    (lambda: nn.ReinforceGamma(), lambda: [lg.rand(3, 4).add(1), lg.rand(3, 4).add(0.5)]),
], ids=['Normal', 'Normal-table', 'Bernoulli', 'Categorical', 'Gamma-table'])
def test_type_roundtrip(make, inp):
    """float()/double() convert the modules; evaluation outputs agree across types."""
    assert_type_roundtrip(make().evaluate(), inp())


@pytest.mark.gpu
@pytest.mark.parametrize('make, inp', [
    (lambda: nn.ReinforceNormal(0.5), lambda: np.random.default_rng(0).normal(size=(3, 4))),
    (lambda: nn.ReinforceNormal(), lambda: [np.random.default_rng(0).normal(size=(3, 4)),
                                            np.random.default_rng(1).uniform(0.2, 1, size=(3, 4))]),
    (nn.ReinforceBernoulli, lambda: np.random.default_rng(0).uniform(0.1, 0.9, size=(3, 4))),
    (nn.ReinforceCategorical, lambda: np.random.default_rng(0).dirichlet(np.ones(4), size=3)),
    (lambda: nn.ReinforceGamma(), lambda: [np.random.default_rng(0).uniform(1, 2, size=(3, 4)),
                                           np.random.default_rng(1).uniform(0.5, 1, size=(3, 4))]),
], ids=['Normal', 'Normal-table', 'Bernoulli', 'Categorical', 'Gamma-table'])
def test_gpu_samples_and_gradients(make, inp):
    """On the GPU the modules sample on the device (CuPy's stream) and give the gradients the CPU module gives
    for the same samples; evaluation outputs equal the CPU's."""
    cpu = make().double()
    gpu = make().cudaDouble()
    x = inp()
    x_gpu = [lg.from_numpy(a).cudaDouble() for a in x] if isinstance(x, list) else lg.from_numpy(x).cudaDouble()
    out = gpu.forward(x_gpu)
    assert out.type() == 'legonn.CudaDoubleTensor'
    reward = np.array([1.0, -2.0, 0.5])
    gpu.reinforce(lg.from_numpy(reward).cudaDouble())
    cpu.reinforce(lg.from_numpy(reward))
    g = gpu.backward(x_gpu, lg.Tensor().cuda())
    cpu.forward(x)
    cpu.output.copy(out.double().cpu() if hasattr(out, 'cpu') else out)   # the GPU's samples
    expected = cpu.backward(x, NOTHING)
    for a, b in zip(g if isinstance(g, list) else [g], expected if isinstance(expected, list) else [expected]):
        np.testing.assert_allclose(a.double().cpu().numpy(), b.numpy(), rtol=1e-12)
    gpu.evaluate()
    cpu.evaluate()
    np.testing.assert_allclose(gpu.forward(x_gpu).cpu().numpy(), cpu.forward(x).numpy(), rtol=1e-14)


def test_bad_input_and_hyper_parameters():
    """Errors name the module: a backward before reinforce(reward), a reward of the wrong count, a missing
    stdev, non-positive Gamma parameters, a 1-D categorical input; bad constructor arguments fail at once."""
    rn = nn.ReinforceNormal(1)
    x = lg.randn(3, 2)
    rn.forward(x)
    with pytest.raises(RuntimeError, match=r"ReinforceNormal: expected a reward given by reinforce\(reward\)"):
        rn.backward(x, NOTHING)
    rn.reinforce(lg.randn(4))
    with pytest.raises(ValueError, match=r"ReinforceNormal: expected a reward of 3 values .* got 4 values"):
        rn.backward(x, NOTHING)
    rn.reinforce(lg.randn(3, 1))
    with pytest.raises(ValueError, match=r"expected a 1-D reward"):
        rn.backward(x, NOTHING)
    with pytest.raises(TypeError, match=r"ReinforceNormal: expected a table \{mean, stdev\}"):
        nn.ReinforceNormal().forward(x)
    with pytest.raises(ValueError, match=r"input\[1\] \(stdev\) of input\[0\]'s size"):
        nn.ReinforceNormal().forward([x, lg.rand(3)])
    with pytest.raises(ValueError, match=r"ReinforceNormal: expected a stdev of the input's size"):
        nn.ReinforceNormal(lg.rand(5)).forward(x)
    with pytest.raises(ValueError, match=r"ReinforceGamma: expected positive shapes and scales"):
        nn.ReinforceGamma(1).forward(lg.Tensor([[1.0, -1.0]]))
    with pytest.raises(ValueError, match=r"ReinforceCategorical: expected a 2-D input"):
        nn.ReinforceCategorical().forward(lg.rand(4))
    with pytest.raises(ValueError, match=r"ReinforceCategorical.*expected finite non-negative weights"):
        nn.ReinforceCategorical().forward(lg.Tensor([[0.5, -0.1]]))
    for bad in (0, -1, 'a', True):
        with pytest.raises(ValueError, match='stdev must be a positive number'):
            nn.ReinforceNormal(bad)
        with pytest.raises(ValueError, match='scale must be a positive number'):
            nn.ReinforceGamma(bad)


# --- ArgMax ---------------------------------------------------------------------------------------------------
def test_dpnn_argmax():
    """Port of dpnn's test.lua ArgMax (0-based: ArgMax(0, 1) is Lua's ArgMax(1, 1)): the indices of the row
    maxima as a LongTensor, or in the input's type without asLong; a zero gradient."""
    x = lg.randn(3, 5)
    idx = x.numpy().argmax(1)
    for asLong, typename in ((True, 'legonn.LongTensor'), (False, 'legonn.FloatTensor')):
        am = nn.ArgMax(0, 1, asLong)
        out = am.forward(x)
        assert out.type() == typename
        np.testing.assert_array_equal(out.numpy(), idx)
        gi = am.backward(x, lg.LongTensor(3).zero())
        assert gi.isSameSizeAs(x) and gi.abs().max() == 0


def test_argmax_dimensions():
    """ArgMax.lua: dim moves right past a batch (more dims than nInputDim); a 1-D input gives size (1,); ties give
    the first index, as torch.max."""
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    np.testing.assert_array_equal(nn.ArgMax(1).forward(x).numpy(), x.argmax(1))
    np.testing.assert_array_equal(nn.ArgMax(1, 2).forward(x).numpy(), x.argmax(2))
    out = nn.ArgMax().forward(np.array([1.0, 3.0, 3.0]))
    assert out.size() == (1,) and out.numpy()[0] == 1
    with pytest.raises(ValueError, match=r"ArgMax\(2\): expected an input with a dimension 2"):
        nn.ArgMax(2).forward(lg.randn(3, 2))
    with pytest.raises(ValueError, match=r"dim must be a non-negative integer"):
        nn.ArgMax(-1)


def test_argmax_type_roundtrip():
    assert_type_roundtrip(nn.ArgMax(0, 1, False), lg.randn(3, 4))


@pytest.mark.gpu
def test_argmax_gpu():
    """On the GPU the indices are a CudaLongTensor (the input's device), the same as on the CPU."""
    x = lg.randn(4, 6)
    out = nn.ArgMax(0, 1).cuda().forward(x.cuda())
    assert out.type() == 'legonn.CudaLongTensor'
    np.testing.assert_array_equal(out.cpu().numpy(), x.numpy().argmax(1))


def test_failed_call_changes_nothing():
    rn = nn.Sequential().add(nn.Linear(3, 2)).add(nn.ReinforceNormal(1))
    assert_rejected(rn, ValueError, 'Linear', 'forward', lg.randn(2, 4))


# --- dpnn's bigtest: REINFORCE learns ---------------------------------------------------------------------------
def _train_until_better(agent, cost, inputs, targets, epochs, restarts=10, lr=0.1):
    """dpnnbigtest.Reinforce's train(): up to ``restarts`` times from a reset, per-example SGD with the
    VRClassReward cost for ``epochs`` epochs, until the evaluation reward passes the Lua file's test
    ``reward * 0.7 > baseReward``; returns (converged, base reward, reward)."""
    def evaluation_reward():
        agent.evaluate()
        total = 0.0
        for i in range(inputs.size(0)):
            total -= cost.forward(agent.forward(inputs.narrow(0, i, 1)), targets.narrow(0, i, 1))
        return total / inputs.size(0)

    for _ in range(restarts):
        agent.reset()
        base = evaluation_reward()
        for _ in range(epochs):
            for i in range(inputs.size(0)):
                agent.training()
                agent.zeroGradParameters()
                x, t = inputs.narrow(0, i, 1), targets.narrow(0, i, 1)
                out = agent.forward(x)
                cost.forward(out, t)
                agent.backward(x, cost.backward(out, t))
                agent.updateParameters(lr)
            reward = evaluation_reward()
            if reward * 0.7 > base:
                return True, base, reward
    return False, base, reward


@pytest.mark.parametrize('name', ['ReinforceNormal', 'ReinforceGamma', 'ReinforceBernoulli', 'ReinforceCategorical'])
def test_dpnn_bigtest_reinforce_learns(name):
    """Port of dpnn's test.lua dpnnbigtest.Reinforce: an mlp with a REINFORCE module in it, trained by
    VRClassReward alone (with a learnt baseline), raises its reward on 10 examples of 3 classes (its nn.Clip is
    nn.Clamp; labels 0-based)."""
    lg.manualSeed(0)
    n = 10
    inputs, targets = lg.Tensor(n, 3).uniform(0, 0.1), lg.Tensor(n).fill(0)
    for i in range(n):
        j = (i + 1) % 3   # Lua's (i % 3) + 1 for its 1-based i, shifted to 0-based
        inputs[i, j] = lg.uniform(0.9, 1.1)
        targets[i] = j
    mlp = nn.Sequential().add(nn.Linear(3, 20 if name == 'ReinforceBernoulli' else 200))
    hidden = 20 if name == 'ReinforceBernoulli' else 200
    if name == 'ReinforceNormal':
        mlp.add(nn.Tanh()).add(nn.ReinforceNormal(0.5)).add(nn.Clamp(-1, 1))
    elif name == 'ReinforceGamma':
        mlp.add(nn.Sigmoid()).add(nn.ReinforceGamma(0.5))
    elif name == 'ReinforceBernoulli':
        mlp.add(nn.Sigmoid()).add(nn.ReinforceBernoulli())
    else:
        mlp.add(nn.Tanh())
    mlp.add(nn.Linear(hidden, 3)).add(nn.SoftMax())
    if name == 'ReinforceCategorical':
        mlp.add(nn.AddConstant(0.00001)).add(nn.ReinforceCategorical())
    agent = nn.ConcatTable().add(mlp).add(nn.Sequential().add(nn.Constant(1, 1)).add(nn.Add(1)))
    cost = nn.VRClassReward(agent, 1)
    converged, base, reward = _train_until_better(agent, cost, inputs, targets,
                                                  30 if name == 'ReinforceBernoulli' else 10)
    assert converged, f"{name} did not converge: {reward} * 0.7 <= {base}"
