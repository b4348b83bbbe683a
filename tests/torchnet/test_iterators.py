"""torchnet's iterators (dataset/datasetiterator.lua, dataset/paralleldatasetiterator.lua): test/iterators.lua's
cases with 0-based indices, and the ordered mode and exec of paralleldatasetiterator.lua."""
import functools
import threading
import time

import pytest

from legonn import threads, torchnet as tnt


def six():
    return tnt.TableDataset(data=[1, 2, 3, 4, 5, 6])


def test_dataset_iterator():
    """test/iterators.lua DatasetIterator: run() gives the samples in order; so do it() and a for over it."""
    itr = tnt.DatasetIterator(six())
    assert list(itr.run()) == [1, 2, 3, 4, 5, 6]
    assert list(itr()) == list(itr) == [1, 2, 3, 4, 5, 6]


def test_dataset_iterator_filter_transform_perm():
    """test/iterators.lua DatasetIterator_filter, _transform and _perm ((x % 6) + 1 made 0-based: (x + 1) % 6);
    datasetiterator.lua's transform runs before filter, and :filter/:transform wrap an iterator."""
    assert list(tnt.DatasetIterator(dataset=six(), filter=lambda x: x % 2 == 0).run()) == [2, 4, 6]
    assert list(tnt.DatasetIterator({'dataset': six(), 'transform': lambda x: x - 1})) == [0, 1, 2, 3, 4, 5]
    assert list(tnt.DatasetIterator(dataset=six(), perm=lambda x: (x + 1) % 6)) == [2, 3, 4, 5, 6, 1]
    itr = tnt.DatasetIterator(dataset=six(), transform=lambda x: x * 3, filter=lambda x: x % 2 == 0)
    assert list(itr) == [6, 12, 18]
    assert list(itr.transform(lambda x: x + 1).filter(lambda x: x > 10)) == [13, 19]
    assert list(tnt.DatasetIterator(iterator=itr, transform=lambda x: -x)) == [-6, -12, -18]


def test_dataset_iterator_exec():
    """test/iterators.lua DatasetIterator_exec: exec('resample') reaches the ShuffleDataset under the
    TransformDataset; the two passes differ and both hold 1..100."""
    itr = tnt.TableDataset(data=list(range(1, 101))).shuffle().transform(lambda i: i).iterator()
    output1 = list(itr.run())
    itr.exec('resample')
    output2 = list(itr.run())
    assert output1 != output2, 'dataset not shuffled'
    assert sorted(output1) == sorted(output2) == list(range(1, 101))
    assert itr.exec('size') == 100
    with pytest.raises(ValueError, match='unknown function <nope>'):
        itr.exec('nope')


def test_parallel_dataset_iterator():
    """test/iterators.lua ParallelDatasetIterator: 3 workers give every sample once; run() again gives them
    again (the size is read at each run)."""
    d = six()
    inits = []
    itr = tnt.ParallelDatasetIterator(closure=lambda: d, init=lambda tid: inits.append(tid), nthread=3)
    assert sorted(inits) == [0, 1, 2]
    for _ in range(2):
        got = list(itr.run())
        assert sorted(got) == [1, 2, 3, 4, 5, 6]


def test_parallel_dataset_iterator_ordered():
    """test/iterators.lua ParallelDatasetIterator_ordered: sample 2 waits until a later sample has been fetched,
    so it finishes out of order; with ordered=True the samples still come 1..6 (an Event stands for
    tds.AtomicCounter)."""
    later_done = threading.Event()

    def slow_second(s):
        if s == 2:
            assert later_done.wait(10), 'no later sample was fetched'
            time.sleep(0.3)     # so that the later sample is back in the main thread first
        elif s > 2:
            later_done.set()
        return s
    d = six().transform(slow_second)
    itr = tnt.ParallelDatasetIterator({'closure': lambda: d, 'nthread': 3, 'ordered': True})
    assert list(itr.run()) == [1, 2, 3, 4, 5, 6]
    later_done.clear()
    unordered = list(tnt.ParallelDatasetIterator(closure=lambda: d, nthread=3).run())
    assert sorted(unordered) == [1, 2, 3, 4, 5, 6] and unordered != [1, 2, 3, 4, 5, 6]   # 2 came after a later one


def test_parallel_ordered_with_filter_and_perm():
    """paralleldatasetiterator.lua: filtered samples leave placeholders in ordered mode; perm picks the index
    each job reads, transform runs in the main thread before filter."""
    itr = six().parallel(nthread=2, ordered=True, perm=lambda i: 5 - i, transform=lambda x: x * 10,
                         filter=lambda x: x != 30)
    assert list(itr.run()) == [60, 50, 40, 20, 10]


def test_parallel_exec_and_exec_single():
    """paralleldatasetiterator.lua exec: the method runs on each worker's dataset, one result per worker;
    execSingle on one. The closure gets the worker's id (0-based)."""
    itr = tnt.ParallelDatasetIterator(closure=lambda tid: tnt.TableDataset(data=list(range(tid + 2))), nthread=3)
    assert sorted(itr.exec('size')) == [2, 3, 4]
    assert itr.execSingle('size') in (2, 3, 4)
    assert itr.exec('get', 1) == [1, 1, 1]


def test_parallel_on_processes():
    """The same iteration with legonn.threads' process backend (closure and init must pickle)."""
    closure = functools.partial(tnt.TableDataset, data=[1, 2, 3, 4, 5, 6])
    itr = tnt.ParallelDatasetIterator(closure=closure, nthread=2, ordered=True, backend='process')
    assert list(itr.run()) == [1, 2, 3, 4, 5, 6]
    assert itr.exec('size') == [6, 6]


def test_bad_input_names_the_class():
    """argcheck's checks: a closure that does not give a dataset, missing nthread, a non-dataset."""
    with pytest.raises(threads.JobError, match='closure should return a tnt.Dataset, got list'):
        tnt.ParallelDatasetIterator(closure=lambda: [1, 2], nthread=1)
    with pytest.raises(TypeError, match='tnt.ParallelDatasetIterator: expected nthread to be a number'):
        tnt.ParallelDatasetIterator(closure=six)
    with pytest.raises(TypeError, match='tnt.DatasetIterator: expected dataset to be a tnt.Dataset, got list'):
        tnt.DatasetIterator([1, 2, 3])
    with pytest.raises(TypeError, match='tnt.DatasetIterator: expected filter to be a function'):
        tnt.DatasetIterator(six(), filter=3)
