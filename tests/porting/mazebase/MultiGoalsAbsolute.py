"""lua/mazebase/MultiGoalsAbsolute.lua: MultiGoals with invisible goals whose absolute locations info items
give; a visited goal becomes visible where flag_visited is set."""
import legonn as lg

from . import search
from .MazeBase import MazeBase


class MultiGoalsAbsolute(MazeBase):
    typename = 'MultiGoalsAbsolute'

    def __init__(self, opts, vocab):
        super().__init__(opts, vocab)
        self.goal_cost = self.costs['goal']
        self.costs['goal'] = 0
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
        self.ngoals_active = opts['ngoals_active']
        self.goal_order = lg.randperm(self.ngoals).narrow(0, 0, self.ngoals_active)
        for i in range(opts['ngoals_active']):
            if i > self.ngoals_active - 1:
                self.add_item({'type': 'info'})
            else:
                g = self.goals[self.goal_order[i]]
                self.add_item({'type': 'info', 'name': 'obj' + str(i + 1), 'target': g.name})
        self.goal_reached = 0

    def update(self):
        super().update()
        if self.goal_reached < self.ngoals_active:
            k = self.goal_order[self.goal_reached]
            g = self.goals[k]
            if g.loc['y'] == self.agent.loc['y'] and g.loc['x'] == self.agent.loc['x']:
                self.goal_reached = self.goal_reached + 1
                if self.flag_visited == 1:
                    g.attr['visited'] = 'visited'
                    g.attr['_invisible'] = False
                if self.goal_reached == self.ngoals_active:
                    self.finished = True

    def get_reward(self, is_last=None):
        if self.finished:
            return -self.goal_cost
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
        ans = lg.zeros(self.ngoals_active * H * W)
        rew = lg.zeros(self.ngoals_active * H * W)
        for s in range(self.goal_order.size(0)):
            gid = self.goal_order[s]
            dh = self.items_bytype['goal'][gid].loc['y']
            dw = self.items_bytype['goal'][gid].loc['x']
            acount = self.search_move_and_update(dh, dw, X, ans, rew, acount)[0]
            if self.crumb_action == 1:
                acount = acount + 1
                X[acount - 1] = self.to_sentence()
                ans[acount - 1] = self.agent.action_ids['breadcrumb']
                self.act(ans[acount - 1])
                self.update()
                rew[acount - 1] = self.get_reward()
        if acount == 0:
            ans = None
            rew = 0
        else:
            ans = ans.narrow(0, 0, acount)
            rew = rew.narrow(0, 0, acount)
        return X, ans, rew
