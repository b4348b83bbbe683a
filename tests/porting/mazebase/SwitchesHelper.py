"""lua/mazebase/SwitchesHelper.lua: OptsHelper with generators for the switch and colour counts and the
probability of an explicit target colour."""
import legonn as lg

from .OptsHelper import OptsHelper


class SwitchesHelper(OptsHelper):
    typename = 'SwitchesHelper'

    def __init__(self, opts):
        super().__init__(opts)
        assert self.nswitches[0] > 0
        assert self.ncolors[0] > 0
        self.generators['nswitches'] = self.nswitchesgen
        self.generators['ncolors'] = self.ncolorsgen
        self.generators['explicit_prob'] = self.explicitgen

    def nswitchesgen(self, lopts, name):
        lopts['nswitches'] = lg.random(self.nswitches[0], self.nswitches[1] + 1)
        return 'none'

    def ncolorsgen(self, lopts, name):
        lopts['ncolors'] = lg.random(self.ncolors[0], self.ncolors[1] + 1)
        return 'none'

    def explicitgen(self, lopts, name):
        if lg.uniform() < self.explicit_prob[1]:
            lopts['explicit'] = True
        else:
            lopts['explicit'] = False
        return 'none'
