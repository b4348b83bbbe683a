"""torch.typename, torch.type, torch.isTypeOf and torch.factory on torchnet's and optim's classes: the name each
was registered with by torch.class (torch7's init.lua:57 stores it as the metatable's __typename, luaT.c:726),
e.g. torchnet's meter/averagevaluemeter.lua:13 ``torch.class('tnt.AverageValueMeter', 'tnt.Meter', tnt)``."""
import pytest

import legonn as lg
from legonn import optim
from legonn import torchnet as tnt

# every class torchnet and optim register: name -> the parent torch.class names (None for a root class)
REGISTERED = {
    'tnt.Dataset': None, 'tnt.ListDataset': 'tnt.Dataset', 'tnt.TableDataset': 'tnt.ListDataset',
    'tnt.TransformDataset': 'tnt.Dataset', 'tnt.BatchDataset': 'tnt.Dataset',
    'tnt.CoroutineBatchDataset': 'tnt.BatchDataset', 'tnt.ConcatDataset': 'tnt.Dataset',
    'tnt.ResampleDataset': 'tnt.Dataset', 'tnt.ShuffleDataset': 'tnt.ResampleDataset',
    'tnt.SplitDataset': 'tnt.Dataset', 'tnt.IndexedDataset': 'tnt.Dataset', 'tnt.IndexedDatasetReader': None,
    'tnt.IndexedDatasetWriter': None, 'tnt.DatasetIterator': None, 'tnt.ParallelDatasetIterator': 'tnt.DatasetIterator',
    'tnt.Engine': None, 'tnt.SGDEngine': 'tnt.Engine', 'tnt.OptimEngine': 'tnt.SGDEngine', 'tnt.Log': None,
    'tnt.Meter': None, 'tnt.APMeter': 'tnt.Meter', 'tnt.AUCMeter': 'tnt.Meter', 'tnt.AverageValueMeter': 'tnt.Meter',
    'tnt.ClassErrorMeter': 'tnt.Meter', 'tnt.ConfusionMeter': 'tnt.Meter', 'tnt.mAPMeter': 'tnt.Meter',
    'tnt.MovingAverageValueMeter': 'tnt.Meter', 'tnt.MSEMeter': 'tnt.Meter',
    'tnt.MultiLabelConfusionMeter': 'tnt.Meter', 'tnt.NDCGMeter': 'tnt.Meter', 'tnt.PrecisionAtKMeter': 'tnt.Meter',
    'tnt.PrecisionMeter': 'tnt.Meter', 'tnt.RecallMeter': 'tnt.Meter', 'tnt.TimeMeter': 'tnt.Meter',
    'optim.ConfusionMatrix': None, 'optim.Logger': None,
}
PACKAGES = {'tnt': tnt, 'optim': optim}


def _bare(name):
    """An object of the legonn class for the Torch7 name, its constructor not run (the name is the class's)."""
    package, short = name.split('.')
    cls = getattr(PACKAGES[package], short)
    return cls.__new__(cls)


def _ancestors(name):
    while name is not None:
        yield name
        name = REGISTERED[name]


@pytest.mark.parametrize('name', sorted(REGISTERED))
def test_typename_is_the_name_torch_class_registered(name):
    obj = _bare(name)
    assert lg.typename(obj) == name
    assert lg.type(obj) == name


@pytest.mark.parametrize('name', sorted(REGISTERED))
def test_is_type_of_walks_the_registered_parents(name):
    obj = _bare(name)
    for ancestor in _ancestors(name):
        assert lg.isTypeOf(obj, ancestor), ancestor
    others = {n for n in REGISTERED if n not in set(_ancestors(name))}
    assert not [n for n in others if lg.isTypeOf(obj, n)]


def test_built_objects_and_a_user_subclass():
    """A constructed meter and confusion matrix answer the same; a Python subclass of tnt.Dataset is named in
    the same package, as a subclass of nn.Module is 'nn.<its name>'."""
    assert lg.typename(tnt.AverageValueMeter()) == 'tnt.AverageValueMeter'
    assert lg.typename(optim.ConfusionMatrix(3)) == 'optim.ConfusionMatrix'

    class MyDataset(tnt.Dataset):
        pass
    assert lg.typename(MyDataset()) == 'tnt.MyDataset' and lg.isTypeOf(MyDataset(), 'tnt.Dataset')
    assert not lg.isTypeOf(tnt.ConfusionMeter(2), 'tnt._Confusion$')   # a private base has no Torch7 name


def test_factory_makes_a_confusion_matrix_by_its_torch7_name():
    """torch.factory('optim.ConfusionMatrix') (init.lua:96) gives a bare object of the class."""
    made = lg.factory('optim.ConfusionMatrix')()
    assert type(made) is optim.ConfusionMatrix and lg.typename(made) == 'optim.ConfusionMatrix'
    assert lg.factory('tnt.NoSuchMeter') is None
