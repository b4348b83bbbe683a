"""lua/mazebase/LightKey.lua: a wall across the map with one coloured door, open only while the switch has the
door's colour; the goal may lie behind it. The agent starts on the switch's side."""
import legonn as lg

from . import search
from .MazeBase import MazeBase


class LightKey(MazeBase):
    typename = 'LightKey'

    def __init__(self, opts, vocab):
        super().__init__(opts, vocab)
        self.nswitches = 1
        self.ngoals = 1
        self.ncolors = opts.get('ncolors') or 2
        self.place_wall()
        for i in range(self.nswitches):
            c = lg.random(self.ncolors) + 1
            self.place_item_rand({'type': 'switch', '_c': c, 'color': 'color' + str(c), '_cn': self.ncolors})
            self.update_door(c)
        for i in range(self.ngoals):
            self.place_item_rand({'type': 'goal', 'name': 'goal' + str(i + 1)})
        sh = self.items_bytype['switch'][0].loc['y']
        sw = self.items_bytype['switch'][0].loc['x']
        for i in range(1, 101):
            if self.orientation == 1:
                if sh < self.wall_position:
                    ah = lg.random(0, self.wall_position)
                else:
                    k = self.map.height - 1 - self.wall_position
                    ah = lg.random(1, k + 1) + self.wall_position
                aw = lg.random(self.map.width)
            else:
                if sw < self.wall_position:
                    aw = lg.random(0, self.wall_position)
                else:
                    k = self.map.width - 1 - self.wall_position
                    aw = lg.random(1, k + 1) + self.wall_position
                ah = lg.random(self.map.height)
            if len(self.map.items[ah][aw]) == 0:
                break
            if i == 100:
                raise RuntimeError('failed to place agent')
        self.agent = self.place_item({'type': 'agent', 'name': 'agent1'}, ah, aw)
        self.agents = [self.agent]
        self.add_default_items()

        def toggle(agent):
            l = agent.map.items[agent.loc['y']][agent.loc['x']]
            for e in l:
                if e.type == 'switch':
                    c = e.attr['_c']
                    c = (c % e.attr['_cn']) + 1
                    e.attr['_c'] = c
                    e.attr['color'] = 'color' + str(c)
                    self.update_door(c)
        self.agent.add_action('toggle', toggle)
        self.goals = self.items_bytype['goal']
        self.ngoals_active = 1
        g = self.goals[0]
        self.add_item({'type': 'info', 'name': 'obj' + str(1), 'target': g.name})
        self.goal_reached = 0
        self.finish_by_goal = True

    def update_door(self, c):
        for t in self.items_bytype['door']:
            if t.attr['_c'] == c:
                t.attr['open'] = 'open'
                if getattr(self, 'cmap', None) is not None:
                    self.cmap[t.attr['loc']['y']][t.attr['loc']['x']] = self.costs['step']
            else:
                if getattr(self, 'cmap', None) is not None:
                    self.cmap[t.attr['loc']['y']][t.attr['loc']['x']] = self.costs['block']
                t.attr['open'] = 'closed'

    def place_wall(self):
        orientation = lg.round(lg.uniform())
        self.orientation = orientation
        H = self.map.height
        W = self.map.width
        if orientation == 1:
            h = lg.random(H - 2) + 1
            dloc = lg.random(W)
            if self.enable_boundary == 1:
                h = lg.random(H - 4) + 2
                dloc = lg.random(W - 2) + 1
            self.wall_position = h
            for t in range(W):
                if t == dloc:
                    dc = lg.random(self.ncolors) + 1
                    attr = {'type': 'door', '_c': dc, 'color': 'color' + str(dc)}
                    self.place_item(attr, h, t)
                else:
                    self.place_item({'type': 'block'}, h, t)
                    self.nblocks = max(0, self.nblocks - 1)
        else:
            w = lg.random(W - 2) + 1
            dloc = lg.random(H)
            if self.enable_boundary == 1:
                w = lg.random(W - 4) + 2
                dloc = lg.random(H - 2) + 1
            self.wall_position = w
            for t in range(H):
                if t == dloc:
                    dc = lg.random(self.ncolors) + 1
                    attr = {'type': 'door', '_c': dc, 'color': 'color' + str(dc)}
                    self.place_item(attr, t, w)
                else:
                    self.place_item({'type': 'block'}, t, w)
                    self.nblocks = max(0, self.nblocks - 1)

    def get_supervision(self):
        if not getattr(self, 'ds', None):
            ds = search
            self.ds = ds
        self.flatten_cost_map()
        pcount = 0
        H = self.map.height
        W = self.map.width
        X = {}
        ans = lg.zeros(H * W * 3)
        rew = lg.zeros(H * W * 3)
        sh = self.agent.loc['y']
        sw = self.agent.loc['x']
        gh = self.items_bytype['goal'][0].loc['y']
        gw = self.items_bytype['goal'][0].loc['x']
        dist, prev = self.ds.dsearch(self.cmap, sh, sw, gh, gw)
        acount = 0
        passable = True
        if dist < self.costs['block']:
            acount = self.search_move_and_update(gh, gw, X, ans, rew, acount)[0]
        else:
            kh = self.items_bytype['switch'][0].loc['y']
            kw = self.items_bytype['switch'][0].loc['x']
            acount, passable = self.search_move_and_update(kh, kw, X, ans, rew, acount)
            if not passable:
                return self.quick_return_not_passable()
            cl = self.items_bytype['door'][0].attr['_c']
            while self.items_bytype['switch'][0].attr['_c'] != cl:
                acount = acount + 1
                X[acount - 1] = self.to_sentence()
                ans[acount - 1] = self.agent.action_ids['toggle']
                self.act(ans[acount - 1])
                self.update()
                rew[acount - 1] = self.get_reward()
            dh = self.items_bytype['door'][0].loc['y']
            dw = self.items_bytype['door'][0].loc['x']
            acount, passable = self.search_move_and_update(dh, dw, X, ans, rew, acount)
            if not passable:
                return self.quick_return_not_passable()
            gh = self.items_bytype['goal'][0].loc['y']
            gw = self.items_bytype['goal'][0].loc['x']
            acount, passable = self.search_move_and_update(gh, gw, X, ans, rew, acount)
            if not passable:
                return self.quick_return_not_passable()
        if acount == 0:
            ans = None
            rew = 0
        else:
            ans = ans.narrow(0, 0, acount)
            rew = rew.narrow(0, 0, acount)
        return X, ans, rew

    def quick_return_not_passable(self):
        acount = 1
        ans = lg.Tensor(1)
        rew = lg.Tensor(1)
        X = {}
        X[acount - 1] = self.to_sentence()
        ans[acount - 1] = self.agent.action_ids['stop']
        rew[acount - 1] = self.get_reward()
        return X, ans, rew
