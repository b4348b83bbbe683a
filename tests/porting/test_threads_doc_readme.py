"""torch/threads' README.md, ported by docs/porting.md and docs/threads.md: its code examples and the
results each Library section states. Thread ids are 0-based (``__threadid`` is ``threads.threadid()``), a
global set in a worker is ``threads.local``'s, an ending callback that assigns the caller's variable declares
it ``nonlocal``. The README's first example is test/test-threads.lua, ported with the other test scripts in
tests/porting/test_threads_testlua.py (as are the async, shared, safe, atomic and low-level examples it links
to): not repeated here. ``serialize = require 'threads.serialize'`` is ``lg.serializeToStorage`` /
``lg.deserializeFromStorage`` (docs/porting.md's row)."""
import threading
import time

import numpy as np
import pytest

import legonn as lg
from legonn import nn, threads

pytestmark = pytest.mark.usefixtures('double_default')


def test_threads_main_pool_of_four():
    """Threads: ``local t = threads.Threads(4) -- create a pool of 4 threads``, and the older
    ``local Threads = require 'threads'; Threads(4)`` (the module called: ``Threads = threads.Threads``)."""
    t = threads.Threads(4)
    seen = set()
    for _ in range(16):
        t.addjob(lambda: (time.sleep(0.01), threads.threadid())[1], seen.add)
    t.synchronize()
    t.terminate()
    assert seen <= {0, 1, 2, 3} and len(seen) > 1
    Threads = threads.Threads
    t = Threads(4)
    assert t.isrunning()
    t.terminate()


def test_threads_Threads_init_functions_in_each_thread():
    """threads.Threads(N, [f1, f2, ...]): every function runs in every queue thread, in order, with the
    thread's id (0 .. N-1 here), which jobs read as ``__threadid``."""
    calls = []
    lock = threading.Lock()

    def f1(threadid):
        with lock:
            calls.append(('f1', threadid))
        threads.local.first = threadid

    def f2(threadid):
        with lock:
            calls.append(('f2', threadid, threads.local.first))   # f1 has run in this thread already

    pool = threads.Threads(4, f1, f2)
    assert sorted(c for c in calls if c[0] == 'f1') == [('f1', i) for i in range(4)]
    assert sorted(c for c in calls if c[0] == 'f2') == [('f2', i, i) for i in range(4)]
    ids = []
    for _ in range(8):
        pool.addjob(lambda: (threads.threadid(), threads.local.first), lambda tid, first: ids.append(tid == first))
    pool.synchronize()
    pool.terminate()
    assert ids == [True] * 8


def test_threads_Threads_upvalues_of_init_functions():
    """The notice about upvalues: ``model = nn.Linear(5, 10)`` cloned in each thread by ``f2`` after ``f1``'s
    ``require 'nn'``. (The README's first form, the clone in ``f1``, crashes Torch7's deserialiser; Python
    passes the object, so both forms run.)"""
    model = nn.Linear(5, 10)

    def f1(idx):
        from legonn import nn  # noqa: F401  (the README's require 'nn')

    def f2(idx):
        threads.local.myModel = model.clone()

    pool = threads.Threads(2, f1, f2)
    got = []
    for i in range(2):
        pool.addjob(lambda: threads.local.myModel, got.append)
    pool.synchronize()
    pool.terminate()
    for m in got:
        assert m is not model
        np.testing.assert_array_equal(m.weight.numpy(), model.weight.numpy())


def test_threads_specific_mode():
    """Threads:specific(boolean): in specific mode addjob takes the thread first and the job runs there;
    switching modes first synchronizes the running jobs."""
    pool = threads.Threads(3)
    done = []
    pool.addjob(lambda: time.sleep(0.05), lambda: done.append('slow'))
    pool.specific(True)
    assert done == ['slow'] and pool.specific()
    where = []
    for tid in (2, 0, 1, 2):
        pool.addjob(tid, threads.threadid, where.append)
    pool.synchronize()
    assert sorted(where) == [0, 1, 2, 2]
    pool.specific(False)
    pool.terminate()


def test_threads_addjob_upvalue_example():
    """Threads:addjob's example: the job copies the main thread's ``upvalue`` (10) into the queue thread's
    global ``queuevalue`` and returns 1, which the ending callback adds to ``upvalue`` in the main thread."""
    pool = threads.Threads(2)
    upvalue = 10
    njob = 6
    for _ in range(njob):
        def job():
            threads.local.queuevalue = upvalue
            return 1

        def endcallback(inc):
            nonlocal upvalue
            upvalue = upvalue + inc
        pool.addjob(job, endcallback)
    pool.synchronize()
    # each job was bound when queued: the ones queued after a callback ran copied the grown value
    seen = []
    pool.specific(True)
    for tid in range(2):
        pool.addjob(tid, lambda: getattr(threads.local, 'queuevalue', None), seen.append)
    pool.synchronize()
    pool.terminate()
    assert upvalue == 10 + njob
    assert all(v is None or 10 <= v < 10 + njob for v in seen) and any(v is not None for v in seen)


def test_threads_dojob_synchronize_hasjob_acceptsjob():
    """dojob runs the next ending callback (waiting for it); synchronize runs them all; hasjob says whether
    jobs are unfinished; acceptsjob whether addjob would not wait; terminate synchronizes first."""
    pool = threads.Threads(1, queuesize=1)
    results = []
    gate = threading.Event()
    pool.addjob(lambda: gate.wait(5) and 1, results.append)
    assert pool.hasjob() and not pool.acceptsjob()
    gate.set()
    pool.dojob()
    assert results == [1] and not pool.hasjob() and pool.acceptsjob()
    pool.addjob(lambda: 2, results.append)
    pool.terminate()
    assert results == [1, 2] and not pool.isrunning()


def test_threads_synchronize_raises_job_errors():
    """Threads:synchronize: "will also raise an error for any errors raised in the pool of queue threads"."""
    pool = threads.Threads(2)

    def broken():
        raise RuntimeError('job went wrong')

    pool.addjob(broken)
    with pytest.raises(threads.JobError, match='job went wrong'):
        pool.synchronize()
    pool.terminate()


def test_threads_serialization_sharedserialize():
    """Threads.serialization('threads.sharedserialize') before the constructor: storages and tensors are
    shared (a worker's writes reach the main thread's tensor); with no argument it names the scheme."""
    before = threads.Threads.serialization()
    threads.Threads.serialization('threads.sharedserialize')
    try:
        assert threads.Threads.serialization() == 'threads.sharedserialize'
        x = lg.zeros(4)
        pool = threads.Threads(2)
        for i in range(4):
            pool.addjob(lambda i: x.__setitem__(i, i + 1), None, i)
        pool.synchronize()
        pool.terminate()
        np.testing.assert_array_equal(x.numpy(), [1, 2, 3, 4])
    finally:
        threads.Threads.serialization(before)
    with pytest.raises(ValueError, match='sharedserialize'):
        threads.Threads.serialization('threads.pickle')


def test_queue_addjob_dojob():
    """Queue(N): at most N jobs; addjob(callback, ...) puts one, waiting while the queue is full; dojob()
    takes the oldest, runs it and returns what it returned, waiting while the queue is empty."""
    Queue = threads.Queue                              # Queue = require 'threads.queue'
    q = Queue(2)
    assert q.isempty == 1 and q.isfull == 0
    q.addjob(lambda a, b: a + b, 1, 2)
    q.addjob(lambda: 'second')
    assert q.isfull == 1
    put_third = threading.Event()

    def producer():
        q.addjob(lambda: 'third')                      # blocks until a job is taken
        put_third.set()

    t = threading.Thread(target=producer, daemon=True)
    t.start()
    assert not put_third.wait(0.1)
    assert q.dojob() == 3
    assert put_third.wait(5)
    assert q.dojob() == 'second' and q.dojob() == 'third' and q.isempty == 1
    got = []
    consumer = threading.Thread(target=lambda: got.append(q.dojob()), daemon=True)
    consumer.start()
    time.sleep(0.05)
    assert not got                                     # waiting on the empty queue
    q.addjob(lambda: 'late')
    consumer.join(5)
    t.join(5)
    assert got == ['late']


def test_queue_binds_upvalues_at_addjob():
    """Queue:addjob serialises the callback with its upvalues: a callback made in a loop keeps its
    iteration's value."""
    q = threads.Queue(3)
    for i in range(3):
        k = i * 10
        q.addjob(lambda: k)
    assert [q.dojob() for _ in range(3)] == [0, 10, 20]


def test_queue_bad_arguments():
    with pytest.raises(ValueError, match='Queue size'):
        threads.Queue(0)
    with pytest.raises(ValueError, match='serialize'):
        threads.Queue(2, 'json')
    with pytest.raises(TypeError, match='callable'):
        threads.Queue(2).addjob(3)


def test_threads_serialize_save_load():
    """serialize.save(obj) returns a CharStorage; serialize.load(storage) gives the object back (legonn
    saves data, not code: a function is refused, naming why)."""
    obj = {'weights': lg.Tensor([1.5, -2.0]), 'name': 'layer'}
    storage = lg.serializeToStorage(obj)
    assert lg.typename(storage) == 'torch.CharStorage'
    back = lg.deserializeFromStorage(storage)
    assert back['name'] == 'layer' and back['weights'] is not obj['weights']
    np.testing.assert_array_equal(back['weights'].numpy(), [1.5, -2.0])
    with pytest.raises(TypeError, match='function'):
        lg.serializeToStorage(lambda: 1)


def test_threads_safe_embeds_a_mutex():
    """threads.safe(func, [mutex]): the same arguments and results, func running under a mutex (its own, or
    the one given)."""
    state = {'inside': 0, 'overlap': False}

    def work(a, b):
        state['inside'] += 1
        state['overlap'] |= state['inside'] > 1
        time.sleep(0.002)
        state['inside'] -= 1
        return a * b, a + b

    safe_work = threads.safe(work)
    assert safe_work(3, 4) == (12, 7)
    pool = threads.Threads(4)
    for i in range(20):
        pool.addjob(safe_work, None, i, 2)
    pool.synchronize()
    m = threads.Mutex()
    given = threads.safe(work, m)
    m.lock()
    out = []
    caller = threading.Thread(target=lambda: out.append(given(2, 5)), daemon=True)
    caller.start()
    time.sleep(0.05)
    assert not out                                     # waits for the mutex it was given
    m.unlock()
    caller.join(5)
    pool.terminate()
    assert out == [(10, 7)] and not state['overlap']
