"""lua/mazebase/CondGoalsHelper.lua: OptsHelper with generators for ngoals and ncolors."""
import legonn as lg

from .OptsHelper import OptsHelper


class CondGoalsHelper(OptsHelper):
    typename = 'CondGoalsHelper'

    def __init__(self, opts):
        super().__init__(opts)
        assert self.ngoals[0] > 0
        assert self.ncolors[0] > 0
        self.generators['ngoals'] = self.ngoalsgen
        self.generators['ncolors'] = self.ncolorsgen

    def ngoalsgen(self, lopts, name):
        ngoals = lg.random(self.ngoals[0], self.ngoals[1] + 1)
        lopts['ngoals'] = ngoals
        return 'none'

    def ncolorsgen(self, lopts, name):
        ncolors = lg.random(self.ncolors[0], self.ncolors[1] + 1)
        lopts['ncolors'] = ncolors
        return 'none'
