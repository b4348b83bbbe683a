"""code/include/log.lua (rxi's log.lua with bshillingford's formatted variants): log.info(...), log.infof(fmt, ...)
and the other levels print ``[LEVEL time] file:line: message``; numbers in the plain variants round to 0.01.

Edits: the Lua's module table is this module; ``debug.getinfo(2, "Sl")`` is the caller's frame
(``inspect``); ``log.level``/``usecolor``/``outfile`` are module globals set with ``log.level = ...``
(``from . import log``) as in Lua.
"""
import inspect
import math
import os
import sys
import time

usecolor = True
outfile = None
level = "trace"

modes = [
    {'name': "trace", 'color': "\27[34m"},
    {'name': "debug", 'color': "\27[36m"},
    {'name': "info", 'color': "\27[32m"},
    {'name': "warn", 'color': "\27[33m"},
    {'name': "error", 'color': "\27[31m"},
    {'name': "fatal", 'color': "\27[35m"},
]

levels = {}
for i, v in enumerate(modes):
    levels[v['name']] = i


def round(x, increment=None):
    increment = increment or 1
    x = x / increment
    return (math.floor(x + .5) if x > 0 else math.ceil(x - .5)) * increment


def _tostring(*args):
    t = []
    for x in args:
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            x = round(x, .01)
        t.append(str(x))
    return " ".join(t)


def _lineinfo():
    frame = inspect.stack()[2]
    return "%s:%d" % (os.path.basename(frame.filename), frame.lineno)


def _make(i, x):
    nameupper = x['name'].upper()

    def plain(*args):
        # Return early if we're below the log level
        if i < levels[sys.modules[__name__].level]:
            return
        msg = _tostring(*args)
        _emit(nameupper, x['color'], _lineinfo(), msg)

    def formatted(fmt, *args):
        if i < levels[sys.modules[__name__].level]:
            return
        _emit(nameupper, x['color'], _lineinfo(), fmt % args)
    return plain, formatted


def _emit(nameupper, color, lineinfo, msg):
    mod = sys.modules[__name__]
    # Output to console
    print("%s[%-6s%s]%s %s: %s" % (color if mod.usecolor else "", nameupper, time.strftime("%H:%M:%S"),
                                   "\27[0m" if mod.usecolor else "", lineinfo, msg))
    # Output to log file
    if mod.outfile:
        with open(mod.outfile, "a") as fp:
            fp.write("[%-6s%s] %s: %s\n" % (nameupper, time.strftime("%c"), lineinfo, msg))


for _i, _x in enumerate(modes):
    globals()[_x['name']], globals()[_x['name'] + 'f'] = _make(_i, _x)
