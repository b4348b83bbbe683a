"""``require 'pl.<name>'``: Penlight's modules Torch7 scripts use, one Python module each.

``from legonn.pl import stringx, tablex, path as plpath`` or ``lg.pl.stringx``. Lua arrays are Python lists
(positions 0-based, as every legonn index), tables with keys are dicts, ``nil`` is None. Where Penlight
takes a Lua pattern (``utils.split``'s separator when not plain) it takes a Python regex.

Provided: ``stringx``, ``utils`` (split, splitv, printf, fprintf, readfile, writefile, readlines,
assert_arg, assert_string, quit), ``path``, ``file``, ``dir``, ``tablex``, ``pretty`` (write, dump, read),
``lapp``, ``List`` and ``OrderedMap`` (modules holding the class of that name: ``from legonn.pl.List
import List``), ``data`` (read, new, write: delimited tables, without the query language). Not provided:
``pl.class`` (a Python class is the port), ``pl.template``, ``pl.func``, ``pl.comprehension``, ``pl.lexer``,
``pretty.load`` and ``data``'s queries (they compile or run Lua source), ``pl.seq``, ``pl.Map``/``Set``/``MultiMap`` (Python's dict, set and ``itertools`` do their
jobs), ``pl.sip`` (lapp's patterns are written as Python regexes inside it), ``pl.app``, ``pl.config``,
``pl.input``, ``pl.operator``, ``pl.types``, ``pl.compat``, ``pl.Date``, ``pl.text``, ``pl.xml``,
``pl.url``, ``pl.strict``, ``pl.test``.
``import_into()`` is ``require('pl.import_into')()``: this package, whose modules load when first read.
"""
import importlib
import sys

_MODULES = ('stringx', 'utils', 'path', 'file', 'dir', 'tablex', 'pretty', 'lapp', 'List', 'OrderedMap', 'data')


def import_into():
    """``require('pl.import_into')()``: Penlight's lua/pl/import_into.lua returns a function whose result is a
    table that requires each ``pl.<name>`` module when it is first read (its ``gmt.__index``), so that
    ``pl.utils.printf`` works as kaishengtai/neuralart's main.lua writes it; this package already loads its
    modules so, and is that table. (The function's optional table to fill is not taken.)"""
    return sys.modules[__name__]


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f'{__name__}.{name}')
    raise AttributeError(f"module 'legonn.pl' has no attribute {name!r}")
