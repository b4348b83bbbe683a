"""Jobs submitted from ending callbacks: chains of any length run in constant stack.

torch/threads' threads.lua: addjob runs dojob while the queue is full, and
dojob runs ending callbacks, so an ending callback that calls addjob nests
one level per job there. legonn's addjob inside a callback only collects
results; their callbacks run from the outer loop.
"""
import sys

import pytest

from legonn import threads
from tests.threads import jobs


def _stack_depth():
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


@pytest.mark.parametrize('backend,total', [('thread', 100_000), ('process', 20_000)])
def test_callbacks_that_add_jobs_run_in_constant_stack(backend, total):
    """Each callback submits two more jobs, so the queue is always full when a callback calls addjob."""
    p = threads.Threads(2, backend=backend)
    try:
        submitted, results, depths = [1], [], set()

        def more(value):
            results.append(value)
            depths.add(_stack_depth())
            for _ in range(2):
                if submitted[0] < total:
                    p.addjob(jobs.square, more, submitted[0])
                    submitted[0] += 1

        p.addjob(jobs.square, more, 0)
        p.synchronize()
    finally:
        p.terminate()
    assert sorted(results) == [i * i for i in range(total)]     # each job's callback ran exactly once
    assert max(depths) - min(depths) <= 2, sorted(depths)


def test_specific_mode_chain_between_two_busy_workers():
    """A callback of a job on one worker feeds the other, whose queue is full."""
    p = threads.Threads(2, queuesize=1)
    try:
        p.specific(True)
        total, submitted, order, depths = 3000, [2], [], set()

        def feed_other(x, square, tid):
            order.append((x, tid))
            depths.add(_stack_depth())
            for _ in range(2):
                if submitted[0] < total:
                    p.addjob(1 - tid, jobs.square_with_id, feed_other, submitted[0])
                    submitted[0] += 1

        p.addjob(0, jobs.square_with_id, feed_other, 0)
        p.addjob(1, jobs.square_with_id, feed_other, 1)
        p.synchronize()
    finally:
        p.terminate()
    assert sorted(x for x, _ in order) == list(range(total))
    assert max(depths) - min(depths) <= 2, sorted(depths)


def test_chain_under_a_low_recursion_limit():
    """20,000 chained jobs need no more stack than one: they fit under a limit of a few dozen frames above here."""
    p = threads.Threads(1, queuesize=1)
    limit = sys.getrecursionlimit()
    try:
        count = [0]

        def again(_):
            count[0] += 1
            if count[0] < 5_000:
                p.addjob(jobs.square, again, count[0])
                p.addjob(jobs.square, None, count[0])    # the queue (one job) is full: addjob has to wait here

        p.addjob(jobs.square, again, 0)
        sys.setrecursionlimit(_stack_depth() + 40)
        p.synchronize()
    finally:
        sys.setrecursionlimit(limit)
        p.terminate()
    assert count[0] == 5_000
