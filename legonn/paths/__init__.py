"""``require 'paths'``: torch/paths, the file-name and directory functions Torch7 scripts call.

``paths.concat(opt['save'], 'model.t7')``, ``paths.mkdir(d)``, ``paths.filep(f)``, ``paths.dirp(d)``,
``for f in paths.files(d):``, ``paths.basename(f, 'jpg')`` ... return what paths returns: strings, booleans,
None for nil, and for a failure Lua's ``nil, message, errno`` as a ``Failure`` (a tuple that tests false).
Names follow paths.c's Unix rules on every system (its Windows drive-letter rules are not ported).

Where paths takes a Lua pattern (``files``' include string) it takes a Python regex, searched in the name;
a string that still holds a Lua %-escape (``'%.jpg$'``) is refused rather than silently matching nothing.
``paths.dofile`` and ``paths.require`` load Python: legonn's modules for Torch7's packages (``'nn'``,
``'optim'``, ``'cudnn'``, ...), any other Python module by name.
"""
from .dirs import Failure, dir, files, iterdirs, iterfiles, mkdir, rmall, rmdir, tmpname
from .filenames import basename, concat, cwd, dirname, dirp, execdir, extname, filep
from .misc import (_home, _install_dirs, dofile, findprogram, getregistryvalue, is_mac, is_win, require,
                   thisfile, uname)

home = _home()
globals().update(_install_dirs())   # install_prefix, install_bin, install_lua_path, ...

__all__ = ['Failure', 'basename', 'concat', 'cwd', 'dir', 'dirname', 'dirp', 'dofile', 'execdir', 'extname',
           'filep', 'files', 'findprogram', 'getregistryvalue', 'home', 'is_mac', 'is_win', 'iterdirs',
           'iterfiles', 'mkdir', 'require', 'rmall', 'rmdir', 'thisfile', 'tmpname', 'uname', 'install_prefix',
           'install_bin', 'install_man', 'install_lib', 'install_share', 'install_include', 'install_hlp',
           'install_html', 'install_cmake', 'install_lua_path', 'install_lua_cpath']
