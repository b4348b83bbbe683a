"""paths' directory functions (doc/dirfunctions.md): ``dir``, ``files``, ``iterdirs``, ``iterfiles``,
``mkdir``, ``rmdir``, ``rmall``, and ``tmpname``.

Failures are returned as paths returns them, never raised: Lua's ``nil, message, errno`` is a
``Failure``, a tuple of those three values that is false in an ``if``, so both ``if not paths.mkdir(d):``
and ``ok, err, code = paths.mkdir(d)`` port literally."""
import atexit
import os
import re
import tempfile

from .filenames import checkstring, concat, dirname, dirp, filep


class Failure(tuple):
    """Lua's ``nil, message, code`` from a failed call: unpacks to its values and tests false, as its nil."""

    def __bool__(self):
        return False


def _os_failure(name, err):
    """paths.c's pushresult of a failed system call on ``name``: nil, ``"name: reason"``, errno."""
    return Failure((None, f"{name}: {os.strerror(err.errno)}", err.errno))


def dir(dname):
    """The names in directory ``dname``, '.' and '..' first (as Unix's readdir lists them), the others in
    the system's order; None when ``dname`` cannot be opened as a directory."""
    try:
        return ['.', '..'] + os.listdir(checkstring('dir', dname))
    except (OSError, ValueError):
        return None


# A Lua pattern's %-escape (%. %a %d %w %s %l %u %p %c %x %%, %- and the other punctuation): a Python
# regex would read the '%' literally and silently match nothing.
_LUA_ESCAPE = re.compile(r'%[.acdglpsuwx%()\[\]*+?^$-]')


def _include(where, include):
    """``include`` as a test of one name: a function (its result's truth), a Python regex searched in the
    name (where Lua's string.find takes a Lua pattern), or None for every name."""
    if include is None:
        return lambda name: True
    if isinstance(include, str):
        if _LUA_ESCAPE.search(include):
            raise ValueError(f"paths.{where}: include {include!r} looks like a Lua pattern; give a Python "
                             f"regex (r'\\.jpg$' for Lua's '%.jpg$')")
        pattern = re.compile(include)
        return lambda name: pattern.search(name) is not None
    if callable(include):
        return include
    raise TypeError(f"paths.{where}: Expecting optional arg 2 to be function or string. Got : "
                    f"{type(include).__name__}")


def files(dname, include=None):
    """An iterator over the names of ``dname`` (from ``dir``, so '.' and '..' included; nothing when the
    directory cannot be read) for which ``include`` holds: a function of the name, or a Python regex
    ``re.search``-ed in it. The directory is read when ``files`` is called, as paths does."""
    names = dir(dname) or []
    test = _include('files', include)
    return (name for name in names if test(name))


def iterdirs(dname):
    """An iterator over the subdirectories of ``dname`` (symlinks to directories too), '.' and '..' left out."""
    return files(dname, lambda name: dirp(concat(dname, name)) and name not in ('.', '..'))


def iterfiles(dname):
    """An iterator over the names in ``dname`` that are not directories (``filep``)."""
    return files(dname, lambda name: filep(concat(dname, name)) and name not in ('.', '..'))


def mkdir(path):
    """Create directory ``path`` (mode 0777 less the umask), its missing parents first as paths.c does;
    True, or a ``Failure`` (None, ``"path: reason"``, errno), e.g. when it exists already."""
    name = checkstring('mkdir', path)
    parent = dirname(name)
    if not dirp(parent):
        mkdir(parent)
    try:
        os.mkdir(name, 0o777)
    except OSError as err:
        return _os_failure(name, err)
    return True


def rmdir(path):
    """Remove the empty directory ``path``: True, or a ``Failure`` (None, ``"path: reason"``, errno)."""
    name = checkstring('rmdir', path)
    try:
        os.rmdir(name)
    except OSError as err:
        return _os_failure(name, err)
    return True


def rmall(path, more=None):
    """Remove the file or the directory tree ``path``; ``more`` must be the string ``'yes'``. True, or a
    ``Failure``: (None, "missing second argument ('yes')") without it, (None, reason, the path that failed)
    when a removal fails or ``path`` is neither a file nor a directory. A symbolic link is removed, never
    followed (paths' ``filep``/``dirp`` follow it, so Lua emptied the directory a link pointed to)."""
    name = checkstring('rmall', path)
    if more != 'yes':
        return Failure((None, "missing second argument ('yes')"))
    if os.path.islink(name) or filep(name):
        try:
            os.remove(name)
        except OSError as err:
            return _os_failure(name, err)
        return True
    if not dirp(name):
        return Failure((None, 'not a file or directory', name))
    for entry in files(name):
        if entry in ('.', '..'):
            continue
        inner = concat(name, entry)
        done = rmall(inner, more)
        if not done:
            return Failure((done[0], done[1], inner))
    return rmdir(name)


_TMPNAMES = []   # paths.tmpname's files, removed when the interpreter exits


def _remove_tmpnames():
    """What C's remove() does to each name at exit: a file or an empty directory goes, anything else stays."""
    for name in _TMPNAMES:
        try:
            os.remove(name)
        except IsADirectoryError:
            try:
                os.rmdir(name)
            except OSError:
                pass
        except OSError:
            pass


def tmpname():
    """The name of a new temporary file in the system's temporary directory, removed when Python exits.
    The file exists (empty) on return, so no other process can take the name; paths' tempnam only chose
    a name."""
    handle, name = tempfile.mkstemp(prefix='luatmp')
    os.close(handle)
    if not _TMPNAMES:
        atexit.register(_remove_tmpnames)
    _TMPNAMES.append(name)
    return name

