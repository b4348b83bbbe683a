"""``require 'pl.stringx'``: Penlight's Python-style string functions, with Penlight's results.

Positions are 0-based (``lfind``/``rfind`` return the 0-based start, ``at(s, 0)`` is the first character);
a Lua ``List`` result is a Python list; character classes are ASCII, as Lua's. Not provided:
``Template``, ``wrap``/``fill``, ``indent``/``dedent``, ``format_operator`` (Python has ``%`` and
``string.Template``).
"""
import math
import re
import string

from . import utils
from ..tensor.introspection import LUA_SPACE, tostring
from .utils import assert_arg, assert_string

__all__ = ['isalpha', 'isdigit', 'isalnum', 'isspace', 'islower', 'isupper', 'startswith', 'endswith', 'join',
           'splitlines', 'split', 'splitv', 'expandtabs', 'lfind', 'rfind', 'replace', 'count', 'ljust', 'rjust',
           'center', 'lstrip', 'rstrip', 'strip', 'partition', 'rpartition', 'at', 'lines', 'title', 'capitalize',
           'shorten', 'quote_string']


def _whole(pattern):
    return lambda s: re.fullmatch(pattern, assert_string(0, s)) is not None


isalpha = _whole('[A-Za-z]+')
isalpha.__doc__ = "Whether ``s`` is one or more ASCII letters."
isdigit = _whole('[0-9]+')
isdigit.__doc__ = "Whether ``s`` is one or more digits."
isalnum = _whole('[A-Za-z0-9]+')
isalnum.__doc__ = "Whether ``s`` is one or more ASCII letters or digits."
isspace = _whole(f'[{LUA_SPACE}]+')
isspace.__doc__ = "Whether ``s`` is one or more whitespace characters."
islower = _whole(f'[a-z{LUA_SPACE}]+')
islower.__doc__ = "Whether ``s`` is lower-case letters and whitespace only (Penlight lets spaces through)."
isupper = _whole(f'[A-Z{LUA_SPACE}]+')
isupper.__doc__ = "Whether ``s`` is upper-case letters and whitespace only."


def _affixes(where, s, affixes, test):
    assert_string(0, s)
    if isinstance(affixes, str):
        return test(affixes)
    if isinstance(affixes, (list, tuple)):
        return any(test(a) for a in affixes)
    raise TypeError(f"stringx.{where}: argument 1 expected a 'string' or a 'table', got {type(affixes).__name__}")


def startswith(s, prefix):
    """Whether ``s`` starts with ``prefix`` or with one of a list of prefixes."""
    return _affixes('startswith', s, prefix, s.startswith)


def endswith(s, suffix):
    """Whether ``s`` ends with ``suffix`` or with one of a list of suffixes."""
    return _affixes('endswith', s, suffix, s.endswith)


def join(s, seq):
    """The strings (or numbers) of ``seq`` joined with ``s`` between them (Lua's table.concat)."""
    assert_string(0, s)
    return s.join(x if isinstance(x, str) else _concat_item(x) for x in seq)


def _concat_item(value):
    """A number as table.concat writes it (Lua's tostring: integers bare, floats as %.14g)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"stringx.join: expected strings or numbers, got {type(value).__name__}")
    return tostring(value)


def splitlines(s, keep_ends=False):
    """The lines of ``s``, split at ``\\r``, ``\\n`` and ``\\r\\n`` (kept when ``keep_ends``); a final line end
    makes no empty line, and an empty string gives ``[]``."""
    assert_string(0, s)
    out, pos = [], 0
    for end in re.finditer(r'\r\n|\r|\n', s):
        out.append(s[pos:end.end() if keep_ends else end.start()])
        pos = end.end()
    return out + [s[pos:]] if pos < len(s) else out


def split(s, re_=None, n=None):
    """Split ``s`` at the text ``re_`` (default: runs of whitespace, leading whitespace ignored) into at
    most ``n`` pieces. Unlike utils.split, a separator at the end gives a last empty piece:
    ``split('a,b,', ',') == ['a', 'b', '']``; ``split('one,two,three', ',', 2) == ['one', 'two,three']``."""
    assert_string(0, s)
    plain = True
    if re_ is None:
        s, plain = lstrip(s), False
    pieces = utils.split(s, re_, plain, n)
    if re_ and s.endswith(re_) and (n if n is not None else math.inf) > len(pieces):
        pieces.append('')
    return pieces


def splitv(s, re_=None):
    """``utils.splitv(s, re_)``: the pieces as a tuple (``re_`` a Python regex)."""
    assert_string(0, s)
    return utils.splitv(s, re_)


def expandtabs(s, tabsize=8):
    """``s`` with each tab replaced by spaces up to the next multiple of ``tabsize`` (counted from the last
    line end or tab); ``tabsize`` 0 removes tabs."""
    assert_string(0, s)
    return re.sub(r'([^\t\r\n]*)\t',
                  lambda m: m.group(1) + ('' if tabsize == 0 else ' ' * (tabsize - len(m.group(1)) % tabsize)), s)


def lfind(s, sub, first=None, last=None):
    """The 0-based start of the first ``sub`` in ``s`` at or after ``first`` ending by ``last`` (0-based,
    inclusive), or None."""
    assert_string(0, s)
    assert_string(1, sub)
    i = s.find(sub, first or 0)
    return i if i >= 0 and (last is None or i + len(sub) - 1 <= last) else None


def rfind(s, sub, first=None, last=None):
    """The 0-based start of the last ``sub`` in ``s`` at or after ``first`` ending by ``last`` (0-based,
    inclusive), or None; an empty ``sub`` gives ``len(s)``, as Penlight's."""
    assert_string(0, s)
    assert_string(1, sub)
    return _find_all(s, sub, first, last, True)[0]


def _find_all(s, sub, first, last, overlap):
    """The 0-based start of the last match and the number of matches (overlapping or not) in range."""
    first = first or 0
    end = len(s) if last is None else last + 1
    if sub == '':
        return end, end - first
    found, k, i = None, 0, s.find(sub, first)
    while i >= 0 and i + len(sub) <= end:
        found, k = i, k + 1
        i = s.find(sub, i + (1 if overlap else len(sub)))
    return found, k


def replace(s, old, new, n=None):
    """``s`` with the first ``n`` (default all) occurrences of the text ``old`` replaced by ``new``."""
    assert_string(0, s)
    assert_string(1, old)
    assert_string(2, new)
    return s.replace(old, new, -1 if n is None else n)


def count(s, sub, allow_overlap=False):
    """How many times ``sub`` occurs in ``s`` (overlapping ones too when ``allow_overlap``)."""
    assert_string(0, s)
    return _find_all(s, sub, 0, None, allow_overlap)[1]


def _just(s, w, ch, left, right):
    n = len(s)
    if w <= n:
        return s
    ch = ch or ' '
    if left and right:
        rn = math.ceil((w - n) / 2)
        return ch * (w - n - rn) + s + ch * rn
    return ch * (w - n) + s if right else s + ch * (w - n)


def ljust(s, w, ch=' '):
    """``s`` padded on the right with ``ch`` to width ``w``."""
    assert_arg(1, w, 'number')
    return _just(assert_string(0, s), w, ch, True, False)


def rjust(s, w, ch=' '):
    """``s`` padded on the left with ``ch`` to width ``w``."""
    assert_arg(1, w, 'number')
    return _just(assert_string(0, s), w, ch, False, True)


def center(s, w, ch=' '):
    """``s`` centred in width ``w``; an odd padding puts the extra character on the right."""
    assert_arg(1, w, 'number')
    return _just(assert_string(0, s), w, ch, True, True)


def _strip(s, chrs, left, right):
    assert_string(0, s)
    chrs = LUA_SPACE if chrs is None else chrs
    if left:
        s = s.lstrip(chrs)
    return s.rstrip(chrs) if right else s


def lstrip(s, chrs=None):
    """``s`` without the leading characters of ``chrs`` (default whitespace)."""
    return _strip(s, chrs, True, False)


def rstrip(s, chrs=None):
    """``s`` without the trailing characters of ``chrs`` (default whitespace)."""
    return _strip(s, chrs, False, True)


def strip(s, chrs=None):
    """``s`` without the leading and trailing characters of ``chrs`` (default whitespace)."""
    return _strip(s, chrs, True, True)


def _delimiter(where, ch):
    if not isinstance(ch, str) or ch == '':
        raise ValueError(f"stringx.{where}: argument 1 expected a non-empty string, got {ch!r}")


def partition(s, ch):
    """``(before, ch, after)`` around the first ``ch``; ``(s, '', '')`` when there is none."""
    assert_string(0, s)
    _delimiter('partition', ch)
    return s.partition(ch)


def rpartition(s, ch):
    """``(before, ch, after)`` around the last ``ch``; ``('', '', s)`` when there is none."""
    assert_string(0, s)
    _delimiter('rpartition', ch)
    return s.rpartition(ch)


def at(s, idx):
    """The character at 0-based ``idx`` ('' past the end)."""
    assert_string(0, s)
    assert_arg(1, idx, 'number')
    return s[idx:idx + 1]


def lines(s):
    """An iterator over the lines of ``s`` split at ``\\n`` (a final ``\\n`` makes no empty line)."""
    assert_string(0, s)
    return iter((s if s.endswith('\n') else s + '\n').split('\n')[:-1])


# Lua's string.upper/lower in the C locale change ASCII letters only (Python's would map 'é', 'ß' too)
_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def title(s):
    """Each run of non-space characters (Lua's ``%S``) with its first character upper-case and the rest
    lower-case, ASCII letters only changed."""
    assert_string(0, s)
    return re.sub(r'(\S)(\S*)', lambda m: m.group(1).translate(_UPPER) + m.group(2).translate(_LOWER), s,
                  flags=re.A)


capitalize = title


def shorten(s, w, tail=False):
    """``s`` cut to width ``w`` with '...' at its end (at its start when ``tail``) when longer than ``w``."""
    assert_string(0, s)
    if len(s) <= w:
        return s
    if w < 3:
        return '...'[:w]
    return '...' + s[len(s) - w + 3:] if tail else s[:w - 3] + '...'


def quote_string(s):
    """``s`` as a Lua string literal that reads back as ``s``: a long bracket ``[[...]]`` (with enough '=')
    when it holds a newline or a bracket sequence and no ``\\r``, else Lua's ``%q`` (``\\r`` as ``\\r``)."""
    assert_string(0, s)
    equals = [len(m.group(2)) for m in re.finditer(r'([\[\]])(=*)\1', s + ']')]
    if ('\n' in s or equals) and '\r' not in s:
        eq = '=' * (max(equals, default=-1) + 1)
        return f'[{eq}[' + ('\n' if s.startswith('\n') else '') + s + f']{eq}]'
    return _percent_q(s).replace('\r', '\\r')


def _percent_q(s):
    """Lua 5.1's ``string.format('%q', s)``: quotes, ``\\"``, ``\\\\``, a newline as backslash-newline,
    ``\\0`` as ``\\000`` and other characters as they are (a ``\\r`` is written raw, then replaced)."""
    out = s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\\n').replace('\0', '\\000')
    return '"' + out + '"'
