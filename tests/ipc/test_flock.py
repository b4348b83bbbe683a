"""ipc.flock after torch-ipc's test/test_flock.lua, in ``tmp_path`` (the Lua's ``os.tmpname()``). testSimple's
``flock:write("test")`` and ``flock:read()`` are no methods of torch-ipc's flock (src/ipc.c's flock_routines:
``close`` and ``__gc``), so that Lua test stops there with "attempt to call method 'write'": the port shows
the same refusal, then does the rest with the file written by ``open``. testDeadProcess forks as the Lua does;
the child leaves with ``os._exit`` (Lua's ``os.exit``). Failed before legonn had ``ipc.flock`` (an
AttributeError)."""
import gc
import os
import pickle
import time

import pytest

from legonn import ipc
from legonn import threads


def test_simple(tmp_path):
    fn = str(tmp_path / 'lock')
    flock = ipc.flock(fn)
    assert ipc.flock(fn, True) is None
    with pytest.raises(AttributeError):
        flock.write("test")           # as torch-ipc's: not a method
    with open(fn, 'w') as f:
        f.write("test")
    flock.close()
    flock = None
    gc.collect()
    flock = ipc.flock(fn)
    with open(fn) as f:
        assert f.read() == "test"
    flock.close()


def test_dead_process(tmp_path):
    fn = str(tmp_path / 'lock')
    pid = ipc.fork()
    if pid == 0:
        flock = ipc.flock(fn)
        time.sleep(0.1)
        flock.close()
        os._exit(0)
    else:
        i = 0
        while ipc.flock(fn, True) is None:
            i = i + 1
            if pid:
                assert ipc.waitpid(pid) == 0
                pid = None
        assert i > 0


# --- what the Lua tests leave implicit -------------------------------------------------------------------

def test_collecting_or_closing_the_handle_unlocks(tmp_path):
    fn = str(tmp_path / 'lock')
    lock = ipc.flock(fn)
    fd = lock.fd
    lock.close()
    lock.close()                       # again: nothing
    with pytest.raises(OSError):
        os.fstat(fd)                   # the descriptor is closed, not leaked
    lock = ipc.flock(fn, True)
    assert lock is not None
    del lock                           # collected: unlocked, as __gc
    assert ipc.flock(fn, True) is not None
    assert ipc.flock(str(tmp_path / 'missing'), True) is None     # no O_CREAT without blocking
    with pytest.raises(TypeError, match=r'legonn.ipc.flock: expected a file name, got int'):
        ipc.flock(3)


def test_threads_of_one_process_exclude_each_other(tmp_path):
    fn = str(tmp_path / 'lock')
    counter = tmp_path / 'counter'
    counter.write_text('0')

    def work(mapid):
        for _ in range(20):
            lock = ipc.flock(fn)       # a descriptor of this thread's own: it waits for the others
            n = int(counter.read_text())
            time.sleep(0.0005)
            counter.write_text(str(n + 1))
            lock.close()
    ipc.map(4, work).join()
    assert counter.read_text() == '80'


def _hold(fn, ready, release):
    """In a worker process: take the lock, say so, hold it until told (at most 20 s)."""
    lock = ipc.flock(fn)
    open(ready, 'w').close()
    deadline = time.monotonic() + 20
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.01)
    lock.close()
    return os.getpid()


def test_a_process_worker_holds_it_against_this_process(tmp_path):
    fn = str(tmp_path / 'lock')
    ready, release = str(tmp_path / 'ready'), str(tmp_path / 'release')

    pool = threads.Threads(1, backend='process')
    try:
        pids = []
        pool.addjob(_hold, pids.append, fn, ready, release)
        deadline = time.monotonic() + 20
        while not os.path.exists(ready) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ipc.flock(fn, True) is None          # held by the worker process
        open(release, 'w').close()
        pool.synchronize(timeout=20)
        assert pids and pids[0] != ipc.getpid()
        lock = ipc.flock(fn, True)
        assert lock is not None
        lock.close()
    finally:
        pool.terminate()
    with pytest.raises(TypeError, match=r'legonn.ipc.flock: a held lock cannot be sent to another process'):
        pickle.dumps(ipc.flock(fn))
