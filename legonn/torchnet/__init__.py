"""``local tnt = require 'torchnet'``: torchnet for legonn (``from legonn import torchnet as tnt``).

Datasets (``size()``, ``get(idx)`` with 0-based indices) and their sugar (``d.batch(32)``, ``d.shuffle()``,
``d.transform(f, 'input')``, ``d.iterator()``, ``d.parallel(nthread=4)``), iterators (``DatasetIterator``,
``ParallelDatasetIterator`` on legonn.threads), engines with hooks (``SGDEngine``, ``OptimEngine``),
``tnt.transform`` and ``tnt.utils`` (``table``, ``nn``, ``sys``), the meters (``AverageValueMeter``,
``ClassErrorMeter``, ``APMeter``, ...) and ``Log`` with its views. Every constructor and engine method takes its
arguments by position, as keywords, or as one dict (torchnet's ``tnt.ListDataset{list=l, load=f}`` is
``tnt.ListDataset({'list': l, 'load': f})`` or ``tnt.ListDataset(list=l, load=f)``). README.md's torchnet
section lists what is provided and what is not.
"""
from types import SimpleNamespace

from . import nn_tools, sys_tools, table_tools, transform
from .datasets import (BatchDataset, ConcatDataset, CoroutineBatchDataset, Dataset, IndexedDataset,
                       IndexedDatasetReader, IndexedDatasetWriter, ListDataset, ResampleDataset, ShuffleDataset,
                       SplitDataset, TableDataset, TransformDataset)
from .engines import Engine, OptimEngine, SGDEngine
from .iterators import DatasetIterator, ParallelDatasetIterator
from .log import Log
from .meters import (APMeter, AUCMeter, AverageValueMeter, ClassErrorMeter, ConfusionMeter, Meter,
                     MovingAverageValueMeter, MSEMeter, MultiLabelConfusionMeter, NDCGMeter, PrecisionAtKMeter,
                     PrecisionMeter, RecallMeter, TimeMeter, mAPMeter)

# tnt.utils.table.mergetensor, tnt.utils.nn.inferoutputsize, tnt.utils.sys.loadlist: torchnet's utils tables
utils = SimpleNamespace(table=table_tools, nn=nn_tools, sys=sys_tools)

__all__ = ['Dataset', 'ListDataset', 'TableDataset', 'TransformDataset', 'BatchDataset', 'CoroutineBatchDataset',
           'ConcatDataset', 'ResampleDataset', 'ShuffleDataset', 'SplitDataset', 'IndexedDataset',
           'IndexedDatasetReader', 'IndexedDatasetWriter', 'DatasetIterator',
           'ParallelDatasetIterator', 'Engine', 'SGDEngine', 'OptimEngine', 'transform', 'utils', 'Log', 'Meter',
           'APMeter', 'AUCMeter', 'AverageValueMeter', 'ClassErrorMeter', 'ConfusionMeter', 'mAPMeter',
           'MovingAverageValueMeter', 'MSEMeter', 'MultiLabelConfusionMeter', 'NDCGMeter', 'PrecisionAtKMeter',
           'PrecisionMeter', 'RecallMeter', 'TimeMeter']
