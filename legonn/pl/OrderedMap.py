"""``require 'pl.OrderedMap'``: Penlight's OrderedMap, a dict whose key order ``insert`` and ``sort`` can
change (``from legonn.pl.OrderedMap import OrderedMap``).

Keys keep the order they were set in (as every Python dict); ``set(k, None)`` removes ``k``, as setting
a Lua field to nil; ``insert(pos, k, v)`` puts ``k`` at 0-based ``pos``; ``keys()``/``values()`` are
Lists; ``iter()`` yields ``(key, value)``. A list of one-pair dicts builds it in order:
``OrderedMap([{'a': 1}, {'b': 2}])``. ``str`` gives Penlight's ``{a=1,b="x"}``.
"""
from ..tensor.introspection import tostring
from . import tablex
from .List import List

__all__ = ['OrderedMap']


class OrderedMap(dict):
    """``OrderedMap()``, ``OrderedMap(dict_or_ordered_map)``, ``OrderedMap([{k1: v1}, {k2: v2}, ...])``."""
    # Penlight's __eq metamethod, which Lua's ``==`` (Tester's asserteq) calls: legonn.Tester reads it
    lua_eq = 'Map'
    # torch.save writes an OrderedMap as a plain table (Penlight's metatable is no torch class): so do lg.save and
    # lg.serialize, and it loads as a dict of the entries in order
    torch7_saves_as = dict

    def __init__(self, t=None):
        super().__init__()
        if t is not None:
            self.update(t)

    def update(self, t):
        """Set each pair of ``t`` (a dict, an OrderedMap, or a list of one-pair dicts) in order; returns self."""
        if isinstance(t, dict):
            pairs = list(t.items())
        elif isinstance(t, (list, tuple)) and all(isinstance(p, dict) for p in t):
            if any(len(p) == 0 for p in t):
                raise ValueError("OrderedMap.update: empty pair initialization table")
            pairs = [next(iter(p.items())) for p in t]
        else:
            raise TypeError("OrderedMap.update: expected a dict or a list of {key: value} dicts "
                            f"(an array cannot initialize an OrderedMap), got {type(t).__name__}")
        for k, v in pairs:
            self.set(k, v)
        return self

    def set(self, key, val):
        """Set ``key`` to ``val`` (a new key goes last; None removes the key); returns self."""
        if val is None:
            self.pop(key, None)
        else:
            self[key] = val
        return self

    def insert(self, pos, key, val=None):
        """Move (or add) ``key`` to 0-based position ``pos``, with ``val`` or its current value; returns self."""
        val = self.get(key) if val is None else val
        if val is None:
            return self
        items = [(k, v) for k, v in self.items() if k != key]
        items.insert(pos, (key, val))
        self._reorder(items)
        return self

    def _reorder(self, items):
        super().clear()
        for k, v in items:
            self[k] = v

    def keys(self):
        """The keys in order, as a List."""
        return List(super().keys())

    def values(self):
        """The values in key order, as a List."""
        return List(super().values())

    def sort(self, cmp=None):
        """Reorder the keys by ``<`` or a "less than" function ``cmp``; returns self."""
        key = None if cmp is None else tablex._less_key(tablex._function('OrderedMap.sort', 0, cmp))
        order = sorted(super().keys(), key=key)
        self._reorder([(k, self[k]) for k in order])
        return self

    def iter(self):
        """An iterator over ``(key, value)`` in order."""
        return iter(list(self.items()))

    def __str__(self):
        return '{' + ','.join(f'{tostring(k)}=' + (tostring(v) if isinstance(v, (int, float)) and
                                                    not isinstance(v, bool) else f'"{tostring(v)}"')
                              for k, v in self.items()) + '}'
