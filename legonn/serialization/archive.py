"""The container of a saved file: a zip of ``manifest.json`` and one ``.npy`` per array.

Writing to a path goes through ``atomic.replacing`` (a crash mid-save leaves
the previous file intact); writing to a file object writes the zip at its
position. Reading never extracts anything to disk and trusts nothing in the
file: ``zipfile`` only parses the central directory, then every member must be
stored uncompressed, unencrypted, under a unique name, with a local header
that agrees with the directory, and no two members' bytes may overlap (so
the members' data together never exceed the file's size). Members are read
straight into their final arrays (one copy of the data, no intermediate
buffer), their CRCs checked; array headers are parsed by hand and must match
the manifest, object dtypes (pickles) are refused, and everything malformed
is a ``FormatError``.
"""
import io
import json
import math
import os
import re
import stat
import struct
import tokenize
import zipfile
import zlib

import numpy as np

from .atomic import replacing

MANIFEST = 'manifest.json'
ARRAY_NAME = re.compile(r'arrays/[0-9]{1,9}\.npy')
# general-purpose flags a member may carry: sizes in a trailing data descriptor (what zipfile writes to an
# unseekable stream) and UTF-8 names; anything else (encryption, patched data, ...) is refused
_ALLOWED_FLAGS = 0x08 | 0x800
_LOCAL_HEADER = struct.Struct('<4s5H3L2H')
_LOCAL_SIGNATURE = b'PK\x03\x04'
_NPY_HEADER_LIMIT = 10000
_NPY_PREFIX = 12   # magic (6), version (2), header length (up to 4)
_ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, OverflowError, struct.error)


class FormatError(ValueError):
    """A file that is not a well-formed legonn archive (truncated, corrupted, crafted)."""


def is_file_object(target):
    """True for a binary file-like object (anything with ``read`` or ``write``), False for a path."""
    if isinstance(target, io.TextIOBase):
        raise TypeError(f"legonn: {getattr(target, 'name', 'the file object')} is opened in text mode; "
                        "archives need a binary file (mode 'rb' or 'wb')")
    return hasattr(target, 'read') or hasattr(target, 'write')


def write_archive(target, manifest, arrays):
    """Write ``manifest`` (JSON-able) and ``arrays`` ({member name: host ndarray}) to ``target``: a path
    (replaced atomically) or a writable binary file object (written at its position, left open)."""
    if is_file_object(target):
        _write_zip(target, manifest, arrays)
        return
    with replacing(os.fsdecode(os.fspath(target))) as f:
        _write_zip(f, manifest, arrays)


def _write_zip(f, manifest, arrays):
    with zipfile.ZipFile(f, 'w', compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, allow_nan=False, separators=(',', ':')))
        for name, arr in arrays.items():
            with zf.open(name, 'w', force_zip64=True) as member:
                np.lib.format.write_array(member, arr, allow_pickle=False)


def _open_source(source):
    """(readable seekable binary file, label for messages, whether we opened it) for a path or file object."""
    if is_file_object(source):
        name = getattr(source, 'name', None)
        label = os.fsdecode(name) if isinstance(name, (str, bytes)) else '<file object>'
        if not (hasattr(source, 'readinto') and getattr(source, 'seekable', lambda: False)()):
            source = io.BytesIO(source.read())
        return source, label, False
    path = os.fsdecode(os.fspath(source))
    # O_NONBLOCK: opening a FIFO must not wait for a writer; a non-regular file is refused before any read
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise FormatError(f"{path}: not a regular file (a {_file_kind(mode)}); refused without reading it")
    os.set_blocking(fd, True)
    return os.fdopen(fd, 'rb'), path, True


def _file_kind(mode):
    kinds = ((stat.S_ISDIR, 'folder'), (stat.S_ISFIFO, 'FIFO'), (stat.S_ISCHR, 'character device'),
             (stat.S_ISBLK, 'block device'), (stat.S_ISSOCK, 'socket'))
    return next((name for test, name in kinds if test(mode)), 'special file')


class ArchiveReader:
    """Read-only, validating access to an archive's manifest and arrays (a path or a binary file object)."""

    def __init__(self, source):
        self.file, self.path, self._owned = _open_source(source)
        try:
            # the zip directory is only needed to build the member table; later reads go through self.file,
            # which closing a ZipFile built on a file object leaves open
            with zipfile.ZipFile(self.file, 'r') as zf:
                self.members = self._check_members(zf)
        except FormatError:
            self.close()
            raise
        except _ZIP_ERRORS as err:
            self.close()
            raise FormatError(f"{self.path}: not a legonn archive (a zip file was expected): {err}") from None

    def close(self):
        if self._owned:
            self.file.close()

    def _fail(self, message):
        return FormatError(f"{self.path}: {message}")

    def _check_members(self, zf):
        """{name: (data offset, ZipInfo)}, once every member has passed the checks in the module docstring."""
        spans = []
        for info in zf.infolist():
            name = info.filename
            if info.flag_bits & ~_ALLOWED_FLAGS:
                raise self._fail(f"member {name!r} is encrypted or uses zip features legonn does not write "
                                 f"(flags {info.flag_bits:#06x})")
            if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
                raise self._fail(f"member {name!r} is compressed; legonn archives store members as is")
            spans.append((info.header_offset, self._data_offset(info), info))
        spans.sort(key=lambda span: span[0])
        members = {}
        for k, (header, data, info) in enumerate(spans):
            end = data + info.file_size
            limit = spans[k + 1][0] if k + 1 < len(spans) else zf.start_dir
            if end > limit:
                raise self._fail(f"member {info.filename!r} (bytes {header}..{end}) overlaps the next member or "
                                 "the zip directory: crafted")
            if info.filename in members:
                raise self._fail(f"two members are named {info.filename!r}")
            members[info.filename] = data, info
        return members

    def _data_offset(self, info):
        """Where ``info``'s data starts, after a local header that must agree with the central directory."""
        if info.header_offset < 0:
            raise self._fail(f"member {info.filename!r} starts before the archive")
        self.file.seek(info.header_offset)
        raw = self.file.read(_LOCAL_HEADER.size)
        if len(raw) != _LOCAL_HEADER.size or raw[:4] != _LOCAL_SIGNATURE:
            raise self._fail(f"member {info.filename!r} has no local header where the directory says")
        name_length, extra_length = _LOCAL_HEADER.unpack(raw)[-2:]
        encoding = 'utf-8' if info.flag_bits & 0x800 else 'cp437'
        if self.file.read(name_length) != info.orig_filename.encode(encoding):
            raise self._fail(f"member {info.filename!r} is named differently in its local header")
        return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length

    def _member(self, name):
        found = self.members.get(name)
        if found is None:
            raise self._fail(f"member {name!r} named by the manifest is missing")
        return found

    def _read_exact(self, view, name):
        filled = 0
        while filled < len(view):
            n = self.file.readinto(view[filled:])
            if not n:
                raise self._fail(f"member {name!r} is truncated")
            filled += n

    def _check_crc(self, crc, info):
        if crc != info.CRC:
            raise self._fail(f"member {info.filename!r} is corrupted (CRC mismatch)")

    def manifest(self):
        offset, info = self._member(MANIFEST)
        data = bytearray(info.file_size)
        self.file.seek(offset)
        self._read_exact(memoryview(data), MANIFEST)
        self._check_crc(zlib.crc32(data), info)
        try:
            manifest = json.loads(data.decode('utf-8'), parse_constant=_reject_constant, parse_float=_finite_float)
        except FormatError as err:
            raise self._fail(str(err)) from None
        except (ValueError, RecursionError) as err:   # bad UTF-8 or JSON, integers past Python's digit limit
            raise self._fail(f"the manifest is not valid JSON: {err}") from None
        if not isinstance(manifest, dict):
            raise self._fail("the manifest must be a JSON object")
        return manifest

    def array(self, name, dtype, shape):
        """The array stored as ``name``; its header must say ``dtype`` and ``shape`` (C order)."""
        if not isinstance(name, str) or not ARRAY_NAME.fullmatch(name):
            raise self._fail(f"array member name {name!r} is not of the form 'arrays/<n>.npy'")
        offset, info = self._member(name)
        self.file.seek(offset)
        head = self.file.read(min(info.file_size, _NPY_PREFIX + _NPY_HEADER_LIMIT))
        header = io.BytesIO(head)
        try:
            header_dtype, header_shape = _read_header(header)
        except FormatError as err:
            raise self._fail(f"{name}: {err}") from None
        if header_dtype != dtype or header_shape != tuple(shape):
            raise self._fail(f"{name} holds {header_dtype} {header_shape}, the manifest says {dtype} {tuple(shape)}")
        data_start = header.tell()
        expected = data_start + math.prod(header_shape) * header_dtype.itemsize
        if expected != info.file_size:   # checked before allocating anything of the declared size
            raise self._fail(f"{name} has {info.file_size} bytes, its header implies {expected}: truncated or crafted")
        arr = np.empty(header_shape, dtype=header_dtype)
        view = memoryview(arr.reshape(-1).view(np.uint8)) if arr.size else memoryview(b'')
        self.file.seek(offset + data_start)
        self._read_exact(view, name)
        self._check_crc(zlib.crc32(view, zlib.crc32(head[:data_start])), info)
        return arr


def _reject_constant(name):
    raise FormatError(f"the manifest holds the non-JSON constant {name}")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise FormatError(f"the manifest holds the number {text[:40]}, which is not a finite float "
                          '(non-finite values are written {"$float": "inf"})')
    return value


def _read_header(f):
    """(dtype, shape) from an .npy header, refusing object dtypes and Fortran order."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=_NPY_HEADER_LIMIT)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=_NPY_HEADER_LIMIT)
        else:
            raise FormatError(f"unsupported .npy version {version}")
    except FormatError:
        raise
    except (ValueError, SyntaxError, TypeError, OverflowError, RecursionError, tokenize.TokenError) as err:
        raise FormatError(f"bad .npy header: {err}") from None
    if dtype.hasobject or fortran:
        raise FormatError("an array member holds Python objects (a pickle) or Fortran order; refused")
    return dtype, tuple(shape)
