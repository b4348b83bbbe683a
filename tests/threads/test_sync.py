"""Mutex and Condition across thread and process workers."""
import threading
import time

import pytest

import legonn as lg
from legonn import threads
from tests.threads import jobs


@pytest.mark.parametrize('backend', ['thread', 'process'])
def test_mutex_makes_read_modify_write_exact(backend):
    mutex = threads.Mutex()
    counter = threads.share_memory(lg.zeros(1)) if backend == 'process' else lg.zeros(1)
    p = threads.Threads(2, backend=backend)
    try:
        for _ in range(4):
            p.addjob(jobs.count_under_mutex, None, mutex, counter, 100)
        p.synchronize()
    finally:
        p.terminate()
    assert float(counter.array[0]) == 400


def test_mutex_reattaches_by_id_and_excludes_the_main_thread():
    mutex = threads.Mutex()
    twin = threads.Mutex(mutex.id())
    entered = threading.Event()

    def other():
        with twin:
            entered.set()

    with mutex:
        t = threading.Thread(target=other)
        t.start()
        assert not entered.wait(0.2)     # blocked while the main thread holds the lock
    assert entered.wait(5)
    t.join(5)
    assert not t.is_alive()


@pytest.mark.parametrize('backend', ['thread', 'process'])
def test_condition_wakes_a_waiting_worker(backend):
    mutex, condition = threads.Mutex(), threads.Condition()
    flag = threads.share_memory(lg.zeros(1)) if backend == 'process' else lg.zeros(1)
    p = threads.Threads(1, backend=backend)
    try:
        got = []
        p.addjob(jobs.wait_for_flag, got.append, mutex, condition, flag)
        time.sleep(0.2)
        assert got == []                     # still waiting
        with mutex:
            flag.fill(1)
            condition.signal()
        p.synchronize()
        assert got == [True]
    finally:
        p.terminate()


def test_condition_wait_times_out():
    mutex, condition = threads.Mutex(), threads.Condition()
    with mutex:
        start = time.monotonic()
        assert condition.wait(mutex, timeout=0.05) is False
        assert time.monotonic() - start >= 0.05


def test_blas_threads_and_free_threading_queries():
    previous = threads.set_blas_threads(1)
    try:
        assert threads.blas_threads() in (None, 1)
    finally:
        if previous is not None:
            threads.set_blas_threads(previous)
    with pytest.raises(ValueError, match='positive integer'):
        threads.set_blas_threads(0)
    assert isinstance(threads.free_threaded(), bool)
