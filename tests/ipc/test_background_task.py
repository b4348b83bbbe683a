"""ipc.BackgroundTask after torch-ipc's test/test_BackgroundTask.lua (sleeps of 0.04 and 0.07 s, not 0.4 and
0.7 s; testPolling keeps its 1.3 s and polls of 0.1 s). Failed before legonn had ``ipc.BackgroundTask`` (an
AttributeError)."""
import time

import pytest

import legonn as lg
from legonn import ipc


def _done(t):
    time.sleep(t)
    return 'done!', 42, True


def _nothing(t):
    time.sleep(t)


def _die(t):
    time.sleep(t)
    raise RuntimeError('die')
    return 43


def test_simple():
    task = ipc.BackgroundTask(_done, 0.07)
    s, n, b = task.getResult()
    assert s == 'done!'
    assert n == 42
    assert b is True


def test_polling():
    task = ipc.BackgroundTask(_done, 1.3)
    x = 0
    while not task.isDone():
        x = x + 1
        time.sleep(0.1)
    assert 9 < x < 16, x
    s, n, b = task.getResult()
    assert s == 'done!'
    assert n == 42
    assert b is True


def test_no_returns():
    task = ipc.BackgroundTask(_nothing, 0.04)
    y = task.getResult()
    assert y is None


def test_error():
    task = ipc.BackgroundTask(_die, 0.04)
    with pytest.raises(RuntimeError, match='die'):
        task.getResult()


def test_error_polling():
    task = ipc.BackgroundTask(_die, 0.04)
    assert not task.isDone()
    time.sleep(0.06)
    assert task.isDone(None, True) is True   # the Lua's isDone() after its sleep; waiting here, for a loaded host
    with pytest.raises(RuntimeError, match='die'):
        task.getResult()
    assert task._pool._workers is None        # closeOnLastTask: its worker ended with the result


def test_a_task_builds_in_the_starting_default_type():
    """A task runs in a thread of ipc.map, a new Lua state in torch-ipc: the caller's default type is not its."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    assert ipc.BackgroundTask(lambda: lg.Tensor(1).type()).getResult() == 'legonn.FloatTensor'
