"""torchnet's datasets over a list held in memory: ``ListDataset`` (dataset/listdataset.lua: ``load(list[i])``)
and ``TableDataset`` (dataset/tabledataset.lua: a copy of ``data[i]``)."""
from ...tensor import Tensor
from ...tensor.introspection import tostring
from ..arguments import check_callable, check_index, named_table
from ..sys_tools import loadlist
from ..table_tools import clone
from .dataset import Dataset


def _list_length(owner, items):
    """The number of entries of ``items``: a list or tuple, a tensor (its first dimension's size, as
    listdataset.lua's ``self.list:size(1)``: a 2-D tensor lists its rows), or anything indexed 0 .. n-1 with a
    len() (an array, a dict with those keys, a tds.Vec or tds.Hash, as torchnet takes)."""
    if isinstance(items, Tensor):
        if items.dim() < 1 or items.nElement() == 0:
            raise ValueError(f"{owner}: expected a tensor with at least one dimension as the list, got sizes "
                             f"{tuple(items.size())}")
        return items.size(0)
    if isinstance(items, (str, bytes)) or not hasattr(items, '__len__') or not hasattr(items, '__getitem__'):
        raise TypeError(f"{owner}: expected the list as a list, tuple, 1-D tensor or array (or a table indexed "
                        f"0 .. n-1), got {type(items).__name__}")
    return len(items)


class ListDataset(Dataset):
    """Sample ``i`` is ``load(list[i])`` (0-based ``i``), or ``load(path + '/' + tostring(list[i]))`` when ``path``
    is given. ``list`` is a list, tuple, LongTensor (a row of a 2-D one is its entry: cvpr15deepcompare's
    ``N x 2`` pairs of patch numbers) or array; a string instead is the name of a file whose
    lines make the list (at most ``maxload`` of them when it is positive), as torchnet's ``filename`` form:
    ``ListDataset('files.txt', load, 'images')`` or ``ListDataset(filename='files.txt', load=load)``."""

    @named_table
    def __init__(self, list=None, load=None, path=None, filename=None, maxload=None):
        owner = 'tnt.ListDataset'
        if isinstance(list, str):           # argcheck's (filename, load, [maxload], [path]) overload
            filename, list = list, None
            if path is not None and not isinstance(path, str):
                path, maxload = maxload, path
        if (list is None) == (filename is None):
            raise TypeError(f"{owner}: expected one of list= or filename=, got "
                            f"{'both' if filename is not None else 'neither'}")
        self.load = check_callable(owner, 'load', load)
        if path is not None and not isinstance(path, str):
            raise TypeError(f"{owner}: expected path to be a string, got {type(path).__name__}")
        if filename is not None:
            list = loadlist(filename, maxload=maxload)
            print(f"| loaded <{filename}> with {len(list)} examples")
        _list_length(owner, list)
        self.list = list
        self.path = path

    def size(self):
        return _list_length('tnt.ListDataset', self.list)

    def get(self, idx):
        """``load(list[idx])`` for the 0-based ``idx``."""
        item = self.list[check_index('tnt.ListDataset.get', idx, self.size())]
        if self.path is not None:
            return self.load(f"{self.path}/{tostring(item)}")   # string.format("%s/%s", ...)
        return self.load(item)


class TableDataset(ListDataset):
    """The entries of the list ``data`` as samples: ``get(i)`` is a deep copy of ``data[i]`` (0-based), so a
    sample can be changed without changing the data."""

    @named_table
    def __init__(self, data=None):
        if not isinstance(data, (list, tuple)):
            raise TypeError(f"tnt.TableDataset: expected data to be a list (Lua's table with keys 1..n), "
                            f"got {type(data).__name__}")
        self.data = data

    def size(self):
        return len(self.data)

    def get(self, idx):
        return clone(self.data[check_index('tnt.TableDataset.get', idx, self.size())])
