"""lua/mazebase/OptsHelper.lua: draws a game's options from its range options (each a 5-vector: current low,
current high, easiest high, hardest high, step) and moves the ranges for the curriculum."""
import math

import legonn as lg


class OptsHelper:
    typename = 'OptsHelper'

    def __init__(self, opts):
        count = 0
        self.dparams = []
        self.idparams = {}
        for i, j in opts['RangeOpts'].items():
            count = count + 1
            setattr(self, i, j.clone())
            self.dparams.append(i)
            self.idparams[i] = count - 1
        scount = 0
        self.sparams = []
        self.isparams = {}
        for i, j in opts['StaticOpts'].items():
            scount = scount + 1
            setattr(self, i, j)  # this should not be a tensor
            self.sparams.append(i)
            self.isparams[i] = count
        self.ndparams = count
        self.nsparams = scount
        self.square = opts.get('square')
        self.success_count = 0
        self.star_count = 0
        self.count = 0
        self.total_count = 0
        self.generators = {}
        self.generators['mapH'] = self.sizegen
        self.generators['mapW'] = self.sizegen
        self.generators['blockspct'] = self.nblocksgen
        self.generators['waterpct'] = self.nwatergen
        self.frozen = False

    def sizegen(self, lopts, name):
        if name == 'mapH':
            if self.square and lopts.get('map_width'):
                lopts['map_height'] = lopts['map_width']
            else:
                H = lg.random(self.mapH[0], self.mapH[1] + 1)
                lopts['map_height'] = H
        elif name == 'mapW':
            if self.square and lopts.get('map_height'):
                lopts['map_width'] = lopts['map_height']
            else:
                W = lg.random(self.mapW[0], self.mapW[1] + 1)
                lopts['map_width'] = W
        return 'none'

    def nblocksgen(self, lopts, name):
        if not lopts.get('map_height'):
            return 'mapH'
        if not lopts.get('map_width'):
            return 'mapW'
        if getattr(self, 'blockspct', None) is not None:
            pctdiff = self.blockspct[1] - self.blockspct[0]
            msize = lopts['map_height'] * lopts['map_width']
            if getattr(self, 'enable_boundary', None) == 1:
                msize = (lopts['map_height'] - 2) * (lopts['map_width'] - 2)
            nb = lg.uniform() * pctdiff * msize
            nb = nb + self.blockspct[0] * msize
            nb = math.ceil(nb)
            lopts['nblocks'] = nb
        else:
            lopts['nblocks'] = 0
        return 'none'

    def nwatergen(self, lopts, name):
        if not lopts.get('map_height'):
            return 'mapH'
        if not lopts.get('map_width'):
            return 'mapW'
        if getattr(self, 'waterpct', None) is not None:
            pctdiff = self.waterpct[1] - self.waterpct[0]
            msize = lopts['map_height'] * lopts['map_width']
            if getattr(self, 'enable_boundary', None) == 1:
                msize = (lopts['map_height'] - 2) * (lopts['map_width'] - 2)
            nw = lg.uniform() * pctdiff * msize
            nw = nw + self.waterpct[0] * msize
            nw = math.ceil(nw)
            lopts['nwater'] = nw
            lopts['water_risk_factor'] = 0
        else:
            lopts['nwater'] = 0
            lopts['water_risk_factor'] = 0
        return 'none'

    def generate_gameopts(self):
        numparams = len(self.dparams)
        missing = lg.ones(numparams)
        lopts = {}
        s = lg.random(numparams)
        count = 0
        while missing.max() == 1:
            count = count + 1
            name = self.dparams[s]
            if self.generators.get(name):
                dep = self.generators[name](lopts, name)
            else:
                lopts[name] = lg.random(getattr(self, name)[0], getattr(self, name)[1] + 1)
                dep = 'none'
            if dep == 'none':
                missing[s] = 0
                if missing.max() > 0:
                    s = lg.multinomial(missing, 1)[0]
            else:
                s = self.idparams[dep]
            if count > 1000:
                raise RuntimeError('is there a circular dependency?')
        for s in range(self.nsparams):
            name = self.sparams[s]
            lopts[name] = getattr(self, name)
        return lopts

    def harder_random(self):
        if self.frozen:
            return
        m = lg.random(len(self.dparams))
        name = self.dparams[m]
        t = getattr(self, name)
        t[1] = t[1] + t[4]
        t[1] = min(t[1], t[3])

    def easier_random(self):
        if self.frozen:
            return
        m = lg.random(len(self.dparams))
        name = self.dparams[m]
        t = getattr(self, name)
        t[1] = t[1] - t[4]
        t[1] = max(t[1], t[2])

    def collect_result(self, r):
        self.count = self.count + 1
        self.total_count = self.total_count + 1
        if r > 0:
            self.success_count = self.success_count + 1
        if r > 1:
            self.star_count = self.star_count + 1

    def check_state(self):
        hardest = True
        easiest = True
        for s in range(len(self.dparams)):
            name = self.dparams[s]
            if getattr(self, name)[1] < getattr(self, name)[3]:
                hardest = False
            if getattr(self, name)[1] > getattr(self, name)[2]:
                easiest = False
        if hardest:
            return 1
        if easiest:
            return -1
        return 0

    def hardest(self):
        if self.frozen:
            return
        for s in range(len(self.dparams)):
            name = self.dparams[s]
            getattr(self, name)[1] = getattr(self, name)[3]

    def easiest(self):
        if self.frozen:
            return
        for s in range(len(self.dparams)):
            name = self.dparams[s]
            getattr(self, name)[1] = getattr(self, name)[2]

    def freeze(self):
        self.frozen = True

    def unfreeze(self):
        self.frozen = False

    def reset_counters(self, gname=None):
        self.success_count = 0
        self.star_count = 0
        self.count = 0
