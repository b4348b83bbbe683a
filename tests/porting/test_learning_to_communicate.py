"""iassael/learning-to-communicate run through its port, tests/porting/learning_to_communicate/ (comm.lua, the
Switch game and model, module/*.lua, include/*.lua; each module's docstring lists its edits beyond syntax and
indices). The MNIST games (ColorDigit) read every fifth digit of examples/data/mnist_5k.npz (1000, all classes),
written as the IDX files legonn.mnist reads from ``$MNIST_PATH``.

Tiny settings: run_switch_3-dial.sh's options (3 agents, DIAL, 1 communication bit, sigma 2, batch norm, shared
weights, action aware) with a 32-cell GRU instead of 128, statistics every 10 episodes, a test episode every 2;
each test changes to ``tmp_path``, where model.save writes ``results/``.
"""
from pathlib import Path

import numpy as np
import pytest

import legonn as lg

from .learning_to_communicate import comm
from .learning_to_communicate.game.ColorDigit import ColorDigit
from .learning_to_communicate.game.Switch import Switch
from .learning_to_communicate.include.kwargs import kwargs
from .learning_to_communicate.module.GRU import GRU
from .learning_to_communicate.module.rmsprop import rmsprop


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    default = lg.getdefaulttensortype()
    yield tmp_path
    lg.setdefaulttensortype(default)        # comm.lua sets FloatTensor for the process


def switch_args(nepisodes, dial=1, seed=1):
    return ['-game', 'Switch', '-game_nagents', '3', '-game_action_space', '2', '-game_comm_limited', '1',
            '-game_comm_bits', '1', '-game_comm_sigma', '2', '-nsteps', '6', '-gamma', '1', '-model_dial', str(dial),
            '-model_bn', '1', '-model_know_share', '1', '-model_action_aware', '1', '-model_rnn_size', '32',
            '-bs', '32', '-learningrate', '0.0005', '-nepisodes', str(nepisodes), '-step', '10', '-step_test', '2',
            '-step_target', '10', '-cuda', '0', '-seed', str(seed)]


def switch_opt(bs=3):
    return {'game_nagents': 3, 'bs': bs, 'model_dial': 1, 'game_comm_limited': 1}


def test_kwargs_fills_defaults_and_checks_types():
    settings = [{0: 'n', 'type': 'int-pos', 'default': 2}, {0: 'sigma', 'type': 'number', 'default': 2}]
    assert kwargs(None, settings) == {'n': 2, 'sigma': 2}
    assert kwargs({'n': 5}, settings) == {'n': 5, 'sigma': 2}
    with pytest.raises(RuntimeError, match='argument n must be of type int-pos'):
        kwargs({'n': -1}, settings)


def test_switch_rewards_all_live_only_when_everyone_has_been():
    lg.manualSeed(0)
    game = Switch(switch_opt())
    assert game.opt['nsteps'] == 6                # 4 * 3 - 6
    # day 1: agent 0 in the room in every batch entry, agents 1 and 2 on days 2 and 3
    game.active_agent.zero()
    game.active_agent[:, 1] = 1
    game.active_agent[:, 2] = 2
    game.has_been.zero()
    for day in range(6):
        for b in range(3):
            game.has_been[b, day, int(game.active_agent[b][day])] = 1
    state = game.getState()
    assert lg.equal(state[0], lg.Tensor([0, 0, 0])) and lg.equal(state[1], lg.Tensor([1, 1, 1]))
    a_t = lg.ones(3, 3)
    a_t[0][0] = 2                                 # entry 0: agent 0 says "everyone has been" on day 1: too early
    r, t = game.step(a_t)
    assert lg.equal(r[:, 0], lg.Tensor([-1, 0, 0])) and lg.equal(t, lg.Tensor([1, 0, 0]))
    game.step(lg.ones(3, 3))
    a_t = lg.ones(3, 3)
    a_t[1][2] = 2                                 # entry 1: agent 2 says it on day 3, after all three came in
    r, t = game.step(a_t)
    assert lg.equal(r[:, 2], lg.Tensor([-1, 1, 0])) and lg.equal(t, lg.Tensor([1, 1, 0]))
    # the active agent reads the previous day's agent's message; the others nothing (Lua's 0)
    limited = game.getCommLimited(3, 2)
    assert limited == {0: (1, None), 1: (1, None), 2: (1, None)}
    assert game.getCommLimited(3, 0) == {0: 0, 1: 0, 2: 0}
    assert game.getActionRange(1, 0)[0] == (0, (0, 2)) and game.getActionRange(1, 1)[0] == (0, (0, 1))


def test_rmsprop_step_matches_the_formula():
    x = lg.Tensor([1.0, -2.0])
    g = lg.Tensor([0.5, -1.0])
    state = {}
    rmsprop(lambda x: (0, g), x, {'learningRate': 0.1}, state)
    m = g.clone().pow(2).mul(0.01)
    expected = lg.Tensor([1.0, -2.0]).add(-0.1, g.clone().cdiv(m.clone().sqrt().add(1e-8)))
    assert (x - expected).abs().max() < 1e-6
    assert (state['m'] - m).abs().max() < 1e-9


def test_gru_interpolates_between_state_and_candidate():
    lg.manualSeed(0)
    gru = GRU(4, 3, 1)
    x, h = lg.randn(2, 4), lg.randn(2, 3)
    out = gru.forward([x, h])
    # the Linears in execution order: update gate (x, h), candidate's x, reset gate (x, h), candidate's r*h
    lin = [m.clone() for m in gru.modules if lg.typename(m) == 'nn.Linear']
    z = lg.sigmoid(lin[0].forward(x) + lin[1].forward(h))
    r = lg.sigmoid(lin[3].forward(x) + lin[4].forward(h))
    cand = lg.tanh(lin[2].forward(x) + lin[5].forward(lg.cmul(r, h)))
    expected = lg.cmul(z, cand) + lg.cmul(1 - z, h)
    assert (out - expected).abs().max() < 1e-6


def test_dial_switch_riddle_reward_rises(in_tmp):
    stats, model = comm.main(switch_args(40))
    history = stats['history'][1:]
    assert [row[0] for row in history] == [10, 20, 30, 40]
    train_r = [row[3] for row in history]
    test_r = [row[4] for row in history]
    # the mean reward of 10 training episodes (x 32 games) rises from about 0 (random: -1 to 1); the greedy test
    # episodes' reward ends above where it started
    assert train_r[-1] > train_r[0] + 0.1
    assert max(train_r[-2:]) > 0.1
    assert test_r[-1] > test_r[0]
    assert (in_tmp / 'results' / 'Switch_3_dial_1' / 'stats.csv').exists()
    assert (in_tmp / 'results' / 'Switch_3_dial_1' / 'opt.csv').exists()


def test_rial_switch_runs_its_q_learning(in_tmp):
    stats, model = comm.main(switch_args(10, dial=0))
    assert stats['td_err'].sum() > 0 and stats['td_comm'].sum() > 0
    assert stats['history'][1][0] == 10


def test_unused_modules_compute_what_they_say():
    """module/LinearO.lua, Binarize.lua, GaussianNoise.lua, Print.lua (required by the model, not in its graph)."""
    from .learning_to_communicate.module.Binarize import Binarize
    from .learning_to_communicate.module.GaussianNoise import GaussianNoise
    from .learning_to_communicate.module.LinearO import LinearO
    from .learning_to_communicate.module.Print import Print
    lg.manualSeed(0)
    w = LinearO(5, 3).weight
    assert (w @ w.t() - lg.eye(3) * 1.21).abs().max() < 1e-5
    assert lg.equal(Binarize().forward(lg.Tensor([-0.3, 0.2, 0.9])), lg.Tensor([-1, 1, 1]))
    noise = GaussianNoise(0.5)
    x = lg.zeros(1000)
    assert 0.4 < noise.forward(x).std() < 0.6
    noise.evaluate()
    assert lg.equal(noise.forward(x), x)
    g = lg.randn(4)
    assert Print().backward(x, g) is g


@pytest.fixture
def mnist_slice(tmp_path, monkeypatch):
    data = np.load(Path(__file__).resolve().parents[2] / 'examples' / 'data' / 'mnist_5k.npz')
    folder = tmp_path / 'mnist'
    folder.mkdir()
    for stem, array in (('train-images-idx3-ubyte', data['x'][::5]), ('train-labels-idx1-ubyte', data['y'][::5])):
        header = bytes([0, 0, 0x08, array.ndim]) + b''.join(int(n).to_bytes(4, 'big') for n in array.shape)
        (folder / stem).write_bytes(header + array.tobytes())
    monkeypatch.setenv('MNIST_PATH', str(folder))
    return data


def colordigit_args(nepisodes, dial=1):
    return ['-bs', '32', '-game', 'ColorDigit', '-game_level', 'extra_hard_local', '-game_nagents', '2',
            '-game_action_space', '2', '-game_comm_limited', '0', '-game_comm_bits', '1', '-game_comm_sigma', '2',
            '-nsteps', '2', '-gamma', '1', '-model_dial', str(dial), '-model_know_share', '1',
            '-model_action_aware', '1', '-model_rnn_size', '32', '-learningrate', '0.0005', '-nepisodes',
            str(nepisodes), '-step', '10', '-step_test', '2', '-step_target', '10', '-cuda', '0', '-seed', '1']


def test_colordigit_game_rewards_by_the_parity_rule(mnist_slice):
    opt = {'bs': 4, 'game_colors': 2, 'game_dim': 28, 'game_use_mnist': 1, 'game_bias': 0, 'dtype': 'torch.FloatTensor',
           'game_nagents': 2, 'game_action_space': 2, 'game_level': 'extra_hard_local', 'game_coop': 1, 'nsteps': 2,
           'game_use_digits': 0}
    lg.manualSeed(0)
    game = ColorDigit(opt)
    assert sorted(k for k in game.mnist if k != 'lookup') == list(range(1, 11))
    x, color, digit = game.state[0]
    for b in range(4):                            # the image sits in its colour's channel, the other is blank
        c = int(color[b]) - 1
        assert x[b][c].sum() > 0 and x[b][1 - c].sum() == 0
    a = lg.Tensor([[1, 2], [2, 1], [1, 1], [2, 2]])
    assert lg.equal(game.step(a)[0], lg.zeros(4, 2))          # no reward on the first step
    r, terminal = game.step(a)
    (c1, d1), (c2, d2) = (game.state[0][1], game.state[0][2]), (game.state[1][1], game.state[1][2])
    for b in range(4):
        own = [2 * (-1) ** (d2[b] + a[b][0] + c1[b]) + (-1) ** (d1[b] + a[b][0] + c2[b]),
               2 * (-1) ** (d1[b] + a[b][1] + c2[b]) + (-1) ** (d2[b] + a[b][1] + c1[b])]
        # `reward[b] = ...` sets the whole row: both agents hold the sum, which game_coop's average keeps
        assert r[b][0] == r[b][1] == pytest.approx(own[0] + own[1])
    assert lg.equal(terminal, lg.ones(4))


@pytest.mark.parametrize('dial', [1, 0])
def test_colordigit_dial_and_rial_run(in_tmp, mnist_slice, dial):
    stats, model = comm.main(colordigit_args(20, dial))
    history = stats['history'][1:]
    assert [row[0] for row in history] == [10, 20]
    assert all(-3 <= row[3] <= 3 and -3 <= row[4] <= 3 for row in history)
    assert stats['steps'].mean() == 2 and stats['td_err'].sum() > 0
