"""The install is thread-safe: two threads trace at once while a third calls legonn untraced; each gets its own
answers, and the namespace holds the originals again once all traces end."""
import threading
import types

import numpy as np
import pytest

import legonn as lg
from legonn import autograd
from legonn.autograd import overload

ROUNDS = 200


@pytest.fixture
def double():
    lg.setdefaulttensortype('torch.DoubleTensor')


def _run(workers):
    errors = []

    def guard(work):
        try:
            work()
        except BaseException as err:   # reported by the test, not lost in the thread
            errors.append(err)
    threads = [threading.Thread(target=guard, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


def test_two_traces_and_an_untraced_caller_at_once(double):
    start = threading.Barrier(3)
    x = lg.DoubleTensor(10).fill(0.5)
    a, b = lg.randn(4), lg.randn(3, 3)
    df_a = autograd(lambda p: lg.sum(lg.exp(p)))
    df_b = autograd(lambda p: lg.sum(lg.tanh(p) * 3))
    untraced_answers, traced = [], {'a': [], 'b': []}
    saw_swapped = []

    both_inside = threading.Barrier(3)

    def tracer(key, df, p):
        start.wait()
        # the first call holds its trace open until the untraced thread has called lg.sum during both traces
        traced[key].append(autograd(lambda q: [both_inside.wait(30), both_inside.wait(30), df(q)][2][1])(p))
        for _ in range(ROUNDS):
            traced[key].append(df(p))

    def untraced():
        start.wait()
        both_inside.wait(30)
        saw_swapped.append(lg.sum is not original)
        untraced_answers.append(lg.sum(x))
        both_inside.wait(30)
        while any(len(v) <= ROUNDS for v in traced.values()):
            untraced_answers.append(lg.sum(x))
    namespace, original = dict(vars(lg)), lg.sum
    _run([lambda: tracer('a', df_a, a), lambda: tracer('b', df_b, b), untraced])

    assert all(type(v) is float and v == 5.0 for v in untraced_answers)
    assert saw_swapped == [True], "the untraced call did not meet the swapped entries: the test proved nothing"
    assert len(traced['a']) == len(traced['b']) == ROUNDS + 1
    # the first answers are those of the outer trace around df: d/dp of the loss df returned, the same gradients
    for grads, loss in traced['a']:
        np.testing.assert_allclose(grads.numpy(), np.exp(a.numpy()), rtol=1e-12)
        assert loss == pytest.approx(float(np.exp(a.numpy()).sum()), rel=1e-12)
    for grads, loss in traced['b']:
        np.testing.assert_allclose(grads.numpy(), 3 * (1 - np.tanh(b.numpy()) ** 2), rtol=1e-12)
    # (a subpackage the first trace imports, legonn.nn through autograd.nn's wrapper, is no change of an entry)
    assert {k: v for k, v in vars(lg).items()
            if namespace.get(k) is not v and not isinstance(v, types.ModuleType)} == {}
    assert overload._installs == 0


def test_a_trace_in_one_thread_leaves_another_threads_runtime_unset(double):
    inside, seen = threading.Event(), []
    release = threading.Event()

    def f(p):
        inside.set()
        release.wait(30)
        return lg.sum(p)

    def other():
        inside.wait(30)
        seen.append((overload.current_apply(), lg.sum(lg.ones(2))))
        release.set()
    _run([lambda: autograd(f)(lg.randn(3)), other])
    assert seen == [(None, 2.0)]
