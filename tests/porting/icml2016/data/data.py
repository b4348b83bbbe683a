"""data/data.lua (dcgan.torch's data.lua, "lightly modified"): ``data.new(n, dataset_name, opt)`` starts ``n`` donkey
threads, each running the dataset's donkey file (cub and flowers: donkey_folder_txt), or for ``n == 0`` runs the
donkey in this thread; it keeps one batch job queued per donkey, and ``getBatch()`` queues one more and returns the
oldest batch's values. A donkey's globals (``opt``, ``tid``, ``trainLoader``) live in ``threads.local``."""
import functools

import legonn as lg
from legonn import threads

from ...context_encoder import _InlineJobs   # data.lua's n == 0 stand-in for the pool, as dcgan's data.lua
from . import donkey_folder_txt

result = []


def _donkey_init():
    pass                                        # require 'torch'


def _donkey_main(options, donkey_file, idx):
    G = threads.local
    G.opt = options
    G.tid = idx
    seed = (G.opt['manualSeed'] if G.opt.get('manualSeed') is not None else 0) + idx
    lg.manualSeed(seed)
    lg.setnumthreads(1)
    print('Starting donkey with id: %d seed: %d' % (G.tid, seed))
    assert options, 'options not found'
    assert G.opt, 'opt not given'
    donkey_file.run()                           # paths.dofile(donkey_file)


def _trainLoaderSize():
    return threads.local.trainLoader.size()


class data:

    @staticmethod
    def donkey_file(dataset_name):
        """data.new's if-chain from the dataset's name to its donkey file (reedscot/nips2016's data.lua, this one
        but for the chain, overrides it)."""
        donkey_file = None
        if dataset_name == 'cub' or dataset_name == 'flowers':
            donkey_file = donkey_folder_txt
        elif dataset_name == 'coco' or dataset_name == 'coco_txt':
            raise NotImplementedError('data/donkey_folder_coco.lua and donkey_folder_txt_coco.lua are not ported')
        else:
            raise ValueError('Unknown dataset: ' + dataset_name)
        return donkey_file

    @classmethod
    def new(cls, n, dataset_name, opt_=None):
        opt_ = opt_ or {}
        self = cls()

        donkey_file = cls.donkey_file(dataset_name)

        if n > 0:
            options = opt_
            self.threads = threads.Threads(n, _donkey_init, functools.partial(_donkey_main, options, donkey_file))
        else:
            if donkey_file:
                threads.local.opt = opt_        # the donkey reads the main script's global opt
                donkey_file.run()
            self.threads = _InlineJobs()

        nSamples = 0

        def keep_size(c):
            nonlocal nSamples
            nSamples = c
        self.threads.addjob(_trainLoaderSize, keep_size)
        self.threads.synchronize()
        self._size = nSamples

        for i in range(n):
            self.threads.addjob(data._getFromThreads,
                                data._pushResult)

        return self

    @staticmethod
    def _getFromThreads():
        opt = threads.local.opt
        assert opt['batchSize'], 'opt.batchSize not found'
        return threads.local.trainLoader.sample(opt['batchSize'])

    @staticmethod
    def _pushResult(*res):
        res = list(res)         # local res = {...}; its `if res == nil` test (never true) is left out
        result[:1] = [res]

    def getBatch(self):
        # queue another job
        self.threads.addjob(self._getFromThreads, self._pushResult)
        self.threads.dojob()
        res = result[0]
        result[:1] = []
        if isinstance(res, list):
            return tuple(res)
        return res

    def size(self):
        return self._size
