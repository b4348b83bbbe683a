"""``require 'hdf5'``: deepmind/torch-hdf5's API over h5py (the optional extra: ``pip install legonn[hdf5]``).

``hdf5.open(path, mode)`` gives an ``HDF5File``; ``f.write('/data', tensor)`` writes a dataset (a dict of
tensors writes a group), ``f.read('/data')`` gives an ``HDF5DataSet`` (or ``HDF5Group``) whose ``all()`` is
the tensor and ``partial([a, b], ...)`` a block of it (**0-based**, both ends included), ``f.close()``.
Tensor types map to HDF5 types as in torch-hdf5; results are legonn tensors on the CPU, wrapping the arrays
h5py reads without a copy. h5py is imported on the first ``open``, so ``import legonn.hdf5`` works without it.
"""
from .dataset import HDF5DataSet
from .file import HDF5File, open
from .group import HDF5Group
from .options import DataSetOptions

__all__ = ['open', 'HDF5File', 'HDF5Group', 'HDF5DataSet', 'DataSetOptions']
