"""twitter-archive/torch-dataset's test/ files (test_Index.lua, test_Sampler.lua, test_Getters.lua,
test_Reader.lua, test_Dataset.lua, test_StreamedDataset.lua, TestUtils.lua) line by line over the port in
tests/porting/torch_dataset/, with the repository's test/ data (its index CSV files and small text files)
written to ``tmp_path``, and synthetic part files of as many lines as its test/hdfs/files for the SlowFS tests.

Indices are 0-based (``index.itemAt(0)`` is the first item, ``labelIndex['A']`` is 0, a partition is
0 .. partitions-1, ``getBatchDims(idx)`` gets a 0-based batch number, part files count from 0). ``$HOME`` is
``tmp_path``: Index, IndexSlowFS and StreamedDataset make a Cache, whose folder is ``$HOME/.torch/dataset/``
(test_Cache.lua is in test_torch_dataset_cache.py). Not ported: test_offsets.lua (``libdataset.offsets``, which src/dataset.c does not define) and
test_Getters' testHTTP (luasocket) — see the package's docstring. Shortened for a test run: the uniform
samplers draw 1e5 items, not 1e6 (the same 10 % bound: each count's spread is about 2 %),
testBatchedTensorPartitionAndShuffleWithLabels has N = 8192 items, not 50000, and test_Reader's ``get`` sleeps
``url / 100`` s instead of spinning ``url / 10`` s of ``os.clock``; each test_Reader test closes its reader
(``reader.close()``; the Lua leaves their workers waiting). The part samplers' tests also compare the items'
offsets (the Lua's compare the URLs, one per part file) and check that a new pass's order differs."""
import math
import os
import random
import re
import time

import pytest

import legonn as torch
from legonn import paths

from tests.porting.torch_dataset.Dataset import Dataset
from tests.porting.torch_dataset.Getters import Getters
from tests.porting.torch_dataset.IndexCSV import IndexCSV
from tests.porting.torch_dataset.IndexDirectory import IndexDirectory
from tests.porting.torch_dataset.IndexSlowFS import IndexSlowFS
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


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """The Cache every index makes lives under ``$HOME``: here, under ``tmp_path``."""
    monkeypatch.setenv('HOME', str(tmp_path))


@pytest.fixture
def here(tmp_path):
    """The Lua's ``paths.dirname(paths.thisfile())``: a folder holding the test/ data."""
    for name, text in FILES.items():
        fn = tmp_path / name
        fn.parent.mkdir(parents=True, exist_ok=True)
        fn.write_text(text)
    torch.manualSeed(0)
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
    math_random = random.Random(1).randint   # Lua's math.random, seeded here (not the global generator: the
    for i in range(100):                     # Reader names its workqueue with random.random(), as the Lua)
        y[i] = math_random(1, 10)
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
    math_random = random.Random(1).randint   # Lua's math.random, seeded
    for i in range(N):
        y[i] = math_random(1, 10)
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


# TestUtils.lua's list helpers

def listCopy(t):
    r = []
    for v in t:
        r.append(v)
    return r


def noDupes(t):
    r = {}
    for v in t:
        if r.get(v) is not None:
            return False
        else:
            r[v] = True
    return True


def listEquals(a, b):
    for i, v in enumerate(a):
        if i >= len(b) or b[i] != v:
            return False
    return True


# test_Sampler.lua

def test_sampler_permutation(here):
    index = IndexCSV(paths.concat(here, 'index.csv'))
    sampler, resetSampler = Sampler('permutation', index)
    seen = []
    labelCounts = {}
    prev = None
    for i in range(1, 76):
        s, label, *_ = sampler()
        seen.append(s)
        if labelCounts.get(label) is None:
            labelCounts[label] = 1
        else:
            labelCounts[label] = labelCounts[label] + 1
        if i % 25 == 0:
            assert sampler() is None, 'going past the end must return nil'
            resetSampler()
            if prev is not None:
                assert len(seen) == len(prev), 'need to see the same amount sampled each loop'
                assert listEquals(seen, prev) is False, 'the lists must have different orders'
                sortedSeen = listCopy(seen)
                sortedSeen.sort()
                sortedPrev = listCopy(prev)
                sortedPrev.sort()
                assert listEquals(sortedSeen, sortedPrev) is True, 'the lists must have the same sorted orders'
                for label in index['labels']:
                    x = index['itemCount'](label)
                    y = labelCounts[label]
                    assert x == y, 'must have the same distribution of ' + label
            prev = seen
            seen = []
            labelCounts = {}


def test_sampler_label_permutation(here):
    index = IndexCSV(paths.concat(here, 'index.csv'))
    sampler, _ = Sampler('label-permutation', index)
    seen = []
    seenClasses = []
    labelCounts = {}
    labelCountsClasses = {}
    prev, prevClasses = None, None
    fullLoop = 135

    for i in range(1, 3 * fullLoop + 1):
        s, label, *_ = sampler()
        seen.append(s)
        seenClasses.append(label)
        labelCounts[label] = labelCounts.get(label) or 0
        labelCounts[label] = labelCounts[label] + 1
        labelCountsClasses[label] = labelCountsClasses.get(label) or 0
        labelCountsClasses[label] = labelCountsClasses[label] + 1

        if i % 3 == 0:
            if prevClasses is not None:
                assert len(seenClasses) == len(prevClasses), 'need to see the same amount sampled each loop'
                assert listEquals(seenClasses, prevClasses) is False, 'the lists must have different orders'
                sortedSeen = listCopy(seenClasses)
                sortedSeen.sort()
                sortedPrev = listCopy(prevClasses)
                sortedPrev.sort()
                assert listEquals(sortedSeen, sortedPrev) is True, 'the lists must have the same sorted orders'

                for label in index['labels']:
                    x = 1
                    y = labelCountsClasses[label]
                    assert x == y, 'wrong distribution saw ' + str(y) + ' expected ' + str(x)
            prevClasses = seenClasses
            seenClasses = []
            labelCountsClasses = {}

        if i % fullLoop == 0:
            if prev is not None:
                assert len(seen) == len(prev), 'need to see the same amount sampled each loop'
                assert listEquals(seen, prev) is False, 'the lists must have different orders'
                sortedSeen = listCopy(seen)
                sortedSeen.sort()
                sortedPrev = listCopy(prev)
                sortedPrev.sort()
                assert listEquals(sortedSeen, sortedPrev) is True, 'the lists must have the same sorted orders'
                for label in index['labels']:
                    x = fullLoop / len(index['labels'])
                    y = labelCounts[label]
                    assert x == y, 'must have the same distribution of ' + label
            prev = seen
            seen = []
            labelCounts = {}


def test_sampler_permutation_with_label(here):
    index = IndexCSV(paths.concat(here, 'index.csv'))
    sampler, resetSampler = Sampler('permutation', index, 'B')
    seen = []
    prev = None
    for i in range(1, 28):
        s, label, *_ = sampler()
        assert label == 'B', 'label must always be B'
        seen.append(s)
        if i % 9 == 0:
            assert sampler() is None, 'going past the end must return nil'
            resetSampler()
            if prev is not None:
                assert len(seen) == len(prev), 'need to see the same amount sampled each loop'
                assert noDupes(seen) is True, 'should not see any dupes'
                assert listEquals(seen, prev) is False, 'the lists must have different orders'
                sortedSeen = listCopy(seen)
                sortedSeen.sort()
                sortedPrev = listCopy(prev)
                sortedPrev.sort()
                assert listEquals(sortedSeen, sortedPrev) is True, 'the lists must have the same sorted orders'
            prev = seen
            seen = []


def test_sampler_linear(here):
    index = IndexCSV(paths.concat(here, 'index.csv'))
    sampler, resetSampler = Sampler('linear', index, 'B')
    for j in range(3):
        for i in range(index['itemCount']('B')):
            s, label, *_ = sampler()
            assert label == 'B', 'label must always be B'
            assert s == index['itemAt'](i, 'B')[0], 'must sample in index order'
        assert sampler() is None, 'going past the end must return nil'
        resetSampler()


def test_sampler_label_uniform(here):
    index = IndexCSV(paths.concat(here, 'index.csv'))
    sample, _ = Sampler('label-uniform', index)
    hist = {}
    for i in range(100000):
        s, label, *_ = sample()
        hist[label] = (hist.get(label) or 0) + 1
    ratioA = abs((3 / (1e5 / hist['A'])) - 1)
    assert ratioA < .1, 'ratios of labels A must be 1/3'
    ratioB = abs((3 / (1e5 / hist['A'])) - 1)
    assert ratioB < .1, 'ratios of labels B must be 1/3'


def test_sampler_uniform(here):
    index = IndexCSV(paths.concat(here, 'index3.csv'))
    sample, _ = Sampler('uniform', index)
    hist = {}
    for i in range(100000):
        s, label, *_ = sample()
        hist[int(s)] = (hist.get(int(s)) or 0) + 1
    hist = torch.Tensor([hist[k] for k in sorted(hist)]).div(1e5 / index['itemCount']()).add(-1).abs()
    err = hist.max()
    assert err < .1, 'ratios of samples must be uniform'
    assert hist.size(0) == 20


def test_sampler_label_distribution(here):
    """Not in test_Sampler.lua (which has no test of 'label-distribution'): the weights' ratios of labels."""
    index = IndexCSV(paths.concat(here, 'index.csv'))
    sample, _ = Sampler('label-distribution', index, None, {'A': 2, 'B': 1, 'C': 0})
    hist = {}
    for i in range(30000):
        s, label, *_ = sample()
        hist[label] = (hist.get(label) or 0) + 1
    assert hist.get('C') is None, 'a weight of 0 must never draw its label'
    assert abs(hist['A'] / hist['B'] - 2) < .1, 'ratios of labels A:B must be 2:1'
    with pytest.raises(ValueError, match='Invalid sampler kind'):
        Sampler('nope', index)


# test_Getters.lua (testHTTP not ported: luasocket)

def test_getters_file(here):
    get = Getters('file')
    assert get(paths.concat(here, 'files/missing')) is None, 'missing files must return nil'
    assert get(paths.concat(here, 'files/1.txt')) == b'ABCDEFGH', 'present files must return their contents'
    assert get(paths.concat(here, 'files/1.txt'), 3, 3) == b'DEF', 'offset and length must return limited contents'
    assert get(paths.concat(here, 'files/1.txt'), 13, 3) is None, 'out of bounds offset must return nil'
    assert get(paths.concat(here, 'files/1.txt'), -1, 3) is None, 'negative offset must return nil'
    assert get(paths.concat(here, 'files/1.txt'), 3, 13) == b'DEFGH', \
        'out of bounds length must return as much as possible'


def test_getters_tensor():
    get = Getters(None, 'Tensor')
    x = torch.randn(3, 3)
    assert get(x) is x, 'tensor getter must return tensor'


# test_Reader.lua

def _testBatch(batchSize):
    urls = ['4', '1', '2', '9', '5', '7', '6']
    i = 0

    def next():
        nonlocal i
        i = i + 1
        return urls[i - 1] if i <= len(urls) else None

    def get(url, offset=None, length=None):
        time.sleep(int(url) / 100)
        return url
    reader = Reader(next, {'get': get})
    seen = []
    numBatches = math.ceil(len(urls) / batchSize)
    for k in range(numBatches):
        batch = reader['get'](batchSize)
        for res in batch:
            seen.append(res['url'])
    assert i == 7 or i == 8, 'all urls must be used: ' + str(i) + ' for batchSize ' + str(batchSize)
    assert len(seen) == 7, 'seen must have 7 items for batchSize ' + str(batchSize)
    for j in range(i - 1):
        assert seen[j] == urls[j], 'must see "' + urls[j] + '" at index ' + str(j) + ' for batchSize ' + str(batchSize)
    reader['close']()


def test_reader_batched_ordering():
    _testBatch(1)
    _testBatch(2)
    _testBatch(3)
    _testBatch(64)


def test_reader_skipping_failures(capfd):
    i = 0

    def next():
        nonlocal i
        i = i + 1
        return str(i)

    def get(url, offset=None, length=None):
        if int(url) % 3 > 0:
            return url

    def processor(res, processorOpt=None, input=None):
        if int(res) % 13 == 0:
            raise RuntimeError('skip me')
        return True
    reader = Reader(next, {'get': get, 'processor': processor})
    n = 0
    for i_ in range(100):    # the Lua's loop ``i`` is a fresh local, not next's upvalue ``i``
        batch = reader['get'](4)
        for v in batch:
            j = int(v['url'])
            assert j % 3 > 0, 'should never see % 3 numbers'
            assert j % 13 > 0, 'should never see % 13 numbers'
            n = n + 1
    reader['close']()
    assert 0 < n < 400
    assert 'skip me' in capfd.readouterr().err


def test_reader_with_tensors():
    x = [1, 2, 0, 4, 5, 6, 7, 8, 0, 10, -1, 12, 0, -1, 0, 16, 17, 0, 19, 20, -1, 0, 0, -1, 25, 26, 27, 28]
    y = [1, 2, 4, 5, 6, 7, 8, 10, 12, 16, 17, 19, 20, 25, 26, 27, 28]
    i = 0

    def next():
        nonlocal i
        i = i + 1
        return str(x[i - 1]) if i <= len(x) else None

    def get(url, offset=None, length=None):
        if url != '0':
            return url

    def processor(res, processorOpt, input):
        if res != '-1':
            input.fill(int(res))
            return True
    reader = Reader(next, {'get': get, 'processor': processor})
    input = torch.FloatTensor(4, 1)
    z = 0
    for i_ in range(len(x) // 4):    # the Lua's loop ``i`` is a fresh local, not next's upvalue ``i``
        input.fill(0)
        batch = reader['get'](4, input)
        for k, v in enumerate(batch):
            j = int(v['url'])
            assert j == y[z], 'should see ' + str(y[z]) + ' not ' + str(j) + ' at ' + str(z)
            z = z + 1
            assert j != 0, 'should never see 0'
            assert j != -1, 'should never see -1'
            f = input[k][0]
            assert f == j, 'should have tensor value ' + str(f) + ' equal to ' + str(j)
    assert z == len(y)
    reader['close']()


def test_reader_multiple_get():
    ni1 = 0

    def next1():
        nonlocal ni1
        ni1 = ni1 + 1
        return ni1
    ni2 = 1000

    def next2():
        nonlocal ni2
        ni2 = ni2 + 1
        return ni2

    def processor(res1, res2, processorOpt, input):
        input[0] = res1
        input[1] = res2
        return True
    reader = Reader([next1, next2], {'processor': processor, 'verbose': True})
    input = torch.FloatTensor(1, 2)
    for i in range(1, 101):
        batch = reader['get'](1, input)
        assert input[0][0] == i
        assert input[0][1] == 1000 + i
    reader['close']()


def test_reader_extra():
    ni1 = 0

    def next1():
        nonlocal ni1
        ni1 = ni1 + 1
        return ni1
    next2 = None

    def processor(res, processorOpt, input):
        input[0] = int(res)
        extra = torch.FloatTensor(3, 3)
        extra.fill(int(res))
        return True, extra
    reader = Reader([next1, next2][:1], {'processor': processor, 'verbose': True})
    input = torch.FloatTensor(1, 1)
    for i in range(1, 101):
        batch = reader['get'](1, input)
        assert input[0][0] == i
        assert batch[0]['extra'].sum() == 9 * i
    reader['close']()


# test_Dataset.lua (its Hdfs tests not ported: SlowFS)

def _get(url, offset=None, length=None):
    return url


def test_dataset_empty_batches(here):
    dataset = Dataset(paths.concat(here, 'index4.csv'))

    def pass_(n):
        return n != 3 and n != 4 and n != 7 and n != 8

    def processor(res, processorOpt, input):
        n = int(res)
        if processorOpt['pass'](n):
            input.fill(n)
            return True
    getBatch, numBatches, _ = dataset['sampledBatcher']({
        'batchSize': 2,
        'inputDims': [1],
        'samplerKind': 'linear',
        'get': _get,
        'processor': processor,
        'processorOpt': {
            'pass': pass_,
        },
    })
    x = 1
    sizes = []
    for b in range(numBatches()):
        batch = getBatch()
        assert (batch['batchSize'] == 0 and batch['input'].nDimension() == 0) \
            or batch['batchSize'] == batch['input'].size(0), 'Invalid batchSize or batch.input.size()'
        y = x
        for i in range(batch['batchSize']):
            input = batch['input'][i]
            assert input.size(0) == 1, 'input:size(1)=' + str(input.size(0)) + ' not 1'
            for j in range(input.size(0)):
                assert input[j] == y, 'input[j]=' + str(input[j]) + ' not ' + str(y)
                assert pass_(y), 'should always see passing numbers'
            y = y + 1
        x = x + 2
        sizes.append(batch['batchSize'])
    assert sizes == [2, 0, 2, 0, 1]


def test_dataset_frequent_failures(here):
    dataset = Dataset(paths.concat(here, 'index3.csv'))

    def pass_(n):
        return (n - 1) % 2 == 0

    def processor(res, processorOpt, input):
        n = int(res)
        if processorOpt['pass'](n):
            input.fill(n)
            return True
    indexForValue = {}
    for i in range(dataset['index']['itemCount']()):
        y = dataset['index']['itemAt'](i)[0]
        x = int(y)
        if pass_(x) is True:
            indexForValue[x] = i
    getBatch, numBatches, _ = dataset['sampledBatcher']({
        'batchSize': 3,
        'inputDims': [1],
        'samplerKind': 'linear',
        'get': _get,
        'processor': processor,
        'processorOpt': {
            'pass': pass_,
        },
    })
    seen = 0
    for b in range(numBatches()):
        batch = getBatch()
        if batch['batchSize'] > 0:
            assert batch['batchSize'] == batch['input'].size(0), 'Invalid batchSize and batch.input.size()'
            assert batch['batchSize'] == batch['target'].size(0), 'Invalid batchSize and batch.target.size()'
            assert batch['batchSize'] == batch['index'].size(0), 'Invalid batchSize and batch.index.size()'
            assert batch['batchSize'] == len(batch['item']), 'Invalid batchSize and #batch.item'
            assert batch['batchSize'] == len(batch['class']), 'Invalid batchSize and #batch.class'
            for i in range(batch['batchSize']):
                x = batch['input'][i][0]
                assert pass_(x), 'should always see passing numbers'
                assert batch['item'][i]['label'] == batch['class'][i], 'item.label and batch.class must match'
                assert dataset['index']['labelIndex'][batch['item'][i]['label']] == batch['target'][i], \
                    'item.label index and batch.target must match'
                assert batch['index'][i] >= indexForValue[x], 'batch.index is wrong'
                seen = seen + 1
    assert seen == len(indexForValue)


def test_dataset_varying_batch_dims(here):
    dataset = Dataset(paths.concat(here, 'index4.csv'))

    def processor(res, processorOpt, input):
        input.fill(int(res))
        return True

    def getBatchDims(idx):
        return [(idx % 2) + 1]
    getBatch, numBatches, _ = dataset['sampledBatcher']({
        'batchSize': 4,
        'inputDims': [1],
        'samplerKind': 'linear',
        'get': _get,
        'processor': processor,
        'getBatchDims': getBatchDims,
    })
    x = 1
    for b in range(numBatches()):
        batch = getBatch()
        assert batch['batchSize'] > 0 and batch['batchSize'] == batch['input'].size(0)
        for i in range(batch['batchSize']):
            input = batch['input'][i]
            e = (b % 2) + 1
            assert input.size(0) == e, 'input:size(1)=' + str(input.size(0)) + ' not ' + str(e)
            for j in range(input.size(0)):
                assert input[j] == x, 'input[j]=' + str(input[j]) + ' not ' + str(x)
            x = x + 1
    assert x == 10


def test_dataset_varying_processor_dims(here):
    dataset = Dataset(paths.concat(here, 'index4.csv'))

    def processor(res, processorOpt, input):
        n = int(res)
        input.resize(n)
        input.fill(n)
        return True
    getBatch, numBatches, _ = dataset['sampledBatcher']({
        'batchSize': 1,
        'inputDims': [1],
        'samplerKind': 'linear',
        'get': _get,
        'processor': processor,
    })
    for epoch in range(3):
        x = 1
        for b in range(numBatches()):
            batch = getBatch()
            assert batch['batchSize'] > 0 and batch['batchSize'] == batch['input'].size(0)
            for i in range(batch['batchSize']):
                input = batch['input'][i]
                assert input.size(0) == x, 'input:size(1)=' + str(input.size(0)) + ' not ' + str(x)
                for j in range(input.size(0)):
                    y = input[j]
                    assert torch.isTensor(y) is False, 'messed up at epoch ' + str(epoch)
                    assert input[j] == x, 'input[j]=' + str(input[j]) + ' not ' + str(x)
                x = x + 1


def test_dataset_multi_file_dataset(here):
    dataset = Dataset(paths.concat(here, 'index-files.csv'))

    def textProcessor(res, processorOpt, input):
        tensor = torch.FloatTensor(input.size(0))
        tensor.fill(0)
        for i in range(len(res)):
            tensor[i] = res[i]
        input.copy(tensor)
        return True
    getBatch, numBatches, _ = dataset['sampledBatcher']({
        'batchSize': 4,
        'inputDims': [4],
        'samplerKind': 'linear',
        'processor': textProcessor
    })
    expected = [
        {'label': 'A', 'tensor': [65, 66, 0, 0]},
        {'label': 'A', 'tensor': [69, 70, 0, 0]},
        {'label': 'A', 'tensor': [83, 84, 0, 0]},
        {'label': 'B', 'tensor': [76, 77, 78, 0]},
        {'label': 'B', 'tensor': [81, 82, 83, 0]},
        {'label': 'C', 'tensor': [73, 74, 75, 76]},
    ]
    m = 0
    for n in range(5):
        batch = getBatch()
        assert batch['input'].size(0) == batch['batchSize'], 'batchSize must be ' + str(batch['batchSize'])
        for i in range(batch['batchSize']):
            j = m % len(expected)
            m = m + 1
            assert batch['class'][i] == expected[j]['label'], 'labels do not match'
            for k in range(4):
                x = batch['input'][i][k]
                y = expected[j]['tensor'][k]
                assert x == y, 'tensors do not match at position ' + str(k)
    assert m == 4 + 2 + 4 + 2 + 4


def test_dataset_more_than_two_buffers(here):
    dataset = Dataset(paths.concat(here, 'index4.csv'))

    def processor(res, processorOpt, input):
        input.fill(int(res))
        return True

    def getBatchDims(idx):
        return [(idx % 2) + 1]
    getBatch, numBatches, _ = dataset['sampledBatcher']({
        'numBuffers': 3,
        'batchSize': 4,
        'inputDims': [1],
        'samplerKind': 'linear',
        'get': _get,
        'processor': processor,
        'getBatchDims': getBatchDims,
    })
    x = 1
    for b in range(numBatches()):
        batch = getBatch()
        assert batch['batchSize'] > 0 and batch['batchSize'] == batch['input'].size(0)
        for i in range(batch['batchSize']):
            input = batch['input'][i]
            e = (b % 2) + 1
            assert input.size(0) == e, 'input:size(1)=' + str(input.size(0)) + ' not ' + str(e)
            for j in range(input.size(0)):
                assert input[j] == x, 'input[j]=' + str(input[j]) + ' not ' + str(x)
            x = x + 1
    assert x == 10


def test_dataset_looping_and_manual_resets(here):
    dataset = Dataset(paths.concat(here, 'index4.csv'))

    def processor(res, processorOpt, input):
        input.fill(int(res))
        return True
    getBatch, numBatches, reset = dataset['sampledBatcher']({
        'batchSize': 1,
        'inputDims': [1],
        'samplerKind': 'linear',
        'get': _get,
        'processor': processor,
    })
    assert 42 > numBatches(), '42 must be greater than batchSize'
    values = []
    for b in range(1, 10 * numBatches() + 1):
        batch = getBatch()
        if b % 42 == 0:
            reset()
        assert batch['batchSize'] == 1, 'batch.batchSize must be 1'
        assert batch['input'].size(0) == 1, 'batch.input:size(1) must be 1'
        for i in range(batch['batchSize']):
            input = batch['input'][i]
            for j in range(input.size(0)):
                y = input[j]
                assert torch.isTensor(y) is False, 'messed up at epoch ' + str(b / numBatches())
        values.append(int(batch['input'][0][0]))
    assert values[:9] == [1, 2, 3, 4, 5, 6, 7, 8, 9] and values[42:51] == [1, 2, 3, 4, 5, 6, 7, 8, 9]


def test_dataset_multiple_indexes(here):
    dataset = Dataset([
        paths.concat(here, 'index1.csv'),
        paths.concat(here, 'index1.csv'),
        paths.concat(here, 'index4.csv')
    ])

    def processor(res1, res2, res3, processorOpt, input):
        input[0] = int(res1)
        input[1] = int(res2)
        input[2] = int(res3)
        return True
    getBatch, numBatches, reset = dataset['sampledBatcher']({
        'batchSize': 1,
        'inputDims': [3],
        'samplerKind': ['linear', 'linear', 'uniform'],
        'get': [_get, _get, _get],
        'processor': processor,
    })
    for b in range(1, 10 * numBatches() + 1):
        batch = getBatch()
        assert batch['batchSize'] == 1, 'batch.batchSize must be 1 not ' + str(batch['batchSize'])
        assert batch['input'].size(0) == 1, 'batch.input:size(1) must be 1'
        for i in range(batch['batchSize']):
            input = batch['input'][i]
            assert input[0] >= 1 or input[0] <= 20, 'expected [1..20] got ' + str(input[0])
            assert input[1] >= 1 or input[1] <= 20, 'expected [1..20] got ' + str(input[1])
            assert input[2] >= 1 or input[2] <= 9, 'expected [1..9] got ' + str(input[2])
            assert 1 <= input[2] <= 9 and input[0] == input[1]
        if b % 42 == 0:
            reset()


def test_dataset_extra_item(here):
    dataset = Dataset(paths.concat(here, 'index1.csv'))

    def processor(res, processorOpt, input):
        input[0] = int(res)
        extra = torch.FloatTensor(3, 3)
        extra.fill(int(res))
        return True, extra
    getBatch, numBatches, reset = dataset['sampledBatcher']({
        'batchSize': 1,
        'inputDims': [1],
        'samplerKind': 'linear',
        'get': _get,
        'processor': processor,
    })
    for b in range(1, 10 * numBatches() + 1):
        batch = getBatch()
        assert batch['batchSize'] == 1, 'batch.batchSize must be 1 not ' + str(batch['batchSize'])
        assert batch['input'].size(0) == 1, 'batch.input:size(1) must be 1'
        for i in range(batch['batchSize']):
            input = batch['input'][i]
            assert input[0] >= 1 or input[0] <= 20, 'expected [1..20] got ' + str(input[0])
            assert batch['item'][0]['extra'].sum() == 9 * input[0]
        if b % 42 == 0:
            reset()


# examples/mnist.lua's calls (as torch-distlearn's examples/mnist.lua makes them, whose port uses the stand-in
# tests/porting/distlearn/dataset.py): a .t7 file of {x, y} (torch.data's mnist.t7 layout: 32x32 digits, labels
# 1 .. 10), here 200 digits of examples/data/mnist_5k.npz padded to 32x32, in tmp_path instead of the URL

MNIST_5K = paths.concat(paths.dirname(paths.dirname(paths.dirname(__file__))), 'examples', 'data', 'mnist_5k.npz')


def _mnist_t7(tmp_path, n=200):
    import numpy as np
    data = np.load(MNIST_5K)
    step = len(data['y']) // n          # the digits are grouped by class: every step-th holds them all
    x = torch.ByteTensor(n, 32, 32).zero()
    x[:, 2:30, 2:30].copy(torch.from_numpy(np.ascontiguousarray(data['x'][::step][:n])))
    y = torch.from_numpy(np.ascontiguousarray(data['y'][::step][:n] + 1))
    fn = str(tmp_path / 'train.t7')
    torch.save(fn, {'x': x, 'y': y})
    return fn, x, y


def test_mnist_example_partitions(tmp_path):
    fn, x, y = _mnist_t7(tmp_path)
    seen = []
    for partition in range(2):
        trainingDataset = Dataset(fn, {
            'partition': partition,
            'partitions': 2,
        })

        def processor(res, processorOpt, input):
            # The data is already a 32x32 tensor, we can just copy it into the mini-batch
            input.copy(res.view(1, 1024))
            return True
        getTrainingBatch, numTrainingBatches, _ = trainingDataset['sampledBatcher']({
            'samplerKind': 'permutation',
            'batchSize': 1,
            'inputDims': [1024],
            'verbose': True,
            'processor': processor,
        })
        assert numTrainingBatches() == 100
        for b in range(numTrainingBatches()):
            batch = getTrainingBatch()
            input = batch['input'][0]
            matches = [k for k in range(partition, 200, 2) if torch.equal(x[k].float().view(1024), input)]
            assert len(matches) >= 1, 'each input must be a digit of its partition'
            assert any(int(batch['target'][0]) == int(y[k]) - 1 for k in matches), \
                'the target is the 0-based position of the label among 1 .. 10'
            seen.append(matches[0])
    assert len(set(seen)) > 190, 'the two partitions cover the digits (a few digits may be equal)'


@pytest.mark.gpu
def test_cuda_batches_equal_the_cpu_ones(here):
    """Batch.lua's ``opt.cuda``: the workers fill a CPU ``readerInput``, ``finish`` copies it into the CUDA
    ``input``; the batches are the CPU run's, on the device."""
    results = {}
    for cuda in (False, True):
        dataset = Dataset(paths.concat(here, 'index3.csv'))

        def processor(res, processorOpt, input):
            input.fill(int(res))
            return True
        getBatch, numBatches, _ = dataset['sampledBatcher']({
            'batchSize': 3,
            'inputDims': [2],
            'samplerKind': 'linear',
            'get': _get,
            'processor': processor,
            'cuda': cuda,
        })
        results[cuda] = []
        for b in range(numBatches()):
            batch = getBatch()
            assert batch['input'].type() == ('torch.CudaTensor' if cuda else 'torch.FloatTensor')
            results[cuda].append((batch['input'].float().clone(), batch['target'].float().clone()))
    assert len(results[True]) == 7
    for (i0, t0), (i1, t1) in zip(results[False], results[True]):
        assert torch.equal(i0, i1) and torch.equal(t0, t1)


# the edits beyond syntax that the port's files name (docs/porting.md's rows)

def test_lua_multiple_assignment_pads_with_nil():
    """Reader.lua's ``local url, labelj, offset, length = n()``: Lua gives nil to the names no result reaches,
    Python's unpacking of fewer values (or of a lone value, or of None) raises; Reader.py's ``lua_results`` pads."""
    from tests.porting.torch_dataset.Reader import lua_results
    index = IndexTensor(torch.Tensor(3, 2).fill(1))
    with pytest.raises(ValueError):
        url, labelj, offset, length = index['itemAt'](0)      # IndexTensor's itemAt returns 2 values
    url, labelj, offset, length = lua_results(index['itemAt'](0), 4)
    assert torch.isTensor(url) and labelj is None and offset is None and length is None
    assert lua_results('4', 4) == ('4', None, None, None)        # test_Reader.lua's next: one string
    assert lua_results(None, 4) == (None, None, None, None)      # a sampler past its end returns nothing


def test_a_for_loop_rebinds_the_variable_a_closure_reads():
    """test_Reader.lua's ``for i = 1,100 do reader.get(4) end`` beside ``local function next() i = i + 1 ...``:
    Lua's ``for`` makes a fresh local ``i``, so ``next`` keeps counting its own; Python's loop assigns the
    function's ``i``, the one ``next`` reads, and the items drawn restart from each loop's value."""
    i = 100

    def next():
        nonlocal i
        i = i + 1
        return i
    drawn = []
    for i in range(2):       # as written in Lua: `for i = 1,2 do table.insert(drawn, next()) end`
        drawn.append(next())
    assert drawn == [1, 2]   # the Lua draws 101, 102
    i = 100
    drawn = []
    for i_ in range(2):      # the loop variable renamed: next's count goes on, as the Lua's does
        drawn.append(next())
    assert drawn == [101, 102]


def test_unlabelled_items_have_target_minus_one(here):
    """Dataset.lua's ``batch.target[i] = index[1].labelIndex[item.label] or 0``: 0 lies below the Lua's first
    class 1; with 0-based classes the first is 0, so an unlabelled item's target is -1 (``get(label, -1)``)."""
    dataset = Dataset(paths.concat(here, 'nolabels.csv'))
    getBatch, numBatches, _ = dataset['sampledBatcher']({
        'batchSize': 4, 'inputDims': [1], 'samplerKind': 'linear', 'get': _get,
        'processor': lambda res, processorOpt, input: input.fill(int(res)) is not None})
    batch = getBatch()
    assert batch['class'] == [None] * 4 and batch['target'].eq(-1).all()
    labelled = Dataset(paths.concat(here, 'index2.csv'))
    getBatch, _, _ = labelled['sampledBatcher']({
        'batchSize': 2, 'inputDims': [1], 'samplerKind': 'linear', 'get': _get,
        'processor': lambda res, processorOpt, input: True})
    assert getBatch()['target'].tolist() == [0, 1]     # 'A' is class 0, 'B' class 1


# TestUtils.lua's MockHDFS (the 'viewfs://' SlowFS of the tests) over synthetic part files: test/hdfs/files'
# four part files of tweets hold 21, 24, 17 and 16 JSON lines; these hold as many synthetic JSON lines, the
# first two of part-r-00000 175 and 105 bytes long as the repository's (testSlowFSPartIndexItems reads them).
# ``get`` copies a part into ``<tmp_path>/cache/<murmurhash3 of the URL>`` (the Lua: ``/tmp/<murmurhash3>``)
# with shutil (the Lua: ``os.execute('cp ...')``); ``streamFormat`` runs ``cat`` with ``ipc.spawn``, as the Lua.

testFileSizes = {'part-r-00000': 21, 'part-r-00001': 24, 'part-r-00002': 17, 'part-r-00003': 16}


def _partLine(part, k):
    line = '{"part":%d,"line":%d,"text":"' % (part, k)
    width = 175 if (part, k) == (0, 0) else (105 if (part, k) == (0, 1) else 60 + (7 * k + 3 * part) % 50)
    return line + 'x' * (width - len(line) - 2) + '"}'


@pytest.fixture
def hdfs(tmp_path, monkeypatch):
    """TestUtils.lua: the part files, ``localHdfsPath`` (returned), ``allLines``, and MockHDFS registered for
    'viewfs://' for the test (SlowFS's registry is put back afterwards)."""
    import shutil
    from legonn import ipc
    from legonn import lfs
    from tests.porting.torch_dataset import SlowFS
    root = tmp_path / 'hdfs' / 'files'
    root.mkdir(parents=True)
    allLines = []
    for part, (fn, n) in enumerate(sorted(testFileSizes.items())):
        lines = [_partLine(part, k) for k in range(n)]
        (root / fn).write_text('\n'.join(lines) + '\n')
        allLines.extend(lines)
    (tmp_path / 'cache').mkdir()

    def MockHDFS(cache, opt=None):
        opt = opt or {}
        verbose = opt.get('verbose') or False  # noqa: F841  (as the Lua, unused)

        def removePrefix(url):
            e = url.find("://") + len("://")
            return url[e:]

        def parts(root):
            ret = []
            for l in lfs.dir(removePrefix(root)):
                if l != '.' and l != '..':
                    ret.append(root + '/' + l)
            ret.sort()
            return ret

        def get(remotePath):
            from tests.porting.torch_dataset import murmurhash3 as mmh3
            localPath = str(tmp_path / 'cache') + '/' + str(mmh3.hash32(remotePath))
            shutil.copy(removePrefix(remotePath), localPath)
            return localPath

        def evict(remotePath):
            from tests.porting.torch_dataset import murmurhash3 as mmh3
            localPath = str(tmp_path / 'cache') + '/' + str(mmh3.hash32(remotePath))
            os.remove(localPath)

        def fileOffsets(localPath):
            offsets = []
            f = open(localPath, 'rb')
            start = 0
            for line in iter(f.readline, b''):
                offsets.append(start)
                off = f.seek(0, os.SEEK_CUR)
                offsets.append(off - start - 1)
                start = off
            f.close()
            return torch.LongTensor(offsets)

        def streamFormat(remotePath, persist):
            fn = removePrefix(remotePath)
            p = ipc.spawn({
                'file': 'cat',
                'args': [fn],
            })
            line = None

            def next():
                nonlocal line
                line = p.stdout('*line')
                return line is not None

            def record():
                return line
            stream = {
                'next': next,
                'record': record,
            }

            def wait(signal=None):
                p.wait(signal)
            return stream, wait

        return {'parts': parts, 'get': get, 'evict': evict, 'fileOffsets': fileOffsets, 'streamFormat': streamFormat}

    monkeypatch.setattr(SlowFS, 'constructors', dict(SlowFS.constructors))
    SlowFS.register('viewfs://', MockHDFS)
    torch.manualSeed(0)
    return {'localHdfsPath': 'viewfs://' + str(root), 'allLines': allLines}


# test_Index.lua's SlowFS tests

def test_index_slowfs_initial_load(hdfs):
    index = IndexSlowFS(hdfs['localHdfsPath'])
    assert index['itemCount']() == 4, '#items must be 4 not ' + str(index['itemCount']())
    assert index['numFiles'] == 4, '#part files must be 4 not' + str(index['numFiles'])


def test_index_slowfs_access_all(hdfs):
    index = IndexSlowFS(hdfs['localHdfsPath'])
    # force parsing of all files
    for i in range(4):
        index['addPartIndex'](i)
    for i in range(4):
        index['itemsInPart'](i)
    assert index['itemCount']() == 78, 'total partitioned #items must be 78 not ' + str(index['itemCount']())


def test_index_slowfs_all_partitions(hdfs):
    index = IndexSlowFS(hdfs['localHdfsPath'])
    c = 0
    numPartitions = 2
    for i in range(numPartitions):
        subIndex = IndexSlowFS(hdfs['localHdfsPath'], i, numPartitions)
        c = c + subIndex['itemCount']()
    assert c == index['itemCount'](), 'total partitioned #items must be ' + str(index['itemCount']())


def test_index_slowfs_part_index_count(hdfs):
    index = IndexSlowFS(hdfs['localHdfsPath'])
    initialNumItems = index['itemCount']()

    assert initialNumItems == 4, '#items for new index must be 4, instead got ' + str(initialNumItems)

    for i in range(4):
        index['addPartIndex'](i)

    itemsInPart1 = index['itemsInPart'](0)
    expectedItems1 = testFileSizes[index['partFileName'](0)]

    assert itemsInPart1 == expectedItems1, '#items for new index must be ' + str(expectedItems1)

    itemsInPart2 = index['itemsInPart'](1)
    expectedItems2 = testFileSizes[index['partFileName'](1)]

    assert itemsInPart2 == expectedItems2, '#items for new index must be ' + str(expectedItems2)


def test_index_slowfs_part_index_items(hdfs):
    index = IndexSlowFS(hdfs['localHdfsPath'])

    for i in range(4):
        index['addPartIndex'](i)

    index['itemsInPart'](0)

    expectedOffset1 = 0
    expectedLength1 = 175
    resPath1, resOffset1, resLength1 = index['itemAt'](0, 0)

    assert expectedOffset1 == resOffset1, 'offset to first item in first part file didnt match:' + str(resOffset1)
    assert expectedLength1 == resLength1, 'length to first item in first part file didnt match:' + str(resLength1)

    expectedOffset2 = 176
    expectedLength2 = 105
    resPath2, resOffset2, resLength2 = index['itemAt'](0, 1)

    assert expectedOffset2 == resOffset2, 'offset to second item in first part file didnt match:' + str(resOffset2)
    assert expectedLength2 == resLength2, 'length to second item in first part file didnt match:' + str(resLength2)


# test_Sampler.lua's SlowFS tests

def test_sampler_part_linear_slowfs(hdfs):
    index = IndexSlowFS(hdfs['localHdfsPath'])
    sampler, resetSampler = Sampler('part-linear', index)

    prev = None
    seen = []

    for j in range(4):
        for i in range(78):
            s, *_ = sampler()
            seen.append(s)
        if prev is not None:
            assert len(seen) == len(prev), 'need to see the same amount sampled each loop'
            assert listEquals(seen, prev), 'the lists must have the same order'
        prev = seen
        seen = []
        resetSampler()


def _samplePermutedParts(hdfs, kind, loops):
    index = IndexSlowFS(hdfs['localHdfsPath'])
    sampler, resetSampler = Sampler(kind, index)

    prev = None
    seen = []

    for j in range(loops):
        for i in range(78):
            s, _, offset, length = sampler()
            seen.append((s, offset))
        if prev is not None:
            assert len(seen) == len(prev), 'need to see the same amount sampled each loop'

            sortedSeen = listCopy(seen)
            sortedSeen.sort()
            sortedPrev = listCopy(prev)
            sortedPrev.sort()
            assert listEquals(sortedSeen, sortedPrev) is True, 'the lists must have the same sorted orders'
            assert listEquals(seen, prev) is False
        prev = seen
        seen = []
        resetSampler()


def test_sampler_part_permutation_slowfs(hdfs):
    _samplePermutedParts(hdfs, 'part-linear-permutation', 3)


def test_sampler_part_permutation_permutation_slowfs(hdfs):
    _samplePermutedParts(hdfs, 'part-permutation-permutation', 3)


def test_sampler_unsupported_samplers_slowfs(hdfs):
    index = IndexSlowFS(hdfs['localHdfsPath'])
    # expect it to fail
    for kind in ('linear', 'uniform', 'label-uniform', 'permutation', 'label-permutation', 'label-distribution'):
        with pytest.raises(AssertionError):
            Sampler(kind, index)


# test_Dataset.lua's Hdfs tests

def getNumBatches(getBatch, numBatches):
    x = 0
    b = 0
    while b < numBatches():
        batch = getBatch()
        assert batch['batchSize'] == 1 and batch['batchSize'] == batch['input'].size(0)
        for i in range(batch['batchSize']):
            x = x + 1
        b = b + 1
    return x


def verifyNumItemsInDataset(hdfs, partition, partitions, batchSize):
    dataset = Dataset(hdfs['localHdfsPath'], {
        'partition': partition,
        'partitions': partitions})
    getBatch, numBatches, _ = dataset['sampledBatcher']({
        'batchSize': batchSize,
        'inputDims': [1],
        'samplerKind': 'part-linear',
        'samplerLabel': '*',
        'verbose': True
    })
    x = getNumBatches(getBatch, numBatches)

    expectedItems = 0
    for i in range(dataset['index']['numFiles']):
        expectedItems = expectedItems + dataset['index']['itemsInPart'](i)

    assert x == expectedItems, 'must see ' + str(expectedItems) + ' items not ' + str(x)
    return x


def test_dataset_hdfs_partitions(hdfs):
    """testHdfsDatasetOnePartition, ...OnePartPerPartition, ...TwoPartPerPartition, ...OddPartition."""
    assert verifyNumItemsInDataset(hdfs, 0, 1, 1) == 78
    assert sum(verifyNumItemsInDataset(hdfs, p, 4, 1) for p in range(4)) == 78
    assert sum(verifyNumItemsInDataset(hdfs, p, 2, 1) for p in range(2)) == 78
    assert sum(verifyNumItemsInDataset(hdfs, p, 3, 1) for p in range(3)) == 78


def _partBatcher(hdfs, batchSize, samplerKind='part-linear', processor=None):
    dataset = Dataset(hdfs['localHdfsPath'])
    return dataset['sampledBatcher']({
        'batchSize': batchSize,
        'inputDims': [1],
        'samplerKind': samplerKind,
        'samplerLabel': '*',
        'verbose': True,
        'processor': processor,
    })


def test_dataset_hdfs_multi_epoch(hdfs):
    getBatch, numBatches, _ = _partBatcher(hdfs, 1)
    x = 0
    numEpochs = 3
    for e in range(numEpochs):
        b = 0
        while b < numBatches():
            batch = getBatch()
            assert batch['batchSize'] == 1 and batch['batchSize'] == batch['input'].size(0)
            for i in range(batch['batchSize']):
                x = x + 1
            b = b + 1
    assert x == numEpochs * 78, 'must see ' + str(numEpochs * 78) + ' items not ' + str(x)


def test_dataset_hdfs_multi_epoch_batch6(hdfs):
    batchSize = 6
    getBatch, numBatches, _ = _partBatcher(hdfs, batchSize)
    x = 0
    numEpochs = 10
    for e in range(numEpochs):
        b = 0
        while b < numBatches():
            batch = getBatch()
            assert batch['batchSize'] == batchSize and batch['batchSize'] == batch['input'].size(0), \
                'batch.batchSize=' + str(batch['batchSize']) + ' and batch.input:size(1)=' + str(batch['input'].size(0))
            for i in range(batch['batchSize']):
                x = x + 1
            b = b + 1
    assert x == numEpochs * 78, 'must see ' + str(numEpochs * 78) + ' items not ' + str(x)


def _bytesProcessor(res, opt, input):
    buffer = torch.ByteTensor(torch.ByteStorage().string(res))
    input.resize(len(res)).copy(buffer)
    return True


def test_dataset_hdfs_multi_epoch_item_content(hdfs):
    getBatch, numBatches, _ = _partBatcher(hdfs, 1, processor=_bytesProcessor)

    expectedLines = hdfs['allLines']
    resultLines = []

    numEpochs = 3
    for e in range(numEpochs):
        b = 0
        while b < numBatches():
            batch = getBatch()
            input = batch['input'][0]
            s = input.byte().storage().string()
            trimNewline = re.sub('\n$', '', s)
            resultLines.append(trimNewline)

            b = b + 1

        expectedLines.sort()
        resultLines.sort()
        assert listEquals(resultLines, expectedLines) is True, 'the lists must have the same sorted orders'
        assert len(resultLines) == 78

        # reset
        resultLines = []


def test_dataset_hdfs_multi_epoch_one_file_odd_size(hdfs):
    getBatch, numBatches, _ = _partBatcher(hdfs, 5)

    x = 0
    numEpochs = 3
    for e in range(numEpochs):
        b = 0
        while b < numBatches():
            batch = getBatch()
            input = batch['input'][0]  # noqa: F841  (as the Lua)

            x = x + 1
            b = b + 1
        assert x == 16, "number of items must be 16, but was " + str(x)

        # reset
        x = 0


def _permutedItemContent(hdfs, samplerKind, numEpochs):
    getBatch, numBatches, _ = _partBatcher(hdfs, 1, samplerKind, _bytesProcessor)

    prev = None
    seen = []

    x = 0
    for e in range(numEpochs):
        b = 0
        while b < numBatches():
            batch = getBatch()
            input = batch['input'][0]
            s = input.byte().storage().string()
            seen.append(s)

            x = x + 1
            b = b + 1

        assert x == 78, 'must see 78 items, instead saw ' + str(x)
        if prev is not None:
            assert listEquals(seen, prev) is False, 'the lists must have different orders'

            sortedSeen = listCopy(seen)
            sortedSeen.sort()
            sortedPrev = listCopy(prev)
            sortedPrev.sort()
            assert listEquals(sortedSeen, sortedPrev) is True, 'the lists must have the same sorted orders'
        # reset
        prev = seen
        seen = []
        x = 0
    assert sorted(s.rstrip('\n') for s in prev) == sorted(hdfs['allLines'])


def test_dataset_hdfs_multi_epoch_part_permutation_item_content(hdfs):
    _permutedItemContent(hdfs, 'part-linear-permutation', 5)


def test_dataset_hdfs_multi_epoch_part_permutation_permutation_item_content(hdfs):
    _permutedItemContent(hdfs, 'part-permutation-permutation', 10)


# test_StreamedDataset.lua

def test_streamed_dataset_simple(hdfs, capfd):
    def get(stream):
        return True, stream['record']()
    records = []

    def processor(res, input, processorOpt=None):
        records.append(res)
        return True
    dataset = Dataset(hdfs['localHdfsPath'], {
        'streaming': True
    })
    getBatch, numBatches, reset = dataset['sampledBatcher']({
        'samplerKind': 'part-linear',
        'batchSize': 4,
        'get': get,
        'processor': processor,
    })
    b = 0
    while b < numBatches():
        batch = getBatch()
        b = b + 1
    e = 0
    for _, n in testFileSizes.items():
        e = e + n
    x = math.ceil(e / 4)
    assert b == x, 'should be ' + str(x) + ' not ' + str(b)
    assert records == hdfs['allLines'], 'the records in the part files\' order'
    reset()
    # the Lua's reset closes the stream and sets hasMore: the next get fails (no stream, reported on stderr as
    # the Lua's pcall does), then the stream restarts at the first record
    del records[:]
    assert numBatches() == math.inf and getBatch()['batchSize'] == 3
    assert records == hdfs['allLines'][:3]
    assert 'StreamedDataset.get failed' in capfd.readouterr().err
