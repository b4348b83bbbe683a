"""paths' miscellany (doc/misc.md, doc/dirpaths.md): ``uname``, ``is_win``, ``is_mac``, ``getregistryvalue``,
``findprogram``, ``thisfile``, ``dofile``, ``require``, and the directories ``home`` and ``install_*``."""
import importlib
import os
import platform
import re
import runpy
import sys
import sysconfig

from ..tensor import backend
from .filenames import checkstring, concat, dirname, filep


def uname():
    """(system name, network name, processor type): ``('Linux', 'host', 'x86_64')``, ``('Darwin', ...)``,
    ``('Windows', ..., 'AMD64')``."""
    info = platform.uname()
    return info.system, info.node, info.machine


def is_win():
    """``'Windows'`` on Windows, else None: what paths' ``uname():match('Windows')`` returns (true, or nil)."""
    found = re.search('Windows', uname()[0])
    return found.group(0) if found else None


def is_mac():
    """``'Darwin'`` on macOS, else None (paths' ``uname():match('Darwin')``)."""
    found = re.search('Darwin', uname()[0])
    return found.group(0) if found else None


def getregistryvalue(key, subkey, value):
    """A Windows registry value. Elsewhere an error, as paths'; on Windows not ported (Python's ``winreg``
    reads the registry)."""
    if not is_win():
        raise RuntimeError("paths.getregistryvalue: This function exists only on windows")
    raise NotImplementedError("paths.getregistryvalue: not ported; read the registry with Python's winreg")


def findprogram(*names):
    """The full name of the first of ``names`` found as a file in a directory of ``$PATH`` ('.' when unset),
    each name searched through every directory before the next name; None when none is found. On Windows a
    name without '.exe' gets it (paths' registry look-up is not ported)."""
    windows = is_win()
    for name in names:
        exe = checkstring('findprogram', name)
        if windows and not exe.endswith('.exe'):
            exe += '.exe'
        for directory in (os.environ.get('PATH') or '.').split(os.pathsep):
            if directory:
                candidate = concat(directory, exe)
                if filep(candidate):
                    return candidate
    return None


def thisfile(arg=None, depth=1):
    """The full name of the file whose code called ``thisfile`` (None from an interactive prompt or a string
    of code); with ``arg``, the full name of ``arg`` relative to that file's directory (``arg`` itself when
    there is no file). ``depth`` is the caller's frame: 1 the direct caller, 2 its caller, ... (Lua's
    ``debug.getinfo`` levels less one, 0-based as ``sys._getframe``)."""
    try:
        frame = sys._getframe(depth)
    except (ValueError, TypeError) as err:
        raise ValueError(f"paths.thisfile: depth must be a frame level on the call stack (1 is the caller), "
                         f"got {depth!r}") from err
    source = frame.f_code.co_filename
    path = None if source.startswith('<') else concat(source)
    if isinstance(arg, str):
        path = concat(dirname(path), arg) if path else arg
    return path


def dofile(filename, depth=1):
    """Run the Python file ``filename``, taken relative to the directory of the file that calls ``dofile``
    (to the current directory from a prompt), and return its globals (a Python file returns no values,
    where Lua's dofile returns the chunk's)."""
    name = checkstring('dofile', filename)
    caller = thisfile(None, depth + 1)
    if caller:
        name = concat(dirname(caller), name)
    return runpy.run_path(name)


# Torch7 packages and the legonn module each one is; the GPU ones load only where CuPy finds a device, as
# Torch7's fail to load without CUDA (the test scripts make before choosing the GPU)
_PACKAGES = {'torch': 'legonn', 'nn': 'legonn.nn', 'nngraph': 'legonn.graph', 'optim': 'legonn.optim',
             'threads': 'legonn.threads', 'paths': 'legonn.paths', 'xlua': 'legonn.xlua', 'image': 'legonn.image',
             'dataload': 'legonn.dataload', 'rnn': 'legonn.nn', 'dpnn': 'legonn.nn', 'nnx': 'legonn.nn',
             'cutorch': 'legonn.cutorch', 'cunn': 'legonn.nn', 'cudnn': 'legonn.cudnn', 'hdf5': 'legonn.hdf5',
             'tds': 'legonn.tds', 'inn': 'legonn.inn', 'loadcaffe': 'legonn.loadcaffe', 'torchnet': 'legonn.torchnet',
             'nninit': 'legonn.nninit', 'sys': 'legonn.torch_sys', 'csvigo': 'legonn.csvigo', 'cjson': 'legonn.cjson',
             'optnet': 'legonn.optnet', 'gnuplot': 'legonn.gnuplot', 'mnist': 'legonn.mnist', 'lfs': 'legonn.lfs',
             'pl': 'legonn.pl', 'trepl': 'legonn.trepl', 'ffi': 'legonn.ffi',
             'dok': 'legonn.dok', 'audio': 'legonn.audio',
             'distributions': 'legonn.distributions', 'matio': 'legonn.matio'}
_GPU_PACKAGES = ('cutorch', 'cunn', 'cudnn')


def _package(name):
    """The Torch7 package ``name`` names (its C library ``'lib' + name`` counts as it), or ``name``."""
    return name[3:] if name.startswith('lib') and name[3:] in _PACKAGES else name


def python_module(name):
    """The Python module ``require(name)`` loads, and whether it is one of the GPU packages: the module
    ``'cudnn'`` gives ``('legonn.cudnn', True)``, an unknown name ``(name, False)``."""
    package = _package(checkstring('require', name))
    if package.startswith(('pl.', 'trepl.')):   # 'pl.stringx' is legonn.pl.stringx, 'trepl.colorize' ...
        return 'legonn.' + package, False
    return _PACKAGES.get(package, package), package in _GPU_PACKAGES


def require(name):
    """Load package ``name`` and return it: legonn's module for a Torch7 package (``'nn'`` is ``legonn.nn``,
    ``'cudnn'`` ``legonn.cudnn``, ``'libpaths'`` ``legonn.paths``), any other Python module by its name.
    ``'cutorch'``, ``'cunn'`` and ``'cudnn'`` need CuPy and a CUDA device, as Torch7's do; an ImportError
    says what is missing."""
    target, gpu = python_module(name)
    if gpu:
        try:
            backend.cupy()
        except (ImportError, RuntimeError) as err:
            raise ImportError(f"paths.require: {name!r} needs CuPy and a CUDA device: {err}") from err
    try:
        return importlib.import_module(target)
    except ImportError as err:
        raise ImportError(f"paths.require: module {name!r} not found ({target}: {err})") from err


def _home():
    """paths.home: ``%HOMEDRIVE%%HOMEPATH%`` on Windows, else ``$HOME`` ('.' when unset)."""
    if is_win():
        return (os.environ.get('HOMEDRIVE') or 'C:') + (os.environ.get('HOMEPATH') or '\\')
    return os.environ.get('HOME') or '.'


def _install_dirs():
    """paths.install_*: the Python installation's counterparts of Torch's directories (its prefix, scripts,
    libraries, include files, data; ``install_lua_path`` is where pure Python packages go and
    ``install_lua_cpath`` where compiled ones go); None for Torch's help, HTML and CMake directories,
    which Python has not."""
    dirs = sysconfig.get_paths()
    share = os.path.join(dirs['data'], 'share')
    return {'install_prefix': sys.prefix, 'install_bin': dirs['scripts'],
            'install_man': os.path.join(share, 'man'),
            'install_lib': sysconfig.get_config_var('LIBDIR') or os.path.join(sys.prefix, 'lib'),
            'install_share': share, 'install_include': dirs['include'], 'install_hlp': None,
            'install_html': None, 'install_cmake': None, 'install_lua_path': dirs['purelib'],
            'install_lua_cpath': dirs['platlib']}
