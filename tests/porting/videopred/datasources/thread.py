"""datasources/thread.lua: ThreadedDatasource, a datasource whose batches are made by nDonkeys donkey threads
(each with its own datasource, built by ``getDatasourceFun``).

Edits beyond Lua syntax and 0-based indices:

* ``datasource_t`` and ``threadid_t``, the donkeys' globals (one Lua state per thread), are
  ``threads.local`` attributes (docs/porting.md's thread globals row).
* A job's results cross to the main thread through threads.serialize in Torch7, a copy; legonn's thread workers
  hand over the very tensors (docs/threads.md), here the donkey's reused batch buffer, which the donkey overwrites
  with its next batch while the main thread may still be copying it: the jobs return ``batch.clone(),
  labels.clone()`` (docs/porting.md's file-level locals row).
* ``torch.manualSeed(threadid*os.clock())`` seeds each donkey from the clock (``os_clock``, the process's CPU
  time as Lua's ``os.clock``; ``threadid`` is 1-based there, ``threadid + 1`` here), as the Lua does; a test
  that needs the same batches on every run sets ``os_clock`` and runs one donkey. ``math.randomseed``
  seeds Python's ``random`` (unused here). The ``__gc`` proxy (Lua 5.1's newproxy) is left out: Python frees
  the buffers itself. ``os.exit(0)`` on a donkey error is ``sys.exit(0)``.
"""
import random
import sys
from time import process_time as os_clock

import legonn as lg
from legonn import threads
from tests.porting.videopred.datasources.classdatasource import ClassDatasource


class ThreadedDatasource(ClassDatasource):

    def __init__(self, getDatasourceFun, params):
        super().__init__()
        self.nDonkeys = params.get('nDonkeys') or 4
        # threads.Threads.serialization('threads.sharedserialize') --TODO

        def init(threadid):
            lg.manualSeed(int((threadid + 1) * os_clock() * 1e6))
            random.seed((threadid + 1) * os_clock() * 1.7)
            lg.setnumthreads(1)
            threads.local.threadid_t = threadid
            threads.local.datasource_t = getDatasourceFun()
        self.donkeys = threads.Threads(self.nDonkeys, init)

        def job():
            datasource_t = threads.local.datasource_t
            return datasource_t.nChannels, datasource_t.nClasses, datasource_t.h, datasource_t.w

        def ending(nChannels, nClasses, h, w):
            self.nChannels, self.nClasses = nChannels, nClasses
            self.h, self.w = h, w
        self.donkeys.addjob(job, ending)
        self.donkeys.synchronize()
        self.started = False
        self.output, self.labels = self.output_cpu, self.labels_cpu

    def type(self, typ):
        super().type(typ)
        if typ == 'torch.CudaTensor':
            self.output, self.labels = self.output_gpu, self.labels_gpu
        else:
            self.output, self.labels = self.output_cpu, self.labels_cpu

    def nextBatch(self, batchSize, set):
        assert batchSize is not None, 'nextBatch: must specify batchSize'
        assert set is not None, 'nextBatch: must specify set'

        def addjob():
            def job():
                batch, labels = threads.local.datasource_t.nextBatch(batchSize, set)
                return batch.clone(), labels.clone()

            def ending(outputs, labels):
                if self.output is not None:
                    self.output.resize(outputs.size()).copy(outputs)
                    self.labels.resize(labels.size()).copy(labels)
                    self.last_config = [batchSize, set]
            self.donkeys.addjob(job, ending)
        if not self.started:
            self.donkeys.synchronize()
            self.donkeys.specific(False)
            for i in range(self.nDonkeys):
                if self.donkeys.acceptsjob():
                    addjob()
            self.started = True

        if self.donkeys.haserror():
            print("ThreadedDatasource: There is an error in a donkey")
            self.donkeys.terminate()
            sys.exit(0)

        self.last_config = []
        while (self.last_config[0:1] != [batchSize]) or (self.last_config[1:2] != [set]):
            addjob()
            self.donkeys.dojob()
        return self.output, self.labels
