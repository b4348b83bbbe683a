"""lua/mazebase/BlockedDoor.lua: a wall whose one gap holds a pushable block; the goal may lie behind it, so the
agent pushes the block out of the gap (twice) and walks through."""
import legonn as lg

from . import search
from .MazeBase import MazeBase
from .PushableBlock import PushableBlock


class BlockedDoor(MazeBase):
    typename = 'BlockedDoor'

    def __init__(self, opts, vocab):
        super().__init__(opts, vocab)
        self.ngoals = 1
        self.ncolors = opts.get('ncolors') or 2
        self.has_supervision = True
        self.place_wall()
        self.nswitches = 1
        for i in range(self.nswitches):
            c = lg.random(self.ncolors) + 1
            self.place_item_rand({'type': 'switch', '_c': c, 'color': 'color' + str(c), '_cn': self.ncolors})
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
        self.goals = self.items_bytype['goal']
        self.ngoals_active = 1
        g = self.goals[0]
        self.add_item({'type': 'info', 'name': 'obj' + str(1), 'target': g.name})
        self.goal_reached = 0
        self.finish_by_goal = True

    def place_wall(self):
        orientation = lg.round(lg.uniform())
        self.orientation = orientation
        H = self.map.height
        W = self.map.width
        if orientation == 1:
            h = lg.random(H - 4) + 2
            if h < 0:
                raise RuntimeError('map too small')
            dloc = lg.random(W)
            if self.enable_boundary == 1:
                h = lg.random(H - 6) + 3
                dloc = lg.random(W - 2) + 1
            self.wall_position = h
            for t in range(W):
                if t == dloc:
                    self.place_item({'_factory': PushableBlock}, h, t)
                    self.doorloc = lg.Tensor([h, t])
                else:
                    self.place_item({'type': 'block'}, h, t)
                    self.nblocks = max(0, self.nblocks - 1)
        else:
            w = lg.random(W - 4) + 2
            if w < 0:
                raise RuntimeError('map too small')
            dloc = lg.random(H)
            if self.enable_boundary == 1:
                w = lg.random(W - 6) + 3
                dloc = lg.random(H - 2) + 1
            self.wall_position = w
            for t in range(H):
                if t == dloc:
                    self.place_item({'_factory': PushableBlock}, t, w)
                    self.doorloc = lg.Tensor([t, w])
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
            e = self.items_bytype['pushableblock'][0]
            dh = self.doorloc[0]
            dw = self.doorloc[1]
            ploc = {}
            ploc[0] = lg.Tensor([dh, dw - 1])
            ploc[1] = lg.Tensor([dh, dw + 1])
            ploc[2] = lg.Tensor([dh - 1, dw])
            ploc[3] = lg.Tensor([dh + 1, dw])
            c = -1
            for s in range(4):
                tgh = ploc[s][0]
                tgw = ploc[s][1]
                if tgh > -1 and tgh <= self.map.height - 1:
                    if tgw > -1 and tgw <= self.map.width - 1:
                        if self.ds.dsearch(self.cmap, sh, sw, tgh, tgw)[0] < 500:
                            c = s
                            break
            if c < 0:
                return self.quick_return_not_passable()
            sdh = ploc[c][0]
            sdw = ploc[c][1]
            pdy = dh - sdh
            pdx = dw - sdw
            acount, passable = self.search_move_and_update(sdh, sdw, X, ans, rew, acount)
            if not passable:
                return self.quick_return_not_passable()
            for s in range(2):
                if not self.map.is_loc_reachable(e.loc['y'] + pdy, e.loc['x'] + pdx):
                    return self.quick_return_not_passable()
                dy = self.agent.loc['y'] - e.loc['y']
                dx = self.agent.loc['x'] - e.loc['x']
                a = self.d2a_push(dy, dx)
                acount = acount + 1
                ans[acount - 1] = a
                X[acount - 1] = self.to_sentence()
                self.act(ans[acount - 1])
                self.update()
                self.flatten_cost_map()
                rew[acount - 1] = self.get_reward()
                e = self.items_bytype['pushableblock'][0]
                ny = self.agent.loc['y'] + pdy
                nx = self.agent.loc['x'] + pdx
                acount = self.search_move_and_update(ny, nx, X, ans, rew, acount)[0]
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

    def get_push_location(self, e, target):
        ply = e.loc['y'] + (e.loc['y'] - target[0])
        plx = e.loc['x'] + (e.loc['x'] - target[1])
        if self.map.is_loc_reachable(ply, plx):
            return ply, plx
        else:
            return None, None

    def quick_return_block_stuck(self):
        acount = 1
        ans = lg.Tensor(1)
        rew = lg.Tensor(1)
        X = {}
        X[acount - 1] = self.to_sentence()
        ans[acount - 1] = self.agent.action_ids['stop']
        rew[acount - 1] = self.get_reward()
        return X, ans, rew

    def d2a_push(self, dy, dx):
        lact = None
        if dy > 0:
            lact = 'push_up'
        elif dy < 0:
            lact = 'push_down'
        elif dx < 0:
            lact = 'push_right'
        elif dx > 0:
            lact = 'push_left'
        return self.agent.action_ids[lact]
