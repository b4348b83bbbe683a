"""twitter-archive/torch-twrl (reinforcement learning agents for OpenAI Gym) run through its port,
tests/porting/twrl/ (one .py per .lua; the package docstring lists every edit beyond syntax and indices and the
stand-ins). test/test.lua's and test/test-gym.lua's tests are ported here (test_testlua_*, test_testgym_*), then
the learning updates are checked on hand-computed numbers, and agents are shown to learn.

Stand-in environment: Gym over HTTP is replaced by tests/porting/twrl/gym_http_client.py, an in-process client whose
``'CartPole-v0'`` is the classic cart-pole task (200 steps at most) and whose ``'Reach-v0'`` is a small continuous
task for the Box (normal policy) path. test-gym.lua's ``api`` suite (gym-http-api's own test_api.lua, a check of
the HTTP server for CartPole, Pendulum, FrozenLake, Atari and MuJoCo) has nothing to test without that server.
"""
import builtins
import random
import struct

import numpy as np
import pytest

import legonn as lg

from .twrl import experiment as experiment_module
from .twrl import gym_http_client as gym
from .twrl import hash as hash_rock
from .twrl.agent import policy
from .twrl.agent.learningUpdate import reinforce, tdLambda
from .twrl.agent.learningUpdate import util as lu
from .twrl.agent.model import mlp, qFunction
from .twrl.agent.model import tilecoding as tilecoding_module
from .twrl.agent.policy import actionSamplers
from .twrl.experiment import experiment
from .twrl import run
from .twrl.perf import perf as getPerf
from .twrl.util import utilities

pytestmark = pytest.mark.usefixtures('double_default')


def env_details(name, seed=0):
    client = gym.new('stand-in', seed)
    instance = client.env_create(name)
    details = utilities()['getStateAndActionSpecs'](client.env_observation_space_info(instance),
                                                    client.env_action_space_info(instance))
    return client, instance, details


# ---- test/test.lua ----

def test_testlua_base_torch_tensor():
    tester = lg.Tester()
    a = [2, lg.Tensor([1, 2, 2])]
    b = [2, lg.Tensor([1, 2, 2.001])]
    tester.eq(a, b, 0.01, "a and b should be approximately equal")
    tester.eq(a, [2, lg.Tensor([1, 2, 2.1])], 0.01, "the same tables beyond the tolerance")
    assert len(tester.errors) == 1 and 'beyond' in tester.errors[0]


def test_hash_rock_stand_in_is_xxh64_of_the_tensor_bytes_modulo_2_53():
    """hash.py computes the rock's hash.hash: XXH64 with seed 0 (the xxHash specification's reference values
    for '', 'a', 'abc'), of a DoubleTensor's little-endian doubles, modulo 2^53."""
    assert hash_rock.xxh64(b'') == 0xEF46DB3751D8E999
    assert hash_rock.xxh64(b'a') == 0xD24EC4F1A98C6E5B
    assert hash_rock.xxh64(b'abc') == 0x44BC2CF5AD770999
    coords = [3, 1.0, -2.5, 7, 0.125]
    expected = hash_rock.xxh64(struct.pack('<5d', *coords)) % 2 ** 53
    assert hash_rock.hash(lg.DoubleTensor(coords)) == expected
    assert hash_rock.hash(lg.DoubleTensor([float(i) for i in range(9)])) == \
        hash_rock.xxh64(struct.pack('<9d', *range(9))) % 2 ** 53           # 72 bytes: the 32-byte stripes


@pytest.mark.parametrize('state2, equal', [([3.7, 7.21], False), ([3.6, 7.21], True)])
def test_testlua_tilecode_consistent_and_predictable(state2, equal):
    numTilings = 8
    numTiles = 32
    memorySize = numTiles * numTiles
    tc = tilecoding_module.tilecoding({})
    state1 = [3.6, 7.21]
    tiles1 = tc['tiles'](memorySize, numTilings, state1)
    tiles2 = tc['tiles'](memorySize, numTilings, state2)
    assert len(tiles1) == numTilings and all(0 <= t < memorySize for t in tiles1)
    tester = lg.Tester()
    if equal:
        tester.eq(tiles1, tiles2, "tiles1 and tiles 2 should be equal")
    else:
        tester.ne(tiles1, tiles2, "tiles1 and tiles2 should not be equal")
    assert tester.errors == []


def test_testlua_performance_reset_and_add_reward():
    perf = getPerf()
    assert perf['reset']() == []
    traj, trajs = getPerf()['addReward'](1, 1, True)
    assert traj == [] and trajs == {1: [[1]]}
    traj, trajs = getPerf()['addReward'](1, 1, False)
    assert traj == [1] and trajs == {1: []}


def test_testlua_performance_get_summary():
    perf = getPerf({'windowSize': 10})
    perf['addReward'](1, 0, False)
    perf['addReward'](1, 0, False)
    perf['addReward'](1, 1, True)
    perf['addReward'](2, 0, False)
    perf['addReward'](2, 0, False)
    perf['addReward'](2, 1, True)
    summary = perf['getSummary'](2)
    assert summary['windowSize'] == 10, "performance: get summary failed"
    assert 'meanEpRewardWindow' not in summary          # no complete window of 10 yet: nil, no key


def test_perf_summary_numbers_and_printout(capsys):
    perf = getPerf({'windowSize': 2})
    for nIter, rewards in ((1, [0, 0, 1]), (2, [0, 2, 1, 5])):
        for j, r in enumerate(rewards):
            perf['addReward'](nIter, r, j == len(rewards) - 1)
    summary = perf['getSummary'](2)
    assert summary['windowSize'] == 2 and summary['iteration'] == 2
    assert summary['meanEpReward'] == pytest.approx(4.5)             # episodes' returns 1 and 8
    assert summary['stdEpReward'] == pytest.approx(np.std([1, 8], ddof=1))
    assert summary['maxEpReward'] == 8
    assert summary['meanEpRewardWindow'] == pytest.approx(4.5)
    # perf.lua's table constructor holds ``numEps = numEps``, a nil global: no such key, nothing printed for it
    assert 'numEps' not in summary
    printed = capsys.readouterr().out
    assert 'numEps' not in printed and 'meanEpRewardWindow\t4.5\n' in printed and 'maxEpReward\t8\n' in printed


# ---- test/test-gym.lua's experiment suite ----

def test_testgym_bad_experiment_call(capsys):
    performance = experiment()
    assert performance == {}
    assert 'instanceID is nil' in capsys.readouterr().out


def test_testgym_random_no_learning_no_model():
    env = 'CartPole-v0'
    params = {}
    agent = {'policy': 'random', 'learningUpdate': 'noLearning', 'model': 'noModel'}
    performance = experiment(env, agent, 2, 2, params)
    assert performance['iteration'] == 2
    assert performance['maxEpReward'] == 2     # nSteps = 2 cuts every episode after two rewards of 1


# ---- util.lua, learningUpdate/util.lua ----

def test_state_and_action_specs():
    _, _, cart = env_details('CartPole-v0')
    assert (cart['nbStates'], cart['nbActions'], cart['actionType']) == (4, 2, 'Discrete')
    assert cart['nbActionSpace'] is None and cart['actionSpaceBounds'] is None
    _, _, reach = env_details('Reach-v0')
    assert (reach['nbStates'], reach['nbActions'], reach['actionType']) == (1, 1, 'Box')
    assert reach['actionSpaceBounds'].totable() == [[-2.0, 2.0, 4.0]]


def transitions(rewards):
    return [{'reward': r, 'terminal': int(j == len(rewards) - 1)} for j, r in enumerate(rewards)]


def test_discount_baseline_and_normalize_by_hand():
    trajs = [transitions([1, 2, 3]), transitions([4])]
    n0, ret0, notTerminal0 = lu.discount(trajs[0], 0.5)
    assert n0 == 3 and ret0.totable() == [1 + 0.5 * (2 + 0.5 * 3), 2 + 0.5 * 3, 3]
    assert notTerminal0.totable() == [1, 1, 0]
    _, ret1, _ = lu.discount(trajs[1], 0.5)
    lengths = lg.Tensor([3, 1])
    baseline = lu.getBaseline(trajs, lengths, [ret0, ret1], 'padTimeDepAvReturn')
    # the returns padded with zeros to the longest trajectory, averaged per time step
    assert baseline.totable() == [(2.75 + 4) / 2, 3.5 / 2, 3 / 2]
    adv = lg.Tensor([1.0, 2.0, 4.0])
    assert lu.normalize(adv).totable() == pytest.approx(((np.array([1, 2, 4]) - 7 / 3) /
                                                         (np.std([1, 2, 4], ddof=1) + 1e-8)).tolist())


def test_baseline_of_one_step_episodes_is_a_number_as_torch7_squeeze_gives():
    """TensorMath.lua's squeeze returns a Lua number for a one-element result: getBaseline's
    ``paddedReturns:mean(1):t():squeeze()`` of one-step episodes is a number, and reinforce.lua's
    ``baseline[{{1, n}}]`` then fails (Lua: attempt to index a number value); the port fails there too."""
    trajs = [transitions([1.0]), transitions([3.0])]
    baseline = lu.getBaseline(trajs, lg.Tensor([1, 1]), [lu.discount(t, 1)[1] for t in trajs], 'padTimeDepAvReturn')
    assert isinstance(baseline, float) and baseline == 2.0
    _, _, details = env_details('Reach1-v0')
    model = mlp.getModel({'nInputs': 1, 'nOutputs': 1, 'nHiddenLayerSize': 3, 'outputType': 'tanh'})
    learn = reinforce.getLearningUpdate(reinforce_opt(model, details, nIterations=1))
    one_step = [[{'state': lg.DoubleTensor([0.5]), 'action': lg.DoubleTensor([0.2]), 'reward': r, 'terminal': 1}]
                for r in (1.0, 3.0)]
    with pytest.raises(TypeError, match='float'):
        learn(one_step, 0)


# ---- reinforce.lua, mlp.lua, the categorical and normal policies ----

def reinforce_opt(model, details, **kw):
    opt = dict(model=model, envDetails=details, gamma=1, baselineType='padTimeDepAvReturn', stepsizeStart=0.3,
               policyStd=0.1, beta=0.01, gradClip=5, weightDecay=0, nIterations=30, optimAlpha=0.9,
               optimType='rmsprop', verboseUpdate=False)
    opt.update(kw)
    return opt


def run_episodes(client, instance, select, min_steps):
    """experiment.lua's loop, keeping each transition's reward (a number) where baseAgent's batch path stores its
    ``reward`` function (see test_batch_learning_through_base_agent_fails_as_the_lua_does)."""
    trajs, steps = [], 0
    while steps < min_steps:
        state, traj, done = client.env_reset(instance), [], False
        while not done:
            action = select(state)
            nextState, reward, done, _ = client.env_step(instance, action)
            traj.append({'state': lg.DoubleTensor(state), 'action': lg.DoubleTensor(
                [action] if not isinstance(action, list) else action), 'reward': reward, 'terminal': int(done)})
            state = nextState
        trajs.append(traj)
        steps += len(traj)
    return trajs


def test_reinforce_categorical_learns_cartpole():
    lg.manualSeed(0)
    client, instance, details = env_details('CartPole-v0')
    model = mlp.getModel({'nInputs': details['nbStates'], 'nOutputs': details['nbActions'], 'nHiddenLayerSize': 10})
    nIterations = 30
    learn = reinforce.getLearningUpdate(reinforce_opt(model, details, nIterations=nIterations))
    select = policy.categorical({'envDetails': details, 'model': model})
    means = []
    for nIter in range(1, nIterations + 1):
        trajs = run_episodes(client, instance, select, 500)
        means.append(np.mean([len(t) for t in trajs]))
        learn(trajs, nIter)
    assert np.mean(means[:2]) < 30                 # a random policy balances ~20 steps
    assert np.mean(means[-10:]) > 2 * np.mean(means[:2])


def test_reinforce_one_step_moves_the_policy_towards_advantaged_actions(capsys):
    """One learn call of two two-step episodes from the same state: the action of the better episode (action 1,
    return 2 against 0) gains probability, by the rmsprop step of reinforce's targets."""
    lg.manualSeed(1)
    _, _, details = env_details('CartPole-v0')
    model = mlp.getModel({'nInputs': 4, 'nOutputs': 2, 'nHiddenLayerSize': 5})
    learn = reinforce.getLearningUpdate(reinforce_opt(model, details, nIterations=2, beta=0, stepsizeStart=0.01,
                                                      verboseUpdate='true'))
    s = lg.DoubleTensor([0.1, -0.2, 0.05, 0.3])
    before = model['net'].forward(s.view(1, 4)).clone()

    def episode(a, r):
        return [{'state': s, 'action': lg.DoubleTensor([a]), 'reward': r, 'terminal': 0},
                {'state': s, 'action': lg.DoubleTensor([a]), 'reward': r, 'terminal': 1}]
    learn([episode(1, 1.0), episode(0, 0.0)], 1)
    after = model['net'].forward(s.view(1, 4))
    assert after[0][1] > before[0][1] and after[0][0] < before[0][0]
    # the step's learning rate, stepsizeStart (nIterations - nIter) / nIterations, printed as Lua writes numbers
    assert capsys.readouterr().out.splitlines() == ['Learning update at episode: 1', 'Learning rate: 0.005',
                                                    'Number of episodes in learning batch: 2',
                                                    'Number of steps in learning batch: 4']


def test_categorical_sampler_gives_gym_actions_from_0():
    lg.manualSeed(2)
    probs = lg.Tensor([[0.25, 0.75]])
    actions = [actionSamplers.categorical(probs, {'actionShift': 0}) for _ in range(2000)]
    assert set(actions) == {0, 1} and np.mean(actions) == pytest.approx(0.75, abs=0.04)


def test_normal_sampler_fills_the_network_output_as_torch7s_normal_does():
    """actionSamplers.lua calls ``torch.normal(actionDistribution, std)``. TensorMath.lua's only tensor form of
    ``normal`` (its uniform/normal/cauchy/logNormal loop) is the fill ``normal([res,] [gen,] mean, stdv)``: the
    network's output is the destination, overwritten with N(std, 1) samples, and the mean the network computed is
    never read. legonn's ``lg.normal`` is that form, so the policy's actions do not depend on the network."""
    lg.manualSeed(3)
    _, _, details = env_details('Reach-v0')
    model = mlp.getModel({'nInputs': 1, 'nOutputs': 1, 'nHiddenLayerSize': 4, 'outputType': 'tanh'})
    select = policy.normal({'envDetails': details, 'model': model, 'std': 0.1})
    draws = np.array([select([0.3])[0] for _ in range(3000)])
    # N(0.1, 1) scaled by the action range over 2 (4 / 2): mean 0.2, std 2, whatever the network outputs
    assert draws.mean() == pytest.approx(0.2, abs=0.12) and draws.std() == pytest.approx(2.0, abs=0.1)
    assert model['net'].output[0][0] * 2 == pytest.approx(draws[-1])   # the output tensor itself was overwritten


def test_reinforce_box_branch_steps_the_parameters():
    lg.manualSeed(4)
    random.seed(4)
    client, instance, details = env_details('Reach-v0')
    model = mlp.getModel({'nInputs': 1, 'nOutputs': 1, 'nHiddenLayerSize': 4, 'outputType': 'tanh'})
    params = model['net'].getParameters()[0]
    before = params.clone()
    learn = reinforce.getLearningUpdate(reinforce_opt(model, details, nIterations=2, stepsizeStart=0.01))
    select = policy.normal({'envDetails': details, 'model': model, 'std': 0.1})
    learn(run_episodes(client, instance, select, 20), 1)
    step = (params - before).abs()
    # rmsprop's first step from m = 0 moves a parameter of gradient g by lr g / (sqrt((1 - alpha) g^2) + eps):
    # lr / sqrt(1 - alpha) for |g| >> eps, with lr = stepsizeStart (nIterations - nIter) / nIterations = 0.005
    assert step.max() == pytest.approx(0.005 / np.sqrt(0.1), rel=1e-4)


def test_batch_learning_through_base_agent_fails_as_the_lua_does(capsys):
    """baseAgent.lua's addTrajectory stores ``t.reward = reward``, the global function ``reward`` (not
    ``opt.reward``): util.discount's ``trajReturn[#traj] = traj[#traj].reward`` is then refused by Tensor.c's
    __newindex (luaL_typerror "torch.*Tensor"), and experiment.lua's xpcall returns {}. The port does the same."""
    opt = dict(timestepsPerBatch=20, stepsizeStart=0.3, gamma=1, gradClip=5, baselineType='padTimeDepAvReturn',
               beta=0.01, weightDecay=0, optimType='rmsprop', optimAlpha=0.9, learningType='batch')
    performance = experiment('CartPole-v0', {'policy': 'categorical', 'learningUpdate': 'reinforce', 'model': 'mlp'},
                             200, 5, opt)
    out = capsys.readouterr().out
    assert performance == {}
    assert 'Experiment was not successfully run' in out and 'got function' in out
    # the function stored is the global baseAgent.lua defines, which getAgent (re)binds on each call
    from .twrl.agent import baseAgent
    agent = baseAgent.getAgent({'envDetails': env_details('CartPole-v0')[2], 'policy': 'random',
                                'learningUpdate': 'noLearning', 'randomActionSampler': lambda: 0})
    assert baseAgent.reward is agent['reward'] and baseAgent.selectAction is agent['selectAction']


# ---- tdLambda.lua, qFunction.lua, egreedy.lua ----

def td_model(initialWeightVal=0.5, traceType='replacing'):
    _, _, details = env_details('CartPole-v0')
    return details, qFunction.getModel({'envDetails': details, 'numTilings': 4, 'numTiles': 8,
                                        'initialWeightVal': initialWeightVal, 'traceType': traceType})


@pytest.mark.parametrize('update', ['qLearning', 'SARSA'])
def test_td_lambda_update_by_hand(update):
    details, model = td_model()
    learn = tdLambda.getLearningUpdate({'model': model, 'envDetails': details, 'tdLearnUpdate': update,
                                        'gamma': 0.9, 'stepsizeStart': 0.1, 'relativeAlpha': 0, 'numTilings': 4})
    s, s2 = [0.01, 0.0, 0.02, 0.0], [0.3, 1.0, -0.1, 2.0]
    features = model['getFeatures'](s, 1)
    q = sum(float(model['weights'][i]) for i in features)            # 5 weights of 0.5 (tiling 0 may share index 0)
    assert q == pytest.approx(2.5)
    learn({'state': s, 'action': 1, 'reward': 1.0, 'nextState': s2, 'nextAction': 0, 'terminal': False}, 1)
    delta = 1.0 + 0.9 * 2.5 - 2.5                                     # every Q is 2.5 before the update
    expected = np.full(4 * 64 + 1, 0.5, dtype=np.float32)
    expected[np.unique(features).astype(int)] += np.float32(0.1 * delta)   # the rock's hash is a Lua number
    assert model['weights'].type() == 'torch.FloatTensor'
    np.testing.assert_allclose(model['weights'].numpy(), expected, rtol=1e-6)
    # a terminal step: delta against the reward alone, then the traces are cleared
    learn({'state': s, 'action': 1, 'reward': 0.0, 'nextState': s2, 'nextAction': 0, 'terminal': True}, 1)
    assert float(model['eligibility'].sum()) == 0


def test_egreedy_decays_epsilon_and_traces():
    random.seed(5)
    details, model = td_model(traceType='accumulating')
    model['accumulateEligibility']([0.0] * 4, 0, model['eligibility'])
    model['accumulateEligibility']([0.0] * 4, 0, model['eligibility'])
    assert float(model['eligibility'].max()) == 2                     # accumulating traces add up
    select = policy.egreedy({'model': model, 'epsilon': 0.0, 'gamma': 0.5, 'lambda': 0.5,
                                'epsilonMinValue': 0.0, 'epsilonDecayRate': 0.9,
                                'randomActionSampler': lambda: 1})
    assert select([0.0] * 4) == 0                                     # greedy over equal Qs: the first action
    assert float(model['eligibility'].max()) == 0.5                   # traces times gamma * lambda
    explore = policy.egreedy({'model': model, 'epsilon': 1.0, 'gamma': 0.5, 'lambda': 0.5,
                                 'epsilonMinValue': 0.0, 'epsilonDecayRate': 0.9, 'randomActionSampler': lambda: 1})
    assert explore([0.0] * 4) == 1 and float(model['eligibility'].sum()) == 0


@pytest.mark.parametrize('update, nIterations', [('SARSA', 400), ('qLearning', 300)])
def test_td_lambda_agent_learns_cartpole_through_the_experiment(update, nIterations, monkeypatch, capsys):
    """examples/cartpole-td.sh's settings (egreedy 0.2 decaying by 0.9999, relativeAlpha 0.05, 32 x 32 tiles in 4
    tilings, lambda 0.9, replacing traces) run by experiment.lua on the stand-in CartPole."""
    random.seed(0)
    opt = dict(epsilon=0.2, epsilonDecayRate=0.9999, epsilonMinValue=0.0001, numTiles=32, numTilings=4,
               relativeAlpha=0.05, learningType='noBatch', initialWeightVal=0, traceType='replacing',
               tdLearnUpdate=update, gamma=1, stepsizeStart=0.3, windowSize=50, gymSeed=0)
    opt['lambda'] = 0.9
    summaries = []

    def recording(o):
        p = getPerf(o)
        get = p['getSummary']
        p['getSummary'] = lambda nIter: summaries.append(get(nIter)) or summaries[-1]
        return p
    monkeypatch.setattr(experiment_module, 'getPerf', recording)
    performance = experiment('CartPole-v0', {'policy': 'egreedy', 'learningUpdate': 'tdLambda', 'model': 'qFunction'},
                             200, nIterations, opt)
    assert performance['iteration'] == nIterations
    windows = [s['meanEpRewardWindow'] for s in summaries if 'meanEpRewardWindow' in s]
    assert windows[0] < 40 and windows[-1] > 3 * windows[0]


@pytest.mark.gpu
def test_policy_network_samples_on_the_gpu_as_on_the_cpu():
    """The mlp policy converted with ``:cuda()`` (twrl runs on the CPU; Torch7 code moves such a net so): the
    categorical draw from its CudaTensor output is a 0-based action, ``torch.normal(out, std)`` fills the CUDA
    output in place as on the CPU, and the REINFORCE targets' backward gives the CPU's gradients."""
    lg.manualSeed(6)
    model = mlp.getModel({'nInputs': 4, 'nOutputs': 2, 'nHiddenLayerSize': 5})
    net = model['net']
    gpu = net.clone().cuda()
    obsv = lg.DoubleTensor([[0.1, -0.2, 0.05, 0.3], [0.0, 0.4, -0.1, 0.2]])
    out, out_gpu = net.forward(obsv), gpu.forward(obsv.cuda())
    np.testing.assert_allclose(out_gpu.double().numpy(), out.numpy(), rtol=1e-5)
    actions = {actionSamplers.categorical(out_gpu[0:1], {'actionShift': 0}) for _ in range(200)}
    assert actions == {0, 1}
    targets = lg.DoubleTensor([[0.5, -1.0], [2.0, 0.25]])
    net.zeroGradParameters()
    gpu.zeroGradParameters()
    net.backward(obsv, targets)
    gpu.backward(obsv.cuda(), targets.cuda())
    np.testing.assert_allclose(gpu.getParameters()[1].double().numpy(), net.getParameters()[1].numpy(),
                               rtol=1e-4, atol=1e-6)
    filled = lg.normal(out_gpu, 0.1)
    assert filled is out_gpu and out_gpu.type() == 'torch.CudaTensor'


def test_run_lua_options_log_folder_and_experiment(tmp_path, monkeypatch, capsys):
    """examples/run.lua with examples/cartpole-td.sh's options (README-style single-dash long names), fewer
    iterations: lapp's aliases (the usage text's second ``-p`` and ``-g`` win), the log folder made with its parents
    relative to the working directory (paths.mkdir makes parents, as paths.c's lua_mkdir), the options and the
    experiment's printed summaries in its log, and the experiment's summary returned."""
    monkeypatch.setattr(builtins, 'print', builtins.print)       # cmd:log replaces print, as CmdLine.lua does
    (tmp_path / 'examples').mkdir()
    monkeypatch.chdir(tmp_path / 'examples')
    random.seed(0)
    performance, params = run.main([
        '-env', 'CartPole-v0', '-policy', 'egreedy', '-learningUpdate', 'tdLambda', '-model', 'qFunction',
        '-learningType', 'noBatch', '-epsilon', '0.2', '-epsilonDecayRate', '0.9999', '-initialWeightVal', '0',
        '-tdLearnUpdate', 'SARSA', '-relativeAlpha', '0.05', '-nIterations', '20', '-nSteps', '200',
        '-p', '50', '-g', '2'])
    assert (params['policy'], params['timestepsPerBatch'], params['gamma'], params['gradClip']) == \
        ('egreedy', 50, 1, 2)
    assert params['renderAllSteps'] == 'false' and params['stepsizeStart'] == 0.3
    assert performance['iteration'] == 20
    logs = list((tmp_path / 'logs' / 'gym' / 'experiment').iterdir())
    assert len(logs) == 1 and logs[0].name.endswith('--egreedy-tdLambda-CartPole-v0-stepsizeStart-0.3')
    text = (logs[0] / 'log').read_text()
    assert '[command line arguments]' in text and 'tdLearnUpdate SARSA' in text
    assert 'meanEpRewardWindow %s' % lg.tostring(performance['meanEpRewardWindow']) in text
    capsys.readouterr()


def test_run_lua_dash_h_prints_the_usage_instead_of_setting_the_hidden_size(monkeypatch, capsys):
    """run.lua declares ``-h, --nHiddenLayerSize``; Penlight's lapp (1.5.0 on) answers any ``-h`` argument with the
    usage and exits before parsing, as legonn's lapp does: the hidden size is set with ``-nHiddenLayerSize``."""
    monkeypatch.setattr(builtins, 'print', builtins.print)
    with pytest.raises(SystemExit):
        run.main(['-h', '7'])
    assert '-h, --nHiddenLayerSize' in capsys.readouterr().err          # lapp.quit writes the usage to stderr
