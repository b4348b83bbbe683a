"""lua/mazebase/MultiAgentsStarHelper.lua: OptsHelper with generators for the enemies' number, health and
speed (a drawn speed is stored negated, as the Lua does)."""
import legonn as lg

from .OptsHelper import OptsHelper


class MultiAgentsStarHelper(OptsHelper):
    typename = 'MultiAgentsStarHelper'

    def __init__(self, opts):
        super().__init__(opts)
        self.generators['nenemy'] = self.nenemiesgen
        self.generators['enemy_health'] = self.ehealthgen
        self.generators['enemy_speed'] = self.espeedgen

    def ehealthgen(self, lopts, name):
        if getattr(self, 'enemy_health', None) is not None:
            lopts['enemy_health'] = lg.random(self.enemy_health[0], self.enemy_health[1] + 1)
        else:
            lopts['enemy_health'] = 1
        return 'none'

    def nenemiesgen(self, lopts, name):
        if getattr(self, 'nenemy', None) is not None:
            lopts['nenemy'] = lg.random(self.nenemy[0], self.nenemy[1] + 1)
        else:
            lopts['nenemy'] = 1
        return 'none'

    def espeedgen(self, lopts, name):
        if getattr(self, 'enemy_speed', None) is not None:
            assert self.enemy_speed[0] <= self.enemy_speed[1]
            speed = lg.random(self.enemy_speed[0], self.enemy_speed[1] + 1)
            lopts['enemy_speed'] = -speed
        else:
            lopts['enemy_speed'] = 1
        return 'none'
