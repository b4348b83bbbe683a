"""code/include/kwargs.lua (after bshillingford's nnob): checks keyword arguments given as a table against
settings ``{name, type=..., default=..., optional=...}`` and fills in the defaults.

Edits: a setting is ``[name, {'type': ..., 'default': ...}]``-like, a dict with key 1 in Lua: here a dict with
``'name'`` or positional ``0``; ``settings.ignore_extras`` is the dict key ``'ignore_extras'`` of a settings
dict holding the list under ``'settings'``, or absent for a plain list. ``type(typespec) == string`` compares
with the global ``string`` table (always false, so ``class:x`` specs never parse): kept as ``classnames = None``.
"""
import math

import legonn as lg


def assert_type(val, typespec, argname):
    typename = lg.typename(val) or type(val).__name__
    if isinstance(val, bool):
        typename = 'boolean'
    elif isinstance(val, (int, float)):
        typename = 'number'
    elif isinstance(val, str):
        typename = 'string'
    # handles number, boolean, string, table; but passes through if needed
    if typespec == typename:
        return True

    # try to parse, nil if no match (the Lua compares type(typespec) with the table `string`: never)
    classnames = None

    # isTypeOf for table-typed specs (see below for class:x version)
    if isinstance(typespec, type):
        if isinstance(val, typespec):
            return True
        else:
            raise RuntimeError('argument %s should be instance of %s, but is type %s' %
                               (argname, lg.typename(typespec) or typespec.__name__, typename))
    elif typespec == 'tensor':
        if lg.isTensor(val):
            return True
    elif classnames:
        pass
    elif typespec == 'int' or typespec == 'integer':
        if math.floor(val) == val:
            return True
    elif typespec == 'int-pos':
        if val > 0 and math.floor(val) == val:
            return True
    elif typespec == 'int-nonneg':
        if val >= 0 and math.floor(val) == val:
            return True
    else:
        raise RuntimeError('invalid type spec (' + str(typespec) + ') for arg ' + argname)
    raise RuntimeError('argument %s must be of type %s, given type %s' % (argname, typespec, typename))


def kwargs(args, settings, ignore_extras=False):
    result = {}
    unprocessed = {}

    if not args:
        args = {}

    if not isinstance(args, dict):
        raise RuntimeError('args must be non-nil and must be a table')

    for k in args:
        unprocessed[k] = True

    for setting in settings:
        # allow name to either be the only non-named element
        # e.g. {'name', type='...'}, or named
        name = setting.get('name') or setting.get(0)

        # get value or default
        val = None
        if args.get(name) is not None:
            val = args[name]
        elif setting.get('default') is not None:
            val = setting['default']
        elif not setting.get('optional'):
            raise RuntimeError('required argument: ' + name)
        # check types
        if val is not None and not setting.get('optional') and setting.get('type') is not None:
            assert_type(val, setting['type'], name)

        result[name] = val
        unprocessed.pop(name, None)

    if ignore_extras:
        # `for _, name in pairs(unprocessed)` walks the values, all `true`: `result[true] = args[true]`, nil
        for name in unprocessed.values():
            if args.get(name) is not None:
                result[name] = args[name]
    # `#unprocessed > 0` of a table keyed by names is 0 in Lua: the extras error never fires
    return result
