"""h5py, the optional extra ``legonn[hdf5]``, imported when a file is first opened."""
from ..extras import optional_module


def h5py(where):
    """The h5py module, or an ImportError naming ``where`` and what to install."""
    return optional_module('h5py', 'hdf5', 'h5py', where, 'reads and writes HDF5 files through h5py')
