"""rlenvs/RandomWalk.lua of Kaixhin/rlenvs (MIT licence), ported line by line."""
from .Env import Env


class RandomWalk(Env):
    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        super().__init__(opts)

    # 1 states returned, of type 'int', of dimensionality 1, between 0 and 6 (the terminal states)
    def getStateSpace(self):
        state = {}
        state['name'] = 'Discrete'
        state['n'] = 6
        return state

    # 1 action required, of type 'int', of dimensionality 1, between 0 and 1 (left or right)
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        action['n'] = 2
        return action

    # Min and max reward
    def getRewardSpace(self):
        return 0, 1

    # Reset position
    def _start(self):
        self.position = 3

        return self.position

    # Move left or right
    def _step(self, action):
        reward = 0
        terminal = False

        if action == 0:
            self.position = self.position - 1

            if self.position == 0:
                terminal = True
        else:
            self.position = self.position + 1

            if self.position == 6:
                reward = 1
                terminal = True

        return reward, self.position, terminal
