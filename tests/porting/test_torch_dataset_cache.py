"""twitter-archive/torch-dataset's test/test_Cache.lua line by line over tests/porting/torch_dataset/Cache.py
(lua/Cache.lua), with ``$HOME`` set to ``tmp_path`` (Cache's default directory is ``$HOME/.torch/dataset/``)
and testLockAndEvictWithLocalPath's local file under ``tmp_path`` (the Lua's ``'/tmp/'..math.random()``).
Shortened for a test run: testMultipleLockers runs 3 rounds of up to 20 workers (the Lua: 10 of up to 100),
testCacheSize 200 URLs under a 50 KiB limit (1000 under 500 KiB), testDirsize writes 1 MiB (1 GiB).
``ipc.gettid()`` names a worker, and an ended thread's id may be reused (by the Lua's pthreads too): a worker
that starts after the round's winner has unlocked, or one that ends before a late one starts, could share an id
with it. So, one line beyond the Lua, each worker of testMultipleLockers waits at an ``ipc.mutex`` barrier of the
round's size before it returns: the round's threads are alive together and their ids differ however slowly they
start on a loaded machine. Failed before legonn had ``ipc.flock`` (Cache.lua takes its locks with it)."""
import os
import random

import pytest

from legonn import ipc
from legonn import paths
from legonn import sys as tsys
from tests.porting.torch_dataset import libdataset as dataset
from tests.porting.torch_dataset.Cache import Cache


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    random.seed(7)
    return tmp_path


def test_lock_remove_unlock_lock_and_evict():
    cache = Cache({'forceEvict': True})
    url = str(random.random())
    cachePath, unlock = cache['lock'](url)
    assert type(cachePath) == str, 'expected to get a cachePath'
    assert callable(unlock), 'expected to own the lock'
    tsys.execute('touch ' + cachePath)
    os.remove(cachePath)
    unlock()
    cachePath, unlock = cache['lock'](url)
    assert type(cachePath) == str, 'expected to get a cachePath'
    assert callable(unlock), 'expected to own the lock'
    cache['evict'](url)
    assert paths.filep(cachePath) is False, 'expected cache file to not exist'
    url2 = str(random.random())
    cachePath2, unlock2 = cache['lock'](url2)
    assert cachePath != cachePath2, 'expected different paths'
    unlock2()


def test_lock_and_evict():
    cache = Cache({'forceEvict': True, 'clean': True})
    url = str(random.random())
    cachePath, unlock = cache['lock'](url)
    assert type(cachePath) == str, 'expected to get a cachePath'
    assert callable(unlock), 'expected to own the lock'
    tsys.execute('touch ' + cachePath)
    unlock()
    cache['evict'](url)
    assert paths.filep(cachePath) is False, 'expected cache file to not exist'
    url2 = str(random.random())
    cachePath2, unlock2 = cache['lock'](url2)
    assert cachePath != cachePath2, 'expected different paths'
    unlock2()


def test_lock_and_evict_with_local_path(home):
    cache = Cache({'forceEvict': True, 'clean': True})
    url = str(random.random())
    fn = str(home / str(random.random()))
    assert paths.filep(fn) is False, 'expected local file to not exist'
    cachePath, unlock = cache['lock'](url, fn)
    assert paths.filep(fn) is False, 'expected local file to not exist'
    assert type(cachePath) == str, 'expected to get a cachePath'
    assert callable(unlock), 'expected to own the lock'
    f = open(cachePath, 'w')
    f.write('hi')
    f.close()
    assert paths.filep(fn) is False, 'expected local file to not exist'
    unlock()
    assert paths.filep(fn), 'expected local file to exist'
    f = open(fn)
    e = f.read()
    f.close()
    assert e == 'hi', 'expected file contents to be the same'
    cache['evict'](url, fn)
    assert paths.filep(fn) is False, 'expected local file to not exist'
    assert paths.filep(cachePath) is False, 'expected cache file to not exist'


def _locker(url, round_barrier, n, mapid):
    import time
    from legonn import ipc
    from tests.porting.torch_dataset.Cache import Cache
    try:
        cache = Cache()
        cachePath, unlock = cache['lock'](url)
        id = str(ipc.gettid())
        if unlock:
            time.sleep(random.randint(1, 100) / 100)  # pretend to be slow
            f = open(cachePath, 'w')
            f.write(id)
            f.close()
            unlock()
            fid = id
        else:
            f = open(cachePath)
            fid = f.read()
            f.close()
    finally:
        # not in the Lua: no thread of the round ends (freeing its id) before all have one; reached on an
        # error too, so that a failing worker cannot leave the others waiting
        round_barrier.barrier(n)
    return id, fid


def test_multiple_lockers():
    cache = Cache({'forceEvict': True, 'clean': True})
    for _ in range(3):
        url = str(random.random())
        cache['evict'](url)
        n = random.randint(1, 20)
        ret = [*ipc.map(n, _locker, url, ipc.mutex(), n).join()]
        winner = None
        for i in range(0, len(ret), 2):
            if ret[i] == ret[i + 1]:
                assert winner is None, 'expected only one winner'
                winner = ret[i]
            for j in range(i + 2, len(ret), 2):
                assert ret[i] != ret[j], 'expected everyone to be unique'
        assert winner is not None, 'expected one winner'
        for i in range(1, len(ret), 2):
            assert ret[i] == winner, 'expected all reflect the winner'
        cache['evict'](url)


def _filler(limit, mapid):
    from legonn import ipc
    from tests.porting.torch_dataset.Cache import Cache
    cache = Cache({'maxCacheSize': limit})
    q = ipc.workqueue('cache')
    while True:
        url = q.read()
        if url:
            cachePath, unlock = cache['lock'](url)
            if unlock:
                f = open(cachePath, 'w+')
                for _ in range(random.randint(1, 1024)):
                    f.write(str(random.randint(1, 9)))
                f.close()
                unlock()
        else:
            break
    q.close()


def test_cache_size():
    limit = 50 * 1024
    cache = Cache({'maxCacheSize': limit, 'clean': True})
    q = ipc.workqueue('cache')
    m = ipc.map(7, _filler, limit)
    cfn = os.getenv("HOME") + '/.torch/dataset/'
    for _ in range(200):
        q.write(str(random.random()))
    for _ in range(7):
        q.write(None)
    m.join()
    q.close()
    size = dataset.dirsize(cfn)
    assert size <= limit, 'size to stay under ' + str(limit) + ', saw ' + str(size)
    assert size > 0 and len(os.listdir(cfn)) < 200       # files were cached, and the oldest evicted


def test_simultaneous_downloads():
    cache = Cache({'forceEvict': True, 'clean': True})
    url1 = str(random.random())
    cachePath1, unlock1 = cache['lock'](url1)
    assert type(cachePath1) == str
    assert callable(unlock1)
    url2 = str(random.random())
    cachePath2, unlock2 = cache['lock'](url2)
    assert type(cachePath2) == str
    assert callable(unlock2)
    unlock1()
    unlock2()


def test_dirsize(home):
    n = str(home / 'dirsize')
    os.mkdir(n)
    kb = ''
    for _ in range(1024):
        kb = kb + 'x'
    f = open(n + '/f', 'w')
    for _ in range(1024):
        f.write(kb)
    f.close()
    s = dataset.dirsize(n)
    assert s == 1048576, 'expected 1048576 saw ' + str(s)


def test_get_downloads_once_and_a_failed_download_leaves_nothing():
    cache = Cache({'forceEvict': True, 'clean': True})
    calls = []

    def download(remotePath, cachePath, isDir):
        calls.append(remotePath)
        with open(cachePath, 'w') as f:
            f.write(remotePath)
    path = cache['get']('u1', None, download)
    assert cache['get']('u1', None, download) == path and calls == ['u1']   # the second is a cache hit

    def broken(remotePath, cachePath, isDir):
        open(cachePath, 'w').close()
        raise OSError('network down')
    path2 = cache['get']('u2', None, broken)
    assert not os.path.exists(path2)
