"""ipc.marshal after torch-ipc's test/test_marshal.lua. ``torch.type(m) == 'userdata'`` becomes a check that
``m`` is an ``ipc.Marshal``; the table's function ``function() return 6 end`` (no upvalue but ``_ENV``) is a
lambda without a closure, testClosure's ``function() return upval end`` a lambda over a local. Failed before
legonn had ``ipc.marshal`` (an AttributeError)."""
import pytest

import legonn as torch
from legonn import ipc


def test_write_read():
    m = ipc.marshal(23)
    assert isinstance(m, ipc.Marshal)
    res = m.read()
    assert res == 23
    res2 = m.read()
    assert res2 == 23
    res3 = m.read()
    assert res3 == 23


def test_map():
    m = ipc.marshal(23)

    def work(m, mapid):
        val = m.read()
        assert val == 23, "Expecting 23"
        return m, val
    m, val, m2, val2 = ipc.map(2, work, m).join()

    res = m.read()
    assert res == 23
    res = m.read()
    assert res == 23
    assert m is m2 and val == val2 == 23


def test_workqueue():
    m = ipc.marshal(43)
    q = ipc.workqueue("marshal")

    def work(mapid):
        q = ipc.workqueue("marshal")
        while True:
            m = q.read()
            if m is None:
                break
            res = m.read()
            assert res == 43, "Expecting 43"
            q.write(m)
        q.close()
    map = ipc.map(2, work)

    for i in range(5):
        q.write(m)
    for i in range(2):
        q.write(None)

    map.join()

    for i in range(5):
        m2 = q.read()
        res2 = m2.read()
        assert res2 == 43
    q.close()


def _check(obj2):
    assert isinstance(obj2, dict)
    assert obj2[0] == 1 and obj2[1] == 2 and obj2[2] == 3 and obj2['v'] == 4 and obj2['g'] == 5 \
        and obj2['t']() == 6, 'error in obj'


def test_table():
    obj = {0: 1, 1: 2, 2: 3, 'v': 4, 'g': 5, 't': lambda: 6}
    m = ipc.marshal(obj)

    obj2 = m.read()
    _check(obj2)
    obj2 = m.read()
    _check(obj2)
    obj2 = m.read()
    _check(obj2)


def test_closure():
    upval = 6
    obj = {0: 1, 1: 2, 2: 3, 'v': 4, 'g': 5, 't': lambda: upval}
    with pytest.raises(ValueError, match=r"legonn.ipc.marshal: attempt to serialize closure .* 1 upvalues \(upval\)"):
        ipc.marshal(obj)

    m = ipc.marshal(obj, True)

    obj2 = m.read()
    _check(obj2)
    obj2 = m.read()
    _check(obj2)
    obj2 = m.read()
    _check(obj2)


def test_size():
    m = ipc.marshal(23, 10, 10)
    assert isinstance(m, ipc.Marshal)
    res = m.read()
    assert res == 23
    res2 = m.read()
    assert res2 == 23
    res3 = m.read()
    assert res3 == 23


# --- what the Lua tests leave implicit -------------------------------------------------------------------

def test_each_read_is_a_fresh_copy_with_copied_upvalues_and_shared_tensors():
    t = torch.ones(2)
    counter = [0]

    def bump():
        counter[0] += 1
        return counter[0]
    m = ipc.marshal({'list': [1], 'f': bump, 't': t}, True)
    counter[0] = 100                          # after marshalling: the stored copy of the upvalue is 0
    a, b = m.read(), m.read()
    assert a['list'] is not b['list'] and a['list'] == [1]
    assert a['f']() == 1 and a['f']() == 2 and b['f']() == 1   # each read has its own copy of the upvalue
    assert counter == [100]
    assert a['t'] is t and b['t'] is t


def test_nil_and_closed_are_refused_by_name():
    with pytest.raises(ValueError, match=r'legonn.ipc.marshal: must provide object to serialize at arg 1'):
        ipc.marshal(None)
    m = ipc.marshal(1)
    m.close()
    with pytest.raises(RuntimeError, match=r'legonn.ipc.marshal.read: marshal is not open'):
        m.read()
    with pytest.raises(RuntimeError, match=r'legonn.ipc.marshal.close: marshal is already closed'):
        m.close()
