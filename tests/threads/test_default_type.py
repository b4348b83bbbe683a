"""The default tensor type is each thread's own, as Torch7 keeps it per Lua state (torch7's init.lua:110-116
sets the state's ``torch.Tensor``, line 153 starts each state at DoubleTensor) and every torch/threads worker is a
fresh state: a worker's ``torch.setdefaulttensortype`` (deepmask's DataLoader.lua ``main(idx)``) changes that worker
only, and the main script's call (reedscot/nips2016's main_mhp.lua, before its donkeys start) never reaches the
workers. A legonn thread starts at legonn's FloatTensor (docs/porting.md's first row) where a Lua state starts at
Double. Failed before the default was per thread: a worker's call set the main thread's, and the main's reached
the workers."""
import threading

import pytest

import legonn as lg
from legonn import threads
from tests.threads import jobs

FLOAT = ('legonn.FloatTensor',) * 3
DOUBLE = ('legonn.DoubleTensor',) * 3


def _run_in_thread(fn):
    out = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


def test_a_new_thread_starts_at_float_and_keeps_its_own_setting():
    lg.setdefaulttensortype('torch.DoubleTensor')
    assert _run_in_thread(jobs.default_types)[1:] == FLOAT       # the main's Double does not reach it

    def set_double_then_read():
        lg.setdefaulttensortype('torch.DoubleTensor')
        return jobs.default_types()[1:]

    lg.setdefaulttensortype('torch.FloatTensor')
    assert _run_in_thread(set_double_then_read) == DOUBLE
    assert jobs.default_types()[1:] == FLOAT                     # the thread's call left the main's alone


@pytest.mark.parametrize('backend', ['thread', 'process'])
def test_workers_have_their_own_default_type(backend):
    """Worker 0 sets Double in a job, worker 1 sets nothing: worker 0 keeps Double for its later jobs, worker 1
    and the main thread stay at Float; then the main's Double reaches neither (even a forked worker process)."""
    p = threads.Threads(2, backend=backend, start_method='fork' if backend == 'process' else None)
    try:
        p.specific(True)
        p.addjob(0, jobs.set_default_type, None, 'torch.DoubleTensor')
        p.synchronize()
        assert jobs.default_types()[1:] == FLOAT
        got = {}
        for tid in (0, 1):
            p.addjob(tid, jobs.default_types, lambda tid, *types: got.__setitem__(tid, types))
        p.synchronize()
        assert got == {0: DOUBLE, 1: FLOAT}
    finally:
        p.terminate()
    lg.setdefaulttensortype('torch.DoubleTensor')
    p = threads.Threads(1, backend=backend, start_method='fork' if backend == 'process' else None)
    try:
        got = []
        p.addjob(jobs.default_types, lambda tid, *types: got.append(types))
        p.synchronize()
    finally:
        p.terminate()
    assert got == [FLOAT]


def test_an_init_function_sets_the_type_of_the_jobs_that_follow():
    """deepmask's DataLoader.lua: each thread's ``main(idx)`` calls ``torch.setdefaulttensortype``, and that
    thread's jobs then build FloatTensors whatever the main script set."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    p = threads.Threads(2, lambda tid: lg.setdefaulttensortype('torch.FloatTensor'))
    try:
        got = []
        for _ in range(2):
            p.addjob(jobs.default_types, lambda tid, *types: got.append(types))
        p.synchronize()
    finally:
        p.terminate()
    assert got == [FLOAT, FLOAT]
    assert jobs.default_types()[1:] == DOUBLE


def test_a_low_level_thread_starts_at_float():
    """threads.Thread(code) runs its code in a fresh state too."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    code = ("import legonn as lg\n"
            "assert lg.Tensor(2).type() == 'legonn.FloatTensor', lg.Tensor(2).type()\n"
            "lg.setdefaulttensortype('torch.HalfTensor')\n")
    threads.Thread(code).free()
    assert lg.getdefaulttensortype() == 'legonn.DoubleTensor'
