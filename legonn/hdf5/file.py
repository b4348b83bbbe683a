"""``hdf5.open`` and ``hdf5.HDF5File`` (file.lua)."""
import os
import weakref

from ..tensor.naming import TorchNamed
from .group import HDF5Group
from .library import h5py

_MODES = ('a', 'r', 'r+', 'w', 'w-')


class HDF5File(TorchNamed):
    """An open HDF5 file: ``read(path)``, ``write(path, data, options)``, ``append(...)``, ``all()``,
    ``filename()``, ``close()``; also a context manager that closes it."""

    def __init__(self, filename, h5file, mode='r'):
        self._filename, self._file = filename, h5file
        self._rootGroup = HDF5Group(h5file)
        self._readonly = mode == 'r'
        self._seen = _on_disk(filename)
        _OPEN.add(self)

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


# the files legonn has open: libhdf5 hands a second open of a file that is still open the first one's view
_OPEN = weakref.WeakSet()


def _on_disk(filename):
    """(device, inode) and (mtime, size) of ``filename``: which file it is and which version of it."""
    st = os.stat(filename)
    return (st.st_dev, st.st_ino), (st.st_mtime_ns, st.st_size)


def _refuse_stale(filename):
    """Refuse to open ``filename`` while a read-only handle opened it before it was rewritten on disk: libhdf5
    would share that handle's cached view of the old file (its groups and datasets), not read the new one."""
    if not os.path.exists(filename):
        return
    which, version = _on_disk(filename)
    for handle in list(_OPEN):
        seen_which, seen_version = handle._seen
        if handle._readonly and handle._file and seen_which == which and seen_version != version:
            raise ValueError(f"hdf5.open: {filename} was rewritten on disk since {handle!r} opened it, which is "
                             f"still open: libhdf5 would give this open that handle's view of the old file; "
                             f"close it first")


def open(filename, mode=None):
    """Open or create the HDF5 file ``filename`` (``~`` is the home directory; its directory must exist).

    ``mode``: ``'a'`` (the default: read/write, created if missing), ``'r'`` (read only), ``'r+'``
    (read/write, must exist), ``'w'`` (create, replacing), ``'w-'`` (create, failing if it exists).
    A file rewritten on disk while a read-only handle of it is still open is refused (libhdf5 would hand the
    new open that handle's view of the old file): close the old handle first.
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
    _refuse_stale(filename)
    try:
        h5file = module.File(filename, mode)
    except OSError as err:
        raise type(err)(f"hdf5.open: cannot open {filename} with mode {mode!r}: {err}") from err
    return HDF5File(filename, h5file, mode)
