"""Which HDF5 element type a tensor is written as, and which tensor type an HDF5 dataset is read as
(torch-hdf5's ffi.lua: ``fileTypeMap`` and ``_getTorchType``)."""
import numpy as np

from ..tensor import TENSOR_CLASSES

# fileTypeMap: each tensor type as a little-endian HDF5 type of its width (no HalfTensor, as in torch-hdf5)
FILE_TYPES = {'ByteTensor': np.dtype('|u1'), 'CharTensor': np.dtype('|i1'), 'ShortTensor': np.dtype('<i2'),
              'IntTensor': np.dtype('<i4'), 'LongTensor': np.dtype('<i8'), 'FloatTensor': np.dtype('<f4'),
              'DoubleTensor': np.dtype('<f8')}

# _getTorchType: the tensor type for an integer or float of each width. Signed 1-byte integers read as a
# CharTensor (torch-hdf5 reads every 1-byte integer as a ByteTensor, wrapping negative values), unsigned
# 2- and 4-byte ones widen to the next signed type (torch-hdf5 reinterprets them as signed), 2-byte floats
# read as a HalfTensor (torch-hdf5 refuses them) and booleans (h5py's enum) as a ByteTensor of 0 and 1.
_READ_TYPES = {('u', 1): 'ByteTensor', ('i', 1): 'CharTensor', ('i', 2): 'ShortTensor', ('u', 2): 'IntTensor',
               ('i', 4): 'IntTensor', ('u', 4): 'LongTensor', ('i', 8): 'LongTensor', ('u', 8): 'LongTensor',
               ('f', 2): 'HalfTensor', ('f', 4): 'FloatTensor', ('f', 8): 'DoubleTensor', ('b', 1): 'ByteTensor'}


def file_type(tensor, where):
    """The HDF5 (NumPy) type ``tensor`` is stored as; a CUDA tensor is stored as its CPU twin."""
    short = tensor.type().replace('legonn.', '')
    cpu = 'FloatTensor' if short == 'CudaTensor' else short.replace('Cuda', '')
    if cpu not in FILE_TYPES:
        raise TypeError(f"{where}: no HDF5 type for a {short} (torch-hdf5 writes Byte, Char, Short, Int, Long, "
                        "Float and Double tensors)")
    return FILE_TYPES[cpu]


def tensor_class(dtype, where):
    """The legonn tensor class a dataset of ``dtype`` (h5py's NumPy dtype) is read as."""
    name = _READ_TYPES.get((dtype.kind, dtype.itemsize))
    if name is None:
        raise TypeError(f"{where}: reading HDF5 data of NumPy type {dtype} is unsupported (torch-hdf5 reads "
                        "integers and floats)")
    return TENSOR_CLASSES[name]


def as_tensor_of(arr, cls, where):
    """``arr`` (a NumPy array h5py returned, ours alone) as a tensor of ``cls``: wrapped when its dtype is
    already the tensor's (native byte order), else converted. Unsigned 8-byte values must fit a LongTensor."""
    target = np.dtype(cls._dtype)
    if arr.dtype.kind == 'u' and arr.dtype.itemsize == 8 and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{where}: unsigned 64-bit values above {np.iinfo(np.int64).max} do not fit a LongTensor")
    if arr.dtype != target:
        arr = arr.view(np.uint8) if arr.dtype.kind == 'b' else arr
        arr = arr.astype(target)
    return cls._from_array(np.ascontiguousarray(arr))
