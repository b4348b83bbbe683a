"""rlenvs/Taxi.lua of Kaixhin/rlenvs (MIT licence), ported line by line. The passenger and destination numbers
(1-4, 5 in the taxi) are state values as in the Lua; ``rgbyPos[n]`` reads entry ``n - 1``.

    MAP
       _________
    4 |R  |    G|
    3 |   |     |
    2 |         |
    1 | |  F|   |
    0 |Y|___|B__|
       0 1 2 3 4
"""
import legonn as lg

from .Env import Env


class Taxi(Env):
    timeStepLimit = 200

    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        opts['timeStepLimit'] = Taxi.timeStepLimit

        super().__init__(opts)

        # Passenger positions (Red, Green, Blue, Yellow)
        self.rgbyPos = [[0, 4], [4, 4], [3, 0], [0, 0]]
        # Refuelling position
        self.fuelPos = [2, 1]

    # 4 states returned, of type 'int', of dimensionality 1, where x and y are 0-5, fuel is -1-12, passenger position is 1-5 and destination is 1-4
    def getStateSpace(self):
        state = {}
        state['name'] = 'Box'
        state['shape'] = [5]
        state['low'] = [
            0,  # x
            0,  # y
            -1,  # Fuel
            1,  # Passenger location
            1  # Destination TODO: Work out why there are apparently 5 destination states in the original paper
        ]
        state['high'] = [
            4,  # x
            4,  # y
            12,  # Fuel
            5,  # Passenger location
            4  # Destination
        ]
        return state

    # 1 action required, of type 'int', of dimensionality 1, where 1-4 is move N, E, S, W, 5 is Pickup, 6 is Putdown and 7 is Fillup
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        action['n'] = 7
        return action

    # Min and max reward
    def getRewardSpace(self):
        return -20, 20

    # Reset position, fuel and passenger
    def _start(self):
        # Randomise position and fuel (torch.random(a, b) includes b; lg.random(a, b) stops before it)
        self.position = [lg.random(0, 5), lg.random(0, 5)]
        self.fuel = lg.random(5, 13)

        # Random passenger position (R, G, B, Y)
        self.passenger = lg.random(1, 5)
        # Randomise source and destination
        self.source = self.rgbyPos[self.passenger - 1]
        self.destNode = lg.random(1, 5)
        self.destination = self.rgbyPos[self.destNode - 1]  # Can be same as source

        return [self.position[0], self.position[1], self.fuel, self.passenger, self.destNode]

    # Checks validity of moves (i.e. checks wall collisions)
    def validMove(self, action):
        x, y = self.position[0], self.position[1]

        if action == 1:
            # Cannot move North
            if y == 4:
                return False
        elif action == 2:
            # Cannot move East
            if x == 4 or (x == 0 and (y == 0 or y == 1)) or (x == 1 and (y == 3 or y == 4)) or (x == 2 and (y == 0 or y == 1)):
                return False
        elif action == 3:
            # Cannot move South
            if y == 0:
                return False
        elif action == 4:
            # Cannot move West
            if x == 0 or (x == 1 and (y == 0 or y == 1)) or (x == 2 and (y == 3 or y == 4)) or (x == 3 and (y == 0 or y == 1)):
                return False

        return True

    # Move up, right, down or left
    def _step(self, action):
        reward = -1
        terminal = False

        # Perform action
        if action == 1:
            # Move North
            if self.validMove(action):
                self.position[1] = self.position[1] + 1
                self.fuel = self.fuel - 1
        elif action == 2:
            # Move East
            if self.validMove(action):
                self.position[0] = self.position[0] + 1
                self.fuel = self.fuel - 1
        elif action == 3:
            # Move South
            if self.validMove(action):
                self.position[1] = self.position[1] - 1
                self.fuel = self.fuel - 1
        elif action == 4:
            # Move West
            if self.validMove(action):
                self.position[0] = self.position[0] - 1
                self.fuel = self.fuel - 1
        elif action == 5:
            # Pickup
            if self.passenger != 5 and self.position[0] == self.source[0] and self.position[1] == self.source[1]:
                # Pick up passenger
                self.passenger = 5
            else:
                # Penalise for illegal action
                reward = -10
        elif action == 6:
            # Putdown
            if self.passenger == 5 and self.position[0] == self.destination[0] and self.position[1] == self.destination[1]:
                # Finish successfully
                reward = 20
                terminal = True
            else:
                # Penalise for illegal action
                reward = -10
        else:
            # Fillup
            if self.position[0] == self.fuelPos[0] and self.position[1] == self.fuelPos[1]:
                # Refuel only if at refuelling location
                self.fuel = 12

        # Check fuel (can have 0 fuel and still succeed if at destination)
        if self.fuel < 0:
            reward = -20
            terminal = True

        return reward, [self.position[0], self.position[1], self.fuel, self.passenger, self.destNode], terminal
