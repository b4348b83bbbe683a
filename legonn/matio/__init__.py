"""``local matio = require 'matio'``: soumith/matio-ffi.torch, MATLAB's .mat files read and written, in Python
(libmatio's MAT v5 and v7 formats, without libmatio or SciPy).

``matio.load(filename)`` gives a dict of every variable, ``matio.load(filename, 'name')`` one variable (None
where the file has none of that name), ``matio.load(filename, ['a', 'b'])`` a dict of those. Values are what
matio-ffi's init.lua makes of them:

- a numeric array: a tensor of the class's type (double -> DoubleTensor, single -> FloatTensor, int8 ->
  CharTensor, uint8 and logical -> ByteTensor, int16/uint16 -> ShortTensor, int32/uint32 -> IntTensor,
  int64/uint64 -> LongTensor; an unsigned class's bits are copied into the signed tensor, so uint16 65535 reads
  as -1, as matio's memcpy does) with the MAT dims as its sizes, ``t[i][j]`` being MATLAB's ``A(i+1, j+1)``: a
  2x3 matrix is a 2x3 tensor, a transposed (non-contiguous) view of MATLAB's column-major data as in matio;
- a char array: a CharTensor of its characters' low bytes (libmatio 1.5), or with ``matio.use_lua_strings =
  True`` a str of them in column-major order;
- a cell array: a list of its cells in column-major order (None for a cell matio reads as nil);
- a 1x1 struct: a dict of its fields; a 2-D struct array a list of rows, each a list of dicts;
- an empty array, a sparse matrix, an object, a function handle, a complex array (whose data matio-ffi copies
  as if it were real), a struct array of more than 2 dimensions or an array of more than 8: nil, as matio-ffi
  (which prints why); the variable is left out of the dict.

A file that is not MAT v5/v7 (a v7.3 HDF5 file, a v4 file) or is damaged raises a ValueError naming the file and
what was wrong (matio-ffi prints "File could not be opened" and returns nil).

``matio.save(filename, tensor)`` writes the tensor as the variable ``x``; ``matio.save(filename, {'name':
value, ...})`` writes each value (a tensor, a number, a bool, a str or a dict of them, the dict as a struct).
Variables are zlib-compressed (MAT v7) unless ``matio.compression = matio.ffi.COMPRESSION_NONE``.
"""
import types

from ..tensor import is_tensor
from . import read, write

__all__ = ['load', 'save', 'use_lua_strings', 'compression', 'ffi']

# the constants matio-ffi's matio.ffi namespace gives its settings (libmatio's enums)
ffi = types.SimpleNamespace(COMPRESSION_NONE=0, COMPRESSION_ZLIB=1)

use_lua_strings = False               # load char arrays as str instead of CharTensor
compression = ffi.COMPRESSION_ZLIB    # save compressed (MAT v7), as matio-ffi


def load(filename, name=None):
    """``matio.load(filename[, name])``: every variable of the file, one (``name`` a str) or several (a list)."""
    with open(filename, 'rb') as f:
        data = f.read()
    reader = read.Reader(filename, data, use_lua_strings)
    found = {}
    for var_name, body, where in reader.variables():
        found.setdefault(var_name, (body, where))     # libmatio's Mat_VarRead finds a name's first variable
    names = [name] if isinstance(name, str) else list(name or found)
    if not names:
        print('No variables in this file')
        return None
    out = {}
    for var_name in names:
        if var_name not in found:
            print(f'Could not find variable with name: {var_name} in file: {filename}')
            continue
        value = reader.array(*found[var_name])
        if value is not None:
            out[var_name] = value
    return out.get(name) if isinstance(name, str) else out


def save(filename, data):
    """``matio.save(filename, tensor_or_dict)``: a tensor as the variable ``x``, or each entry of a dict."""
    if is_tensor(data):
        data = {'x': data}
    elif not isinstance(data, dict):
        raise ValueError(f"matio.save: {filename}: only tensor or table of tensors supported! got "
                         f"{type(data).__name__}")
    if compression not in (ffi.COMPRESSION_NONE, ffi.COMPRESSION_ZLIB):
        raise ValueError(f"matio.save: matio.compression is {compression!r}, expected matio.ffi.COMPRESSION_NONE "
                         f"or matio.ffi.COMPRESSION_ZLIB")
    parts = [write.header()]
    for var_name, value in data.items():
        if not isinstance(var_name, str) or not var_name or not var_name.isascii():
            raise ValueError(f"matio.save: {filename}: variable names must be non-empty ASCII strings, got "
                             f"{var_name!r}")
        element = write.variable(value, var_name, f"{filename}: {var_name}")
        parts.append(write.compressed(element) if compression == ffi.COMPRESSION_ZLIB else element)
    with open(filename, 'wb') as f:
        f.write(b''.join(parts))
