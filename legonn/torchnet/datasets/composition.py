"""torchnet's datasets made of other datasets: ``TransformDataset`` (dataset/transformdataset.lua: a closure
applied to each sample, or to one field of it) and ``ConcatDataset`` (dataset/concatdataset.lua: datasets one
after the other)."""
import bisect

from ..arguments import check_callable, check_index, lua_call, named_table
from .dataset import Dataset


def check_dataset(owner, dataset, what='dataset'):
    """``dataset`` when it is a ``tnt.Dataset``, else a TypeError naming ``owner``."""
    if not isinstance(dataset, Dataset):
        raise TypeError(f"{owner}: expected {what} to be a tnt.Dataset, got {type(dataset).__name__}")
    return dataset


def _field(owner, sample, key):
    if not isinstance(sample, dict) or sample.get(key) is None:
        raise ValueError(f"{owner}: missing key {key!r} in sample")
    return sample[key]


class TransformDataset(Dataset):
    """``get(idx)`` is ``transform(dataset.get(idx), idx)``; with ``key``, only the sample's field ``key`` is
    replaced by ``transform(sample[key], idx)``. ``transforms`` instead (a dict of field name -> function) replaces
    each named field by its function's result. The sample is changed in place, as torchnet's is; ``idx`` is
    0-based (a transform that takes one argument is given only the value)."""

    @named_table
    def __init__(self, dataset=None, transform=None, key=None, transforms=None):
        owner = 'tnt.TransformDataset'
        self.dataset = check_dataset(owner, dataset)
        if isinstance(transform, dict) and transforms is None and key is None:   # (dataset, transforms) by position
            transform, transforms = None, transform
        if (transform is None) == (transforms is None):
            raise TypeError(f"{owner}: expected one of transform= (a function) or transforms= (a dict of field "
                            "name -> function)")
        if transforms is not None:
            if not isinstance(transforms, dict):
                raise TypeError(f"{owner}: expected transforms to be a dict of field name -> function, got "
                                f"{type(transforms).__name__}")
            for name, f in transforms.items():
                check_callable(owner, f'transforms[{name!r}]', f)
            self._transforms = dict(transforms)
        else:
            self._transform = check_callable(owner, 'transform', transform)
            self._transforms = None
        self.key = key

    def size(self):
        return self.dataset.size()

    def get(self, idx):
        owner = 'tnt.TransformDataset.get'
        sample = self.dataset.get(idx)
        if self._transforms is not None:
            for name, f in self._transforms.items():
                sample[name] = f(_field(owner, sample, name))
            return sample
        if self.key is not None:
            sample[self.key] = lua_call(self._transform, _field(owner, sample, self.key), idx)
            return sample
        return lua_call(self._transform, sample, idx)


class ConcatDataset(Dataset):
    """The datasets of the list ``datasets`` one after the other: the size is the sum of theirs, and sample
    ``idx`` (0-based) comes from the dataset whose range holds it. The sizes are read once, at construction."""

    @named_table
    def __init__(self, datasets=None):
        owner = 'tnt.ConcatDataset'
        if not isinstance(datasets, (list, tuple)) or not datasets:
            raise ValueError(f"{owner}: expected datasets to be a non-empty list of tnt.Dataset, got {datasets!r}")
        self._datasets = [check_dataset(owner, d, 'each member of datasets') for d in datasets]
        self._ends = []         # one past the last index of each dataset
        for d in self._datasets:
            self._ends.append((self._ends[-1] if self._ends else 0) + d.size())

    def size(self):
        return self._ends[-1]

    def get(self, idx):
        idx = check_index('tnt.ConcatDataset.get', idx, self.size())
        k = bisect.bisect_right(self._ends, idx)
        return self._datasets[k].get(idx - (self._ends[k - 1] if k else 0))
