"""rlenvs/MountainCar.lua of Kaixhin/rlenvs (MIT licence), ported line by line."""
import math

from .Env import Env


class MountainCar(Env):
    timeStepLimit = 200

    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        opts['timeStepLimit'] = MountainCar.timeStepLimit

        super().__init__(opts)

    # 2 states returned, of type 'real', of dimensionality 1, with differing ranges
    def getStateSpace(self):
        state = {}
        state['name'] = 'Box'
        state['shape'] = [2]
        state['low'] = [
            -0.07,  # Velocity
            -1.2  # Position
        ]
        state['high'] = [
            0.07,  # Velocity
            0.6  # Position
        ]
        return state

    # 1 action required, of type 'int', of dimensionality 1, between -1 and 1 (left, neutral, right)
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        action['n'] = 3
        return action

    # Min and max reward
    def getRewardSpace(self):
        return -2, 0  # As height = sin(3x) is between -1 and 1, and reward = height - 1

    # Resets the car
    def _start(self):
        # Reset position and velocity
        self.position = -0.5
        self.velocity = 0

        return [self.velocity, self.position]

    # Drives the car
    def _step(self, action):
        action = action - 1  # scale action
        # Calculate height
        height = math.sin(3 * self.position)

        # Update velocity and position
        self.velocity = self.velocity + 0.001 * action - 0.0025 * math.cos(3 * self.position)
        self.velocity = max(self.velocity, -0.07)
        self.velocity = min(self.velocity, 0.07)
        self.position = self.position + self.velocity
        self.position = max(self.position, -1.2)
        self.position = min(self.position, 0.6)
        # Reset velocity if at very left
        if self.position == -1.2 and self.velocity < 0:
            self.velocity = 0

        # Calculate reward
        reward = height - 1
        # Calculate termination
        terminal = self.position >= 0.5  # Car has made it over the (right) hill

        return reward, [self.velocity, self.position], terminal
