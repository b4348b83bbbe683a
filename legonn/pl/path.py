"""``require 'pl.path'``: Penlight's path functions on LuaFileSystem (``legonn.lfs``), POSIX rules.

Results are Penlight's: ``exists(p)`` returns ``p`` or False, ``splitext('a/b.c') == ('a/b', '.c')``,
``join`` restarts at an absolute piece, ``normpath`` keeps a leading '//' and leading '..'. A failed
``mkdir``/``rmdir``/``chdir``/``attrib`` returns the false ``(None, "mkdir failed for 'd': ...", errno)``.
Not provided: Windows' drive and UNC rules (``is_windows`` is False), ``package_path`` (Lua's
``package.path``).
"""
import os
import tempfile

from .. import lfs
from ..paths.dirs import Failure
from .utils import assert_string, split

__all__ = ['dir', 'mkdir', 'rmdir', 'attrib', 'link_attrib', 'currentdir', 'chdir', 'isdir', 'isfile', 'islink',
           'getsize', 'exists', 'getatime', 'getmtime', 'getctime', 'splitpath', 'abspath', 'splitext', 'dirname',
           'basename', 'extension', 'isabs', 'join', 'normcase', 'normpath', 'relpath', 'expanduser', 'tmpname',
           'common_prefix', 'sep', 'dirsep', 'is_windows']

is_windows = False
sep = '/'
dirsep = ':'
dir = lfs.dir


def _reported(name, param, result):
    """Penlight's err_func: an lfs Failure with its message made ``"<name> failed for '<param>': <msg>"``."""
    if not isinstance(result, Failure):
        return result
    _, err, *code = result
    message = f"{name} failed" + (f" for '{param}'" if param is not None else '') + f": {err}"
    if code:
        message += f" (code {code[0]})"
    return Failure((None, message) + tuple(code))


def mkdir(d):
    """lfs.mkdir(d): True, or a Failure naming the call."""
    return _reported('mkdir', d, lfs.mkdir(d))


def rmdir(d):
    """lfs.rmdir(d): True, or a Failure naming the call."""
    return _reported('rmdir', d, lfs.rmdir(d))


def attrib(d, r=None):
    """lfs.attributes(d, r), or a Failure naming the call."""
    return _reported('attrib', d, lfs.attributes(d, r))


def link_attrib(d, r=None):
    """lfs.symlinkattributes(d, r), or a Failure naming the call."""
    return _reported('link_attrib', d, lfs.symlinkattributes(d, r))


def currentdir():
    """lfs.currentdir(), or a Failure naming the call."""
    return _reported('currentdir', None, lfs.currentdir())


def chdir(d):
    """lfs.chdir(d): True, or a Failure naming the call."""
    return _reported('chdir', d, lfs.chdir(d))


def _attribute(p, name):
    """One lfs attribute of ``p``, None when ``p`` cannot be stat'ed (Lua's nil)."""
    value = lfs.attributes(assert_string(0, p), name)
    return None if isinstance(value, Failure) else value


def isdir(p):
    """Whether ``p`` is a directory (following links)."""
    return _attribute(p, 'mode') == 'directory'


def isfile(p):
    """Whether ``p`` is a regular file (following links)."""
    return _attribute(p, 'mode') == 'file'


def islink(p):
    """Whether ``p`` is a symbolic link."""
    value = lfs.symlinkattributes(assert_string(0, p), 'mode')
    return value == 'link'


def getsize(p):
    """The size of ``p`` in bytes, None when it does not exist."""
    return _attribute(p, 'size')


def exists(p):
    """``p`` when it exists, else False (Penlight returns the path, not True)."""
    return p if _attribute(p, 'mode') is not None else False


def getatime(p):
    """Last access time of ``p`` (whole seconds), None when it does not exist."""
    return _attribute(p, 'access')


def getmtime(p):
    """Last modification time of ``p`` (whole seconds), None when it does not exist."""
    return _attribute(p, 'modification')


def getctime(p):
    """Last status change time of ``p`` (whole seconds), or a Failure naming the call."""
    return attrib(assert_string(0, p), 'change')


def splitpath(p):
    """``(directory, name)`` around the last '/': ``('', p)`` without one; the directory keeps no
    trailing '/'."""
    head, slash, tail = assert_string(0, p).rpartition(sep)
    return (head, tail) if slash else ('', p)


def abspath(p, pwd=None):
    """``p`` made absolute against ``pwd`` (default the current directory) and normalised; a trailing
    '/' is dropped first."""
    assert_string(0, p)
    if pwd is not None:
        assert_string(1, pwd)
    else:
        pwd = currentdir()
        if isinstance(pwd, Failure):
            return p
    p = p[:-1] if p.endswith(('/', '\\')) else p
    return normpath(p if isabs(p) else join(pwd, p))


def splitext(p):
    """``(root, extension)`` around the last '.' of the last component, the extension keeping its '.';
    ``(p, '')`` without one. A leading dot counts: ``splitext('.bashrc') == ('', '.bashrc')``."""
    assert_string(0, p)
    for i in range(len(p) - 1, -1, -1):
        if p[i] == sep:
            break
        if p[i] == '.':
            return p[:i], p[i:]
    return p, ''


def dirname(p):
    """The directory part of ``p`` (``splitpath(p)[0]``)."""
    return splitpath(p)[0]


def basename(p):
    """The name part of ``p`` (``splitpath(p)[1]``)."""
    return splitpath(p)[1]


def extension(p):
    """The extension of ``p`` with its '.', or ''."""
    return splitext(p)[1]


def isabs(p):
    """Whether ``p`` starts with '/'."""
    return assert_string(0, p).startswith(sep)


def join(p1, p2, *more):
    """The paths joined with '/' (none added after a '/' or an empty piece); an absolute piece restarts
    the path."""
    assert_string(0, p1)
    assert_string(1, p2)
    if more:
        p = join(p1, p2)
        for i, part in enumerate(more):
            p = join(p, assert_string(i + 2, part))
        return p
    if isabs(p2):
        return p2
    return p1 + p2 if p1 == '' or p1.endswith(sep) else p1 + sep + p2


def normcase(p):
    """``p`` unchanged (Penlight lower-cases only on Windows)."""
    return assert_string(0, p)


def normpath(p):
    """``p`` with '.' and repeated '/' removed and 'a/..' collapsed; '..' past the start is kept, a
    leading '//' (not '///') is kept, an empty result is '.'."""
    assert_string(0, p)
    anchor = ''
    if p.startswith('//') and p[2:3] != '/':
        anchor, p = '//', p[2:]
    elif p.startswith('/'):
        anchor, p = '/', p.lstrip('/')
    parts = []
    for part in filter(None, p.split(sep)):
        if part == '..':
            if parts and parts[-1] != '..':
                parts.pop()
            else:
                parts.append(part)
        elif part != '.':
            parts.append(part)
    return anchor + sep.join(parts) or '.'


def relpath(p, start=None):
    """``p`` relative to ``start`` (default the current directory)."""
    assert_string(0, p)
    if start is not None:
        assert_string(1, start)
    p = abspath(p, start)
    start = start if start is not None else currentdir()
    startl, pl = split(start, sep), split(p, sep)
    n = min(len(startl), len(pl))
    k = next((i for i in range(n) if startl[i] != pl[i]), n)
    return sep.join(['..'] * (len(startl) - k) + pl[k:])


def expanduser(p):
    """``p`` with a leading '~' replaced by $HOME; the false ``(None, message)`` when HOME is unset."""
    assert_string(0, p)
    if not p.startswith('~'):
        return p
    home = os.environ.get('HOME')
    if home is None:
        return Failure((None, "failed to expand '~' (HOME not set)"))
    return home + p[1:]


def tmpname():
    """A new temporary file's name (the file is created, empty, as Lua's os.tmpname does on POSIX)."""
    fd, name = tempfile.mkstemp(prefix='lua_')
    os.close(fd)
    return name


def common_prefix(path1, path2):
    """The longest directory both paths start in (the shorter path itself when the longer continues it
    with '/')."""
    assert_string(0, path1)
    assert_string(1, path2)
    if len(path1) > len(path2):
        path1, path2 = path2, path1
    for i, ch in enumerate(path1):
        if ch != path2[i]:
            cp = path1[:i]
            return cp if i > 0 and path1[i - 1] == sep else dirname(cp)
    return path1 if path2[len(path1):len(path1) + 1] == sep else dirname(path1)
