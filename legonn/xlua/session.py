"""xlua's session helpers: ``require`` (load a package or say why not), ``installed``, ``trycatch``,
``log`` (stdout copied to a file), ``clear`` and ``who`` (the caller's global names)."""
import gc
import importlib.util
import os
import sys
import types

from ..paths.dirs import mkdir
from ..paths.filenames import dirname
from ..paths.misc import python_module
from ..paths.misc import require as _paths_require
from .printing import print as xprint


def require(package, luarocks=None, server=None):
    """Load ``package`` as ``paths.require`` does (legonn's module for a Torch7 package) and return it;
    when it cannot be loaded, print the error and ``warning: <package> could not be loaded (is it
    installed?)`` and return False: ``if xlua.require('cunn'):`` is true only where CuPy finds a GPU.
    ``luarocks`` and ``server`` are accepted and unused, as in xlua."""
    try:
        return _paths_require(package)
    except Exception as err:   # xlua's pcall: whatever stops the package from loading
        print(err)
        print(f"warning: <{package}> could not be loaded (is it installed?)")
        return False


def installed(package):
    """``(True, file)`` when the module ``require(package)`` would load is installed (for the GPU packages:
    when CuPy is), else ``(False, the search path)``."""
    target, gpu = python_module(package)
    try:
        spec = importlib.util.find_spec('cupy' if gpu else target)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return False, os.pathsep.join(sys.path)
    return True, spec.origin


def trycatch(try_, catch):
    """Call ``try_()``; if it raises, call ``catch(error)`` with the exception."""
    try:
        try_()
    except Exception as err:
        catch(err)


class _Tee:
    """stdout and a log file: what is written goes to both, the file flushed at once."""

    def __init__(self, stream, file):
        self._stream = stream
        self._file = file

    def write(self, text):
        """Write ``text`` to the file (flushed, as xlua.log flushes) and to the stream."""
        self._file.write(text)
        self._file.flush()
        return self._stream.write(text)

    def flush(self):
        """Flush both."""
        self._stream.flush()
        self._file.flush()

    def __getattr__(self, name):   # isatty, fileno, encoding: the terminal's
        return getattr(self._stream, name)


def log(file, append=False):
    """From now on, copy everything written to stdout into ``file`` (its directory made first; appended
    to with ``append``, else overwritten)."""
    try:
        path = os.fspath(file)
    except TypeError:
        raise TypeError(f"xlua.log: expected a file name, got {type(file).__name__}") from None
    mkdir(dirname(path))
    sys.stdout = _Tee(sys.stdout, open(path, 'a' if append else 'w'))


def clear(var):
    """Delete the caller's global ``var`` (nothing if it has none) and collect garbage."""
    sys._getframe(1).f_globals.pop(var, None)
    gc.collect()


def who():
    """Print the caller's global modules (``Global Libs``) and its other global names not starting with
    '_' with their values (``Global Vars``), in xlua.print's table format."""
    names = sys._getframe(1).f_globals
    libs = [name for name, value in names.items() if isinstance(value, types.ModuleType)]
    user = {name: value for name, value in names.items()
            if not name.startswith('_') and not isinstance(value, types.ModuleType)}
    for item in ('', 'Global Libs:', libs, '', 'Global Vars:', user, ''):
        xprint(item)
