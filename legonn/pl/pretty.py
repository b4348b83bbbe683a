"""``require 'pl.pretty'``: Penlight's ``write`` and ``dump``, which print a table as Lua source text.

A list is a Lua array (its values written in order, ``{1,2,3}``), a dict a table with keys: keys that
are not numbers first, sorted by Lua type name then by text, then number keys in the dict's order
(``[0]=0``: a dict's keys are written as they are). Numbers are written as Lua 5.3 writes them: an
``int`` with ``%d``, a ``float`` with ``%.14g`` and a '.0' where that has no '.' (``1.0``, ``1.0e+100``;
LuaJIT, which has no integers, writes ``1``), ``Inf``, ``-Inf``, ``NaN``; strings as
``stringx.quote_string``. With ``not_clever`` every value is written with its key, a list's keys being
Lua's (1-based), so the text reads back in Lua as the same table. ``read`` parses a table of literal
values (what ``write`` writes) without running anything. Not provided: ``load`` (it runs Lua
statements), ``number`` (the memory-size formatter).
"""
import math
import re

from ..paths.dirs import Failure
from ..tensor.introspection import lua_type
from .stringx import quote_string
from .utils import writefile

__all__ = ['write', 'dump', 'read']

_LUA_KEYWORDS = frozenset('and break do else elseif end false for function goto if in local nil not or repeat '
                          'return then true until while'.split())


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
            named = sorted((k for k in t if lua_type(k) != 'number'), key=lambda k: (lua_type(k), _tostring(k)))
            entries = [(k, t[k]) for k in named] + [(k, v) for k, v in t.items() if lua_type(k) == 'number']
        elif not_clever:
            entries = [(i + 1, v) for i, v in enumerate(t)]   # Lua's own keys, so the text reads back
        else:
            entries = []
            for v in t:
                put(indent)
                writeit(v, indent, newindent)
        for key, val in entries:
            numkey = lua_type(key) == 'number'
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


# one alternative a line: blanks and comments (skipped), long strings, quoted strings, numbers, names, punctuation
_TOKEN = re.compile(r'''\s+|--\[(=*)\[.*?\]\1\]|--[^\n]*'''
                    r'''|(?P<long>\[(?P<eq>=*)\[.*?\](?P=eq)\])'''
                    r'''|(?P<str>"(?:[^"\\\n]|\\.|\\\n)*"|'(?:[^'\\\n]|\\.|\\\n)*')'''
                    r'''|(?P<num>-?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))'''
                    r'''|(?P<name>[A-Za-z_][A-Za-z0-9_]*)'''
                    r'''|(?P<punct>[{}\[\]=,;])''', re.S | re.A)   # ASCII: Lua's digits and blanks
_ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', 'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v', '\\': '\\', '"': '"',
            "'": "'", '\n': '\n'}
_CONSTANTS = {'true': True, 'false': False, 'nil': None}


def _unescape(body):
    """A quoted Lua string's text: its escapes (named, ``\\ddd`` decimal, ``\\xXX``, backslash-newline)."""
    def one(m):
        e = m.group(1)
        if '0' <= e[0] <= '9':
            return chr(int(e))
        if e[0] == 'x':
            return chr(int(e[1:], 16))
        return _ESCAPES.get(e, e)
    return re.sub(r'\\(\d{1,3}|x[0-9a-fA-F]{2}|.)', one, body, flags=re.S | re.A)


def _tokens(s):
    pos, out = 0, []
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if m is None:
            raise ValueError(f"unexpected {s[pos:pos + 10]!r} at character {pos}")
        pos = m.end()
        if m.group('long') is not None:
            text = m.group('long')[len(m.group('eq')) + 2:-len(m.group('eq')) - 2]
            out.append(('value', text[1:] if text.startswith('\n') else text))
        elif m.group('str') is not None:
            out.append(('value', _unescape(m.group('str')[1:-1])))
        elif m.group('num') is not None:
            out.append(('value', _tonumber(m.group('num'))))
        elif m.group('name') is not None:
            name = m.group('name')
            out.append(('value', _CONSTANTS[name]) if name in _CONSTANTS else ('name', name))
        elif m.group('punct') is not None:
            out.append(('punct', m.group('punct')))
    return out


def _tonumber(text):
    sign = -1 if text.startswith('-') else 1
    body = text.lstrip('-')
    if body[:2].lower() == '0x':
        return sign * int(body, 16)
    return sign * (int(body) if body.isdigit() else float(body))


def _parse_value(tokens, i):
    kind, value = tokens[i]
    if kind == 'value':
        return value, i + 1
    if (kind, value) == ('punct', '{'):
        return _parse_table(tokens, i + 1)
    raise ValueError(f"unexpected {value!r}: expected a value")


def _parse_table(tokens, i):
    """A table constructor's fields from just after its '{': a list when every field is positional, else
    a dict (positional fields under 0-based integer keys)."""
    positional, keyed = [], {}
    while True:
        kind, value = tokens[i]
        if (kind, value) == ('punct', '}'):
            return (positional if not keyed else {**dict(enumerate(positional)), **keyed}), i + 1
        if (kind, value) == ('punct', '['):
            key, i = _parse_value(tokens, i + 1)
            if tokens[i] != ('punct', ']') or tokens[i + 1] != ('punct', '='):
                raise ValueError("expected '] =' after a bracketed key")
            keyed[key], i = _parse_value(tokens, i + 2)
        elif kind == 'name' and tokens[i + 1] == ('punct', '='):
            keyed[value], i = _parse_value(tokens, i + 2)
        else:
            item, i = _parse_value(tokens, i)
            positional.append(item)
        if tokens[i] in (('punct', ','), ('punct', ';')):
            i += 1
        elif tokens[i] != ('punct', '}'):
            raise ValueError(f"unexpected {tokens[i][1]!r} in a table")


def read(s):
    """The table the Lua table constructor ``s`` writes (``write``'s text reads back), parsed, never run:
    only literal values (strings, numbers, true/false/nil, nested tables) are accepted. A table with only
    positional fields is a list, others a dict (positional fields under 0-based keys); a bracketed
    number key stays as written (``[1]=`` is the key 1). Returns the false ``(None, message)`` for text
    that is not a table or holds anything else (an expression, a function), as Penlight's nil, error."""
    if not isinstance(s, str):
        raise TypeError(f"pretty.read: expected a string, got {type(s).__name__}")
    try:
        tokens = _tokens(s)
        if not tokens or tokens[0] != ('punct', '{'):
            return Failure((None, 'not a Lua table'))
        tokens.append(('end', None))
        value, i = _parse_table(tokens, 1)
        if tokens[i][0] != 'end':
            raise ValueError(f"unexpected {tokens[i][1]!r} after the table")
        return value
    except (ValueError, IndexError, KeyError) as err:
        return Failure((None, f"pretty.read: {err}"))
