"""rlenvs/DynaMaze.lua of Kaixhin/rlenvs (MIT licence), ported line by line. Positions are the Lua's values
(x 1-9, y 1-6); the maze is indexed with them shifted (``{{newY}, {newX}}`` is ``newY - 1:newY, newX - 1:newX``)."""
import legonn as lg

from .Env import Env


class DynaMaze(Env):
    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        super().__init__(opts)

        # Set change: none|blocking|shortcut
        self.change = opts.get('change', 'none')

        # Create blank grid (y, x)
        self.maze = lg.ByteTensor(6, 9).zero()
        # Place blocks
        if self.change == 'none':
            self.maze[2:5, 2:3] = 1
            self.maze[1:2, 5:6] = 1
            self.maze[3:6, 7:8] = 1
        elif self.change == 'blocking':
            self.maze[2:3, 0:8] = 1
        elif self.change == 'shortcut':
            self.maze[2:3, 1:9] = 1

        # Keep internal step counter
        self.counter = 0

    # 2 states returned, of type 'int', of dimensionality 1, where x is 1-9 and y is 1-6
    def getStateSpace(self):
        state = {}
        state['name'] = 'Box'
        state['shape'] = [2]
        state['low'] = [
            1,  # x
            1  # y
        ]
        state['high'] = [
            9,  # x
            6  # y
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
        return 0, 1

    # Reset position
    def _start(self):
        if self.change == 'none':
            self.position = [1, 4]
        else:
            self.position = [4, 1]

        return self.position

    # Move up, right, down or left
    def _step(self, action):
        action = action + 1  # scale action
        reward = 0
        terminal = False

        # Calculate new position
        newX = self.position[0]
        newY = self.position[1]
        if action == 1:
            # Move up
            newY = min(newY + 1, 6)
        elif action == 2:
            # Move right
            newX = min(newX + 1, 9)
        elif action == 3:
            # Move down
            newY = max(newY - 1, 1)
        else:
            # Move left
            newX = max(newX - 1, 1)

        # Move if not blocked
        if self.maze[newY - 1:newY, newX - 1:newX][0][0] == 0:
            self.position[0] = newX
            self.position[1] = newY

        # Check if reached goal
        if newX == 9 and newY == 6:
            reward = 1
            terminal = True

        # Increment counter
        self.counter = self.counter + 1
        # Change environment
        if self.counter == 1000 and self.change == 'blocking':
            # Open up hole in left of wall
            self.maze[2:3, 0:1] = 0
            # Fill up hole on right of wall
            self.maze[2:3, 8:9] = 1
            # Move agent in case it is now on top of wall
            if self.position[0] == 9 and self.position[1] == 3:
                self.position[0] = 4
        elif self.counter == 3000 and self.change == 'shortcut':
            # Open up hole in wall
            self.maze[2:3, 8:9] = 0

        return reward, self.position, terminal
