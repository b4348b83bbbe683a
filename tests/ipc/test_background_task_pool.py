"""ipc.BackgroundTaskPool after torch-ipc's test/test_BackgroundTaskPool.lua (sleeps of up to 0.1 s, not 1 s,
and 100 tasks, not 1000, for a test run; ``math.random`` is Python's ``random``). Task ids are 0-based. Failed
before legonn had ``ipc.BackgroundTaskPool`` (an AttributeError)."""
import random
import time

import pytest

from legonn import ipc


def _sleepy(t, i=None):
    time.sleep(t)
    if i is not None and i % 8 == 0:
        raise RuntimeError('die')
    return random.random()


def test_simple():
    pool = ipc.BackgroundTaskPool(20, {'closeOnLastTask': True})
    ids = [pool.addTask(_sleepy, random.randint(1, 100) / 1000) for _ in range(100)]
    assert ids == list(range(100))
    for i in range(100):
        assert isinstance(pool.getResult(i), float)
    assert pool._workers is None          # closeOnLastTask ended the workers


def test_polling():
    pool = ipc.BackgroundTaskPool(13, {'closeOnLastTask': True})
    for _ in range(42):
        pool.addTask(_sleepy, random.randint(1, 1000) / 10000)
    x = 0
    while not pool.isDone():
        x = x + 1
        time.sleep(0.01)
    assert 1 < x < 100, x
    assert not pool.hasTask()
    for i in range(42):
        assert isinstance(pool.getResult(i), float)


def test_error():
    pool = ipc.BackgroundTaskPool(7, {'closeOnLastTask': True})
    for i in range(42):
        pool.addTask(_sleepy, random.randint(1, 100) / 10000, i)
    for i in range(42):
        if i % 8 == 0:
            with pytest.raises(RuntimeError, match='die'):
                pool.getResult(i)
        else:
            assert isinstance(pool.getResult(i), float)


def test_latest_result_and_several_values():
    """``getResult()`` without an id: the latest task's results (IndexSlowFS.lua imports its part files so, one
    task at a time); a task's several results come back as its tuple."""
    pool = ipc.BackgroundTaskPool(1)
    assert not pool.hasTask()
    pool.addTask(lambda a, b: (a + b, a * b), 2, 3)
    assert pool.hasTask()
    assert pool.getResult() == (5, 6)
    pool.addTask(lambda: 'second')
    assert pool.getResult() == 'second' and not pool.hasTask()
    with pytest.raises(TypeError, match='expected a function'):
        pool.addTask(42)
