"""rlenvs/CartPole.lua of Kaixhin/rlenvs (MIT licence), ported line by line."""
import math

from .Env import Env


class CartPole(Env):
    timeStepLimit = 200

    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        opts['timeStepLimit'] = CartPole.timeStepLimit
        super().__init__(opts)

        # Constants
        self.gravity = opts.get('gravity', 9.8)
        self.cartMass = opts.get('cartMass', 1.0)
        self.poleMass = opts.get('poleMass', 0.1)
        self.poleLength = opts.get('poleLength', 1.0)  # Original uses 1/2 pole length
        self.forceMagnitude = opts.get('forceMagnitude', 10.0)
        self.tau = opts.get('tau', 0.02)  # Time step (s)
        # Derived constants
        self.totalMass = self.cartMass + self.poleMass
        self.poleMassLength = self.poleMass * self.poleLength

    # 4 states returned, of type 'real', of dimensionality 1, with differing ranges
    def getStateSpace(self):
        state = {}
        state['name'] = 'Box'
        state['shape'] = [4]
        state['low'] = [
            -2.4,  # Cart position
            math.inf,  # Cart velocity
            math.radians(-12),  # Pole angle
            math.inf  # Pole angular velocity
        ]
        state['high'] = [
            2.4,  # Cart position
            math.inf,  # Cart velocity
            math.radians(12),  # Pole angle
            math.inf  # Pole angular velocity
        ]
        return state

    # 1 action required, of type 'int', of dimensionality 1, between 0 and 1 (left, right)
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        action['n'] = 2
        return action

    # Min and max reward
    def getRewardSpace(self):
        return -1, 0

    # Resets the cart
    def _start(self):
        # Reset position, angle and velocities
        self.x = 0  # Cart position (m)
        self.xDot = 0  # Cart velocity
        self.theta = 0  # Pole angle (rad)
        self.thetaDot = 0  # Pole angular velocity

        return [self.x, self.xDot, self.theta, self.thetaDot]

    # Drives the cart
    def _step(self, action):
        # Calculate acceleration
        force = self.forceMagnitude if action == 1 else -self.forceMagnitude
        cosTheta = math.cos(self.theta)
        sinTheta = math.sin(self.theta)
        temp = (force + 0.5 * self.poleMassLength * math.pow(self.thetaDot, 2) * sinTheta) / self.totalMass
        thetaDotDot = (self.gravity * sinTheta - cosTheta * temp) / (0.5 * self.poleLength * (4 / 3 - self.poleMass * math.pow(cosTheta, 2) / self.totalMass))
        xDotDot = temp - 0.5 * self.poleMassLength * thetaDotDot * cosTheta / self.totalMass

        # Update state using Euler's method
        self.x = self.x + self.tau * self.xDot
        self.xDot = self.xDot + self.tau * xDotDot
        self.theta = self.theta + self.tau * self.thetaDot
        self.thetaDot = self.thetaDot + self.tau * thetaDotDot

        # Check failure (if cart reaches sides of track/pole tips too much)
        reward = 1
        terminal = False
        if self.x < -2.4 or self.x > 2.4 or self.theta < math.radians(-12) or self.theta > math.radians(12):
            reward = 0
            terminal = True

        return reward, [self.x, self.xDot, self.theta, self.thetaDot], terminal
