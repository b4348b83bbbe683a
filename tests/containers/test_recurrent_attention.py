"""rnn's RecurrentAttention and AbstractRecurrent.reinforce: a float64 NumPy reference of RecurrentAttention.lua's
loops (with the module's own samples), Jacobians with forwardActions, per-step rewards, type round trips, GPU,
bad input, and rnn's test.lua RecurrentAttention test rewritten (its old RATest replaced by an unrolled loop of
shared clones)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.containers.container import Container
from tests.checks import assert_close_trees, assert_rejected

rng = np.random.default_rng(0)


class Reforward(Container):
    """Test driver: updateGradInput forwards again first, since nn.Jacobian runs one backward per output element
    after a single forward while RecurrentAttention back-propagates each forwarded sequence once."""

    def __init__(self, module):
        super().__init__()
        self.add(module)

    def updateOutput(self, input):
        self.output = self.modules[0].updateOutput(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.modules[0].updateOutput(input)
        self.gradInput = self.modules[0].updateGradInput(input, gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.modules[0].accGradParameters(input, gradOutput, scale)


def small_model(n_step=3, hidden=4, features=5, stdev=0.3):
    """rnn: tanh(Linear([x, action])), action: Linear(hidden -> 2) then ReinforceNormal."""
    rnn = nn.Sequential().add(nn.JoinTable(1)).add(nn.Linear(features + 2, hidden)).add(nn.Tanh())
    action = nn.Sequential().add(nn.Linear(hidden, 2)).add(nn.ReinforceNormal(stdev))
    return nn.RecurrentAttention(rnn, action, n_step, [hidden]).double()


def reference(x, actions, Wr, br, Wa, ba, stdev, reward, grad_outputs):
    """RecurrentAttention.lua in NumPy for small_model, given each step's sampled action: (outputs, gradInput,
    dWr, dbr, dWa, dba). A step's hidden gradient is its gradOutput plus the next action's REINFORCE gradient
    through Linear; the rnn's gradient for the action is dropped."""
    T, n = len(actions), x.shape[0]
    hidden = Wr.shape[0]
    prev = [np.zeros((n, hidden))]
    h, mu = [], []
    for t in range(T):
        mu.append(prev[-1] @ Wa.T + ba)
        h.append(np.tanh(np.concatenate([x, actions[t]], 1) @ Wr.T + br))
        prev.append(h[-1])
    g_mu = [-reward[:, None] * (actions[t] - mu[t]) / stdev ** 2 for t in range(T)]
    dWr, dbr, dWa, dba, gx = np.zeros_like(Wr), np.zeros_like(br), np.zeros_like(Wa), np.zeros_like(ba), 0
    for t in reversed(range(T)):
        grad_h = grad_outputs[t] + (g_mu[t + 1] @ Wa if t + 1 < T else 0)
        delta = grad_h * (1 - h[t] ** 2)
        dWr += delta.T @ np.concatenate([x, actions[t]], 1)
        dbr += delta.sum(0)
        gx = gx + delta @ Wr[:, :x.shape[1]]
        dWa += g_mu[t].T @ prev[t]
        dba += g_mu[t].sum(0)
    return h, gx, dWr, dbr, dWa, dba


def test_matches_numpy_reference_of_the_lua_loops():
    """RecurrentAttention.lua: outputs, gradInput and every parameter gradient against the NumPy reference, the
    actions being the ReinforceNormal samples the module drew."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    ra = small_model()
    x = rng.normal(size=(3, 5))
    grad_outputs = [rng.normal(size=(3, 4)) for _ in range(3)]
    reward = rng.normal(size=3)
    out = ra.forward(x)
    actions = [a.numpy().copy() for a in ra.actions]
    ra.reinforce(lg.from_numpy(reward))
    ra.zeroGradParameters()
    gi = ra.backward(x, [lg.from_numpy(g) for g in grad_outputs])
    lin_r, lin_a = ra.rnn.module.get(1), ra.action.module.get(0)
    h, gx, dWr, dbr, dWa, dba = reference(x, actions, lin_r.weight.numpy(), lin_r.bias.numpy(),
                                          lin_a.weight.numpy(), lin_a.bias.numpy(), 0.3, reward, grad_outputs)
    assert len(out) == 3
    for o, e in zip(out, h):
        np.testing.assert_allclose(o.numpy(), e, rtol=1e-13)
    np.testing.assert_allclose(gi.numpy(), gx, rtol=1e-12, atol=1e-14)
    for got, want in ((lin_r.gradWeight, dWr), (lin_r.gradBias, dbr), (lin_a.gradWeight, dWa), (lin_a.gradBias, dba)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-14)


def glimpse_model(forward_actions=True):
    rnn = nn.Sequential().add(nn.SpatialGlimpse(2, 2)).add(nn.View(-1).setNumInputDims(3)) \
        .add(nn.Linear(8, 4)).add(nn.Tanh())
    action = nn.Sequential().add(nn.Linear(4, 2)).add(nn.Tanh())
    ra = nn.RecurrentAttention(rnn, action, 3, [4])
    ra.forwardActions = forward_actions
    return ra


def test_jacobian_with_forwarded_actions():
    """With forwardActions and a differentiable action, the outputs [h_t, a_t] have exact gradients through the
    action chain (the glimpse's location gradient is zero, as the dropped rnn gradient for the action is):
    input and parameter Jacobians by central differences."""
    m = Reforward(glimpse_model()).double()
    x = lg.rand(2, 1, 6, 6).double()
    assert nn.Jacobian.testJacobian(m, x) < 1e-8
    for p, g in zip(*m.parameters()):
        assert nn.Jacobian.testJacobianParameters(m, x, p, g) < 1e-8


def unrolled_recurrent(start, glimpse, feedback, locator, n_step, x, grad_outputs, reward):
    """RecurrentAttention over nn.Recurrent(start, glimpse, feedback, ReLU) written out with one shared clone of
    each module per step, as rnn's test.lua's RATest over its old Recurrent: h[0] = relu(start(glimpse(x, a[0]))),
    h[t] = relu(glimpse(x, a[t]) + feedback(h[t-1])), a[t] = locator(h[t-1]) (a[0] of zeros). Returns (outputs,
    gradInput); the parameter gradients accumulate in the modules' shared gradients."""
    share = ('weight', 'bias', 'gradWeight', 'gradBias')
    gl = [glimpse.clone(*share) for _ in range(n_step)]
    fb = [feedback.clone(*share) for _ in range(n_step)]
    acts = [locator.clone(*share) for _ in range(n_step)]
    relu = [nn.ReLU().double() for _ in range(n_step)]
    prev, actions, glimpses, merged = [lg.zeros(x.size(0), 20)], [], [], []
    for t in range(n_step):
        actions.append(acts[t].forward(prev[t]).clone())
        glimpses.append(gl[t].forward([x, actions[t]]).clone())
        z = start.forward(glimpses[t]).clone() if t == 0 else glimpses[t] + fb[t].forward(prev[t])
        merged.append(z)
        prev.append(relu[t].forward(z).clone())
    for a in acts:
        a.reinforce(reward)
    extra = [lg.zeros(x.size(0), 20) for _ in range(n_step)]
    gx = None
    for t in reversed(range(n_step)):
        gz = relu[t].backward(merged[t], grad_outputs[t] + extra[t]).clone()
        if t == 0:
            gg = start.backward(glimpses[0], gz).clone()
        else:
            gg = gz
            extra[t - 1].add(fb[t].backward(prev[t], gz))
        gi = gl[t].backward([x, actions[t]], gg)[0]
        gx = gi.clone() if gx is None else gx.add(gi)
        ga = acts[t].backward(prev[t], actions[t].clone().zero())
        if t > 0:
            extra[t - 1].add(ga)
    return prev[1:], gx


def lua_test_model():
    """The model of rnn's test.lua RecurrentAttention test (its opt sizes): a glimpse network (location and
    glimpse sensors) in nn.Recurrent(hiddenSize, glimpse, Linear, ReLU, 99999), a locator ending in a
    ReinforceNormal put in evaluation so both runs sample alike (as the Lua test does)."""
    patch, depth, hidden = 8, 3, 20
    location = nn.Sequential().add(nn.SelectTable(1)).add(nn.Linear(2, 20)).add(nn.ReLU())
    sensor = nn.Sequential().add(nn.SpatialGlimpse(patch, depth)).add(nn.Collapse(3)) \
        .add(nn.Linear(patch * patch * depth, 20)).add(nn.ReLU())
    glimpse = nn.Sequential().add(nn.ConcatTable().add(location).add(sensor)).add(nn.JoinTable(0, 1)) \
        .add(nn.Linear(40, 20)).add(nn.ReLU()).add(nn.Linear(20, hidden))
    rnn = nn.Recurrent(hidden, glimpse, nn.Linear(hidden, hidden), nn.ReLU(), 99999)
    locator = nn.Sequential().add(nn.Linear(hidden, 2)).add(nn.HardTanh())
    rn = nn.ReinforceNormal(0.2)
    rn.evaluate()
    locator.add(rn).add(nn.HardTanh())
    return rnn.double(), locator.double()


@pytest.mark.parametrize('explicit_recursor', [False, True], ids=['Recurrent', 'Recursor(Recurrent)'])
def test_rnn_test_lua_recurrent_attention(explicit_recursor):
    """rnn's test.lua RecurrentAttention, rewritten: three rounds of forward, reinforce, backward and
    updateParameters(1) give the unrolled loop's outputs, gradInput, parameters and gradients, with the
    Recurrent given plain and wrapped in an explicit Recursor."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    rnn, locator = lua_test_model()
    start, glimpse, feedback = rnn.startModule.clone(), rnn.inputModule.clone(), rnn.feedbackModule.clone()
    ref_locator = locator.clone()
    rva = nn.RecurrentAttention(nn.Recursor(rnn.clone()) if explicit_recursor else rnn.clone(), locator.clone(),
                                5, [20])
    for _ in range(3):
        x = lg.randn(4, 1, 28, 28)
        grad_outputs = [lg.randn(4, 20) for _ in range(5)]
        reward = lg.randn(4)
        rva.zeroGradParameters()
        for m in (start, glimpse, feedback, ref_locator):
            m.zeroGradParameters()
        out = rva.forward(x)
        rva.reinforce(reward)
        gi = rva.backward(x, grad_outputs)
        ref_out, ref_gi = unrolled_recurrent(start, glimpse, feedback, ref_locator, 5, x, grad_outputs, reward)
        assert_close_trees(out, ref_out, rtol=1e-12, atol=1e-12)
        assert_close_trees(gi, ref_gi, rtol=1e-12, atol=1e-12)
        rva.updateParameters(1)
        ref = (start, glimpse, feedback, ref_locator)
        for m in ref:
            m.updateParameters(1)
        params, grads = rva.parameters()
        ref_params = [p for m in ref for p in m.parameters()[0]]
        ref_grads = [g for m in ref for g in m.parameters()[1]]
        assert len(params) == len(ref_params) == 13
        assert_close_trees(params, ref_params, rtol=1e-12, atol=1e-12)
        assert_close_trees(grads, ref_grads, rtol=1e-12, atol=1e-12)


def test_reinforce_per_step_rewards():
    """AbstractRecurrent.lua reinforce: a table (or a tensor of 2+ dimensions) of rewards goes to the last steps,
    the last reward to the last step; one 1-D reward to every step clone."""
    rec = nn.Recursor(nn.ReinforceNormal(1))
    for _ in range(3):
        rec.forward(lg.randn(2, 3))
    r1, r2 = lg.randn(2), lg.randn(2)
    rec.reinforce([r1, r2])
    assert rec.getStepModule(1).reward is r1 and rec.getStepModule(2).reward is r2
    assert 'reward' not in vars(rec.getStepModule(0))
    rewards = lg.randn(3, 2)
    rec.reinforce(rewards)
    for step in range(3):
        assert rec.getStepModule(step).reward.equal(rewards[step])
    one = lg.randn(2)
    rec.reinforce(one)
    assert all(rec.getStepModule(s).reward is one for s in range(3))
    with pytest.raises(ValueError, match=r"Recursor.*expected at most one reward per step forwarded \(3\), got 4"):
        rec.reinforce([one] * 4)


def test_evaluation_and_type_roundtrip():
    """In evaluation the ReinforceNormal gives its means: forward is deterministic, and agrees in float and
    double."""
    ra = small_model().evaluate()
    x = rng.normal(size=(3, 5))
    first = [o.clone() for o in ra.forward(x)]
    assert_close_trees(ra.forward(x), first, rtol=0, atol=0)
    ra.float()
    out32 = [o.double() for o in ra.forward(lg.from_numpy(x).float())]
    assert ra.type() == 'legonn.FloatTensor' and out32[0].size() == (3, 4)
    ra.double()
    assert_close_trees(out32, ra.forward(x), rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_gpu_matches_cpu():
    """The CUDA model gives the CPU's outputs and gradients (Jacobian model, forwarded actions)."""
    cpu = glimpse_model().double()
    gpu = cpu.clone().cudaDouble()
    x = lg.rand(2, 1, 6, 6).double()
    out = cpu.forward(x)
    gout = gpu.forward(x.cudaDouble())
    assert_close_trees(out, gout)
    grads = [[lg.randn(2, 4).double(), lg.randn(2, 2).double()] for _ in range(3)]
    cpu.zeroGradParameters()
    gpu.zeroGradParameters()
    gi = cpu.backward(x, grads)
    ggi = gpu.backward(x.cudaDouble(), [[a.cudaDouble(), b.cudaDouble()] for a, b in grads])
    assert_close_trees(gi, ggi)
    assert_close_trees(cpu.parameters()[1], gpu.parameters()[1])


def test_bad_input_and_construction():
    """Errors name the module: a backward before forward, a gradOutput table of the wrong length; bad
    constructor arguments; a failed call changes no parameter."""
    ra = small_model()
    x = rng.normal(size=(3, 5))
    with pytest.raises(ValueError, match=r"RecurrentAttention: expected a forward of 3 steps before backward"):
        ra.backward(x, [lg.randn(3, 4)] * 3)
    ra.forward(x)
    ra.reinforce(lg.randn(3))
    assert_rejected(ra, ValueError, r"expected a gradOutput table of 3 entries \(one per step\), got a table of 2",
                    'backward', x, [lg.randn(3, 4)] * 2)
    assert_rejected(ra, ValueError, r"RecurrentAttention.rnn\[step 0\]", 'forward', rng.normal(size=(3, 6)))
    with pytest.raises(ValueError, match=r"nStep must be a positive integer"):
        nn.RecurrentAttention(nn.Linear(2, 2), nn.Linear(2, 2), 0, [2])
    with pytest.raises(ValueError, match=r"hiddenSize must be a list of positive sizes"):
        nn.RecurrentAttention(nn.Linear(2, 2), nn.Linear(2, 2), 2, 2)
    with pytest.raises(TypeError, match=r"action must be an nn module"):
        nn.RecurrentAttention(nn.Linear(2, 2), None, 2, [2])


def test_acc_grad_parameters_before_update_grad_input_is_refused():
    """accGradParameters reads each step's hidden gradient that updateGradInput makes (RecurrentAttention.lua's
    order): called alone it raises naming the module, where it read an attribute that was never set."""
    lg.manualSeed(2)
    ra, x = small_model(), lg.DoubleTensor(3, 5).uniform(-1, 1)
    out = ra.forward(x)
    with pytest.raises(ValueError, match='RecurrentAttention.*updateGradInput before accGradParameters'):
        ra.accGradParameters(x, [o.clone().zero() for o in out])
