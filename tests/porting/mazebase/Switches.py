"""lua/mazebase/Switches.lua: toggle every switch to one colour (the info item's target: 'same', or an explicit
colour); the supervision walks to the nearest untoggled switch and toggles it."""
import legonn as lg

from . import search
from .MazeBase import MazeBase


class Switches(MazeBase):
    typename = 'Switches'

    def __init__(self, opts, vocab):
        super().__init__(opts, vocab)
        self.nswitches = opts.get('nswitches') or 1
        self.ncolors = opts.get('ncolors') or 2
        if not opts.get('explicit'):
            self.explicit = False
        else:
            self.explicit = opts['explicit']
        self.add_default_items()
        for i in range(self.nswitches):
            c = lg.random(self.ncolors) + 1
            self.place_item_rand({'type': 'switch', '_c': c, 'color': 'color' + str(c), '_cn': self.ncolors})
        self.target_color = -1
        clr_str = 'same'
        if self.explicit:
            self.target_color = lg.random(self.ncolors) + 1
            clr_str = 'color' + str(self.target_color)
        attr = {'type': 'info',
                'task': 'task',
                'what': 'switch',
                'color': 'color',
                'target': clr_str}
        self.add_item(attr)

    def update(self):
        super().update()
        if not self.explicit:
            c = None
        else:
            c = self.target_color
        self.finished = True
        for s in self.items_bytype['switch']:
            if c is not None and c != s.attr['_c']:
                self.finished = False
            if not self.explicit:
                c = s.attr['_c']

    def get_reward(self, is_last=None):
        if self.finished:
            return -self.costs['goal']
        else:
            return super().get_reward()

    def get_supervision(self):
        X = {}
        H = self.map.height
        W = self.map.width
        ans = lg.zeros(H * W * self.nswitches)
        rew = lg.zeros(H * W * self.nswitches)
        if not getattr(self, 'ds', None):
            ds = search
            self.ds = ds
        self.flatten_cost_map()
        pcount = 0
        sh = self.agent.loc['y']
        sw = self.agent.loc['x']
        toggled = lg.zeros(self.nswitches)
        dists = lg.zeros(self.nswitches)
        for i, j in enumerate(self.items_bytype['switch']):
            dists[i] = (j.loc['y'] - sh) ** 2 + (j.loc['x'] - sw) ** 2
        dv, dl = dists.max(0)
        dl = dl[0]
        cl = self.items_bytype['switch'][dl].attr['_c']
        if self.explicit:
            cl = self.target_color
        for s in range(self.nswitches):
            if self.items_bytype['switch'][s].attr['_c'] == cl:
                toggled[s] = 1
        acount = 0
        passable = True
        while toggled.min() < 1:
            sl = self.nearest_untoggled(toggled)
            target_switch = self.items_bytype['switch'][sl]
            dh = target_switch.loc['y']
            dw = target_switch.loc['x']
            acount, passable = self.search_move_and_update(dh, dw, X, ans, rew, acount)
            if not passable:
                acount = 1
                X = {}
                X[acount - 1] = self.to_sentence()
                ans[acount - 1] = self.agent.action_ids['stop']
                rew[acount - 1] = self.get_reward()
                ans = ans.narrow(0, 0, acount)
                rew = rew.narrow(0, 0, acount)
                return X, ans, rew
            while target_switch.attr['_c'] != cl:
                acount = acount + 1
                X[acount - 1] = self.to_sentence()
                ans[acount - 1] = self.agent.action_ids['toggle']
                self.act(ans[acount - 1])
                self.update()
                rew[acount - 1] = self.get_reward()
            toggled[sl] = 1
        if acount == 0:
            ans = None
            rew = 0
        else:
            ans = ans.narrow(0, 0, acount)
            rew = rew.narrow(0, 0, acount)
        return X, ans, rew

    def nearest_untoggled(self, toggled):
        sh = self.agent.loc['y']
        sw = self.agent.loc['x']
        dists = lg.ones(self.nswitches).mul(10000)
        for t in range(self.nswitches):
            if toggled[t] == 0:
                dh = self.items_bytype['switch'][t].loc['y']
                dw = self.items_bytype['switch'][t].loc['x']
                dists[t] = (dh - sh) ** 2 + (dw - sw) ** 2
        md, cswitch = dists.min(0)
        cswitch = cswitch[0]
        return cswitch
