"""torchnet's datasets (dataset/*.lua), transforms (transform.lua) and utils (utils/*.lua): test/datasets.lua's
cases with 0-based indices, and the Lua sources' rules where that file has no case."""
import numpy as np
import pytest

import legonn as lg
from legonn import torchnet as tnt


def identity(*args):
    return args[0] if len(args) == 1 else args


def test_list_dataset_over_lists_and_tensors():
    """test/datasets.lua ListDataset: a table (tds.hash/tds.vec/table: here a list, tuple or dict of keys 0..n-1) or
    LongTensor list; get(1) is load(list[1]), here get(0)."""
    for items in ([1, 2, 3], (1, 2, 3), lg.LongTensor([1, 2, 3]), np.array([1, 2, 3]), {0: 1, 1: 2, 2: 3}):
        d = tnt.ListDataset(items, identity)
        assert d.size() == 3
        assert d.get(0) == 1 and d.get(2) == 3


def test_list_dataset_over_the_rows_of_a_2d_tensor():
    """listdataset.lua's size is ``self.list:size(1)`` and get ``load(self.list[idx])``: a 2-D LongTensor lists its
    rows (cvpr15deepcompare's train.lua hands it the N x 2 pairs of patch numbers, ``idx[i]`` picking each patch);
    a tensor without elements is refused by name."""
    pairs = lg.LongTensor([[0, 1], [2, 3], [4, 5]])
    d = tnt.ListDataset(list=pairs, load=lambda idx: idx[0] * 10 + idx[1])
    assert d.size() == 3 and [d.get(i) for i in range(3)] == [1, 23, 45]
    with pytest.raises(ValueError, match='tnt.ListDataset: expected a tensor with at least one dimension'):
        tnt.ListDataset(list=lg.LongTensor(), load=identity)


def test_list_dataset_path_and_named_forms():
    """test/datasets.lua ListDataset_path: with a path, load gets 'path/<item>'; the argcheck table form
    tnt.ListDataset{list=..., load=..., path=...} as one dict or keywords."""
    def prefix(x):
        return 'bar/' + x
    for d in (tnt.ListDataset([1, 2, 3], prefix, 'foo'),
              tnt.ListDataset({'list': [1, 2, 3], 'load': prefix, 'path': 'foo'}),
              tnt.ListDataset(list=[1, 2, 3], load=prefix, path='foo')):
        assert d.size() == 3
        assert d.get(2) == 'bar/foo/3'
    # listdataset.lua's string.format('%s/%s', path, item) writes a number as Lua's tostring (%.14g)
    d = tnt.ListDataset(list=[2.0, 0.1 + 0.2, 1e15, 7], load=prefix, path='foo')
    assert [d.get(i) for i in range(4)] == ['bar/foo/2', 'bar/foo/0.3', 'bar/foo/1e+15', 'bar/foo/7']


def test_list_dataset_from_a_file(tmp_path, capsys):
    """test/datasets.lua ListDataset_file: each line of the file is an item; listdataset.lua's maxload stops
    reading and it prints '| loaded <file> with n examples'."""
    filename = tmp_path / 'list.txt'
    filename.write_text(''.join(f'{i}\n' for i in range(1, 51)))
    d = tnt.ListDataset(str(filename), identity, 'foo')
    assert d.size() == 50
    assert d.get(14) == 'foo/15'
    assert f'| loaded <{filename}> with 50 examples' in capsys.readouterr().out
    assert tnt.ListDataset(filename=str(filename), load=identity, maxload=7).size() == 7


def test_table_dataset_returns_copies():
    """tabledataset.lua: get returns utils.table.clone(data[idx]), a deep copy (tensors included)."""
    t = lg.FloatTensor([1, 2])
    d = tnt.TableDataset(data=[{'x': t}])
    got = d.get(0)
    got['x'].fill(7)
    assert t.tolist() == [1, 2]
    assert isinstance(d, tnt.ListDataset)


def test_transform_dataset_forms():
    """test/datasets.lua TransformDataset: the whole sample, one key, a table of transforms per key, and the
    chained :transform(f, key) sugar."""
    d = tnt.TransformDataset(dataset=tnt.TableDataset(data=[1, 2, 3]), transform=lambda x: x * 2)
    assert d.size() == 3 and d.get(1) == 4
    data = [{'input': i, 'target': i} for i in (1, 2, 3)]
    d = tnt.TransformDataset({'dataset': tnt.TableDataset(data=data), 'transform': lambda x: x * 2, 'key': 'input'})
    assert d.get(1) == {'input': 4, 'target': 2}
    d = tnt.TransformDataset(dataset=tnt.TableDataset(data=data),
                             transforms={'input': lambda x: x + 1, 'target': lambda x: x * 2})
    assert d.get(1) == {'input': 3, 'target': 4}
    d = tnt.TableDataset(data=data).transform(lambda x: x + 1, 'input').transform(lambda x: x * 2, 'target')
    assert d.size() == 3 and d.get(1) == {'input': 3, 'target': 4}
    # transformdataset.lua passes the index too: transform(z, idx), here 0-based
    d = tnt.TableDataset(data=[10, 20]).transform(lambda z, idx: (z, idx))
    assert d.get(1) == (20, 1)


def test_concat_dataset():
    """test/datasets.lua ConcatDataset: three datasets of 3 give 1..9 in order; an empty one is skipped."""
    datasets = [tnt.TableDataset(data=[1, 2, 3]), tnt.TableDataset(data=[]), tnt.TableDataset(data=[4, 5, 6]),
                tnt.TableDataset(data=[7, 8, 9])]
    d = tnt.ConcatDataset(datasets=datasets)
    assert d.size() == 9
    assert [d.get(i) for i in range(9)] == list(range(1, 10))


def test_resample_dataset():
    """test/datasets.lua ResampleDataset with the sampler (i % 3) + 1 made 0-based: (i + 1) % 3; a size
    shortens it and get past it fails."""
    tbl = tnt.TableDataset(data=[1, 2, 3])

    def sampler(dataset, i):
        return (i + 1) % 3
    d = tnt.ResampleDataset(tbl, sampler)
    assert d.size() == 3 and d.get(0) == 2 and d.get(2) == 1
    d = tnt.ResampleDataset(tbl, sampler, 2)
    assert d.size() == 2 and d.get(0) == 2
    with pytest.raises(ValueError, match='tnt.ResampleDataset.get: index out of bound'):
        d.get(2)
    with pytest.raises(ValueError,
                       match=r"get \(the sampler's index for 2\): index out of bound: expected 0 <= idx < 3"):
        tnt.ResampleDataset(tbl, lambda d, i: i + 1).get(2)


def test_shuffle_dataset():
    """test/datasets.lua ShuffleDataset: every item once; shuffledataset.lua: resample draws again, size with
    replacement may exceed the dataset, without may not; legonn.manualSeed fixes the draw."""
    tbl = tnt.TableDataset(data=[1, 2, 3, 4, 5])
    d = tnt.ShuffleDataset(tbl)
    assert d.size() == 5
    assert sorted(d.get(i) for i in range(5)) == [1, 2, 3, 4, 5]
    lg.manualSeed(3)
    d.resample()
    first = [d.get(i) for i in range(5)]
    lg.manualSeed(3)
    d.resample()
    assert [d.get(i) for i in range(5)] == first
    d = tnt.ShuffleDataset(tbl, 12, True)
    assert d.size() == 12 and set(d.get(i) for i in range(12)) <= {1, 2, 3, 4, 5}
    with pytest.raises(ValueError, match='tnt.ShuffleDataset: size cannot be larger'):
        tnt.ShuffleDataset(tbl, 6)


def test_sizes_that_are_not_positive_mean_all():
    """resampledataset.lua's size() reads the dataset's size unless its size is positive (``size > 0``), so
    ``ResampleDataset{size = -1}`` and ``ShuffleDataset(d, -1)`` take every sample; indexeddataset.lua ignores a
    maxload that is not positive. legonn refused the negative ones; a fractional size stays refused."""
    tbl = tnt.TableDataset(data=[1, 2, 3, 4, 5])
    for size in (0, -1, -3.0):
        assert tnt.ResampleDataset(tbl, size=size).size() == 5
        d = tnt.ShuffleDataset(tbl, size)
        assert sorted(d.get(i) for i in range(d.size())) == [1, 2, 3, 4, 5]
        assert tnt.ShuffleDataset(tbl, size, True).size() == 5
    with pytest.raises(ValueError, match='tnt.ResampleDataset: expected size to be a whole number, got 2.5'):
        tnt.ResampleDataset(tbl, size=2.5)


def test_split_dataset():
    """splitdataset.lua (test/datasets.lua's case is commented out; its expectations hold): partitions sorted by
    name, sizes or fractions floored, select chooses one."""
    tbl = tnt.TableDataset(data=[1, 2, 3, 4, 5, 6])
    d = tnt.SplitDataset(tbl, {'val': 4, 'train': 2})
    with pytest.raises(ValueError, match='select a partition'):
        d.size()
    d.select('train')
    assert d.size() == 2 and d.get(0) == 1
    d.select('val')
    assert d.size() == 4 and d.get(0) == 3 and d.get(3) == 6
    d = tbl.split({'train': 0.2, 'val': 0.3}, 'val')
    assert d.size() == 1 and d.get(0) == 2       # floor(0.3 * 6) samples after floor(0.2 * 6)
    d.select('train')
    assert d.size() == 1
    with pytest.raises(ValueError, match='partition not found'):
        d.select('test')
    with pytest.raises(ValueError, match='more samples than dataset size'):
        tnt.SplitDataset(tbl, {'a': 4, 'b': 3})


def batch_data():
    return [{'input': i, 'target': lg.LongTensor([i, 2 * i])} for i in range(1, 101)]


def test_batch_dataset():
    """test/datasets.lua BatchDataset: numbers batch into a list, tensors into one 30 x 2 LongTensor, the last
    batch has the remainder, skip-last drops it, divisible-only refuses 30 and takes 20, and a custom merge."""
    tbl = tnt.TableDataset(data=batch_data())
    d = tnt.BatchDataset(tbl, 30)
    assert d.size() == 4
    batch = d.get(1)
    assert isinstance(batch['input'], list) and len(batch['input']) == 30 and batch['input'][0] == 31
    assert batch['target'].type() == 'legonn.LongTensor'
    assert batch['target'].size(0) == 30 and batch['target'].numel() == 60
    assert batch['target'][0][1] == 62
    assert len(d.get(3)['input']) == 10
    d = tnt.BatchDataset(tbl, 30, 'skip-last')
    assert d.size() == 3 and len(d.get(2)['input']) == 30
    with pytest.raises(ValueError, match='tnt.BatchDataset: dataset size is not divisible'):
        tnt.BatchDataset(tbl, 30, 'divisible-only')
    d = tbl.batch(20, 'divisible-only')
    assert d.size() == 5 and len(d.get(2)['input']) == 20

    def merge_field(field):
        return lg.IntTensor(field) if isinstance(field[0], int) else tnt.utils.table.mergetensor(field)
    d = tnt.BatchDataset({'dataset': tbl, 'batchsize': 30, 'merge': tnt.transform.tableapply(merge_field)})
    assert d.size() == 4
    assert d.get(0)['input'].type() == 'legonn.IntTensor' and d.get(0)['input'].numel() == 30


def test_batch_dataset_perm_and_filter():
    """batchdataset.lua: sample i of the batch is dataset:get(perm(i, size)), kept when filter(sample)."""
    tbl = tnt.TableDataset(data=[{'x': i} for i in range(10)])
    d = tnt.BatchDataset(dataset=tbl, batchsize=4, perm=lambda i, n: n - 1 - i, filter=lambda s: s['x'] % 3)
    assert [d.get(k)['x'] for k in range(3)] == [[8, 7], [5, 4, 2], [1]]


def test_coroutine_batch_dataset_basic():
    """test/datasets.lua CoroutineBatchDataset_basic: without coroutines it batches as BatchDataset."""
    d = tnt.CoroutineBatchDataset(tnt.TableDataset(data=batch_data()), 20)
    assert d.size() == 5
    assert d.get(1)['input'] == list(range(21, 41))
    assert d.get(1)['target'].size() == (20, 2)


def test_coroutine_batch_dataset_postponed_samples():
    """test/datasets.lua CoroutineBatchDataset: every get of the batch yields once before any returns, so the
    first resumed one finds all 20 keys queued and fills the buffer (a Python generator stands for the coroutine)."""
    class Base(tnt.Dataset):
        def __init__(self):
            self.keys, self.buffer = [], {}

        def size(self):
            return 100

        def get(self, i):
            self.keys.append(i)
            yield
            if i not in self.buffer:
                assert i % 20 == 0, 'expected to be the first sample'
                assert len(self.keys) == 20, 'expected batch of 20'
                for k in self.keys:
                    self.buffer[k] = {'input': (k + 1) * 2}
                self.keys = []
            assert not self.keys
            return self.buffer.pop(i)
    d = tnt.CoroutineBatchDataset(Base(), 20)
    assert d.size() == 5
    assert d.get(1) == {'input': list(range(42, 81, 2))}


def test_dataset_exec_reaches_the_wrapped_dataset():
    """dataset/init.lua exec: a method of the dataset, else of .dataset / .__dataset down the chain."""
    d = tnt.TableDataset(data=list(range(10))).shuffle().transform(lambda x: x).batch(5)
    assert d.exec('size') == 2
    d.exec('resample')
    with pytest.raises(ValueError, match='unknown function <nothing>'):
        d.exec('nothing')


def test_bad_input_names_the_class():
    """argcheck's type checks: wrong arguments fail at construction, naming the class."""
    tbl = tnt.TableDataset(data=[1, 2])
    with pytest.raises(TypeError, match='tnt.BatchDataset: expected dataset to be a tnt.Dataset, got list'):
        tnt.BatchDataset([1, 2], 2)
    with pytest.raises(ValueError, match='tnt.BatchDataset: expected batchsize'):
        tnt.BatchDataset(tbl, 0)
    with pytest.raises(ValueError, match='tnt.BatchDataset: invalid policy'):
        tnt.BatchDataset(tbl, 1, policy='all')
    with pytest.raises(TypeError, match='tnt.ListDataset: expected load to be a function'):
        tnt.ListDataset([1], 3)
    with pytest.raises(TypeError, match='tnt.TableDataset: expected data to be a list'):
        tnt.TableDataset(data=3)
    with pytest.raises(ValueError, match=r'tnt.TableDataset.get: index out of bound: expected 0 <= idx < 2 '
                                         r'\(0-based\), got 2'):
        tbl.get(2)
    with pytest.raises(ValueError, match='tnt.TableDataset.get: index must be an integer, got 0.5'):
        tbl.get(0.5)
    assert tbl.get(1.0) == 2        # a whole-number float is an index, as Lua's numbers
    with pytest.raises(TypeError, match='tnt.TransformDataset: expected transform to be a function'):
        tnt.TransformDataset(tbl, 'f')
    with pytest.raises(ValueError, match='tnt.ConcatDataset: expected datasets to be a non-empty list'):
        tnt.ConcatDataset(datasets=[])
    with pytest.raises(NotImplementedError, match='size not implemented for class <Dataset>'):
        tnt.Dataset().size()


def test_transform_functions():
    """transform.lua: identity, compose (ipairs order, other keys ignored), merge (results into one tensor),
    tableapply, tablenew, tablemergekeys (the doc's example), randperm (0-based), normalize."""
    assert tnt.transform.identity(5)() == 5
    f = tnt.transform.compose({0: lambda x: 2 * x, 1: lambda x: x + 10, 'foo': lambda x: x / 2, 3: lambda x: x - x})
    assert f(3) == 16
    assert tnt.transform.compose([lambda x: 2 * x, lambda x: x + 10])(3) == 16
    m = tnt.transform.merge([lambda x: x * 2, lambda x: x + 1])(lg.DoubleTensor([1, 2]))
    assert m.tolist() == [[2, 4], [2, 3]]
    assert tnt.transform.tableapply(lambda x: 2 * x)({0: 1, 1: 2, 'foo': 3}) == {0: 2, 1: 4, 'foo': 6}
    t = {'a': 1}
    assert tnt.transform.tablenew()(t) == t and tnt.transform.tablenew()(t) is not t
    x = {'sample1': {'input': 1, 'target': 'a'}, 'sample2': {'input': 2, 'target': 'b', 'flag': 'hard'}}
    assert tnt.transform.tablemergekeys()(x) == {'input': {'sample1': 1, 'sample2': 2},
                                                 'target': {'sample1': 'a', 'sample2': 'b'},
                                                 'flag': {'sample2': 'hard'}}
    p = tnt.transform.randperm(5)
    assert sorted(p(i) for i in range(5)) == [0, 1, 2, 3, 4]
    z = lg.DoubleTensor([1, 2, 3, 6])
    expected = (np.array([1, 2, 3, 6.]) - 3) / np.std([1, 2, 3, 6.], ddof=1)
    np.testing.assert_allclose(tnt.transform.normalize()(z).numpy(), expected)
    z = lg.DoubleTensor([1, 1.1])
    np.testing.assert_allclose(tnt.transform.normalize(threshold=1)(z).numpy(), [-0.05, 0.05])


def test_utils_table():
    """utils/table.lua: clone (deep), copy (shallow), merge, foreach (recursive), canmergetensor, mergetensor
    (a new first dimension; tensors of as many elements but other sizes take the first one's sizes)."""
    tbl = {'a': [lg.FloatTensor([1])], 'b': 2}
    assert tnt.utils.table.clone(tbl)['a'][0] is not tbl['a'][0]
    assert tnt.utils.table.copy(tbl)['a'] is tbl['a']
    assert tnt.utils.table.merge({'a': 1, 'b': 1}, {'b': 2}) == {'a': 1, 'b': 2}
    assert tnt.utils.table.foreach({'a': 1, 'b': {'c': 2}}, lambda v: v if isinstance(v, dict) else -v) == \
        {'a': -1, 'b': {'c': 2}}
    assert tnt.utils.table.foreach({'a': 1, 'b': {'c': 2}}, lambda v: -v, True) == {'a': -1, 'b': {'c': -2}}
    assert tnt.utils.table.canmergetensor([lg.FloatTensor(2, 3), lg.FloatTensor(6)])
    assert not tnt.utils.table.canmergetensor([lg.FloatTensor(2, 3), lg.FloatTensor(5)])
    assert not tnt.utils.table.canmergetensor([1, 2])
    merged = tnt.utils.table.mergetensor([lg.IntTensor([[1, 2], [3, 4]]), np.arange(5, 9, dtype=np.int32)])
    assert merged.type() == 'legonn.IntTensor' and merged.size() == (2, 2, 2)
    assert merged.tolist() == [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    with pytest.raises(TypeError, match='tnt.utils.table.mergetensor: expected a non-empty list of tensors'):
        tnt.utils.table.mergetensor([1, 2])


def test_utils_nn_sizes():
    """utils/nn.lua: inferoutputsize applies floor((w + 2pw - kw) / dw) + 1 layer after layer; inferinputsize
    walks back w * dw + kw - dw - 2pw (specs without kw skipped); both give the product of the strides."""
    specs = [{'kw': 5, 'dw': 1, 'pw': 2}, {'kw': 2, 'dw': 2}, {}, {'kw': 3, 'dw': 2, 'pw': 1}]

    def forward(w):
        for s in specs:
            if 'kw' in s:
                w = (w + 2 * s.get('pw', 0) - s['kw']) // s.get('dw', 1) + 1
        return w
    assert tnt.utils.nn.inferoutputsize([s for s in specs if s], 32) == (forward(32), 4)
    # back from 4: 4 * 2 + 3 - 2 - 2 = 7, {} skipped, 7 * 2 + 2 - 2 = 14, 14 * 1 + 5 - 1 - 4 = 14
    assert tnt.utils.nn.inferinputsize(specs, 4) == (14, 4)
    assert forward(14) == 4


def test_utils_sys(tmp_path, capsys):
    """utils/sys.lua: loadlist (revert gives line -> index too), listimgfiles (jpg/jpeg/png, recursive), mkdir."""
    (tmp_path / 'l.txt').write_text('a\nb\nc\n')
    assert tnt.utils.sys.loadlist(str(tmp_path / 'l.txt')) == ['a', 'b', 'c']
    assert tnt.utils.sys.loadlist(str(tmp_path / 'l.txt'), True, 2) == {0: 'a', 1: 'b', 'a': 0, 'b': 1}
    tnt.utils.sys.mkdir(str(tmp_path / 'x' / 'y'))
    for name in ('x/y/b.PNG', 'x/a.jpg', 'x/notes.txt'):
        (tmp_path / name).write_text('')
    assert tnt.utils.sys.listimgfiles(str(tmp_path / 'x')) == [f'{tmp_path}/x/a.jpg', f'{tmp_path}/x/y/b.PNG']
    assert f'ignoring <{tmp_path}/x/notes.txt>' in capsys.readouterr().out


def test_batches_of_array_samples():
    """transform.lua tablemergekeys over samples that are Lua arrays ({x, y}): merged position by position, so a
    batch is a list whose entries are the merged fields."""
    d = tnt.TableDataset(data=[[lg.FloatTensor([i, -i]), i] for i in range(5)]).batch(2)
    inputs, labels = d.get(1)
    assert inputs.tolist() == [[2, -2], [3, -3]] and labels == [2, 3]
    assert d.get(2)[1] == [4]


def test_indexed_dataset(tmp_path, capsys):
    """test/datasets.lua IndexedDataset: an 'int' archive of range(1, i) for i = 1..10 and a 'table' archive of
    {'a', 'b', i}, read as two fields, and each standalone; appending reopens an archive (indexeddataset.lua's
    second IndexedDatasetWriter form); mmap reads the same."""
    w = tnt.IndexedDatasetWriter({'indexfilename': str(tmp_path / 'ints.idx'),
                                  'datafilename': str(tmp_path / 'ints.bin'), 'type': 'int'})
    for i in range(1, 11):
        w.add(lg.range(1, i).int())
    w.close()
    w = tnt.IndexedDatasetWriter(indexfilename=str(tmp_path / 'tables.idx'),
                                 datafilename=str(tmp_path / 'tables.bin'), type='table')
    for i in range(1, 11):
        w.add(['a', 'b', i])
    w.close()
    d = tnt.IndexedDataset(path=str(tmp_path), fields=['ints', 'tables'])
    assert f'| IndexedDataset: loaded {tmp_path} with 10 examples' in capsys.readouterr().out
    assert d.size() == 10
    sample = d.get(3)
    assert sample['ints'].type() == 'legonn.IntTensor' and sample['ints'].tolist() == [1, 2, 3, 4]
    assert sample['tables'] == ['a', 'b', 4]
    d = tnt.IndexedDataset(path=str(tmp_path), fields=['tables'], standalone=True)
    assert [d.get(i) for i in range(10)] == [['a', 'b', i] for i in range(1, 11)]
    w = tnt.IndexedDatasetWriter(str(tmp_path / 'ints.idx'), str(tmp_path / 'ints.bin'))
    w.add(lg.IntTensor([[7, 8], [9, 10]]))
    w.close()
    for mmap in (False, True):
        d = tnt.IndexedDataset({'fields': {'x': {'idx': str(tmp_path / 'ints.idx'), 'bin': str(tmp_path / 'ints.bin')}},
                                'standalone': True, 'mmap': mmap})
        assert d.size() == 11 and d.get(9).tolist() == list(range(1, 11)) and d.get(10).tolist() == [[7, 8], [9, 10]]
    for maxload, size in ((4, 4), (4.0, 4), (0, 11), (-1, 11), (20, 11)):
        assert tnt.IndexedDataset(path=str(tmp_path), fields=['ints'], maxload=maxload).size() == size
    with pytest.raises(TypeError, match='invalid tensor type: expected a legonn.IntTensor, got a legonn.FloatTensor'):
        tnt.IndexedDatasetWriter(str(tmp_path / 'f.idx'), str(tmp_path / 'f.bin'), 'int').add(lg.FloatTensor(2))
    with pytest.raises(ValueError, match='inconsistent index data size'):
        tnt.IndexedDataset(path=str(tmp_path), fields=['ints', 'tables'])


def test_indexed_dataset_reads_torch7_archives(tmp_path):
    """indexeddataset.lua's format written byte by byte as torch.DiskFile does (writeLong: 8 bytes, the storage's
    raw elements): a 'double' archive of a 2 x 3 and an empty tensor, and a 'table' archive holding
    torch.serializeToStorage's bytes of {'a', 4} (File.lua's writeObject: type, reference, size, key/value pairs)."""
    import struct
    head = struct.pack('<6q', 0x584449544E54, 1, 7, 8, 2, 2)
    (tmp_path / 'd.idx').write_bytes(head + struct.pack('<3q', 0, 2, 2) + struct.pack('<3q', 0, 6, 6) +
                                     struct.pack('<2q', 2, 3))
    (tmp_path / 'd.bin').write_bytes(struct.pack('<6d', 1, 2, 3, 4, 5, 6))
    r = tnt.IndexedDatasetReader(str(tmp_path / 'd.idx'), str(tmp_path / 'd.bin'))
    assert r.size() == 2 and r.get(0).tolist() == [[1, 2, 3], [4, 5, 6]] and r.get(1).nElement() == 0
    obj = (struct.pack('<3i', 3, 1, 2) + struct.pack('<id', 1, 1) + struct.pack('<ii', 2, 1) + b'a' +
           struct.pack('<id', 1, 2) + struct.pack('<id', 1, 4))
    (tmp_path / 't.idx').write_bytes(struct.pack('<6q', 0x584449544E54, 1, 8, 1, 1, 1) + struct.pack('<2q', 0, 1) +
                                     struct.pack('<2q', 0, len(obj)) + struct.pack('<q', len(obj)))
    (tmp_path / 't.bin').write_bytes(obj)
    got = tnt.IndexedDatasetReader(str(tmp_path / 't.idx'), str(tmp_path / 't.bin')).get(0)
    assert got == ['a', 4]      # Lua's array table, a list
    (tmp_path / 'bad.idx').write_bytes(struct.pack('<6q', 1, 1, 7, 8, 0, 0))
    with pytest.raises(ValueError, match='tnt.IndexedDatasetReader: unrecognized index format'):
        tnt.IndexedDatasetReader(str(tmp_path / 'bad.idx'), str(tmp_path / 'd.bin'))


def test_indexed_dataset_writes_empty_tensors_as_torch7(tmp_path):
    """indexeddataset.lua's add takes an empty tensor's dimensions from ``tensor:size()``, which TH cuts at the
    first 0: no dimension and no size, so torchnet's reader never narrows the archive to 0 elements (an 'out of
    range' error in TH). legonn's empty tensors (one dimension of size 0, or 0 x 3) wrote one or two sizes there.
    The index is compared with the one the Lua's add and close write: a 2 x 3 tensor, then two empty ones."""
    import struct
    w = tnt.IndexedDatasetWriter(str(tmp_path / 'd.idx'), str(tmp_path / 'd.bin'), 'double')
    for t in (lg.DoubleTensor([[1, 2, 3], [4, 5, 6]]), lg.DoubleTensor(), lg.DoubleTensor(0, 3)):
        w.add(t)
    w.close()
    dims, dats, sizes = [0], [0], []
    for shape, count in (([2, 3], 6), ([], 0), ([], 0)):
        dims.append(dims[-1] + len(shape))
        dats.append(dats[-1] + count)
        sizes += shape
    expected = struct.pack('<6q', 0x584449544E54, 1, 7, 8, 3, len(sizes)) + struct.pack(
        f'<{len(dims) + len(dats) + len(sizes)}q', *dims, *dats, *sizes)
    assert (tmp_path / 'd.idx').read_bytes() == expected
    for mmap in (False, True):
        r = tnt.IndexedDatasetReader(str(tmp_path / 'd.idx'), str(tmp_path / 'd.bin'), mmap)
        assert r.get(0).tolist() == [[1, 2, 3], [4, 5, 6]] and r.get(1).nElement() == r.get(2).nElement() == 0


@pytest.mark.parametrize('dims, dats, sizes, data, what', [
    # the fuzzer's cases: a data file shorter than the index says (was NumPy's 'cannot reshape array of size 3'),
    ((0, 2, 2), (0, 6, 6), (2, 3), 3, r'holds 3 double elements, its index .* expects 6'),
    # a data offset of 2**50 elements (was a MemoryError: 8 PiB allocated before reading a 56-byte file)
    ((0, 2, 2), (0, 2 ** 50, 2 ** 50), (2, 3), 6, r'expects 1125899906842624'),
    # offsets that fall back or do not end at S, a negative size (were slices of the wrong sizes)
    ((0, 2, 1), (0, 6, 6), (2, 3), 6, r'dimension offsets .* must rise from 0 to S=2'),
    ((0, 1, 1), (0, 6, 6), (2, 3), 6, r'dimension offsets .* must rise from 0 to S=2'),
    ((0, 2, 2), (1, 6, 6), (2, 3), 6, r'data offsets .* must rise from 0'),
    ((0, 2, 2), (0, 6, 6), (-2, -3), 6, r'negative sizes \[-2, -3\]'),
])
def test_indexed_dataset_refuses_a_corrupt_index(tmp_path, dims, dats, sizes, data, what):
    """A mutated index (legonn's fuzzing of torchnet's format): refused with a ValueError naming the reader and
    the files when opened, before anything the index declares is allocated."""
    import struct
    (tmp_path / 'd.idx').write_bytes(struct.pack('<6q', 0x584449544E54, 1, 7, 8, 2, 2) + struct.pack('<8q', *dims,
                                                                                                      *dats, *sizes))
    (tmp_path / 'd.bin').write_bytes(struct.pack(f'<{data}d', *range(data)))
    for mmap in (False, True):
        with pytest.raises(ValueError, match=f'tnt.IndexedDatasetReader: .*{what}'):
            tnt.IndexedDatasetReader(str(tmp_path / 'd.idx'), str(tmp_path / 'd.bin'), mmap)


def test_indexed_dataset_checks_each_tensor_and_the_file_sizes(tmp_path):
    """Sizes whose product is not the tensor's element count are refused by ``get`` (were NumPy's reshape error);
    an index of a partial 64-bit word is refused; a data file one byte longer than its elements maps (was
    NumPy's 'Size of available data is not a multiple of the data-type size' with mmap)."""
    import struct
    idx = struct.pack('<6q', 0x584449544E54, 1, 7, 8, 1, 2) + struct.pack('<6q', 0, 2, 0, 6, 2, 4)
    (tmp_path / 'd.idx').write_bytes(idx)
    (tmp_path / 'd.bin').write_bytes(struct.pack('<6d', *range(6)) + b'\0')
    for mmap in (False, True):
        r = tnt.IndexedDatasetReader(str(tmp_path / 'd.idx'), str(tmp_path / 'd.bin'), mmap)
        with pytest.raises(ValueError, match=r'IndexedDatasetReader.get: tensor 0 of .* has sizes \[2, 4\] but 6'):
            r.get(0)
    (tmp_path / 'd.idx').write_bytes(idx[:-8] + struct.pack('<q', 3))
    for mmap in (False, True):
        r = tnt.IndexedDatasetReader(str(tmp_path / 'd.idx'), str(tmp_path / 'd.bin'), mmap)
        assert r.get(0).tolist() == [[0, 1, 2], [3, 4, 5]]
    (tmp_path / 'd.idx').write_bytes(idx[:-8] + struct.pack('<q', 3) + b'\0\0\0')
    with pytest.raises(ValueError, match='has 99 bytes, not a whole number of 64-bit integers'):
        tnt.IndexedDatasetReader(str(tmp_path / 'd.idx'), str(tmp_path / 'd.bin'))
