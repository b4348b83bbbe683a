"""A stand-in for soumith/matio-ffi.torch (``local matio = require 'matio'``, a LuaJIT FFI binding of libmatio,
which legonn does not have): ``matio.load(filename)`` returning a table (dict) of the file's numeric matrices as
tensors of matio's type for their class (init.lua's tensor_types_mapper: double -> DoubleTensor, single ->
FloatTensor, ...) in Torch's row-major layout, and ``matio.save(filename, {name: tensor})``, which writes what
Matlab's ``save(filename, 'name')`` writes for gen_laplacian.m (a MAT v5 file, its matrix zlib-compressed as
matio.compression's default, COMPRESSION_ZLIB).

Only what this repository's files hold is read: real, non-sparse numeric matrices, compressed or not (the MAT
level-5 format: a 128-byte header, then tagged elements padded to 8 bytes; a matrix's data may be stored in a
narrower type than its class, as Matlab does for whole numbers). Anything else is refused with a ValueError naming
the file.
"""
import struct
import zlib

import numpy as np

import legonn as lg

MI_INT8, MI_INT32, MI_UINT32, MI_DOUBLE, MI_MATRIX, MI_COMPRESSED = 1, 5, 6, 9, 14, 15
_MI_DTYPES = {1: '<i1', 2: '<u1', 3: '<i2', 4: '<u2', 5: '<i4', 6: '<u4', 7: '<f4', 9: '<f8', 12: '<i8', 13: '<u8'}
# mxCLASS -> (NumPy type, legonn tensor type), as matio-ffi's tensor_types_mapper
_CLASSES = {6: ('<f8', 'torch.DoubleTensor'), 7: ('<f4', 'torch.FloatTensor'), 8: ('<i1', 'torch.CharTensor'),
            9: ('<u1', 'torch.ByteTensor'), 10: ('<i2', 'torch.ShortTensor'), 11: ('<u2', 'torch.ShortTensor'),
            12: ('<i4', 'torch.IntTensor'), 13: ('<u4', 'torch.IntTensor'), 14: ('<i8', 'torch.LongTensor'),
            15: ('<u8', 'torch.LongTensor')}


def _elements(buf, filename):
    """(type, bytes) of each tagged element in ``buf``, the small format (type and size packed in 4 bytes) too."""
    pos = 0
    while pos + 8 <= len(buf):
        mtype, nbytes = struct.unpack_from('<II', buf, pos)
        if mtype >> 16:                       # small data element: size in the high half, data in the next 4
            yield mtype & 0xFFFF, buf[pos + 4:pos + 4 + (mtype >> 16)]
            pos += 8
            continue
        if pos + 8 + nbytes > len(buf):
            raise ValueError(f"matio.load: {filename}: element at byte {pos} runs past the end of its data")
        yield mtype, buf[pos + 8:pos + 8 + nbytes]
        pos += 8 + nbytes if mtype == MI_COMPRESSED else 8 + (nbytes + 7) // 8 * 8


def _matrix(body, filename):
    parts = list(_elements(body, filename))
    if len(parts) != 4:
        raise ValueError(f"matio.load: {filename}: expected a real numeric matrix (flags, dims, name, data), got "
                         f"{len(parts)} sub-elements")
    flags = struct.unpack_from('<I', parts[0][1])[0]
    mxclass, complex_ = flags & 0xFF, flags & 0x800
    if mxclass not in _CLASSES or complex_:
        raise ValueError(f"matio.load: {filename}: expected a real numeric matrix, got class {mxclass}"
                         f"{' (complex)' if complex_ else ''}")
    dims = np.frombuffer(parts[1][1], '<i4')
    name = parts[2][1].decode('ascii')
    dtype, tensortype = _CLASSES[mxclass]
    data = np.frombuffer(parts[3][1], _MI_DTYPES[parts[3][0]]).astype(dtype)
    # Matlab is column-major: the Torch tensor is the transpose of dims' reversed row-major reading
    array = data.reshape(tuple(dims[::-1])).transpose().copy()
    return name, lg.from_numpy(array).type(tensortype)


def load(filename):
    """``matio.load(filename)``: a dict of every variable in the MAT v5 file."""
    with open(filename, 'rb') as f:
        buf = f.read()
    if len(buf) < 128 or buf[126:128] != b'IM':
        raise ValueError(f"matio.load: {filename}: expected a little-endian MAT v5 file")
    result = {}
    for mtype, body in _elements(buf[128:], filename):
        if mtype == MI_COMPRESSED:
            ((mtype, body),) = _elements(zlib.decompress(body), filename)
        if mtype != MI_MATRIX:
            raise ValueError(f"matio.load: {filename}: expected matrix elements, got type {mtype}")
        name, tensor = _matrix(body, filename)
        result[name] = tensor
    return result


def _element(mtype, payload):
    return struct.pack('<II', mtype, len(payload)) + payload + b'\0' * (-len(payload) % 8)


def save(filename, variables):
    """``matio.save(filename, {name = tensor})`` for DoubleTensor matrices, each a compressed miMATRIX."""
    out = [b'MATLAB 5.0 MAT-file, written by the deep-photo-styletransfer port'.ljust(116) + b'\0' * 8
           + struct.pack('<H', 0x0100) + b'IM']
    for name, tensor in variables.items():
        array = np.asarray(tensor.double().numpy(), '<f8')
        if array.ndim == 1:                   # matio: every vector is at least 2-D in Matlab
            array = array.reshape(-1, 1)
        body = (_element(MI_UINT32, struct.pack('<II', 6, 0))
                + _element(MI_INT32, np.asarray(array.shape, '<i4').tobytes())
                + _element(MI_INT8, name.encode('ascii'))
                + _element(MI_DOUBLE, array.transpose().tobytes()))
        packed = zlib.compress(_element(MI_MATRIX, body))
        out.append(struct.pack('<II', MI_COMPRESSED, len(packed)) + packed)   # compressed data is not padded
    with open(filename, 'wb') as f:
        f.write(b''.join(out))
