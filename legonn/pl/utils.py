"""``require 'pl.utils'``: the helpers Torch7 scripts call (split, printf, readfile, writefile, assert_arg).

``split`` takes a Python regex where Penlight takes a Lua pattern (``plain=True`` keeps the separator as
text). Failures of ``readfile``/``writefile`` return Lua's ``nil, message`` as a false tuple.
"""
import re
import sys

from ..paths.dirs import Failure
from ..tensor.introspection import LUA_SPACE

__all__ = ['split', 'splitv', 'printf', 'fprintf', 'readfile', 'writefile', 'readlines', 'assert_arg',
           'assert_string', 'quit']

_LUA_TYPES = {'string': str, 'number': (int, float), 'table': (list, dict), 'boolean': bool,
              'function': type(lambda: None)}


def assert_string(n, value):
    """``value`` when it is a string, else a TypeError naming argument ``n`` (0-based)."""
    return assert_arg(n, value, 'string')


def assert_arg(n, value, tp, verify=None, msg=None):
    """``value`` when its Lua type is ``tp`` ('string', 'number', 'table', 'boolean', 'function') and
    ``verify(value)`` (if given) holds; else a TypeError / ValueError naming argument ``n`` (0-based)."""
    if tp not in _LUA_TYPES:
        raise ValueError(f"pl.utils.assert_arg: expected a Lua type name {sorted(_LUA_TYPES)}, got {tp!r}")
    ok = callable(value) if tp == 'function' else isinstance(value, _LUA_TYPES[tp])
    if tp == 'number' and isinstance(value, bool):
        ok = False
    if not ok:
        raise TypeError(f"argument {n} expected a '{tp}', got a '{type(value).__name__}'")
    if verify is not None and not verify(value):
        raise ValueError(f"argument {n}: '{value}' {msg}")
    return value


def split(s, re_=None, plain=False, n=None):
    """The pieces of ``s`` between matches of ``re_`` (a Python regex, or text when ``plain``; default runs
    of whitespace), as Penlight's utils.split: empty pieces between separators are kept, a last empty piece
    is dropped, a lone empty piece gives ``[]``, an empty separator gives ``[s]``; with ``n`` at most ``n``
    pieces, the last holding the rest of ``s``."""
    assert_string(0, s)
    if re_ is None:
        re_, plain = f'[{LUA_SPACE}]+', False   # Lua's %s+: ASCII white space, not Python's \s
    if re_ == '':
        return [s]
    pattern = re.compile(re.escape(re_) if plain else re_)
    pieces, start = [], 0
    while True:
        found = pattern.search(s, start)
        if found is None:
            last = s[start:]
            if last != '':
                pieces.append(last)
            return [] if pieces == [''] else pieces
        pieces.append(s[start:found.start()])
        if n is not None and len(pieces) == n:
            pieces[-1] = s[start:]
            return pieces
        # an empty match steps one character on (Lua's loop would stop there forever)
        start = found.end() if found.end() > found.start() else found.start() + 1


def splitv(s, re_=None, plain=False, n=None):
    """``split``'s pieces as a tuple (Lua's multiple return values)."""
    return tuple(split(s, re_, plain, n))


def printf(fmt, *args):
    """Write ``fmt % args`` (Lua's string.format) to standard output, no newline added."""
    sys.stdout.write(fmt % args)


def fprintf(f, fmt, *args):
    """Write ``fmt % args`` to the file object ``f``."""
    f.write(fmt % args)


def readfile(filename, is_bin=False):
    """The whole text of ``filename`` (bytes when ``is_bin``), or the false ``(None, message)``. Line ends are
    kept as they are (``'\r\n'`` too), as Lua's io.open(filename, 'r') reads on POSIX."""
    try:
        with open(filename, 'rb' if is_bin else 'r', newline=None if is_bin else '') as f:
            return f.read()
    except OSError as err:
        return Failure((None, f"{filename}: {err.strerror}"))


def writefile(filename, text, is_bin=False):
    """Write ``text`` (bytes when ``is_bin``) to ``filename``: True, or the false ``(None, message)``."""
    try:
        with open(filename, 'wb' if is_bin else 'w') as f:
            f.write(text)
        return True
    except OSError as err:
        return Failure((None, f"{filename}: {err.strerror}"))


def readlines(filename):
    """The lines of ``filename`` without their ``'\n'``, or the false ``(None, message)``: Lua's ``f:lines()``
    splits at ``'\n'`` only (a ``'\r'`` stays, a form feed is text, where Python's splitlines cuts)."""
    text = readfile(filename)
    if isinstance(text, Failure):
        return text
    lines = text.split('\n')
    if lines[-1] == '':   # a final line end closes the last line rather than opening an empty one
        lines.pop()
    return lines


def quit(code=None, msg=None, *args):
    """Penlight's utils.quit: write ``msg % args`` (if given) to standard error and exit with ``code``
    (default -1); ``quit(msg, ...)`` with a string first exits with -1."""
    if isinstance(code, str):
        code, msg, args = -1, code, ((msg,) + args if msg is not None else args)
    if msg is not None:
        sys.stderr.write((msg % args if args else msg) + '\n')
    sys.exit(-1 if code is None else code)
