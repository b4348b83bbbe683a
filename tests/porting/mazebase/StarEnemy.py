"""lua/mazebase/StarEnemy.lua: an enemy that, every `speed` updates, moves at random (action_noise) or shoots
the nearest living agent in range (if its cooldown allows) or steps towards it. It borrows MazeAgent's
add_action and move actions."""
import functools
import math
import random

import legonn as lg

from . import shooting_utils as su
from .MazeAgent import MazeAgent
from .MazeItem import MazeItem


class StarEnemy(MazeItem):
    typename = 'StarEnemy'

    def __init__(self, attr, maze):
        self.speed = attr.get('_speed') or 1
        self.maze = maze
        self.cover_map = getattr(maze, 'cover_map', None)
        self.range = attr.get('_range') or 1
        self.map = maze.map
        self.type = 'StarEnemy'
        self.name = attr.get('name')
        self.attr = attr
        self.loc = self.attr.get('loc')
        self.nactions = 0
        self.action_names = {}
        self.action_ids = {}
        self.actions = {}
        self.updateable = True
        self.closest_agent = 0  # index of closest agent
        self.range_closest_agent = 0  # L1 distance to closest agent
        self.can_shoot = True
        self.counter = -1
        self.add_action = functools.partial(MazeAgent.add_action, self)
        MazeAgent.add_move_actions(self)
        self.is_reachable = lambda: True

    def update(self, maze=None):
        if self.health == 0:
            self.killed = True
            self.attr['_invisible'] = True
            return
        self.counter = (self.counter + 1) % self.speed
        if self.counter != 0:
            return
        if self.action_noise > random.random():
            m = lg.random(5)
            self.actions[m](self)
        else:
            rel_total = lg.Tensor(self.maze.nagents)
            rel_x = lg.Tensor(self.maze.nagents)
            rel_y = lg.Tensor(self.maze.nagents)
            for i, agent in enumerate(self.maze.agents):
                rel_x[i] = agent.loc['x'] - self.loc['x']
                rel_y[i] = agent.loc['y'] - self.loc['y']
                rel_total[i] = abs(rel_x[i]) + abs(rel_y[i])
                if agent.health == 0:
                    rel_total[i] = 999  # to prevent enemy homing in on already dead agent
            rel_total_max, ind = lg.min(rel_total, 0)
            self.closest_agent = ind[0]
            self.range_closest_agent = rel_total_max[0]
            ey = self.maze.agents[ind[0]].loc['y']
            ex = self.maze.agents[ind[0]].loc['x']
            sy = self.loc['y']
            sx = self.loc['x']
            ha, l = su.check_hittable(getattr(self.maze, 'cover_map', None), self.range, sy, sx, ey, ex)
            if ha and self.can_shoot and self.cooldown == 0:
                if not getattr(self.maze.map, 'enemy_shots', None):
                    self.maze.map.enemy_shots = []
                self.maze.map.enemy_shots.append(l)
                if random.random() > self.pMiss:
                    agent = self.maze.agents[self.closest_agent]
                    agent.health = max(agent.health - 1, 0)
                self.cooldown = self.cooldown_max + 1
            else:
                # on the agent's cell the Lua divides 0 by 0: NaN, so the comparison is false (porting.md's 0/0 row)
                ratio = abs(rel_x[self.closest_agent]) / self.range_closest_agent if self.range_closest_agent \
                    else math.nan
                if random.random() > ratio:
                    if rel_y[self.closest_agent] > 0:
                        self.actions[self.action_ids['down']](self)
                    else:
                        self.actions[self.action_ids['up']](self)
                else:
                    if rel_x[self.closest_agent] > 0:
                        self.actions[self.action_ids['right']](self)
                    else:
                        self.actions[self.action_ids['left']](self)
        self.cooldown = max(self.cooldown - 1, 0)

    def change_owner(self, maze):
        self.maze = maze
        self.map = maze.map
        self.cover_map = getattr(maze, 'cover_map', None)
