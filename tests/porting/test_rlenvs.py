"""Kaixhin/rlenvs run through its port, tests/porting/rlenvs/ (its docstring lists the edits and the two
environments left out, Atari and Minecraft). tests/test.lua's suite is test_testlua_envs; the rest checks each
environment's dynamics against numbers worked out by hand and that episodes end where they should."""
import math
import random

import pytest

import legonn as lg
from legonn import nn

from .rlenvs import rlenvs
from .rlenvs import experiment
from .rlenvs.Acrobot import Acrobot
from .rlenvs.Blackjack import Blackjack
from .rlenvs.CartPole import CartPole
from .rlenvs.Catch import Catch
from .rlenvs.CliffWalking import CliffWalking
from .rlenvs.DynaMaze import DynaMaze
from .rlenvs.GridWorld import GridWorld
from .rlenvs.JacksCarRental import JacksCarRental
from .rlenvs.MountainCar import MountainCar
from .rlenvs.MultiArmedBandit import MultiArmedBandit
from .rlenvs.RandomWalk import RandomWalk
from .rlenvs.Taxi import Taxi
from .rlenvs.WindyWorld import WindyWorld
from .rlenvs.XOWorld import XOWorld


@pytest.fixture(autouse=True)
def seeded():
    lg.manualSeed(123)
    random.seed(123)


def test_testlua_envs():
    """tests/test.lua: every environment starts, takes a random action and renders (Atari and Minecraft are
    absent, as without their packages)."""
    assert 'Atari' not in rlenvs['envs'] and 'Minecraft' not in rlenvs['envs']
    assert len(rlenvs['envs']) == 14
    for name in rlenvs['envs']:
        env = rlenvs[name]()
        actionSpace = env.getActionSpace()
        env.start()
        action = lg.random(0, actionSpace['n'])
        reward, observation, terminal = env.step(action)
        env.render()
        assert terminal in (True, False)


def test_experiment_random_agent_plays_whole_episodes_of_catch():
    episodes, totalReward = experiment.main(30)
    assert episodes == 30 and 0 <= totalReward <= 30


def test_env_step_limit_ends_the_episode_and_restarts_the_count():
    env = MountainCar()  # timeStepLimit 200; coasting never reaches the hill top
    env.start()
    terminals = [env.step(1)[2] for _ in range(200)]
    assert terminals == [False] * 199 + [True]
    assert env.currentStep == 1
    assert Catch({'maxSteps': 7}).maxSteps == 7
    opts = {'maxSteps': 50}
    assert CartPole(opts).maxSteps == 50 and opts['timeStepLimit'] == 200  # the Lua writes into the caller's opts


def test_mountaincar_one_step_by_hand():
    env = MountainCar()
    assert env.start() == [0, -0.5]
    reward, (velocity, position), terminal = env.step(2)  # push right
    assert velocity == pytest.approx(0.001 - 0.0025 * 0.0707372016677029)
    assert position == pytest.approx(-0.5 + velocity)
    assert reward == pytest.approx(-0.997494986604054 - 1)
    assert terminal is False


def test_cartpole_one_step_by_hand_and_falls_when_pushed_one_way():
    env = CartPole()
    env.start()
    reward, (x, xDot, theta, thetaDot), terminal = env.step(1)
    # temp = 10 / 1.1; thetaDotDot = -temp / (0.5 * (4/3 - 0.1/1.1)); xDotDot = temp - 0.05 * thetaDotDot / 1.1
    assert (x, theta) == (0, 0)
    assert thetaDot == pytest.approx(0.02 * -14.634146341463415)
    assert xDot == pytest.approx(0.02 * 9.75609756097561)
    assert (reward, terminal) == (1, False)
    steps = 1
    while not terminal:
        reward, state, terminal = env.step(1)
        steps += 1
    assert reward == 0 and state[2] < math.radians(-12) and steps < 200


def test_acrobot_keeps_its_bounds_and_rewards():
    env = Acrobot()
    assert env.maxSteps == 500
    env.start()
    for t in range(50):
        reward, (q1, q2, q1Dot, q2Dot), terminal = env.step(t % 3)
        # the Lua's wrap maps an angle below -pi to pi - (q % -pi), in [pi, 2 pi): kept
        assert -math.pi <= q1 < 2 * math.pi and -math.pi <= q2 < 2 * math.pi
        assert abs(q1Dot) <= 4 * math.pi and abs(q2Dot) <= 9 * math.pi
        assert (reward, terminal) in ((-1, False), (0, True))


def test_acrobot_wraps_angles_as_the_lua_does():
    env = Acrobot({'tau': 0})  # Lua's `opts.tau or 0.05` keeps a 0: no motion, only the wrap
    env.start()
    env.q1, env.q2 = 4.0, -4.0
    reward, (q1, q2, q1Dot, q2Dot), terminal = env.step(1)
    assert q1 == pytest.approx(4 - 2 * math.pi)  # -pi + (4 % pi)
    assert q2 == pytest.approx(4.0)  # pi - (-4 % -pi) = pi - (-4 + pi)


def test_catch_straight_drop_is_caught_under_the_ball_and_missed_elsewhere():
    env = Catch({'level': 1, 'size': 8})  # level 1: gradX is 0, the ball falls straight
    screen = env.start()
    assert screen.sum() == 1 + env.player['width']
    bx = env.ball['x']
    for moves in ('follow', 'stay_away'):
        env.start()
        env.ball['x'] = bx
        reward, terminal = 0, False
        steps = 0
        while not terminal:
            px = env.player['x']
            if moves == 'follow':
                action = 0 if px == bx else (1 if px > bx else 2)
            else:
                action = 2 if bx < 5 else 1
            reward, screen, terminal = env.step(action)
            steps += 1
        assert steps == env.size - 1
        assert reward == (1 if moves == 'follow' else 0)
        assert screen[0, env.size - 1, bx - 1] == 1 or moves != 'follow'


def test_catch_fractional_ball_column_is_drawn_truncated_and_bounces():
    env = Catch({'level': 2, 'size': 24})
    env.start()
    env.ball['x'], env.ball['gradX'] = 2.5, -1 / 3
    _, screen, _ = env.step(0)
    # 2.5 - 1/3 = 2.1667 > 2: no bounce, drawn in 1-based column 2 (0-based 1), as Torch7 truncates the index
    assert screen[0, 1].nonzero().view(-1).tolist() == [1]
    _, screen, _ = env.step(0)  # 1.8333 < 2 moving left: set to 5/3 and turned round
    assert env.ball['x'] == 5 / 3 and env.ball['gradX'] == 1 / 3
    assert screen[0, 2].nonzero().view(-1).tolist() == [0]


def test_blackjack_on_a_stacked_deck():
    env = Blackjack()
    env.start()
    # player 10 + 11 (usable ace), dealer shows 9 with 7 hidden, then 5, 10 to draw
    env.deck = lg.Tensor([10, 9, 11, 7, 5, 10] + [2] * 46)
    env.playerSum, env.usableAce, env.dealerCard, env.draw = 21, 1, 9, 4
    reward, state, terminal = env.step(0)  # stand: the dealer's 16 draws 5 to 21, a draw
    assert (reward, terminal) == (0, True)
    env.playerSum, env.usableAce, env.draw = 20, 1, 4
    reward, state, terminal = env.step(1)  # hit 5: 25 bust, the ace counts 1: 15
    assert (reward, state, terminal) == (0, [15, 9, 0], False)


def test_cliffwalking_falls_off_the_cliff_and_reaches_the_goal():
    env = CliffWalking()
    assert env.start() == [1, 1]
    assert env.step(1) == (-100, [2, 1], True)  # right from the start: the cliff
    env.start()
    env.step(0)
    for _ in range(11):
        reward, pos, terminal = env.step(1)
    assert (pos, terminal) == ([12, 2], False)
    assert env.step(2) == (-1, [12, 1], True)


def test_dynamaze_walls_and_goal():
    env = DynaMaze()
    assert env.start() == [1, 4]
    assert env.step(1) == (0, [2, 4], False)
    assert env.step(1) == (0, [2, 4], False)  # column 3, rows 3-5 are walls
    env.position = [9, 5]
    assert env.step(0) == (1, [9, 6], True)
    blocking = DynaMaze({'change': 'blocking'})
    assert blocking.start() == [4, 1]
    assert blocking.step(0) == (0, [4, 2], False)
    assert blocking.step(0) == (0, [4, 2], False)  # row 3 walled from column 1 to 8


def test_gridworld_costs_and_puddles():
    env = GridWorld()
    env.start()
    reward, pos, terminal = env.step(1)
    assert reward == -0.5 and pos == pytest.approx([0.25, 0.4])
    puddles = GridWorld({'puddles': True})
    low, high = puddles.getRewardSpace()
    assert low < -1.4 and high == 0
    puddles.start()
    puddles.position = [0.6, 0.4]  # world[{{61}, {41}}]: inside the first Gaussian, at its centre row
    reward, pos, _ = puddles.step(0)
    i, j = int(pos[0] * 100 + 1), int(pos[1] * 100 + 1)
    assert reward == pytest.approx(puddles.world[i - 1, j - 1]) and reward < -1
    # five steps right from 0.2 reach 0.44999999999999996: the 1-based index 45.99999999999999 is truncated to
    # 45 by Torch7 (and by the port's int), one row before the 46 the step size means
    puddles.start()
    for _ in range(5):
        reward, pos, _ = puddles.step(1)
    assert pos[0] == 0.44999999999999996
    assert reward == puddles.world[44, 40] and reward != puddles.world[45, 40]


def test_jackscarrental_moves_cars_and_caps_lots():
    env = JacksCarRental()
    env.start()
    for action in range(10):
        reward, (lot1, lot2), terminal = env.step(action)
        assert 0 <= lot1 <= 20 and 0 <= lot2 <= 20 and terminal is False
        assert reward % 2 == 0 and reward >= -10


def test_multiarmedbandit_rewards_follow_the_arm_means():
    env = MultiArmedBandit({'nArms': 3, 'maxPlays': 4001})
    env.start()
    best = int(env.armMeans.max(0)[1][0])
    rewards = [env.step(best)[0] for _ in range(4000)]
    assert sum(rewards) / 4000 == pytest.approx(env.armMeans[best], abs=0.06)
    assert env.plays == 4001


def test_randomwalk_terminals():
    env = RandomWalk()
    assert env.start() == 3
    assert [env.step(1) for _ in range(3)][-1] == (1, 6, True)
    env.start()
    assert [env.step(0) for _ in range(3)][-1] == (0, 0, True)


def test_taxi_picks_up_and_delivers():
    env = Taxi()
    env.start()
    env.position, env.fuel, env.passenger, env.destNode = [0, 0], 12, 4, 2
    env.source, env.destination = env.rgbyPos[3], env.rgbyPos[1]
    assert env.step(5)[0] == -1 and env.passenger == 5
    assert env.step(2) == (-1, [0, 0, 12, 5, 2], False)  # a wall east of Y
    for action in (1, 1, 2, 2, 2, 2, 1, 1):
        reward, state, terminal = env.step(action)
    assert state[:3] == [4, 4, 4]
    assert env.step(6) == (20, [4, 4, 4, 5, 2], True)


def test_windyworld_wind_pushes_up():
    env = WindyWorld()
    env.start()
    for _ in range(3):
        env.step(1)
    assert env.position == [4, 5]  # wind 1 in columns 4-9, blowing after the move
    assert env.step(1)[1] == [5, 6]
    env.position = [6, 3]
    assert env.step(1)[1] == [7, 5]  # wind 2 in columns 7-8
    env.position = [7, 2]
    assert env.step(1) == (-1, [8, 4], True)


def test_xoworld_static_circles_and_collision():
    env = XOWorld()
    screen = env.start()
    assert len(env.circles) == 16 and len(env.crosses) == 0
    assert screen.min() == 0 and screen.max() == 1
    env.x, env.y = 36, 36
    env.circles = [{'x': 49, 'y': 36}]
    # the player's box covers columns x + 1 .. x + 10, the circle's 50 .. 58: they meet once x reaches 40
    for x in (37, 38, 39):
        reward, screen, terminal = env.step(1)
        assert (env.x, reward, len(env.circles)) == (x, 0, 1)
    reward, screen, terminal = env.step(1)
    assert (env.x, reward, env.circles) == (40, -10, [])
    double = XOWorld({'double': True, 'random': True})
    double.start()
    assert len(double.crosses) == 7 and len(double.circles) == 7
    double.evaluate()
    assert double.timespan == 200 and double.getDisplay().size() == (3, 84, 84)


def test_a_tiny_q_network_learns_to_catch():
    """A small agent (one-step Q-learning, epsilon-greedy, an MLP on the screen) learns Catch's straight drop on a
    5 x 5 screen: its greedy policy catches the ball from every starting column after training."""
    size = 5
    env = Catch({'level': 1, 'size': size})
    model = nn.Sequential().add(nn.View(size * size)).add(nn.Linear(size * size, 32)).add(nn.ReLU()) \
        .add(nn.Linear(32, 3))
    crit = nn.MSECriterion()
    gamma, lr, episodes = 0.9, 0.5, 600

    def greedy(s):
        return int(model.forward(s).max(0)[1][0])

    def catches():
        wins = 0
        for bx in range(1, size + 1):
            env.start()
            env.ball['x'] = bx
            env.redraw()
            s, terminal = env.screen.clone(), False
            while not terminal:
                reward, s, terminal = env.step(greedy(s))
                s = s.clone()
            wins += reward
        return wins

    before = catches()
    for ep in range(episodes):
        eps = max(0.1, 1 - ep / (episodes * 0.6))
        s, terminal = env.start().clone(), False
        while not terminal:
            a = lg.random(0, 3) if random.random() < eps else greedy(s)
            reward, s2, terminal = env.step(a)
            s2 = s2.clone()
            target = reward if terminal else reward + gamma * float(model.forward(s2).max())
            q = model.forward(s).clone()
            t = q.clone()
            t[a] = target
            model.zeroGradParameters()
            crit.forward(q, t)
            model.backward(s, crit.backward(q, t))
            model.updateParameters(lr)
            s = s2
    assert before <= 2
    assert catches() == size


@pytest.mark.gpu
def test_catch_screens_feed_a_cuda_network_as_a_cpu_one():
    """Catch's observation (a FloatTensor screen) moved with ``:cuda()`` gives a converted network the CPU's
    Q-values, as a Torch7 agent running on the GPU would feed it."""
    env = Catch({'size': 8})
    screen = env.start()
    model = nn.Sequential().add(nn.View(64)).add(nn.Linear(64, 3))
    cpu = model.forward(screen).clone()
    gpu = model.cuda().forward(screen.cuda())
    assert gpu.type() == 'torch.CudaTensor'
    assert (gpu.float() - cpu).abs().max() < 1e-5


def test_env_must_have_its_interface():
    """Env.lua's ``mustHave('_start')`` ...: classic refuses to instantiate a class lacking one, as abc does."""
    from .rlenvs.Env import Env

    class NoStep(Env):
        def _start(self):
            return 0

        def getStateSpace(self):
            return None

        def getActionSpace(self):
            return {'name': 'Discrete', 'n': 1}

        def getRewardSpace(self):
            return 0, 0

    with pytest.raises(TypeError, match='_step'):
        NoStep({})
