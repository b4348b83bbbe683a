"""``tds.Vec``: vec.lua's vector, indexed from 0 where Lua's starts at 1."""
import functools

import numpy as np

from ..tensor.indexing import is_whole
from ..tensor.storage import CharStorage
from ..tensor.tester import tostring
from .elements import Container, converted, element


def _whole(value, what):
    """``value`` as an int when it is a whole number (Lua has one number type), else a TypeError."""
    if is_whole(value):
        return int(value)
    raise TypeError(f"tds.Vec: {what} must be an integer, got {value!r:.40}")


class Vec(Container):
    """``tds.Vec(...)``: a vector of tds elements (numbers, strings, booleans, tds containers, tensors) and
    None (Lua's nil), **indexed from 0** (Lua's ``d[1]`` is ``d[0]``).

    ``tds.Vec(a, b, c)`` holds its arguments; ``tds.Vec(list)`` the list's items (lists and dicts inside
    become ``tds.Vec`` and ``tds.Hash``). ``d[i]`` reads (an index past the end is an IndexError, where tds
    returns nil, so a forgotten shift fails); ``d[i] = v`` writes, growing the vector with None up to ``i``
    as tds does; a negative index counts from the end. ``len(d)`` is Lua's ``#d`` (None entries count);
    iterating gives the values (``enumerate(d)`` is Lua's ``ipairs(d)``).
    """
    typename = 'tds.Vec'

    def __init__(self, *values):
        if len(values) == 1 and isinstance(values[0], (list, tuple)):
            values = values[0]
        self._items = [None if v is None else converted(v, f'tds.Vec[{i}]') for i, v in enumerate(values)]

    def _index(self, index, what, stop):
        """``index`` made non-negative and checked against ``stop`` (exclusive), an IndexError beyond it."""
        i = _whole(index, what)
        if i < 0:
            i += len(self._items)
        if not 0 <= i < stop:
            raise IndexError(f"tds.Vec: {what} {index} is outside 0 .. {stop - 1} (0-based; the vector has "
                             f"{len(self._items)} elements)")
        return i

    def __getitem__(self, index):
        return self._items[self._index(index, 'index', len(self._items))]

    def __setitem__(self, index, value):
        i = _whole(index, 'index')
        i = self._index(i, 'index', len(self._items)) if i < 0 else i
        value = None if value is None else element(value, f'tds.Vec[{i}]')
        if i >= len(self._items):
            self._items.extend([None] * (i + 1 - len(self._items)))
        self._items[i] = value

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def insert(self, *args):
        """``insert(value)`` appends; ``insert(index, value)`` puts ``value`` at ``index`` (0 .. len),
        shifting up the elements from there (vec.lua's ``insert([index], value)``)."""
        if len(args) not in (1, 2):
            raise TypeError(f"tds.Vec.insert: expected ([index,] value), got {len(args)} arguments")
        index = len(self._items) if len(args) == 1 else self._index(args[0], 'insert index',
                                                                      len(self._items) + 1)
        value = args[-1]
        self._items.insert(index, None if value is None else element(value, f'tds.Vec[{index}]'))

    def remove(self, index=None):
        """Remove the element at ``index`` (default: the last), shifting down those above it: vec.lua's
        ``remove([index])``, by position (not Python's ``list.remove`` by value)."""
        if index is None and not self._items:
            raise IndexError("tds.Vec.remove: the vector is empty")
        del self._items[len(self._items) - 1 if index is None else self._index(index, 'index', len(self._items))]

    def resize(self, size):
        """Make the vector ``size`` long: new entries are None, entries past ``size`` are dropped."""
        size = _whole(size, 'size')
        if size < 0:
            raise ValueError(f"tds.Vec.resize: size must be >= 0, got {size}")
        del self._items[size:]
        self._items.extend([None] * (size - len(self._items)))

    def sort(self, compare):
        """Sort in place by ``compare(a, b)``, true when ``a`` comes before ``b`` (None entries are passed
        as None), as vec.lua's sort with a Lua function."""
        if not callable(compare):
            raise TypeError(f"tds.Vec.sort: compare must be a function of two elements, got {compare!r:.40}")
        self._items.sort(key=functools.cmp_to_key(lambda a, b: -1 if compare(a, b) else 1))

    def concat(self, sep=None, i=None, j=None):
        """The elements ``i`` to ``j`` (0-based, both included; default all) as Lua's ``tostring`` writes them,
        joined by ``sep`` (default none)."""
        if sep is not None and not isinstance(sep, str):
            raise TypeError(f"tds.Vec.concat: sep must be a string, got {type(sep).__name__}")
        i = 0 if i is None else _whole(i, 'i')
        j = len(self._items) - 1 if j is None else _whole(j, 'j')
        if i <= j:
            self._index(i, 'i', len(self._items))
            self._index(j, 'j', len(self._items))
        return (sep or '').join(tostring(v) for v in self._items[i:j + 1])

    def concatstorage(self, sep=None, i=None, j=None):
        """``concat``'s text as the bytes of a CharStorage (UTF-8)."""
        raw = self.concat(sep, i, j).encode('utf-8', 'surrogateescape')
        return CharStorage(np.frombuffer(raw, dtype=np.int8).copy())

    def _labelled(self, n):
        """The first ``n`` entries, each labelled with its position (0-based) as vec.lua's ``%5d``."""
        return [(f'{k:5d}', v) for k, v in enumerate(self._items[:n])]

    def validateState(self):
        """For ``lg.load``: the saved entries are a list of tds elements and None."""
        if type(self._items) is not list:
            raise TypeError(f"tds.Vec: its entries must be a list, got {type(self._items).__name__}")
        for i, value in enumerate(self._items):
            if value is not None:
                element(value, f'tds.Vec[{i}]')
