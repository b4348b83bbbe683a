"""h5py, the optional extra ``legonn[hdf5]``, imported when a file is first opened."""


def h5py(where):
    """The h5py module, or an ImportError naming ``where`` and what to install."""
    try:
        import h5py as module
    except ImportError as err:
        raise ImportError(f"{where} reads and writes HDF5 files through h5py: pip install legonn[hdf5] "
                          "(or pip install h5py)") from err
    return module
