"""run_resume.lua: run_sr.lua resuming from saved nets: its options add ``D_path`` and ``G_path`` (the Lua table lacks
the comma between them, a syntax error: the port has it) and repeat ``loadSize=96``; the nets come from util.load in
place of adversarial_G/D and weight-init. Lines 43-151 are run_sr.lua's 42-150 word for word: run_sr.train."""
import math

import legonn as lg
from tests.porting.photo_sr import util
from tests.porting.photo_sr.data.data import data as DataLoader
from tests.porting.photo_sr.run_sr import environment, train

DEFAULTS = dict(
    dataset='folder',
    lr=0.001,
    beta1=0.9,
    batchSize=32,
    niter=250,
    loadSize=96,
    ntrain=math.inf,
    name='super_resolution',
    gpu=1,
    nThreads=4,
    t_folder='',
    model_folder='',
    D_path='',
    G_path='',
)


def main(opt):
    lg.manualSeed(1)

    environment(opt)
    print(opt)

    data = DataLoader.new(opt['nThreads'], opt)
    print("Dataset: " + opt['dataset'], " Size: ", data.size(), sep='\t')

    modelG = util.load(opt['G_path'], opt['gpu'])
    modelD = util.load(opt['D_path'], opt['gpu'])
    return train(opt, data, modelG, modelD)
