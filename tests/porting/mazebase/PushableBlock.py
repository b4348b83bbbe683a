"""lua/mazebase/PushableBlock.lua: a block the agent's push actions move one cell (if that cell is free),
applied at the game's update."""
from .MazeItem import MazeItem


class PushableBlock(MazeItem):
    typename = 'PushableBlock'

    def __init__(self, attr, maze):
        self.maze = maze
        self.map = maze.map
        self.name = attr.get('name')
        self.attr = attr
        self.type = 'pushableblock'
        self.attr[0] = 'pushable'
        self.attr[1] = 'block'
        self.loc = self.attr.get('loc')
        self.updateable = True
        self.pushable = True
        self.pushed = False
        self.is_reachable = lambda: False

        def move():
            dx = self.loc['x'] - self.agent_x
            dy = self.loc['y'] - self.agent_y
            assert abs(dx) < 2
            assert abs(dy) < 2
            nx = self.loc['x'] + dx
            ny = self.loc['y'] + dy
            if self.map.is_loc_reachable(ny, nx):
                self.map.remove_item(self)
                self.loc['y'] = ny
                self.loc['x'] = nx
                self.map.add_item(self)
        self.move = move

    def update(self, maze=None):
        if self.pushed is True:
            self.move()
        self.pushed = False

    def clone(self):
        attr = {}
        attr['name'] = self.name
        attr['loc'] = {}
        attr['loc']['x'] = self.attr['loc']['x']
        attr['loc']['y'] = self.attr['loc']['y']
        e = type(self)(attr, self.maze)
        e.updateable = self.updateable
        e.pushable = self.pushable
        e.pushed = self.pushed
        return e

    def change_owner(self, maze):
        self.maze = maze
        self.map = maze.map
