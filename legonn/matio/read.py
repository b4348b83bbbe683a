"""Reading MAT v5 and v7 files (``matio.load``) as soumith/matio-ffi.torch on libmatio 1.5 reads them.

Every size in a file is checked against the bytes that hold it before anything is allocated: an element's byte
count against what is left of its buffer, a matrix's element count (the product of its dims) against the bytes
of its data, a struct's fields and a cell's cells against the sub-elements present, so that a crafted header
cannot ask for more memory than the file (or its decompressed streams) holds. Nesting of cells and structs is
bounded. A damaged file is refused with a ValueError naming the file and what was wrong.
"""
import struct
import zlib

import numpy as np

from ..tensor import from_numpy
from .format import (CHAR_TYPES, F_COMPLEX, HEADER_BYTES, MI_COMPRESSED, MI_INT8, MI_INT32, MI_MATRIX,
                     MI_TYPES, MI_UINT8, MI_UINT32, MX_CELL, MX_CHAR, MX_STRUCT, NUMERIC_CLASSES, VERSION_5,
                     VERSION_73)

MAX_DEPTH = 64      # cells and structs nested deeper than this are refused (MATLAB files stay far shallower)
MAX_RANK = 8        # matio-ffi's load_tensor skips tensors of more dimensions (init.lua: var.rank > 8)


class Reader:
    """The variables of one MAT file's bytes ``data`` (the file named ``filename`` in messages)."""

    def __init__(self, filename, data, use_lua_strings=False):
        self.filename, self.use_lua_strings = filename, use_lua_strings
        if len(data) < HEADER_BYTES:
            self.fail(f"{len(data)} bytes, too short for a MAT file's {HEADER_BYTES}-byte header")
        indicator = bytes(data[126:128])
        if indicator not in (b'IM', b'MI'):
            self.fail(f"no MAT v5 endian indicator ('IM' or 'MI') at byte 126 but {indicator!r}: not a MAT v5 or "
                      f"v7 file (a MAT v4 file has no header and is not read)")
        self.order = '<' if indicator == b'IM' else '>'
        version = struct.unpack_from(self.order + 'H', data, 124)[0]
        if version == VERSION_73:
            self.fail("a MAT v7.3 file (HDF5 behind a 512-byte header): matio reads MAT v5 and v7 files; read this "
                      "one with legonn.hdf5 (its arrays come transposed), or save it in MATLAB with '-v7'")
        if version != VERSION_5:
            self.fail(f"MAT version word 0x{version:04x} at byte 124, expected 0x0100 (v5/v7) or 0x0200 (v7.3)")
        self.data = memoryview(data)

    def fail(self, what):
        raise ValueError(f"matio.load: {self.filename}: {what}")

    # --- tagged elements ------------------------------------------------------------------------------------

    def elements(self, buf, where):
        """(type, data, offset) of each tagged element in ``buf``, checking each against the bytes left."""
        pos = 0
        while pos < len(buf):
            if len(buf) - pos < 8:
                self.fail(f"{where}: {len(buf) - pos} stray bytes at offset {pos}, too few for an element's tag")
            mtype, nbytes = struct.unpack_from(self.order + 'II', buf, pos)
            if mtype >> 16:                          # small element: its count in the high half, data in word 2
                mtype, nbytes = mtype & 0xFFFF, mtype >> 16
                if nbytes > 4:
                    self.fail(f"{where}: small element at offset {pos} claims {nbytes} bytes (at most 4)")
                yield mtype, buf[pos + 4:pos + 4 + nbytes], pos
                pos += 8
                continue
            if nbytes > len(buf) - pos - 8:
                self.fail(f"{where}: element of type {mtype} at offset {pos} claims {nbytes} bytes but "
                          f"{len(buf) - pos - 8} follow (truncated file?)")
            yield mtype, buf[pos + 8:pos + 8 + nbytes], pos
            # compressed data is not padded; other data is padded to 8 bytes (the last element's padding may
            # be cut short at the end of a stream)
            pos = min(len(buf), pos + 8 + (nbytes if mtype == MI_COMPRESSED else -(-nbytes // 8) * 8))

    def variables(self):
        """(name, miMATRIX data, where) of each variable of the file, compressed ones inflated, in file order."""
        for mtype, body, pos in self.elements(self.data[HEADER_BYTES:], 'file'):
            where = f"variable at byte {HEADER_BYTES + pos}"
            if mtype == MI_COMPRESSED:
                body = self.inflate(body, where)
                inner = list(self.elements(body, where))
                if len(inner) != 1 or inner[0][0] != MI_MATRIX:
                    self.fail(f"{where}: its compressed data holds {[t for t, _, _ in inner]} element types, "
                              f"expected one miMATRIX ({MI_MATRIX})")
                mtype, body = inner[0][:2]
            if mtype != MI_MATRIX:
                self.fail(f"{where}: element type {mtype}, expected miMATRIX ({MI_MATRIX}) or miCOMPRESSED "
                          f"({MI_COMPRESSED})")
            yield self.header(body, where)[2], body, where

    def inflate(self, body, where):
        stream = zlib.decompressobj()
        try:
            out = stream.decompress(body)
        except zlib.error as err:
            self.fail(f"{where}: its compressed data is damaged ({err})")
        if not stream.eof:
            self.fail(f"{where}: its compressed data ends early (truncated file?)")
        return memoryview(out)

    # --- arrays ---------------------------------------------------------------------------------------------

    def header(self, body, where):
        """(class, flags, name, dims, the remaining sub-elements) of a miMATRIX's data ``body``."""
        parts = self.elements(body, where)
        flags = self.expect(parts, (MI_UINT32,), 'array flags', where)
        dims = self.expect(parts, (MI_INT32,), 'dimensions', where)
        name = self.expect(parts, (MI_INT8, MI_UINT8), 'array name', where)
        if len(flags) < 8 or len(dims) % 4:
            self.fail(f"{where}: array flags of {len(flags)} bytes (expected 8) or dimensions of {len(dims)} "
                      f"bytes (not whole int32s)")
        word = struct.unpack_from(self.order + 'I', flags)[0]
        dims = [int(d) for d in np.frombuffer(dims, self.order + 'i4')]
        if any(d < 0 for d in dims):
            self.fail(f"{where}: negative dimension in {dims}")
        return word & 0xFF, word & 0xFF00, bytes(name).decode('latin-1'), dims, parts

    def expect(self, parts, types, what, where):
        try:
            mtype, data, _ = next(parts)
        except StopIteration:
            self.fail(f"{where}: ends before its {what}")
        if mtype not in types:
            self.fail(f"{where}: its {what} has element type {mtype}, expected {' or '.join(map(str, types))}")
        return data

    def array(self, body, where, depth=0):
        """The value matio-ffi's mat_read_variable gives a miMATRIX (None where it gives nil)."""
        if depth > MAX_DEPTH:
            self.fail(f"{where}: cells and structs nested more than {MAX_DEPTH} deep")
        if len(body) == 0:                           # MATLAB writes an empty cell's content as a bare tag
            return None
        mxclass, flags, name, dims, parts = self.header(body, where)
        count = int(np.prod(dims, dtype=object)) if dims else 0
        if mxclass == MX_CHAR and self.use_lua_strings:   # load_string: '' where libmatio's data is NULL
            return bytes(self.numeric(parts, 'u1', CHAR_TYPES, count, where)).decode('latin-1') if count else ''
        if count == 0:                               # libmatio leaves an empty array's data NULL: matio gives nil
            return None
        if mxclass == MX_CHAR or mxclass in NUMERIC_CLASSES:
            if flags & F_COMPLEX:
                print(f"matio.load: {self.filename}: {where} is complex, which Torch tensors cannot hold: skipped")
                return None
            if not 1 <= len(dims) <= MAX_RANK:
                print('Rank of input matrix is invalid: ' + str(len(dims)))
                return None
            if mxclass == MX_CHAR:                   # libmatio 1.5 keeps a char's low byte; matio a CharTensor
                values = self.numeric(parts, 'u1', CHAR_TYPES, count, where).view('i1')
            else:
                value_type, tensor_type = NUMERIC_CLASSES[mxclass]
                values = self.numeric(parts, value_type, MI_TYPES, count, where).view(tensor_type)
            # MATLAB's column-major data is the row-major array of the reversed dims; reversing its axes gives
            # the tensor of the MAT dims (a transposed view, as init.lua's load_tensor)
            return from_numpy(values.reshape(dims[::-1]).transpose())
        if mxclass == MX_CELL:
            return [self.array(cell, f"{where} cell {i}", depth + 1)
                    for i, cell in enumerate(self.matrices(parts, count, where))]
        if mxclass == MX_STRUCT:
            return self.structs(parts, dims, count, where, depth)
        print('Unsupported variable type: ' + str(mxclass))
        return None

    def numeric(self, parts, value_type, types, count, where):
        """The first ``count`` values of the data sub-element as ``value_type`` (converted by value, as
        libmatio reads a double matrix that MATLAB stored as whole numbers in a narrower type)."""
        mtype, data, _ = next(parts, (None, b'', 0))
        if mtype not in types:
            self.fail(f"{where}: its data has element type {mtype}, expected one of {sorted(types)}")
        stored = np.dtype(self.order + types[mtype])
        if len(data) < count * stored.itemsize:
            self.fail(f"{where}: its dims hold {count} values but its data {len(data)} bytes of "
                      f"{stored.itemsize}-byte values")
        with np.errstate(all='ignore'):              # a crafted file's NaN in an integer class: cast as C does
            return np.frombuffer(data, stored, count).astype(value_type)

    def matrices(self, parts, count, where):
        """The data of the next ``count`` miMATRIX sub-elements."""
        for i in range(count):
            mtype, data, _ = next(parts, (None, None, 0))
            if mtype != MI_MATRIX:
                self.fail(f"{where}: element {i} of {count} is {'missing' if mtype is None else f'type {mtype}'}"
                          f", expected miMATRIX ({MI_MATRIX})")
            yield data

    def structs(self, parts, dims, count, where, depth):
        """A 1x1 struct as a dict of its fields (a field read as nil left out, as Lua does), a 2-D struct array
        as a list of rows of dicts; matio-ffi reads no struct array of more dimensions."""
        length = self.expect(parts, (MI_INT32,), 'field name length', where)
        names = bytes(self.expect(parts, (MI_INT8, MI_UINT8), 'field names', where))
        size = struct.unpack_from(self.order + 'i', length)[0] if len(length) == 4 else 0
        if size <= 0 or len(names) % size:
            self.fail(f"{where}: field names of {len(names)} bytes in fields of {size} bytes")
        fields = [names[i:i + size].split(b'\0')[0].decode('latin-1') for i in range(0, len(names), size)]
        if not fields:                               # no fields: libmatio's data is NULL, matio gives nil
            return None
        if count > 1 and len(dims) > 2:
            print('Multidimensional structs currently not implemented.')
            print('Unsupported variable type: ' + str(MX_STRUCT))
            return None
        values = self.matrices(parts, count * len(fields), where)
        elements = []
        for i in range(count):                       # column-major: element i is (i % rows, i // rows)
            element = {}
            for field in fields:
                value = self.array(next(values), f"{where} field {field!r}", depth + 1)
                if value is not None:
                    element[field] = value
            elements.append(element)
        if count == 1:
            return elements[0]
        return [[elements[i + j * dims[0]] for j in range(dims[1])] for i in range(dims[0])]
