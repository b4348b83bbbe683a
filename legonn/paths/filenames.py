"""paths' filename functions (doc/filenames.md): ``filep``, ``dirp``, ``basename``, ``dirname``, ``extname``,
``cwd``, ``concat``, ``execdir``, with paths.c's Unix rules, as plain string arithmetic (``concat`` and the
name functions never look at the disk)."""
import numbers
import os
import stat
import sys

from ..tensor.introspection import tostring


def checkstring(where, value):
    """``value`` as a path string, as Lua's luaL_checkstring takes it: a string (or ``os.PathLike``) or a
    number (written as Lua writes it); anything else is a TypeError naming ``where``."""
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        path = os.fspath(value)
        if isinstance(path, str):
            return path
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        return tostring(value)
    raise TypeError(f"paths.{where}: expected a path (a string or os.PathLike), got {type(value).__name__}")


def _pushed(text):
    """A result as paths.c hands it to Lua (its sbpush): every backslash becomes a slash."""
    return text.replace('\\', '/')


def filep(path):
    """True when ``path`` names something that exists (after symlinks) and is not a directory."""
    name = checkstring('filep', path)
    try:
        return not stat.S_ISDIR(os.stat(name).st_mode)
    except (OSError, ValueError):   # missing, unreadable, or a name with a NUL byte
        return False


def dirp(path):
    """True when ``path`` names an existing directory (after symlinks)."""
    return os.path.isdir(checkstring('dirp', path))


def _last_inner_slash(name):
    """The position of the last '/' followed by a character other than '/', or -1: paths.c's "nontrivial
    slash", which makes trailing slashes count for nothing."""
    found = -1
    for i in range(len(name) - 1):
        if name[i] == '/' and name[i + 1] != '/':
            found = i
    return found


def basename(path, suffix=None):
    """The last component of ``path`` (trailing slashes ignored: ``'a/b/'`` gives ``'b'``, ``'/'`` gives ``''``),
    without ``suffix`` when the name ends in ``'.' + suffix`` and is longer than it (a leading '.' of
    ``suffix`` is optional): ``basename('x/model.t7', 't7')`` is ``'model'``, as the shell's basename."""
    name = checkstring('basename', path)
    start = _last_inner_slash(name) + 1
    end = name.find('/', start)
    base = name[start:] if end < 0 else name[start:end]
    if suffix is not None:
        suffix = checkstring('basename', suffix)
        if suffix.startswith('.'):
            suffix = suffix[1:]
        if suffix and len(base) > len(suffix) and base.endswith('.' + suffix):
            base = base[:-len(suffix) - 1]
    return _pushed(base)


def dirname(path):
    """Everything before the last component of ``path``: ``'a/b'`` gives ``'a'``, ``'/a'`` gives ``'/'``,
    a name with no directory gives ``'.'``, and a name of slashes only is returned as it is (paths.c: the
    slashes before the last component are kept but one, ``'a//b'`` giving ``'a/'``)."""
    name = checkstring('dirname', path)
    cut = _last_inner_slash(name)
    if cut < 0:
        return name if name.startswith('/') else '.'
    return _pushed(name[:max(cut, 1)])


def extname(path):
    """What follows the last '.' of ``path`` (anywhere in it, as paths.c looks: ``'a.d/b'`` gives ``'d/b'``),
    or None when there is no '.'."""
    name = checkstring('extname', path)
    dot = name.rfind('.')
    return None if dot < 0 else name[dot + 1:]


def cwd():
    """The full path of the current directory ('.' when it cannot be read)."""
    try:
        return _pushed(os.getcwd())
    except OSError:
        return '.'


def _join(base, name):
    """``name`` resolved against the full name ``base`` (paths.c's concat_fname on Unix; ``base`` is absolute
    but when the current directory cannot be read): an absolute
    ``name`` restarts from '/', '.' components vanish, '..' removes the last component, slashes collapse,
    and no trailing slash remains (except the root's)."""
    parts = [] if name.startswith('/') else [part for part in base.split('/') if part]
    absolute = name.startswith('/') or base.startswith('/')
    for part in name.split('/'):
        if part in ('', '.'):
            continue
        if part == '..':
            if parts:
                parts.pop()
            continue
        parts.append(part)
    joined = '/'.join(parts)
    return '/' + joined if absolute else joined or '/'


def concat(*names):
    """The full name of the last of ``names``, each taken relative to the full name of the one before it,
    the first relative to the current directory: ``concat('out', 'model.t7')`` is ``cwd() + '/out/model.t7'``,
    ``concat('/a/b', '../c')`` is ``'/a/c'``; with no argument, ``cwd()``."""
    full = cwd()
    for name in names:
        full = _pushed(_join(full, checkstring('concat', name)))
    return full


def execdir():
    """The directory of the running interpreter (Lua's: of its executable), or None when unknown."""
    return os.path.dirname(sys.executable) or None
