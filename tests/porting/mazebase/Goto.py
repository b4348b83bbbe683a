"""lua/mazebase/Goto.lua: go to an absolute location named by an info item ('ay<h>x<w>'); the game is won on
reaching it, with an optional set of switches as distractors."""
import legonn as lg

from . import search
from .MazeBase import MazeBase


class Goto(MazeBase):
    typename = 'Goto'

    def __init__(self, opts, vocab):
        super().__init__(opts, vocab)

        self.nswitches = opts.get('nswitches') or 0
        self.ncolors = opts.get('ncolors') or 1

        self.add_default_items()

        for i in range(self.nswitches):
            c = lg.random(self.ncolors) + 1
            self.place_item_rand({'type': 'switch', '_c': c, 'color': 'color' + str(c), '_cn': self.ncolors})
        h, w = self.map.get_empty_loc()
        self.ygoal = h
        self.xgoal = w
        destination = 'ay' + str(h) + 'x' + str(w)
        attr = {'type': 'info',
                'name': 'obj1',
                'task': 'go',
                'what': 'absolute',
                'aloc': destination}
        self.add_item(attr)

    def update(self):
        super().update()
        self.finished = False
        if self.agent.loc['x'] == self.xgoal and self.agent.loc['y'] == self.ygoal:
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
        ans = lg.zeros(H * W)
        rew = lg.zeros(H * W)
        if not getattr(self, 'ds', None):
            ds = search
            self.ds = ds
        self.flatten_cost_map()
        acount = 0
        acount = self.search_move_and_update(self.ygoal, self.xgoal, X, ans, rew, acount)[0]
        if acount == 0:
            ans = None
            rew = 0
        else:
            ans = ans.narrow(0, 0, acount)
            rew = rew.narrow(0, 0, acount)
        return X, ans, rew
