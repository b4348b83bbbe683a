"""ipc.mutex after torch-ipc's test/test_mutex.lua and doc/mutex.md. Failed before legonn had ``ipc.mutex``
(an AttributeError)."""
import threading
import time

import pytest

import legonn as torch
from legonn import ipc
from legonn import threads


def test_locking_and_barrier():
    beforeWriteMutex = ipc.mutex()
    afterWriteMutex = ipc.mutex()
    shared = torch.FloatTensor(10000)
    shared.fill(0)

    def work(beforeWriteMutex, afterWriteMutex, shared, mapid):
        assert shared[0] == 0
        beforeWriteMutex.barrier(4)

        afterWriteMutex.barrier(4)
        assert shared[0] != 0

        afterWriteMutex.lock()
        for i in range(shared.size(0)):
            shared[i] = mapid + 1      # the Lua's 1-based mapid: never 0, which the other workers' assert needs
        afterWriteMutex.unlock()
    m = ipc.map(3, work, beforeWriteMutex, afterWriteMutex, shared)

    # `beforeWriteMutex.barrier(4)` guarantees `assert shared[0] == 0` to succeed
    beforeWriteMutex.barrier(4)

    shared[0] = 1000

    # afterWriteMutex.barrier(4) guarantees `assert shared[0] != 0` to succeed
    afterWriteMutex.barrier(4)

    m.join()
    first = shared[0]
    for i in range(1, shared.size(0)):
        assert shared[i] == first
    assert first in (1, 2, 3)        # the last worker to take the lock wrote its mapid everywhere


def test_the_lock_is_recursive_and_excludes_other_threads():
    m = ipc.mutex()
    m.lock()
    m.lock()                         # mutex.c's PTHREAD_MUTEX_RECURSIVE: the owner may relock
    got = []
    other = threading.Thread(target=lambda: (m.lock(), got.append('in'), m.unlock()))
    other.start()
    m.unlock()
    time.sleep(0.1)
    assert got == []                 # still held once
    m.unlock()
    other.join(10)
    assert got == ['in']
    with pytest.raises(RuntimeError, match=r'legonn.ipc.mutex.unlock: this thread does not hold the mutex'):
        m.unlock()


def test_a_barrier_is_reusable_and_refuses_a_bad_count():
    m = ipc.mutex()
    counts = torch.zeros(3)

    def work(counts, m, mapid):
        for step in range(5):
            counts[mapid] = step + 1
            m.barrier(3)
            assert counts.min() == step + 1   # everyone finished this step before anyone goes on
            m.barrier(3)
    ipc.map(3, work, counts, m).join()
    assert counts.sum() == 15
    with pytest.raises(ValueError, match=r'legonn.ipc.mutex.barrier: expected a number of threads >= 1'):
        m.barrier(0)


def test_a_threads_pool_shares_it():
    m = ipc.mutex()
    total = torch.zeros(1)

    def add():
        for _ in range(100):
            m.lock()
            total[0] = total[0] + 1
            m.unlock()
    pool = threads.Threads(4)
    try:
        for _ in range(4):
            pool.addjob(add)
        pool.synchronize(timeout=20)
    finally:
        pool.terminate()
    assert total[0] == 400
