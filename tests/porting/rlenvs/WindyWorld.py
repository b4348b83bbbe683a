"""rlenvs/WindyWorld.lua of Kaixhin/rlenvs (MIT licence), ported line by line (positions are the Lua's values, x
1-10 and y 1-7; its state space's ``shape = {5}`` for a 2-value state is kept)."""
from .Env import Env


class WindyWorld(Env):
    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        super().__init__(opts)

        # Allow king's moves (8 directions)
        self.king = opts.get('king', False)

    # 2 states returned, of type 'int', of dimensionality 1, where x is 1-10 and y is 1-7
    def getStateSpace(self):
        state = {}
        state['name'] = 'Box'
        state['shape'] = [5]
        state['low'] = [
            1,  # x
            1  # y
        ]
        state['high'] = [
            10,  # x
            7  # y
        ]
        return state

    # 1 action required, of type 'int', of dimensionality 1, between 1 and 4 (for standard) or 1 and 8 (for king)
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        if self.king:
            action['n'] = 8
            return action
        else:
            action['n'] = 4
            return action

    # Min and max reward
    def getRewardSpace(self):
        return -1, -1

    # Reset position
    def _start(self):
        self.position = [1, 4]

        return self.position

    # Move up, right, down or left
    def _step(self, action):
        action = action + 1  # scale action
        terminal = False

        # Move
        if action == 1:
            # Move up
            self.position[1] = min(self.position[1] + 1, 7)
        elif action == 2:
            # Move right
            self.position[0] = min(self.position[0] + 1, 10)
        elif action == 3:
            # Move down
            self.position[1] = max(self.position[1] - 1, 1)
        elif action == 4:
            # Move left
            self.position[0] = max(self.position[0] - 1, 1)
        elif action == 5:
            # Move up-right
            self.position[1] = min(self.position[1] + 1, 7)
            self.position[0] = min(self.position[0] + 1, 10)
        elif action == 6:
            # Move down-right
            self.position[1] = max(self.position[1] - 1, 1)
            self.position[0] = min(self.position[0] + 1, 10)
        elif action == 7:
            # Move down-left
            self.position[1] = max(self.position[1] - 1, 1)
            self.position[0] = max(self.position[0] - 1, 1)
        else:
            # Move up-left
            self.position[1] = min(self.position[1] + 1, 7)
            self.position[0] = max(self.position[0] - 1, 1)

        # Apply wind
        if self.position[0] >= 4 and self.position[0] <= 9:
            self.position[1] = min(self.position[1] + 1, 7)
        if self.position[0] == 7 or self.position[0] == 8:
            self.position[1] = min(self.position[1] + 1, 7)

        # Check if reached goal
        if self.position[0] == 8 and self.position[1] == 4:
            terminal = True

        return -1, self.position, terminal
