"""``hdf5.HDF5DataSet``: one dataset of a file, read whole or in part (dataset.lua)."""
import numbers

from ..tensor.naming import TorchNamed
from .datatypes import as_tensor_of, tensor_class
from .library import corrupt


# A read may allocate at most this many bytes per byte of the file, and any file this many bytes in all. HDF5 codes
# data never written (the dataset's fill value) in a few bytes whatever the dataset's declared sizes, so a file of
# a kilobyte can declare terabytes, which torch-hdf5 (and h5py) would allocate whole. Deflate, torch-hdf5's
# compression, gives at most 1032 bytes per byte it stores (zlib's limit): what torch-hdf5 writes, compressed or
# not, is always within the bound; a fill-value dataset (or one of h5py's scaleoffset filter, which can store
# constant data in less) is read whole up to it, in partial() blocks beyond.
BYTES_PER_FILE_BYTE = 1032
ANY_FILE_BYTES = 1 << 24


class HDF5DataSet(TorchNamed):
    """A dataset, as ``HDF5File.read(path)`` returns it: ``all()``, ``partial(...)``, ``dataspaceSize()``,
    ``getTensorFactory()``, ``close()``. Its data is read only when asked for. A read (``all()`` or one
    ``partial`` block) is refused before anything is allocated when it needs more bytes than the file can code:
    1032 per byte of the file (deflate's most), or 16 MiB for any file; a larger dataset that was declared but
    never written (its fill value) is read in ``partial`` blocks within that bound."""

    def __init__(self, dataset):
        self._dataset = dataset

    def _where(self, method):
        """``HDF5DataSet.<method> (<path> in <file>)``, for errors; a ValueError once the file is closed."""
        if not self._dataset:
            raise ValueError(f"HDF5DataSet.{method}: its file is closed")
        return f"HDF5DataSet.{method} ({self._dataset.name!r} in {self._dataset.file.filename!r})"

    def _shape(self, method):
        """The dataset's sizes; a ValueError naming the call for a null dataspace (h5py's ``Empty``), which holds
        no data, not even a scalar."""
        where = self._where(method)   # first: a closed file's dataset has no shape to ask for
        with corrupt(where):
            shape = self._dataset.shape
        if shape is None:
            raise ValueError(f"{where}: the dataset has a null dataspace: it holds no data to read")
        return shape

    def _bounded(self, sizes, method):
        """Refuse a read of ``sizes`` that would allocate more than the file can code (BYTES_PER_FILE_BYTE),
        and a read of a dataset whose data lives in other files."""
        # External storage (raw bytes of any file named in the header) and virtual datasets (views of other
        # HDF5 files) would make a file from elsewhere read this disk's files; torch-hdf5 writes neither.
        if self._dataset.external or self._dataset.is_virtual:
            kind = 'a virtual dataset (a view of other files)' if self._dataset.is_virtual else \
                'stored in external files ' + ', '.join(repr(e[0]) for e in self._dataset.external)
            raise ValueError(f"{self._where(method)}: the dataset is {kind}; only data stored in the file "
                             "itself is read")
        count = 1
        for n in sizes:
            count *= int(n)   # Python integers: no wrap-around for declared sizes near 2^64
        need = count * self._dataset.dtype.itemsize
        file_bytes = self._dataset.file.id.get_filesize()
        if need > max(ANY_FILE_BYTES, BYTES_PER_FILE_BYTE * file_bytes):
            raise ValueError(f"{self._where(method)}: reading {'x'.join(map(str, sizes))} values needs {need} bytes, "
                             f"more than a file of {file_bytes} bytes can code ({BYTES_PER_FILE_BYTE} per byte, "
                             f"deflate's most); a dataset declared but never written reads in smaller partial() "
                             "blocks")

    def getTensorFactory(self):
        """The tensor class the data is read as (``lg.FloatTensor``, ...): calling it makes an empty tensor,
        as torch-hdf5's factory does (its second result, an HDF5 type handle, has no counterpart here)."""
        where = self._where('getTensorFactory')
        with corrupt(where):
            dtype = self._dataset.dtype
        return tensor_class(dtype, where)

    def dataspaceSize(self):
        """The dataset's sizes, a list of ints (without reading the data)."""
        return [int(n) for n in self._shape('dataspaceSize')]

    def all(self):
        """The whole dataset as a tensor of ``getTensorFactory()``'s type and the dataset's sizes."""
        cls = self.getTensorFactory()   # first: a type it cannot read is refused before reading
        self._bounded(self._shape('all'), 'all')   # a null dataspace, or one too large, refused before reading
        with corrupt(self._where('all')):
            data = self._dataset[()]
        return as_tensor_of(data, cls, self._where('all'))

    def partial(self, *ranges):
        """The block given by one range per dimension: ``[first, last]``, **0-based and both included** (Lua's
        ``{first, last}`` less one each), or one index ``i`` for ``[i, i]``; a negative index counts from the
        end. The result keeps every dimension (an index gives size 1), as torch-hdf5's does:
        ``partial(2, [0, 3])`` of a 13 x 13 dataset is 1 x 4. Only that block is read from the file."""
        where = self._where('partial')
        shape = self._shape('partial')
        if len(ranges) != len(shape):
            raise ValueError(f"{where}: dimension mismatch, expected {len(shape)} ranges but {len(ranges)} "
                             "were given")
        slices = tuple(_slice(r, n, d, where) for d, (r, n) in enumerate(zip(ranges, shape)))
        cls = self.getTensorFactory()
        self._bounded([s.stop - s.start for s in slices], 'partial')
        with corrupt(where):
            data = self._dataset[slices]
        return as_tensor_of(data, cls, where)

    def close(self):
        """Nothing to release per dataset with h5py: the file's ``close()`` closes everything."""

    def __repr__(self):
        shape = self._dataset.shape
        sizes = 'null' if shape is None else 'x'.join(map(str, shape))
        return f"[HDF5DataSet {self._dataset.name} {self._dataset.dtype} {sizes}]"


def _index(value, size, dim, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: dimension {dim}: expected an integer index or a [first, last] pair, "
                        f"got {value!r:.40}")
    i = int(value) + size if value < 0 else int(value)
    if not 0 <= i < size:
        raise ValueError(f"{where}: dimension {dim}: index {value} is outside 0 .. {size - 1} (0-based)")
    return i


def _slice(r, size, dim, where):
    """The slice for one range of ``partial``: ``[first, last]`` (both included) or one index."""
    if isinstance(r, (list, tuple)):
        if len(r) != 2:
            raise ValueError(f"{where}: dimension {dim}: a range is [first, last], got {list(r)!r:.60}")
        first, last = (_index(v, size, dim, where) for v in r)
        if last < first:
            raise ValueError(f"{where}: dimension {dim}: the range {list(r)} ends before it starts")
        return slice(first, last + 1)
    i = _index(r, size, dim, where)
    return slice(i, i + 1)
