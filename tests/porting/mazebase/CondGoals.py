"""lua/mazebase/CondGoals.lua: one switch; the info items say which goal to reach for each switch colour
('if switch color<s> goal<n>'); another goal costs bad_goal_cost."""
import legonn as lg

from . import search
from .MazeBase import MazeBase


class CondGoals(MazeBase):
    typename = 'CondGoals'

    def __init__(self, opts, vocab):
        self.setOpts(opts, vocab)

    def setOpts(self, opts, vocab):
        MazeBase.__init__(self, opts, vocab)
        self.goal_cost = self.costs['goal']
        self.costs['goal'] = 0
        self.bad_goal_cost = opts.get('bad_goal_cost') or .2
        self.nswitches = 1
        self.ncolors = opts.get('ncolors') or 2
        assert self.ngoals > 0
        self.add_default_items()
        for i in range(self.ngoals):
            self.place_item_rand({'type': 'goal', 'name': 'goal' + str(i + 1)})
        for i in range(self.nswitches):  # fixed at 1 for now
            c = lg.random(self.ncolors) + 1
            self.place_item_rand({'type': 'switch', '_c': c, 'color': 'color' + str(c), '_cn': self.ncolors})
            self.switch_color = c
        self.goals = self.items_bytype['goal']
        self.ngoals_active = 1
        for s in range(1, self.ncolors + 1):
            gn = lg.random(self.ngoals)
            attr = {'type': 'info',
                    'conditional': 'if',
                    'predicate': 'switch',
                    'color': 'color' + str(s),
                    'target': 'goal' + str(gn + 1)}
            self.add_item(attr)
            if s == self.switch_color:
                self.cond_goal = gn
        self.goal_reached = 0

    def update(self):
        super().update()
        g = self.goals[self.cond_goal]
        if g.loc['y'] == self.agent.loc['y'] and g.loc['x'] == self.agent.loc['x']:
            self.goal_reached = 1
            self.finished = True

    def get_reward(self, is_last=None):
        badgoal = False
        for s in range(self.ngoals):
            if s != self.cond_goal:
                g = self.goals[s]
                if g.loc['y'] == self.agent.loc['y'] and g.loc['x'] == self.agent.loc['x']:
                    badgoal = True
        if self.finished:
            return -self.goal_cost
        elif badgoal:
            return -self.bad_goal_cost
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
        gid = self.cond_goal
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
