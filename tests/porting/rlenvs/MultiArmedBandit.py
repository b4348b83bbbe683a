"""rlenvs/MultiArmedBandit.lua of Kaixhin/rlenvs (MIT licence), ported line by line. The Lua's ``action = action +
1 -- scale action`` turns the 0-based action into a 1-based index of ``armMeans``; 0-based, the action is the
index and the line goes."""
import legonn as lg

from .Env import Env


class MultiArmedBandit(Env):
    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        super().__init__(opts)

        # Restless bandits (with a Gaussian random walk)
        self.restless = opts.get('restless', False)

        # Number of plays allowed
        self.plays = 1
        self.maxPlays = opts.get('maxPlays', 1000)
        # Arms
        self.nArms = opts.get('nArms', 10)
        # Set up probability distributions
        self.armMeans = lg.Tensor(self.nArms).normal(0, 1)

    # No state (not a contextual bandit)
    def getStateSpace(self):
        return None

    # 1 action required, of type 'int', of dimensionality 1, of the number of arms
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        action['n'] = self.nArms
        return action

    # Min and max rewards unknown when sampling from distributions
    def getRewardSpace(self):
        return None, None

    # Does nothing (distributions do not reset)
    def _start(self):
        return None

    # Pulls an arm
    def _step(self, action):
        # Sample for reward
        reward = lg.normal(self.armMeans[action], 1)

        # Change reward distribution if restless
        if self.restless:
            self.armMeans.add(lg.Tensor(self.nArms).normal(0, 0.1))

        # Terminate after self.maxPlays
        self.plays = self.plays + 1
        terminal = True if self.plays == self.maxPlays else False

        return reward, None, terminal
