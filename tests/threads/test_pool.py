"""The Threads API on both backends: init, ordering, callbacks, errors, specific mode."""
import functools
import threading

import numpy as np
import pytest

import legonn as lg
from legonn import threads
from tests.threads import jobs

BACKENDS = ['thread', 'process']


@pytest.fixture(scope='module', params=BACKENDS)
def pool(request):
    p = threads.Threads(2, backend=request.param)
    yield p
    p.terminate()


def test_init_functions_run_once_in_each_worker_with_its_id(request):
    for backend in BACKENDS:
        marks = threads.share_memory(lg.zeros(3))
        init = functools.partial(jobs.record_init, marks)
        p = threads.Threads(3, init, init, backend=backend)
        try:
            # two init functions, each once per worker: slot t holds 2 * (1 + t)
            assert marks.array.tolist() == [2.0, 4.0, 6.0]
        finally:
            p.terminate()


def test_init_functions_that_take_no_id(request):
    """torch/threads threads.lua calls every init function with the thread id, and Lua drops it for one that
    takes none: soumith/imagenet-multiGPU.torch's data.lua passes function() require 'torch' end before its
    function(idx). An init that takes no argument is called without the id."""
    for backend in BACKENDS:
        marks = threads.share_memory(lg.zeros(2))
        p = threads.Threads(2, functools.partial(jobs.record_init_without_id, marks),
                            functools.partial(jobs.record_init, marks), backend=backend)
        try:
            assert marks.array.tolist() == [11.0, 12.0]
        finally:
            p.terminate()


def test_a_job_sees_its_variables_as_they_were_at_addjob():
    """torch/threads serialises a job with its upvalues when addjob is called: soumith/imagenet-multiGPU.torch's
    test.lua queues function() return testLoader:get(indexStart, indexEnd) end once per batch of a loop, and
    each job gets its own batch. A thread-backend job reads its closure's variables as they were at addjob,
    however late it runs; the objects themselves are shared, not copied."""
    gate = threading.Event()
    shared_list = []

    def run_loop(p):
        for i in range(6):
            indexStart = i * 4
            indexEnd = indexStart + 3
            p.addjob(lambda: (gate.wait(5), shared_list.append(indexStart), [indexStart, indexEnd])[-1],
                     got.append)
        gate.set()                                 # the jobs run only once the loop is over
        p.synchronize()

    got = []
    p = threads.Threads(2, queuesize=6)
    try:
        run_loop(p)
    finally:
        p.terminate()
    assert sorted(got) == [[0, 3], [4, 7], [8, 11], [12, 15], [16, 19], [20, 23]]
    assert sorted(shared_list) == [0, 4, 8, 12, 16, 20]   # the list itself is the caller's


def test_a_safe_job_sees_its_variables_as_they_were_at_addjob():
    """The same for a job wrapped by threads.safe: Torch7 serialises the wrapped function as an upvalue of
    safe's, with its own upvalues."""
    gate = threading.Event()
    got = []
    p = threads.Threads(1, queuesize=4)
    try:
        for i in range(4):
            p.addjob(threads.safe(lambda: (gate.wait(5), i)[1]), got.append)
        gate.set()
        p.synchronize()
    finally:
        p.terminate()
    assert got == [0, 1, 2, 3]


def test_thousand_small_jobs_none_lost_or_duplicated(pool):
    seen = []
    for i in range(1000):
        pool.addjob(jobs.square_with_id, lambda x, sq, tid: seen.append((x, sq, tid)), i)
    pool.synchronize()
    assert sorted(x for x, _, _ in seen) == list(range(1000))
    assert all(sq == x * x for x, sq, _ in seen)
    assert {tid for _, _, tid in seen} <= {0, 1}
    assert not pool.hasjob()


def test_endcallbacks_run_in_the_calling_thread_with_the_job_results(pool):
    caller = threading.get_ident()
    where, got = [], []

    def end(tid, pid, ident):
        where.append(threading.get_ident())
        got.append((tid, ident))

    for _ in range(6):
        pool.addjob(jobs.identify, end)
    pool.synchronize()
    assert where == [caller] * 6
    assert all(ident != caller for _, ident in got)      # the jobs themselves ran elsewhere
    assert {tid for tid, _ in got} <= {0, 1}


def test_results_reach_endcallbacks_as_returned(pool):
    got = []
    pool.addjob(jobs.square, got.append, 7)                          # one value: one argument
    pool.addjob(jobs.square_with_id, lambda *a: got.append(len(a)), 3)   # a tuple: spread
    pool.addjob(jobs.sleep_then, lambda *a: got.append(a), None, 0)   # None: no argument
    pool.synchronize()
    assert sorted(got, key=repr) == sorted([49, 3, ()], key=repr)   # two workers: any order


def test_jobs_to_one_worker_finish_in_submission_order(pool):
    order = []
    pool.specific(True)
    try:
        for i in range(20):
            pool.addjob(1, jobs.square_with_id, lambda x, sq, tid: order.append((x, tid)), i)
        pool.synchronize()
    finally:
        pool.specific(False)
    assert order == [(i, 1) for i in range(20)]


def test_addjob_runs_endcallbacks_when_the_queue_is_full():
    p = threads.Threads(1, queuesize=1)
    try:
        done = []
        p.addjob(jobs.square, done.append, 2)
        p.addjob(jobs.square, done.append, 3)   # waits for the first job and runs its callback
        assert done == [4]
        assert p.hasjob()
        assert p.dojob() is True
        assert done == [4, 9]
        assert p.dojob() is False and not p.hasjob()
    finally:
        p.terminate()


def test_job_exception_is_raised_in_the_main_thread_and_other_results_kept(pool):
    got = []
    for i in range(5):
        pool.addjob(jobs.square, got.append, i)
    pool.addjob(jobs.fail, got.append, 'boom in the worker')
    for i in range(5, 10):
        pool.addjob(jobs.square, got.append, i)
    with pytest.raises(threads.JobError) as info:
        pool.synchronize()
    message = str(info.value)
    assert 'boom in the worker' in message and '(fail)' in message and 'Traceback' in message
    assert isinstance(info.value.__cause__, ValueError)
    assert sorted(got) == [i * i for i in range(10)]
    # still usable
    pool.addjob(jobs.square, got.append, 11)
    pool.synchronize()
    assert got[-1] == 121


def test_an_error_that_cannot_be_rebuilt_keeps_its_message(pool):
    """Torch7's jobs report their traceback as text: the job's own message arrives even when its exception
    cannot be unpickled in the main process."""
    pool.addjob(jobs.fail_two_part, None, 'original', 'message of the job')
    with pytest.raises(threads.JobError) as info:
        pool.synchronize()
    assert 'original: message of the job' in str(info.value) and '(fail_two_part)' in str(info.value)


def test_a_free_worker_takes_the_next_job_while_another_is_busy(pool):
    """A worker whose jobs have finished is free again, though the main thread has not run their callbacks yet:
    a quick job submitted then does not wait behind a long one."""
    finished = {}
    start = lg.Timer()
    pool.addjob(jobs.sleep_then, lambda tag: finished.setdefault(tag, start.time()['real']), 'long', 1.5)
    pool.addjob(jobs.sleep_then, lambda tag: finished.setdefault(tag, start.time()['real']), 'quick', 0.0)
    threading.Event().wait(0.4)   # the quick job is done by now; no callback has run
    pool.addjob(jobs.sleep_then, lambda tag: finished.setdefault(tag, start.time()['real']), 'next', 0.0)
    while 'next' not in finished:
        pool.dojob()
    assert finished['next'] < 1.2 and 'long' not in finished
    pool.synchronize()


def test_dojob_reraises_a_failed_job(pool):
    pool.addjob(jobs.fail, None, 'dojob sees this')
    with pytest.raises(threads.JobError, match='dojob sees this'):
        while pool.dojob():
            pass
    assert not pool.hasjob()


def test_endcallback_exception_names_the_job(pool):
    def bad_end(value):
        raise KeyError('callback broke')

    got = []
    pool.addjob(jobs.square, bad_end, 3)
    pool.addjob(jobs.square, got.append, 4)
    with pytest.raises(threads.JobError) as info:
        pool.synchronize()
    assert 'endcallback' in str(info.value) and '(square)' in str(info.value) and 'callback broke' in str(info.value)
    assert got == [16]


def test_errors_met_while_addjob_makes_room_surface_at_synchronize():
    p = threads.Threads(1, queuesize=1)
    try:
        got = []
        p.addjob(jobs.fail, None, 'early failure')
        p.addjob(jobs.square, got.append, 1)          # waits for the failed job to make room
        p.addjob(jobs.square, got.append, 2)
        with pytest.raises(threads.JobError, match='early failure'):
            p.synchronize()
        assert got == [1, 4]
    finally:
        p.terminate()


def test_specific_mode_sends_jobs_to_the_named_thread(pool):
    got = []
    pool.specific(True)
    try:
        assert pool.specific() is True
        for tid in (0, 1, 1, 0):
            pool.addjob(tid, jobs.identify, lambda t, pid, ident: got.append(t))
        pool.synchronize()
        with pytest.raises(ValueError, match=r'thread id in 0\.\.1'):
            pool.addjob(2, jobs.square, None, 1)
        with pytest.raises(ValueError, match='thread id'):
            pool.addjob(-1, jobs.square, None, 1)
        with pytest.raises(ValueError, match='thread id'):
            pool.acceptsjob(5)
    finally:
        pool.specific(False)
    assert sorted(got) == [0, 0, 1, 1]
    assert pool.specific() is False


def test_threadid_is_none_in_the_main_thread():
    assert threads.threadid() is None


def test_bad_arguments():
    with pytest.raises(ValueError, match='number of threads'):
        threads.Threads(0)
    with pytest.raises(ValueError, match='backend'):
        threads.Threads(1, backend='fibers')
    with pytest.raises(TypeError, match='init functions'):
        threads.Threads(1, 42)
    p = threads.Threads(1)
    try:
        with pytest.raises(TypeError, match='callable job'):
            p.addjob(42)
        with pytest.raises(TypeError, match='ending callback'):
            p.addjob(jobs.square, 'not callable', 1)
        with pytest.raises(TypeError, match='True or False'):
            p.specific(1)
    finally:
        p.terminate()


def test_failing_init_raises_and_stops_the_pool():
    with pytest.raises(threads.JobError, match='init went wrong'):
        threads.Threads(2, lambda tid: jobs.fail('init went wrong'))
    assert not [t for t in threading.enumerate() if t.name.startswith('legonn-threads') and t.is_alive()]


def test_unpicklable_job_on_the_process_backend_is_refused_clearly():
    p = threads.Threads(1, backend='process')
    try:
        with pytest.raises(TypeError, match=r'job \d+ \(.*<lambda>\) cannot be sent to a worker process'):
            p.addjob(lambda: 1)
        with pytest.raises(TypeError, match='cannot be sent'):
            p.addjob(jobs.square, None, threading.Lock())     # an argument that cannot be pickled
        got = []
        p.addjob(jobs.square, got.append, 5)
        p.synchronize()
        assert got == [25] and not p.hasjob()
    finally:
        p.terminate()


def test_addjob_after_terminate_is_refused():
    for backend in BACKENDS:
        p = threads.Threads(1, backend=backend)
        p.terminate()
        assert not p.isrunning()
        with pytest.raises(RuntimeError, match='terminated'):
            p.addjob(jobs.square, None, 1)
        with pytest.raises(RuntimeError, match='terminated'):
            p.dojob()
        p.synchronize()     # a no-op, as in Torch7
        p.terminate()       # idempotent


def test_thread_backend_returns_the_same_objects():
    p = threads.Threads(1)     # one worker: the callbacks come in submission order
    try:
        t = lg.zeros(4)
        a = np.zeros(3)
        got = []
        p.addjob(jobs.add_one, got.append, t)
        p.addjob(lambda x: x, got.append, a)
        p.synchronize()
        assert got[0] is t and t.array.tolist() == [1, 1, 1, 1]
        assert got[1] is a
    finally:
        p.terminate()


@pytest.mark.parametrize('backend', ['thread', 'process'])
def test_new_returns_the_last_init_functions_results(backend):
    """threads.lua's Threads.new returns ``self, initres``: one table per worker of what the last init
    function returned (fb.resnet.torch dataloader.lua reads its dataset size as ``sizes[1][1]``);
    earlier init functions' results are dropped."""
    pool, sizes = threads.Threads.new(2, jobs.square, jobs.square_with_id, backend=backend)
    try:
        assert sizes is pool.initres
        assert sorted(sizes) == [[0, 0, 0], [1, 1, 1]]     # (tid, tid * tid, threadid()) per worker
    finally:
        pool.terminate()
    pool = threads.Threads(1, backend=backend)
    try:
        assert pool.initres == []
    finally:
        pool.terminate()


def test_serialization_names_torch7s_choices():
    """threads.lua's Threads.serialization(name) sets the serializer and returns it when called bare;
    fb.resnet.torch dataloader.lua calls it with 'threads.sharedserialize' before making its pool."""
    before = threads.Threads.serialization()
    assert before == 'threads.serialize'
    try:
        threads.Threads.serialization('threads.sharedserialize')
        assert threads.Threads.serialization() == 'threads.sharedserialize'
        with pytest.raises(ValueError, match="Threads.serialization: 'threads.serialize' or"):
            threads.Threads.serialization('threads.pickle')
        assert threads.Threads.serialization() == 'threads.sharedserialize'
    finally:
        threads.Threads.serialization(before)
