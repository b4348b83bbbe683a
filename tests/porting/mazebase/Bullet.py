"""lua/mazebase/Bullet.lua: an item that leaves the map after its lifespan (not used by the ported games)."""
from .MazeItem import MazeItem


class Bullet(MazeItem):
    typename = 'Bullet'

    def __init__(self, attr, maze):
        self.maze = maze
        self.map = maze.map
        self.type = 'Bullet'
        self.name = attr.get('name')
        self.attr = attr
        self.loc = self.attr.get('loc')
        self.nactions = 0
        self.action_names = {}
        self.action_ids = {}
        self.actions = {}
        self.updateable = True
        self.killed = False
        self.lifespan = 0
        self.is_reachable = lambda: True

    def update(self, maze=None):
        if self.lifespan == 0:
            self.killed = True
            self.map.remove_item(self)
        self.lifespan = self.lifespan - 1

    def clone(self):
        attr = {}
        attr['type'] = 'Bullet'
        attr['name'] = self.name
        attr['loc'] = {}
        attr['loc']['x'] = self.attr['loc']['x']
        attr['loc']['y'] = self.attr['loc']['y']
        e = type(self)(attr, self.maze)
        e.killed = self.killed
        e.lifespan = self.lifespan
        return e

    def change_owner(self, maze):
        self.maze = maze
        self.map = maze.map
