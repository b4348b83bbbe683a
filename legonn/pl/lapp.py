"""``require 'pl.lapp'``: Penlight's command-line parser driven by a usage text.

``args = lapp('''...usage...''')`` reads ``sys.argv[1:]`` (``lapp(usage, argv)`` a given list) and returns
a dict. The usage grammar is Penlight's: a line (leading spaces ignored) ``-s,--long (spec) help``,
``-s (spec) help``, ``--long (spec) help`` declares a flag, ``<name> (spec) help`` a positional argument;
the spec is a type (``string``, ``number``, ``boolean``, ``file-in``, ``file-out``, a type added by
``add_type``), a range ``1..10`` (a number), an enumeration ``slow|medium|fast`` (a string), each
optionally ``optional`` before and ``default V`` after, or ``(default V)`` alone, whose ``V`` gives the
type (a number, ``true`` for a boolean, ``stdin``/``stdout``/``stderr`` for a file, else a string); no
spec makes a boolean flag (default False; a flag toggles its default). ``...`` after a name collects
every value in a list. A typed argument without a default is required. Dashes in names become
underscores (``--first-dash`` is ``args['first_dash']``), files are opened (``args['<name>_name']``
keeps the name), ``-abc`` is ``-a -b -c`` for boolean flags or ``-a bc``, ``--n=5``/``--n:5`` give a
value, ``--`` ends the flags, ``-h``/``--help`` print the usage and exit. As Penlight, only lines that end
with a newline are read.

Deviations: numbers are ``int`` when the text is an integer, else ``float`` (Lua has one number type);
extra positional values are under 0-based integer keys (``args[0]``; Lua's ``args[1]``); an ``optional``
argument not given is None (Lua leaves the key out). An error (``lapp.error``) writes
``"<script>: <message>"`` and the usage to standard error and exits with status 1, or raises
``LappError`` when ``show_usage_error == 'throw'``.
"""
import builtins
import re
import sys
import types

from ..tensor.cmdline import _number

__all__ = ['LappError', 'process_options_string', 'add_type', 'quit', 'error', 'assert_', 'open', 'callback',
           'show_usage_error', 'slack']

show_usage_error = True   # True: message and usage; False: message only; 'throw': raise LappError
slack = False             # True lets short flags have several characters
callback = None           # called as callback(parm, arg, res) for each argument parsed


class LappError(ValueError):
    """A lapp usage error, raised when ``show_usage_error == 'throw'``."""


_state = {'usage': ''}   # the usage text of the last parse, which quit() prints
_types = {}
_BUILTIN_TYPES = {'string': True, 'number': True, 'file-in': 'file', 'file-out': 'file', 'boolean': True}
_FILETYPES = {'stdin': (lambda: sys.stdin, 'file-in'), 'stdout': (lambda: sys.stdout, 'file-out'),
              'stderr': (lambda: sys.stderr, 'file-out')}

_IDEN = r'[A-Za-z_][A-Za-z0-9_]*'
_OPTION = r'[A-Za-z_][A-Za-z0-9_-]*'
_FLOAT = r'[+\-\d]\d*\.?\d*[eE]?[+\-]?\d*'
# Penlight's sip patterns for a usage line, its type spec and a command-line word
_LINE_FLAGS = [re.compile(p, re.A | re.S) for p in (rf'-(?P<short>{_IDEN}),\s*--(?P<long>{_OPTION})\s*(?P<rest>\S.*)',
                                                   rf'-(?P<short>{_IDEN})\s*(?P<rest>\S.*)',
                                                   rf'--(?P<long>{_OPTION})\s*(?P<rest>\S.*)')]
_RANGE = re.compile(rf'(?P<min>{_FLOAT})\.\.(?P<max>{_FLOAT})')
# Lua's %S: anything but ASCII white space (a no-break space is part of the word)
_LONG_ARG = re.compile(r'--(\S+)', re.A)
_SHORT_ARG = re.compile(r'-(\S+)', re.A)


def _script():
    """The script's name as lapp shows it: sys.argv[0] without its folder and extension."""
    name = sys.argv[0] if sys.argv and sys.argv[0] else 'unknown'
    return re.sub(r'\.[A-Za-z]+$', '', re.sub(r'.+[\\/]', '', name))


def quit(msg=None, no_usage=False):
    """Write ``msg`` (and the usage unless ``no_usage``) to standard error and exit with status 1; raise
    LappError(msg) when ``no_usage == 'throw'``."""
    if no_usage == 'throw':
        raise LappError(msg)
    if msg:
        sys.stderr.write(msg + '\n\n')
    if not no_usage:
        sys.stderr.write(_state['usage'])
    sys.exit(1)


def error(msg, no_usage=False):
    """``quit("<script>: <msg>")``, as ``show_usage_error`` says (no usage when False, raise when 'throw')."""
    if not show_usage_error:
        no_usage = True
    elif show_usage_error == 'throw':
        no_usage = 'throw'
    quit(f"{_script()}: {msg}", no_usage)


def assert_(condition, msg):
    """``error(msg)`` unless ``condition`` (Lua's ``lapp.assert``; ``assert`` is Python's keyword)."""
    if not condition:
        error(msg)


def open(file, mode):
    """The file ``file`` opened with ``mode``; an error naming it when it cannot be."""
    try:
        return builtins.open(file, mode)
    except OSError as err:
        error(f"{file}: {err.strerror}", True)


def add_type(name, converter, constraint=None):
    """Declare type ``name``: ``converter(text)`` makes the value (or names a builtin type to use), and
    ``constraint(value)`` (optional) checks it, calling ``lapp.error``/``assert`` to refuse it."""
    _types[name] = {'converter': converter, 'constraint': constraint}


def _tonumber(text):
    return text if isinstance(text, (int, float)) and not isinstance(text, bool) else _number(str(text))


def _convert(ps, val):
    if ps.get('converter'):
        val = ps['converter'](val)
    if ps['type'] == 'number':
        number = _tonumber(val)
        if number is None:
            error(f"unable to convert to number: {val}")
        val = number
    elif _BUILTIN_TYPES.get(ps['type']) == 'file':
        val = open(val, 'r' if ps['type'] == 'file-in' else 'w')
    elif ps['type'] == 'boolean':
        return val
    if ps.get('constraint'):
        ps['constraint'](val)
    return val


def _process_default(sval, vtype):
    """The default's value and the type it gives (lapp's process_default)."""
    if vtype in (None, 'number'):
        number = _tonumber(sval)
        if number is not None:
            return number, 'number'
    if sval in _FILETYPES:
        make, ftype = _FILETYPES[sval]
        return make(), ftype
    if sval == 'true' and vtype is None:
        return True, 'boolean'
    if sval[:1] in ('"', "'"):
        sval = sval[1:-1]
    ps = dict(_types.get(vtype, {}), type=vtype)
    global show_usage_error
    saved, show_usage_error = show_usage_error, 'throw'
    try:
        return _convert(ps, sval), vtype or 'string'
    except LappError:
        return sval, vtype or 'string'
    finally:
        show_usage_error = saved


def _balanced(text):
    """``(inside, after)`` of a '(' ... ')' group at the start of ``text`` (nesting counted), or None."""
    if not text.startswith('('):
        return None
    depth = 0
    for i, ch in enumerate(text):
        depth += {'(': 1, ')': -1}.get(ch, 0)
        if depth == 0:
            return text[1:i], text[i + 1:]
    return None


def _range_check(lo, hi, parm):
    return lambda x: assert_(lo <= x <= hi, f"{parm} out of range")


def _enum_check(enums):
    return lambda s: assert_(f'|{s}|' in f'|{enums}|', f"value '{s}' not in {enums}")


def _declare(line, parms, aliases, parmlist):
    """Read one usage line into ``parms`` (a flag or positional argument), if it declares one."""
    line = line.lstrip()
    optparm = varargs = None
    rest = None
    for pattern in _LINE_FLAGS:
        found = pattern.match(line)
        if found:
            short, long, rest = found.group('short') if 'short' in pattern.groupindex else None, \
                found.group('long') if 'long' in pattern.groupindex else None, found.group('rest')
            if long:
                optparm = re.sub(r'[^A-Za-z0-9-]', '_', long) + (rest if len(rest) == 1 else '')
                if short:
                    aliases[short] = optparm
            else:
                optparm = short
            if short and not slack and len(short) != 1:
                error(f"{short}: short parameters should be one character")
            varargs = rest.startswith('...')
            rest = re.sub(r'^\.\.\.\s*', '', rest)
            break
    else:
        found = re.match(r'<([^<>]*)>\s*(\S.*)', line, re.S)
        if not found:
            return
        name, rest = found.groups()
        optparm, dots = re.match(r'([^.]+)(.*)', name, re.S).groups()
        optparm = re.sub(r'[^A-Za-z]', '_', optparm[0]) + re.sub(r'[^A-Za-z0-9]', '_', optparm[1:])
        varargs = dots == '...'
        parmlist.append(optparm)
    vtype = defval = defval_str = constraint = None
    optional = False
    group = _balanced(rest)
    if group is not None:
        typespec, after = group[0].strip(), group[1].lstrip()
        ftype, spec_rest = re.match(r'(\S*)(.*)', typespec, re.S).groups()
        spec_rest = spec_rest.strip()
        if ftype == 'optional':
            ftype, spec_rest = re.match(r'(\S*)(.*)', spec_rest, re.S).groups()
            spec_rest, optional = spec_rest.strip(), True
        default = ftype == 'default'
        if default and spec_rest == '':
            error("value must follow default")
        if not default:
            bounds = _RANGE.match(ftype)
            if bounds:
                vtype, constraint = 'number', _range_check(float(bounds.group('min')), float(bounds.group('max')),
                                                           optparm)
            elif '|' not in ftype:
                vtype = ftype
            else:
                vtype, constraint = 'string', _enum_check(ftype)
        given = re.match(r'default\s*(\S.*)', spec_rest, re.S)
        given = spec_rest if default else given and given.group(1)
        if given is not None:
            defval_str = given
            defval, vtype = _process_default(given, vtype)
        comment = after
    else:
        defval, vtype, comment = False, 'boolean', rest
    ps = {'type': vtype, 'defval': defval, 'defval_str': defval_str, 'required': defval is None and not optional,
          'comment': comment or optparm, 'constraint': constraint, 'varargs': varargs}
    if vtype in _types:
        converter = _types[vtype]['converter']
        if isinstance(converter, str):
            ps['type'] = converter
        else:
            ps['converter'] = converter
        ps['constraint'] = _types[vtype]['constraint']
    elif vtype not in _BUILTIN_TYPES:
        error(f"{vtype} is unknown type")
    parms[optparm] = ps


def process_options_string(usage, args=None):
    """Parse ``args`` (default ``sys.argv[1:]``) by the usage text ``usage``; returns the dict of values."""
    if not isinstance(usage, str):
        raise TypeError(f"lapp: expected the usage string, got {type(usage).__name__}")
    arg = list(sys.argv[1:] if args is None else args)
    results, parms, aliases, parmlist = {}, {}, {}, []
    _state['usage'] = usage

    def set_result(ps, parm, val):
        parm = re.sub(r'[^A-Za-z0-9]', '_', parm) if isinstance(parm, str) else parm
        if not ps['varargs']:
            results[parm] = val
        elif val is not None:   # Lua's {nil} is an empty table
            results.setdefault(parm, []).append(val)
        else:
            results.setdefault(parm, [])

    if any(a in ('-h', '--help') for a in arg):
        return quit()
    for line in re.findall(r'([^\n]*)\n', usage):
        _declare(line, parms, aliases, parmlist)

    def is_flag(parm):
        return parms.get(aliases.get(parm, parm))

    def check_parm(parm, i):
        eq = re.search(r'[=:]', parm)
        if eq:
            arg.insert(i + 1, parm[eq.start() + 1:])
            return parm[:eq.start()], True
        return parm, False

    iparm, iextra, i, end_of_flags = 0, 0, 0, False
    while i < len(arg):
        the_arg, val, res = arg[i], None, {}
        if the_arg == '--':
            end_of_flags, iparm = True, len(parmlist)
            i += 1
            if i >= len(arg):
                break
            the_arg = arg[i]
        text = the_arg if isinstance(the_arg, str) else str(the_arg)
        long, short = _LONG_ARG.match(text), _SHORT_ARG.match(text)
        if not end_of_flags and (long or short):
            if long:
                res['long'] = long.group(1)
                parm = check_parm(res['long'], i)[0]
            else:
                res['short'] = short.group(1)
                if len(res['short']) == 1 or is_flag(res['short']):
                    parm = res['short']
                else:
                    parmstr, eq = check_parm(res['short'], i)
                    parm = parmstr
                    if not eq:
                        parm = parmstr[0]
                        flag = is_flag(parm)
                        if flag and flag['type'] != 'boolean':
                            arg.insert(i + 1, parmstr[1:])
                        else:
                            arg[i + 1:i + 1] = ['-' + ch for ch in parmstr[1:]]
            parm = aliases.get(parm, parm)
            if parm not in parms and parm in ('h', 'help'):
                return quit()
        else:
            if iparm < len(parmlist):
                parm = parmlist[iparm]
                if not parms[parm]['varargs']:
                    iparm += 1
            else:
                parm = iextra
                parms[parm] = {'type': 'string', 'varargs': False}
                iextra += 1
            val = the_arg
        ps = parms.get(parm)
        if ps is None:
            error(f"unrecognized parameter: {parm}")
        if ps['type'] != 'boolean':
            if val is None:
                i += 1
                val = the_arg = arg[i] if i < len(arg) else None
            assert_(val is not None, f"{parm} was expecting a value")
        else:
            val = not ps['defval']
        ps['used'] = True
        set_result(ps, parm, _convert(ps, val))
        if _BUILTIN_TYPES.get(ps['type']) == 'file':
            set_result(ps, f'{parm}_name', the_arg)
        if callback:
            callback(parm, the_arg, res)
        i += 1
    for parm, ps in parms.items():
        if not ps.get('used'):
            if ps['required']:
                error(f"missing required parameter: {parm}")
            set_result(ps, parm, ps['defval'])
            if _BUILTIN_TYPES.get(ps['type']) == 'file':
                set_result(ps, f'{parm}_name', ps['defval_str'])
    return results


class _Lapp(types.ModuleType):
    """The module, callable as Lua's: ``lapp(usage[, args])`` is ``process_options_string``."""

    def __call__(self, usage, args=None):
        return process_options_string(usage, args)


sys.modules[__name__].__class__ = _Lapp
