"""ipc.workqueue after torch-ipc's test/test_workqueue.lua: an echo worker of ``ipc.map`` opens the owner's queue
by name, reads questions and writes answers; tensors travel by reference (a worker's ``fill`` is seen by the
owner), ``None`` (Lua's nil) ends the worker. Failed before legonn had ``ipc.workqueue`` (an AttributeError)."""

import time

import pytest

import legonn as torch
from legonn import ipc
def _echo(name, mapid):
    q = ipc.workqueue(name)
    assert not q.creator
    while True:
        msg = q.read()
        if msg is None:
            break
        if torch.isTensor(msg) and msg.size(0) == 1:
            msg.fill(13)
        elif isinstance(msg, dict) and torch.isTensor(msg.get('f')):
            msg['f'].fill(42)
        q.write(msg)
    q.close()
@pytest.fixture
def echo_queue():
    q = ipc.workqueue('test_workqueue_echo')
    assert q.creator
    echo = ipc.map(1, _echo, 'test_workqueue_echo')
    yield q
    q.write(None)
    echo.join()
    q.close()
def test_values_come_back_from_the_worker(echo_queue):
    q = echo_queue
    for value in (True, False, 42.13, "hey man what's up with that code?", [1, 2, 73.86, 'hello', True]):
        q.write(value)
        assert q.read() == value
def test_tensors_pass_by_reference(echo_queue):
    q = echo_queue
    t = torch.zeros(1)
    q.write(t)
    assert q.read() is t and t[0] == 13
    table = {'f': torch.zeros(3)}
    q.write(table)
    assert q.read() is table            # the dict itself: torch-ipc would hand back a copy of the table
    assert table['f'].eq(42).all()
    again = ipc.workqueue('test_workqueue_echo')    # the name reaches the open queue (and its worker)
    assert not again.creator
    again.close()
def test_several_values_in_one_write_and_a_read_that_does_not_block(echo_queue):
    q = echo_queue
    assert q.read(True) is None                 # nothing answered yet
    q.write(1, 2, 3)
    q.drain()                                   # every question answered, the answers kept
    assert [q.read(True), q.read(True), q.read(True)] == [1, 2, 3]
    assert q.read(True) is None
def test_drain_is_for_the_owner_only_and_close_once():
    q = ipc.workqueue('test_workqueue_owner')
    errors = []

    def worker(mapid):
        other = ipc.workqueue('test_workqueue_owner')
        try:
            other.drain()
        except RuntimeError as exc:
            errors.append(str(exc))
        other.close()

    ipc.map(1, worker).join()
    assert 'only available on the owner thread' in errors[0]
    q.close()
    with pytest.raises(RuntimeError, match='closed'):
        q.close()
    assert ipc.workqueue('test_workqueue_owner').creator    # the last close forgot the name
def test_a_worker_waits_past_the_sockets_timeout(monkeypatch):
    """A worker idle in ``read`` longer than ``ipc.DEFAULT_TIMEOUT`` still gets the next question (torch-ipc waits
    forever: a pool idles while its owner does other work)."""
    monkeypatch.setattr(ipc, 'DEFAULT_TIMEOUT', 0.05)
    q = ipc.workqueue('test_workqueue_idle')
    echo = ipc.map(1, _echo, 'test_workqueue_idle')
    time.sleep(0.3)
    q.write(7)
    assert q.read() == 7
    q.write(None)
    echo.join(timeout=20)
    q.close()
