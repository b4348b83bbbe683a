"""DataLoader.lua: a multi-threaded loader; each worker thread holds a DataSampler (Lua's ``_G.ds``, legonn's
``threads.local.ds``) seeded with ``config.seed + idx`` (legonn's worker ids are 0-based: ``idx + 1`` draws
Torch7's numbers), and each job draws a batch of mask samples (head 1) or score samples (head 2)."""
import math

import legonn as lg
from legonn import threads

Threads = threads.Threads
Threads.serialization('threads.sharedserialize')


def _main(config, split, idx):
    lg.setdefaulttensortype('torch.FloatTensor')
    seed = config['seed'] + idx + 1
    lg.manualSeed(seed)

    from .DataSampler import DataSampler
    threads.local.ds = DataSampler(config, split)
    return threads.local.ds.size()


def _job(bsz, hfreq):
    inputs, labels = None, None
    # head sampling
    if lg.uniform() > hfreq: head = 1
    else: head = 2

    for i in range(0, bsz):
        input, label = threads.local.ds.get(head)
        if inputs is None:
            iSz = input.size().totable()
            mSz = label.size().totable()
            inputs = lg.FloatTensor(bsz, *iSz)
            labels = lg.FloatTensor(bsz, *mSz)
        inputs[i].copy(input)
        labels[i].copy(label)

    return {'inputs': inputs, 'labels': labels, 'head': head}


class DataLoader:
    typename = 'DataLoader'

    # --------------------------------------------------------------------------
    # function: create train/val data loaders
    @staticmethod
    def create(config):
        loaders = []
        for i, split in enumerate(['train', 'val']):
            loaders.append(DataLoader(config, split))

        return tuple(loaders)

    # --------------------------------------------------------------------------
    # function: init
    def __init__(self, config, split):
        def main(idx):
            return _main(config, split, idx)

        threads_, sizes = Threads.new(config['nthreads'], main)
        self.threads = threads_
        self.__size = sizes[0][0]
        self.batch = config['batch']
        self.hfreq = config['hfreq']

    # --------------------------------------------------------------------------
    # function: return size of dataset
    def size(self):
        return math.ceil(self.__size / self.batch)

    # --------------------------------------------------------------------------
    # function: run
    def run(self):
        threads_ = self.threads
        size, batch = self.__size, self.batch

        idx, sample = 0, None

        def keep(_sample_):
            nonlocal sample
            sample = _sample_

        def enqueue():
            nonlocal idx
            while idx < size and threads_.acceptsjob():
                bsz = min(batch, size - idx)
                threads_.addjob(_job, keep, bsz, self.hfreq)
                idx = idx + batch

        n = 0

        def loop():
            nonlocal n
            enqueue()
            if not threads_.hasjob(): return None
            threads_.dojob()
            if threads_.haserror(): threads_.synchronize()
            enqueue()
            n = n + 1
            return n, sample

        return iter(loop, None)
