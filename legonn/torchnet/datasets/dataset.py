"""torchnet's ``tnt.Dataset`` (dataset/init.lua): ``size()``, ``get(idx)`` with a 0-based ``idx``, ``exec``,
and the sugar that wraps a dataset in another (``d.batch(30)`` is ``tnt.BatchDataset(d, 30)``)."""
import inspect

from ...tensor.naming import TorchNamed
from ..arguments import named_table


class Dataset(TorchNamed):
    """The base of every dataset: ``size()`` samples, ``get(idx)`` the sample at 0-based ``idx`` (torchnet's
    ``get(1)`` is ``get(0)``). A sample is usually a dict (a Lua table) of tensors."""

    # lg.typename: 'tnt.' and the class name, as torchnet registers its classes (torch.class('tnt.Dataset')
    # in dataset/init.lua:38), here and in every class derived from this one
    lua_package = 'tnt'

    def size(self):
        raise NotImplementedError(f"size not implemented for class <{type(self).__name__}>")

    def get(self, idx):
        raise NotImplementedError(f"get not implemented for class <{type(self).__name__}>")

    def exec(self, name, *args):
        """Call the method ``name`` with ``args`` on this dataset, or else on the dataset it wraps, down the
        chain; a ValueError when none has it."""
        method = getattr(self, name, None)
        if inspect.isroutine(method):
            return method(*args)
        inner = getattr(self, 'dataset', None) or getattr(self, '_dataset', None)
        if inner is not None:
            return inner.exec(name, *args)
        raise ValueError(f"{type(self).__name__}.exec: unknown function <{name}>")

    def batch(self, *args, **kwargs):
        """``tnt.BatchDataset(self, ...)``."""
        from .batch import BatchDataset
        return BatchDataset(self, *args, **kwargs)

    def sample(self, *args, **kwargs):
        """``tnt.ResampleDataset(self, ...)``."""
        from .resampling import ResampleDataset
        return ResampleDataset(self, *args, **kwargs)

    def shuffle(self, *args, **kwargs):
        """``tnt.ShuffleDataset(self, ...)``."""
        from .resampling import ShuffleDataset
        return ShuffleDataset(self, *args, **kwargs)

    def split(self, *args, **kwargs):
        """``tnt.SplitDataset(self, ...)``."""
        from .resampling import SplitDataset
        return SplitDataset(self, *args, **kwargs)

    def transform(self, *args, **kwargs):
        """``tnt.TransformDataset(self, ...)``: ``d.transform(f, 'input')`` applies f to each sample's input."""
        from .composition import TransformDataset
        return TransformDataset(self, *args, **kwargs)

    def iterator(self, *args, **kwargs):
        """``tnt.DatasetIterator(self, ...)``."""
        from ..iterators import DatasetIterator
        return DatasetIterator(self, *args, **kwargs)

    @named_table
    def parallel(self, init=None, nthread=None, perm=None, filter=None, transform=None, ordered=False):
        """``tnt.ParallelDatasetIterator`` whose workers each get this dataset (the same object: legonn's
        workers are threads of this process)."""
        from ..iterators import ParallelDatasetIterator
        return ParallelDatasetIterator(init=init, closure=lambda: self, nthread=nthread, perm=perm, filter=filter,
                                       transform=transform, ordered=ordered)
