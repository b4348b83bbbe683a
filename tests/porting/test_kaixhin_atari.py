"""Kaixhin/Atari (https://github.com/Kaixhin/Atari) ported line by line in tests/porting/kaixhin_atari.py: the
user modules, every model head of Model.lua's ``create``, Experience.lua's replay memory, Agent.lua's learning
step (double Q, persistent advantage learning, TD clipping) and the async agents (n-step Q, A3C) trained
hogwild on legonn.threads, all on a tiny deterministic corridor written here in place of ALE/rlenvs."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim, tds
from tests.checks import assert_jacobian
from tests.porting import kaixhin_atari as ka


class Corridor:
    """rlenvs' interface on a corridor of ``L`` cells: the agent starts in cell 0, action 0 steps left (or
    stays at the wall), action 1 steps right; reaching the last cell pays 1 and ends the episode, which also
    ends, paying 0, after ``limit`` steps. The observation is the cell, one-hot, as a 1 x 1 x L screen."""

    L, limit = 4, 12

    def __init__(self, opt=None):
        self.pos, self.t = 0, 0

    def getStateSpec(self):
        return ['real', [1, 1, self.L], [0, 1]]

    def getActionSpec(self):
        return ['int', 1, [0, 1]]

    def observation(self):
        x = lg.zeros(1, 1, self.L)
        x[0][0][self.pos] = 1
        return x

    def start(self):
        self.pos, self.t = 0, 0
        return self.observation()

    def step(self, action):
        self.t += 1
        self.pos = max(0, self.pos - 1) if action == 0 else self.pos + 1
        if self.pos == self.L - 1:
            return 1, self.observation(), True
        return 0, self.observation(), self.t >= self.limit

    def training(self):
        pass

    def evaluate(self):
        pass


class CorridorBody:
    """A body for the corridor in the manner of examples/GridWorldNet.lua."""

    def __init__(self, opts=None):
        self.histLen = 1 if opts.recurrent else opts.histLen

    def createBody(self):
        net = nn.Sequential()
        net.add(nn.View(self.histLen * Corridor.L))
        net.add(nn.Linear(self.histLen * Corridor.L, 16))
        net.add(nn.ReLU(True))
        return net


ka.BODIES['corridor'] = CorridorBody


def options(**kw):
    """Setup.lua's options (its defaults where they matter), for the corridor."""
    env = Corridor()
    opt = dict(tensorType='torch.DoubleTensor', Tensor=lg.DoubleTensor, gpu=0, cudnn=False, colorSpace=None,
                 width=0, height=0, modelBody='corridor', hiddenSize=16, histLen=1, duel=False, bootstraps=0,
                 recurrent=False, stateSpec=env.getStateSpec(), actionSpec=env.getActionSpec(), Env=Corridor,
                 env='Corridor',
                 gamma=0.9, rewardClip=1, tdClip=1, epsilonStart=1, epsilonEnd=0.01, epsilonSteps=400, PALpha=0,
                 memSize=500, memSampleFreq=1, memNSamples=1, memPriority=None, batchSize=8, learnStart=50,
                 progFreq=1000, gradClip=0, optimiser='rmspropm', eta=0.01, momentum=0.95, valSize=10, tau=50,
                 doubleQ=True, steps=2000, alpha=0.65, betaZero=0.45, discretiseMem=False, saliency=None,
                 seed=1, threads=2, rmsEpsilon=0.1, entropyBeta=0.01, _id='corridor', experiments='experiments')
    opt['async'] = None
    opt.update(kw)
    return opt


@pytest.fixture(autouse=True)
def double_default():
    lg.setdefaulttensortype('torch.DoubleTensor')
    ka.Singleton._instance = None
    yield
    lg.setdefaulttensortype('torch.FloatTensor')


# ---- user modules ------------------------------------------------------------------------------------------

def test_gradient_rescale_and_min_dim_jacobians():
    """GradientRescale.lua passes the input on and scales the gradient (a Jacobian of the identity, times the
    factor, in both modes); MinDim.lua adds a leading singleton below ``minInputDims`` dimensions and views the
    gradient back."""
    x = lg.randn(3, 4)
    for inplace in (None, True):
        m = ka.GradientRescale(0.25, inplace)
        assert m.forward(x) is x
        g = lg.randn(3, 4)
        np.testing.assert_allclose(m.backward(x, g.clone()).numpy(), 0.25 * g.numpy())
    m = ka.MinDim(0, 3)
    assert tuple(m.forward(lg.randn(3, 4)).size()) == (1, 3, 4)
    assert tuple(m.forward(lg.randn(2, 3, 4)).size()) == (2, 3, 4)
    assert_jacobian(ka.MinDim(0, 3), lg.randn(3, 4))
    assert_jacobian(ka.MinDim(1, 3), lg.randn(3, 4))


def test_huber_criterion_against_its_lua_maths():
    """HuberCriterion.lua: mean of min(|a|, δ) (2|a| - min(|a|, δ)) / 2 with a = target - input, and as gradient
    sign(a) min(|a|, δ) (the Lua's own sign and scale: the negated, unaveraged derivative)."""
    x, t = lg.randn(5, 3), lg.randn(5, 3) * 2
    crit = ka.HuberCriterion(0.7)
    a = t.numpy() - x.numpy()
    d = np.minimum(np.abs(a), 0.7)
    assert crit.forward(x, t) == pytest.approx(np.mean(d * (2 * np.abs(a) - d) * 0.5))
    np.testing.assert_allclose(crit.backward(x, t).numpy(), np.sign(a) * d)
    assert ka.HuberCriterion().delta == 1


def test_duel_aggregator_is_value_plus_centred_advantage():
    """DuelAggregator.lua: Q(s, a) = V(s) + A(s, a) - mean_a A(s, a) on a batch, and its Jacobian."""
    agg = ka.DuelAggregator(5)
    V, A = lg.randn(4, 1), lg.randn(4, 5)
    Q = agg.forward([V, A])
    assert tuple(Q.size()) == (4, 5, 1)   # Replicate(m, 2, 2) of V is 4 x m x 1, and CAddTable keeps its shape
    np.testing.assert_allclose(Q.view(4, 5).numpy(), V.numpy() + A.numpy() - A.numpy().mean(1, keepdims=True))
    assert_jacobian(nn.Sequential().add(nn.ConcatTable().add(nn.Narrow(1, 0, 1)).add(nn.Narrow(1, 1, 5)))
                    .add(ka.DuelAggregator(5)), lg.randn(4, 6))


def test_guided_and_deconvnet_relus():
    """GuidedReLU passes back ReLU's gradient where gradOutput is positive too; DeconvnetReLU passes back the
    positive gradOutput whatever the input; both are ReLU while not switched."""
    x, g = lg.randn(6, 5), lg.randn(6, 5)
    relu = (x.numpy() > 0) * g.numpy()
    for cls, salient in ((ka.GuidedReLU, relu * (g.numpy() > 0)), (ka.DeconvnetReLU, g.numpy() * (g.numpy() > 0))):
        m = cls()
        np.testing.assert_allclose(m.forward(x).numpy(), np.maximum(x.numpy(), 0))
        np.testing.assert_allclose(m.backward(x, g).numpy(), relu)
        m.salientBackprop()
        np.testing.assert_allclose(m.backward(x, g).numpy(), salient)
        m.normalBackprop()
        np.testing.assert_allclose(m.backward(x, g).numpy(), relu)


def test_rmspropm_and_shared_rmsprop_steps():
    """rmspropm.lua and sharedRmsProp.lua against their update rules written in NumPy, two steps each."""
    x0, g0 = np.array([0.5, -1.0, 2.0]), np.array([0.3, -0.2, 0.1])
    for fn, key in ((ka.rmspropm, 'epsilon'), (ka.sharedRmsProp, 'rmsEpsilon')):
        x = lg.Tensor(x0.tolist())
        config = {'learningRate': 0.1, 'momentum': 0.9, key: 0.01}
        xn, g, gsq = x0.copy(), np.zeros(3), np.zeros(3)
        for _ in range(2):
            fn(lambda p: (1.0, lg.Tensor(g0.tolist())), x, config)
            if fn is ka.rmspropm:
                g = 0.9 * g + 0.1 * g0
                gsq = 0.9 * gsq + 0.1 * g0 * g0
                xn = xn - 0.1 * g0 / np.sqrt(gsq - g * g + 0.01)
            else:
                gsq = 0.9 * gsq + 0.1 * g0 * g0
                xn = xn - 0.1 * g0 / np.sqrt(gsq + 0.01)
        np.testing.assert_allclose(x.numpy(), xn)


# ---- models -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('body,size', [('models.Catch', 24), ('models.Atari2013', 36), ('models.Atari', 44)])
def test_bodies_and_plain_heads(body, size):
    """Each body on its screens (smaller than Atari's 84 x 84 to keep the test fast), four-frame histories
    stacked by the first View, a batch of three; the head gives ``heads x m`` Q-values per state."""
    opt = options(modelBody=body, histLen=4, stateSpec=['real', [1, size, size], [0, 1]],
                  actionSpec=['int', 1, [0, 5]])
    net = ka.Model(opt).create()
    assert tuple(net.forward(lg.randn(3, 4, 1, size, size)).size()) == (3, 1, 6)
    assert tuple(net.forward(lg.randn(4, 1, size, size)).size()) == (1, 6)


def test_grid_world_body():
    """examples/GridWorldNet.lua: a 2-vector state."""
    opt = options(modelBody='examples.GridWorldNet', stateSpec=['real', [2], [0, 1]], actionSpec=['int', 1, [0, 3]])
    net = ka.Model(opt).create()
    assert tuple(net.forward(lg.randn(5, 1, 2)).size()) == (5, 1, 4)


def test_dueling_bootstrapped_and_a3c_heads():
    """The dueling head (GradientRescale, two streams, DuelAggregator: each state's advantages average to its
    value), four bootstrap heads each freshly initialised (nninit.kaiming), and the A3C value and policy."""
    net = ka.Model(options(duel=True)).create()
    x = lg.randn(7, 1, 1, 1, 4)
    Q = net.forward(x)
    assert tuple(Q.size()) == (7, 1, 2)
    streams = net.findModules('nn.ConcatTable')[0][1]
    V = streams.output[0].numpy()
    np.testing.assert_allclose(Q.numpy().mean(2), V, atol=1e-12)

    net = ka.Model(options(bootstraps=4)).create()
    assert tuple(net.forward(x).size()) == (7, 4, 2)
    heads = net.findModules('nn.ConcatTable')[0][0].modules
    w = [h.modules[0].weight.numpy() for h in heads]
    assert all(np.abs(w[0] - w[i]).max() > 0 for i in (1, 2, 3))
    bound = math.sqrt(3) / math.sqrt(3) * math.sqrt(1 / 16)   # kaiming uniform, gain 1/sqrt(3), fan in 16
    assert max(np.abs(wi).max() for wi in w) <= bound

    V, pi = ka.Model(options(**{'async': 'A3C'})).create().forward(lg.randn(1, 1, 1, 4))
    assert tuple(V.size()) == (1,) and pi.sum() == pytest.approx(1)


def test_recurrent_heads():
    """DRQN (``recurrent``, not async): Copy, MinDim, Transpose, the body Bottled over time and batch, a SeqLSTM
    whose last step feeds the Q-values; async recurrent: a FastLSTM with its forget-gate biases at 1 (the
    ``lstm.i2g:init({'bias', {{3h+1, 4h}}}, nninit.constant, 1)`` of Model.lua), stepping one state a call."""
    net = ka.Model(options(recurrent=True, histLen=3)).create()
    x = lg.randn(5, 3, 1, 1, 4)
    Q = net.forward(x)
    assert tuple(Q.size()) == (5, 1, 2)
    # the last step's Q-values, recomputed by hand from the SeqLSTM's output sequence
    seq = net.findModules('nn.SeqLSTM')[0][0]
    assert tuple(seq.output.size()) == (3, 5, 16)
    lin = net.findModules('nn.Linear')[0][-1]
    np.testing.assert_allclose(Q.numpy()[:, 0], seq.output[-1].numpy() @ lin.weight.numpy().T + lin.bias.numpy())
    net.backward(x, lg.randn(5, 1, 2))

    opt = options(recurrent=True, histLen=3, duel=True, **{'async': 'NStepQ'})
    net = ka.Model(opt).create()
    for lstm in net.findModules('nn.FastLSTM')[0]:
        np.testing.assert_array_equal(lstm.i2g.bias[32:].numpy(), 1)
        assert not (lstm.i2g.bias[:32].numpy() == 1).all()
    a = net.forward(lg.randn(1, 1, 4)).clone()
    b = net.forward(lg.randn(1, 1, 4)).clone()
    assert tuple(a.size()) == (1, 2) and not lg.equal(a, b)


def test_saliency_swaps_relus_and_backprops_positive_signals():
    """Model:setSaliency replaces every nn.ReLU by a GuidedReLU (fields copied with ``pairs``, so the
    in-place flag and buffers carry over) and the agent's saliency backward only passes positive signals."""
    model = ka.Model(options(hiddenSize=8))
    net = model.create()
    model.setSaliency('guided')
    assert len(net.findModules('nn.ReLU')[0]) == 0 and len(model.relus) == 2
    assert all(r.inplace for r in model.relus)
    x = lg.randn(1, 1, 1, 4)
    net.forward(x)
    model.salientBackprop()
    assert all(r.guide for r in model.relus)
    net.backward(x, lg.Tensor([[1, 0]]))   # Agent:computeSaliency's maxTarget, heads x m
    model.normalBackprop()
    assert not any(r.guide for r in model.relus)
    model.setSaliency('deconvnet')
    assert len(net.findModules('nn.GuidedReLU')[0]) == 0 and len(model.relus) == 2


# ---- replay memory and the DQN learning step ---------------------------------------------------------------

def test_circular_queue_concatenates_the_history():
    """CircularQueue.lua: ``torch.concat`` (torchx) joins the frames along dimension 1 (0 here); pushReset
    zeroes the history at the next push."""
    q = ka.CircularQueue(3, lg.DoubleTensor, [1, 2])
    for v in (1, 2, 3):
        q.push(lg.DoubleTensor(1, 2).fill(v))
    np.testing.assert_array_equal(q.readAll().numpy(), [[1, 1], [2, 2], [3, 3]])
    q.pushReset(lg.DoubleTensor(1, 2).fill(4))
    q.push(lg.DoubleTensor(1, 2).fill(5))
    np.testing.assert_array_equal(q.readAll().numpy(), [[0, 0], [0, 0], [5, 5]])
    assert tuple(lg.concat(lg.Tensor(), [lg.ones(2, 3), lg.ones(1, 3)]).size()) == (3, 3)
    with pytest.raises(ValueError, match='concat: tensor 1 of size \\(1, 4\\)'):
        lg.concat([lg.ones(2, 3), lg.ones(1, 4)])


def test_experience_retrieves_histories_within_episodes():
    """Experience.lua's retrieve: a state's history goes back to the episode's start and no further (zeros
    before), the transition is the next frame, and a transition into a terminal slot is all zeros."""
    opt = options(histLen=2, memSize=20)
    mem = ka.Experience(opt['memSize'], opt)
    frames = [lg.DoubleTensor(1, 1, 4).fill(i) for i in range(1, 7)]
    terms = [False, False, True, False, False, False]
    for i, (f, t) in enumerate(zip(frames, terms)):
        mem.store(0.5 * i, f, t, i % 2, lg.ByteTensor(1).fill(1))
    states, actions, rewards, transitions, terminals = mem.retrieve(lg.LongTensor([2, 3, 4]))
    first = lambda t: t[..., 0, 0, 0].numpy().tolist()
    assert first(states) == [[1, 2], [2, 3], [0, 4]]
    assert first(transitions) == [[0, 0], [3, 4], [4, 5]]   # slot 3's terminal flag ends slot 2's transition
    assert terminals.numpy().tolist() == [1, 0, 0]
    assert actions.numpy().tolist() == [1, 0, 1] and rewards.numpy().tolist() == [1.0, 1.5, 2.0]


def test_binary_heap():
    """test/testBinaryHeap.lua: 100 random priorities (values twice them) pop in descending order; findMax is the
    largest. Also: the hash tables follow every swap, and rebalance keeps a heap sorted by priority."""
    heap = ka.BinaryHeap(1000)
    vec = tds.Vec()
    for i in range(100):
        r = lg.random(1, 101)
        vec[len(vec)] = r
        heap.insert(r, r * 2)
    vec.sort(lambda a, b: a > b)
    assert heap.findMax() == vec[0]
    for k in range(heap.size):
        assert heap.array[k][1] == heap.pehash[k]   # (ephash is keyed by value: the test's values repeat)
    for i in range(100):
        entry = heap.pop()
        r = vec[i]
        assert entry[0] == r
        assert entry[1] == r * 2

    heap = ka.BinaryHeap(8)
    for i, p in enumerate([3, 9, 1, 7, 5, 8, 2, 6]):
        heap.insert(p, i)
    heap.rebalance()
    assert heap.array[:, 0].numpy().tolist() == [9, 8, 7, 6, 5, 3, 2, 1]
    assert [heap.getValueByVal(k) for k in range(8)] == [1, 5, 3, 7, 4, 0, 6, 2]


def populated_experience(memPriority, capacity=400):
    """test/testExperience.lua's randomPopulate, smaller: every slot stored, then given a random priority in
    -499 .. 500. learnStart is half the capacity (the Lua's 0 with 1e4 slots): Experience.lua refuses the
    strata of the smallest partitions of a memory this small, which it only builds from learnStart on."""
    opt = options(histLen=1, stateSpec=['real', [1, 2, 2], [0, 1]], discretiseMem=True, batchSize=10,
                  bootstraps=5, memPriority=memPriority, learnStart=capacity // 2, steps=1e6, alpha=0.65, betaZero=0.45)
    ka.Singleton.getInstance().step = 1
    experience = ka.Experience(capacity, opt)
    priorities = lg.Tensor(capacity)
    state = lg.Tensor(1, 2, 2).zero()
    mask = lg.ByteTensor(5)
    idx, prio = lg.LongTensor(1), lg.Tensor(1)
    for i in range(capacity):
        experience.store(1, state, False, 0, mask.clone().bernoulli(0.5))
        idx[0] = i
        prio[0] = lg.random(1, 1001) - 1000 / 2
        priorities[i] = prio[0]
        experience.updatePriorities(idx, prio)
    return experience, priorities


@pytest.mark.parametrize('memPriority', [None, 'rank'])
def test_experience_sampling_as_test_experience_lua(memPriority):
    """test/testExperience.lua: uniform sampling's mean |priority| is the population's (about 250) in every
    position of the batch; rank-based sampling's strata go from the largest |priority| down, and its
    importance-sampling weights are at most 1, the last stratum's 1."""
    lg.manualSeed(1)
    experience, priorities = populated_experience(memPriority)
    times = 40 if memPriority else 100
    samplePriorities = lg.Tensor(times, 10)
    for i in range(times):
        idxs, w = experience.sample(lg.random(0, 5))
        samplePriorities[i] = priorities.gather(0, idxs)
    means = samplePriorities.abs().mean(0).squeeze()
    if memPriority is None:
        assert all(190 < means[i] < 310 for i in range(means.size(0))), means
    else:
        assert all(means[i] <= means[i - 1] for i in range(1, means.size(0))), means
        assert w.max() == 1 and w[-1] == 1 and (w.numpy() > 0).all()


def numpy_learn(agent, states, actions, rewards, transitions, terminals, w):
    """Agent.lua's learn for one head, transcribed in NumPy: double-Q targets, PAL, TD clipping; returns the
    loss and the gradient the network is sent (zero but at the actions taken)."""
    qp_policy = agent.policyNet.clone().forward(transitions).numpy()[:, 0]
    qp_target = agent.targetNet.clone().forward(transitions).numpy()[:, 0] * (1 - terminals)[:, None]
    a_star = qp_policy.argmax(1) if agent.doubleQ else qp_target.argmax(1)
    Y = rewards + agent.gamma * qp_target[np.arange(len(a_star)), a_star]
    q = agent.policyNet.clone().forward(states).numpy()[:, 0]
    n = np.arange(len(actions))
    td = Y - q[n, actions]
    if agent.PALpha > 0:
        qs = agent.targetNet.clone().forward(states).numpy()[:, 0]
        al = td - agent.PALpha * (qs.max(1) - qs[n, actions])
        # Torch7's targetNet:forward(states) rewrites the output storage self.QPrimes views (JoinTable's resized
        # output), so Q(s', a) and V(s') are read from the states' Q-values: the persistent term equals the
        # advantage-learning one
        td = np.maximum(al, td - agent.PALpha * (qs.max(1) - qs[n, actions]))
    sq = np.minimum(np.abs(td), agent.tdClip)
    loss = np.mean(0.5 * sq ** 2 + agent.tdClip * (np.abs(td) - sq))
    grad = np.zeros_like(q)
    grad[n, actions] = -np.clip(td, -agent.tdClip, agent.tdClip) * w
    return loss, grad


@pytest.mark.parametrize('doubleQ,PALpha', [(False, 0), (True, 0), (True, 0.9)])
def test_learn_step_against_numpy(doubleQ, PALpha):
    """One ``learn`` on a filled memory: the loss and the parameter gradient equal those of the NumPy
    transcription (the gradient by backpropagating its output gradient through a copy of the network)."""
    lg.manualSeed(3)
    opt = options(doubleQ=doubleQ, PALpha=PALpha, tdClip=0.05)
    agent = ka.Agent(opt)
    agent.targetNet.getParameters()[0].add(lg.randn(agent.theta.size(0)).mul(0.3))   # a target unlike the policy
    agent.training()
    env = Corridor()
    reward, obs, terminal = 0, env.start(), False
    for step in range(30):
        ka.Singleton.getInstance().step = step
        action = agent.observe(reward, obs, terminal)
        reward, obs, terminal = env.step(action) if not terminal else (0, env.start(), False)
    indices = lg.LongTensor([1, 2, 3, 4, 5, 6])
    w = lg.Tensor([1, 0.5, 1, 0.25, 1, 1])
    states, actions, rewards, transitions, terminals = [t.clone() for t in agent.memory.retrieve(indices)]
    loss, grad = numpy_learn(agent, states, actions.numpy().astype(int), rewards.numpy(), transitions,
                             terminals.numpy(), w.numpy())
    ref = agent.policyNet.clone()
    ref.zeroGradParameters()
    ref.forward(states)
    ref.backward(states, lg.from_numpy(grad[:, None, :].copy()))
    got_loss, dTheta = agent.learn(agent.theta, indices, w)
    assert got_loss == pytest.approx(loss, rel=1e-10)
    np.testing.assert_allclose(dTheta.numpy(), ref.getParameters()[1].numpy(), rtol=1e-9, atol=1e-12)


def test_prioritised_replay_in_the_agent():
    """Agent.lua with memPriority 'rank': observe stores each transition at the maximal priority, samples by
    rank with importance-sampling weights, sends the clipped TD-errors back as priorities (the heap then holds
    |δ| for each index learnt from) and rebalances the heap every memSize steps."""
    lg.manualSeed(7)
    agent = ka.Agent(options(memPriority='rank', memSize=200, learnStart=100, steps=1000, batchSize=4, tdClip=0.5))
    agent.training()
    env = Corridor()
    g = ka.Singleton.getInstance()
    reward, obs, terminal = 0, env.start(), False
    for g.step in range(1, 241):
        action = agent.observe(reward, obs, terminal)
        reward, obs, terminal = env.step(action) if not terminal else (0, env.start(), False)
    heap = agent.memory.priorityQueue
    assert heap.size == 200
    assert all(heap.array[(k - 1) // 2][0] >= heap.array[k][0] for k in range(1, heap.size))
    indices, w = agent.memory.sample(0)
    assert 0 < w.min() and w.max() == 1
    indices = indices.clone()
    agent.learn(agent.theta, indices, w)
    delta = agent.tdErr.view(-1).numpy()
    for n in range(indices.size(0)):
        pos = heap.ephash[indices[n]]
        assert heap.array[pos][0] == pytest.approx(abs(delta[n]), rel=1e-6)
    assert abs(delta).max() <= 0.5


def test_validate_saves_its_statistics(tmp_path):
    """Agent:validate over the validation memory (the first valSize transitions seen): the mean max_a Q(s', a)
    of the target network (zero after a terminal) and the mean |TD-error|, appended and saved as V.t7 and
    TDErrors.t7 under experiments/_id, with the losses and scores."""
    lg.manualSeed(8)
    (tmp_path / 'corridor').mkdir()
    agent = ka.Agent(options(valSize=10, batchSize=4, learnStart=20, progFreq=5, experiments=str(tmp_path)))
    agent.training()
    env = Corridor()
    g = ka.Singleton.getInstance()
    reward, obs, terminal = 0, env.start(), False
    for g.step in range(1, 41):
        action = agent.observe(reward, obs, terminal)
        reward, obs, terminal = env.step(action) if not terminal else (0, env.start(), False)
    agent.valScores.append(0.5)
    V, tdErr = agent.validate()
    vmax = []
    for first in (1, 5, 9):   # retrieve fills batchSize rows at most
        indices = lg.LongTensor(list(range(first, min(first + 4, 11))))
        _, _, _, transitions, terminals = agent.valMemory.retrieve(indices)
        q = agent.targetNet.clone().forward(transitions).numpy()[:, 0] * (1 - terminals.numpy())[:, None]
        vmax += q.max(1).tolist()
    assert V == pytest.approx(np.mean(vmax), rel=1e-10) and tdErr > 0
    assert lg.load(str(tmp_path / 'corridor' / 'V.t7')).numpy().tolist() == pytest.approx([V])
    assert lg.load(str(tmp_path / 'corridor' / 'TDErrors.t7')).numpy().tolist() == pytest.approx([tdErr])
    assert lg.load(str(tmp_path / 'corridor' / 'losses.t7')).nElement() == len(agent.losses) > 0
    assert lg.load(str(tmp_path / 'corridor' / 'scores.t7')).numpy().tolist() == [0.5]


def test_dqn_agent_learns_the_corridor_and_checkpoints(tmp_path):
    """Agent:observe's training loop (ε-greedy, replay, rmspropm, target updates every τ steps) learns to walk
    right; saveWeights/loadWeights round-trip θ (as a FloatTensor, as the Lua saves it)."""
    lg.manualSeed(1)
    agent = ka.Agent(options(epsilonSteps=300, learnStart=30, tau=30, memSampleFreq=2, eta=0.02))
    agent.training()
    env = Corridor()
    g = ka.Singleton.getInstance()
    reward, obs, terminal = 0, env.start(), False
    for g.step in range(1, 901):
        action = agent.observe(reward, obs, terminal)
        reward, obs, terminal = env.step(action) if not terminal else (0, env.start(), False)
    agent.evaluate()
    for cell in range(Corridor.L - 1):
        env.pos = cell
        Q = agent.policyNet.forward(env.observation().view(1, 1, 1, Corridor.L))[0]
        assert Q[1] > Q[0], (cell, Q)
        assert Q[1] == pytest.approx(0.9 ** (Corridor.L - 2 - cell), abs=0.25)
    agent.saveWeights(str(tmp_path / 'last.weights.t7'))
    other = ka.Agent(options())
    other.loadWeights(str(tmp_path / 'last.weights.t7'))
    np.testing.assert_allclose(other.theta.numpy(), agent.theta.float().double().numpy())
    assert lg.load(str(tmp_path / 'last.weights.t7')).type() == 'torch.FloatTensor'


# ---- async agents on legonn.threads -------------------------------------------------------------------------

def greedy_values(net):
    out = []
    for cell in range(Corridor.L - 1):
        env = Corridor()
        env.pos = cell
        out.append(net.forward(env.observation().view(1, 1, Corridor.L)))
    return out


def test_async_nstep_q_hogwild():
    """AsyncMaster.lua with NStepQ: two workers, each agent's replica sharing θ (clone('weight', 'bias')) and
    its own copy to compute gradients, update θ and the shared RMSProp statistics g lock-free; the atomic
    counter sees every step, the target θ is refreshed every τ, and the greedy policy walks right."""
    lg.manualSeed(2)
    opt = options(**{'async': 'NStepQ'}, optimiser='sharedRmsProp', eta=0.005, batchSize=5, steps=1200, tau=100,
                  epsilonSteps=500, threads=2)
    master = ka.AsyncMaster(opt)
    before = master.theta.clone()
    master.start()
    assert master.atomic.get() >= opt['steps']
    assert not lg.equal(before, master.theta)
    for cell, Q in enumerate(greedy_values(master.policyNet)):
        assert Q[0][1] > Q[0][0], (cell, Q)   # the net's 1 x m Q-values


@pytest.mark.parametrize('method', ['OneStepQ', 'Sarsa'])
def test_async_one_step_q_and_sarsa(method):
    """OneStepQAgent.lua and SarsaAgent.lua: one-step targets accumulated over ``batchSize`` steps into the
    replica's own gradients, applied to the shared θ; the greedy policy walks right. Sarsa reads the Q-values
    eGreedy computed, which it computes before exploring only without double Q (with it the Lua indexes an
    empty QCurr on its first random action), so Sarsa runs with ``doubleQ`` false."""
    lg.manualSeed(6)
    opt = options(**{'async': method}, doubleQ=method != 'Sarsa', optimiser='sharedRmsProp', eta=0.005, batchSize=5,
                  steps=1200, tau=50,
                  epsilonSteps=500, threads=2)
    master = ka.AsyncMaster(opt)
    master.start()
    assert master.atomic.get() == opt['steps']
    for cell, Q in enumerate(greedy_values(master.policyNet)):
        assert Q[0][1] > Q[0][0], (cell, Q)


def test_async_a3c_hogwild():
    """AsyncMaster.lua with A3C: the policy learns to step right in every cell and the value grows toward the
    goal."""
    lg.manualSeed(4)
    opt = options(**{'async': 'A3C'}, optimiser='sharedRmsProp', eta=0.01, batchSize=5, steps=1200, threads=2)
    master = ka.AsyncMaster(opt)
    master.start()
    values = []
    for cell, (V, pi) in enumerate(greedy_values(master.policyNet)):
        assert pi[1] > 0.6, (cell, pi)
        values.append(V[0])
    assert values == sorted(values)


@pytest.mark.gpu
def test_model_on_cuda():
    """Model.lua's ``net:cuda()`` when ``opt.gpu > 0``: the same Q-values as on the CPU."""
    opt = options(duel=True, gpu=1)
    lg.manualSeed(5)
    net = ka.Model(opt).create()
    cpu = net.clone().double()
    x = lg.randn(3, 1, 1, 1, 4)
    np.testing.assert_allclose(net.forward(x.cuda()).double().numpy(), cpu.forward(x).numpy(), rtol=1e-5,
                               atol=1e-6)
