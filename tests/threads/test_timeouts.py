"""A job that never returns cannot block synchronize, dojob, addjob or terminate past a timeout.

Without a timeout the pool waits as Torch7's threads.lua does (its
synchronize loops on dojob until every ending callback has run).
"""
import functools
import math
import multiprocessing
import threading
import time

import pytest

from legonn import threads
from tests.threads import jobs


def _stuck_job(backend):
    """(job, args, release): a job that does not return until released (threads) or killed (processes)."""
    if backend == 'thread':
        event = threading.Event()
        return jobs.wait_for_event, (event,), event.set
    return jobs.sleep_then, ('stuck', 30), lambda: None


@pytest.mark.parametrize('backend', ['thread', 'process'])
def test_synchronize_and_terminate_time_out_naming_the_stuck_job(backend):
    job, args, release = _stuck_job(backend)
    p = threads.Threads(2, backend=backend)
    try:
        p.specific(True)
        got = []
        stuck_id = p.addjob(0, job, got.append, *args)
        p.addjob(1, jobs.fail, None, 'a failure seen before the timeout')
        for i in range(4):
            p.addjob(1, jobs.square, got.append, i)
        start = time.monotonic()
        with pytest.raises(threads.JobTimeout) as info:
            p.synchronize(timeout=0.5)
        assert 0.5 <= time.monotonic() - start < 5
        message = str(info.value)
        assert 'Threads.synchronize: 1 jobs did not finish within 0.5 s' in message
        assert f'job {stuck_id} ({job.__name__}) running on thread 0' in message
        assert info.value.jobs == [f'job {stuck_id} ({job.__name__})']
        assert isinstance(info.value, threads.JobError)
        # the other jobs were delivered; the stuck one is still pending and the pool usable
        assert sorted(got) == [0, 1, 4, 9] and p.hasjob() and p.haserror() and p.isrunning()

        start = time.monotonic()
        with pytest.raises(threads.JobTimeout) as info:
            p.terminate(timeout=0.3)
        assert time.monotonic() - start < 5
        assert 'Threads.terminate' in str(info.value) and f'job {stuck_id}' in str(info.value)
        assert 'a failure seen before the timeout' in str(info.value)    # not lost with the pool
        assert not p.isrunning()
        if backend == 'process':
            worker = p._workers.processes[0]
            assert not worker.is_alive() and worker.exitcode == -9         # killed, not waited for
            assert p._workers.processes[1].exitcode == 0                   # the idle one stopped cleanly
    finally:
        release()
        p.terminate()
    if backend == 'thread':
        p._workers.threads[0].join(5)       # released, the abandoned thread ends
        assert not p._workers.threads[0].is_alive()


def test_pool_timeout_bounds_every_wait_and_none_waits_forever():
    event = threading.Event()
    p = threads.Threads(1, queuesize=1, timeout=0.2)
    try:
        got = []
        p.addjob(jobs.wait_for_event, got.append, event)
        for call in (p.synchronize, p.dojob):
            with pytest.raises(threads.JobTimeout, match=r'within 0\.2 s'):
                call()
        with pytest.raises(threads.JobTimeout, match=r'job 1 \(square\) was not submitted'):
            p.addjob(jobs.square, got.append, 3)      # the queue is full behind the stuck job
        assert p.hasjob() and got == []
        threading.Timer(0.5, event.set).start()
        p.synchronize(timeout=None)                   # no limit: waits past the pool's 0.2 s
        p.timeout = 5
        assert got == ['released'] and not p.hasjob()
        p.addjob(jobs.square, got.append, 3)
        assert p.dojob() is True and got == ['released', 9]
    finally:
        event.set()
        p.terminate()


def test_stuck_init_function_times_out_and_kills_the_worker():
    start = time.monotonic()
    with pytest.raises(threads.JobTimeout, match=r'Threads.__init__: .*\n.*job 0 \(sleep_then\) running on thread 0'):
        threads.Threads(1, functools.partial(jobs.sleep_then, seconds=30), backend='process', timeout=0.5)
    assert time.monotonic() - start < 10
    assert not [c for c in multiprocessing.active_children() if c.name.startswith('legonn-threads')]


@pytest.mark.parametrize('bad', [-1, math.nan, 'soon', True])
def test_bad_timeouts_are_refused(bad):
    with pytest.raises(ValueError, match=r'Threads.__init__: timeout must be None or a number of seconds'):
        threads.Threads(1, timeout=bad)
    p = threads.Threads(1)
    try:
        for call in (p.synchronize, p.dojob, p.terminate):
            with pytest.raises(ValueError, match=f'Threads.{call.__name__}: timeout'):
                call(timeout=bad)
        assert p.isrunning()     # a refused terminate() stops nothing
        with pytest.raises(ValueError, match='Threads.timeout: timeout'):
            p.timeout = bad
        assert p.timeout is None
    finally:
        p.terminate()
