"""lua/mazebase/shooting_utils.lua: Bresenham's line between two cells, whether a target is in range and not
behind cover (check_hittable), and the agents' shoot action (build_shoot_action)."""
import builtins
import random

import legonn as lg


def lua_for(a, b, step):
    # Lua's `for x = a, b, step`: both ends included, a float step allowed, and a step of 0 repeating `a`
    # until the body breaks (Python's range takes none of these)
    x = a
    while step == 0 or (step > 0 and x <= b) or (step < 0 and x >= b):
        yield x
        x = x + step


def bresenham(y0, x0, y1, x1):
    dy = y1 - y0
    dx = x1 - x0
    sdx = 0
    sdy = 0
    if abs(dy) > 0:
        sdy = dy / abs(dy)
    if abs(dx) > 0:
        sdx = dx / abs(dx)
    er = 0
    maxcount = max(abs(dy), abs(dx)) + 1
    line = lg.zeros(maxcount, 2)
    count = 0
    if abs(dx) > 0 and abs(dx) <= abs(dy):
        y = y0
        for x in lua_for(x0, x1, sdx):
            er = er + abs(dy / dx)
            while er > .5:
                er = er - 1
                count = count + 1
                line[count - 1][0] = y
                line[count - 1][1] = x
                y = y + sdy
                if count == maxcount:
                    break
    elif abs(dy) > 0 and abs(dx) > abs(dy):
        x = x0
        for y in lua_for(y0, y1, sdy):
            er = er + abs(dx / dy)
            while er > .5:
                er = er - 1
                count = count + 1
                line[count - 1][0] = y
                line[count - 1][1] = x
                x = x + sdx
                if count == maxcount:
                    break
    elif dy == 0 and abs(dx) > 0:
        for x in lua_for(x0, x1, sdx):
            count = count + 1
            line[count - 1][0] = y0
            line[count - 1][1] = x
            if count == maxcount:
                break
    else:
        for y in lua_for(y0, y1, sdy):
            count = count + 1
            line[count - 1][0] = y
            line[count - 1][1] = x0
            if count == maxcount:
                break
    return line


def check_hittable(map, range, sy, sx, ey, ex):
    rel_x = ex - sx
    rel_y = ey - sy
    line = bresenham(sy, sx, ey, ex)
    range = range or 5000000
    if rel_x ** 2 + rel_y ** 2 > range ** 2:
        return False, line
    if map is not None:
        for s in builtins.range(line.size(0)):  # the parameter `range` hides Python's
            if map[line[s][0]][line[s][1]] == 1:
                return False, line.sub(0, s)
    return True, line



def build_shoot_action(enemyName):
    def shoot_action(self):
        range = getattr(self.maze, 'agent_range', None) or 1
        if self.cooldown == 0:
            enemy = self.maze.item_byname[enemyName]
            if not enemy.killed:  # check it hasn't already been killed
                sx = self.loc['x']
                sy = self.loc['y']
                ex = enemy.loc['x']
                ey = enemy.loc['y']
                ha, l = check_hittable(getattr(self.maze, 'cover_map', None), range, sy, sx, ey, ex)
                if ha:
                    if not getattr(self.map, 'agent_shots', None):
                        self.map.agent_shots = []
                    self.map.agent_shots.append(l)
                    if (random.random() > self.pMiss):
                        enemy.health = max(enemy.health - 1, 0)
            self.cooldown = self.cooldown_max + 1
    return shoot_action
