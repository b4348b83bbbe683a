"""Mutex and Condition across thread and process workers."""
import os
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


@pytest.mark.parametrize('backend', ['thread', 'process'])
def test_safe_runs_the_function_under_its_own_mutex(backend):
    """threads.safe(f) (torch/threads' safe.lua): the calls of f from every worker run one at a time, with
    f's arguments and results; f's name stays the job's name."""
    counter = threads.share_memory(lg.zeros(1)) if backend == 'process' else lg.zeros(1)
    run = threads.safe(jobs.racy_increment)
    assert run.__name__ == 'racy_increment'
    p = threads.Threads(2, backend=backend)
    try:
        for _ in range(4):
            p.addjob(run, None, counter, 100)
        p.synchronize()
    finally:
        p.terminate()
    assert float(counter.array[0]) == 400


def test_safe_with_a_given_mutex_waits_for_its_holder():
    mutex = threads.Mutex()
    run = threads.safe(lambda a, b: (a + b, a * b), mutex)
    done = []
    with mutex:
        t = threading.Thread(target=lambda: done.append(run(2, 3)))
        t.start()
        t.join(0.2)
        assert done == []                    # blocked while the main thread holds the mutex
    t.join(5)
    assert done == [(5, 6)]
    with pytest.raises(TypeError, match='threads.safe: expected a function'):
        threads.safe(3)
    with pytest.raises(TypeError, match='must be a threads.Mutex'):
        threads.safe(print, 'mutex')


def test_free_removes_a_mutex_or_condition_now():
    """Torch7's m:free(): the creator's free removes it (using it afterwards raises); a handle re-created
    from the id leaves it to the creator."""
    for cls in (threads.Mutex, threads.Condition):
        made = cls()
        twin = cls(made.id())
        twin.free()
        assert os.path.exists(made.id())
        made.free()
        assert not os.path.exists(made.id())
        made.free()                          # twice is harmless
    with pytest.raises(RuntimeError, match='no longer exists'):
        made.signal()
    mutex = threads.Mutex()
    mutex.free()
    with pytest.raises(RuntimeError, match='no longer exists'):
        mutex.lock()


def test_thread_runs_code_in_a_namespace_of_its_own():
    """threads.Thread(code) (torch/threads' low-level Thread): the code runs in a new thread with its own
    globals; free() waits for it and raises what the code raised."""
    condition, mutex = threads.Condition(), threads.Mutex()
    with mutex:
        thread = threads.Thread(f"from legonn import threads\n"
                                f"assert 'lg' not in globals(), 'the caller module is seen'\n"
                                f"with threads.Mutex({mutex.id()!r}):\n"
                                f"    threads.Condition({condition.id()!r}).signal()\n")
        assert condition.wait(mutex, timeout=10)
    thread.free()                            # raises if the assert failed
    failing = threads.Thread("x = 1\nraise ValueError('from the thread ' + str(x))")
    with pytest.raises(threads.JobError, match='from the thread 1') as info:
        failing.free()
    assert isinstance(info.value.__cause__, ValueError) and '<threads.Thread>' in str(info.value)
    with pytest.raises(TypeError, match='expected the code to run as a string'):
        threads.Thread(lambda: None)


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
