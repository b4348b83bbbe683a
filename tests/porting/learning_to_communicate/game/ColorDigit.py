"""code/game/ColorDigit.lua: each of two agents sees an MNIST digit in one of ``game_colors`` colour channels
and must answer (action 1 or 2) from the other agent's digit and colour, which only the message tells it
(``extra_hard_local``: reward 2 (-1)^(other digit + answer + own colour) + (-1)^(own digit + answer + other
colour) from the second step; ``many_bits``: 0.5 for naming the other's digit at the last step); the rewards are
shared by ``game_coop``.

Edits beyond Lua syntax and 0-based indices:

* ``(require 'mnist').traindataset()`` is legonn.mnist's (which reads the IDX files from ``$MNIST_PATH``, as the
  rock from its ``data/``); ``dataset[i].y + 1``, the class 1..10, stays a value (the rewards' parity), the key
  of ``self.mnist``; ``lookup`` is a list.
* ``torch.random(n)`` draws 1..n, legonn's ``random(n)`` 0..n-1 (docs/porting.md's row on ``random(b)``): an
  index into a list keeps ``random(n)``, a value (a digit, a colour) is ``random(1, n + 1)``; the colour 1..C
  indexes ``x[b]`` as ``color - 1``.
* getState's digits (``game_use_digits``), 1..10 for the model's LookupTable(10), are 0..9 here.
* ``class('ColorDigit')`` (the ``class`` rock) is a Python class.
"""
import legonn as lg
from legonn import mnist


class ColorDigit:
    typename = 'ColorDigit'

    def __init__(self, opt):
        self.opt = opt

        self.step_counter = 1
        # Preprocess data
        dataset = mnist.traindataset()
        data = {}
        lookup = []
        for i in range(dataset.size):
            # Shift 0 class
            y = int(dataset[i]['y']) + 1
            # Create array
            if data.get(y) is None:
                data[y] = []
            # Move data
            data[y].append({'x': dataset[i]['x'], 'y': y})
            lookup.append(y)

        self.mnist = data

        self.mnist['lookup'] = lookup

        # Rewards
        self.reward = lg.zeros(self.opt['bs'])
        self.terminal = lg.zeros(self.opt['bs'])

        # Spawn new game
        self.reset()

    def loadDigit(self):
        opt = self.opt
        # Pick random digit and color
        color_id = lg.zeros(opt['bs'])
        number = lg.zeros(opt['bs'])
        x = lg.zeros(opt['bs'], opt['game_colors'], opt['game_dim'], opt['game_dim']).type(opt['dtype'])
        for b in range(opt['bs']):
            # Pick number
            if opt['game_use_mnist'] == 1:
                index = lg.random(len(self.mnist['lookup']))
                num = self.mnist['lookup'][index]
            elif lg.uniform() < opt['game_bias']:
                num = 1
            else:
                num = lg.random(1, 11)

            number[b] = num

            # Pick color
            color_id[b] = lg.random(1, opt['game_colors'] + 1)

            # Pick dataset id
            id = lg.random(len(self.mnist[num]))
            x[b][int(color_id[b]) - 1] = self.mnist[num][id]['x']
        return [x, color_id, number]

    def reset(self):
        # Load images
        self.state = [self.loadDigit(), self.loadDigit()]

        # Reset rewards
        self.reward.zero()
        self.terminal.zero()

        # Reset counter
        self.step_counter = 1

        return self

    def getActionRange(self, *_):
        return None

    def getCommLimited(self, *_):
        return None

    def getReward(self, a):
        opt = self.opt
        color_1 = self.state[0][1]
        color_2 = self.state[1][1]
        digit_1 = self.state[0][2]
        digit_2 = self.state[1][2]

        reward = lg.zeros(opt['bs'], opt['game_nagents'])

        for b in range(opt['bs']):
            if opt['game_level'] == "extra_hard_local":
                if a[b][1] <= opt['game_action_space'] and self.step_counter > 1:
                    reward[b] = 2 * (-1) ** (digit_1[b] + a[b][1] + color_2[b]) + \
                        (-1) ** (digit_2[b] + a[b][1] + color_1[b])
                if a[b][0] <= opt['game_action_space'] and self.step_counter > 1:
                    reward[b] = reward[b] + 2 * (-1) ** (digit_2[b] + a[b][0] + color_1[b]) + \
                        (-1) ** (digit_1[b] + a[b][0] + color_2[b])
            elif opt['game_level'] == "many_bits":
                if a[b][0] <= opt['game_action_space'] and self.step_counter == opt['nsteps']:
                    if digit_2[b] == a[b][0]:
                        reward[b] = reward[b] + 0.5

                if a[b][1] <= opt['game_action_space'] and self.step_counter == opt['nsteps']:
                    if digit_1[b] == a[b][1]:
                        reward[b] = reward[b] + 0.5
            else:
                raise RuntimeError("[ColorDigit] wrong level")

        reward_coop = lg.zeros(opt['bs'], opt['game_nagents'])
        reward_coop[:, 1:2] = (reward[:, 1:2] + reward[:, 0:1] * opt['game_coop']) / (1 + opt['game_coop'])
        reward_coop[:, 0:1] = (reward[:, 0:1] + reward[:, 1:2] * opt['game_coop']) / (1 + opt['game_coop'])

        return reward_coop

    def step(self, a):
        reward = self.getReward(a)

        if self.step_counter == self.opt['nsteps']:
            self.terminal.fill(1)

        self.step_counter = self.step_counter + 1

        return reward, self.terminal.clone()

    def getState(self):
        if self.opt['game_use_digits'] == 1:
            return [self.state[0][2] - 1, self.state[1][2] - 1]     # codes for LookupTable(10): 0-based
        else:
            return [self.state[0][0], self.state[1][0]]
