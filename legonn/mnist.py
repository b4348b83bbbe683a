"""``require 'mnist'``: andresy/mnist, the MNIST digits read from the standard IDX files.

``trainset = mnist.traindataset()`` gives ``trainset.data`` (a 60000x28x28 ByteTensor), ``trainset.label``
(a 60000 ByteTensor of the digits 0..9), ``trainset.size`` and ``trainset[i]``, ``{'x': data[i], 'y':
label[i]}`` as the Lua's ``__index`` gives, with ``i`` 0-based (the Lua's is 1-based). ``testdataset()``
reads the 10000 test digits the same way.

The files are ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
``t10k-labels-idx1-ubyte``, plain or gzipped (``.gz``), in the folder given as ``path``, else in
``$MNIST_PATH``, else in ``data/`` beside this file (the Lua rock keeps them in ``data/`` beside its
``init.lua``). Nothing is downloaded.
"""
import gzip
import math
import os
import zlib

import numpy as np

from .tensor import from_numpy

SOURCE = 'http://yann.lecun.com/exdb/mnist/'
_IDX_UBYTE = 0x08   # the IDX type byte of unsigned bytes, the only type the Lua reads
_MAX_DIMS = 64      # NumPy's limit on an array's dimensions
_CHUNK = 1 << 20    # a gzipped file is inflated this many bytes at a time


def _folder(path):
    if path is not None:
        return os.fspath(path)
    return os.environ.get('MNIST_PATH') or os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')


def _read_bytes(folder, name):
    full = os.path.join(folder, name)
    if os.path.isfile(full):
        with open(full, 'rb') as fh:
            return full, fh.read()
    if os.path.isfile(full + '.gz'):
        return full + '.gz', _gunzipped(full + '.gz')
    return None, None


def _gunzipped(filename):
    """The bytes of the gzipped IDX file ``filename``, inflated no further than its header's sizes ask (a small
    file inflating to gigabytes is read only as far as its header says); a broken gzip stream is a ValueError
    naming the file."""
    try:
        with gzip.open(filename, 'rb') as fh:
            parts = [fh.read(4)]
            ndim = int.from_bytes(parts[0], 'big') - (_IDX_UBYTE << 8) if len(parts[0]) == 4 else 0
            if 0 < ndim <= _MAX_DIMS:   # else read_idx names what is wrong
                sizes = fh.read(4 * ndim)
                parts.append(sizes)
                left = math.prod(int.from_bytes(sizes[k:k + 4], 'big') for k in range(0, len(sizes) - 3, 4))
                while left > 0:
                    chunk = fh.read(min(left, _CHUNK))
                    if not chunk:
                        break
                    parts.append(chunk)
                    left -= len(chunk)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"mnist: {filename}: not a readable gzip file ({type(err).__name__}: {err})") from None
    return b''.join(parts)


def read_idx(filename, raw):
    """The array an IDX file of unsigned bytes holds (its dims from the header, big-endian int32s), as the
    Lua's ``readlush``: magic ``0x0000 08 ndim``, then ``ndim`` positive sizes, then the bytes."""
    if len(raw) < 4:
        raise ValueError(f"mnist: {filename}: expected an IDX header of at least 4 bytes, got {len(raw)} bytes")
    magic = int.from_bytes(raw[:4], 'big')
    ndim = magic - (_IDX_UBYTE << 8)
    if not 0 < ndim <= _MAX_DIMS:
        raise ValueError(f"mnist: {filename}: expected an IDX magic number 0x00000801.."
                         f"{(_IDX_UBYTE << 8) + _MAX_DIMS:#010x} (unsigned bytes, at most NumPy's {_MAX_DIMS} "
                         f"dimensions), got {magic:#010x}")
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"mnist: {filename}: expected {ndim} sizes in the header, the file ends first "
                         f"({len(raw)} bytes)")
    dims = [int.from_bytes(raw[4 + 4 * k:8 + 4 * k], 'big') for k in range(ndim)]
    if min(dims) <= 0:
        raise ValueError(f"mnist: {filename}: expected positive sizes, got {dims}")
    start, count = 4 + 4 * ndim, math.prod(dims)   # Python ints: no int64 to overflow
    if len(raw) - start < count:
        raise ValueError(f"mnist: {filename}: truncated: expected {count} data bytes for sizes {dims}, "
                         f"got {len(raw) - start}")
    return np.frombuffer(raw, dtype=np.uint8, count=count, offset=start).reshape(dims).copy()


class MnistDataset:
    """The Lua's dataset table: ``data`` (N x 28 x 28 ByteTensor), ``label`` (N ByteTensor), ``size`` (N);
    ``dataset[i]`` (0-based ``i``) is ``{'x': data[i], 'y': label[i]}``, ``x`` a view of ``data``."""

    def __init__(self, data, label):
        self.data, self.label, self.size = data, label, data.size(0)

    def __len__(self):
        return self.size

    def __getitem__(self, idx):
        if not isinstance(idx, (int, np.integer)) or not 0 <= idx < self.size:
            raise IndexError(f"mnist dataset: expected an index in 0..{self.size - 1} (0-based), got {idx!r}")
        return {'x': self.data[int(idx)], 'y': int(self.label[int(idx)])}

    def __repr__(self):
        return f"MnistDataset(size={self.size}, data={'x'.join(map(str, self.data.size()))})"


def _dataset(prefix, path):
    folder = _folder(path)
    names = (f'{prefix}-images-idx3-ubyte', f'{prefix}-labels-idx1-ubyte')
    arrays = []
    for name in names:
        full, raw = _read_bytes(folder, name)
        if raw is None:
            raise FileNotFoundError(
                f"mnist: no {name} (or {name}.gz) in {folder}: expected {names[0]} and {names[1]} there "
                f"(get them from {SOURCE}; pass the folder as path= or set MNIST_PATH)")
        arrays.append(read_idx(full, raw))
    data, label = arrays
    if data.shape[0] != label.shape[0]:
        raise ValueError(f"mnist: {folder}: expected as many labels as images, got {label.shape[0]} labels "
                         f"for {data.shape[0]} images")
    return MnistDataset(from_numpy(data), from_numpy(label))


def traindataset(path=None):
    """The 60000 training digits (``train-*`` files) of the folder ``path`` (else ``$MNIST_PATH``, else
    ``data/`` beside this file)."""
    return _dataset('train', path)


def testdataset(path=None):
    """The 10000 test digits (``t10k-*`` files), found as ``traindataset`` finds its files."""
    return _dataset('t10k', path)
