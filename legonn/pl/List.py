"""``require 'pl.List'``: Penlight's List, a Python list with Penlight's methods (``from legonn.pl.List
import List``; ``paths.require('pl.List').List``).

Positions are 0-based (``insert(0, x)`` puts ``x`` first, ``index`` returns a 0-based position or None,
``slice``/``chop``/``slice_assign`` take 0-based inclusive ends, negative from the end). Where Penlight's
method and Python's list method share a name, Penlight's meaning wins: ``remove(i)`` removes position
``i`` (``remove_value(x)`` removes a value), ``sort(cmp)`` takes a "less than" function, ``index`` gives
None when absent; mutating methods return the list so calls chain. ``str(List([1, 'a']))`` is
``{1,a}``. Not provided: ``foreachm``/``mapm`` (method names as strings), ``default_map_with``,
``iterate`` (Python iterates anything).
"""
import math

from ..tensor.introspection import tostring
from . import tablex, utils

__all__ = ['List']


class List(list):
    """A Penlight List: ``List()``, ``List(iterable)``; a string gives its characters."""
    # Penlight's __eq metamethod, which Lua's ``==`` (Tester's asserteq) calls: legonn.Tester reads it
    lua_eq = 'List'
    # torch.save writes a List as the plain array table it is (Penlight's metatable is no torch class): so do
    # lg.save and lg.serialize, and it loads as a list
    torch7_saves_as = list

    @classmethod
    def range(cls, start, finish=None, incr=1):
        """``List.range(n)`` is ``[1 .. n]`` (Penlight's), ``List.range(a, b, step)`` Lua's ``for`` numbers."""
        if finish is None:
            start, finish = 1, start
        if math.ceil(incr) != incr:
            # List.lua's eps: a fractional step's accumulated rounding still reaches finish (either direction)
            finish = finish + 1e-10
        return cls(tablex.range(start, finish, incr))

    @classmethod
    def split(cls, s, delim=None):
        """The pieces of ``s`` between matches of ``delim`` (a Python regex where Penlight takes a Lua pattern;
        default runs of white space), as List.lua's utils.split: a last empty piece is dropped and leading
        white space gives a first empty piece (stringx.split differs on both)."""
        return cls(utils.split(s, delim))

    def clone(self):
        """A new List with the same values."""
        return type(self)(self)

    def append(self, x):
        """Add ``x`` at the end; returns the list."""
        super().append(x)
        return self

    push = append

    def extend(self, values):
        """Add the values at the end; returns the list."""
        super().extend(values)
        return self

    def insert(self, i, x):
        """Insert ``x`` before 0-based position ``i``; returns the list."""
        super().insert(i, x)
        return self

    def put(self, x):
        """Insert ``x`` at the front; returns the list."""
        return self.insert(0, x)

    def remove(self, i):
        """Remove 0-based position ``i`` (Python's ``del s[i]``); returns the list."""
        del self[i]
        return self

    def remove_value(self, x):
        """Remove the first value equal to ``x``, if any; returns the list."""
        if x in self:
            super().remove(x)
        return self

    def pop(self, i=-1):
        """Remove and return the value at 0-based ``i`` (default the last)."""
        return super().pop(i)

    get = pop

    def index(self, x, idx=0):
        """The first 0-based position of ``x`` at or after ``idx``, or None."""
        return tablex.find(self, x, idx)

    def contains(self, x):
        """Whether the list holds ``x``."""
        return x in self

    def sort(self, cmp=None):
        """Sort in place, by ``<`` or a "less than" function ``cmp``; returns the list."""
        if cmp is None:
            super().sort()
        else:
            super().sort(key=tablex._less_key(tablex._function('List.sort', 0, cmp)))
        return self

    def sorted(self, cmp=None):
        """A sorted copy (see ``sort``)."""
        return self.clone().sort(cmp)

    def reverse(self):
        """Reverse in place; returns the list."""
        super().reverse()
        return self

    def minmax(self):
        """``(smallest, largest)`` value, compared against List.lua's starting bounds 1e70 and -1e70: an empty
        list gives ``(1e70, -1e70)``."""
        vmin, vmax = 1e70, -1e70
        for v in self:
            if v < vmin:
                vmin = v
            if v > vmax:
                vmax = v
        return vmin, vmax

    def slice(self, first=None, last=None):
        """A new List of 0-based positions ``first`` to ``last``, both included (negative: from the end)."""
        return type(self)(tablex.sub(self, first, last))

    def clear(self):
        """Remove every value; returns the list."""
        super().clear()
        return self

    def len(self):
        """The number of values."""
        return len(self)

    def chop(self, i1, i2):
        """Remove 0-based positions ``i1`` to ``i2``, both included; returns the list."""
        tablex.removevalues(self, i1, i2)
        return self

    def splice(self, idx, values):
        """Insert ``values`` before 0-based position ``idx``; returns the list."""
        self[idx:idx] = list(values)
        return self

    def slice_assign(self, i1, i2, seq):
        """Replace 0-based positions ``i1`` to ``i2`` (both included) by the values of ``seq``; returns the list."""
        start, stop = tablex._slice(self, i1, i2)
        self[start:max(stop, start)] = list(seq)
        return self

    def join(self, delim=''):
        """The values written as Lua's tostring writes them (numbers with %.14g) joined by ``delim``."""
        return delim.join(tostring(v) for v in self)

    concat = join

    def __str__(self):
        # List.lua's __tostring passes a quoting function to join, which takes only the delimiter since
        # Penlight 1.0.3: strings are written bare, as join writes them
        return '{' + self.join(',') + '}'

    def foreach(self, fun, *args):
        """Call ``fun(v, *args)`` for each value."""
        fun = tablex._function('List.foreach', 0, fun)
        for v in list(self):
            fun(v, *args)

    def filter(self, fun, arg=None):
        """A new List of the values ``v`` for which ``fun(v, arg)`` is true."""
        return type(self)(tablex.filter(self, fun, arg))

    def map(self, fun, *args):
        """A new List of ``fun(v, *args)``."""
        fun = tablex._function('List.map', 0, fun)
        return type(self)(fun(v, *args) for v in self)

    def transform(self, fun, *args):
        """Replace each value ``v`` by ``fun(v, *args)``; returns the list."""
        tablex.transform(fun, self, *args)
        return self

    def map2(self, fun, other, *args):
        """A new List of ``fun(self[i], other[i], *args)``."""
        return type(self)(tablex.imap2(fun, self, list(other), *args))

    def reduce(self, fun):
        """``tablex.reduce(fun, self)``."""
        return tablex.reduce(fun, self)

    def partition(self, fun, *args):
        """``{fun(v, *args): List of those v}``; a None class is the key ``'<nil>'``."""
        fun = tablex._function('List.partition', 0, fun)
        res = {}
        for v in self:
            klass = fun(v, *args)
            res.setdefault('<nil>' if klass is None else klass, type(self)()).append(v)
        return res

    def iter(self):
        """An iterator over the values."""
        return iter(self)
