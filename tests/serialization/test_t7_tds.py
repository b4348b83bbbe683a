"""tds's containers in Torch7 files: what torch/tds's ``__write`` puts in a file (hash.lua: a long count, then
each key's and value's object; vec.lua: a long count, then each value's object, nil included; atomic.lua: the
counter's value, one long), under a class header ``V 0`` and ``tds.Hash`` / ``tds.Vec`` / ``tds.AtomicCounter``.
The byte strings are built by hand (``T7``, test_t7's writer), as no Torch7 runs here; the two real files
tds_hash.t7 and tds_vec.t7 are read in test_t7."""
import io

import numpy as np
import pytest

import legonn as lg
from legonn import tds
from legonn.serialization import FormatError
from legonn.serialization.t7.reader import LuaTable

from .test_t7 import T7, fixture, load_bytes


def tds_header(w, typename, n):
    """The start of a tds object: the TORCH tag, a new index, tds's version 0, its class name, its count."""
    return w.int(4).index().string('V 0').string(typename).long(n)


def test_hash_of_strings_numbers_booleans_and_a_tensor():
    w = tds_header(T7(), 'tds.Hash', 4)
    w.value('name').value('digits').value(2).value(2.5).value(True).value(False)
    w.value('weights').tensor(np.arange(6, dtype=np.float64).reshape(2, 3))
    h = load_bytes(w.bytes())
    assert isinstance(h, tds.Hash) and len(h) == 4
    assert h['name'] == 'digits' and h[2] == 2.5 and h[True] is False
    assert h['weights'].type() == 'legonn.DoubleTensor'
    np.testing.assert_array_equal(h['weights'].numpy(), np.arange(6).reshape(2, 3))


def test_vec_keeps_order_and_nils_and_indexes_from_zero():
    """vec.lua's __write writes ``#self`` values, nil ones too (its __ipairs does not stop at a nil)."""
    w = tds_header(T7(), 'tds.Vec', 4)
    w.value('a').value(None).value(3).value('d')
    v = load_bytes(w.bytes())
    assert isinstance(v, tds.Vec) and list(v) == ['a', None, 3, 'd'] and v[0] == 'a' and v[3] == 'd'


def test_nested_tds_inside_tables_and_tds_inside_tds():
    """A plain table holding a tds.Hash whose value is a tds.Vec; the same Vec referred to twice is one object."""
    w = T7().int(3).index().int(2)
    w.value('data')
    tds_header(w, 'tds.Hash', 1).value('ids')
    tds_header(w, 'tds.Vec', 2).value(7).value(8)
    w.value('again').int(4).int(3)   # a reference to object 3, the Vec
    table = load_bytes(w.bytes())
    assert isinstance(table, LuaTable) and isinstance(table['data'], tds.Hash)
    inner = table['data']['ids']
    assert isinstance(inner, tds.Vec) and list(inner) == [7, 8] and table['again'] is inner


def test_a_hash_that_holds_itself():
    w = tds_header(T7(), 'tds.Hash', 1).value('self').int(4).int(1)
    h = load_bytes(w.bytes())
    assert h['self'] is h


def test_atomic_counter():
    w = T7().int(4).index().string('V 0').string('tds.AtomicCounter').long(41)
    counter = load_bytes(w.bytes())
    assert isinstance(counter, tds.AtomicCounter) and counter.get() == 41


def test_tds_in_a_checkpoint_with_modules_and_without_conversion():
    """A checkpoint table with a module beside a tds.Hash of its options: both forms of load_lua give the Hash."""
    for convert in (True, False):
        w = T7().int(3).index().int(2)
        w.value('model').value(('object', 'nn.Tanh', {'train': True}))
        w.value('opt')
        tds_header(w, 'tds.Hash', 1).value('lr').value(0.5)
        loaded = load_bytes(w.bytes(), convert=convert)
        assert isinstance(loaded['opt'], tds.Hash) and loaded['opt']['lr'] == 0.5
        assert isinstance(loaded['model'], lg.nn.Tanh) == convert


def test_round_trip_through_legonn_files(tmp_path):
    """Loaded from Torch7's bytes, the containers save and load again (legonn's file names them as Torch7 does,
    'tds.Hash' and 'tds.Vec'), keeping the nesting, the nils and the sharing."""
    w = tds_header(T7(), 'tds.Hash', 2).value('v')
    tds_header(w, 'tds.Vec', 3).value(1).value(None).value('x')
    w.value('same').int(4).int(2)
    h = load_bytes(w.bytes())
    lg.save(str(tmp_path / 'h.lg'), h)
    back = lg.load(str(tmp_path / 'h.lg'))
    assert isinstance(back, tds.Hash) and isinstance(back['v'], tds.Vec)
    assert list(back['v']) == [1, None, 'x'] and back['same'] is back['v']
    assert str(lg.deserialize(lg.serialize(h))) == str(h)


def test_real_files_bytes_are_what_tds_writes():
    """tds_hash.t7 (written by Torch7) is a TORCH object of class tds.Hash, version 0, then a long count of 3:
    what this file's tds_header writes."""
    data = open(fixture('tds_hash.t7'), 'rb').read()
    assert data.startswith(tds_header(T7(), 'tds.Hash', 3).bytes())


@pytest.mark.parametrize('build,message', [
    (lambda w: tds_header(w, 'tds.Hash', 1).value('t').int(3).index().int(0), 'tds never stores'),
    (lambda w: tds_header(w, 'tds.Vec', 1).int(3).index().int(0), 'tds never stores'),
    (lambda w: tds_header(w, 'tds.Hash', 1).value(None).value(1), 'tds never stores'),
    (lambda w: tds_header(w, 'tds.Hash', 2).value(1).value('one').value(True).value('yes'), 'both the key'),
    (lambda w: tds_header(w, 'tds.Vec', 2 ** 40), 'cannot fit'),
    (lambda w: tds_header(w, 'tds.Hash', -1), 'cannot fit'),
    (lambda w: tds_header(w, 'tds.Vec', 2).value(1), 'type tag'),
    (lambda w: w.int(4).index().string('V 0').string('tds.AtomicCounter').int(1), 'needs 8 bytes'),
])
def test_malformed_tds_raises_format_error(build, message):
    with pytest.raises(FormatError, match=message):
        load_bytes(build(T7()).bytes())


def test_truncated_tds_raises_format_error():
    w = tds_header(T7(), 'tds.Hash', 1).value('v')
    tds_header(w, 'tds.Vec', 2).value(1).value('two')
    data = w.bytes()
    assert isinstance(load_bytes(data), tds.Hash)
    for cut in range(1, len(data)):
        with pytest.raises(FormatError):
            lg.load_lua(io.BytesIO(data[:cut]))
