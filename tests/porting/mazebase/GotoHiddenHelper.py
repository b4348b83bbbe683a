"""lua/mazebase/GotoHiddenHelper.lua: OptsHelper with generators for ngoals, switches and colours."""
import legonn as lg

from .OptsHelper import OptsHelper


class GotoHiddenHelper(OptsHelper):
    typename = 'GotoHiddenHelper'

    def __init__(self, opts):
        super().__init__(opts)
        assert self.ngoals[0] > 0
        if getattr(self, 'nswitches', None) is None:
            self.nswitches = lg.zeros(4)
        if getattr(self, 'ncolors', None) is None:
            self.ncolors = lg.zeros(4)
        self.generators['nswitches'] = self.nswitchesgen
        self.generators['ncolors'] = self.ncolorsgen
        self.generators['ngoals'] = self.ngoalsgen

    def ngoalsgen(self, lopts, name):
        ngoals = lg.random(self.ngoals[0], self.ngoals[1] + 1)
        lopts['ngoals'] = ngoals
        return 'none'

    def nswitchesgen(self, lopts, name):
        lopts['nswitches'] = lg.random(self.nswitches[0], self.nswitches[1] + 1)
        return 'none'

    def ncolorsgen(self, lopts, name):
        lopts['ncolors'] = lg.random(self.ncolors[0], self.ncolors[1] + 1)
        return 'none'
