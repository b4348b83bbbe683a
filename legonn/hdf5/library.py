"""h5py, the optional extra ``legonn[hdf5]``, imported when a file is first opened, and ``corrupt``, which names
the call when libhdf5 finds the file broken."""
import contextlib

from ..extras import optional_module


def h5py(where):
    """The h5py module, or an ImportError naming ``where`` and what to install."""
    return optional_module('h5py', 'hdf5', 'h5py', where, 'reads and writes HDF5 files through h5py')


@contextlib.contextmanager
def corrupt(where):
    """Run an h5py call on an open file's groups or datasets; libhdf5's complaints about a file whose structure is
    broken (a bad heap, an address past the file's end, an unreadable type or chunk), which h5py raises as
    RuntimeError, KeyError, OSError or ValueError naming nothing, become a ValueError naming ``where``."""
    try:
        yield
    except (RuntimeError, KeyError, OSError, ValueError) as err:
        raise ValueError(f"{where}: cannot read the file, its HDF5 structure is corrupt "
                         f"({type(err).__name__} from libhdf5: {str(err).strip(chr(39))})") from err
