"""lua/mazebase/GotoHelper.lua: OptsHelper with generators for the switch and colour counts."""
import legonn as lg

from .OptsHelper import OptsHelper


class GotoHelper(OptsHelper):
    typename = 'GotoHelper'

    def __init__(self, opts):
        super().__init__(opts)
        if getattr(self, 'nswitches', None) is None:
            self.nswitches = lg.zeros(4)
        if getattr(self, 'ncolors', None) is None:
            self.ncolors = lg.zeros(4)
        self.generators['nswitches'] = self.nswitchesgen
        self.generators['ncolors'] = self.ncolorsgen

    def nswitchesgen(self, lopts, name):
        lopts['nswitches'] = lg.random(self.nswitches[0], self.nswitches[1] + 1)
        return 'none'

    def ncolorsgen(self, lopts, name):
        lopts['ncolors'] = lg.random(self.ncolors[0], self.ncolors[1] + 1)
        return 'none'
