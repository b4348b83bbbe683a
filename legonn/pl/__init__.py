"""``require 'pl.<name>'``: Penlight's modules Torch7 scripts use, one Python module each.

``from legonn.pl import stringx, tablex, path as plpath`` or ``lg.pl.stringx``. Lua arrays are Python lists
(positions 0-based, as every legonn index), tables with keys are dicts, ``nil`` is None. Where Penlight
takes a Lua pattern (``utils.split``'s separator when not plain) it takes a Python regex.

Provided: ``stringx``, ``utils`` (split, splitv, printf, fprintf, readfile, writefile, readlines,
assert_arg, assert_string, quit), ``path``, ``file``, ``dir``, ``tablex``, ``pretty`` (write, dump) and
``lapp``. Not provided: ``pl.template``, ``pl.data``, ``pl.seq``, ``pl.func``, ``pl.comprehension``,
``pl.lexer``, ``pl.sip``, ``pl.List``, ``pl.OrderedMap``, ``pl.class`` and ``pretty.read``/``load``
(which run Lua source).
"""
import importlib

_MODULES = ('stringx', 'utils', 'path', 'file', 'dir', 'tablex', 'pretty', 'lapp')


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f'{__name__}.{name}')
    raise AttributeError(f"module 'legonn.pl' has no attribute {name!r}")
