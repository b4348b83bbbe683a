"""torch-ipc's test/test_map.lua, line by line: ``ipc.map(n, fn, ...):join()`` returns every worker's results as
one tuple (Lua's multiple results), ``mapid`` is 0-based. testLuaCheckStack runs 100 workers, not 1000 (threads
on a loaded 2-core machine); testUpvalueError's closures run (see its docstring)."""
import time

import pytest

import legonn as torch
from legonn import ipc


def test_single():
    x, = ipc.map(1, lambda y, mapid: y, 42).join()
    assert x == 42


def test_multiple():
    x, y, z = ipc.map(1, lambda a, b, c, mapid: (a, b, c), "hi", 42, {'k': 2}).join()
    assert x == 'hi'
    assert y == 42
    assert z['k'] == 2


def test_single_with_n():
    x = [*ipc.map(3, lambda y, mapid: y, 42).join()]
    assert len(x) == 3
    assert x[0] == 42 and x[1] == 42 and x[2] == 42


def test_multiple_with_n():
    x1, y1, z1, x2, y2, z2 = ipc.map(2, lambda a, b, c, mapid: (a, b, c), "hi", 42, {'k': 2}).join()
    assert (x1, y1, z1['k'], x2, y2, z2['k']) == ('hi', 42, 2, 'hi', 42, 2)


def test_nil():
    x, y = ipc.map(1, lambda x, y, mapid: (None, y), None, 42).join()
    assert x is None
    assert y == 42


def test_errors():
    def boom(mapid):
        raise RuntimeError('boom')
    with pytest.raises(ipc.MapError, match='worker 0 failed') as info:
        ipc.map(1, boom).join()
    assert 'boom' in str(info.value) and isinstance(info.value.__cause__, RuntimeError)


def test_more_errors():
    def fn(idx):
        if idx == 0:
            raise RuntimeError('boom')
        else:
            return 42
    with pytest.raises(ipc.MapError, match='boom'):
        ipc.map(2, fn).join()


def test_upvalue_error():
    """torch-ipc serializes the function into a new Lua state, so a worker sees no global of the caller's and a
    closure over locals is refused; legonn's workers are threads of this interpreter, which share its globals and
    run closures (docs/porting.md's ipc.map row)."""
    global Global4523463456345
    Global4523463456345 = 32   # set a global

    def envIsSet(mapid):
        return Global4523463456345 is None and 56
    res, = ipc.map(1, envIsSet).join()
    assert res is False        # Lua: 56 (the worker's fresh state has no such global)
    Global4523463456345 = None
    i, j = 1, 2

    def closure(mapid):
        return i + j + 1
    res, = ipc.map(1, closure).join()
    assert res == 4            # Lua: the map fails on the upvalues


def test_check_errors():
    def fn(idx):
        if idx == 0:
            raise RuntimeError('boom')
        else:
            time.sleep(0.5)
            return 42
    m = ipc.map(2, fn)
    time.sleep(0.2)
    with pytest.raises(ipc.MapError, match='worker 0 failed'):
        m.checkErrors()
    assert m.join() == (42,)


def test_lua_check_stack():
    n = 100
    ret = [*ipc.map(n, lambda mapid: 1).join()]
    assert len(ret) == n


def test_last_arg():
    ret = [*ipc.map(4, lambda s, id: id, "hi").join()]
    assert ret == [0, 1, 2, 3]


def test_big_arguments_and_returns():
    n = 1000
    data = list(range(1, n + 1))
    assert ipc.map(3, lambda data, mapid: data[mapid], data).join() == (1, 2, 3)
    assert [len(r) for r in ipc.map(3, lambda mapid: list(range(n))).join()] == [n] * 3


def test_function_map_id():
    def run(opt, mapid):
        assert isinstance(opt, dict)
        assert isinstance(mapid, int)
        return opt['verbose'] + mapid
    assert ipc.map(3, run, {'verbose': 3232, 'partitions': torch.Tensor(10)}).join() == (3232, 3233, 3234)


# legonn's own checks


def test_each_worker_draws_from_its_own_generator():
    """Each of map.c's threads is a new Lua state with its own torch generator: seeding the caller's leaves the
    workers' streams their own."""
    torch.manualSeed(1)
    a, b = ipc.map(2, lambda mapid: torch.rand(4)).join()
    assert not torch.equal(a, b)


def test_each_worker_starts_at_the_starting_default_type():
    """Each of map.c's threads is a new Lua state, at the starting default tensor type (FloatTensor in legonn):
    the caller's setdefaulttensortype does not reach the workers, and a worker's does not come back."""
    torch.setdefaulttensortype('torch.DoubleTensor')

    def run(mapid):
        before = torch.Tensor(1).type()
        torch.setdefaulttensortype('torch.HalfTensor')
        return before
    assert ipc.map(2, run).join() == ('legonn.FloatTensor', 'legonn.FloatTensor')
    assert torch.Tensor(1).type() == 'legonn.DoubleTensor'


def test_join_times_out_and_bad_arguments_are_refused():
    m = ipc.map(1, lambda mapid: time.sleep(0.6))
    with pytest.raises(TimeoutError, match=r'workers \[0\] still ran after 0.1 s'):
        m.join(timeout=0.1)
    assert m.join() == (None,)
    with pytest.raises(TypeError, match='whole number'):
        ipc.map(1.5, print)
    with pytest.raises(TypeError, match='expected a function'):
        ipc.map(1, 42)
    assert ipc.map(2.0, lambda mapid: mapid).join() == (0, 1)
