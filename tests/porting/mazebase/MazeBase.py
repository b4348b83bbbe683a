"""lua/mazebase/MazeBase.lua: the game base class (items by id, type and name; the boundary, blocks, water,
corners and agents; act/update; the symbolic encodings to_sentence, to_map, to_map_onehot; the step/item
costs as negative rewards; the cost map and the shortest-path supervision)."""
import math

import legonn as lg

from . import search
from .MazeAgent import MazeAgent
from .MazeItem import MazeItem
from .MazeMap import MazeMap


class MazeBase:
    typename = 'MazeBase'

    def __init__(self, opts, vocab):
        self.map = MazeMap(opts)
        self.max_attributes = opts.get('max_attributes')
        self.vocab = vocab
        self.nwords = 0
        for i in self.vocab:
            self.nwords = self.nwords + 1
        self.conv_sz = opts.get('conv_sz') or 19  # 10 * 2 - 1
        self.has_supervision = True
        self.t = 0
        self.costs = {}
        self.push_action = opts.get('push_action')
        self.crumb_action = opts.get('crumb_action')
        self.flag_visited = opts.get('flag_visited')
        self.enable_boundary = opts.get('enable_boundary')
        self.enable_corners = opts.get('enable_corners')

        self.items = []
        self.items_bytype = {}
        self.item_byname = {}
        self.agent = None

        if self.enable_boundary == 1:
            self.add_boundary()

        for i, j in opts['costs'].items():
            self.costs[i] = j

        self.ngoals = opts.get('ngoals') or 1
        self.nagents = opts.get('nagents') or 1
        self.nblocks = opts.get('nblocks') or 0
        self.nwater = opts.get('nwater') or 0
        self.finished = False
        self.finish_by_goal = False

    def add_boundary(self):
        for x in range(self.map.width):
            self.place_item({'type': 'block'}, 0, x)
            self.place_item({'type': 'block'}, self.map.height - 1, x)
        for y in range(1, self.map.height - 1):
            self.place_item({'type': 'block'}, y, 0)
            self.place_item({'type': 'block'}, y, self.map.width - 1)

    def add_default_items(self):
        for i in range(self.nblocks):
            self.place_item_rand({'type': 'block'})
        for i in range(self.nwater):
            e = self.place_item_rand({'type': 'water'})
        if self.enable_corners == 1:
            H = self.map.height
            W = self.map.width
            self.place_item({'type': 'corner', '_immaterial': True}, 0, 0)
            self.place_item({'type': 'corner', '_immaterial': True}, H - 1, 0)
            self.place_item({'type': 'corner', '_immaterial': True}, 0, W - 1)
            self.place_item({'type': 'corner', '_immaterial': True}, H - 1, W - 1)

        if self.agent is None:
            self.agents = []
            for i in range(self.nagents):
                self.agents.append(self.place_item_rand({'type': 'agent', 'name': 'agent' + str(i + 1)}))
            self.agent = self.agents[0]

    def add_prebuilt_item(self, e):
        e.id = len(self.items)
        self.items.append(e)
        if not self.items_bytype.get(e.type):
            self.items_bytype[e.type] = []
        self.items_bytype[e.type].append(e)
        if e.name:
            self.item_byname[e.name] = e
        if e.loc:
            self.map.add_item(e)
        return e

    def add_item(self, attr):
        if attr.get('_factory'):
            e = attr['_factory'](attr, self)
        else:
            if attr.get('type') == 'agent':
                e = MazeAgent(attr, self)
            else:
                e = MazeItem(attr)
        self.add_prebuilt_item(e)
        return e

    def place_item(self, attr, y, x):
        attr['loc'] = {'y': y, 'x': x}
        return self.add_item(attr)

    def place_item_rand(self, attr):
        y, x = self.map.get_empty_loc()
        return self.place_item(attr, y, x)

    def remove(self, item, l):
        for i in range(len(l)):
            if l[i] == item:
                l.pop(i)
                break

    def remove_item(self, item):
        if item.loc:
            self.map.remove_item(item)
        if item.type:
            self.remove(item, self.items_bytype[item.type])
        if item.name:
            self.item_byname.pop(item.name, None)
        self.remove(item, self.items)

    def remove_bytype(self, type):
        l = self.items_bytype[type]
        r = []
        for i in range(len(l)):
            r.append(l[i])
        for i in range(len(r)):
            self.remove_item(r[i])

    def act(self, action):
        self.agent.act(action)

    def update(self):
        self.t = self.t + 1
        for i in range(len(self.items)):
            if getattr(self.items[i], 'updateable', None):
                self.items[i].update(self)
        if self.finish_by_goal:
            items = self.map.items[self.agent.loc['y']][self.agent.loc['x']]
            for i in range(len(items)):
                if items[i].type == 'goal':
                    self.finished = True

    def to_sentence_item(self, e, sentence):
        s = e.to_sentence(self.agent.loc['y'], self.agent.loc['x'])
        for i in range(len(s)):
            sentence[i] = self.vocab[s[i]]

    def to_sentence(self, sentence=None):
        count = 0
        sentence = sentence if sentence is not None else lg.Tensor(len(self.items), self.max_attributes).fill(
            self.vocab['nil'])
        for i in range(len(self.items)):
            if not self.items[i].attr.get('_invisible'):
                count = count + 1
                if count > sentence.size(0):
                    raise RuntimeError('increase memsize!')
                self.to_sentence_item(self.items[i], sentence[count - 1])
        return sentence

    def to_map(self):
        map = lg.Tensor(self.map.height * 2 - 1, self.map.width * 2 - 1, self.max_attributes)
        map.fill(self.vocab['nil'])
        for y in range(self.map.height):
            for x in range(self.map.width):
                c = 0
                dy = y - self.agent.loc['y'] + self.map.height - 1
                dx = x - self.agent.loc['x'] + self.map.width - 1
                for e in self.map.items[y][x]:
                    s = e.to_sentence(0, 0, True)
                    for i in range(len(s)):
                        map[dy][dx][c] = self.vocab[s[i]]
                        c = c + 1
        return map

    def to_map_onehot(self, sentence):
        count = 0
        c = 0
        for e in self.items:
            if not e.attr.get('_invisible'):
                tofar = False
                if e.loc:
                    dy = e.loc['y'] - self.agent.loc['y'] + math.ceil(self.conv_sz / 2) - 1
                    dx = e.loc['x'] - self.agent.loc['x'] + math.ceil(self.conv_sz / 2) - 1
                    if dx > self.conv_sz - 1 or dy > self.conv_sz - 1 or dx < 0 or dy < 0:
                        tofar = True
                    d = dy * self.conv_sz + dx
                else:
                    c = c + 1
                    d = self.conv_sz * self.conv_sz + c - 1
                if not tofar:
                    s = e.to_sentence(0, 0, True)
                    for i in range(len(s)):
                        count = count + 1
                        if count > sentence.size(0):
                            raise RuntimeError('increase memsize!')
                        sentence[count - 1] = self.vocab[s[i]] + d * self.nwords

    def get_reward(self, is_last=None):
        items = self.map.items[self.agent.loc['y']][self.agent.loc['x']]
        reward = -self.costs['step']
        for i in range(len(items)):
            if items[i].type != 'agent':
                r = self.costs.get(items[i].type)
                if r is not None:
                    reward = reward - r
        return reward

    def is_active(self):
        return (not self.finished)

    def is_success(self):
        if self.is_active():
            return False
        else:
            return True

    def flatten_cost_map(self):
        H = self.map.height
        W = self.map.width
        self.cmap = lg.ones(H, W).mul(self.costs['step'])
        for j in self.items:
            btype = j.type
            if j.type == 'door':
                if j.attr.get('open') == 'closed':
                    btype = 'block'
            c = self.costs.get(btype)
            if c:
                y = j.loc['y']
                x = j.loc['x']
                self.cmap[y][x] = max(c, self.cmap[y][x])

    def search_move_and_update(self, dh, dw, X, ans, rew, acount):
        if not getattr(self, 'ds', None):
            ds = search
            self.ds = ds
        if getattr(self, 'cmap', None) is None:
            self.flatten_cost_map()
        sh = self.agent.loc['y']
        sw = self.agent.loc['x']
        if sh == dh and sw == dw:
            return acount, True
        dist, prev = self.ds.dsearch(self.cmap, sh, sw, dh, dw)
        if dist > 800:
            return acount, False
        path = self.ds.backtrack(sh, sw, dh, dw, prev)
        pl = path.size(0) - 1
        for t in range(pl):
            acount = acount + 1
            dy = path[t + 1][0] - path[t][0]
            dx = path[t + 1][1] - path[t][1]
            ans[acount - 1] = self.d2a(dy, dx)
            X[acount - 1] = self.to_sentence()
            self.act(int(ans[acount - 1]))
            self.update()
            rew[acount - 1] = self.get_reward()
        return acount, True

    def d2a(self, dy, dx):
        lact = None
        if dy < 0:
            lact = 'up'
        elif dy > 0:
            lact = 'down'
        elif dx > 0:
            lact = 'right'
        elif dx < 0:
            lact = 'left'
        return self.agent.action_ids[lact]
