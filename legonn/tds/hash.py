"""``tds.Hash``: hash.lua's table of key/value pairs, as a Python container."""
from .elements import Container, converted, element, key_text


class Hash(Container):
    """``tds.Hash([tbl])``: a hash table of tds elements (numbers, strings, booleans, tds containers, tensors),
    as keys and as values.

    ``h[key]`` is the value, or None (Lua's nil) for a missing key; ``h[key] = value`` stores it and
    ``h[key] = None`` removes the key, as in Lua; ``len(h)`` is Lua's ``#h``, the number of pairs; iterating
    gives the keys, ``h.items()`` the pairs of Lua's ``pairs(h)``. Containers and tensors are keys by
    identity, as tds compares their pointers. ``tbl`` (a dict, or a list whose 0-based positions become
    keys) fills the hash, a None value being an absent key (Lua's nil field); lists and dicts inside it become
    ``tds.Vec`` and ``tds.Hash``.
    """
    typename = 'tds.Hash'

    def __init__(self, tbl=None):
        self._items = {}
        if tbl is None:
            return
        if isinstance(tbl, (list, tuple)):
            tbl = dict(enumerate(tbl))
        if not isinstance(tbl, dict):
            raise TypeError(f"tds.Hash: expected a dict (a Lua table) or nothing, got {type(tbl).__name__}")
        for key, value in tbl.items():
            # a Lua table holds no nil: `{x, category_id = ann.category}` with the field unset has no such key, so
            # hash.lua's `pairs(tbl)` never meets it (deepmask's DataSampler.lua:85); a None entry is that absent key
            if value is not None:
                self[converted(key, 'tds.Hash key')] = converted(value, f'tds.Hash[{key!r}]')

    @staticmethod
    def _key(key):
        if key is None:
            raise TypeError("tds.Hash: the key is None (Lua's 'hash index is nil')")
        return element(key, 'tds.Hash key')

    def __getitem__(self, key):
        return self._items.get(self._key(key))

    def __setitem__(self, key, value):
        key = self._key(key)
        if value is None:
            self._items.pop(key, None)
        else:
            self._items[key] = element(value, f'tds.Hash[{key!r}]')

    def __delitem__(self, key):
        self._items.pop(self._key(key), None)

    def __contains__(self, key):
        return self._key(key) in self._items

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def keys(self):
        return self._items.keys()

    def values(self):
        return self._items.values()

    def items(self):
        """The (key, value) pairs, Lua's ``pairs(h)`` (insertion order; tds's is its hash's)."""
        return self._items.items()

    def _labelled(self, n):
        """The first ``n`` pairs, each key as hash.lua's key2str writes it."""
        return [(key_text(k), v) for k, v in list(self._items.items())[:n]]

    def validateState(self):
        """For ``lg.load``: the saved pairs are a dict of tds elements."""
        if type(self._items) is not dict:
            raise TypeError(f"tds.Hash: its pairs must be a dict, got {type(self._items).__name__}")
        for key, value in self._items.items():
            if element(key, 'tds.Hash key') is not key or value is None:
                raise TypeError(f"tds.Hash: the key {key!r:.40} or its value {value!r:.40} is not a tds element")
            element(value, f'tds.Hash[{key!r:.40}]')
