"""lua/mazebase/ExclusionHelper.lua: OptsHelper drawing ngoals, then ngoals_active (1 .. ngoals - 1)."""
import legonn as lg

from .OptsHelper import OptsHelper


class ExclusionHelper(OptsHelper):
    typename = 'ExclusionHelper'

    def __init__(self, opts):
        super().__init__(opts)
        assert self.ngoals[0] > 0
        self.generators['ngoals'] = self.ngoalsgen
        self.generators['ngoals_active'] = self.ngoals_activegen

    def ngoalsgen(self, lopts, name):
        ngoals = lg.random(self.ngoals[0], self.ngoals[1] + 1)
        lopts['ngoals'] = ngoals
        return 'none'

    def ngoals_activegen(self, lopts, name):
        if not lopts.get('ngoals'):
            return 'ngoals'
        nga = lg.random(self.ngoals_active[0], self.ngoals_active[1] + 1)
        nga = min(nga, lopts['ngoals'] - 1)
        lopts['ngoals_active'] = max(nga, 1)
        return 'none'
