"""AsyncIterator (AsyncIterator.lua) on legonn.threads: the batches of the synchronous iterators, in order;
test.lua's ``dltest.loadImageNet`` compares the async and sync ``subiter`` sums the same way."""
import threading

import numpy as np
import pytest

import legonn as lg
from legonn import dataload as dl


def batches(iterator):
    return [(k,) + tuple(t.numpy().copy() for t in batch) for k, *batch in iterator]


def assert_same(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g[0] == e[0]
        for a, b in zip(g[1:], e[1:]):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('nthread', [1, 3])
def test_subiter_yields_the_synchronous_batches(nthread):
    """AsyncIterator.lua subiter: the workers run ``dataset:sub``; here the batches come back in the order
    asked, equal to DataLoader.lua's subiter, and the position carries on across epochs the same way."""
    ds = dl.TensorLoader(lg.randn(103, 3), lg.range(0, 102))
    expected = batches(ds.subiter(10, 250)) + batches(ds.subiter(16, 40))
    ds.reset()
    with dl.AsyncIterator(ds, nthread) as it:
        got = batches(it.subiter(10, 250)) + batches(it.subiter(16, 40))
    assert_same(got, expected)


def test_sampleiter_yields_the_synchronous_batches_for_a_seed():
    """AsyncIterator.lua sampleiter: batches of ``dataset:sample``; the indices are drawn in the calling
    thread, so with one seed the batches are DataLoader.lua sampleiter's."""
    ds = dl.TensorLoader(lg.randn(50, 2), lg.range(0, 49))
    lg.manualSeed(11)
    expected = batches(ds.sampleiter(7, 60))
    with dl.AsyncIterator(ds, 2) as it:
        lg.manualSeed(11)
        got = batches(it.sampleiter(7, 60))
    assert_same(got, expected)


def test_sequence_loader_batches_are_the_synchronous_ones():
    """AsyncIterator over a SequenceLoader (rnn's recurrent-language-model wraps its train set so)."""
    ds = dl.SequenceLoader(lg.range(0, 300).long(), 4)
    expected = batches(ds.subiter(9))
    ds.reset()
    with dl.AsyncIterator(ds, 2) as it:
        assert_same(batches(it.subiter(9)), expected)


def test_workers_make_the_batches_and_buffers_are_reused():
    """AsyncIterator.lua: jobs run in the workers (threadInit runs there once each), and each batch's tensors
    are sent back to a worker as the buffers of a later one."""
    class Recording(dl.TensorLoader):
        def index(self, indices, inputs=None, targets=None):
            made_in.add(threading.get_ident())
            return super().index(indices, inputs, targets)

    made_in, inits = set(), []
    ds = Recording(lg.randn(40, 2), lg.range(0, 39))
    with dl.AsyncIterator(ds, 2, threadInit=lambda: inits.append(threading.get_ident())) as it:
        storages = {id(inputs.storage()) for _, inputs, _ in it.subiter(4, 40)}
    assert threading.get_ident() not in made_in and made_in <= set(inits) and len(inits) == 2
    assert len(storages) <= 3   # nthread batches queued ahead, plus the one being read


def test_one_iterator_at_a_time():
    """AsyncIterator.lua: "Can only support one iterator per synchronize()": starting a second iterator ends the
    first, whose next batch raises instead of taking the second's."""
    ds = dl.TensorLoader(lg.randn(40, 2), lg.range(0, 39))
    with dl.AsyncIterator(ds, 2) as it:
        first = it.subiter(4)
        next(first)
        second = it.subiter(4)
        assert next(second)[0] == 4
        with pytest.raises(RuntimeError, match="AsyncIterator.subiter: another iterator started"):
            next(first)


def test_errors_in_workers_reach_the_caller():
    """A failing job is reported by the pool (threads.JobError naming the job), not lost."""
    class Broken(dl.TensorLoader):
        def index(self, indices, inputs=None, targets=None):
            raise RuntimeError('unreadable sample')

    with dl.AsyncIterator(Broken(lg.randn(8, 2), lg.randn(8)), 1) as it:
        with pytest.raises(lg.threads.JobError, match=r'job \d+ \(_call\) raised(.|\n)*unreadable sample'):
            list(it.subiter(4, 4))


def test_bad_input_names_the_class():
    """AsyncIterator.lua asserts a dl.DataLoader, serial mode 'ascii' or 'binary' and a function threadInit."""
    with pytest.raises(TypeError, match="AsyncIterator: dataset must be a dataload DataLoader, got list"):
        dl.AsyncIterator([1, 2])
    ds = dl.TensorLoader(lg.randn(8, 2), lg.randn(8))
    with pytest.raises(ValueError, match="AsyncIterator: serialmode must be 'ascii' or 'binary', got 'json'"):
        dl.AsyncIterator(ds, 2, False, 'json')
    with pytest.raises(TypeError, match="AsyncIterator: threadInit must be a function, got int"):
        dl.AsyncIterator(ds, 2, False, 'ascii', 3)
    with pytest.raises(ValueError, match="AsyncIterator: nthread must be positive, got 0"):
        dl.AsyncIterator(ds, 0)
