"""``hdf5.HDF5Group``: a group of a file, whose children are groups and datasets (group.lua). A file's
``read``, ``write`` and ``append`` go through its root group."""
import numpy as np

from ..tensor import as_tensor, backend
from ..tensor.functions import is_tensor_like
from ..tensor.naming import TorchNamed
from .dataset import HDF5DataSet
from .datatypes import file_type
from .library import corrupt, h5py
from .options import DataSetOptions


def split_path(datapath, where):
    """A data path (``'/a/b'``, ``'a/b'``, ``'/'``) as its list of names; a list or tuple of names is taken
    as it is (group.lua's table paths)."""
    if isinstance(datapath, (list, tuple)):
        names = list(datapath)
    elif isinstance(datapath, str):
        names = [name for name in datapath.split('/') if name]
    else:
        raise TypeError(f"{where}: the data path must be a string such as '/group/data', got "
                        f"{type(datapath).__name__}")
    if not all(isinstance(name, str) and name and '/' not in name for name in names):
        raise ValueError(f"{where}: every name of a data path must be a non-empty string without '/', got "
                         f"{names!r:.80}")
    return names


class HDF5Group(TorchNamed):
    """A group: ``read(path)`` returns a child (group or dataset), ``write``/``append`` store tensors below
    it, ``all()`` reads everything below it as a dict of tensors and dicts."""

    def __init__(self, group):
        self._group = group

    def _check_open(self, where, writing=False):
        """A ValueError naming ``where`` when the file is closed, or read-only and ``writing``."""
        if not self._group:
            raise ValueError(f"{where}: the file is closed")
        if writing and self._group.file.mode == 'r':
            raise ValueError(f"{where}: {self._group.file.filename} is open read-only (mode 'r')")

    def read(self, datapath='/'):
        """The group or dataset at ``datapath`` below this group (this group for ``'/'``)."""
        self._check_open('HDF5Group.read')
        node = self
        for name in split_path(datapath, 'HDF5Group.read'):
            if not isinstance(node, HDF5Group) or not node._has(name):
                raise ValueError(f"HDF5Group.read: no such child {name!r} in {node!r} (reading {datapath!r})")
            node = node._child(name)
        return node

    def _place(self, call, name=None):
        """``HDF5Group.<call> ('<name>' in <group> of '<file>')``: what a corrupt file's error was reading."""
        inside = '' if name is None else f"{name!r} in "
        return f"HDF5Group.{call} ({inside}{self!r} of {self._group.file.filename!r})"

    def _has(self, name):
        with corrupt(self._place('read', name)):
            return name in self._group

    def _child(self, name):
        # An external link would open another file, which libhdf5 (and so torch-hdf5) follows silently: a file
        # from elsewhere could read any HDF5 file on this disk. torch-hdf5 never writes links, so refuse them.
        where = self._place('read', name)
        with corrupt(where):
            link = self._group.get(name, getlink=True)
        if isinstance(link, h5py('hdf5').ExternalLink):
            raise ValueError(f"HDF5Group.read: {name!r} in {self!r} is an external link to {link.path!r} in "
                             f"{link.filename!r}; only data stored in the file itself is read")
        with corrupt(where):
            obj = self._group[name]
        return HDF5Group(obj) if isinstance(obj, h5py('hdf5').Group) else HDF5DataSet(obj)

    def all(self):
        """Every dataset below this group as a tensor, in nested dicts by name (Lua tables)."""
        self._check_open('HDF5Group.all')
        with corrupt(self._place('all')):
            names = list(self._group)
        return {name: self._child(name).all() for name in names}

    def write(self, datapath, data, options=None):
        """Store ``data`` at ``datapath``: a tensor (or NumPy/CuPy array) as a dataset, a dict (a Lua table)
        as a group holding each of its entries by key, recursively; missing groups on the way are created.
        ``options``: a ``DataSetOptions``. Writing over an existing dataset is an error, as in HDF5."""
        self._store('write', split_path(datapath, 'HDF5Group.write'), data, options)

    def append(self, datapath, data, options=None):
        """Add ``data``'s rows after those of the dataset at ``datapath`` (written chunked), along the first
        dimension; the other sizes must match."""
        self._store('append', split_path(datapath, 'HDF5Group.append'), data, options)

    def _store(self, method, names, data, options):
        where = f"HDF5File.{method}"
        self._check_open(where, writing=True)
        if options is not None and not isinstance(options, DataSetOptions):
            raise TypeError(f"{where}: options must be an hdf5.DataSetOptions, got {type(options).__name__}")
        if not names and not isinstance(data, dict):
            raise ValueError(f"{where}: must provide a table (a dict) when writing to the root location, "
                             f"got {type(data).__name__}")
        if len(names) > 1:
            return self._group_child(names[0], where)._store(method, names[1:], data, options)
        if isinstance(data, dict):
            group = self._group_child(names[0], where) if names else self
            for key, value in data.items():
                group._store(method, split_path([key], where), value, options)
            return
        if not is_tensor_like(data):
            raise TypeError(f"{where}: expected a tensor or a dict (a Lua table) of them at {names[0]!r}, got "
                            f"{type(data).__name__}")
        tensor = as_tensor(data)
        host = backend.to_module(tensor.array, np)
        if method == 'write':
            self._write_dataset(names[0], host, file_type(tensor, where), options or DataSetOptions(), where)
        else:
            self._append_dataset(names[0], host, where)

    def _group_child(self, name, where):
        """The child group ``name``, created when missing (group.lua's getOrCreateChild)."""
        if name not in self._group:
            return HDF5Group(self._group.create_group(name))
        child = self._child(name)
        if not isinstance(child, HDF5Group):
            raise ValueError(f"{where}: {name!r} in {self!r} is a dataset, not a group")
        return child

    def _write_dataset(self, name, array, dtype, options, where):
        if name in self._group:
            raise ValueError(f"{where}: {name!r} already exists in {self!r}")
        self._group.create_dataset(name, data=array, dtype=dtype,
                                   **options.creation_arguments(array.shape, f"{where} ({name!r})"))

    def _append_dataset(self, name, array, where):
        """group.lua's _appendDataSet: grow the dataset along its first dimension and write the new rows."""
        if name not in self._group or isinstance(self._group[name], h5py('hdf5').Group):
            raise ValueError(f"{where}: no dataset {name!r} in {self!r} to append to")
        dataset = self._group[name]
        if dataset.maxshape[:1] != (None,):
            raise ValueError(f"{where}: {name!r} was not written chunked (hdf5.DataSetOptions().setChunked), so "
                             "it cannot grow")
        if array.shape[1:] != dataset.shape[1:] or array.ndim != dataset.ndim:
            raise ValueError(f"{where}: {name!r} has sizes {dataset.shape}; appending sizes {array.shape} needs "
                             "the same sizes after the first")
        start = dataset.shape[0]
        dataset.resize(start + array.shape[0], axis=0)
        dataset[start:] = array

    def close(self):
        """Nothing to release per group with h5py: the file's ``close()`` closes everything."""

    def __repr__(self):
        return f"[HDF5Group {self._group.name}]"
