"""``require 'sys'``: torch/sys, the small Unix helpers Torch7 scripts call (``from legonn import sys``).

This file is ``legonn.torch_sys`` so that no ``sys.py`` sits beside legonn's own modules; ``legonn.sys`` and
``from legonn import sys`` give it (legonn/__init__.py keeps Python's sys as ``_sys``). In a script that
also needs Python's sys, import it under another name: ``from legonn import sys as tsys``.

``sys.clock()`` (wall-clock seconds), ``sys.tic()``/``sys.toc(verbose)``, ``sys.sleep(s)``/``sys.usleep(us)``,
``sys.execute(cmd)``/``sys.fexecute(cmd)`` (the command's stdout and stderr as one stripped string),
``sys.uname()`` and ``sys.OS`` ('linux', 'macos', 'windows' or '?'), ``sys.ls``/``ll``/``la``/``lla``,
``sys.prefix`` (the Python installation, where torch/sys names LuaJIT's), ``sys.fpath()``,
``sys.split(s, pattern)`` (a Python regex where sys takes a Lua pattern), ``sys.isNaN``, ``sys.COLORS``,
and paths' ``dirname``/``concat``, as sys re-exports them.
"""
import os
import platform
import re
import subprocess
import tempfile
import time

from .paths import concat, dirname, install_prefix as prefix, thisfile
from .paths.dirs import _LUA_ESCAPE
from .tensor.introspection import LUA_SPACE
from .xlua.printing import COLORS as TEXT_COLORS

__all__ = ['clock', 'usleep', 'sleep', 'tic', 'toc', 'execute', 'fexecute', 'uname', 'OS', 'ls', 'll', 'la', 'lla',
           'prefix', 'fpath', 'split', 'isNaN', 'COLORS', 'dirname', 'concat']

# sys/colors.lua's ANSI escapes: xlua's copy has the text colours (lower case normal, capitalised bold), and
# '_' + a colour sets the background
COLORS = {**TEXT_COLORS, **{'_' + name: f'\x1b[{40 + code}m' for code, name in
                            enumerate(('black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'))}}

_tic = None


def clock():
    """Wall-clock time in seconds, to the microsecond (sys.c's gettimeofday)."""
    return time.time()


def usleep(microseconds):
    """Sleep ``microseconds`` microseconds."""
    time.sleep(microseconds / 1e6)


def sleep(seconds):
    """Sleep ``seconds`` seconds (a fraction too)."""
    usleep(seconds * 1e6)


def tic():
    """Start sys's one timer (``toc`` reads it)."""
    global _tic
    _tic = clock()


def toc(verbose=False):
    """Seconds since the last ``tic`` (printed too when ``verbose``)."""
    if _tic is None:
        raise RuntimeError("sys.toc: call sys.tic() first")
    elapsed = clock() - _tic
    if verbose:
        print(elapsed)
    return elapsed


def _checked_command(name, cmd):
    if not isinstance(cmd, str):
        raise TypeError(f"sys.{name}: the command must be a string, got {type(cmd).__name__}")
    return cmd


def execute(cmd):
    """Run ``cmd`` in the shell; its stdout and stderr together, leading and trailing white space (Lua's
    ``%s``, ASCII) removed."""
    done = subprocess.run(_checked_command('execute', cmd) + ' 2>&1', shell=True, stdout=subprocess.PIPE)
    return done.stdout.decode(errors='replace').strip(LUA_SPACE)


def fexecute(cmd, readwhat='*all'):
    """``execute`` through a temporary file, as sys.fexecute: ``readwhat`` is what Lua's ``file:read`` takes of
    it: '*all' (or '*a'), '*line' (or '*l', the first line) or a count of characters."""
    _checked_command('fexecute', cmd)
    if readwhat not in ('*all', '*a', '*line', '*l') and (isinstance(readwhat, bool) or not isinstance(readwhat, int)):
        raise ValueError(f"sys.fexecute: readwhat must be '*all', '*line' or a character count, got {readwhat!r}")
    handle, path = tempfile.mkstemp()
    os.close(handle)
    try:
        subprocess.run(f"{cmd} >{path} 2>&1", shell=True)
        with open(path, errors='replace', newline='') as f:
            text = f.read() if readwhat in ('*all', '*a') else \
                f.readline().rstrip('\n') if isinstance(readwhat, str) else f.read(readwhat)
    finally:
        os.remove(path)
    return text.strip(LUA_SPACE)


def uname():
    """'linux', 'macos', 'windows' or '?', the system this runs on."""
    return {'Linux': 'linux', 'Darwin': 'macos', 'Windows': 'windows'}.get(platform.system(), '?')


OS = uname()


def _lister(name, flags):
    def listing(d=None):
        return execute(f"ls {flags}{d or ' '}")
    listing.__name__ = listing.__qualname__ = name
    listing.__doc__ = f"``ls {flags}`` of ``d`` (the current directory by default), as ``execute`` returns it."
    return listing


ls, ll, la, lla = _lister('ls', ''), _lister('ll', '-l '), _lister('la', '-a '), _lister('lla', '-la ')


def fpath():
    """(directory, file name) of the file whose code calls ``fpath``: its resources' place."""
    path = thisfile(depth=2)
    if path is None:
        raise ValueError("sys.fpath: called from code without a file (an interactive prompt or a string)")
    return dirname(path), os.path.basename(path)


def split(s, pattern):
    """The pieces of ``s`` between matches of ``pattern`` (a Python regex; sys.split takes a Lua pattern):
    an empty first piece is dropped, other empty pieces kept, the rest after the last match added when
    not empty."""
    if not isinstance(pattern, str) or _LUA_ESCAPE.search(pattern):
        raise ValueError(f"sys.split: give a Python regex for the separator (r'\\s+' for Lua's '%s+'), "
                         f"got {pattern!r}")
    finder = re.compile('(.*?)(?:' + pattern + ')', re.DOTALL)
    pieces, end = [], 0
    for match in finder.finditer(s):
        if match.start() != 0 or match.group(1):
            pieces.append(match.group(1))
        end = match.end()
    if end < len(s):
        pieces.append(s[end:])
    return pieces


def isNaN(number):
    """True for a NaN (the one value unequal to itself)."""
    return number != number
