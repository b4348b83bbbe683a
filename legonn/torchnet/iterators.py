"""torchnet's iterators (dataset/datasetiterator.lua, dataset/paralleldatasetiterator.lua): ``run()`` (or calling
the iterator, or a ``for`` over it) gives the samples of a dataset, filtered and transformed on the fly;
``ParallelDatasetIterator`` fetches them in legonn.threads workers."""
import functools
import inspect

from .. import threads
from ..tensor.naming import TorchNamed
from .arguments import check_callable, lua_call, named_table, whole
from .datasets.dataset import Dataset


def _identity(x):
    return x


def _always(sample):
    return True


class DatasetIterator(TorchNamed):
    """The samples of ``dataset`` at ``perm(0), perm(1), ..., perm(size-1)`` (0-based; identity by default), each
    given to ``transform`` and kept when ``filter`` is true. Given an ``iterator`` instead of a dataset, the
    samples of that iterator, transformed and filtered again. ``for sample in it.run():``, ``it()`` and
    ``for sample in it:`` are the same loop."""

    # lg.typename: 'tnt.' and the class name, as torchnet registers its classes (torch.class('tnt.DatasetIterator')
    # in dataset/datasetiterator.lua:44), here and in every class derived from this one
    lua_package = 'tnt'

    @named_table
    def __init__(self, dataset=None, perm=None, filter=None, transform=None, iterator=None):
        owner = f'tnt.{type(self).__name__}'
        if isinstance(dataset, DatasetIterator) and iterator is None:   # the (iterator, filter, transform) overload
            dataset, iterator, perm, filter, transform = None, dataset, None, perm, filter
        if (dataset is None) == (iterator is None):
            raise TypeError(f"{owner}: expected a tnt.Dataset (dataset=) or a tnt.DatasetIterator (iterator=), got "
                            f"{type(dataset if iterator is None else iterator).__name__}"
                            f"{' and an iterator' if dataset is not None else ''}")
        if iterator is not None and not isinstance(iterator, DatasetIterator):
            raise TypeError(f"{owner}: expected iterator to be a tnt.DatasetIterator, got {type(iterator).__name__}")
        if iterator is not None and perm is not None:
            raise TypeError(f"{owner}: perm applies to a dataset, not to an iterator")
        if dataset is not None and not isinstance(dataset, Dataset):
            raise TypeError(f"{owner}: expected dataset to be a tnt.Dataset, got {type(dataset).__name__}")
        self.dataset, self.iterator = dataset, iterator
        self._set_functions(owner, perm, filter, transform)

    def _set_functions(self, owner, perm, filter, transform):
        """Keep ``perm``, ``filter`` and ``transform`` (checked callables; None: identity, keep all, identity)."""
        self._perm = _identity if perm is None else check_callable(owner, 'perm', perm)
        self._filter = _always if filter is None else check_callable(owner, 'filter', filter)
        self._transform = _identity if transform is None else check_callable(owner, 'transform', transform)

    def run(self):
        """A generator of the samples (the dataset's size is read when the loop starts)."""
        if self.iterator is not None:
            for sample in self.iterator.run():
                sample = self._transform(sample)
                if self._filter(sample):
                    yield sample
            return
        for idx in range(self.dataset.size()):
            sample = self._transform(self.dataset.get(self._perm(idx)))
            if self._filter(sample):
                yield sample

    def __call__(self):
        return self.run()

    def __iter__(self):
        return self.run()

    def exec(self, name, *args):
        """Call the method ``name`` with ``args`` on this iterator, or else on its dataset (or iterator)."""
        method = getattr(self, name, None)
        if inspect.isroutine(method):
            return method(*args)
        if self.dataset is not None:
            return self.dataset.exec(name, *args)
        if self.iterator is not None:
            return self.iterator.exec(name, *args)
        raise ValueError(f"tnt.{type(self).__name__}.exec: unknown function <{name}>")

    def filter(self, filter):
        """A new iterator over this one's samples for which ``filter(sample)`` is true."""
        return DatasetIterator(iterator=self, filter=filter)

    def transform(self, transform):
        """A new iterator over ``transform(sample)`` for this one's samples."""
        return DatasetIterator(iterator=self, transform=transform)


# --- jobs of the parallel iterator's workers: each worker holds its own dataset in threads.local ------------

def _open_dataset(closure, tid):
    """Make this worker's dataset (``closure(tid)``) and return its size."""
    dataset = lua_call(closure, tid)
    if not isinstance(dataset, Dataset):
        raise TypeError(f"tnt.ParallelDatasetIterator: closure should return a tnt.Dataset, got "
                        f"{type(dataset).__name__}")
    threads.local.tnt_dataset = dataset
    return dataset.size()


def _dataset_size():
    return threads.local.tnt_dataset.size()


def _get_sample(origidx, idx):
    return threads.local.tnt_dataset.get(idx), origidx


def _exec(name, args):
    return threads.local.tnt_dataset.exec(name, *args)


class ParallelDatasetIterator(DatasetIterator):
    """The samples of a dataset fetched by ``nthread`` workers of legonn.threads: ``init(threadid)`` runs once in
    each worker (thread ids 0-based), then ``closure(threadid)`` makes that worker's dataset. ``run()`` gives
    every sample at ``perm(idx)`` once, ``transform``\\ ed then ``filter``\\ ed in the main thread, in the order
    the workers finish them, or in index order when ``ordered``. ``exec(name, ...)`` calls a dataset method in
    every worker (a list of the results, one per worker), ``execSingle`` in one. ``backend`` (legonn's addition)
    is the pool's: 'thread' (default) or 'process' (then ``init`` and ``closure`` must be picklable)."""

    @named_table
    def __init__(self, init=None, closure=None, nthread=None, perm=None, filter=None, transform=None,
                 ordered=False, backend='thread'):
        owner = 'tnt.ParallelDatasetIterator'
        check_callable(owner, 'closure', closure)
        self._nthread = whole(owner, 'nthread', nthread, minimum=1)
        self._set_functions(owner, perm, filter, transform)
        self._ordered = bool(ordered)
        self.dataset = self.iterator = None
        inits = ([check_callable(owner, 'init', init)] if init is not None else []) + \
            [functools.partial(_open_dataset, closure)]
        self._threads = threads.Threads(self._nthread, *inits, backend=backend)
        self._size = self._threads.initres[0][0]

    def _set_size(self, size):
        self._size = size

    def run(self):
        """A generator of the samples; the size of the workers' dataset is read again each time."""
        pool = self._threads
        pool.synchronize()
        pool.addjob(_dataset_size, self._set_size)
        pool.dojob()
        size, perm, next_idx, fetched = self._size, self._perm, [0], []

        def store(sample, origidx):
            fetched.append((sample, origidx))

        def enqueue():
            while next_idx[0] < size and pool.acceptsjob():
                pool.addjob(_get_sample, store, next_idx[0], perm(next_idx[0]))
                next_idx[0] += 1

        def fetch():
            """Wait for the next sample, transformed; (sample, its index, kept?)."""
            enqueue()
            if not fetched:
                pool.dojob()
                if pool.haserror():
                    pool.synchronize()
            enqueue()
            sample, origidx = fetched.pop(0)
            sample = self._transform(sample)
            return sample, origidx, self._filter(sample)

        enqueue()
        if not self._ordered:
            while fetched or pool.hasjob():
                sample, _, kept = fetch()
                if kept:
                    yield sample
            return
        stored, current = {}, 0      # samples that came early, by index; None marks one the filter dropped
        while current < size:
            while current not in stored and (fetched or pool.hasjob()):
                sample, origidx, kept = fetch()
                stored[origidx] = sample if kept else None
            if current not in stored:
                return
            sample = stored.pop(current)
            current += 1
            if sample is not None:
                yield sample

    def exec(self, name, *args):
        """``[dataset.exec(name, *args) for each worker's dataset]``, run in every worker."""
        pool = self._threads
        if pool.hasjob():
            raise RuntimeError("tnt.ParallelDatasetIterator.exec: cannot exec during loop")
        results = [None] * self._nthread

        def keep(tid):
            def callback(*values):
                results[tid] = values if len(values) > 1 else (values[0] if values else None)
            return callback
        pool.specific(True)
        for tid in range(self._nthread):
            pool.addjob(tid, _exec, keep(tid), name, args)
        pool.specific(False)
        return results

    def execSingle(self, name, *args):
        """``dataset.exec(name, *args)`` run on the dataset of the first free worker."""
        pool = self._threads
        if pool.hasjob():
            raise RuntimeError("tnt.ParallelDatasetIterator.execSingle: cannot execSingle during loop")
        result = []
        pool.addjob(_exec, lambda *values: result.append(values), name, args)
        pool.synchronize()
        values = result[0]
        return values[0] if len(values) == 1 else (values or None)
