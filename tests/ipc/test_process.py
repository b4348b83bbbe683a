"""ipc.getpid, getppid, gettid, fork, waitpid, isOSX, isDevel and map_extended (src/ipc.c, src/map.c; torch-ipc
has no test of its own for them). Failed before legonn had them (AttributeErrors)."""
import os
import signal
import sys
import threading

import pytest

from legonn import ipc


def test_ids():
    assert ipc.getpid() == os.getpid()
    assert ipc.getppid() == os.getppid()
    m = ipc.mutex()

    def tid(mapid):
        m.barrier(3)        # all three alive at once (an ended thread's id may be reused)
        return ipc.gettid()
    tids = ipc.map(3, tid).join()
    assert len(set(tids) | {ipc.gettid()}) == 4           # distinct between live threads
    assert ipc.gettid() == threading.get_ident()
    assert ipc.isOSX() == (sys.platform == 'darwin')


def test_is_devel(monkeypatch):
    monkeypatch.setenv('CKOIA_DEVEL_MODE', '1')
    assert ipc.isDevel()
    monkeypatch.setenv('CKOIA_DEVEL_MODE', '0')
    assert ipc.isDevel() == (sys.platform == 'darwin')


def test_fork_and_waitpid():
    pid = ipc.fork()
    if pid == 0:
        os._exit(7)
    assert ipc.waitpid(pid) == 7
    pid = ipc.fork()
    if pid == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    assert ipc.waitpid(pid) is None                      # ended by a signal: no status, as ipc.c


def test_map_extended_runs_init_in_each_worker_first():
    seen = threading.local()

    def init():
        seen.state = 'init'

    def fn(x, mapid):
        return getattr(seen, 'state', None), x + mapid
    assert ipc.map_extended(2, init, fn, 10).join() == ('init', 10, 'init', 11)
    assert ipc.map_extended(1, None, fn, 5).join() == (None, 5)
    with pytest.raises(TypeError, match=r'legonn.ipc.map_extended: arg #2 expected a function or None, got str'):
        ipc.map_extended(1, "require 'torch'", fn, 5)
