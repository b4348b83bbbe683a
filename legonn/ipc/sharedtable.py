"""torch-ipc's ``ipc.sharedtable([tbl, move])``: one table the threads of a process read and write through
copies (src/sharedtable.c keeps it in a Lua state of its own and (de)serializes every get and set).

    t = ipc.sharedtable([2, 3, 4])       # a list gives keys 0, 1, 2 (a Lua array's 1, 2, 3)
    t[0] = t[0] + 1; t['k'] = {'a': 1}   # each set stores a copy, each get returns a fresh one
    t['k']['a'] = 2                      # changes that copy only: t['k']['a'] is still 1 (nest sharedtables)
    len(t); t[99]                        # 4 (every key, as sharedtable_len counts); None for a missing key
    for k, v in t.items(): ...           # pairs(t)

A missing key reads as None and setting None removes a key, as a Lua table; ``tbl`` (a dict or a list) is
copied in, or with ``move`` moved: ``tbl`` is left empty. Values are copied as legonn.ipc.values says
(tensors and handles shared, closures refused). Every get and set is atomic; a read-modify-write needs an
``ipc.mutex``, as torch-ipc's. ``ipc.sharedtable_size(t)`` is an estimate of the kilobytes the table holds
(torch-ipc's is its Lua state's heap in kilobytes): it grows with what is stored. Threads only."""
import sys
import threading

from legonn.ipc.values import ProcessLocal, copy_value
from legonn.tensor.naming import TorchNamed


class SharedTable(ProcessLocal, TorchNamed):
    """See the module's docstring. ``requires``, ``size`` and ``size_increment`` (sharedtable.c's Lua code to
    run in the table's state and its buffer's bytes) are accepted and unused."""
    __slots__ = ('_table', '_lock')

    def __init__(self, tbl=None, move=False, requires=None, size=None, size_increment=None):
        if tbl is not None and not isinstance(tbl, (dict, list)):
            raise TypeError(f"legonn.ipc.sharedtable: arg #1 expected to be a table (dict or list) or None, "
                            f"got {type(tbl).__name__}")
        self._lock = threading.Lock()
        items = tbl.items() if isinstance(tbl, dict) else enumerate(tbl or ())
        if move:     # each item is handed over and the source emptied (sharedtable.c's move=true)
            self._table = dict(items)
            tbl.clear()
        else:
            self._table = {k: copy_value(v, False, 'legonn.ipc.sharedtable') for k, v in items}

    def __getitem__(self, key):
        with self._lock:
            value = self._table.get(key)
            return copy_value(value, False, 'legonn.ipc.sharedtable[key]')

    def __setitem__(self, key, value):
        value = copy_value(value, False, 'legonn.ipc.sharedtable[key] = value')
        with self._lock:
            if value is None:
                self._table.pop(key, None)
            else:
                self._table[key] = value

    def __len__(self):
        with self._lock:
            return len(self._table)

    def items(self):
        """``pairs(t)``: the (key, copy of the value) pairs of a snapshot of the table."""
        with self._lock:
            snapshot = list(self._table.items())
        return [(k, copy_value(v, False, 'legonn.ipc.sharedtable.items')) for k, v in snapshot]

    def keys(self):
        """The keys of a snapshot of the table."""
        with self._lock:
            return list(self._table)

    def __iter__(self):
        return iter(self.keys())

    def __contains__(self, key):
        with self._lock:
            return key in self._table

    def __repr__(self):
        return f'ipc.sharedtable({len(self)} keys)'


def _footprint(value, seen):
    """Bytes of ``value`` and of the containers' items (each object once)."""
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(_footprint(k, seen) + _footprint(v, seen) for k, v in value.items())
    elif isinstance(value, (list, tuple, set, frozenset)):
        size += sum(_footprint(v, seen) for v in value)
    return size


def sharedtable_size(t):
    """An estimate of the kilobytes ``t``'s contents take (see the module's docstring)."""
    if not isinstance(t, SharedTable):
        raise TypeError(f"legonn.ipc.sharedtable_size: expected an ipc.sharedtable, got {type(t).__name__}")
    with t._lock:
        return _footprint(t._table, set()) / 1024


sharedtable = SharedTable
