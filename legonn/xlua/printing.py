"""xlua's printing: ``print`` (tables as ``{[key] = value, ...}``), ``table2string``, ``formatTime`` and
``error``, with torch/sys's terminal colours where xlua writes them."""
import builtins
import re
import sys

from ..tensor.functions import is_tensor_like
from ..tensor.introspection import isStorage, pairs
from ..tensor.introspection import tostring

# torch/sys's COLORS (colors.lua): ANSI escape sequences, written whether or not stdout is a terminal
COLORS = {'none': '\x1b[0m', 'black': '\x1b[0;30m', 'red': '\x1b[0;31m', 'green': '\x1b[0;32m',
          'yellow': '\x1b[0;33m', 'blue': '\x1b[0;34m', 'magenta': '\x1b[0;35m', 'cyan': '\x1b[0;36m',
          'white': '\x1b[0;37m', 'Black': '\x1b[1;30m', 'Red': '\x1b[1;31m', 'Green': '\x1b[1;32m',
          'Yellow': '\x1b[1;33m', 'Blue': '\x1b[1;34m', 'Magenta': '\x1b[1;35m', 'Cyan': '\x1b[1;36m',
          'White': '\x1b[1;37m'}


def is_table(value):
    """Whether ``value`` is what Lua would hold as a plain table: a list, a tuple or a dict."""
    return isinstance(value, (list, tuple, dict))


def _is_userdata(value):
    """Whether Lua would hold ``value`` as userdata: a tensor, a storage or an array."""
    return is_tensor_like(value) or isStorage(value)


def _table_text(table):
    """xlua.print's ``{[k] = v,\\n [k] = v}``: tensors and arrays as ``<userdata>``, a value written longer
    than 40 characters cut to 40 (then the colour reset and `` ... ``), newlines as ``\\n``."""
    lines = []
    for index, (key, value) in enumerate(pairs(table)):
        tab = '' if index == 0 else ' '
        if _is_userdata(value):
            lines.append(f"{tab}[{tostring(key)}] = <userdata>")
            continue
        text = tostring(value).replace('\n', '\\n')
        if len(text) > 40:
            lines.append(f"{tab}[{tostring(key)}] = {text[:40]}{COLORS['none']} ... ")
        else:
            lines.append(f"{tab}[{tostring(key)}] = {text}")
    return '{' + ',\n'.join(lines) + '}'


def print(obj=None, *more):
    """Write ``obj`` and a newline to stdout: a table (list, tuple or dict) one ``[key] = value`` per line
    (list keys 0-based), anything else as Lua's tostring writes it (None as ``nil``, booleans as
    ``true``/``false``, a module by its ``__tostring__``); further values follow after four spaces,
    tab-separated, as Lua's print writes them."""
    out = sys.stdout
    out.write(_table_text(obj) if is_table(obj) else tostring(obj))
    if more:
        out.write('    ')
        builtins.print(*(tostring(value) for value in more), sep='\t', file=out)
    else:
        out.write('\n')


def _quoted(value):
    """table2string's value: a string quoted (single quotes when its only quote characters are double
    quotes, else double quotes with ``\\"`` inside), newlines as ``\\n``; a table recursively; else tostring."""
    if isinstance(value, str):
        value = value.replace('\n', '\\n')
        quotes = re.sub('[^\'"]', '', value)
        if quotes and set(quotes) == {'"'}:
            return "'" + value + "'"
        return '"' + value.replace('"', '\\"') + '"'
    if is_table(value):
        return table2string(value)
    return tostring(value)


def table2string(tbl, newline=False):
    """A table as Lua source: a list's values in order, a dict's entries as ``key=value`` (a key that is
    not an identifier as ``[key]``), joined by ',' in braces; with ``newline``, ``key : value`` one per
    indented line."""
    if not is_table(tbl):
        raise TypeError(f"xlua.table2string: expected a table (list, tuple or dict), got {type(tbl).__name__}")
    separator = ' : ' if newline else '='
    if isinstance(tbl, dict):
        parts = [(key if isinstance(key, str) and re.fullmatch('[_A-Za-z][_A-Za-z0-9]*', key)
                  else '[' + _quoted(key) + ']') + separator + _quoted(value) for key, value in tbl.items()]
    else:
        parts = [_quoted(value) for value in tbl]
    if newline:
        return '{\n   ' + '\n   '.join(parts) + '\n}'
    return '{' + ','.join(parts) + '}'


def formatTime(seconds):
    """``seconds`` as xlua writes a duration: its two largest non-zero units among days (D), hours (h),
    minutes (m), seconds (s) and milliseconds (ms), e.g. ``'1h5m'``, ``'12s340ms'``; ``'0ms'`` for less
    than a millisecond."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    whole = int(rest)
    millis = int((rest - whole) * 1000)
    units = [(int(days), 'D'), (int(hours), 'h'), (int(minutes), 'm'), (whole, 's'), (millis, 'ms')]
    text = ''.join(f"{value}{unit}" for value, unit in [u for u in units if u[0] > 0][:2])
    return text or '0ms'


def error(message, domain=None, usage=None):
    """Raise a RuntimeError whose message is ``message`` in bold red (after ``<domain> `` when given), then
    ``usage`` on the next line, as xlua.error raises its Lua error."""
    if domain:
        message = f"<{domain}> {message}"
    text = COLORS['Red'] + tostring(message) + COLORS['none']
    if usage:
        text += '\n' + usage
    raise RuntimeError(text)
