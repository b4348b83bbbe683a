"""torchnet's ``BatchDataset`` (dataset/batchdataset.lua) and ``CoroutineBatchDataset``
(dataset/coroutinebatchdataset.lua): consecutive samples of a dataset merged into batches."""
import inspect
import math

from ..arguments import check_callable, check_index, lua_call, named_table, whole
from ..transform import makebatch
from .composition import check_dataset
from .dataset import Dataset

_POLICIES = ('include-last', 'skip-last', 'divisible-only')


def _resume(got):
    """``(sample, True)`` when ``got`` is a sample or a generator that returns it before its next ``yield``;
    ``(got, False)`` when the generator ``got`` yielded (run up to that ``yield``)."""
    if not inspect.isgenerator(got):
        return got, True
    try:
        next(got)
    except StopIteration as done:
        return done.value, True
    return got, False


class BatchDataset(Dataset):
    """Batch ``idx`` (0-based) merges the samples ``idx * batchsize .. idx * batchsize + batchsize - 1`` of
    ``dataset``, each read at ``perm(i, dataset.size())`` (0-based; identity by default) and kept when
    ``filter(sample)`` is true. ``merge`` makes the batch from the samples' fields merged by key (default: each
    field that is a list of same-sized tensors becomes one ``batchsize x ...`` tensor, others stay lists).
    ``policy`` for a size not divisible by ``batchsize``: 'include-last' (a smaller last batch), 'skip-last'
    (dropped) or 'divisible-only' (a ValueError)."""

    @named_table
    def __init__(self, dataset=None, batchsize=None, perm=None, merge=None, policy='include-last', filter=None):
        owner = f'tnt.{type(self).__name__}'
        self.dataset = check_dataset(owner, dataset)
        if isinstance(perm, str) and merge is None and policy == 'include-last':   # (dataset, batchsize, policy)
            perm, policy = None, perm
        self.batchsize = whole(owner, 'batchsize (a positive integer number)', batchsize, minimum=1)
        self.perm = (lambda idx, size: idx) if perm is None else check_callable(owner, 'perm', perm)
        self.filter = (lambda sample: True) if filter is None else check_callable(owner, 'filter', filter)
        self.makebatch = makebatch(merge)
        if policy not in _POLICIES:
            raise ValueError(f"{owner}: invalid policy ({' | '.join(_POLICIES)} expected), got {policy!r}")
        self.policy = policy
        self.size()

    def size(self):
        n = self.dataset.size()
        if self.policy == 'include-last':
            return math.ceil(n / self.batchsize)
        if self.policy == 'skip-last':
            return n // self.batchsize
        if n % self.batchsize:
            raise ValueError(f"tnt.{type(self).__name__}: dataset size is not divisible by batch size "
                             f"({n} by {self.batchsize}, policy 'divisible-only')")
        return n // self.batchsize

    def _indices(self, idx):
        """The 0-based indices into the dataset of batch ``idx``, permuted."""
        idx = check_index(f'tnt.{type(self).__name__}.get', idx, self.size())
        n = self.dataset.size()
        return [lua_call(self.perm, i, n) for i in range(idx * self.batchsize, min((idx + 1) * self.batchsize, n))]

    def get(self, idx):
        samples = [self.dataset.get(i) for i in self._indices(idx)]
        return self.makebatch([s for s in samples if self.filter(s)])


class CoroutineBatchDataset(BatchDataset):
    """A ``BatchDataset`` whose dataset may postpone its samples: where torchnet's ``get`` calls
    ``coroutine.yield()`` once before returning, a Python ``get`` is a generator that ``yield``\\ s once, then
    ``return``\\ s the sample. Every sample of the batch is started (each up to its ``yield``) before any is
    finished, so the dataset can fetch the whole batch at once; a ``get`` that is not a generator gives its
    sample at once."""

    def get(self, idx):
        owner = f'tnt.{type(self).__name__}.get'
        started = [_resume(self.dataset.get(i))[0] for i in self._indices(idx)]
        samples = []
        for got in started:
            sample, finished = _resume(got)
            if not finished:
                raise ValueError(f"{owner}: the dataset's get yielded more than once (coroutine did not die)")
            samples.append(sample)
        return self.makebatch([s for s in samples if self.filter(s)])
