"""Writing MAT v5 files (``matio.save``) as soumith/matio-ffi.torch's init.lua builds its variables and libmatio
1.5 writes them: each variable a miMATRIX (zlib-compressed in a miCOMPRESSED element unless compression is
off), numbers as 1x1 doubles, booleans as 1x1 logicals, strings as 1xN chars (16 bits a char, as libmatio writes
them for MATLAB), tensors in MATLAB's column-major order (a vector as an Nx1 column), dicts as 1x1 structs.
"""
import struct
import time
import zlib

import numpy as np

from ..tensor import from_numpy, is_tensor
from .format import (F_LOGICAL, HEADER_BYTES, MI_COMPRESSED, MI_INT8, MI_INT32, MI_MATRIX, MI_TYPES, MI_UINT16,
                     MI_UINT32, MX_CHAR, MX_DOUBLE, MX_INT16, MX_INT32, MX_INT64, MX_SINGLE, MX_STRUCT,
                     MX_UINT8, VERSION_5)

# init.lua's tensor_types_invmapper: each CPU tensor type's MAT class (a CharTensor a char array)
TENSOR_CLASSES = {'CharTensor': MX_CHAR, 'ByteTensor': MX_UINT8, 'ShortTensor': MX_INT16, 'IntTensor': MX_INT32,
                  'LongTensor': MX_INT64, 'FloatTensor': MX_SINGLE, 'DoubleTensor': MX_DOUBLE}
_MI_OF_DTYPE = {np.dtype(t): mi for mi, t in MI_TYPES.items()}


def header():
    """The 128-byte file header: text, a subsystem offset of spaces (as libmatio), version 0x0100, 'IM'."""
    text = f"MATLAB 5.0 MAT-file, Platform: legonn, Created on: {time.strftime('%a %b %d %H:%M:%S %Y')}"
    return (text.encode('ascii', 'replace').ljust(116) + b' ' * 8 + struct.pack('<H', VERSION_5) + b'IM').ljust(HEADER_BYTES)


def element(mtype, payload, small=False):
    """A tagged element, padded to 8 bytes; ``small`` packs up to 4 bytes into the small format."""
    payload = bytes(payload)
    if small and len(payload) <= 4:
        return struct.pack('<HH', mtype, len(payload)) + payload.ljust(4, b'\0')
    return struct.pack('<II', mtype, len(payload)) + payload + b'\0' * (-len(payload) % 8)


def matrix(mxclass, dims, name, content, flags=0):
    """A miMATRIX element: array flags, dims, name, then the class's sub-elements ``content``."""
    body = (element(MI_UINT32, struct.pack('<II', mxclass | flags, 0))
            + element(MI_INT32, np.asarray(dims, '<i4').tobytes())
            + element(MI_INT8, name.encode('ascii'), small=True) + content)
    return element(MI_MATRIX, body)


def numeric(array):
    return element(_MI_OF_DTYPE[array.dtype], array.astype(array.dtype.newbyteorder('<')).tobytes())


def variable(value, name, where):
    """The miMATRIX element of ``value`` (init.lua's matio.__make_var)."""
    if isinstance(value, (bool, np.bool_)):
        return matrix(MX_UINT8, (1, 1), name, numeric(np.array([value], 'u1')), F_LOGICAL)
    if isinstance(value, (int, float, np.number)):
        return matrix(MX_DOUBLE, (1, 1), name, numeric(np.array([value], 'f8')))
    if isinstance(value, str):
        codes = [ord(c) for c in value]
        if any(c > 0xFFFF for c in codes):
            raise ValueError(f"matio.save: {where}: a MAT char holds 16-bit characters; {value!r:.40} has more")
        return matrix(MX_CHAR, (1, len(codes)), name, element(MI_UINT16, np.array(codes, '<u2').tobytes()))
    if is_tensor(value) or isinstance(value, np.ndarray):
        return tensor(value, name, where)
    if isinstance(value, dict):
        return structure(value, name, where)
    raise ValueError(f"matio.save: {where}: unsupported type {type(value).__name__} (numbers, booleans, strings, "
                     f"tensors and dicts of them are saved)")


def tensor(value, name, where):
    """A tensor as a MAT array of its class: its sizes as the dims (a vector an Nx1 column), its elements in
    column-major order (init.lua's make_var_for_tensor transposes and copies)."""
    t = from_numpy(value) if isinstance(value, np.ndarray) else value
    kind = t.type().rsplit('.', 1)[-1]
    if kind not in TENSOR_CLASSES:
        raise ValueError(f"matio.save: {where}: unsupported type of tensor: {t.type()} (a CPU tensor of "
                         f"{', '.join(TENSOR_CLASSES)} is saved; call .float() or .double() on CUDA ones)")
    array = t.numpy()
    if array.ndim == 1:                              # every vector is at least 2-D in MATLAB
        array = array.reshape(-1, 1)
    data = np.ascontiguousarray(array.transpose()).ravel()
    if TENSOR_CLASSES[kind] == MX_CHAR:              # a char array's data: 16 bits a character, as libmatio
        content = element(MI_UINT16, data.view('u1').astype('<u2').tobytes())
    else:
        content = numeric(data)
    return matrix(TENSOR_CLASSES[kind], array.shape, name, content)


def structure(value, name, where):
    """A dict as a 1x1 struct: field names padded to one length (the longest + 1, rounded so that all take a
    multiple of 8 bytes, as libmatio), then each field's array, unnamed."""
    fields = list(value)
    if not all(isinstance(f, str) and f and f.isascii() for f in fields):
        raise ValueError(f"matio.save: {where}: a struct's field names must be non-empty ASCII strings, got "
                         f"{fields!r:.80}")
    size = max(len(f) for f in fields) + 1 if fields else 1
    while len(fields) * size % 8:
        size += 1
    names = b''.join(f.encode('ascii').ljust(size, b'\0') for f in fields)
    content = (element(MI_INT32, struct.pack('<i', size), small=True) + element(MI_INT8, names)
               + b''.join(variable(value[f], '', f"{where}.{f}") for f in fields))
    return matrix(MX_STRUCT, (1, 1), name, content)


def compressed(matrix_element):
    """A variable in a miCOMPRESSED element (MAT v7; its zlib stream is not padded)."""
    packed = zlib.compress(matrix_element)
    return struct.pack('<II', MI_COMPRESSED, len(packed)) + packed
