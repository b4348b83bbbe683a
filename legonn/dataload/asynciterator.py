"""AsyncIterator (AsyncIterator.lua): a DataLoader whose ``subiter``/``sampleiter`` batches are made by a pool
of legonn.threads workers while the caller trains on the previous ones."""
import copy
import gc
import itertools
import time

from .. import threads
from ..tensor import LongTensor, manualSeed
from .dataloader import DataLoader, check_count, epoch_size


def _worker_init(dataset, seed, verbose, tid):
    """Give worker ``tid`` its own copy of the loader (sharing its tensors, with fresh buffers and position),
    and its own random stream seeded ``seed + tid``."""
    manualSeed(seed + tid)
    if verbose:
        print(f'Starting worker thread with id: {tid} seed: {seed + tid}')
    threads.local.dataset = copy.copy(dataset)
    threads.local.dataset.reset()


def _call(method, args):
    """In a worker: ``method`` of the worker's loader on ``args``, as a tuple."""
    return tuple(getattr(threads.local.dataset, method)(*args))


class AsyncIterator(DataLoader):
    """``AsyncIterator(dataset, nthread=2, verbose=False, serialmode='ascii', threadInit=None)`` decorates the
    DataLoader ``dataset``: its ``subiter`` and ``sampleiter`` yield what ``dataset``'s do, the batches being
    made by ``nthread`` thread workers (legonn.threads, thread backend), each with its own shallow copy of
    ``dataset`` (the tensors are shared, buffers and positions are the worker's). ``threadInit`` runs once in
    each worker. Batches come back in the order they were asked for: ``subiter`` yields exactly the synchronous
    ``dataset.subiter``'s batches, and ``sampleiter`` draws the sample indices in the calling thread from
    legonn's generator, so it yields the batches ``dataset.sampleiter`` would (when ``dataset`` keeps
    DataLoader's ``sample``; a loader with its own ``sample`` samples in the workers, from their own streams).
    ``serialmode`` is accepted for Torch7's signature: workers share the loader's tensors without serialising.
    ``terminate()`` (or ``with``) stops the workers."""

    _gcdelay = 50

    def __init__(self, dataset, nthread=2, verbose=False, serialmode='ascii', threadInit=None):
        if not isinstance(dataset, DataLoader):
            raise TypeError(f"AsyncIterator: dataset must be a dataload DataLoader, got {type(dataset).__name__}")
        if serialmode not in ('ascii', 'binary'):
            raise ValueError(f"AsyncIterator: serialmode must be 'ascii' or 'binary', got {serialmode!r}")
        if threadInit is not None and not callable(threadInit):
            raise TypeError(f"AsyncIterator: threadInit must be a function, got {type(threadInit).__name__}")
        self.dataset = dataset
        self.nthread = check_count('AsyncIterator', 'nthread', nthread)
        self.verbose, self.serialmode = verbose, serialmode
        self.dataset.reset()
        inits = ([threadInit] if threadInit is not None else []) + [
            lambda tid, seed=int(time.time()): _worker_init(dataset, seed, verbose, tid)]
        self.threads = threads.Threads(self.nthread, *inits)
        self._received = {}
        self.querymode = self._query = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.terminate()

    def terminate(self):
        """Finish the jobs in flight and stop the workers."""
        self.threads.terminate()

    def forceCollectGarbage(self):
        """Wait for the workers, then run Python's garbage collector (one for every thread of the process);
        ``collectgarbage`` runs it every ``gcdelay`` (default 50) batches."""
        self.threads.synchronize()
        gc.collect()

    def _force_collect(self):
        self.forceCollectGarbage()

    def synchronize(self):
        """Wait for every job, drop the batches not taken, and end the current iterator."""
        self.threads.synchronize()
        self._received.clear()
        self.querymode = self._query = None
        self.forceCollectGarbage()

    def reset(self):
        """``synchronize``, then forget ``subiter``'s position."""
        self.synchronize()
        super().reset()

    def size(self):
        """The decorated loader's ``size()``."""
        return self.dataset.size()

    def _put(self, ticket, method, args, size):
        """Queue ``method(*args)`` of a worker's loader; its batch is filed under ``ticket``."""
        def received(*batch):
            self._received[ticket] = (size, batch)
        self.threads.addjob(_call, received, method, args)

    def _get(self, ticket):
        """The batch filed under ``ticket``, running ending callbacks until it has come."""
        while ticket not in self._received:
            if not self.threads.dojob():
                raise RuntimeError(f"AsyncIterator: the batch of job {ticket} was never made")
        return self._received.pop(ticket)

    def _iterate(self, mode, batchsize, epochsize, request, args):
        """The generator both iterators share: ``request(bs, inputs, targets)`` gives the (method, args, bs) of
        the next job; ``nthread`` jobs are queued ahead, and each batch's buffers go to the next job."""
        self.synchronize()
        self.querymode = mode
        self._query = query = object()   # which iterator the queued jobs belong to
        nput = nget = 0
        inputs = targets = None
        tickets = itertools.count()
        queued = []

        def put():
            nonlocal nput
            if nput < epochsize:
                method, margs, bs = request(min(nput + batchsize, epochsize) - nput, inputs, targets)
                ticket = next(tickets)
                self._put(ticket, method, margs + args, bs)
                queued.append(ticket)
                nput += bs

        for _ in range(self.nthread):
            put()
        while nget < epochsize:
            if self._query is not query:
                raise RuntimeError(f"AsyncIterator.{mode}: another iterator started; only one runs per synchronize()")
            put()
            size, batch = self._get(queued.pop(0))
            inputs, targets = batch[0], batch[1]
            nget += size
            self.collectgarbage()
            yield (nget,) + batch

    def subiter(self, batchsize=32, epochsize=None, *args):
        """The batches ``dataset.subiter(batchsize, epochsize, ...)`` yields, from where the previous
        ``subiter`` of this iterator stopped, made by the workers."""
        batchsize = check_count('AsyncIterator.subiter', 'batchsize', batchsize)
        size = self.size()
        epochsize = epoch_size('AsyncIterator.subiter', epochsize, size)

        def request(bs, inputs, targets):
            start, stop = self._next_range(bs, size)
            return 'sub', (start, stop, inputs, targets), stop - start + 1

        return self._iterate('subiter', batchsize, epochsize, request, args)

    def sampleiter(self, batchsize=32, epochsize=None, *args):
        """The batches of ``batchsize`` random samples ``dataset.sampleiter(batchsize, epochsize, ...)`` yields,
        made by the workers."""
        batchsize = check_count('AsyncIterator.sampleiter', 'batchsize', batchsize)
        size = self.size()
        epochsize = epoch_size('AsyncIterator.sampleiter', epochsize, size)
        own_sample = type(self.dataset).sample is not DataLoader.sample

        def request(bs, inputs, targets):
            if own_sample:
                return 'sample', (bs, inputs, targets), bs
            return 'index', (LongTensor(bs).random(0, size), inputs, targets), bs

        return self._iterate('sampleiter', batchsize, epochsize, request, args)
