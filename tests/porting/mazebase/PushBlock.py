"""lua/mazebase/PushBlock.lua: push the pushable block onto the switch's cell; the supervision pushes it along
the block's shortest path."""
import legonn as lg

from . import search
from .MazeBase import MazeBase
from .PushableBlock import PushableBlock


class PushBlock(MazeBase):
    typename = 'PushBlock'

    def __init__(self, opts, vocab):
        super().__init__(opts, vocab)
        self.has_supervision = True
        ey, ex = self.map.get_empty_loc(1)
        self.place_item({'_factory': PushableBlock}, ey, ex)
        self.add_default_items()
        self.nswitches = 1
        self.ncolors = opts.get('ncolors') or 1
        h, w = self.map.get_empty_loc()
        self.ygoal = h
        self.xgoal = w
        c = lg.random(self.ncolors) + 1
        self.target_color = c
        self.place_item({'type': 'switch', '_c': c, 'color': 'color' + str(c), '_cn': self.ncolors}, h, w)
        clr_str = 'color' + str(self.target_color)
        attr = {'type': 'info'}
        attr[0] = 'push'
        attr[1] = 'block'
        attr[2] = clr_str
        attr[3] = 'switch'
        self.add_item(attr)
        self.ox = self.agent.loc['x']
        self.oy = self.agent.loc['y']
        self.map.ygoal = h
        self.map.xgoal = w

    def update(self):
        super().update()
        self.finished = False
        for j in self.map.items[self.ygoal][self.xgoal]:
            if j.type == 'pushableblock':
                self.finished = True

    def get_reward(self, is_last=None):
        if self.finished:
            return -self.costs['goal']
        else:
            return super().get_reward()

    def get_supervision(self):
        X = {}
        H = self.map.height
        W = self.map.width
        ans = lg.zeros(3 * H * W)
        rew = lg.zeros(3 * H * W)
        if not getattr(self, 'ds', None):
            ds = search
            self.ds = ds
        self.flatten_cost_map()
        e = self.items_bytype['pushableblock'][0]
        self.block_pcount = 0
        dist, prev = self.ds.dsearch(self.cmap, e.loc['y'], e.loc['x'], self.ygoal, self.xgoal)
        if dist > 800:
            return self.quick_return_block_stuck()
        blockpath = self.ds.backtrack(e.loc['y'], e.loc['x'], self.ygoal, self.xgoal, prev)
        acount = 0
        bcount = 0
        while e.loc['y'] != self.ygoal or e.loc['x'] != self.xgoal:
            bcount = bcount + 1
            py, px = self.get_push_location(e, blockpath[bcount])
            passable = True
            if py is not None:
                acount, passable = self.search_move_and_update(py, px, X, ans, rew, acount)
                if not passable:
                    return self.quick_return_block_stuck()
            else:
                return self.quick_return_block_stuck()
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
        if acount == 0:
            X = {}
            X[0] = self.to_sentence()
            ans = lg.Tensor([self.agent.action_ids['stop']])
            rew = 0
        else:
            ans = ans.narrow(0, 0, acount)
            rew = rew.narrow(0, 0, acount)
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
