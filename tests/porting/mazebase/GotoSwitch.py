"""lua/mazebase/GotoSwitch.lua: go to a switch of the colour the info item names. Its update reads the agent's
row for both coordinates (`local x = self.agent.loc.y`, kept): the game ends only where the agent stands on
such a switch at (y, y) -- a bug of the Lua, ported as it is."""
import legonn as lg

from .MazeBase import MazeBase


class GotoSwitch(MazeBase):
    typename = 'GotoSwitch'

    def __init__(self, opts, vocab):
        super().__init__(opts, vocab)
        self.has_supervision = False
        self.nswitches = opts.get('nswitches') or 1
        self.ncolors = opts.get('ncolors') or 2
        self.add_default_items()
        self.colors = lg.zeros(self.nswitches)
        for i in range(self.nswitches):
            c = lg.random(self.ncolors) + 1
            self.colors[i] = c
            self.place_item_rand({'type': 'switch', '_c': c, 'color': 'color' + str(c), '_cn': self.ncolors})
        self.target_color = self.colors[lg.random(self.nswitches)]
        clr_str = 'color' + '%.14g' % self.target_color
        attr = {'type': 'info'}
        attr[0] = 'obj1'
        attr[1] = 'go'
        attr[2] = clr_str
        attr[3] = 'switch'
        self.add_item(attr)

    def update(self):
        super().update()
        self.finished = False
        a = self.agent
        y = self.agent.loc['y']
        x = self.agent.loc['y']
        for j in self.map.items[y][x]:
            if j.type == 'switch' and j.attr['_c'] == self.target_color:
                self.finished = True

    def get_reward(self, is_last=None):
        if self.finished:
            return -self.costs['goal']
        else:
            return super().get_reward()
