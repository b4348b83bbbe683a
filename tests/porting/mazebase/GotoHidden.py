"""lua/mazebase/GotoHidden.lua: invisible goals whose absolute locations info items give; go to the one the
last info item names (a wrong goal costs bad_goal_cost)."""
import legonn as lg

from . import search
from .MazeBase import MazeBase


class GotoHidden(MazeBase):
    typename = 'GotoHidden'

    def __init__(self, opts, vocab):
        self.setOpts(opts, vocab)

    def setOpts(self, opts, vocab):
        MazeBase.__init__(self, opts, vocab)
        self.goal_cost = self.costs['goal']
        self.costs['goal'] = 0
        self.bad_goal_cost = opts.get('bad_goal_cost') or 0
        self.nswitches = opts.get('nswitches') or 0
        self.ncolors = opts.get('ncolors') or 1
        assert self.ngoals > 0
        self.add_default_items()
        for i in range(self.ngoals):
            e = self.place_item_rand({'type': 'goal', 'name': 'goal' + str(i + 1), '_invisible': True})
            destination = 'ay' + str(e.loc['y']) + 'x' + str(e.loc['x'])
            attr = {'type': 'info'}
            attr[0] = 'goal' + str(i + 1)
            attr[1] = 'at'
            attr[2] = 'absolute'
            attr[3] = destination
            self.add_item(attr)
        self.goals = self.items_bytype['goal']
        self.true_goal = lg.random(self.ngoals)
        attr = {'type': 'info'}
        attr[0] = 'go'
        attr[1] = 'goal' + str(self.true_goal + 1)
        self.add_item(attr)
        for i in range(self.nswitches):
            c = lg.random(self.ncolors) + 1
            self.place_item_rand({'type': 'switch', '_c': c, 'color': 'color' + str(c), '_cn': self.ncolors})
            self.switch_color = c
        self.goal_reached = 0

    def update(self):
        super().update()
        g = self.goals[self.true_goal]
        if g.loc['y'] == self.agent.loc['y'] and g.loc['x'] == self.agent.loc['x']:
            self.goal_reached = 1
            self.finished = True

    def get_reward(self, is_last=None):
        badgoal = False
        for s in range(self.ngoals):
            if s != self.true_goal:
                g = self.goals[s]
                if g.loc['y'] == self.agent.loc['y'] and g.loc['x'] == self.agent.loc['x']:
                    badgoal = True
        if self.finished:
            return -self.goal_cost
        elif badgoal:
            return super().get_reward() - self.bad_goal_cost
        else:
            return super().get_reward()

    def get_supervision(self):
        if not getattr(self, 'ds', None):
            ds = search
            self.ds = ds
        self.flatten_cost_map()
        acount = 0
        H = self.map.height
        W = self.map.width
        X = {}
        ans = lg.zeros(H * W)
        rew = lg.zeros(H * W)
        gid = self.true_goal
        dh = self.items_bytype['goal'][gid].loc['y']
        dw = self.items_bytype['goal'][gid].loc['x']
        acount = self.search_move_and_update(dh, dw, X, ans, rew, acount)[0]
        if acount == 0:
            ans = None
            rew = 0
        else:
            ans = ans.narrow(0, 0, acount)
            rew = rew.narrow(0, 0, acount)
        return X, ans, rew
