"""legonn.pl.tablex against Penlight's tests/test-tablex.lua, positions made 0-based."""
import pytest

import legonn as lg
from legonn.pl import tablex


def test_range_update_copy():
    """tests/test-tablex.lua range and update; tablex.lua's copy (shallow) and deepcopy (tables only)."""
    assert tablex.range(10, 9) == [] and tablex.range(10, 10) == [10] and tablex.range(10, 11) == [10, 11]
    assert tablex.range(1, 2, 0.5) == [1.0, 1.5, 2.0] and tablex.range(5, 1, -2) == [5, 3, 1]
    # `for i = 0, 0.7, 0.1` adds 0.1 to the running value: 0.5 + 0.1 is 0.6 and 0.6 + 0.1 is 0.7 exactly,
    # so 0.7 is reached (0 + 6 * 0.1 would be 0.6000000000000001 and 0.7 / 0.1 < 7 would drop it)
    assert tablex.range(0, 0.7, 0.1) == [0, 0.1, 0.2, 0.1 + 0.1 + 0.1, 0.4, 0.5, 0.6, 0.7]
    assert tablex.range(0, 1, 0.1)[-1] == 0.9999999999999999   # ten additions of 0.1
    assert tablex.range(0.3, -0.3, -0.3) == [0.3, 0.0, -0.3]
    assert tablex.update({'one': 1, 'two': 2}, {'three': 3, 'two': 20, 'four': 4}) == \
        {'one': 1, 'three': 3, 'two': 20, 'four': 4}
    inner = [1, 2]
    marker = object()
    t = {'a': inner, 'b': marker}
    shallow, deep = tablex.copy(t), tablex.deepcopy(t)
    assert shallow['a'] is inner and deep['a'] == inner and deep['a'] is not inner and deep['b'] is marker
    cyclic = [1]
    cyclic.append(cyclic)
    copied = tablex.deepcopy(cyclic)
    assert copied[1] is copied and copied is not cyclic


def test_move_icopy_insert_set():
    """tests/test-tablex.lua move/icopy/insertvalues/set, each Lua index minus one."""
    assert tablex.move([1, 2, 3, 4, 5, 6], [20, 30]) == [20, 30, 3, 4, 5, 6]
    assert tablex.move([1, 2, 3, 4, 5, 6], [20, 30], 1) == [1, 20, 30, 4, 5, 6]
    assert tablex.icopy([1, 2, 3, 4, 5, 6], [20, 30], 1) == [1, 20, 30]
    assert tablex.icopy([1, 2, 3, 4, 5, 6], [20, 30], 1, 0, 1) == [1, 20]
    assert tablex.icopy([1, 2, 3, 4, 5, 6], [20, 30], 1, 1, 1) == [1, 30]
    assert tablex.insertvalues([1, 2, 3, 4, 5, 6], 1, [20, 30]) == [1, 20, 30, 2, 3, 4, 5, 6]
    assert tablex.insertvalues([1, 2], [3, 4]) == [1, 2, 3, 4]
    assert tablex.move([1, 2, 3, 4, 5, 6], [20, 30], 1, 1) == [1, 30, 3, 4, 5, 6]
    t = [1, 2, 3, 4, 5, 6]
    tablex.move(t, [20, 30], 1, 0, 1)
    assert t == [1, 20, 3, 4, 5, 6]
    tablex.set(t, 0, 1, 2)
    assert t == [1, 0, 0, 4, 5, 6]
    tablex.insertvalues(t, 0, [10, 20])
    assert t == [10, 20, 1, 0, 0, 4, 5, 6]
    assert tablex.removevalues([1, 2, 3, 4], 1, 2) == [1, 4] and tablex.sub([1, 2, 3, 4], 1, -1) == [2, 3, 4]
    assert tablex.new(3, lambda i: i * i) == [0, 1, 4]


def test_merge_difference_index_map_reduce():
    """tests/test-tablex.lua merge, difference, index_map, reduce (a list as positions 0.., for merge)."""
    assert tablex.merge({'a': 1, 'b': 2}, {'b': 3, 'c': 4}) == {'b': 2}
    assert tablex.merge({'a': 1, 'b': 2}, {'b': 3, 'c': 4}, True) == {'a': 1, 'b': 3, 'c': 4}
    assert tablex.merge([10, 20, 30], [None, None, 30, 40]) == {2: 30}
    assert tablex.difference({'a': True, 'b': True}, {'a': True, 'b': True}) == {}
    assert tablex.difference({'v': False}, {'v': False}) == {}
    assert tablex.difference({'a': True}, {'b': True}) == {'a': True}
    assert tablex.difference({'a': True}, {'b': True}, True) == {'a': True, 'b': True}
    assert tablex.index_map([10, 20, 30]) == {10: 0, 20: 1, 30: 2}
    assert tablex.index_map([10, 20, 30, 30, 30]) == {10: 0, 20: 1, 30: [2, 3, 4]}
    assert tablex.reduce('-', [], 2) == 2 and tablex.reduce('-', []) is None
    assert tablex.reduce('-', [1, 2, 3, 4, 5]) == -13 and tablex.reduce('-', [1, 2, 3, 4, 5], 1) == -14
    assert tablex.count_map(['a', 'b', 'a']) == {'a': 2, 'b': 1}


def test_compare_find_rfind_find_if():
    """tests/test-tablex.lua compare, rfind and find_if (0-based positions)."""
    assert tablex.compare([], [], '==') and tablex.compare([1, 2, 3], [1, 2, 3], '==')
    assert not tablex.compare([1, 'hello', 3], [1, 2, 3], '==')
    assert tablex.compare_no_order([1, 2, 3], [3, 1, 2]) and not tablex.compare_no_order([1, 1], [1, 2])
    lst = ['Rudolph', 'the', 'red-nose', 'raindeer']
    assert tablex.rfind(lst, 'Santa') is None and tablex.rfind(lst, 'raindeer', -2) is None
    assert tablex.rfind(lst, 'raindeer') == 3 and tablex.rfind(lst, 'Rudolph') == 0
    assert tablex.rfind(lst, 'the', -3) == 1 and tablex.rfind(lst, 'the', -30) is None
    assert tablex.rfind([10, 10, 10], 10) == 2 and tablex.find([10, 10, 10], 10, 1) == 1
    assert tablex.find(lst, 'the', -1) is None
    assert tablex.find_if(lst, '==', 'the') == (1, True)
    assert tablex.find_if(['a', 'b'], lambda v, a: v == a and v + '!', 'b') == (1, 'b!')


def test_map_filter_keys_sort_deepcompare():
    """tablex.lua's map (keeps the table's kind), imap (nil written false), map2, filter, keys/values,
    sort/sortv (key and value order), deepcompare (nested, eps); a bad function names the call."""
    assert tablex.map(lambda x: x * 2, {'a': 1}) == {'a': 2} and tablex.map('-', [5, 6], 1) == [4, 5]
    assert tablex.imap(lambda x: None, [1]) == [False] and tablex.imap2('+', [1, 2, 3], [10, 20]) == [11, 22]
    assert tablex.map2('+', {'a': 1, 'b': 2}, {'a': 10, 'b': 20}) == {'a': 11, 'b': 22}
    assert tablex.filter([1, 5, 2, 8], '>', 3) == [5, 8] and tablex.zip([1, 2], ['a', 'b']) == [[1, 'a'], [2, 'b']]
    assert tablex.keys([5, 6]) == [0, 1] and tablex.values({'a': 1}) == [1] and tablex.size({'a': 1, 'b': 2}) == 2
    assert list(tablex.sort({'b': 1, 'a': 2})) == [('a', 2), ('b', 1)]
    assert list(tablex.sort({'b': 1, 'a': 2}, '>')) == [('b', 1), ('a', 2)]
    assert list(tablex.sortv({'a': 3, 'b': 1})) == [('b', 1), ('a', 3)]
    assert tablex.index_by([10, 20, 30], [2, 0]) == [30, 10] and tablex.makeset(['x']) == {'x': True}
    assert tablex.deepcompare({'a': [1, {'b': 2}]}, {'a': [1, {'b': 2}]})
    assert not tablex.deepcompare({'a': [1, 2]}, {'a': [1, 2, 3]}) and not tablex.deepcompare([True], [1])
    assert tablex.deepcompare([1.0, 2.0], [1.05, 2.0], False, 0.1)
    seen = []
    tablex.foreachi(['x', 'y'], lambda v, i: seen.append((i, v)))
    assert seen == [(0, 'x'), (1, 'y')]
    with pytest.raises(TypeError, match=r"tablex.map: argument 0 expected a callable or an operator string"):
        tablex.map('|x| x + 1', [1])


def test_deepcompare_compares_tensors_as_lua_does_userdata():
    """Penlight's deepcompare ends in Lua's `==` on what is not a table, and `==` of two tensors (userdata) is true
    only for the same tensor: equal values in another tensor are not equal, and no element-wise result comes back."""
    t = lg.Tensor([1, 2, 3])
    assert tablex.deepcompare({'w': t, 'n': [1, 2]}, {'w': t, 'n': [1, 2]})
    assert not tablex.deepcompare({'w': t}, {'w': t.clone()})
