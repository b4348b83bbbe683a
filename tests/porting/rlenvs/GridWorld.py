"""rlenvs/GridWorld.lua of Kaixhin/rlenvs (MIT licence), ported line by line (PuddleWorld with ``puddles``).

The cost lookup ``world[{{x * 100 + 1}, {y * 100 + 1}}]`` indexes with a position accumulated in steps of 0.05,
which is rarely a whole number of hundredths (0.2 + 0.05 * 3 is 0.35000000000000003): Torch7 truncates the index,
legonn refuses it, so ``int`` writes the truncation (package docstring)."""
import legonn as lg
from legonn import image

from .Env import Env


class GridWorld(Env):
    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        super().__init__(opts)

        # Cost of moving in world (discretized)
        self.world = lg.Tensor(101, 101).fill(-0.5)

        # PuddleWorld
        if opts.get('puddles'):
            # Create 2D Gaussians to subtract from world
            self.world[29:90, 29:50].csub(image.gaussian(width=21, height=61))
            self.world[59:80, 0:50].csub(image.gaussian(width=60, height=21)[:, 10:60])

    # 2 states returned, of type 'real', of dimensionality 1, from 0-1
    def getStateSpace(self):
        state = {}
        state['name'] = 'Box'
        state['shape'] = [2]
        state['low'] = [
            0,  # x
            0  # y
        ]
        state['high'] = [
            1,  # x
            1  # y
        ]
        return state

    # 1 action required, of type 'int', of dimensionality 1, between 1 and 4
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        action['n'] = 4
        return action

    # Min and max reward
    def getRewardSpace(self):
        return lg.min(self.world), 0

    # Reset position
    def _start(self):
        self.position = [0.2, 0.4]

        return self.position

    # Move up, right, down or left
    def _step(self, action):
        action = action + 1  # scale action
        terminal = False

        # Move
        if action == 1:
            # Move up
            self.position[1] = min(self.position[1] + 0.05, 1)
        elif action == 2:
            # Move right
            self.position[0] = min(self.position[0] + 0.05, 1)
        elif action == 3:
            # Move down
            self.position[1] = max(self.position[1] - 0.05, 0)
        else:
            # Move left
            self.position[0] = max(self.position[0] - 0.05, 0)

        # Look up cost of moving to position (fractional indices truncated, as Torch7's)
        i, j = int(self.position[0] * 100 + 1), int(self.position[1] * 100 + 1)
        reward = self.world[i - 1:i, j - 1:j][0][0]

        # Check if reached goal
        if self.position[0] == 1 and self.position[1] == 1:
            terminal = True

        return reward, self.position, terminal
