"""torchnet's datasets that choose which samples of another dataset to give: ``ResampleDataset``
(dataset/resampledataset.lua: a sampler maps indices), ``ShuffleDataset`` (dataset/shuffledataset.lua: a random
permutation, or draws with replacement) and ``SplitDataset`` (dataset/splitdataset.lua: named partitions)."""
import math

from ...tensor import LongTensor, randperm
from ..arguments import check_callable, check_index, lua_call, named_table, whole
from .composition import check_dataset
from .dataset import Dataset


class ResampleDataset(Dataset):
    """``get(idx)`` is ``dataset.get(sampler(dataset, idx))``: the sampler maps the 0-based ``idx`` (0 .. size-1)
    to a 0-based index of ``dataset`` (identity by default). ``size`` (when positive) sets the size, else (None,
    0, -1) it is the dataset's."""

    @named_table
    def __init__(self, dataset=None, sampler=None, size=None):
        self._dataset = check_dataset(f'tnt.{type(self).__name__}', dataset)
        self._sampler = (lambda d, idx: idx) if sampler is None else check_callable('tnt.ResampleDataset',
                                                                                      'sampler', sampler)
        self._size = None if size is None else whole('tnt.ResampleDataset', 'size', size, minimum=None)

    def size(self):
        return self._size if self._size is not None and self._size > 0 else self._dataset.size()

    def get(self, idx):
        idx = check_index(f'tnt.{type(self).__name__}.get', idx, self.size())
        inner = lua_call(self._sampler, self._dataset, idx)
        return self._dataset.get(check_index(f"tnt.{type(self).__name__}.get (the sampler's index for {idx})", inner,
                                             self._dataset.size()))


class ShuffleDataset(ResampleDataset):
    """A random order of ``dataset``'s samples: a permutation (the first ``size`` entries of one when ``size`` is
    given), or ``size`` uniform draws with ``replacement``. The draw is kept until ``resample()`` draws again; it
    uses legonn's random generator (``legonn.manualSeed`` fixes it)."""

    @named_table
    def __init__(self, dataset=None, size=None, replacement=False):
        dataset = check_dataset('tnt.ShuffleDataset', dataset)
        if size is not None and not replacement and size > dataset.size():
            raise ValueError("tnt.ShuffleDataset: size cannot be larger than underlying dataset size when sampling "
                             f"without replacement (size {size}, dataset size {dataset.size()})")
        self._replacement = bool(replacement)
        super().__init__(dataset, lambda d, idx: int(self._perm[idx]), size)
        self.resample()

    def resample(self):
        """Draw a new permutation (or new draws with replacement)."""
        n = self._dataset.size()
        if self._replacement:
            self._perm = LongTensor(self.size()).random(n)
        else:
            self._perm = randperm(n).narrow(0, 0, self.size())


class SplitDataset(Dataset):
    """``dataset`` cut into consecutive named partitions (no shuffling), in the sorted order of their names:
    ``partitions`` maps each name to a size in samples, or to a fraction of the dataset when they sum to 1 or
    less (each then ``floor(fraction * size)``). ``select(name)`` chooses the partition that ``size()`` and
    ``get()`` see; ``initialpartition`` selects one at once."""

    @named_table
    def __init__(self, dataset=None, partitions=None, initialpartition=None):
        owner = 'tnt.SplitDataset'
        self._dataset = check_dataset(owner, dataset)
        if not isinstance(partitions, dict):
            raise TypeError(f"{owner}: expected partitions to be a dict of name -> size or fraction, got "
                            f"{type(partitions).__name__}")
        self._names = sorted(partitions)
        sizes = [partitions[name] for name in self._names]
        if len(sizes) < 2:
            raise ValueError(f"{owner}: SplitDataset should have at least two partitions, got {partitions!r}")
        if min(sizes) < 0:
            raise ValueError(f"{owner}: some partition sizes are negative: {partitions!r}")
        if max(sizes) <= 0:
            raise ValueError(f"{owner}: all partitions are empty: {partitions!r}")
        if sum(sizes) <= 1:
            sizes = [math.floor(s * dataset.size()) for s in sizes]
        elif any(not float(s).is_integer() for s in sizes):
            raise ValueError(f"{owner}: partition sizes should be integer numbers, or sum up to <= 1, got "
                             f"{partitions!r}")
        self._sizes = [int(s) for s in sizes]
        if sum(self._sizes) > dataset.size():
            raise ValueError(f"{owner}: split cannot involve more samples than dataset size "
                             f"({sum(self._sizes)} > {dataset.size()})")
        self._partition = None
        if initialpartition is not None:
            self.select(initialpartition)

    def select(self, partition):
        """Make the partition named ``partition`` the current one."""
        if partition not in self._names:
            raise ValueError(f"tnt.SplitDataset.select: partition not found: {partition!r} (partitions: "
                             f"{self._names})")
        self._partition = self._names.index(partition)

    def _current(self, what):
        if self._partition is None:
            raise ValueError(f"tnt.SplitDataset.{what}: select a partition before accessing data")
        return self._partition

    def size(self):
        return self._sizes[self._current('size')]

    def get(self, idx):
        k = self._current('get')
        idx = check_index('tnt.SplitDataset.get', idx, self._sizes[k])
        return self._dataset.get(sum(self._sizes[:k]) + idx)
