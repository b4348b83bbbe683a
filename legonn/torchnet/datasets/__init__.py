"""torchnet's datasets (dataset/*.lua): a ``size()`` and a ``get(idx)`` with 0-based indices."""
from .batch import BatchDataset, CoroutineBatchDataset
from .composition import ConcatDataset, TransformDataset
from .dataset import Dataset
from .indexed import IndexedDataset, IndexedDatasetReader, IndexedDatasetWriter
from .lists import ListDataset, TableDataset
from .resampling import ResampleDataset, ShuffleDataset, SplitDataset

__all__ = ['Dataset', 'ListDataset', 'TableDataset', 'TransformDataset', 'BatchDataset', 'CoroutineBatchDataset',
           'ConcatDataset', 'ResampleDataset', 'ShuffleDataset', 'SplitDataset', 'IndexedDataset',
           'IndexedDatasetReader', 'IndexedDatasetWriter']
