"""rlenvs/Catch.lua of Kaixhin/rlenvs (MIT licence), ported line by line.

The ball's column ``ball.x`` is fractional once the level is not 1 (``gradX`` is a third of a column at most): the
Lua indexes the screen with it and Torch7 truncates; ``int`` writes that truncation (package docstring)."""
import math
import random

import legonn as lg

from .Env import Env


class Catch(Env):
    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        super().__init__(opts)

        # Difficulty level
        self.level = opts.get('level', 2)
        # Probability of screen flickering
        self.flickering = opts.get('flickering', 0)
        self.flickered = False
        # Obscured
        self.obscured = opts.get('obscured', False)

        # Width and height
        self.size = opts.get('size', 24)
        self.screen = lg.Tensor(1, self.size, self.size).zero()
        self.blank = lg.Tensor(1, self.size, self.size).zero()

        # Player params/state
        self.player = {
            'width': opts.get('playerWidth', math.ceil(self.size / 12))
        }
        # Ball
        self.ball = {}

    # 1 state returned, of type 'int', of dimensionality 1 x self.size x self.size, between 0 and 1
    def getStateSpace(self):
        state = {}
        state['name'] = 'Box'
        state['shape'] = [1, self.size, self.size]
        state['low'] = [
            0
        ]
        state['high'] = [
            1
        ]
        return state

    # 1 action required, of type 'int', of dimensionality 1, between 0 and 2
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        action['n'] = 3
        return action

    # RGB screen of size self.size x self.size
    def getDisplaySpec(self):
        return ['real', [3, self.size, self.size], [0, 1]]

    # Min and max reward
    def getRewardSpace(self):
        return 0, 1

    # Redraws screen based on state
    def redraw(self):
        # Reset screen
        self.screen.zero()
        # Draw ball (a fractional column truncated, as Torch7's index does)
        self.screen[0:1, self.ball['y'] - 1:self.ball['y'], int(self.ball['x']) - 1:int(self.ball['x'])] = 1
        # Draw player
        self.screen[0:1, self.size - 1:self.size, self.player['x'] - 1:self.player['x'] + self.player['width'] - 1] = 1

        # Obscure screen?
        if self.obscured:
            barrier = math.ceil(self.size / 4)
            self.screen[0:1, self.size - barrier - 1:self.size - 1, :] = 0

    # Starts new game
    def _start(self):
        # Reset player and ball
        self.player['x'] = math.ceil(self.size / 2)
        self.ball['x'] = lg.random(1, self.size + 1)
        self.ball['y'] = 1
        # Choose new trajectory
        self.ball['gradX'] = lg.uniform(-1 / 3, 1 / 3) * (1 - self.level)

        # Redraw screen
        self.redraw()

        # Return observation
        return self.screen

    # Steps in a game
    def _step(self, action):
        # Reward is 0 by default
        reward = 0

        # Move player (0 is no-op)
        if action == 1:
            self.player['x'] = max(self.player['x'] - 1, 1)
        elif action == 2:
            self.player['x'] = min(self.player['x'] + 1, self.size - self.player['width'] + 1)

        # Move ball
        self.ball['y'] = self.ball['y'] + 1
        self.ball['x'] = self.ball['x'] + self.ball['gradX']
        # Bounce ball if it hits the side
        if self.ball['x'] >= self.size:
            self.ball['x'] = self.size
            self.ball['gradX'] = -self.ball['gradX']
        elif self.ball['x'] < 2 and self.ball['gradX'] < 0:
            self.ball['x'] = 5 / 3
            self.ball['gradX'] = -self.ball['gradX']

        # Check terminal condition
        terminal = False
        if self.ball['y'] == self.size:
            terminal = True
            # Player wins if it caught ball
            if self.ball['x'] >= self.player['x'] and self.ball['x'] <= self.player['x'] + self.player['width'] - 1:
                reward = 1

        # Redraw screen
        self.redraw()

        # Flickering
        screen = self.screen
        if random.random() < self.flickering:
            screen = self.blank
            self.flickered = True
        else:
            self.flickered = False

        return reward, screen, terminal

    # Returns (RGB) display of screen
    def getDisplay(self):
        if self.flickered:
            return lg.repeatTensor(self.blank, 3, 1, 1)
        else:
            return lg.repeatTensor(self.screen, 3, 1, 1)
