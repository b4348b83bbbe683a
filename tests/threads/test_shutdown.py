"""Dead workers are reported, not waited for; terminate and garbage collection leave nothing behind."""
import gc
import multiprocessing
import os
import subprocess
import sys
import threading
import time

import pytest

from legonn import threads
from tests.threads import jobs


def _pool_threads():
    return [t for t in threading.enumerate() if t.name.startswith('legonn-threads') and t.is_alive()]


def test_worker_killed_by_a_signal_is_reported_and_other_jobs_complete():
    p = threads.Threads(2, backend='process')
    try:
        got = []
        for i in range(4):
            p.addjob(jobs.square, got.append, i)
        p.addjob(jobs.die)
        for i in range(4, 12):
            p.addjob(jobs.square, got.append, i)
        with pytest.raises(threads.WorkerDied) as info:
            p.synchronize()
        assert '(die)' in str(info.value) and 'SIGKILL' in str(info.value)
        assert sorted(got) == [i * i for i in range(12)]      # none lost, none twice
        # the surviving worker takes new jobs
        p.addjob(jobs.square, got.append, 20)
        p.synchronize()
        assert got[-1] == 400
    finally:
        p.terminate()
    assert not [c for c in multiprocessing.active_children() if c.name.startswith('legonn-threads')]


def test_job_for_a_dead_specific_worker_is_refused():
    p = threads.Threads(2, backend='process')
    try:
        p.specific(True)
        p.addjob(0, jobs.die)
        with pytest.raises(threads.WorkerDied, match='thread 0'):
            p.synchronize()
        with pytest.raises(threads.WorkerDied, match='has died'):
            p.addjob(0, jobs.square, None, 1)
        got = []
        p.addjob(1, jobs.square, got.append, 3)
        p.synchronize()
        assert got == [9]
    finally:
        p.terminate()


def test_every_worker_dead_fails_pending_jobs_without_hanging():
    p = threads.Threads(1, backend='process')
    try:
        p.addjob(jobs.die)
        p.addjob(jobs.square, None, 2)    # queued behind the dying job, no one left to run it
        with pytest.raises(threads.WorkerDied) as info:
            p.synchronize()
        assert 'before running it' in str(info.value)
        assert not p.hasjob()
    finally:
        p.terminate()


def test_terminate_stops_all_threads_and_processes():
    for backend in ('thread', 'process'):
        p = threads.Threads(2, backend=backend)
        got = []
        for i in range(10):
            p.addjob(jobs.square, got.append, i)
        p.terminate()        # finishes the jobs first
        assert sorted(got) == [i * i for i in range(10)]
        assert not _pool_threads()
        assert not [c for c in multiprocessing.active_children() if c.name.startswith('legonn-threads')]


def test_garbage_collection_stops_the_workers():
    p = threads.Threads(2)
    p.addjob(jobs.square, None, 1)
    q = threads.Threads(2, backend='process')
    pids = [proc.pid for proc in q._workers.processes]
    del p, q
    gc.collect()
    assert not _pool_threads()
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)    # already reaped: no zombie, no stray


def test_interpreter_exit_with_a_live_pool_does_not_hang(tmp_path):
    script = tmp_path / 'leave_running.py'
    script.write_text(
        "import sys; sys.path.insert(0, %r)\n"
        "from legonn import threads\n"
        "from tests.threads import jobs\n"
        "if __name__ == '__main__':\n"
        "    a = threads.Threads(2, backend='process')\n"
        "    b = threads.Threads(2)\n"
        "    a.addjob(jobs.sleep_then, None, 1, 0.2)\n"
        "    print('leaving')\n" % os.getcwd())
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and 'leaving' in out.stdout
    assert 'Traceback' not in out.stderr and 'leaked' not in out.stderr


def _running(pid):
    """Whether ``pid`` is a live process (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False
    except OSError:     # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


_ORPHAN_SCRIPT = """\
import sys, threading, time
sys.path.insert(0, {root!r})
from legonn import threads
from tests.threads import jobs

def start():
    pool = threads.Threads(2, backend='process', start_method={start_method!r})
    pool.specific(True)
    for k in range(2):
        pool.addjob(k, jobs.mark_then_sleep, None, {marks!r} + str(k), 120)
    print(' '.join(str(p.pid) for p in pool._workers.processes), flush=True)
    time.sleep(120)

if __name__ == '__main__':
    if {from_thread!r}:
        threading.Thread(target=start).start()    # the workers' parent is a thread: polling alone must do
    else:
        start()
"""


# forkserver: the watch thread sees the main process gone; fork from the main thread: the kernel's parent-death
# signal; fork from another thread (no parent-death signal): the watch thread sees its parent change
@pytest.mark.parametrize('start_method,from_thread', [('forkserver', False), ('fork', False), ('fork', True)])
def test_workers_busy_in_a_long_job_exit_when_the_main_process_is_killed(tmp_path, start_method, from_thread):
    if start_method not in multiprocessing.get_all_start_methods():
        pytest.skip(f'no {start_method} start method here')
    marks = str(tmp_path / 'busy')
    script = tmp_path / 'orphan.py'
    script.write_text(_ORPHAN_SCRIPT.format(root=os.getcwd(), start_method=start_method, marks=marks,
                                            from_thread=from_thread))
    main = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(pid) for pid in main.stdout.readline().split()]
        assert len(pids) == 2, 'the script did not start its pool'
        deadline = time.monotonic() + 30
        while not all(os.path.exists(marks + str(k)) for k in range(2)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(_running(pid) for pid in pids)     # both busy in their two-minute job
    finally:
        main.kill()
        main.wait(10)
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if _running(pid)]


def test_a_pool_made_in_a_thread_that_ends_keeps_its_workers():
    """The kernel's parent-death signal follows the thread that forked: it must not be set from one that ends."""
    made = []
    maker = threading.Thread(target=lambda: made.append(threads.Threads(2, backend='process', start_method='fork')))
    maker.start()
    maker.join()
    p = made[0]
    try:
        time.sleep(0.2)     # time for a signal tied to the ended thread to arrive
        got = []
        for i in range(4):
            p.addjob(jobs.square, got.append, i)
        p.synchronize(timeout=30)
        assert sorted(got) == [0, 1, 4, 9]
    finally:
        p.terminate()
