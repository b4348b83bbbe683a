"""``require 'pl.tablex'``: Penlight's table functions on Python lists (Lua arrays) and dicts (tables with
keys).

Positions are **0-based**: ``find`` returns 0-based positions, ``sub(t, 0, 2)`` is the first three
values (both ends included, as Penlight's; negative positions count from the end, -1 being the last),
``index_by`` takes 0-based positions, ``keys`` of a list are ``0 .. n-1``. Iterating a table as Lua's
``pairs`` does walks a list's ``(position, value)`` and a dict's items. A function argument is a
callable or one of Penlight's operator strings (``'+'``, ``'=='``, ``'<'``, ``'..'``, ...; the
``'|x| x + 1'`` string lambdas, which are Lua source, are not provided). Tables hold Python values, so
``deepcopy`` copies lists and dicts and shares everything else (tensors included), as Penlight copies
tables only. Not provided: ``pairmap``, ``search``, ``readonly``, ``map_named_method`` (Python has
``[getattr(v, name)(...) for v in t]``).
"""
import builtins
import functools
import operator

from ..tensor.introspection import lua_type, pairs

__all__ = ['update', 'size', 'copy', 'deepcopy', 'deepcompare', 'compare', 'compare_no_order', 'find', 'rfind',
           'find_if', 'index_by', 'map', 'imap', 'transform', 'range', 'map2', 'imap2', 'reduce', 'foreach',
           'foreachi', 'mapn', 'zip', 'keys', 'values', 'index_map', 'makeset', 'merge', 'union', 'intersection',
           'difference', 'count_map', 'filter', 'icopy', 'move', 'sub', 'set', 'new', 'clear', 'insertvalues',
           'removevalues', 'sort', 'sortv']

# pl.operator's names for Lua's operators
_OPERATORS = {'+': operator.add, '-': operator.sub, '*': operator.mul, '/': operator.truediv, '%': operator.mod,
              '^': operator.pow, '..': lambda a, b: f'{a}{b}', '()': lambda f, *args: f(*args),
              '[]': operator.getitem, '<': operator.lt, '<=': operator.le, '>': operator.gt, '>=': operator.ge,
              '==': operator.eq, '~=': operator.ne, '#': len, 'and': lambda a, b: a and b,
              'or': lambda a, b: a or b, '{}': lambda *args: list(args), '~': operator.ne}

_TABLES = (list, dict)


def _function(where, n, fun):
    """``fun`` as a callable: itself, or the operator an operator string names."""
    if callable(fun):
        return fun
    if isinstance(fun, str) and fun in _OPERATORS:
        return _OPERATORS[fun]
    raise TypeError(f"tablex.{where}: argument {n} expected a callable or an operator string "
                    f"{sorted(_OPERATORS)}, got {fun!r}")


def _table(where, n, t):
    if not isinstance(t, _TABLES):
        raise TypeError(f"tablex.{where}: argument {n} expected a list or a dict, got {type(t).__name__}")
    return t


def _list(where, n, t):
    if not isinstance(t, (list, tuple)):
        raise TypeError(f"tablex.{where}: argument {n} expected a list, got {type(t).__name__}")
    return t


def _get(t, k):
    """Lua's ``t[k]``: None where there is no such key or position."""
    if isinstance(t, dict):
        return t.get(k)
    return t[k] if isinstance(k, int) and not isinstance(k, bool) and 0 <= k < len(t) else None


def _like(t, items):
    """A table of ``t``'s kind: a list when ``t`` is a list (values in key order), else a dict."""
    return [v for _, v in items] if isinstance(t, (list, tuple)) else dict(items)


def update(t1, t2):
    """Copy every key-value of ``t2`` into the dict ``t1`` (a list ``t1`` takes ``t2``'s positions);
    returns ``t1``."""
    _table('update', 0, t1)
    for k, v in pairs(_table('update', 1, t2)):
        if isinstance(t1, list) and k == len(t1):
            t1.append(v)
        else:
            t1[k] = v
    return t1


def size(t):
    """The number of keys of ``t`` (a list's length)."""
    return len(_table('size', 0, t))


def copy(t):
    """A shallow copy of ``t``."""
    return _table('copy', 0, t).copy()


def deepcopy(t):
    """A copy of ``t`` with every nested list and dict copied too (cycles kept as cycles); other values
    are shared."""
    return _deepcopy(t, {})


def _deepcopy(t, cache):
    if not isinstance(t, _TABLES):
        return t
    if id(t) in cache:
        return cache[id(t)]
    res = [] if isinstance(t, list) else {}
    cache[id(t)] = res
    for k, v in pairs(t):
        if isinstance(res, list):
            res.append(_deepcopy(v, cache))
        else:
            res[_deepcopy(k, cache)] = _deepcopy(v, cache)
    return res


def deepcompare(t1, t2, ignore_mt=False, eps=None):
    """Whether ``t1`` and ``t2`` hold the same keys with equal values, nested tables compared the same
    way; numbers within ``eps`` when given. ``ignore_mt`` is accepted (Python values have no metatables)."""
    return _deepcompare(t1, t2, eps, builtins.set())


def _deepcompare(t1, t2, eps, seen):
    if isinstance(t1, _TABLES) != isinstance(t2, _TABLES):
        return False
    if not isinstance(t1, _TABLES):
        if isinstance(t1, bool) or isinstance(t2, bool):   # Lua's true is not the number 1
            return t1 is t2
        if eps is not None and isinstance(t1, (int, float)) and isinstance(t2, (int, float)):
            return abs(t1 - t2) < eps
        if lua_type(t1) == 'userdata' or lua_type(t2) == 'userdata':
            return t1 is t2   # Lua's == of userdata (tensors, objects): the same one (a tensor's == is element-wise)
        return t1 == t2
    if (id(t1), id(t2)) in seen:
        return True
    keys1, keys2 = {k for k, _ in pairs(t1)}, {k for k, _ in pairs(t2)}
    if keys1 != keys2:
        return False
    seen.add((id(t1), id(t2)))
    return all(_deepcompare(v, _get(t2, k), eps, seen) for k, v in pairs(t1))


def compare(t1, t2, cmp):
    """Whether the lists have the same length and ``cmp(t1[i], t2[i])`` holds for each position."""
    _list('compare', 0, t1)
    _list('compare', 1, t2)
    cmp = _function('compare', 2, cmp)
    return len(t1) == len(t2) and all(cmp(a, b) for a, b in zip(t1, t2))


def compare_no_order(t1, t2, cmp=None):
    """Whether each value of list ``t1`` matches (``==`` or ``cmp``) a different value of list ``t2`` of
    the same length."""
    _list('compare_no_order', 0, t1)
    _list('compare_no_order', 1, t2)
    cmp = operator.eq if cmp is None else _function('compare_no_order', 2, cmp)
    if len(t1) != len(t2):
        return False
    visited = builtins.set()
    for val in t1:
        match = next((j for j, w in enumerate(t2) if j not in visited and cmp(val, w)), None)
        if match is None:
            return False
        visited.add(match)
    return True


def find(t, val, idx=0):
    """The first 0-based position at or after ``idx`` (negative: from the end) where list ``t`` holds
    ``val``, or None."""
    _list('find', 0, t)
    idx = len(t) + idx if idx < 0 else idx
    return next((i for i in builtins.range(max(idx, 0), len(t)) if t[i] == val), None)


def rfind(t, val, idx=None):
    """The last 0-based position at or before ``idx`` (default the end; negative: from the end) where
    list ``t`` holds ``val``, or None."""
    _list('rfind', 0, t)
    idx = len(t) - 1 if idx is None else (len(t) + idx if idx < 0 else idx)
    return next((i for i in builtins.range(min(idx, len(t) - 1), -1, -1) if t[i] == val), None)


def find_if(t, cmp, arg=None):
    """``(key, result)`` for the first value ``v`` of ``t`` whose ``cmp(v, arg)`` is true, or None."""
    cmp = _function('find_if', 1, cmp)
    for k, v in pairs(_table('find_if', 0, t)):
        c = cmp(v, arg)
        if c:
            return k, c
    return None


def index_by(tbl, idx):
    """``[tbl[i] for i in idx]``: 0-based positions of a list, keys of a dict (None where missing)."""
    _table('index_by', 0, tbl)
    return [_get(tbl, i) for i in _list('index_by', 1, idx)]


def map(fun, t, *args):
    """``fun(v, *args)`` for each value of ``t``, in a table of ``t``'s kind with the same keys."""
    fun = _function('map', 0, fun)
    return _like(t, [(k, fun(v, *args)) for k, v in pairs(_table('map', 1, t))])


def imap(fun, t, *args):
    """``fun(v, *args)`` for each value of list ``t``, None results written False (Penlight's ``or false``)."""
    fun = _function('imap', 0, fun)
    out = [fun(v, *args) for v in _list('imap', 1, t)]
    return [False if r is None else r for r in out]


def transform(fun, t, *args):
    """Replace each value ``v`` of ``t`` by ``fun(v, *args)``, in place."""
    fun = _function('transform', 0, fun)
    for k, v in list(pairs(_table('transform', 1, t))):
        t[k] = fun(v, *args)


def range(start, finish, step=1):
    """The numbers of Lua's ``for i = start, finish, step``: ``finish`` included when reached
    (``range(1, 5) == [1, 2, 3, 4, 5]``); ``[start]`` when they are equal, ``[]`` when ``step`` goes away
    from ``finish``."""
    if start == finish:
        return [start]
    if (start > finish and step > 0) or (finish > start and step < 0):
        return []
    if step == 0:
        raise ValueError("tablex.range: step must not be 0")
    # Lua's loop adds the step to the running value, so a fractional step's rounding accumulates as there
    # (range(0, 0.7, 0.1) reaches 0.7 in eight values where start + i * step stops at 0.6000000000000001)
    res, value = [], start
    while (value <= finish) if step > 0 else (value >= finish):
        res.append(value)
        value += step
    return res


def map2(fun, t1, t2, *args):
    """``fun(v, t2[k], *args)`` for each key ``k`` and value ``v`` of ``t1`` (None where ``t2`` lacks ``k``)."""
    fun = _function('map2', 0, fun)
    _table('map2', 2, t2)
    return _like(t1, [(k, fun(v, _get(t2, k), *args)) for k, v in pairs(_table('map2', 1, t1))])


def imap2(fun, t1, t2, *args):
    """``fun(t1[i], t2[i], *args)`` over the shorter list's positions."""
    fun = _function('imap2', 0, fun)
    return [fun(a, b, *args) for a, b in builtins.zip(_list('imap2', 1, t1), _list('imap2', 2, t2))]


def reduce(fun, t, memo=None):
    """Fold list ``t`` with ``fun`` from the left, starting from ``memo`` when given: ``reduce('+', [1, 2, 3])
    == 6``; ``memo`` (None when not given) for an empty list."""
    fun = _function('reduce', 0, fun)
    _list('reduce', 1, t)
    if not t:
        return memo
    res = fun(memo, t[0]) if memo is not None else t[0]
    for v in t[1:]:
        res = fun(res, v)
    return res


def foreach(t, fun, *args):
    """Call ``fun(v, k, *args)`` for each key and value of ``t``."""
    fun = _function('foreach', 1, fun)
    for k, v in list(pairs(_table('foreach', 0, t))):
        fun(v, k, *args)


def foreachi(t, fun, *args):
    """Call ``fun(v, i, *args)`` for each value of list ``t`` and its 0-based position."""
    fun = _function('foreachi', 1, fun)
    for i, v in enumerate(list(_list('foreachi', 0, t))):
        fun(v, i, *args)


def mapn(fun, *lists):
    """``fun(l0[i], l1[i], ...)`` over the shortest list's positions."""
    fun = _function('mapn', 0, fun)
    return [fun(*vals) for vals in builtins.zip(*lists)]


def zip(*lists):
    """``[[l0[i], l1[i], ...] for each i]`` over the shortest list's positions."""
    return [list(vals) for vals in builtins.zip(*lists)]


def keys(t):
    """The keys of ``t`` (a list's 0-based positions)."""
    return [k for k, _ in pairs(_table('keys', 0, t))]


def values(t):
    """The values of ``t``."""
    return [v for _, v in pairs(_table('values', 0, t))]


def index_map(t):
    """``{value: 0-based position}`` of list ``t``; a repeated value maps to the list of its positions
    (Penlight's pairmap gathers them)."""
    res = {}
    for i, v in enumerate(_list('index_map', 0, t)):
        if v not in res:
            res[v] = i
        elif isinstance(res[v], list):
            res[v].append(i)
        else:
            res[v] = [res[v], i]
    return res


def makeset(t):
    """``{value: True}`` of list ``t``."""
    return {v: True for v in _list('makeset', 0, t)}


def merge(t1, t2, dup=False):
    """A dict of ``t1``'s keys that ``t2`` holds with a true value (an intersection), or when ``dup`` of
    all keys of both, ``t2``'s value winning (a union)."""
    _table('merge', 0, t1)
    _table('merge', 1, t2)
    res = {k: v for k, v in pairs(t1) if dup or _get(t2, k) not in (None, False)}
    if dup:
        res.update(pairs(t2))
    return res


def union(t1, t2):
    """``merge(t1, t2, True)``."""
    return merge(t1, t2, True)


def intersection(t1, t2):
    """``merge(t1, t2, False)``."""
    return merge(t1, t2, False)


def difference(s1, s2, symm=False):
    """A dict of ``s1``'s keys missing from ``s2`` (and of ``s2``'s missing from ``s1`` when ``symm``)."""
    _table('difference', 0, s1)
    _table('difference', 1, s2)
    res = {k: v for k, v in pairs(s1) if _get(s2, k) is None}
    if symm:
        res.update((k, v) for k, v in pairs(s2) if _get(s1, k) is None)
    return res


def count_map(t, cmp='=='):
    """``{value: how many values of list t match it}``, a value equal (by ``cmp``) to an earlier one counted
    under the earlier."""
    cmp = _function('count_map', 1, cmp)
    res, seen = {}, builtins.set()
    for i, v in enumerate(_list('count_map', 0, t)):
        if v in seen:
            continue
        seen.add(v)
        res[v] = 1
        for w in t[i + 1:]:
            if cmp(v, w):
                res[v] += 1
                seen.add(w)
    return res


def filter(t, pred, arg=None):
    """The values ``v`` of list ``t`` for which ``pred(v, arg)`` is true."""
    pred = _function('filter', 1, pred)
    return [v for v in _list('filter', 0, t) if pred(v, arg)]


def _copy(dest, src, idest, isrc, nsrc, clean_tail):
    iend = len(src) if nsrc is None else isrc + min(nsrc, len(src) - isrc)
    chunk = list(src[isrc:iend])   # a copy first, so an overlapping move within one list reads the old values
    for offset, v in enumerate(chunk):
        if idest + offset < len(dest):
            dest[idest + offset] = v
        else:
            dest.append(v)
    if clean_tail:
        del dest[idest + len(chunk):]
    return dest


def icopy(dest, src, idest=0, isrc=0, nsrc=None):
    """Copy ``nsrc`` values (default all) of list ``src`` from 0-based ``isrc`` into ``dest`` from ``idest``,
    then cut ``dest`` after them; returns ``dest``."""
    return _copy(_list('icopy', 0, dest), _list('icopy', 1, src), idest, isrc, nsrc, True)


def move(dest, src, idest=0, isrc=0, nsrc=None):
    """As ``icopy``, leaving the rest of ``dest`` in place."""
    return _copy(_list('move', 0, dest), _list('move', 1, src), idest, isrc, nsrc, False)


def _slice(t, first, last):
    """0-based inclusive ``first``..``last`` (negative from the end, -1 the last) as a Python slice's ends."""
    n = len(t)
    first = 0 if first is None else (n + first if first < 0 else first)
    last = n - 1 if last is None else (n + last if last < 0 else last)
    return first, last + 1


def sub(t, first=None, last=None):
    """The values of list ``t`` from 0-based ``first`` to ``last``, both included (negative: from the end;
    defaults the whole list)."""
    start, stop = _slice(_list('sub', 0, t), first, last)
    return list(t[max(start, 0):max(stop, 0)])


def set(t, val, i1=0, i2=None):
    """Set 0-based positions ``i1`` to ``i2`` (inclusive, default the end) of list ``t`` to ``val``, or to
    ``val(i)`` when callable; positions past the end are appended."""
    _list('set', 0, t)
    i2 = len(t) - 1 if i2 is None else i2
    for i in builtins.range(i1, i2 + 1):
        v = val(i) if callable(val) else val
        if i < len(t):
            t[i] = v
        else:
            t.append(v)


def new(n, val):
    """A list of ``n`` values ``val`` (or ``val(i)`` for 0-based ``i`` when callable)."""
    res = []
    set(res, val, 0, n - 1)
    return res


def clear(t, istart=0):
    """Remove the values of list ``t`` from 0-based ``istart`` on."""
    del _list('clear', 0, t)[istart:]


def insertvalues(t, *args):
    """``insertvalues(t, values)`` appends the list ``values`` to ``t``; ``insertvalues(t, pos, values)``
    inserts them at 0-based ``pos``. Returns ``t``."""
    _list('insertvalues', 0, t)
    pos, vals = (len(t), args[0]) if len(args) == 1 else args
    t[pos:pos] = vals
    return t


def removevalues(t, i1=None, i2=None):
    """Remove 0-based positions ``i1`` to ``i2`` (inclusive; negative from the end) of list ``t``; returns ``t``."""
    start, stop = _slice(_list('removevalues', 0, t), i1, i2)
    del t[start:max(stop, start)]
    return t


def _less_key(f):
    return functools.cmp_to_key(lambda a, b: -1 if f(a, b) else (1 if f(b, a) else 0))


def sort(t, f=None):
    """An iterator over ``(key, value)`` of ``t`` in the order of its keys (``f`` a "less than" function)."""
    items = list(pairs(_table('sort', 0, t)))
    items.sort(key=(lambda kv: kv[0]) if f is None else lambda kv, k=_less_key(_function('sort', 1, f)): k(kv[0]))
    return iter(items)


def sortv(t, f='<'):
    """An iterator over ``(key, value)`` of ``t`` in the order of its values (``f`` a "less than" function)."""
    less = _less_key(_function('sortv', 1, f))
    return iter(sorted(pairs(_table('sortv', 0, t)), key=lambda kv: less(kv[1])))
