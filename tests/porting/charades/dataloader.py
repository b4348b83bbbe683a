"""dataloader.lua: fb.resnet.torch's multi-threaded DataLoader (ported in
tests/porting/test_fbresnet_dataloader.py) with charades-algorithms' changes: three loaders (``train``, ``val``
and ``val2``, the whole-video split of 25 frames a video, one video a batch), ``-epochSize``/``-testSize`` as
a fraction of the split, a synchronous order (``torch.range``) for the LSTM datasets, and samples carrying the
video ids (``names``, ``obj``, ``verb`` and ``scene`` are filled with 0 as the datasets give none).

Edits beyond the package's, as the fb.resnet port's: ``init``, ``main`` and the job are module-level functions
(``functools.partial`` binds the upvalues); ``_G.dataset`` in a thread is ``threads.local.dataset``; the
iterator function ``loop`` is ``iter(loop, None)``; ``collectgarbage()`` is dropped (docs/porting.md). The
1-based ``torch.range(1,size)`` orders are ``lg.range(0, size - 1)``; ``Threads(n, init, main)``'s two results
are ``Threads.new``'s (docs/porting.md); worker ``idx`` is 0-based, seeded with ``manualSeed + idx``.
``if self.epochSize and ...`` tests for nil (``tonumber``'s failure) and is true for an epochSize of 0 (a
fraction below one batch, floored): ``is not None`` (docs/porting.md's Lua-truth row)."""
import functools
import importlib
import math

import legonn as lg
from legonn import threads

from .datasets import init as datasets

Threads = threads.Threads
Threads.serialization('threads.sharedserialize')


def _init(opt):
    importlib.import_module('tests.porting.charades.datasets.' + opt['dataset'])


def _main(dataset, manualSeed, idx):
    if manualSeed != 0:
        lg.manualSeed(manualSeed + idx)
    lg.setnumthreads(1)
    threads.local.dataset = dataset
    threads.local.preprocess = dataset.preprocess()
    return dataset.size()


def _loadBatch(split, indices, nCrops):
    sz = indices.size(0)
    batch, imageSize = None, None
    target = None

    if split == "val2":
        target = lg.IntTensor(sz, 157)
    else:
        target = lg.IntTensor(sz)
    names = [None] * sz
    ids = [None] * sz
    obj = lg.IntTensor(sz)
    verb = lg.IntTensor(sz)
    scene = lg.IntTensor(sz)
    for i, idx in enumerate(indices.totable()):
        sample = threads.local.dataset.get(idx)
        input = threads.local.preprocess(sample['input'])
        if batch is None:
            imageSize = input.size().totable()
            if nCrops > 1:
                imageSize.pop(0)
            batch = lg.FloatTensor(sz, nCrops, *imageSize)
        batch[i].copy(input)

        if split == "val2":
            target[i].copy(sample['target'])
        else:
            target[i] = sample['target']
        names[i] = sample.get('name')
        ids[i] = sample['id']
        obj[i] = sample.get('obj') or 0
        verb[i] = sample.get('verb') or 0
        scene[i] = sample.get('scene') or 0
    return {
        'input': batch.view(sz * nCrops, *imageSize),
        'target': target,
        'names': names,
        'ids': ids,
        'obj': obj,
        'verb': verb,
        'scene': scene,
    }


class DataLoader:
    typename = 'resnet.DataLoader'

    @staticmethod
    def create(opt):
        # The train and val loader
        loaders = []

        for i, split in enumerate(['train', 'val', 'val2']):
            dataset = datasets.create(opt, split)
            loaders.append(DataLoader(dataset, opt, split))

        return tuple(loaders)

    def __init__(self, dataset, opt, split):
        manualSeed = opt['manualSeed']
        init = functools.partial(_init, opt)
        main = functools.partial(_main, dataset, manualSeed)

        pool, sizes = Threads.new(opt['nThreads'], init, main)
        self.nCrops = 10 if (split == 'val' and opt['tenCrop']) else 1
        self.threads = pool
        self.__size = sizes[0][0]
        self.split = split
        self.synchronous = (opt['dataset'] == 'charadessync') or (opt['dataset'] == 'charadessyncflow')
        self.epochSize = opt['epochSize']   # tonumber() of the number CmdLine parsed
        if self.epochSize is not None and (self.epochSize < 1):
            self.epochSize = lg.floor(self.epochSize * self.__size / opt['batchSize']) * opt['batchSize']
        self.testSize = opt['testSize']   # tonumber() of the number CmdLine parsed
        if self.testSize is not None and (self.testSize < 1):
            self.testSize = lg.floor(self.testSize * self.__size / opt['batchSize']) * opt['batchSize']
        if split == 'val2':
            self.batchSize = 25
        else:
            self.batchSize = math.floor(opt['batchSize'] / self.nCrops)
        self.perm = None

    def size(self):
        if self.split == 'train' and self.epochSize is not None and not (self.epochSize == 1):
            return math.ceil(self.epochSize / self.batchSize)
        elif self.split == 'val' and self.testSize is not None and not (self.testSize == 1):
            return math.ceil(self.testSize / self.batchSize)
        else:
            return math.ceil(self.__size / self.batchSize)

    def run(self):
        pool = self.threads
        split = self.split
        size, batchSize = self.__size, self.batchSize
        perm = lg.randperm(size)
        if self.split == 'train':
            if self.epochSize is not None and not (self.epochSize == 1):
                # Ensure each sample is seen equally often
                # but reduce the epochSize
                if self.perm is None:
                    self.perm = lg.randperm(size)
                    if self.synchronous:
                        self.perm = lg.range(0, size - 1)
                if self.perm.size(0) <= self.epochSize:
                    if self.synchronous:
                        self.perm = self.perm.cat(lg.range(0, size - 1), 0)
                    else:
                        self.perm = self.perm.cat(lg.randperm(size), 0)
                perm = self.perm[0:self.epochSize]
                self.perm = self.perm[self.epochSize:]
                size = self.epochSize
            else:
                perm = lg.randperm(size)
                if self.synchronous:
                    perm = lg.range(0, size - 1)
        elif self.split == 'val':
            perm = lg.range(0, size - 1)
            if self.testSize is not None and not (self.testSize == 1):
                perm = perm[0:self.testSize]
                size = self.testSize
        elif self.split == 'val2':
            perm = lg.range(0, size - 1)
        else:
            assert False, 'split undefined'

        idx, sample = 0, None

        def keep(_sample_):
            nonlocal sample
            sample = _sample_

        def enqueue():
            nonlocal idx
            while idx < size and pool.acceptsjob():
                indices = perm.narrow(0, idx, min(batchSize, size - idx))
                pool.addjob(functools.partial(_loadBatch, split), keep, indices, self.nCrops)
                idx = idx + batchSize

        n = 0

        def loop():
            nonlocal n
            enqueue()
            if not pool.hasjob():
                return None
            pool.dojob()
            if pool.haserror():
                pool.synchronize()
            enqueue()
            n = n + 1
            return n, sample

        return iter(loop, None)
