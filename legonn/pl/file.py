"""``require 'pl.file'``: Penlight's file helpers, each another module's function under a file-ish name.

``read``/``write`` are ``pl.utils.readfile``/``writefile``, ``copy``/``move`` ``pl.dir.copyfile``/
``movefile``, the times ``pl.path``'s, ``delete`` removes a file (True, or the false ``(None, message,
errno)`` as Lua's os.remove).
"""
import os

from ..paths.dirs import _os_failure
from . import dir as _dir
from . import path as _path
from . import utils as _utils

__all__ = ['read', 'write', 'copy', 'move', 'access_time', 'creation_time', 'modified_time', 'size', 'delete']

read = _utils.readfile
write = _utils.writefile
copy = _dir.copyfile
move = _dir.movefile
access_time = _path.getatime
creation_time = _path.getctime
modified_time = _path.getmtime
size = _path.getsize


def delete(filename):
    """Remove the file ``filename``: True, or ``(None, "name: reason", errno)`` as Lua's os.remove."""
    try:
        os.remove(filename)
    except OSError as err:
        return _os_failure(filename, err)
    return True
