"""twitter-archive/torch-dataset's test/ files (test_Index.lua, test_Sampler.lua, test_Getters.lua,
test_Reader.lua, test_Dataset.lua) line by line over the port in tests/porting/torch_dataset/, with the
repository's test/ data (its index CSV files and small text files) written to ``tmp_path``.

Indices are 0-based (``index.itemAt(0)`` is the first item, ``labelIndex['A']`` is 0, a partition is
0 .. partitions-1, ``getBatchDims(idx)`` gets a 0-based batch number). Not ported: the tests of the SlowFS
(HDFS) index and datasets, of Cache.lua, of StreamedDataset and test_offsets.lua (``libdataset.offsets``,
which src/dataset.c does not define), and test_Getters' testHTTP (luasocket) — see the package's docstring.
Shortened for a test run: the uniform samplers draw 1e5 items, not 1e6 (the same 10 % bound: each count's
spread is about 2 %), testBatchedTensorPartitionAndShuffleWithLabels has N = 8192 items, not 50000, and
test_Reader's ``get`` sleeps ``url / 100`` s instead of spinning ``url / 10`` s of ``os.clock``; each test
closes the readers it made (``reader.close()``; the Lua leaves their workers waiting)."""
import math
import random
import time

import pytest

import legonn as torch
from legonn import paths

from tests.porting.torch_dataset.Dataset import Dataset
from tests.porting.torch_dataset.Getters import Getters
from tests.porting.torch_dataset.IndexCSV import IndexCSV
from tests.porting.torch_dataset.IndexDirectory import IndexDirectory
from tests.porting.torch_dataset.IndexTensor import IndexTensor
from tests.porting.torch_dataset.Reader import Reader
from tests.porting.torch_dataset.Sampler import Sampler

# the repository's test/ data files
FILES = {
    'index.csv': 'filename,label1,label2,label3\n1,A\n2,A\n3,B,A\n4,B\n5,A\n6,A\n7,B\n8,B\n9,A,B,C\n10,A\n'
                 '11,A\n12,A\n13,B,A\n14,A,B\n15,B\n16,A\n17,B\n18,A\n19,A\n20,A',
    'index1.csv': 'filename,label\n1,A\n2,C\n3,A\n4,B\n5,B\n6,A\n7,B\n8,A\n9,C\n10,A\n11,A\n12,A\n13,A\n14,B\n'
                  '15,B\n16,A\n17,B\n18,A\n19,A\n20,C',
    'index3.csv': 'filename,label\n1,A\n2,A\n3,B\n4,B\n5,A\n6,A\n7,B\n8,B\n9,A\n10,A\n11,A\n12,A\n13,B\n14,A\n'
                  '15,B\n16,A\n17,B\n18,A\n19,A\n20,A\n',
    'index4.csv': 'filename\n1\n2\n3\n4\n5\n6\n7\n8\n9',
    'nolabels.csv': 'filename\n8\n2\n4\n1\n3\n5\n7\n6',
    'index-files.csv': 'filename,label,offset,length\nfiles/1.txt,A,0,2\nfiles/3.txt,B,0,3\nfiles/2.txt,B,3,3\n'
                       'files/3.txt,A,2,2\nfiles/2.txt,C,0,4\nfiles/1.txt,A,4,2',
    'index2.csv': 'filename,label\n1,A\n2,B',
    'index2-meta.csv': 'prefix\nhttp://prefix.com/go/here',
    'files/1.txt': 'ABCDEFGH',
    'files/2.txt': 'IJKLMNOP',
    'files/3.txt': 'QRSTUVWXZ',
    'files/local/cats/cat1.txt': '',
    'files/local/cats/cat2.txt': '',
    'files/local/dogs/dog1.txt': '',
    'files/local/unlabeled1.txt': '',
    'files/local/unlabeled2.txt': '',
}


@pytest.fixture
def here(tmp_path):
    """The Lua's ``paths.dirname(paths.thisfile())``: a folder holding the test/ data."""
    for name, text in FILES.items():
        fn = tmp_path / name
        fn.parent.mkdir(parents=True, exist_ok=True)
        fn.write_text(text)
    torch.manualSeed(0)
    random.seed(0)
    return str(tmp_path)


# test_Index.lua

def verify(index, items, label=None):
    printLabel = label or 'nil'
    c = index['itemCount'](label)
    assert c == len(items), 'class ' + printLabel + ' must have ' + str(len(items)) + ' saw ' + str(c)
    items.sort()
    for i, v in enumerate(items):
        x, l, *_ = index['itemAt'](i, label)
        assert x == v, 'class ' + printLabel + ' must have ' + v + ' at ' + str(i) + ' saw ' + x
        assert l == label or (label is None and l == ''), 'class ' + printLabel + ' must see returned label'


def mustFail(f, m):
    with pytest.raises(Exception):
        f()


def test_index_load(here):
    index = IndexCSV(paths.concat(here, 'index.csv'))
    assert len(index['labels']) == 3, '#labels must be 3'
    assert index['labelIndex']['A'] == 0, 'label index of A must be 0'
    assert index['labelIndex']['B'] == 1, 'label index of B must be 1'
    assert index['labelIndex']['C'] == 2, 'label index of C must be 2'
    assert index['itemCount']() == 25, '#items must be 25'
    verify(index, ['1', '2', '3', '5', '6', '9', '10', '11', '12', '13', '14', '16', '18', '19', '20'], 'A')
    verify(index, ['3', '4', '7', '8', '9', '13', '14', '15', '17'], 'B')
    verify(index, ['9'], 'C')
    mustFail(lambda: index['itemAt'](-13), 'negative indexes should be illegal')
    mustFail(lambda: index['itemAt'](-1), 'index -1 (the Lua\'s 0) should be illegal')
    mustFail(lambda: index['itemAt'](25), 'too large indexes should be illegal')
    mustFail(lambda: index['itemAt'](-13, 'B'), 'negative indexes should be illegal for classes')
    mustFail(lambda: index['itemAt'](-1, 'B'), 'index -1 should be illegal for classes')
    mustFail(lambda: index['itemAt'](9, 'B'), 'too large indexes should be illegal for classes')


def test_index_load_partition(here):
    index = IndexCSV(paths.concat(here, 'index.csv'), 0, 5)
    assert len(index['labels']) == 3, '#labels must be 3'
    assert index['labelIndex']['A'] == 0
    assert index['labelIndex']['B'] == 1
    assert index['labelIndex']['C'] == 2
    assert index['itemCount']() == 4, '#items must be 4 not ' + str(index['itemCount']())
    verify(index, ['13', '2', '9'], 'A')
    verify(index, ['3'], 'B')
    verify(index, [], 'C')
    mustFail(lambda: index['itemAt'](-13), 'negative indexes should be illegal')
    mustFail(lambda: index['itemAt'](-1), 'index -1 should be illegal')
    mustFail(lambda: index['itemAt'](6), 'too large indexes should be illegal')
    mustFail(lambda: index['itemAt'](-13, 'B'), 'negative indexes should be illegal for classes')
    mustFail(lambda: index['itemAt'](-1, 'B'), 'index -1 should be illegal for classes')
    mustFail(lambda: index['itemAt'](2, 'B'), 'too large indexes should be illegal for classes')


def test_index_all_partitions(here):
    index = IndexCSV(paths.concat(here, 'index.csv'))
    c = 0
    for p in range(3):
        subIndex = IndexCSV(paths.concat(here, 'index.csv'), p, 3)
        c = c + subIndex['itemCount']()
    assert index['itemCount']() == c, 'total partitioned #items must be ' + str(index['itemCount']())


def test_index_load_no_labels(here):
    index = IndexCSV(paths.concat(here, 'nolabels.csv'))
    assert len(index['labels']) == 0, '#labels must be 0'
    assert index['labelIndex'].get('*') is None, 'label index of * must be nil'
    assert index['itemCount']() == 8, '#items must be 8 not ' + str(index['itemCount']())
    verify(index, ['1', '2', '3', '4', '5', '6', '7', '8'])
    mustFail(lambda: index['itemAt'](-13), 'negative indexes should be illegal')
    mustFail(lambda: index['itemAt'](-1), 'index -1 should be illegal')
    mustFail(lambda: index['itemAt'](8), 'too large indexes should be illegal')


def test_index_load_meta(here):
    index = IndexCSV(paths.concat(here, 'index2.csv'))
    assert len(index['labels']) == 2, '#labels must be 2'
    assert index['itemCount']() == 2, '#items must be 2 not ' + str(index['itemCount']())
    assert index['urlPrefix'] == 'http://prefix.com/go/here', 'wrong url prefix'
    assert index['itemAt'](0)[0] == 'http://prefix.com/go/here/1', 'did not properly concat url prefix to item'


def test_index_url_params(here):
    index = IndexCSV(paths.concat(here, 'index2.csv'), None, None,
                     {'urlParams': {'a': 1, 'b': 2, 'c': 'three', 'd': True}})
    assert len(index['labels']) == 2, '#labels must be 2'
    assert index['itemCount']() == 2, '#items must be 2 not ' + str(index['itemCount']())
    assert index['urlPrefix'] == 'http://prefix.com/go/here', 'wrong url prefix'
    assert index['itemAt'](0)[0] == 'http://prefix.com/go/here/1?a=1&b=2&c=three&d=true', \
        'did not properly concat url suffix to item'


def test_index_directory(here):
    p = paths.concat(here, 'files/local')
    index = IndexDirectory(p)
    assert len(index['labels']) == 2, '#labels must be 2'
    assert index['itemCount']() == 5, '#items must be 2 not ' + str(index['itemCount']())
    verify(index, [p + '/cats/cat1.txt', p + '/cats/cat2.txt'], 'cats')
    verify(index, [p + '/dogs/dog1.txt'], 'dogs')
    assert index['urlPrefix'] == p, 'wrong url prefix'


def _labels12(yy):
    if yy < 0:
        return 1
    else:
        return 2


def test_index_tensor(here):
    x = torch.randn(100, 3, 3)
    index = IndexTensor(x)
    assert index['itemCount']() == 100, 'expected 100, saw ' + str(index['itemCount']())
    for i in range(100):
        e = (x[i] - index['itemAt'](i)[0]).abs().sum()
        assert e == 0.0, 'nope at ' + str(i) + ' error = ' + str(e)
    y = torch.randn(100).apply(_labels12)
    x = torch.randn(100, 2, 2)
    index = IndexTensor({'x': x, 'y': y})
    assert index['itemCount']() == 100, 'expected 100, saw ' + str(index['itemCount']())
    assert len(index['labels']) == 2, 'expected 2, saw ' + str(len(index['labels']))
    c = index['itemCount'](1) + index['itemCount'](2)
    assert c == 100, 'expected 100, saw ' + str(c)
    j = 0
    k = 0
    for i in range(100):
        if y[i] == 1:
            it, lb = index['itemAt'](j, 1)
            e = (x[i] - it).abs().sum()
            assert e == 0.0, 'nope at ' + str(i) + ' error = ' + str(e)
            assert lb == y[i], 'label mismatch at ' + str(i)
            j = j + 1
        else:
            it, lb = index['itemAt'](k, 2)
            e = (x[i] - it).abs().sum()
            assert e == 0.0, 'nope at ' + str(i) + ' error = ' + str(e)
            assert lb == y[i], 'label mismatch at ' + str(i)
            k = k + 1


def test_index_tensor_partition(here):
    x = torch.randn(100, 3, 3)
    index = IndexTensor(x, 1, 10)
    assert index['itemCount']() == 10, 'expected 10, saw ' + str(index['itemCount']())
    for i in range(10):
        j = (i * 10) + 1
        e = (x[j] - index['itemAt'](i)[0]).abs().sum()
        assert e == 0.0, 'nope at ' + str(i) + ' error = ' + str(e)
    y = torch.randn(100).apply(_labels12)
    x = torch.randn(100, 2, 2)
    index = IndexTensor({'x': x, 'y': y}, 0, 7)
    assert index['itemCount']() == 15, 'expected 15, saw ' + str(index['itemCount']())
    assert len(index['labels']) == 2, 'expected 2, saw ' + str(len(index['labels']))
    c = index['itemCount'](1) + index['itemCount'](2)
    assert c == 15, 'expected 15, saw ' + str(c)


def test_index_tensor_partition_and_shuffle(here):
    torch.manualSeed(1)
    x = torch.randn(100, 3, 3)
    p = torch.randperm(100)
    index = IndexTensor(x, 0, 1, {'shuffle': True, 'perm': p})
    index1 = IndexTensor(x, 0, 2, {'shuffle': True, 'perm': p})
    index2 = IndexTensor(x, 1, 2, {'shuffle': True, 'perm': p})
    assert index['itemCount']() == 100, 'expected 100, saw ' + str(index['itemCount']())
    assert index1['itemCount']() == 50, 'expected 50, saw ' + str(index1['itemCount']())
    assert index2['itemCount']() == 50, 'expected 50, saw ' + str(index2['itemCount']())
    for i in range(50):
        k = 2 * i
        e1 = index['itemAt'](k)[0]
        p1 = index1['itemAt'](i)[0]
        assert torch.all(torch.eq(e1, p1)), 'not equal at ' + str(k)
        e2 = index['itemAt'](k + 1)[0]
        p2 = index2['itemAt'](i)[0]
        assert torch.all(torch.eq(e2, p2)), 'not equal at ' + str(k + 1)
    assert not torch.all(torch.eq(index['itemAt'](0)[0], x[0])) or p[0] == 0, 'the items must be shuffled'


def test_index_tensor_partition_and_shuffle_with_labels(here):
    torch.manualSeed(1)
    x = torch.randn(100, 3, 3)
    y = torch.ByteTensor(100)
    for i in range(100):
        y[i] = random.randint(1, 10)
    p = torch.randperm(100)
    index = IndexTensor({'x': x, 'y': y}, 0, 1, {'shuffle': True, 'perm': p})
    index1 = IndexTensor({'x': x, 'y': y}, 0, 2, {'shuffle': True, 'perm': p})
    index2 = IndexTensor({'x': x, 'y': y}, 1, 2, {'shuffle': True, 'perm': p})
    assert index['itemCount']() == 100, 'expected 100, saw ' + str(index['itemCount']())
    assert index1['itemCount']() == 50, 'expected 50, saw ' + str(index1['itemCount']())
    assert index2['itemCount']() == 50, 'expected 50, saw ' + str(index2['itemCount']())
    for i in range(50):
        k = 2 * i
        e1, el1 = index['itemAt'](k)
        p1, pl1 = index1['itemAt'](i)
        assert torch.all(torch.eq(e1, p1)), 'not equal at ' + str(k)
        assert el1 == pl1, 'labels not equal at ' + str(k)
        e2, el2 = index['itemAt'](k + 1)
        p2, pl2 = index2['itemAt'](i)
        assert torch.all(torch.eq(e2, p2)), 'not equal at ' + str(k + 1)
        assert el2 == pl2, 'labels not equal at ' + str(k)


def test_index_batched_tensor_partition_and_shuffle_with_labels(here):
    torch.manualSeed(1)
    N = 8192
    P = 8
    B = 1024
    x = torch.randn(N, 3, 3)
    y = torch.ByteTensor(N)
    for i in range(N):
        y[i] = random.randint(1, 10)
    p = torch.randperm(N)
    index = IndexTensor({'x': x, 'y': y}, 0, 1, {'shuffle': True, 'perm': p})
    partitions = []
    for i in range(P):
        partitions.append(IndexTensor({'x': x, 'y': y}, i, P, {'shuffle': True, 'perm': p}))

    def getBatch(index, i, c):
        k = i * c
        ret = torch.Tensor(3, 3).fill(0)
        for j in range(c):
            item = index['itemAt'](k + j)[0]
            ret.add(item)
        ret.div(c)
        return ret

    def round(t):
        return t  # :mul(1e6):floor():div(1e6)

    for i in range(N // B):
        b0 = getBatch(index, i, B)
        b1 = torch.Tensor(3, 3).fill(0)
        for j in range(P):
            b1.add(getBatch(partitions[j], i, B // P))
        b1.div(P)
        err = (round(b0) - round(b1)).abs().max()
        assert err < 1e-6, 'not equal at ' + str(i)
