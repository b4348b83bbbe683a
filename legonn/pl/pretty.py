"""``require 'pl.pretty'``: Penlight's ``write`` and ``dump``, which print a table as Lua source text.

A list is a Lua array (its values written in order, ``{1,2,3}``), a dict a table with keys: keys that
are not numbers first, sorted by Lua type name then by text, then number keys in the dict's order
(``[0]=0``: a dict's keys are written as they are). Numbers are written as Lua 5.3 writes them: an
``int`` with ``%d``, a ``float`` with ``%.14g`` and a '.0' where that has no '.' (``1.0``, ``1.0e+100``;
LuaJIT, which has no integers, writes ``1``), ``Inf``, ``-Inf``, ``NaN``; strings as
``stringx.quote_string``. With ``not_clever`` every value is written with its key, a list's keys being
Lua's (1-based), so the text reads back in Lua as the same table. Not provided: ``read`` and ``load``
(they run Lua source), ``number`` (the memory-size formatter).
"""
import math
import re

from .stringx import quote_string
from .utils import writefile

__all__ = ['write', 'dump']

_LUA_KEYWORDS = frozenset('and break do else elseif end false for function goto if in local nil not or repeat '
                          'return then true until while'.split())


def _lua_type(value):
    if value is None:
        return 'nil'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, (list, tuple, dict)):
        return 'table'
    return 'userdata'


def _tostring(value):
    """pretty.lua's tostring: numbers as Lua 5.3 writes them, NaN / Inf / -Inf by name, others as Lua's."""
    if value is None:
        return 'nil'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        return '%d' % value
    if isinstance(value, float):
        if math.isnan(value):
            return 'NaN'
        if math.isinf(value):
            return 'Inf' if value > 0 else '-Inf'
        res = '%.14g' % value
        return res if '.' in res else re.sub(r'\d+', lambda m: m.group() + '.0', res, count=1)
    return str(value)


def _is_identifier(key):
    return isinstance(key, str) and re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', key) is not None and \
        key not in _LUA_KEYWORDS


def _index(numkey, key):
    """A key in brackets; a string key quoted (spaced when its quoting starts with a long bracket)."""
    if not numkey:
        key = quote_string(key)
        key = f' {key} ' if key.startswith('[') else key
    return f'[{key}]'


def write(tbl, space='  ', not_clever=False):
    """Lua source text for ``tbl`` (a list or dict, nested): one entry a line indented by ``space`` per
    level, or all on one line without spaces when ``space`` is ''; a table met again inside itself is
    ``<cycle>``. A string gives its quoted form; another value ``(text, 'not a table')``, as Penlight's
    two results."""
    if not isinstance(tbl, (list, tuple, dict)):
        if isinstance(tbl, str):
            return quote_string(tbl)
        return _tostring(tbl), 'not a table'
    space = '  ' if space is None else space
    setter = '=' if space == '' else ' = '
    lines, line, active = [], [''], set()

    def put(s):
        line[0] += s

    def putln(s):
        lines.append(line[0] + s)
        line[0] = ''

    def eat_last_comma():
        if lines[-1].endswith(','):
            lines[-1] = lines[-1][:-1]

    def writeit(t, oldindent, indent):
        if isinstance(t, str):
            putln(quote_string(t) + ',')
            return
        if not isinstance(t, (list, tuple, dict)):
            text = _tostring(t)
            putln((quote_string(text) if ' ' in text else text) + ',')
            return
        if id(t) in active:
            putln('<cycle>,')
            return
        active.add(id(t))
        newindent = indent + space
        putln('{')
        if isinstance(t, dict):
            named = sorted((k for k in t if _lua_type(k) != 'number'), key=lambda k: (_lua_type(k), _tostring(k)))
            entries = [(k, t[k]) for k in named] + [(k, v) for k, v in t.items() if _lua_type(k) == 'number']
        elif not_clever:
            entries = [(i + 1, v) for i, v in enumerate(t)]   # Lua's own keys, so the text reads back
        else:
            entries = []
            for v in t:
                put(indent)
                writeit(v, indent, newindent)
        for key, val in entries:
            numkey = _lua_type(key) == 'number'
            if not_clever:
                key = _index(numkey, _tostring(key))
            else:
                key = key if isinstance(key, str) else _tostring(key)
                if numkey or not _is_identifier(key):
                    key = _index(numkey, key)
            put(indent + key + setter)
            writeit(val, indent, newindent)
        active.discard(id(t))
        eat_last_comma()
        putln(oldindent + '},')

    writeit(tbl, '', space)
    eat_last_comma()
    return ('\n' if space else '').join(lines)


def dump(t, filename=None):
    """Print ``write(t)``, or write it to ``filename``: True, or the false ``(None, message)``."""
    if filename is None:
        print(write(t))
        return True
    return writefile(filename, write(t))
