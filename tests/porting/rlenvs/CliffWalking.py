"""rlenvs/CliffWalking.lua of Kaixhin/rlenvs (MIT licence), ported line by line. The position is the state handed
to the agent, ``{x, y}`` from ``{1, 1}`` as in the Lua (values, not indices); the table's fields are ``[0]`` and
``[1]``."""
from .Env import Env


class CliffWalking(Env):
    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        super().__init__(opts)

    # 2 states returned, of type 'int', of dimensionality 1, where x is 1-12 and y is 1-4
    def getStateSpace(self):
        state = {}
        state['name'] = 'Box'
        state['shape'] = [2]
        state['low'] = [
            1,  # x
            1  # y
        ]
        state['high'] = [
            12,  # x
            4  # y
        ]
        return state

    # 1 action required, of type 'int', of dimensionality 1, between 1 and 4 (up|right|down|left)
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        action['n'] = 4
        return action

    # Min and max reward
    def getRewardSpace(self):
        return -100, -1

    # Reset position
    def _start(self):
        self.position = [1, 1]

        return self.position

    # Move up, right, down or left
    def _step(self, action):
        action = action + 1  # scale action
        reward = -1
        terminal = False

        # Move
        if action == 1:
            # Move up
            self.position[1] = min(self.position[1] + 1, 4)
        elif action == 2:
            # Move right
            self.position[0] = min(self.position[0] + 1, 12)
        elif action == 3:
            # Move down
            self.position[1] = max(self.position[1] - 1, 1)
        else:
            # Move left
            self.position[0] = max(self.position[0] - 1, 1)

        # Check if fallen off the cliff
        if self.position[1] == 1:
            if self.position[0] > 1:
                # Fallen off cliff or reached goal
                terminal = True

                if self.position[0] < 12:
                    reward = -100  # Fallen

        return reward, self.position, terminal
