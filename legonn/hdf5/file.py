"""``hdf5.open`` and ``hdf5.HDF5File`` (file.lua)."""
import os

from ..tensor.naming import TorchNamed
from .group import HDF5Group
from .library import h5py

_MODES = ('a', 'r', 'r+', 'w', 'w-')


class HDF5File(TorchNamed):
    """An open HDF5 file: ``read(path)``, ``write(path, data, options)``, ``append(...)``, ``all()``,
    ``filename()``, ``close()``; also a context manager that closes it."""

    def __init__(self, filename, h5file):
        self._filename, self._file = filename, h5file
        self._rootGroup = HDF5Group(h5file)

    @staticmethod
    def open(filename, mode=None):
        """The same as ``hdf5.open``."""
        return open(filename, mode)

    def filename(self):
        return self._filename

    def read(self, datapath='/'):
        """The group or dataset at ``datapath`` (the root group for ``'/'``, the default); a missing path is
        a ValueError."""
        return self._rootGroup.read(datapath)

    def write(self, datapath, data, options=None):
        """Store ``data`` (a tensor, or a dict of them, nested dicts becoming groups) at ``datapath``; at
        ``'/'`` only a dict. See ``HDF5Group.write``."""
        self._rootGroup.write(datapath, data, options)

    def append(self, datapath, data, options=None):
        """Add rows to a chunked dataset along its first dimension. See ``HDF5Group.append``."""
        self._rootGroup.append(datapath, data, options)

    def all(self):
        """Every dataset of the file, as nested dicts of tensors."""
        return self._rootGroup.all()

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"[HDF5File: {self._filename}]"


def open(filename, mode=None):
    """Open or create the HDF5 file ``filename`` (``~`` is the home directory; its directory must exist).

    ``mode``: ``'a'`` (the default: read/write, created if missing), ``'r'`` (read only), ``'r+'``
    (read/write, must exist), ``'w'`` (create, replacing), ``'w-'`` (create, failing if it exists).
    """
    if not isinstance(filename, (str, os.PathLike)):
        raise TypeError(f"hdf5.open: filename must be a path, got {type(filename).__name__}")
    if mode not in (None,) + _MODES:
        raise ValueError(f"hdf5.open: unknown mode {mode!r}; expected one of {', '.join(_MODES)}")
    filename = os.path.abspath(os.path.expanduser(os.fspath(filename)))
    if not os.path.isdir(os.path.dirname(filename)):
        raise FileNotFoundError(f"hdf5.open: no such directory {os.path.dirname(filename)}")
    if mode in (None, 'a'):
        mode = 'r+' if os.path.exists(filename) else 'w'
    module = h5py('hdf5.open')
    try:
        h5file = module.File(filename, mode)
    except OSError as err:
        raise type(err)(f"hdf5.open: cannot open {filename} with mode {mode!r}: {err}") from err
    return HDF5File(filename, h5file)
