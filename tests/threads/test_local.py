"""threads.local: each worker's own globals, as each Torch7 thread had its own Lua state.

torch/threads' benchmark/threadedtrain.lua sets ``gupdate`` as a global in
each thread's init function and every job of that thread accumulates into
it; one thread's global is invisible to the others and to the main thread.
"""
import functools

import pytest

import legonn as lg
from legonn import threads
from tests.threads import jobs


@pytest.mark.parametrize('backend', ['thread', 'process'])
def test_each_worker_keeps_its_own_gradient_buffer(backend):
    p = threads.Threads(2, jobs.keep_gradient_buffer, backend=backend)
    try:
        p.specific(True)
        last = {}
        for step in range(5):
            for tid, value in ((0, 1.0), (1, 10.0)):
                p.addjob(tid, jobs.accumulate, lambda t, owner, buf: last.__setitem__(t, (owner, buf)), value)
        p.synchronize()
    finally:
        p.terminate()
    # worker 0 only ever saw its 1.0s, worker 1 its 10.0s: five jobs each
    assert last[0][0] == 0 and last[0][1].tolist() == [5.0, 5.0]
    assert last[1][0] == 1 and last[1][1].tolist() == [50.0, 50.0]
    assert not hasattr(threads.local, 'gupdate')     # the main thread has its own namespace


@pytest.mark.parametrize('backend', ['thread', 'process'])
def test_workers_start_with_an_empty_namespace(backend):
    threads.local.from_main = 1
    try:
        p = threads.Threads(2, backend=backend, start_method='fork' if backend == 'process' else None)
        try:
            p.specific(True)
            names = []
            for tid in range(2):
                p.addjob(tid, jobs.local_names, names.append)
            p.synchronize()
        finally:
            p.terminate()
    finally:
        del threads.local.from_main
    assert names == [[], []]      # even a forked worker does not inherit the main thread's values


def test_two_pools_do_not_share_worker_namespaces():
    a = threads.Threads(1, jobs.keep_gradient_buffer)
    b = threads.Threads(1, jobs.keep_gradient_buffer)
    try:
        got = []
        a.addjob(jobs.accumulate, lambda *r: got.append(('a',) + r), 3.0)
        a.synchronize()
        b.addjob(jobs.accumulate, lambda *r: got.append(('b',) + r), 4.0)
        b.synchronize()
    finally:
        a.terminate()
        b.terminate()
    assert [(pool, buf.tolist()) for pool, _, _, buf in got] == [('a', [3.0, 3.0]), ('b', [4.0, 4.0])]


def test_repr_says_whose_namespace_it_is():
    assert repr(threads.local).startswith('threads.local of the main thread')
    p = threads.Threads(1, jobs.keep_gradient_buffer)
    try:
        got = []
        p.addjob(lambda: repr(threads.local), got.append)
        p.synchronize()
    finally:
        p.terminate()
    assert got == ["threads.local of thread 0: ['gupdate', 'owner']"]


@pytest.mark.parametrize('backend', ['thread', 'process'])
def test_each_worker_has_its_own_random_stream(backend):
    """Each Torch7 thread's Lua state makes its own ``torch._gen`` (torch7 random.lua, seeded from
    /dev/urandom by THRandom.c's THGenerator_new), so fb.resnet.torch's dataloader.lua seeds worker
    ``idx`` with ``torch.manualSeed(manualSeed + idx)``: that worker's draws then follow that seed,
    whatever the other workers draw, and the main thread's stream is untouched."""
    lg.manualSeed(7)
    expected_main = lg.rand(4).tolist()
    lg.manualSeed(7)
    p = threads.Threads(2, functools.partial(jobs.seed_own_stream, 100), backend=backend)
    try:
        assert lg.rand(4).tolist() == expected_main
        p.specific(True)
        drawn = {}
        for tid in (1, 0, 1):
            p.addjob(tid, jobs.draw_uniform, lambda t, values: drawn.setdefault(t, []).extend(values), 2)
        p.synchronize()
    finally:
        p.terminate()
    for tid in (0, 1):
        lg.manualSeed(100 + tid)
        assert drawn[tid] == lg.rand(2 * (2 if tid == 1 else 1)).tolist()


@pytest.mark.parametrize('backend', ['thread', 'process'])
def test_unseeded_workers_draw_different_streams(backend):
    """THGenerator_new seeds every thread's generator from /dev/urandom: two unseeded workers do not
    repeat each other's draws (nor the main thread's)."""
    lg.manualSeed(0)
    p = threads.Threads(2, backend=backend)
    try:
        p.specific(True)
        drawn = {}
        for tid in (0, 1):
            p.addjob(tid, jobs.draw_uniform, lambda t, values: drawn.__setitem__(t, values), 3)
        p.synchronize()
    finally:
        p.terminate()
    lg.manualSeed(0)
    assert drawn[0] != drawn[1] and lg.rand(3).tolist() not in (drawn[0], drawn[1])
