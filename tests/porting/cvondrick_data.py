"""data/data.lua of cvondrick/videogan and cvondrick/soundnet (the same file in both, bar the names of the donkey
files), ported once: ``n`` worker threads, each building its own ``trainLoader`` from a donkey file, each queued
job a batch, ``getBatch`` handing back whichever comes first.

``donkeys`` stands for the Lua's dataset-name-to-file table and ``paths.dofile(donkey_file)``: it maps a dataset
name to a function of ``(opt, tid)`` building the donkey's loader (the globals the donkey file reads). The worker's
``opt`` and ``tid`` are ``threads.local.opt`` and ``threads.local.tid``."""
from legonn import threads
import legonn as lg


class DataLoader:
    def __init__(self, n, dataset_name, opt_, donkeys):
        opt_ = opt_ or {}
        self.opt = opt_     # the Lua's jobs read the global ``opt``, the same table
        self.result = []    # data.lua's file-level ``result``, one per loader here
        self.randomize = opt_['randomize']

        if dataset_name not in donkeys:
            raise ValueError('Unknown dataset: ' + dataset_name)
        donkey_file = donkeys[dataset_name]

        options = opt_

        def init(idx):
            threads.local.opt = options
            threads.local.tid = idx
            # edit: legonn's thread ids are 0-based; Torch7's start at 1, and the seed adds the id
            seed = (options.get('manualSeed') or 0) + idx + 1
            lg.manualSeed(seed)
            lg.setnumthreads(1)
            threads.local.trainLoader = donkey_file(options, idx)    # paths.dofile(donkey_file)

        # n > 0 only: the Lua's n == 0 branch (a fake pool running jobs in the main thread) is not ported
        self.threads = threads.Threads(n, lambda idx: None, init)

        nSamples = [0]

        def got(c):
            nSamples[0] = c
        self.threads.addjob(lambda: threads.local.trainLoader.size(), got)
        self.threads.synchronize()
        self._size = nSamples[0]

        self.jobCount = 0
        for i in range(n):
            self.queueJob()

    def queueJob(self):
        self.jobCount = self.jobCount + 1
        batchSize = self.opt['batchSize']
        if self.randomize > 0:
            self.threads.addjob(lambda: threads.local.trainLoader.sample(batchSize), self._pushResult)
        else:
            indexStart = (self.jobCount - 1) * batchSize
            indexEnd = indexStart + batchSize - 1
            if indexEnd < self.size():
                self.threads.addjob(lambda: threads.local.trainLoader.get(indexStart, indexEnd), self._pushResult)

    def _pushResult(self, *res):
        self.result[:] = [list(res)]

    def getBatch(self):
        # queue another job, run one ending callback, until a batch has come back
        res = None
        while not isinstance(res, list):
            self.queueJob()
            self.threads.dojob()
            res = self.result[0] if self.result else None
            self.result[:] = []
        return tuple(res)

    def size(self):
        return self._size
