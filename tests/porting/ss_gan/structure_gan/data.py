"""structure-gan/data.lua (style-gan-nofcn's, style-gan-fcn's and joint-ssgan's are the same file): starts
``opt.nDonkeys`` data threads (donkeys), each seeded ``opt.manualSeed + idx`` and running donkey.lua, or runs
donkey.lua here with a single-threaded ``donkeys`` stand-in. Sets the globals ``donkeys`` and ``merge_table``
(``threads.local``'s). ``paths.dofile(donkey_file)`` runs the donkey.lua beside the script: ``data(donkey)`` takes
that folder's ``donkey`` function (this folder's by default)."""
import functools
import os

import legonn as lg
from legonn import threads

from .donkey import donkey

donkey_file = 'donkey.lua'


def _donkey_init():
    pass                        # require 'torch'


def _donkey_main(options, donkey, idx):
    G = threads.local
    G.opt = options             # pass to all donkeys via upvalue
    G.tid = idx
    seed = G.opt['manualSeed'] + idx    # torch.random(1,10000)
    lg.manualSeed(seed)
    # torch.setnumthreads(1)
    print('Starting donkey with id: %d seed: %d' % (G.tid, seed))
    donkey()                    # paths.dofile(donkey_file)


class SerialDonkeys:
    """``donkeys = {}`` with ``donkeys:addjob(f1, f2) f2(f1())`` and an empty ``synchronize``."""

    def addjob(self, f1, f2):
        f2(*f1())

    def synchronize(self):
        pass


def data(donkey=donkey):
    G = threads.local
    opt = G.opt
    # start K datathreads (donkeys)
    if opt['nDonkeys'] > 0:
        options = opt   # make an upvalue to serialize over to donkey threads
        G.donkeys = threads.Threads(opt['nDonkeys'], _donkey_init, functools.partial(_donkey_main, options, donkey))
    else:   # single threaded data loading. useful for debugging
        donkey()
        G.donkeys = SerialDonkeys()

    os.system('mkdir -p ' + opt['save'])

    def merge_table(t1, t2):
        t = {}
        for k, v in t2.items():
            t[k] = v
        for k, v in t1.items():
            t[k] = v
        return t
    G.merge_table = merge_table
