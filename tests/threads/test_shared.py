"""Shared-memory tensors across process workers, and hogwild training on shared parameters."""
import functools
import pickle

import numpy as np
import pytest

import legonn as lg
from legonn import threads
from legonn.threads import shared
from tests.threads import jobs


@pytest.fixture(scope='module')
def procs():
    p = threads.Threads(2, backend='process')
    yield p
    p.terminate()


def test_share_memory_keeps_values_and_rebinds_every_view():
    t = lg.Tensor([[1, 2, 3], [4, 5, 6]])
    row = t.select(0, 1)
    assert not threads.is_shared(t)
    assert threads.share_memory(t) is t
    assert threads.is_shared(t) and threads.is_shared(row)
    assert t.array.tolist() == [[1, 2, 3], [4, 5, 6]]
    row.fill(9)   # the old view writes into the shared segment too
    assert t.array.tolist() == [[1, 2, 3], [9, 9, 9]]
    storage = t.storage()
    threads.share_memory(t)     # already shared: nothing moves
    assert t.storage() is storage


def test_share_memory_bad_input():
    with pytest.raises(TypeError, match='expected a Tensor, Storage or module'):
        threads.share_memory(np.zeros(3))


def test_resized_storage_is_no_longer_shared():
    t = threads.share_memory(lg.zeros(4))
    t.storage().resize(10)
    assert not threads.is_shared(t)


def test_pickling_sends_shared_storage_by_name_and_keeps_sharing_between_tensors():
    base = threads.share_memory(lg.zeros(6))
    view = base.narrow(0, 2, 3)
    private = lg.ones(2, 2)
    alias = private.t()
    data = shared.dumps([base, view, private, alias])
    assert len(data) < 600          # no 6-float payload for the shared storage... and small overall
    b, v, p, a = shared.loads(data)
    # back in the process that owns the segment: the very same storage object
    assert b.storage() is base.storage() and v.storage() is base.storage()
    assert v.storageOffset() == 2 and v.size() == (3,)
    # a private storage is copied once and its two views still share the copy
    assert p.storage() is a.storage() and p.storage() is not private.storage()
    assert np.array_equal(a.array, alias.array)
    # plain pickle still works and copies
    assert pickle.loads(pickle.dumps(base)).storage() is not base.storage()


def test_shared_tensor_crosses_to_process_workers_and_back_without_copies(procs):
    t = threads.share_memory(lg.zeros(5))
    got = []
    for _ in range(4):
        procs.addjob(jobs.add_one, got.append, t)
    procs.synchronize()
    assert t.array.tolist() == [4.0] * 5            # every worker wrote into the same memory
    assert all(np.shares_memory(g.array, t.array) and g.storage() is t.storage() for g in got)


def test_tensor_shared_by_a_worker_is_mapped_in_the_main_process(procs):
    got = []
    procs.addjob(jobs.shared_zeros, got.append, 3)
    procs.synchronize()
    made = got[0]
    assert threads.is_shared(made) and made.array.tolist()[0] in (1.0, 2.0)
    got2 = []
    procs.addjob(jobs.add_one, got2.append, made)     # and it goes back by name
    procs.synchronize()
    assert np.shares_memory(got2[0].array, made.array) and made.array[0] in (2.0, 3.0)


def test_thread_backend_shares_without_share_memory():
    p = threads.Threads(2)
    try:
        t = lg.zeros(3)
        got = []
        p.addjob(jobs.add_one, got.append, t)
        p.synchronize()
        assert np.shares_memory(got[0].array, t.array) and got[0] is t
    finally:
        p.terminate()


def test_model_parameters_in_shared_memory_are_updated_in_place_by_workers(procs):
    model = jobs.classifier()
    params, _ = model.getParameters()
    threads.share_memory(model)
    assert threads.is_shared(params) and threads.is_shared(model.modules[0].weight)
    before = params.clone()
    x, y = jobs.blobs(64, seed=3)
    procs.addjob(jobs.train_shard, None, model, x, y, 5)
    procs.synchronize()
    # the worker's SGD steps moved the main process's parameters, and its weight views with them
    assert float((params - before).abs().max()) > 0
    assert np.shares_memory(model.modules[0].weight.array, params.array)


@pytest.mark.parametrize('backend', ['thread', 'process'])
def test_hogwild_converges(backend):
    x, y = jobs.blobs(600, seed=0)
    xt, yt = jobs.blobs(300, seed=1)
    lg.manualSeed(0)
    model = jobs.classifier()
    params, _ = model.getParameters()
    if backend == 'process':
        threads.share_memory(model)
    start = jobs.loss(model, xt, yt)
    init = functools.partial(jobs.adopt_model, model)
    p = threads.Threads(2, init, backend=backend)
    try:
        seen = []
        shards = np.array_split(np.arange(len(y)), 2)
        for _ in range(3):
            for shard in shards:
                # each worker trains its own replica, whose weights and biases are the model's
                p.addjob(jobs.train_shard, seen.append, None, x[shard], y[shard], 20)
        p.synchronize()
    finally:
        p.terminate()
    assert sum(seen) == 6 * 20 * 16
    assert jobs.accuracy(model, xt, yt) > 0.95
    assert jobs.loss(model, xt, yt) < 0.5 * start
