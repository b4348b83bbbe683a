"""``require 'pl.dir'``: Penlight's directory functions (listing with shell masks, walking, making and
removing trees, copying and moving files), POSIX rules.

Listings are lists of paths joined to the directory given, in the system's order. ``walk`` yields
``(root, dirs, files)`` as Penlight's iterator returns them: depth first, the last directory listed
first. A failure returns Penlight's false ``(None or False, message)`` (a ``paths.Failure``). Not
provided: ``clonetree``.
"""
import os
import re
import shutil

from ..paths.dirs import Failure
from . import path
from .utils import assert_arg, assert_string

__all__ = ['fnmatch', 'filter', 'getfiles', 'getdirectories', 'copyfile', 'movefile', 'walk', 'rmtree', 'makepath',
           'dirtree', 'getallfiles']


def _mask(pattern):
    """A shell mask (``*`` any run, ``?`` one character, everything else literal) as an anchored regex."""
    return re.compile('^' + re.escape(pattern).replace(r'\*', '.*').replace(r'\?', '.') + '$', re.S)


def _assert_dir(n, value):
    return assert_arg(n, value, 'string', path.isdir, 'not a directory')


def fnmatch(filename, pattern):
    """Whether ``filename`` matches the shell mask ``pattern`` (``*`` and ``?``)."""
    return _mask(assert_string(1, pattern)).search(assert_string(0, filename)) is not None


def filter(filenames, pattern):
    """The names of ``filenames`` that match the shell mask ``pattern``."""
    assert_arg(0, filenames, 'table')
    mask = _mask(assert_string(1, pattern))
    return [f for f in filenames if mask.search(f)]


def _listfiles(dirname, files, match=None):
    check = path.isfile if files else path.isdir
    return [path.join(dirname, f) for f in path.dir(dirname)
            if f not in ('.', '..') and check(path.join(dirname, f)) and (match is None or match.search(f))]


def getfiles(dirname='.', mask=None):
    """The regular files in ``dirname`` (default '.') whose names match the shell ``mask``, as paths
    joined to ``dirname``."""
    dirname = '.' if dirname is None else dirname
    _assert_dir(0, dirname)
    return _listfiles(dirname, True, None if mask is None else _mask(assert_string(1, mask)))


def getdirectories(dirname='.'):
    """The directories in ``dirname`` (default '.'), as paths joined to ``dirname``."""
    dirname = '.' if dirname is None else dirname
    return _listfiles(_assert_dir(0, dirname), False)


def _file_op(copy, src, dest, overwrite):
    if not overwrite and path.exists(dest):
        return Failure((False, 'cannot overwrite destination'))
    try:
        (shutil.copy if copy else shutil.move)(src, dest)   # Penlight runs `cp src dest` / `mv src dest`
    except (OSError, shutil.Error) as err:
        return Failure((False, str(err)))
    return True


def copyfile(src, dest, flag=True):
    """Copy file ``src`` to ``dest`` (into it when a directory), over an existing file unless ``flag`` is
    False: True, or ``(False, message)``."""
    return _file_op(True, assert_string(0, src), assert_string(1, dest), flag is None or flag)


def movefile(src, dest):
    """Move ``src`` to ``dest``: True, or ``(False, message)``."""
    return _file_op(False, assert_string(0, src), assert_string(1, dest), True)


def _dirfiles(dirname, attrib):
    dirs, files = [], []
    for f in path.dir(dirname):
        if f not in ('.', '..'):
            (dirs if attrib(path.join(dirname, f), 'mode') == 'directory' else files).append(f)
    return dirs, files


def walk(root, bottom_up=False, follow_links=False):
    """Yield ``(dirpath, dirnames, filenames)`` for ``root`` and every directory under it, depth first,
    the last-listed directory first; parents after their children when ``bottom_up``. As Penlight's code,
    links to directories are followed unless ``follow_links`` is given (which lists them as files)."""
    _assert_dir(0, root)
    attrib = path.link_attrib if follow_links else path.attrib
    to_scan, to_return = [root], []
    while to_scan:
        current = to_scan.pop()
        dirs, files = _dirfiles(current, attrib)
        to_scan.extend(current + path.sep + d for d in dirs)
        if bottom_up:
            to_return.append((current, dirs, files))
        else:
            yield current, dirs, files
    while to_return:
        yield to_return.pop()


def rmtree(fullpath):
    """Remove directory ``fullpath`` and everything in it (not following links): True, or the false
    ``(None, message)``; a link given as ``fullpath`` is refused with ``(False, 'will not follow symlink')``."""
    _assert_dir(0, fullpath)
    if path.islink(fullpath):
        return Failure((False, 'will not follow symlink'))
    for root, _, files in walk(fullpath, True):
        doomed = [root] if path.islink(root) else [path.join(root, f) for f in files]
        for target in doomed:
            try:
                os.remove(target)
            except OSError as err:
                return Failure((None, f"{target}: {err.strerror}: {target}"))
        if not path.islink(root):
            done = path.rmdir(root)
            if not done:
                return Failure((None, f"{done[1]}: {root}"))
    return True


def makepath(p):
    """Create directory ``p`` and any missing parents (``p`` made absolute first): True, or the false
    ``(None, message, errno)`` of the mkdir that failed."""
    return _makepath(path.abspath(assert_string(0, p)))


def _makepath(p):
    if path.isdir(p):
        return True
    parent = re.fullmatch(r'(.+)/[^/]+', p, re.S)
    if parent:
        done = _makepath(parent.group(1))
        if not done:
            return done
    return path.mkdir(p)


def dirtree(d):
    """Yield ``(path, is_dir)`` for everything under directory ``d``, each directory before its contents
    (entries whose link is broken are skipped)."""
    if not d:
        raise ValueError("pl.dir.dirtree: directory parameter is missing or empty")
    d = d[:-1] if d.endswith('/') else d
    for name in path.dir(d):
        if name in ('.', '..'):
            continue
        entry = d + path.sep + name
        if path.exists(entry):
            is_dir = path.isdir(entry)
            yield entry, is_dir
            if is_dir:
                yield from dirtree(entry)


def getallfiles(start_path='.', shell_pattern='*'):
    """Every non-directory under ``start_path`` (default '.') whose full path matches the shell mask
    ``shell_pattern`` (default ``*``)."""
    start_path = '.' if start_path is None else start_path
    _assert_dir(0, start_path)
    mask = _mask(shell_pattern or '*')
    return [f for f, is_dir in dirtree(start_path) if not is_dir and mask.search(f)]
