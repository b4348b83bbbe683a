"""lua/mazebase/GotoCardinal.lua: go to the map's top, bottom, left or right edge, as the info item says."""
import legonn as lg

from .MazeBase import MazeBase


class GotoCardinal(MazeBase):
    typename = 'GotoCardinal'

    def __init__(self, opts, vocab):
        super().__init__(opts, vocab)
        self.has_supervision = False
        self.nswitches = opts.get('nswitches') or 0
        self.ncolors = opts.get('ncolors') or 1
        self.add_default_items()
        for i in range(self.nswitches):
            c = lg.random(self.ncolors) + 1
            self.place_item_rand({'type': 'switch', '_c': c, 'color': 'color' + str(c), '_cn': self.ncolors})
        dests = ['top', 'bottom', 'left', 'right']
        self.dest = lg.random(4)
        destination = dests[self.dest]
        attr = {'type': 'info'}
        attr[0] = 'obj1'
        attr[1] = 'go'
        attr[2] = destination
        self.add_item(attr)

    def update(self):
        super().update()
        self.finished = False
        j = self.agent
        if self.dest == 0 and j.loc['y'] == 0:
            self.finished = True
        if self.dest == 1 and j.loc['y'] == self.map.height - 1:
            self.finished = True
        if self.dest == 2 and j.loc['x'] == 0:
            self.finished = True
        if self.dest == 3 and j.loc['x'] == self.map.width - 1:
            self.finished = True

    def get_reward(self, is_last=None):
        if self.finished:
            return -self.costs['goal']
        else:
            return super().get_reward()
