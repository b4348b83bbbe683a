"""legonn.pl.OrderedMap against Penlight's OrderedMap.lua (tests/test-orderedmap.lua's cases)."""
import pytest

from legonn.pl.OrderedMap import OrderedMap


def test_order_set_insert_sort():
    """OrderedMap.lua: pairs given as one-pair tables keep their order; set(k, nil) removes; insert moves a
    key to a (0-based) position; sort reorders; keys/values are Lists; __tostring."""
    m = OrderedMap([{'c': 3}, {'b': 2}, {'a': 1}])
    assert m.keys() == ['c', 'b', 'a'] and m.values() == [3, 2, 1]
    m.set('d', 'x')
    assert list(m.iter()) == [('c', 3), ('b', 2), ('a', 1), ('d', 'x')]
    assert str(m) == '{c=3,b=2,a=1,d="x"}'
    assert m.insert(0, 'a').keys() == ['a', 'c', 'b', 'd'] and m.insert(1, 'z', 26).keys() == ['a', 'z', 'c', 'b', 'd']
    assert m.set('z', None).keys() == ['a', 'c', 'b', 'd']
    assert m.sort().keys() == ['a', 'b', 'c', 'd'] and m.sort('>').keys() == ['d', 'c', 'b', 'a']
    with pytest.raises(TypeError, match='an array cannot initialize an OrderedMap'):
        OrderedMap([1, 2])
    with pytest.raises(ValueError, match='empty pair'):
        OrderedMap([{}])
