"""xlua's argument helpers: ``unpack`` (named or ordered arguments checked against a table of definitions,
with a generated usage text), ``unpack_class``, ``usage``, and ``envparams`` (defaults overridden by
environment variables).

A definition is a dict as xlua's Lua table: ``{'arg': 'size', 'type': 'number', 'help': 'the size',
'req': True}``, or with ``'default': 10``, or ``'defaulta': 'other'`` (the value of an earlier argument)."""
import os
from collections.abc import Mapping

from ..tensor.cmdline import _number
from ..tensor.introspection import tostring
from .printing import COLORS, table2string

_BANNER = '+' * 69


def _named_usage(funcname, params):
    """usage's ``funcname{ name = type -- help [default = ...] }`` block, optional arguments in brackets."""
    text = funcname + '{\n'
    for param in params:
        key = f"{param['arg']} = {param.get('type', '')}"
        key = ('    ' + key if param.get('req') else '    [' + key + ']').ljust(40)
        text += key + '-- ' + param.get('help', '')
        default = param.get('default')
        if isinstance(default, (list, tuple, dict)):
            text += '  [default = ' + table2string(default) + ']'
        elif default is not None:
            text += '  [default = ' + tostring(default) + ']'
        elif param.get('defaulta'):
            text += '  [default == ' + param['defaulta'] + ']'
        text += '\n'
    return text + '}\n'


def _ordered_usage(funcname, params):
    """usage's ``funcname( type -- help )`` blocks, one per group of definitions separated by ``''``."""
    text, group = '', []
    for param in list(params) + ['']:
        if param != '':
            group.append(param)
            continue
        text += funcname + '(\n'
        for entry in group:
            key = '    ' + entry.get('type', '') if entry.get('req') else '    [' + entry.get('type', '') + ']'
            text += key.ljust(40) + '-- ' + entry.get('help', '') + '\n'
        text += ')\n'
        group = []
    return text


def usage(funcname, description=None, example=None, *params):
    """xlua's help text for a function: a banner, ``funcname`` in magenta, ``description``, then each
    parameter with its type, help and default (named form when the definitions have ``'arg'``, else one
    ``funcname(...)`` block per group of definitions separated by ``''``), then ``example``, in torch/sys's
    colours. ``params`` may also be one dict ``{'tabled': [definitions]}``, as unpack passes them."""
    if params and isinstance(params[0], Mapping) and 'tabled' in params[0]:
        params = params[0]['tabled']
    c = COLORS
    text = _BANNER + '\n' + c['Magenta'] + funcname + c['none'] + '\n'
    if description:
        text += '\n' + description + '\n'
    text += '\n' + c['blue'] + '> ' + c['none'] + 'usage:\n' + c['cyan']
    named = not params or (isinstance(params[0], Mapping) and params[0].get('arg'))
    text += (_named_usage if named else _ordered_usage)(funcname, params) + c['none']
    if example:
        text += '\n' + c['cyan'] + example + c['none'] + '\n'
    return text + _BANNER


def _check_definitions(funcname, defs):
    """A TypeError naming ``funcname`` unless every definition is a dict with a string ``'arg'``."""
    for d in defs:
        if not isinstance(d, Mapping) or not isinstance(d.get('arg'), str):
            raise TypeError(f"xlua.unpack: {funcname}'s argument definitions must be dicts with a string 'arg', "
                            f"got {d!r}")


def unpack(args, funcname, description=None, *defs):
    """The arguments ``args`` of function ``funcname`` checked against the definitions ``defs``:
    returns ``(dargs, value0, value1, ...)``, one value per definition, where ``dargs`` maps each name and
    each 0-based position to its value, and ``'usage'`` to the usage text.

    ``args`` is the function's positional values (Lua's ``{...}``: matched to ``defs`` in order, extra ones
    ignored), or one dict of named values in them (Lua's ``f{size=10}``), or that dict itself (a Python
    function's ``**kwargs``: ``xlua.unpack(args or kwargs, ...)``); names no definition has are ignored. A
    missing value takes its ``default``, else its ``defaulta`` argument's value, else None. No arguments at
    all, or a ``req`` argument missing, is a TypeError whose message ends with the usage text."""
    _check_definitions(funcname, defs)
    example = None
    if len(defs) > 1:
        first, second = defs[0], defs[1]
        example = (f"{funcname}{{{second['arg']}={second.get('type', '')}, {first['arg']}={first.get('type', '')}}}"
                   f"\n{funcname}({first.get('type', '')}, ...)")
    text = usage(funcname, description, example, {'tabled': defs})
    if isinstance(args, Mapping):
        given = args
    elif isinstance(args, (list, tuple)):
        if not args:
            raise TypeError(f"{funcname}: no arguments given\n{text}")
        if len(args) == 1 and isinstance(args[0], Mapping):
            given = args[0]
        else:
            given = {d['arg']: value for d, value in zip(defs, args)}
    else:
        raise TypeError(f"xlua.unpack: {funcname}'s args must be a list or tuple of values or a dict of named "
                        f"values, got {type(args).__name__}")
    dargs = {}
    for position, d in enumerate(defs):
        value = given.get(d['arg'])
        if d.get('req') and value is None:
            raise TypeError(f"{funcname}: missing argument: {d['arg']}\n{text}")
        if value is None:
            value = d.get('default')
        if value is None and d.get('defaulta'):
            value = dargs.get(d['defaulta'])
        dargs[d['arg']] = dargs[position] = value
    dargs['usage'] = text
    return (dargs,) + tuple(dargs[position] for position in range(len(defs)))


def unpack_class(obj, args, funcname, description=None, *defs):
    """``unpack``, then every named value (and ``usage``) set on ``obj``: an attribute of an object, a key
    of a dict."""
    dargs = unpack(args, funcname, description, *defs)[0]
    for key, value in dargs.items():
        if isinstance(key, str):
            if isinstance(obj, dict):
                obj[key] = value
            else:
                setattr(obj, key, value)


def envparams(default):
    """A copy of the dict ``default`` whose entries named by an environment variable take its value: a
    number for a number default (a ValueError when it is not one), ``True``/``False`` for a boolean
    default given ``true``/``True``/``false``/``False`` (any other word stays a string), else the string.
    ``learningRate=1e-3 python train.py`` with ``xlua.envparams({'learningRate': 1e-2})``."""
    if not isinstance(default, Mapping):
        raise TypeError(f"xlua.envparams: expected a dict of defaults, got {type(default).__name__}")
    params = dict(default)
    for key, value in default.items():
        word = os.environ.get(key)
        if word is None:
            continue
        new = word
        if isinstance(value, bool):
            new = {'false': False, 'False': False, 'true': True, 'True': True}.get(word, word)
        elif isinstance(value, (int, float)):
            new = _number(word)
            if new is None:
                raise ValueError(f"xlua.envparams: ${key} must be a number (its default is {value!r}), "
                                 f"got {word!r}")
        params[key] = new
    return params
