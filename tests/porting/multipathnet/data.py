"""data.lua: loads the proposals once, computes the box-regression mean and std (``g_mean_std``, a global the
Lua sets for train.lua) and returns ``getIterator``, a torchnet ParallelDatasetIterator of ``nDonkeys``
threads each sampling ``epochSize`` batches from its BatchProviderROI. ``require 'data'`` runs the file
with the global ``opt``: here ``load(opt)``. Thread ids are 0-based (the seed is ``manualSeed + idx + 1``);
the thread's global ``g_donkey_idx`` is ``threads.local.g_donkey_idx`` (docs/porting.md's thread-globals row).

Each sample, Lua's ``{loaders[...]:sample()}`` (the batches and targets as entries 1 and 2), is a ``Sample``:
train.lua's onSample hook then adds the fields ``input`` and ``target`` to that same table, which the
engine's loop reads as ``sample.input`` (docs/porting.md's row on a table with both entries and fields)."""
import legonn as lg
from legonn import threads
from legonn import torchnet as tnt

from . import donkey

g_mean_std = None


class Sample(list):
    """A Lua table holding entries (``sample[0]``, ``sample[1]``) and fields (``sample.input``)."""


def load(opt):
    global g_mean_std
    # create an instance of DataSetJSON to make roidb and scoredb
    # that are passed to threads
    ds = donkey.loadDataSet(opt)
    ds.loadROIDB(opt['best_proposals_number'])
    roidb, scoredb = ds.roidb, ds.scoredb

    loader = donkey.createTrainLoader(opt, roidb, scoredb, 0)
    bbox_regr = loader.setupData()
    g_mean_std = bbox_regr

    opt = tnt.utils.table.clone(opt)

    def getIterator():
        def init(idx):
            lg.manualSeed(opt['manualSeed'] + idx + 1)
            threads.local.g_donkey_idx = idx

        def closure(*_):
            loaders = []
            for i in range(opt['nDonkeys'] if opt['integral'] else 1):
                loaders.append(donkey.createTrainLoader(opt, roidb, scoredb, i))

            for i, v in enumerate(loaders):
                v.bbox_regr = bbox_regr

            return tnt.ListDataset(
                list=lg.range(0, opt['epochSize'] - 1).long(),
                load=lambda idx: Sample([*loaders[lg.random(len(loaders))].sample()]),
            )

        return tnt.ParallelDatasetIterator(
            nthread=opt['nDonkeys'],
            init=init,
            closure=closure,
        )

    return getIterator
