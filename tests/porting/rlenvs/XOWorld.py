"""rlenvs/XOWorld.lua of Kaixhin/rlenvs (MIT licence), ported line by line (rectangular bounding-box collision
checking). Object and player coordinates are the Lua's 1-based pixel positions; every screen range
``{y, y + n - 1}`` is the slice ``y - 1:y + n - 1``. The collided object's list position is 0-based, so
``if crossCollisionIndex then`` is ``is not None`` (0 is a position)."""
import legonn as lg

from .Env import Env


class XOWorld(Env):
    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        super().__init__(opts)

        # Game mode (all circles, negative, or circles and crosses, negative and positive)
        self.double = opts.get('double', False)
        # Random or static positions
        self.random = opts.get('random', False)

        # Width and height
        self.size = 84
        self.screen = lg.Tensor(1, self.size, self.size).fill(1)
        self.collisions = lg.Tensor(1, self.size, self.size).fill(0)

        # Timer
        self.time = 1
        self.timespan = 100  # Number of steps per episode
        # Training flag
        self.trainingFlag = True

        # Object masks (inverse)
        # Player (plus)
        self.player = lg.Tensor([[0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0],
                               [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0],
                               [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0],
                               [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0],
                               [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                               [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                               [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                               [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                               [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0],
                               [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0],
                               [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0],
                               [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]])
        # Positive reward (cross)
        self.cross = lg.Tensor([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                              [1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1],
                              [0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0],
                              [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0],
                              [0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0],
                              [0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0],
                              [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0],
                              [0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0],
                              [1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1],
                              [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                              [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
        # Negative reward (circle)
        self.circle = lg.Tensor([[0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0],
                               [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0],
                               [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                               [1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1],
                               [1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1],
                               [1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1],
                               [1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1],
                               [1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1],
                               [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                               [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0],
                               [0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0]])
        # Object sizes
        self.playerSize = 12
        self.objectSize = 11
        self.randomInitSize = 13
        self.playerBox = lg.Tensor([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
        self.objectBox = lg.Tensor([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                                  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
        # Object lists
        self.crosses = []
        self.circles = []

        # Co-ordinates
        self.y = 36
        self.x = 36
        # Static object positions
        self.staticCoords = [[7, 7], [7, 27], [7, 47], [7, 67],
                             [27, 7], [27, 27], [27, 47], [27, 67],
                             [47, 7], [47, 27], [47, 47], [47, 67],
                             [67, 7], [67, 27], [67, 47], [67, 67]]

    # 1 state returned, of type 'real', of dimensionality 3 x 210 x 160, between 0 and 1
    def getStateSpace(self):
        state = {}
        state['name'] = 'Box'
        state['shape'] = [1, self.size, self.size]
        state['low'] = [
            0
        ]
        state['high'] = [
            1
        ]
        return state

    # 1 action required, of type 'int', of dimensionality 1, between 0 and 3
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        action['n'] = 4
        return action

    # RGB screen of size self.size x self.size
    def getDisplaySpec(self):
        return ['real', [3, self.size, self.size], [0, 1]]

    # Min and max reward
    def getRewardSpace(self):
        return -10, 10

    # Redraws screen based on state and performs collision detection
    def update(self):
        reward = 0
        crossCollisionIndex, circleCollisionIndex = None, None
        ps, os = self.playerSize, self.objectSize

        # Reset screen
        self.screen.fill(1)
        self.collisions.fill(0)
        # Draw player
        self.screen[:, self.y - 1:self.y + ps - 1, self.x - 1:self.x + ps - 1].csub(self.player)
        self.collisions[:, self.y - 1:self.y + ps - 1, self.x - 1:self.x + ps - 1].add(self.playerBox)
        # Draw objects
        for i in range(len(self.crosses)):
            c = self.crosses[i]
            self.collisions[:, c['y'] - 1:c['y'] + os - 1, c['x'] - 1:c['x'] + os - 1].add(self.objectBox)
            # Collision check
            if self.collisions.eq(2).sum() > 0:
                # Undo collision addition
                self.collisions[:, c['y'] - 1:c['y'] + os - 1, c['x'] - 1:c['x'] + os - 1].csub(self.objectBox)
                # Save index of collided object
                crossCollisionIndex = i
                # Update reward
                reward = 10
                # Update counter
                if not self.trainingFlag:
                    self.posCounter = self.posCounter + 1
            else:
                # Add (subtract) object to screen
                self.screen[:, c['y'] - 1:c['y'] + os - 1, c['x'] - 1:c['x'] + os - 1].csub(self.cross)
        for i in range(len(self.circles)):
            c = self.circles[i]
            self.collisions[:, c['y'] - 1:c['y'] + os - 1, c['x'] - 1:c['x'] + os - 1].add(self.objectBox)
            # Collision check
            if self.collisions.eq(2).sum() > 0:
                # Undo collision addition
                self.collisions[:, c['y'] - 1:c['y'] + os - 1, c['x'] - 1:c['x'] + os - 1].csub(self.objectBox)
                # Save index of collided object
                circleCollisionIndex = i
                # Update reward
                reward = -10
                # Update counter
                if not self.trainingFlag:
                    self.negCounter = self.negCounter + 1
            else:
                # Add (subtract) object to screen
                self.screen[:, c['y'] - 1:c['y'] + os - 1, c['x'] - 1:c['x'] + os - 1].csub(self.circle)

        # Clip screen (as objects can overlap)
        self.screen.clamp(0, 1)

        # Remove collided objects
        if crossCollisionIndex is not None:
            del self.crosses[crossCollisionIndex]
        if circleCollisionIndex is not None:
            del self.circles[circleCollisionIndex]

        return reward

    # Starts new game
    def _start(self):
        # Reset time
        self.time = 1

        # Reset player
        self.y = 36
        self.x = 36

        # Reset objects
        self.crosses = []
        self.circles = []
        # Add objects
        if self.random:
            rs = self.randomInitSize
            # Reset collisions
            self.collisions.fill(0)
            # Draw player (for collision detection)
            self.collisions[:, self.y - 2:self.y + self.playerSize - 1, self.x - 2:self.x + self.playerSize - 1].add(1)  # randomInitSize "hard-coded"

            for i in range(1, 15):
                coords = []
                collision = True
                while collision:
                    # torch.random(1, n) includes n; lg.random(1, n + 1) stops before n + 1
                    coords = [lg.random(1, self.size - self.randomInitSize + 1), lg.random(1, self.size - self.randomInitSize + 1)]
                    # Attempt to add object and do object collision - add if successful for next round of collision detection
                    if self.double:
                        if i % 2 == 0:
                            if (self.collisions[:, coords[1] - 1:coords[1] + rs - 1, coords[0] - 1:coords[0] + rs - 1] + 1).eq(2).sum() == 0:
                                self.collisions[:, coords[1] - 1:coords[1] + rs - 1, coords[0] - 1:coords[0] + rs - 1].add(1)
                                collision = False
                                self.crosses.append({'x': coords[0] + 1, 'y': coords[1] + 1})  # More central
                        else:
                            if (self.collisions[:, coords[1] - 1:coords[1] + rs - 1, coords[0] - 1:coords[0] + rs - 1] + 1).eq(2).sum() == 0:
                                self.collisions[:, coords[1] - 1:coords[1] + rs - 1, coords[0] - 1:coords[0] + rs - 1].add(1)
                                collision = False
                                self.circles.append({'x': coords[0] + 1, 'y': coords[1] + 1})
                    else:
                        if (self.collisions[:, coords[1] - 1:coords[1] + rs - 1, coords[0] - 1:coords[0] + rs - 1] + 1).eq(2).sum() == 0:
                            self.collisions[:, coords[1] - 1:coords[1] + rs - 1, coords[0] - 1:coords[0] + rs - 1].add(1)
                            collision = False
                            self.circles.append({'x': coords[0] + 1, 'y': coords[1] + 1})
        else:
            for i in range(len(self.staticCoords)):
                if self.double:
                    if i == 1 or i == 3 or i == 4 or i == 6 or i == 9 or i == 11 or i == 12 or i == 14:
                        self.crosses.append({'x': self.staticCoords[i][1], 'y': self.staticCoords[i][0]})
                    else:
                        self.circles.append({'x': self.staticCoords[i][1], 'y': self.staticCoords[i][0]})
                else:
                    self.circles.append({'x': self.staticCoords[i][1], 'y': self.staticCoords[i][0]})

        # Redraw screen
        self.update()

        # Return observation
        return self.screen

    # Steps in a game
    def _step(self, action):
        # Move player
        if action == 0:
            self.x = max(self.x - 1, 1)
        elif action == 1:
            self.x = min(self.x + 1, self.size - self.playerSize + 1)
        elif action == 2:
            self.y = max(self.y - 1, 1)
        else:
            self.y = min(self.y + 1, self.size - self.playerSize + 1)

        # Redraw screen and get reward from collision detection
        reward = self.update()

        # Increase timer and check terminal
        self.time = self.time + 1
        terminal = self.time == self.timespan

        return reward, self.screen, terminal

    # Returns (RGB) display of screen
    def getDisplay(self):
        return lg.repeatTensor(self.screen, 3, 1, 1)

    # Changes timespan for training
    def training(self):
        self.trainingFlag = True
        self.timespan = 100

    # Changes timespan for evaluation
    def evaluate(self):
        self.trainingFlag = False
        self.timespan = 200
