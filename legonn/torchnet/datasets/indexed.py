"""torchnet's archives of tensors (dataset/indexeddataset.lua): ``IndexedDatasetWriter`` appends tensors of one
type to a data file and writes their index, ``IndexedDatasetReader`` reads them back, ``IndexedDataset`` makes
samples of one or several such archives. The files are torchnet's: an index of 64-bit integers (magic
0x584449544E54, version 1, type code, element size, N, S, then N+1 dimension offsets, N+1 data offsets and the
S sizes) and the raw elements, little-endian as torch.DiskFile writes them on x86, so archives written by
Torch7 read here and the other way round. A 'table' archive holds serialized objects: legonn writes
``legonn.serialize``'s bytes and reads those or Torch7's ``torch.serializeToStorage`` bytes."""
import math
import os

import numpy as np

from ...serialization import FormatError, deserialize, serialize
from ...tensor import as_tensor, tensor_class
from ...tensor.naming import TorchNamed
from ..arguments import check_index, named_table, whole
from .dataset import Dataset

_MAGIC, _VERSION = 0x584449544E54, 1
# torchnet's type names, in the order of their codes (1-based there: 'byte' is code 1)
_TYPES = {'byte': np.uint8, 'char': np.int8, 'short': np.int16, 'int': np.int32, 'long': np.int64,
          'float': np.float32, 'double': np.float64, 'table': np.int8}
_CODES = {name: code for code, name in enumerate(_TYPES, start=1)}
_CLASSES = {'byte': 'ByteTensor', 'char': 'CharTensor', 'short': 'ShortTensor', 'int': 'IntTensor',
            'long': 'LongTensor', 'float': 'FloatTensor', 'double': 'DoubleTensor', 'table': 'CharTensor'}


def _read_index(owner, indexfilename):
    """(type name, dimoffsets, datoffsets, sizes) of a torchnet index file, each offset list as int64 arrays."""
    words = np.fromfile(indexfilename, dtype='<i8')
    if len(words) < 6 or words[0] != _MAGIC:
        raise ValueError(f"{owner}: unrecognized index format in {indexfilename}")
    if words[1] != _VERSION:
        raise ValueError(f"{owner}: unsupported format version {words[1]} in {indexfilename}")
    names = [name for name, code in _CODES.items() if code == words[2]]
    if not names:
        raise ValueError(f"{owner}: unrecognized type code {words[2]} in {indexfilename}")
    if words[3] != np.dtype(_TYPES[names[0]]).itemsize:
        raise ValueError(f"{owner}: type size do not match ({words[3]} for {names[0]}) in {indexfilename}")
    n, s = int(words[4]), int(words[5])
    if n < 0 or s < 0 or len(words) != 6 + 2 * (n + 1) + s:
        raise ValueError(f"{owner}: the index {indexfilename} holds {len(words)} numbers, expected "
                         f"{6 + 2 * (n + 1) + s} for N={n}, S={s}")
    if os.path.getsize(indexfilename) != 8 * len(words):
        raise ValueError(f"{owner}: the index {indexfilename} has {os.path.getsize(indexfilename)} bytes, not a "
                         f"whole number of 64-bit integers")
    dims, dats, sizes = words[6:7 + n], words[7 + n:8 + 2 * n], words[8 + 2 * n:]
    # get() slices sizes and reads elements by these offsets: each list must rise from 0 (the dimension offsets to
    # S, the data offsets to what the data file holds, which the reader checks), and no size be negative
    for what, offsets, end in (('dimension', dims, s), ('data', dats, None)):
        if offsets[0] != 0 or (np.diff(offsets) < 0).any() or (end is not None and offsets[-1] != end):
            raise ValueError(f"{owner}: the {what} offsets of the index {indexfilename} must rise from 0"
                             + (f" to S={end}" if end is not None else "") + f", got {offsets.tolist()[:8]}...")
    if (sizes < 0).any():
        raise ValueError(f"{owner}: the index {indexfilename} holds negative sizes {sizes[sizes < 0].tolist()[:8]}")
    return names[0], dims, dats, sizes


class IndexedDatasetWriter(TorchNamed):
    """Creates the (index, archive) pair ``indexfilename``/``datafilename`` for tensors of ``type`` ('byte',
    'char', 'short', 'int', 'long', 'float', 'double' or 'table'); without ``type``, opens an existing pair to
    append to it. ``add`` appends; ``close`` must be called to write the index."""

    # lg.typename: 'tnt.' and the class name, as torchnet registers its classes (torch.class('tnt.IndexedDatasetWriter')
    # in dataset/indexeddataset.lua:15), here and in every class derived from this one
    lua_package = 'tnt'

    @named_table
    def __init__(self, indexfilename=None, datafilename=None, type=None):
        owner = 'tnt.IndexedDatasetWriter'
        self.indexfilename, self.datafilename = indexfilename, datafilename
        if type is None:
            self.type, dims, dats, sizes = _read_index(owner, indexfilename)
            self._dimoffsets, self._datoffsets, self._sizes = dims.tolist(), dats.tolist(), sizes.tolist()
            self._datafile = open(datafilename, 'ab')
            return
        if type not in _TYPES:
            raise ValueError(f"{owner}: invalid type ({', '.join(_TYPES)} expected), got {type!r}")
        self.type = type
        self._dimoffsets, self._datoffsets, self._sizes = [0], [0], []
        self._datafile = open(datafilename, 'wb')

    def add(self, tensor):
        """Append ``tensor`` (a tensor or array of the archive's type); a string is the name of a file whose
        bytes are read as elements of that type; a dict or list (for 'table' and 'char' archives) is stored
        serialized."""
        owner = 'tnt.IndexedDatasetWriter.add'
        dtype = np.dtype(_TYPES[self.type])
        if isinstance(tensor, str):
            values = np.fromfile(tensor, dtype=dtype.newbyteorder('<'))
        elif isinstance(tensor, (dict, list, tuple)):
            if self.type not in ('table', 'char'):
                raise TypeError(f"{owner}: a table is only accepted by 'table' or 'char' archives, this one holds "
                                f"{self.type}")
            values = np.frombuffer(serialize(tensor), dtype=np.int8)
        else:
            tensor = as_tensor(tensor)
            expected = 'legonn.' + _CLASSES[self.type]
            if tensor.type() != expected:
                raise TypeError(f"{owner}: invalid tensor type: expected a {expected}, got a {tensor.type()}")
            values = tensor.numpy()
        # an empty tensor is Torch7's, without dimensions (TH cuts its sizes at the first 0): torchnet's reader
        # narrows the archive to a tensor's elements, which fails on a size of 0
        shape = values.shape if values.size else ()
        self._dimoffsets.append(self._dimoffsets[-1] + len(shape))
        self._datoffsets.append(self._datoffsets[-1] + values.size)
        self._sizes.extend(shape)
        self._datafile.write(np.ascontiguousarray(values, dtype=dtype.newbyteorder('<')).tobytes())

    def close(self):
        """Write the index and close the archive."""
        n, s = len(self._dimoffsets) - 1, len(self._sizes)
        head = [_MAGIC, _VERSION, _CODES[self.type], np.dtype(_TYPES[self.type]).itemsize, n, s]
        np.array(head + self._dimoffsets + self._datoffsets + self._sizes, dtype='<i8').tofile(self.indexfilename)
        self._datafile.close()


class IndexedDatasetReader(TorchNamed):
    """Reads the (index, archive) pair an ``IndexedDatasetWriter`` (torchnet's or legonn's) made. ``mmap`` maps the
    archive in memory instead of reading each tensor from the file (``mmapidx``, mapping the index, is accepted:
    the index is read whole either way)."""

    # lg.typename: 'tnt.' and the class name, as torchnet registers its classes (torch.class('tnt.IndexedDatasetReader')
    # in dataset/indexeddataset.lua:14), here and in every class derived from this one
    lua_package = 'tnt'

    @named_table
    def __init__(self, indexfilename=None, datafilename=None, mmap=False, mmapidx=False):
        self.indexfilename, self.datafilename = indexfilename, datafilename
        self.typename, self._dimoffsets, self._datoffsets, self._sizes = _read_index('tnt.IndexedDatasetReader',
                                                                                     indexfilename)
        self._dtype = np.dtype(_TYPES[self.typename]).newbyteorder('<')
        # the last data offset counts the elements the archive must hold: checked here, a get() reads no more
        needed = int(self._datoffsets[-1])
        held = os.path.getsize(datafilename) // self._dtype.itemsize
        if held < needed:
            raise ValueError(f"tnt.IndexedDatasetReader: the archive {datafilename} holds {held} {self.typename} "
                             f"elements, its index {indexfilename} expects {needed}")
        self._data = None
        if mmap:   # NumPy cannot map an empty file
            self._data = np.memmap(datafilename, dtype=self._dtype, mode='r', shape=(needed,)) if needed else \
                np.zeros(0, self._dtype)

    def size(self):
        """The number of tensors in the archive."""
        return len(self._dimoffsets) - 1

    def _elements(self, start, count):
        if self._data is not None:
            return np.array(self._data[start:start + count])
        with open(self.datafilename, 'rb') as f:
            f.seek(start * self._dtype.itemsize)
            return np.fromfile(f, dtype=self._dtype, count=count)

    def get(self, index):
        """The tensor at the 0-based ``index`` (a new tensor of the archive's type), or the object of a 'table'
        archive."""
        i = check_index('tnt.IndexedDatasetReader.get', index, self.size())
        cls = tensor_class('legonn.' + _CLASSES[self.typename])
        ndim = int(self._dimoffsets[i + 1] - self._dimoffsets[i])
        if ndim == 0:
            return cls()
        shape = tuple(int(k) for k in self._sizes[self._dimoffsets[i]:self._dimoffsets[i] + ndim])
        count = int(self._datoffsets[i + 1] - self._datoffsets[i])
        if math.prod(shape) != count:
            raise ValueError(f"tnt.IndexedDatasetReader.get: tensor {i} of {self.indexfilename} has sizes {list(shape)} "
                             f"but {count} elements")
        values = self._elements(int(self._datoffsets[i]), count)
        if self.typename == 'table':
            try:
                return deserialize(values.tobytes())
            except FormatError as err:
                raise FormatError(f"tnt.IndexedDatasetReader.get: object {i} of {self.datafilename}: {err}") from None
        return cls._from_array(values.astype(self._dtype.newbyteorder('='), copy=False).reshape(shape))


class IndexedDataset(Dataset):
    """Samples read from archives, one per field: with ``path``, ``fields`` is a list of names and field f is
    the pair ``path/f.idx``, ``path/f.bin``; without, ``fields`` maps each name to ``{'idx': ..., 'bin': ...}``.
    Sample i (0-based) is ``{field: archive_field.get(i)}``, or with ``standalone`` (one field) the item itself.
    ``maxload`` (positive) limits the size; ``mmap``/``mmapidx`` as IndexedDatasetReader's."""

    @named_table
    def __init__(self, fields=None, path=None, maxload=None, mmap=False, mmapidx=False, standalone=False):
        owner = 'tnt.IndexedDataset'
        if path is not None:
            if not isinstance(fields, (list, tuple)) or not all(isinstance(f, str) for f in fields):
                raise TypeError(f"{owner}: fields should be a list of strings (fieldnames) when path is given, "
                                f"got {fields!r}")
            pairs = [(name, f"{path}/{name}.idx", f"{path}/{name}.bin") for name in fields]
        else:
            if not isinstance(fields, dict) or not all(
                    isinstance(name, str) and isinstance(p, dict) and isinstance(p.get('idx'), str)
                    and isinstance(p.get('bin'), str) for name, p in fields.items()):
                raise TypeError(f"{owner}: fields should be a dict of fieldname -> {{'idx': str, 'bin': str}}, got "
                                f"{fields!r}")
            pairs = [(name, p['idx'], p['bin']) for name, p in fields.items()]
        if not pairs:
            raise ValueError(f"{owner}: fields should not be empty")
        if standalone and len(pairs) != 1:
            raise ValueError(f"{owner}: only one field expected with standalone flag at true, got {len(pairs)}")
        self._fields = [(name, IndexedDatasetReader(idx, bin, mmap, mmapidx)) for name, idx, bin in pairs]
        sizes = {reader.size() for _, reader in self._fields}
        if len(sizes) != 1:
            raise ValueError(f"{owner}: inconsistent index data size: {sorted(sizes)}")
        self._size = sizes.pop()
        # torchnet ignores a maxload that is not positive (0, -1)
        if maxload is not None and 0 < whole(owner, 'maxload', maxload, minimum=None) < self._size:
            self._size = int(maxload)
        self._standalone = bool(standalone)
        print(f"| IndexedDataset: loaded {path or ''} with {self._size} examples")

    def size(self):
        return self._size

    def get(self, idx):
        idx = check_index('tnt.IndexedDataset.get', idx, self._size)
        if self._standalone:
            return self._fields[0][1].get(idx)
        return {name: reader.get(idx) for name, reader in self._fields}

