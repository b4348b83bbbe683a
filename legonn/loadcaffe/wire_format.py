"""Reads a binary ``.caffemodel``: a ``caffe.NetParameter`` in protobuf's wire format.

Each field is a varint key (field number << 3 | wire type) followed by a varint (0), 8 bytes (1), a
varint length and that many bytes (2), or 4 bytes (5); groups (3, 4) are obsolete and are walked only to
skip them. A length-delimited field holds a string, a nested message or a *packed* run of numbers (Caffe
writes blob data as one packed run of little-endian float32). Every length is checked against the bytes
left before anything is read or allocated, unknown groups nest at most protobuf's default depth of 100 (the
known messages nest four deep: net, layer, blob, shape), and a file
over protobuf's 1 GiB total-bytes limit (which loadcaffe sets) is refused: a truncated, corrupted or crafted
file raises ``ValueError`` naming the file, the field and the byte offset.
"""
import struct

import numpy as np

from .schema import MESSAGES, Message

TOTAL_BYTES_LIMIT = 1 << 30   # loadcaffe's CodedInputStream::SetTotalBytesLimit(1073741824, ...)
MAX_DEPTH = 100               # protobuf's default recursion limit
_VARINT_KINDS = ('int32', 'uint32', 'int64', 'bool', 'enum')


class _Reader:
    def __init__(self, data, name):
        self.data, self.name = data, name
        self.view = memoryview(data)

    def fail(self, where, what, pos):
        return ValueError(f"loadcaffe: {self.name}: {where}: {what} (at byte {pos} of {len(self.data)}): "
                          "not a caffe.NetParameter, or truncated or corrupted")

    def varint(self, pos, end, where):
        """The unsigned varint at ``pos`` (at most 10 bytes, inside ``end``) and the position after it."""
        value = shift = 0
        start = pos
        while True:
            if pos >= end:
                raise self.fail(where, "a varint runs past the end of its message", start)
            byte = self.data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value & 0xFFFFFFFFFFFFFFFF, pos
            shift += 7
            if shift >= 70:
                raise self.fail(where, "a varint is longer than 10 bytes", start)

    def span(self, pos, end, where):
        """The (start, stop) of the length-delimited bytes whose length varint is at ``pos``."""
        length, pos = self.varint(pos, end, where)
        if length > end - pos:
            raise self.fail(where, f"a length of {length} bytes, but {end - pos} are left", pos)
        return pos, pos + length


def _integer(value, kind):
    """A 64-bit varint as protobuf reads it into ``kind``: int32/enum truncated and signed, uint32 truncated."""
    if kind == 'bool':
        return value != 0
    if kind == 'uint32':
        return value & 0xFFFFFFFF
    if kind == 'int64':
        return value - (1 << 64) if value >= 1 << 63 else value
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _skip(reader, wire, pos, end, where, depth):
    """The position after an unknown field's value of wire type ``wire``."""
    if wire == 0:
        return reader.varint(pos, end, where)[1]
    if wire in (1, 5):
        size = 8 if wire == 1 else 4
        if size > end - pos:
            raise reader.fail(where, f"a {size}-byte value, but {end - pos} bytes are left", pos)
        return pos + size
    if wire == 2:
        return reader.span(pos, end, where)[1]
    if wire == 3:   # a group: fields up to its end-group key
        if depth >= MAX_DEPTH:
            raise reader.fail(where, f"groups nested deeper than {MAX_DEPTH}", pos)
        while True:
            key, pos = reader.varint(pos, end, where)
            if key & 7 == 4:
                return pos
            pos = _skip(reader, key & 7, pos, end, where, depth + 1)
    raise reader.fail(where, f"wire type {wire} is not one of protobuf's (0, 1, 2, 3, 5)", pos)


def _packed(reader, kind, start, stop, where):
    """The numbers of a packed run: float32 straight from the file's bytes, varints one by one."""
    if kind == 'float':
        if (stop - start) % 4:
            raise reader.fail(where, f"a packed float run of {stop - start} bytes, not a multiple of 4", start)
        return np.frombuffer(reader.view[start:stop], dtype='<f4')
    values, pos = [], start
    while pos < stop:
        value, pos = reader.varint(pos, stop, where)
        values.append(_integer(value, kind))
    return np.array(values, dtype=np.int64)


def _message(reader, type, start, end, path, depth):
    message, fields, pos = Message(type), MESSAGES[type], start
    while pos < end:
        key, pos = reader.varint(pos, end, path + ': a field key')
        number, wire = key >> 3, key & 7
        if number == 0:
            raise reader.fail(path, "field number 0", pos)
        if number not in fields:
            pos = _skip(reader, wire, pos, end, f"{path}.<field {number}>", depth)
            continue
        name, kind, repeated = fields[number]
        where = f"{path}.{name}"
        if kind in _VARINT_KINDS and wire == 0:
            value, pos = reader.varint(pos, end, where)
            message.add(name, _integer(value, kind))
        elif kind == 'float' and wire == 5:
            if end - pos < 4:
                raise reader.fail(where, f"a float needs 4 bytes, {end - pos} are left", pos)
            message.add(name, struct.unpack_from('<f', reader.data, pos)[0])
            pos += 4
        elif wire == 2 and (kind in MESSAGES or kind == 'string' or repeated):
            lo, pos = reader.span(pos, end, where)
            if kind in MESSAGES:
                message.add(name, _message(reader, kind, lo, pos, where, depth + 1))
            elif kind == 'string':
                message.add(name, bytes(reader.view[lo:pos]).decode('utf-8', 'replace'))
            else:
                message.add(name, _packed(reader, kind, lo, pos, where))
        else:   # a known number with another wire type: protobuf keeps it as an unknown field
            pos = _skip(reader, wire, pos, end, where, depth)
    return message


def parse(data, name='<bytes>'):
    """The ``caffe.NetParameter`` message encoded in ``data`` (bytes); ``name`` labels errors."""
    if len(data) > TOTAL_BYTES_LIMIT:
        raise ValueError(f"loadcaffe: {name}: {len(data)} bytes, over protobuf's total-bytes limit of "
                         f"{TOTAL_BYTES_LIMIT} that loadcaffe reads with")
    return _message(_Reader(data, name), 'NetParameter', 0, len(data), 'NetParameter', 0)


def parse_file(filename):
    """The ``caffe.NetParameter`` of the binary file ``filename`` (a ``.caffemodel``)."""
    with open(filename, 'rb') as f:
        data = f.read(TOTAL_BYTES_LIMIT + 1)
    return parse(data, str(filename))
