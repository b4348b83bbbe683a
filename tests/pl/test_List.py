"""legonn.pl.List against Penlight's List.lua (tests/test-list.lua's cases, positions made 0-based)."""
from legonn.pl.List import List


def test_penlight_meanings_of_shared_names():
    """List.lua: remove(i) by position, remove_value(x), index (position or nil), insert/put, pop, sort with a
    less-than function; mutators return the list."""
    ls = List([10, 20, 30])
    assert ls.index(20) == 1 and ls.index(99) is None and ls.index(10, 1) is None
    assert ls.insert(0, 5) == [5, 10, 20, 30] and ls.remove(0) == [10, 20, 30]
    assert ls.remove_value(20) == [10, 30] and ls.remove_value(99) == [10, 30]
    assert ls.put(1).append(2).extend([3]) == [1, 10, 30, 2, 3]
    assert ls.pop() == 3 and ls.pop(0) == 1 and ls == [10, 30, 2]
    assert ls.sort() == [2, 10, 30] and ls.sort('>') == [30, 10, 2] and ls.sorted() == [2, 10, 30]
    assert ls.contains(10) and ls.minmax() == (2, 30) and ls.reverse() == [2, 10, 30]
    assert List().minmax() == (1e70, -1e70)   # List.lua starts from these bounds; Python's min would raise


def test_slices_range_split_and_text():
    """List.lua: slice/chop/splice/slice_assign (0-based, both ends), range (from 1 alone; Lua's for),
    split, join and __tostring."""
    ls = List([1, 2, 3, 4, 5])
    assert ls.slice(1, 2) == [2, 3] and ls.slice(-2) == [4, 5] and ls.slice(-4, -2) == [2, 3, 4]
    assert ls.clone().chop(1, 2) == [1, 4, 5] and ls.clone().splice(1, [9, 9]) == [1, 9, 9, 2, 3, 4, 5]
    assert ls.clone().slice_assign(1, 2, ['a']) == [1, 'a', 4, 5]
    assert List.range(4) == [1, 2, 3, 4] and List.range(0, 3) == [0, 1, 2, 3] and List.range(5, 1, -1) == \
        [5, 4, 3, 2, 1]
    # List.lua adds eps = 1e-10 to finish for a fractional step: 0.1 + 0.1 + 0.1 = 0.30000000000000004 is
    # kept, where a plain `for i = 0, 0.3, 0.1` stops before it; the eps also trims a descending range's end
    assert List.range(0, 0.3, 0.1) == [0, 0.1, 0.2, 0.1 + 0.1 + 0.1]
    assert List.range(1, 0, -0.5) == [1, 0.5]
    assert List.split('a b  c') == ['a', 'b', 'c'] and List.split('foo;bar;baz', ';') == ['foo', 'bar', 'baz']
    # List.split is utils.split (a pattern, the last empty piece dropped, no strip), not stringx.split
    assert List.split('a,b,', ',') == ['a', 'b'] and List.split(' a b') == ['', 'a', 'b']
    assert List.split('a1b22c', r'\d+') == ['a', 'b', 'c']
    # List.lua's __tostring hands join a quoting function that join (delimiter only) ignores: strings are bare
    assert List([1, 2.5, 'x']).join(',') == '1,2.5,x' and str(List([1, 'a', 2.5, True])) == '{1,a,2.5,true}'


def test_functional_methods():
    """List.lua: map, filter, map2, reduce, transform, partition ('<nil>' for a nil class), foreach."""
    ls = List([1, 2, 3, 4])
    assert ls.map('*', 2) == [2, 4, 6, 8] and isinstance(ls.map('*', 2), List)
    assert ls.filter('>', 2) == [3, 4] and ls.map2('+', [10, 20]) == [11, 22] and ls.reduce('+') == 10
    assert ls.partition(lambda x: x % 2 or None) == {1: [1, 3], '<nil>': [2, 4]}
    assert ls.clone().transform('-', 1) == [0, 1, 2, 3]
    seen = []
    ls.foreach(seen.append)
    assert seen == [1, 2, 3, 4] and list(ls.iter()) == ls and ls.len() == 4


def test_tester_asserteq_compares_penlight_tables_by_their_eq():
    """torch7's Tester.lua:199 ``asserteq`` is ``a == b``, which Lua answers with Penlight's ``__eq`` where both
    operands are Lists (List.lua:341, element by element with ``==``) or Maps/OrderedMaps (Map.lua:113, a deep
    compare): harvardnlp/lie-access-memory's tests/test_kwrap.lua asserts ``kmod:merge_inputs{...}`` equals
    ``List{5, 6, 1}`` so. Plain tables, and a List against an OrderedMap, stay compared by identity."""
    import legonn as lg
    from legonn.pl.OrderedMap import OrderedMap
    t = lg.Tester()
    t._currentTestName = 'eq'
    assert t.asserteq(List([5, 6, 1]), List([5, 6, 1]))
    assert t.asserteq(OrderedMap([{'x': 1}, {'y': List([2, 3])}]), OrderedMap([{'x': 1}, {'y': List([2, 3])}]))
    assert not t.asserteq(OrderedMap({'x': 1}), OrderedMap({'x': 2}))
    assert not t.asserteq(List([5, 6]), List([5, 7]))
    assert not t.asserteq([1], [1])                      # plain tables: identity, as Lua's ==
    assert not t.asserteq(List([]), OrderedMap())
    x = lg.zeros(2)
    assert t.asserteq(List([x]), List([x]))
    assert not t.asserteq(List([x]), List([x.clone()]))  # a tensor element by identity (userdata)
    assert not t.asserteq(List([[1]]), List([[1]]))      # List.__eq compares its entries with ==
    assert t.assertne(List([5, 6]), List([5, 7])) and not t.assertne(List([1]), List([1]))
