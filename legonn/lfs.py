"""``require 'lfs'``: LuaFileSystem's calls on POSIX systems, with its results.

A failed call returns lfs's ``nil, message, errno`` as ``paths.Failure``, a tuple that tests false, so
``if not lfs.mkdir(d)`` and ``ok, err, code = lfs.mkdir(d)`` both port literally. ``attributes`` gives a dict
with lfs's fields (mode, dev, ino, nlink, uid, gid, rdev, access, modification, change, size,
permissions, blocks, blksize), or one field's value. ``dir(path)`` yields the names ('.' and '..'
included). ``lock``/``unlock`` take a Python file object and lock with POSIX ``fcntl`` as lfs does.
Not provided: ``lock_dir``, ``setmode`` (Windows' text/binary modes) and Windows' rules.
"""
import errno as _errno
import fcntl
import os
import stat
import time

from .paths.dirs import Failure

__all__ = ['attributes', 'symlinkattributes', 'dir', 'mkdir', 'rmdir', 'currentdir', 'chdir', 'touch', 'link',
           'lock', 'unlock']

_KINDS = ((stat.S_ISREG, 'file'), (stat.S_ISDIR, 'directory'), (stat.S_ISLNK, 'link'), (stat.S_ISSOCK, 'socket'),
          (stat.S_ISFIFO, 'named pipe'), (stat.S_ISCHR, 'char device'), (stat.S_ISBLK, 'block device'))
_PERMISSIONS = (stat.S_IRUSR, stat.S_IWUSR, stat.S_IXUSR, stat.S_IRGRP, stat.S_IWGRP, stat.S_IXGRP,
                stat.S_IROTH, stat.S_IWOTH, stat.S_IXOTH)


def _checkstring(where, value):
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError(f"lfs.{where}: expected a path string, got {type(value).__name__}")
    return value


def _failure(err, info=None):
    """lfs.c's pusherror: nil, the system's message (after ``info:`` when given), errno."""
    message = os.strerror(err.errno)
    return Failure((None, f"{info}: {message}" if info else message, err.errno))


def _fields(info):
    """lfs's attribute table of an ``os.stat_result``: times in whole seconds, as lfs pushes them."""
    mode = next((name for test, name in _KINDS if test(info.st_mode)), 'other')
    perms = ''.join(ch if info.st_mode & bit else '-' for ch, bit in zip('rwxrwxrwx', _PERMISSIONS))
    return {'mode': mode, 'dev': info.st_dev, 'ino': info.st_ino, 'nlink': info.st_nlink, 'uid': info.st_uid,
            'gid': info.st_gid, 'rdev': info.st_rdev, 'access': int(info.st_atime),
            'modification': int(info.st_mtime), 'change': int(info.st_ctime), 'size': info.st_size,
            'permissions': perms, 'blocks': info.st_blocks, 'blksize': info.st_blksize}


def _file_info(where, filepath, name, follow, extra=None):
    filepath = _checkstring(where, filepath)
    try:
        info = os.stat(filepath) if follow else os.lstat(filepath)
    except OSError as err:
        return _failure(err, f"cannot obtain information from file '{filepath}'")
    fields = _fields(info)
    fields.update(extra or {})
    if name is None:
        return fields
    if isinstance(name, dict):   # lfs fills a table the caller gives
        name.update(fields)
        return name
    if name not in fields:
        raise ValueError(f"lfs.{where}: invalid attribute name '{name}' (expected one of {sorted(fields)})")
    return fields[name]


def attributes(filepath, name=None):
    """The attributes of ``filepath`` (following links): a dict, the one named ``name``, or ``name`` (a
    dict) filled; a Failure when the file cannot be stat'ed."""
    return _file_info('attributes', filepath, name, True)


def symlinkattributes(filepath, name=None):
    """As ``attributes``, of a link itself (lstat), with ``'target'`` (where it points) for a link. The one
    attribute ``'target'`` is read without lstat, as lfs's link_info: a Failure when ``filepath`` is no link."""
    filepath = _checkstring('symlinkattributes', filepath)
    if name == 'target':
        try:
            return os.readlink(filepath)
        except OSError as err:
            return _failure(err, 'could not obtain link target')
    extra = {'target': os.readlink(filepath)} if os.path.islink(filepath) else None
    return _file_info('symlinkattributes', filepath, name, False, extra)


def dir(path):
    """Yield the names in directory ``path``, '.' and '..' first; an OSError (lfs: an error) naming the
    path when it cannot be opened."""
    path = _checkstring('dir', path)
    try:
        names = os.listdir(path)
    except OSError as err:
        raise OSError(err.errno, f"lfs.dir: cannot open {path}: {os.strerror(err.errno)}") from None
    yield from ['.', '..'] + names


def _result(call, *args):
    try:
        call(*args)
    except OSError as err:
        return _failure(err)
    return True


def mkdir(dirname):
    """Create directory ``dirname`` with lfs's mode 0775 (rwxrwxr-x, less the umask): True, or a Failure."""
    return _result(os.mkdir, _checkstring('mkdir', dirname), 0o775)


def rmdir(dirname):
    """Remove the empty directory ``dirname``: True, or a Failure."""
    return _result(os.rmdir, _checkstring('rmdir', dirname))


def currentdir():
    """The current working directory, or a Failure."""
    try:
        return os.getcwd()
    except OSError as err:
        return _failure(err, 'get_dir getcwd() failed')


def chdir(path):
    """Change the working directory to ``path``: True, or ``(None, message)`` as lfs's."""
    path = _checkstring('chdir', path)
    try:
        os.chdir(path)
    except OSError as err:
        return Failure((None, f"Unable to change working directory to '{path}'\n{os.strerror(err.errno)}\n"))
    return True


def touch(filepath, atime=None, mtime=None):
    """Set the access and modification times of ``filepath`` (seconds; ``mtime`` defaults to ``atime``,
    both to now): True, or a Failure. The file must exist, as lfs's utime needs."""
    filepath = _checkstring('touch', filepath)
    atime = time.time() if atime is None else atime
    return _result(os.utime, filepath, (atime, atime if mtime is None else mtime))


def link(old, new, symlink=False):
    """Make ``new`` a hard link to ``old`` (a symbolic one when ``symlink``): True, or a Failure."""
    old, new = _checkstring('link', old), _checkstring('link', new)
    return _result(os.symlink if symlink else os.link, old, new)


# lfs's F_RDLCK / F_WRLCK / F_UNLCK through fcntl(F_SETLK), which Python's lockf makes of these
_LOCK_MODES = {'r': fcntl.LOCK_SH | fcntl.LOCK_NB, 'w': fcntl.LOCK_EX | fcntl.LOCK_NB, 'u': fcntl.LOCK_UN}


def _lock(where, fh, mode, start, length):
    if not hasattr(fh, 'fileno'):
        raise TypeError(f"lfs.{where}: expected an open file object, got {type(fh).__name__}")
    if mode not in _LOCK_MODES:
        raise ValueError(f"lfs.{where}: expected mode 'r' or 'w', got {mode!r}")
    try:
        fcntl.lockf(fh.fileno(), _LOCK_MODES[mode], length, start, os.SEEK_SET)
    except OSError as err:
        return Failure((None, os.strerror(err.errno or _errno.EAGAIN)))
    return True


def lock(fh, mode, start=0, length=0):
    """Lock ``length`` bytes (0: to the end) of file ``fh`` from byte ``start``, shared for mode 'r',
    exclusive for 'w', without waiting: True, or ``(None, message)`` when another process holds it."""
    return _lock('lock', fh, mode, start, length)


def unlock(fh, start=0, length=0):
    """Release the lock ``lock`` took on ``fh``: True, or ``(None, message)``."""
    return _lock('unlock', fh, 'u', start, length)
