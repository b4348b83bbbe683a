"""``require 'cjson'``: lua-cjson's ``encode`` and ``decode`` and the settings scripts change.

Python values stand for Lua's: a dict is a table with keys, a list or tuple an array (0-based positions,
as every legonn index), None is ``cjson.null``. ``encode`` writes what lua-cjson writes: no spaces, numbers
as ``%.14g`` (so 3.0 is ``3`` and 10**15 is ``1e+15``), '/' escaped as ``\\/``, control characters and DEL
as ``\\u00XX`` (``\\b \\t \\n \\f \\r`` by name), other characters as they are, an empty table (an empty
list or dict) as ``{}``, NaN and infinities refused unless ``encode_invalid_numbers`` allows them. A dict is
always an object (number keys written as strings); a list always an array, so no array is sparse and
``encode_sparse_array`` only keeps its settings. ``decode`` gives dicts, lists, str, int (a JSON integer)
or float, True/False and None; it takes str or bytes.

Not provided: ``cjson.new`` and ``cjson.safe`` (separate instances and nil-returning variants),
``encode_keep_buffer`` and ``decode_max_depth``: Python's parser keeps its own limit, Python's recursion limit
(about 1000 levels, lua-cjson's default), past which ``decode`` raises lua-cjson's "too many nested data
structures" as a ValueError.
"""
import json
import math
import numbers
import sys

import numpy as np

__all__ = ['encode', 'decode', 'null', 'encode_sparse_array', 'encode_max_depth', 'encode_number_precision',
           'encode_invalid_numbers', 'decode_invalid_numbers']

null = None

# lua-cjson's defaults
_settings = {'sparse': (False, 2, 10), 'max_depth': 1000, 'precision': 14, 'invalid': False, 'decode_invalid': True}

_ESCAPES = {i: f'\\u{i:04x}' for i in range(32)}
_ESCAPES.update({8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r', ord('"'): '\\"', ord('\\'): '\\\\',
                 ord('/'): '\\/', 127: '\\u007f'})


def _flag(name, value):
    if isinstance(value, bool):
        return value
    if value in ('on', 'off'):
        return value == 'on'
    raise ValueError(f"cjson.{name}: expected true, false, 'on' or 'off', got {value!r}")


def encode_sparse_array(convert=None, ratio=None, safe=None):
    """Set (any given) and return lua-cjson's sparse-array settings (convert, ratio, safe); defaults
    (False, 2, 10). Python lists are never sparse, so they change no output here."""
    old = _settings['sparse']
    _settings['sparse'] = (old[0] if convert is None else _flag('encode_sparse_array', convert),
                           old[1] if ratio is None else ratio, old[2] if safe is None else safe)
    return _settings['sparse']


def encode_max_depth(depth=None):
    """Set (if given) and return how deep tables may nest in ``encode`` (default 1000)."""
    if depth is not None:
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ValueError(f"cjson.encode_max_depth: expected a positive integer, got {depth!r}")
        _settings['max_depth'] = depth
    return _settings['max_depth']


def encode_number_precision(precision=None):
    """Set (if given) and return the significant digits ``encode`` writes numbers with (1 to 14, default 14)."""
    if precision is not None:
        if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 14:
            raise ValueError(f"cjson.encode_number_precision: expected an integer from 1 to 14, got {precision!r}")
        _settings['precision'] = precision
    return _settings['precision']


def encode_invalid_numbers(setting=None):
    """Set (if given) and return what ``encode`` does with NaN and infinities: False refuses them (default),
    True writes ``NaN``, ``Infinity``, ``-Infinity``, ``'null'`` writes ``null``."""
    if setting is not None:
        _settings['invalid'] = 'null' if setting == 'null' else _flag('encode_invalid_numbers', setting)
    return _settings['invalid']


def decode_invalid_numbers(setting=None):
    """Set (if given) and return whether ``decode`` accepts ``NaN``, ``Infinity`` and ``-Infinity`` (default
    True)."""
    if setting is not None:
        _settings['decode_invalid'] = _flag('decode_invalid_numbers', setting)
    return _settings['decode_invalid']


def _number(value):
    value = float(value)
    if math.isfinite(value):
        return '%.*g' % (_settings['precision'], value)
    if _settings['invalid'] == 'null':
        return 'null'
    if _settings['invalid']:
        return 'NaN' if math.isnan(value) else 'Infinity' if value > 0 else '-Infinity'
    raise ValueError("cjson.encode: Cannot serialise number: must not be NaN or Inf")


def _string(text):
    return '"' + text.translate(_ESCAPES) + '"'


def _key(key):
    if isinstance(key, str):
        return _string(key)
    if isinstance(key, numbers.Real) and not isinstance(key, bool):
        return '"' + _number(key) + '"'
    raise TypeError(f"cjson.encode: Cannot serialise table: table key must be a number or string, got "
                    f"{type(key).__name__} {key!r}")


def _scalar(value):
    if value is None:
        return 'null'
    if isinstance(value, (bool, np.bool_)):
        return 'true' if value else 'false'
    if isinstance(value, numbers.Real):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    raise TypeError(f"cjson.encode: Cannot serialise {type(value).__name__}: type not supported (a "
                    f"table, string, number, boolean or None is; tensors: tolist() them first)")


_ARRAY_ITEM = object()   # the "key" of an array element
_END = object()


def encode(value):
    """The JSON text of ``value`` as lua-cjson writes it (see the module's docstring).

    Tables are walked with a stack of their entries rather than by recursion, so that ``encode_max_depth``
    levels (1000 by default) fit in Python's own recursion limit."""
    out, closers, started = [], [''], [False]
    entries = [iter([(_ARRAY_ITEM, value)])]
    while entries:
        entry = next(entries[-1], _END)
        if entry is _END:
            entries.pop()
            started.pop()
            out.append(closers.pop())
            continue
        key, item = entry
        if started[-1]:
            out.append(',')
        started[-1] = True
        if key is not _ARRAY_ITEM:
            out.append(_key(key) + ':')
        if not isinstance(item, (list, tuple, dict)):
            out.append(_scalar(item))
            continue
        if len(entries) > _settings['max_depth']:   # this table's depth is len(entries): the root's is 1
            raise ValueError(f"cjson.encode: Cannot serialise, excessive nesting ({len(entries)})")
        if not item:
            out.append('{}')   # Lua's empty table: lua-cjson writes an object
            continue
        is_object = isinstance(item, dict)
        out.append('{' if is_object else '[')
        closers.append('}' if is_object else ']')
        started.append(False)
        entries.append(iter(item.items()) if is_object else ((_ARRAY_ITEM, v) for v in item))
    return ''.join(out)


def _refuse_constant(name):
    raise ValueError(f"cjson.decode: {name} is not a number here (decode_invalid_numbers is off)")


def _integer(text):
    """A JSON integer as an int; one past Python's digit limit for int conversion (4300 digits) as the double
    lua-cjson's strtod reads (inf when it overflows)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def decode(text):
    """The value of the JSON ``text`` (str or bytes, UTF-8): objects as dicts, arrays as lists, null as None.
    Malformed JSON, bytes that are not UTF-8 and nesting deeper than Python's recursion limit raise ValueError."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode()
        except UnicodeDecodeError as err:
            raise ValueError(f"cjson.decode: byte {err.start + 1} (1-based) is not UTF-8 ({err.reason}); "
                             f"legonn's strings are text") from None
    if not isinstance(text, str):
        raise TypeError(f"cjson.decode: expected a string of JSON, got {type(text).__name__}")
    try:
        # strict=False: lua-cjson copies control characters inside strings as they are
        return json.loads(text, strict=False, parse_int=_integer,
                          parse_constant=None if _settings['decode_invalid'] else _refuse_constant)
    except RecursionError:
        raise ValueError(f"cjson.decode: found too many nested data structures (more than Python's recursion "
                         f"limit of {sys.getrecursionlimit()}) in {text[:40]!r}") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"cjson.decode: {err.msg} at character {err.pos + 1} (1-based, as lua-cjson counts) "
                         f"of {text[:40]!r}") from None
