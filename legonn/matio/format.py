"""The MAT level-5 format's numbers (MATLAB's "MAT-File Format" document, chapter 1), shared by the reader and
the writer: data types of tagged elements (mi*), array classes (mx*) and the array flags.

A level-5 file is a 128-byte header (116 bytes of text, an 8-byte subsystem offset, the version 0x0100 and the
endian indicator 'IM' as written by the machine: 'MI' when it was big-endian) and then one tagged element per
variable: a miMATRIX, or a miCOMPRESSED holding a zlib stream of one miMATRIX (MAT v7). A tag is two 32-bit
words, the type and the byte count, and the data is padded to 8 bytes; a small element packs a count of at most
4 bytes into the type word's high half and its data into the second word. MAT v7.3 files are HDF5 files behind
a 512-byte header whose version word is 0x0200.
"""
MI_INT8, MI_UINT8, MI_INT16, MI_UINT16, MI_INT32, MI_UINT32 = 1, 2, 3, 4, 5, 6
MI_SINGLE, MI_DOUBLE, MI_INT64, MI_UINT64 = 7, 9, 12, 13
MI_MATRIX, MI_COMPRESSED, MI_UTF8, MI_UTF16, MI_UTF32 = 14, 15, 16, 17, 18

# the NumPy type (without byte order) of each numeric data type; chars may be stored in the three UTF types too
MI_TYPES = {MI_INT8: 'i1', MI_UINT8: 'u1', MI_INT16: 'i2', MI_UINT16: 'u2', MI_INT32: 'i4', MI_UINT32: 'u4',
            MI_SINGLE: 'f4', MI_DOUBLE: 'f8', MI_INT64: 'i8', MI_UINT64: 'u8'}
CHAR_TYPES = {MI_INT8: 'u1', MI_UINT8: 'u1', MI_UTF8: 'u1', MI_INT16: 'u2', MI_UINT16: 'u2', MI_UTF16: 'u2'}

MX_CELL, MX_STRUCT, MX_OBJECT, MX_CHAR, MX_SPARSE = 1, 2, 3, 4, 5
MX_DOUBLE, MX_SINGLE, MX_INT8, MX_UINT8, MX_INT16, MX_UINT16 = 6, 7, 8, 9, 10, 11
MX_INT32, MX_UINT32, MX_INT64, MX_UINT64 = 12, 13, 14, 15

# the NumPy type of each numeric class and that of the Torch tensor matio-ffi gives it (init.lua's
# tensor_types_mapper): an unsigned class has the signed tensor of its width, its bytes copied as they are
NUMERIC_CLASSES = {MX_DOUBLE: ('f8', 'f8'), MX_SINGLE: ('f4', 'f4'), MX_INT8: ('i1', 'i1'),
                   MX_UINT8: ('u1', 'u1'), MX_INT16: ('i2', 'i2'), MX_UINT16: ('u2', 'i2'),
                   MX_INT32: ('i4', 'i4'), MX_UINT32: ('u4', 'i4'), MX_INT64: ('i8', 'i8'),
                   MX_UINT64: ('u8', 'i8')}

F_COMPLEX, F_GLOBAL, F_LOGICAL = 0x0800, 0x0400, 0x0200

VERSION_5, VERSION_73 = 0x0100, 0x0200
HEADER_BYTES = 128
