"""ipc.sharedtable after torch-ipc's test/test_sharedtable.lua and doc/sharedtable.md. Lua arrays are lists
here, keys 0-based (``{2,3,4}`` is ``[2, 3, 4]``, keys 0, 1, 2); ``mapid`` is 0-based. Failed before legonn
had ``ipc.sharedtable`` (an AttributeError)."""
import pickle

import pytest

import legonn as torch
from legonn import ipc


def test_count():
    t = [2, 3, 4]
    t2 = ipc.sharedtable(t)
    assert len(t) == len(t2)


def test_move():
    t = [2, 3, 4]
    t2 = ipc.sharedtable(t, True)
    assert len(t) == 0
    assert len(t2) == 3
    for i in range(3):
        assert i + 2 == t2[i]


def test_empty():
    t = ipc.sharedtable()
    assert len(t) == 0
    t = ipc.sharedtable(None)
    assert len(t) == 0


def test_read():
    t = [2, 3, 4]
    t2 = ipc.sharedtable(t)

    for i in range(len(t)):
        assert t[i] == t2[i]


def test_pairs():
    t = [2, 3, 4]
    t2 = ipc.sharedtable(t)
    for k, v in t2.items():
        assert t[k] == v
    assert sorted(t2) == [0, 1, 2]


def test_write():
    t = [2, 3, 4]
    t2 = ipc.sharedtable(t)

    for i in range(len(t)):
        t2[i] = t2[i] + 1
        assert t[i] + 1 == t2[i]


def test_write_on_other():
    t = ipc.sharedtable([0])

    def incr(tab, mapid):
        for i in range(100):
            tab[0] = tab[0] + 1
    ipc.map(1, incr, t).join()
    assert t[0] == 100

    t = ipc.sharedtable()

    def put(tab, i):
        tab[i] = i
    ipc.map(100, put, t).join()
    assert len(t) == 100
    for i in range(100):
        assert t[i] == i


def test_multiple_writes():
    t = ipc.sharedtable()
    m = ipc.mutex()

    def work(tab, mutex, mapid):
        for i in range(100):
            mutex.lock()
            tab[i] = (tab[i] or 0) + 1
            mutex.unlock()
    ipc.map(10, work, t, m).join()
    assert len(t) == 100
    for i in range(100):
        assert t[i] == 10


def test_external_type():
    t = ipc.sharedtable()
    t['mutex'] = ipc.mutex()

    def work(tab, mapid):
        for i in range(100):
            tab['mutex'].lock()
            tab[i] = (tab[i] or torch.LongTensor([0])) + 1
            tab['mutex'].unlock()
    ipc.map(10, work, t).join()
    for i in range(100):
        assert t[i][0] == 10


def test_table_increment():
    t = ipc.sharedtable()
    t2 = ipc.sharedtable()
    m = ipc.mutex()

    def work(tab, tab2, mutex, mapid):
        for i in range(100):
            mutex.lock()
            tab[i] = (tab[i] or ipc.sharedtable([0]))
            tab[i][0] = tab[i][0] + 1
            tab2[i] = (tab2[i] or ipc.sharedtable([0]))
            tab2[i][0] = tab2[i][0] + 1
            mutex.unlock()
    ipc.map(10, work, t, t2, m).join()
    assert len(t) == 100
    assert len(t2) == 100
    for i in range(100):
        assert t[i][0] == 10
        assert t2[i][0] == 10


def test_table_expand():
    t = ipc.sharedtable()
    t2 = ipc.sharedtable()
    m = ipc.mutex()

    def work(tab, tab2, mutex, mapid):
        for i in range(100):
            mutex.lock()
            tab[i] = (tab[i] or ipc.sharedtable())
            l = len(tab[i])
            tab[i][l] = l + 1
            tab2[i] = (tab2[i] or ipc.sharedtable())
            l = len(tab2[i])
            tab2[i][l] = l + 1
            mutex.unlock()
    ipc.map(10, work, t, t2, m).join()
    assert len(t) == 100
    assert len(t2) == 100
    for i in range(100):
        assert len(t[i]) == 10
        assert len(t2[i]) == 10
        for j in range(10):
            assert t[i][j] == j + 1
            assert t2[i][j] == j + 1


def test_size():
    t = ipc.sharedtable()
    size1 = ipc.sharedtable_size(t)
    t2 = {}
    for i in range(1000):
        t2[i] = i
    for i in range(1000):
        t[i] = t2
    size2 = ipc.sharedtable_size(t)
    assert size2 > size1
    assert size2 > 1000 * 1000 * 8 / 1024     # a copy of t2 per key, as torch-ipc serializes each


# --- doc/sharedtable.md's nested tables, and what the Lua leaves implicit ----------------------------------

def test_nested_tables_are_copies_and_nested_sharedtables_are_shared():
    tbl = {'key': {'subkey': 1}}
    shared_tbl = ipc.sharedtable(tbl)
    shared_tbl['key']['subkey'] = 2
    assert shared_tbl['key']['subkey'] == 1
    sub_tbl = shared_tbl['key']
    sub_tbl['subkey'] = 2
    shared_tbl['key'] = sub_tbl
    assert shared_tbl['key']['subkey'] == 2
    shared_tbl = ipc.sharedtable({'key': ipc.sharedtable({'subkey': 1})})
    shared_tbl['key']['subkey'] = 2
    assert shared_tbl['key']['subkey'] == 2


def test_none_removes_a_key_and_bad_input_is_refused_by_name():
    t = ipc.sharedtable({'a': 1, 'b': 2})
    t['a'] = None
    assert len(t) == 1 and t['a'] is None and 'a' not in t
    with pytest.raises(TypeError, match=r'legonn.ipc.sharedtable: arg #1 expected to be a table'):
        ipc.sharedtable(5)
    with pytest.raises(ValueError, match=r'legonn.ipc.sharedtable\[key\] = value: attempt to serialize closure'):
        t['f'] = (lambda: t)
    with pytest.raises(TypeError, match=r'legonn.ipc.sharedtable: cannot be sent to another process'):
        pickle.dumps(t)
