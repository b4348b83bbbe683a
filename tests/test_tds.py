"""legonn.tds against torch/tds: hash.lua, vec.lua, atomic.lua, tds_vec.c, elem.lua, its README's examples and
test/test_atomic.lua."""
import pathlib
import subprocess
import sys
import threading

import numpy as np
import pytest

import legonn as lg
from legonn import tds
from legonn.serialization import FormatError

T7 = pathlib.Path(__file__).parent / 'serialization' / 't7_fixtures'


def test_hash_reads_nil_for_missing_keys_and_nil_removes():
    """hash.lua: ``d[key]`` is nil for a missing key, ``d[key] = nil`` removes it, ``#d`` counts the pairs
    (not Lua's border), ``pairs(d)`` gives every pair; a nil key is an error ('hash index is nil')."""
    d = tds.Hash()
    d['foo'], d[6], d[2.5], d[True] = 'bar', 7, 'x', 'yes'
    assert len(d) == 4 and d['foo'] == 'bar' and d[6] == 7 and d['missing'] is None
    d['foo'] = None
    d['never'] = None
    assert len(d) == 3 and 'foo' not in d and d['foo'] is None
    assert dict(d.items()) == {6: 7, 2.5: 'x', True: 'yes'}
    with pytest.raises(TypeError, match='key is None'):
        d[None] = 1


def test_hash_keys_tensors_and_containers_by_identity():
    """tds_elem.c's tds_elem_isequal compares pointer elements (tensors, tds containers) by address: two equal
    tensors are two keys, the same tensor one."""
    a, b = lg.zeros(2), lg.zeros(2)
    v = tds.Vec(1)
    d = tds.Hash()
    d[a], d[b], d[v] = 'a', 'b', 'v'
    d[a] = 'a again'
    assert len(d) == 3 and d[a] == 'a again' and d[b] == 'b' and d[v] == 'v'


def test_constructors_convert_nested_tables():
    """hash.lua / vec.lua ``fill``: tables inside the constructor's table become tds.Vec (number keys: a list)
    or tds.Hash (a dict), recursively; ``tds.Hash`` of a list keys its items by (0-based) position."""
    d = tds.Hash({'a': [1, [2, 3]], 'b': {'c': 'd'}})
    assert isinstance(d['a'], tds.Vec) and isinstance(d['a'][1], tds.Vec) and d['a'][1][1] == 3
    assert isinstance(d['b'], tds.Hash) and d['b']['c'] == 'd'
    assert dict(tds.Hash(['x', 'y']).items()) == {0: 'x', 1: 'y'}
    assert list(tds.Vec(4, 5, None, 'x')) == [4, 5, None, 'x'] and list(tds.Vec([4, 5])) == [4, 5]
    inner = tds.Vec(1)
    assert tds.Vec(inner)[0] is inner   # a Vec argument is an element, not a table to copy (vec.lua)
    with pytest.raises(TypeError, match='expected a dict'):
        tds.Hash(3)


def test_hash_constructor_leaves_out_nil_fields():
    """A Lua table never holds nil: deepmask's DataSampler.lua:85 builds ``{xcS, ycS, category_id=ann.category}``
    with ``ann.category`` unset, then ``tds.Hash(bbs)``; the entry has no category_id and the constructor, which
    walks ``pairs(tbl)``, stores the rest. A None value in the dict (or nested in it) is that absent field."""
    h = tds.Hash({'scales': [0.25], 0.25: [{0: 3.0, 1: 4.0, 'category_id': None}], 'gone': None})
    assert len(h) == 2 and 'gone' not in h and h['gone'] is None
    entry = h[0.25][0]
    assert len(entry) == 2 and entry[0] == 3.0 and entry['category_id'] is None


def test_only_tds_elements_are_stored():
    """elem.lua's elem.set: numbers, strings, booleans, tds containers and tensors; anything else is refused
    ('unsupported key/value type'). NumPy scalars are stored as numbers; NumPy arrays as tensors viewing them."""
    d, v = tds.Hash(), tds.Vec()
    for bad in ([1, 2], {'a': 1}, object()):
        with pytest.raises(TypeError, match='expected a number, string, boolean, tds.Hash, tds.Vec or tensor'):
            d['k'] = bad
        with pytest.raises(TypeError, match='tds.Vec'):
            v[0] = bad
    a = np.arange(3.0)
    v[0] = a
    v[1] = np.float32(0.5)
    assert isinstance(v[0], lg.Tensor) and np.shares_memory(v[0].numpy(), a)
    assert type(v[1]) is float and v[1] == 0.5


def test_vec_is_0_based_and_grows_on_write():
    """vec.lua / tds_vec.c with indices shifted down by one: ``d[i] = v`` past the end resizes with nils
    (tds_vec_set), ``#d`` counts the nils; a read past the end is an error here (tds returns nil), so a
    forgotten shift fails; negative indices count from the end."""
    d = tds.Vec()
    d[2] = 'c'
    assert len(d) == 3 and list(d) == [None, None, 'c']
    assert d[-1] == 'c' and d[0] is None
    with pytest.raises(IndexError, match=r'index 3 is outside 0 \.\. 2'):
        d[3]
    with pytest.raises(TypeError, match='must be an integer'):
        d['x']
    d[2.0] = 'C'   # Lua numbers: a whole float is an index
    assert d[2] == 'C'


def test_vec_insert_remove_resize():
    """vec.lua insert([index], value), remove([index]), resize(size) over tds_vec.c: insert shifts up from index
    (default: append), remove shifts down (default: the last), resize fills with nil or truncates. Indices 0-based;
    insert's index may be len (an append); remove refuses an index past the end (tds ignores it)."""
    d = tds.Vec('a', 'b', 'c')
    d.insert('d')
    d.insert(0, 'z')
    d.insert(2, None)
    assert list(d) == ['z', 'a', None, 'b', 'c', 'd']
    d.insert(len(d), 'e')
    d.remove()
    d.remove(0)
    d.remove(1)
    assert list(d) == ['a', 'b', 'c', 'd']
    with pytest.raises(IndexError):
        d.insert(5, 'x')
    with pytest.raises(IndexError):
        d.remove(4)
    d.resize(6)
    assert list(d) == ['a', 'b', 'c', 'd', None, None]
    d.resize(1)
    assert list(d) == ['a']
    with pytest.raises(ValueError, match='>= 0'):
        d.resize(-1)
    d.remove()
    with pytest.raises(IndexError, match='empty'):
        d.remove()


def test_vec_sort_by_compare():
    """vec.lua sort(compare): ``compare(a, b)`` true when a goes first; the C comparator it builds answers -1
    or 1. Sorting descending, and strings by length."""
    d = tds.Vec(3, 1, 4, 1, 5, 9, 2, 6)
    d.sort(lambda a, b: a > b)
    assert list(d) == [9, 6, 5, 4, 3, 2, 1, 1]
    w = tds.Vec('ccc', 'a', 'bb')
    w.sort(lambda a, b: len(a) < len(b))
    assert list(w) == ['a', 'bb', 'ccc']
    with pytest.raises(TypeError, match='compare must be a function'):
        w.sort(None)


def test_vec_concat():
    """vec.lua concat([sep, i, j]) and concatstorage: tostring of each element from i to j (Lua's 1-based
    inclusive range, here 0-based inclusive), numbers as Lua prints them (%.14g), nil as 'nil'."""
    d = tds.Vec(1, 0.1, 1e20, None, 'x', True)
    assert d.concat() == '10.11e+20nilxtrue'
    assert d.concat(', ') == '1, 0.1, 1e+20, nil, x, true'
    assert d.concat('-', 1, 2) == '0.1-1e+20'
    assert d.concat('-', 3, 2) == ''
    s = d.concatstorage('|', 4, 5)
    assert s.type() == 'torch.CharStorage' and s.string() == 'x|true'
    with pytest.raises(IndexError):
        d.concat('-', 0, 6)   # Lua's #d, unshifted


def test_printing_matches_the_readme():
    """README.md's nesting example: hash.lua / vec.lua __tostring, keys padded to the widest, continuation lines
    indented under the value; positions printed 0-based."""
    d = tds.Vec(4, 5, lg.DoubleTensor([0.1958, 0.5663, 0.2777]), tds.Hash(), 'hello world')
    d[3]['foo'] = 'bar'
    d[3]['stuff'] = tds.Vec('how', 'are', 'you', 'doing')
    assert repr(d) == '\n'.join([
        'tds.Vec[5]{',
        '    0 : 4',
        '    1 : 5',
        '    2 :  0.1958',
        '         0.5663',
        '         0.2777',
        '        [legonn.DoubleTensor of size 3]',
        '    3 : tds.Hash[2]{',
        '        foo   : bar',
        '        stuff : tds.Vec[4]{',
        '                    0 : how',
        '                    1 : are',
        '                    2 : you',
        '                    3 : doing',
        '                }',
        '        }',
        '    4 : hello world',
        '}'])


def test_printing_stops_after_20_entries():
    """hash.lua / vec.lua: at most 20 entries, then '...'; the hash pads keys to the widest of those 20."""
    v = tds.Vec(list(range(25)))
    lines = str(v).split('\n')
    assert lines[0] == 'tds.Vec[25]{' and lines[20] == '   19 : 19' and lines[21:] == ['...', '}']
    h = tds.Hash({i: i for i in range(20)})
    h['a much longer key'] = 1
    lines = str(h).split('\n')
    assert lines[1] == '0  : 0' and lines[-2:] == ['...', '}'] and len(lines) == 23
    # the '...' comes with the 20th entry (`if k == 20 then ... '...' ... break`), so 20 entries show it too
    assert str(tds.Vec(list(range(20)))).split('\n')[-3:] == ['   19 : 19', '...', '}']
    assert str(tds.Vec(list(range(19)))).split('\n')[-2:] == ['   18 : 18', '}']


def test_a_container_holding_itself_prints_a_cycle_marker():
    """tds's __tostring recurses into a container that holds itself until Lua's stack overflows; here the inner
    occurrence is named, directly or through another container, and a container held twice without a cycle is
    printed in full both times."""
    h = tds.Hash({'a': 1})
    h['me'] = h
    assert str(h) == '\n'.join(['tds.Hash[2]{', 'a  : 1', 'me : tds.Hash[2] (cycle)', '}'])
    v = tds.Vec(1, 2)
    v[2] = v
    assert repr(v) == '\n'.join(['tds.Vec[3]{', '    0 : 1', '    1 : 2', '    2 : tds.Vec[3] (cycle)', '}'])
    outer = tds.Hash({'x': 1})
    outer['v'] = tds.Vec(outer)
    assert str(outer).split('\n')[2:4] == ['v : tds.Vec[1]{', '        0 : tds.Hash[2] (cycle)']
    inner = tds.Vec(5)
    twice = str(tds.Vec(inner, inner))
    assert twice.count('0 : 5') == 2 and 'cycle' not in twice
    assert str(h) == str(h)   # the marker state is left clean after each print


def test_atomic_counter():
    """test/test_atomic.lua: starts at 0, inc returns the value before (THAtomicAddLong) and adds 1, set(100);
    tostring 'tds.AtomicCounter=N'. Four threads incrementing 5000 times each see 20000 distinct previous values."""
    a = tds.AtomicCounter()
    assert a.get() == 0 and str(a) == 'tds.AtomicCounter=0'
    assert a.inc() == 0 and a.get() == 1 and a.inc() == 1 and a.get() == 2
    a.set(100)
    assert a.get() == 100 and str(a) == 'tds.AtomicCounter=100'
    a.set(np.float64(12.0))   # a Lua number is a double: a whole one is the counter's long
    assert a.get() == 12 and type(a.get()) is int and str(a) == 'tds.AtomicCounter=12'
    with pytest.raises(TypeError, match='tds.AtomicCounter.set: expected an integer or a whole number, got 2.5'):
        a.set(2.5)
    b, seen = tds.AtomicCounter(), [[] for _ in range(4)]
    workers = [threading.Thread(target=lambda s=s: s.extend(b.inc() for _ in range(5000))) for s in seen]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert b.get() == 20000 and sorted(sum(seen, [])) == list(range(20000))


def test_save_and_load_round_trip():
    """README.md's serialization example, with lg.serialize/deserialize: a Vec of numbers, a tensor, nil, a
    string and a nested Hash keyed by that tensor comes back equal, the tensor key the same object as the
    element; an AtomicCounter keeps its value."""
    t = lg.rand(3).double()
    d = tds.Vec(4, 5, t, None, 'hello world', tds.Hash({'k': [1, 2]}))
    d[5][t] = 'by tensor'
    counter = tds.AtomicCounter()
    counter.set(7)
    got, c = lg.deserialize(lg.serialize([d, counter]))
    assert isinstance(got, tds.Vec) and len(got) == 6 and got[0] == 4 and got[3] is None
    assert got[4] == 'hello world' and np.array_equal(got[2].numpy(), t.numpy())
    assert got[5][got[2]] == 'by tensor' and list(got[5]['k']) == [1, 2]
    assert isinstance(c, tds.AtomicCounter) and c.get() == 7


def test_a_file_with_tds_loads_before_tds_is_imported(tmp_path):
    """The registration goes through legonn's importer, as optim's ConfusionMatrix does: lg.load finds tds's
    classes in a process that never imported legonn.tds."""
    path = tmp_path / 'v.legonn'
    lg.save(str(path), tds.Vec('a', tds.Hash({'b': 1})))
    code = ("import sys, legonn as lg\n"
            "assert 'legonn.tds' not in sys.modules\n"
            f"v = lg.load({str(path)!r})\n"
            "print(type(v).__name__, v[0], v[1]['b'])\n")
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == 'Vec a 1'


def test_load_refuses_a_container_holding_what_tds_cannot():
    """validateState: a file whose Vec or Hash holds a list (no tds element) is a FormatError, not a container
    that breaks later."""
    v, h = tds.Vec(), tds.Hash()
    v._items.append([1])
    h._items['x'] = {'y': 1}
    for bad in (v, h):
        with pytest.raises(FormatError, match='invalid state'):
            lg.deserialize(lg.serialize(bad))


def test_torch7_files_of_tds_containers():
    """python-torchfile's tds_hash.t7 (3 entries, [1] = 2, [10] = 11) and tds_vec.t7 ({123, 456}): the .t7
    reader gives them as tds containers (tests/serialization/test_t7_tds.py has the format's details)."""
    h = lg.load(str(T7 / 'tds_hash.t7'))
    assert isinstance(h, tds.Hash) and len(h) == 3 and h[1] == 2 and h[10] == 11
    v = lg.load(str(T7 / 'tds_vec.t7'))
    assert isinstance(v, tds.Vec) and list(v) == [123, 456]


def test_dataload_loadgbw_sequences_ported(tmp_path):
    """Element-Research/dataload's loadGBW.lua, step 2, ported line by line: sentences cut from a raw 2-column
    tensor (1-based start rows, words) into narrow views of one LongTensor, each given a leading <S>, inserted into
    a tds.Vec and saved as the cache. Hand-traced on three sentences: {<S>, 5, 6, </S>}, {<S>, 7, </S>},
    {<S>, 8, 9, </S>}. The loaded cache keeps the views on one storage, as torch.save does."""
    sentence_start, sentence_end = 1, 2
    raw = lg.LongTensor([[1, 5], [1, 6], [1, 2], [4, 7], [4, 2], [6, 8], [6, 9], [6, 2]])
    nsentence, sentencestart = 0, -1
    for startid in raw.select(1, 0).tolist():
        if startid != sentencestart:
            nsentence = nsentence + 1
            sentencestart = startid

    data = lg.LongTensor(raw.size(0) + nsentence)
    seqs = tds.Vec()
    # rawidx counts rows from 1, as the start rows stored in raw do (data written by Torch7); indices shift
    sentencestart, rawidx, dataidx = 1, 0, 0
    for startid in raw.select(1, 0).tolist():
        rawidx = rawidx + 1
        islastelement = (rawidx == raw.size(0))
        if startid != sentencestart or islastelement:
            if islastelement:
                rawidx = rawidx + 1
            size = rawidx - sentencestart + 1
            sequence = data.narrow(0, dataidx, size)
            sequence[0] = sentence_start
            sequence.narrow(0, 1, size - 1).copy(raw[sentencestart - 1:rawidx - 1, 1])
            dataidx = dataidx + size
            sentencestart = startid
            assert sequence[sequence.size(0) - 1] == sentence_end
            seqs.insert(sequence)
    cachepath = str(tmp_path / 'train_data.cache.t7')
    lg.save(cachepath, seqs)

    loaded = lg.load(cachepath)
    assert isinstance(loaded, tds.Vec) and len(loaded) == nsentence == 3
    assert [s.tolist() for s in loaded] == [[1, 5, 6, 2], [1, 7, 2], [1, 8, 9, 2]]
    assert all(s.storage() is loaded[0].storage() for s in loaded)
    assert [s.storageOffset() for s in loaded] == [0, 4, 7]


def test_torch_type_names_the_tds_classes():
    """torch.typename(tds.Hash()) is 'tds.Hash' (tds registers its classes with torch's type system), so ported
    ``if torch.type(x) == 'tds.Vec' then`` branches work."""
    assert lg.typename(tds.Hash()) == 'tds.Hash' and lg.type(tds.Vec()) == 'tds.Vec'
    assert lg.typename(tds.AtomicCounter()) == 'tds.AtomicCounter' and lg.typename({}) is None
