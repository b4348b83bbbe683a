"""rlenvs/Acrobot.lua of Kaixhin/rlenvs (MIT licence), ported line by line (its ``q1DotDot = -(d2 / q2DotDot +
phi1) / d1`` divides where the textbook multiplies: kept as the Lua computes it)."""
import math

from .Env import Env


class Acrobot(Env):
    timeStepLimit = 500

    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        opts['timeStepLimit'] = Acrobot.timeStepLimit
        super().__init__(opts)

        # Constants
        self.g = opts.get('g', 9.8)
        self.m1 = opts.get('m1', 1)  # Mass of link 1
        self.m2 = opts.get('m2', 1)  # Mass of link 2
        self.l1 = opts.get('l1', 1)  # Length of link 1
        self.l2 = opts.get('l2', 1)  # Length of link 2
        self.lc1 = opts.get('lc1', 0.5)  # Length to center of mass of link 1
        self.lc2 = opts.get('lc2', 0.5)  # Length to center of mass of link 2
        self.I1 = opts.get('I1', 1)  # Moment of inertia of link 1
        self.I2 = opts.get('I2', 1)  # Moment of inertia of link 2
        self.tau = opts.get('tau', 0.05)  # Time step (s)
        self.steps = opts.get('steps', 4)  # Time steps to take

    # 4 states returned, of type 'real', of dimensionality 1, with differing ranges
    def getStateSpace(self):
        state = {}
        state['name'] = 'Box'
        state['shape'] = [4]
        state['low'] = [
            -math.pi,  # Joint 1 angle
            -math.pi,  # Joint 2 angle
            -4 * math.pi,  # Joint 1 angular velocity
            -9 * math.pi  # Joint 2 angular velocity
        ]
        state['high'] = [
            math.pi,  # Joint 1 angle
            math.pi,  # Joint 2 angle
            4 * math.pi,  # Joint 1 angular velocity
            9 * math.pi  # Joint 2 angular velocity
        ]
        return state

    # 1 action required, of type 'int', of dimensionality 1, with second torque joint in {-1, 0, 1}
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        action['n'] = 3
        return action

    # Min and max reward
    def getRewardSpace(self):
        return -1, 0

    # Resets the cart
    def _start(self):
        # Reset angles and velocities
        self.q1 = 0  # Joint 1 angle
        self.q2 = 0  # Joint 2 angle
        self.q1Dot = 0  # Joint 1 angular velocity
        self.q2Dot = 0  # Joint 2 angular velocity

        return [self.q1, self.q2, self.q1Dot, self.q2Dot]

    # Swings the pole via torque on second joint
    def _step(self, action):
        action = action - 1  # rescale the action
        reward = -1
        terminal = False

        for t in range(self.steps):
            # Calculate motion of system
            d1 = self.m1 * math.pow(self.lc1, 2) + self.m2 * (math.pow(self.l1, 2) + math.pow(self.lc2, 2) + 2 * self.l1 * self.lc2 * math.cos(self.q2)) + self.I1 + self.I2
            d2 = self.m2 * (math.pow(self.lc2, 2) + self.l1 * self.lc2 * math.cos(self.q2)) + self.I2
            phi2 = self.m2 * self.lc2 * self.g * math.cos(self.q1 + self.q2 - math.pi / 2)
            phi1 = -self.m2 * self.l1 * self.lc2 * math.pow(self.q2Dot, 2) * math.sin(self.q2) - 2 * self.m2 * self.l1 * self.lc2 * self.q2Dot * self.q1Dot * math.sin(self.q2) + (self.m1 * self.lc1 + self.m2 * self.l1) * self.g * math.cos(self.q1 - math.pi / 2) + phi2
            q2DotDot = (action + d2 / d1 * phi1 - self.m2 * self.l1 * self.lc2 * math.pow(self.q1Dot, 2) * math.sin(self.q2) - phi2) / (self.m2 * math.pow(self.lc2, 2) + self.I2 - math.pow(d2, 2) / d1)
            q1DotDot = -(d2 / q2DotDot + phi1) / d1

            # Update state using Euler's method
            self.q1Dot = self.q1Dot + self.tau * q1DotDot
            self.q2Dot = self.q2Dot + self.tau * q2DotDot
            self.q1 = self.q1 + self.tau * self.q1Dot
            self.q2 = self.q2 + self.tau * self.q2Dot

        # Wrap around angles
        if self.q1 > math.pi:
            self.q1 = -math.pi + (self.q1 % math.pi)
        elif self.q1 < -math.pi:
            self.q1 = math.pi - (self.q1 % -math.pi)
        if self.q2 > math.pi:
            self.q2 = -math.pi + (self.q2 % math.pi)
        elif self.q2 < -math.pi:
            self.q2 = math.pi - (self.q2 % -math.pi)
        # Limit velocities
        self.q1Dot = max(self.q1Dot, -4 * math.pi)
        self.q1Dot = min(self.q1Dot, 4 * math.pi)
        self.q2Dot = max(self.q2Dot, -9 * math.pi)
        self.q2Dot = min(self.q2Dot, 9 * math.pi)

        # Terminate if second joint's height is greater than height of first joint (relative to origin)
        h = -self.l1 * math.cos(self.q1) - self.l2 * math.sin(math.pi / 2 - self.q1 - self.q2)
        if h > self.l1:
            reward = 0
            terminal = True

        return reward, [self.q1, self.q2, self.q1Dot, self.q2Dot], terminal
