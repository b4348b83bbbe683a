"""rlenvs/JacksCarRental.lua of Kaixhin/rlenvs (MIT licence), ported line by line (its action space of 10 gives
moves -5 .. 4, as the Lua's ``action - 5`` does)."""
import math

import legonn as lg

from .Env import Env


# Generate Poisson samples (Knuth's algorithm)
def poisson(lambda_):
    L = math.exp(-lambda_)
    k = 0
    p = 1

    while p > L:
        k = k + 1
        p = p * lg.uniform()

    return k - 1


class JacksCarRental(Env):
    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        super().__init__(opts)

    # 2 states returned, of type 'int', of dimensionality 1, for 0-20 cars
    def getStateSpace(self):
        state = {}
        state['name'] = 'Box'
        state['shape'] = [2]
        state['low'] = [
            0,  # Lot 1
            0  # Lot 2
        ]
        state['high'] = [
            20,  # Lot 1
            20  # Lot 2
        ]
        return state

    # 1 action required, of type 'int', of dimensionality 1, between -5 and 5 (max 5 cars can be moved overnight)
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        action['n'] = 10
        return action

    # Min and max reward
    def getRewardSpace(self):
        return 0, 200

    # Resets the cars to 10 at each lot
    def _start(self):
        self.lot1 = 10
        self.lot2 = 10

        return [self.lot1, self.lot2]

    # Acts out a day and night for Jack's Car Rental
    def _step(self, action):
        action = action - 5  # scale action
        reward = 0  # Reward in $

        # Customers rent cars from lot 1 during the day
        lot1Rentals = min(poisson(3), self.lot1)
        self.lot1 = self.lot1 - lot1Rentals
        reward = reward + 10 * lot1Rentals

        # Customers rent cars from lot 2 during the day
        lot2Rentals = min(poisson(4), self.lot2)
        self.lot2 = self.lot2 - lot2Rentals
        reward = reward + 10 * lot2Rentals

        # Customers return cars to lot 1 at the end of the day
        lot1Returns = poisson(3)
        self.lot1 = min(self.lot1 + lot1Returns, 20)

        # Customers return cars to lot 2 at the end of the day
        lot2Returns = poisson(2)
        self.lot2 = min(self.lot2 + lot2Returns, 20)

        # Jack chooses how many cars to move overnight (max 5)
        if action > 0:
            carsMoved = min(action, self.lot1)  # Cannot move more cars than are available
            carsMoved = min(carsMoved, 20 - self.lot2)  # Cannot keep more than 20 cars in a lot
            # Move cars
            self.lot1 = self.lot1 - carsMoved
            self.lot2 = self.lot2 + carsMoved
            reward = reward - 2 * carsMoved
        elif action < 0:  # Negative numbers indicate transferring cars from lot 2 to lot 1
            carsMoved = min(-action, self.lot2)
            carsMoved = min(carsMoved, 20 - self.lot1)
            # Move cars
            self.lot2 = self.lot2 - carsMoved
            self.lot1 = self.lot1 + carsMoved
            reward = reward - 2 * carsMoved

        return reward, [self.lot1, self.lot2], False
