"""lua/mazebase/Exclusion.lua: visit all goals except those the 'avoid' info items name; stepping on one of
those costs Exclusion_wrong_goal_cost."""
import legonn as lg

from . import search
from .MazeBase import MazeBase


class Exclusion(MazeBase):
    typename = 'Exclusion'

    def __init__(self, opts, vocab):
        super().__init__(opts, vocab)
        self.goal_cost = self.costs['goal']
        self.costs['goal'] = 0
        self.wrong_goal_cost = opts.get('Exclusion_wrong_goal_cost') or .5
        assert self.ngoals > 0
        self.add_default_items()
        for i in range(self.ngoals):
            self.place_item_rand({'type': 'goal', 'name': 'goal' + str(i + 1)})
        self.goals = self.items_bytype['goal']
        self.ngoals_active = opts['ngoals_active']
        self.visited = lg.zeros(self.ngoals)
        self.goal_order = lg.randperm(self.ngoals)
        self.add_item({'type': 'info', 'visit': 'visit', 'target': 'all', 'excluding': 'excluding'})
        for i in range(opts['ngoals_active'], opts['ngoals']):
            g = self.goals[self.goal_order[i]]
            self.add_item({'type': 'info', 'avoid': 'avoid', 'target': g.name})

    def update(self):
        super().update()
        for s in range(self.ngoals):
            g = self.goals[s]
            if g.loc['y'] == self.agent.loc['y'] and g.loc['x'] == self.agent.loc['x']:
                self.visited[s] = 1
                if self.flag_visited == 1:
                    g.attr['visited'] = 'visited'
                self.finished = True
                for s in range(self.ngoals_active):
                    k = self.goal_order[s]
                    if self.visited[k] == 0:
                        self.finished = False

    def get_reward(self, is_last=None):
        badgoal = False
        for i in range(self.ngoals_active, self.ngoals):
            g = self.goals[self.goal_order[i]]
            if g.loc['y'] == self.agent.loc['y'] and g.loc['x'] == self.agent.loc['x']:
                badgoal = True
        if self.finished:
            return -self.goal_cost
        elif badgoal:
            return -self.wrong_goal_cost
        else:
            return super().get_reward()

    def get_supervision(self):
        if not getattr(self, 'ds', None):
            ds = search
            self.ds = ds
        self.flatten_cost_map()
        for i in range(self.ngoals_active, self.ngoals):
            g = self.items_bytype['goal'][self.goal_order[i]]
            self.cmap[g.attr['loc']['y']][g.attr['loc']['x']] = .5
        acount = 0
        H = self.map.height
        W = self.map.width
        X = {}
        visited = lg.zeros(self.ngoals)
        for i in range(self.ngoals_active, self.ngoals):
            g = self.goal_order[i]
            visited[g] = 1
        ans = lg.zeros(self.ngoals_active * H * W)
        rew = lg.zeros(self.ngoals_active * H * W)
        for s in range(self.goal_order.size(0)):
            lg_ = self.nearest_unvisited(visited)
            if lg_ > -1:
                dh = self.items_bytype['goal'][lg_].loc['y']
                dw = self.items_bytype['goal'][lg_].loc['x']
                acount = self.search_move_and_update(dh, dw, X, ans, rew, acount)[0]
                if self.crumb_action == 1:
                    acount = acount + 1
                    X[acount - 1] = self.to_sentence()
                    ans[acount - 1] = self.agent.action_ids['breadcrumb']
                    self.act(ans[acount - 1])
                    self.update()
                    rew[acount - 1] = self.get_reward()
                visited[lg_] = 1
        if acount == 0:
            ans = None
            rew = 0
        else:
            ans = ans.narrow(0, 0, acount)
            rew = rew.narrow(0, 0, acount)
        return X, ans, rew

    def nearest_unvisited(self, visited):
        sh = self.agent.loc['y']
        sw = self.agent.loc['x']
        dists = lg.ones(self.ngoals).mul(10000)
        if visited.min() == 1:
            return -1
        for t in range(self.ngoals):
            if visited[t] == 0:
                dh = self.items_bytype['goal'][t].loc['y']
                dw = self.items_bytype['goal'][t].loc['x']
                dists[t] = (dh - sh) ** 2 + (dw - sw) ** 2
        md, cgoal = dists.min(0)
        cgoal = cgoal[0]
        return cgoal
