"""The container of a saved file: a zip of ``manifest.json`` and one ``.npy`` per array.

Writing goes to a temporary file in the target's folder that replaces the
target only once complete (``os.replace``), so a crash mid-save leaves the
previous file intact. Reading never extracts anything to disk and trusts
nothing in the file: members are stored uncompressed (so no member can claim
more bytes than the archive holds), array headers are parsed by hand and must
match the manifest, object dtypes (pickles) are refused, and every short read
or checksum failure is a ``FormatError``.
"""
import json
import os
import re
import tempfile
import zipfile

import numpy as np

MANIFEST = 'manifest.json'
ARRAY_NAME = re.compile(r'arrays/[0-9]{1,9}\.npy')


class FormatError(ValueError):
    """A file that is not a well-formed legonn archive (truncated, corrupted, crafted)."""


def write_archive(path, manifest, arrays):
    """Write ``manifest`` (JSON-able) and ``arrays`` ({member name: host ndarray}) to ``path`` atomically."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + os.path.basename(path) + '.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as raw:
            with zipfile.ZipFile(raw, 'w', compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
                zf.writestr(MANIFEST, json.dumps(manifest, allow_nan=False, separators=(',', ':')))
                for name, arr in arrays.items():
                    with zf.open(name, 'w', force_zip64=True) as member:
                        np.lib.format.write_array(member, arr, allow_pickle=False)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class ArchiveReader:
    """Read-only, validating access to an archive's manifest and arrays."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self.size = os.path.getsize(self.path)
        try:
            self.zf = zipfile.ZipFile(self.path, 'r')
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise FormatError(f"{self.path}: not a legonn archive (a zip file was expected): {err}") from None

    def close(self):
        self.zf.close()

    def _info(self, name):
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise FormatError(f"{self.path}: member {name!r} named by the manifest is missing") from None
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            raise FormatError(f"{self.path}: member {name!r} is compressed; legonn archives store members as is")
        if info.header_offset + info.file_size > self.size:
            raise FormatError(f"{self.path}: member {name!r} declares {info.file_size} bytes, more than the "
                              f"archive holds ({self.size} bytes): truncated or crafted")
        return info

    def manifest(self):
        info = self._info(MANIFEST)
        try:
            text = self._read_member(info).decode('utf-8')
            manifest = json.loads(text, parse_constant=_reject_constant)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
            raise FormatError(f"{self.path}: the manifest is not valid JSON: {err}") from None
        if not isinstance(manifest, dict):
            raise FormatError(f"{self.path}: the manifest must be a JSON object")
        return manifest

    def _read_member(self, info):
        try:
            with self.zf.open(info) as f:
                data = f.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            raise FormatError(f"{self.path}: member {info.filename!r} is corrupted: {err}") from None
        if len(data) != info.file_size:
            raise FormatError(f"{self.path}: member {info.filename!r} is truncated")
        return data

    def array(self, name, dtype, shape):
        """The array stored as ``name``; its header must say ``dtype`` and ``shape`` (C order)."""
        if not isinstance(name, str) or not ARRAY_NAME.fullmatch(name):
            raise FormatError(f"{self.path}: array member name {name!r} is not of the form 'arrays/<n>.npy'")
        info = self._info(name)
        try:
            with self.zf.open(info) as f:
                header_dtype, header_shape = _read_header(f)
                if header_dtype != dtype or header_shape != tuple(shape):
                    raise FormatError(f"{self.path}: {name} holds {header_dtype} {header_shape}, the manifest "
                                      f"says {dtype} {tuple(shape)}")
                count = 1
                for n in header_shape:
                    count *= n
                expected = f.tell() + count * header_dtype.itemsize
                if expected != info.file_size:   # checked before allocating anything of the declared size
                    raise FormatError(f"{self.path}: {name} has {info.file_size} bytes, its header implies "
                                      f"{expected}: truncated or crafted")
                arr = np.empty(header_shape, dtype=header_dtype)
                _read_into(f, arr, name, self.path)
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise FormatError(f"{self.path}: member {name!r} is corrupted: {err}") from None
        return arr


def _reject_constant(name):
    raise FormatError(f"the manifest holds the non-JSON constant {name}")


def _read_header(f):
    """(dtype, shape) from an .npy header, refusing object dtypes and Fortran order."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=10000)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=10000)
        else:
            raise FormatError(f"unsupported .npy version {version}")
    except (ValueError, SyntaxError, TypeError) as err:
        if isinstance(err, FormatError):
            raise
        raise FormatError(f"bad .npy header: {err}") from None
    if dtype.hasobject or fortran:
        raise FormatError("an array member holds Python objects (a pickle) or Fortran order; refused")
    return dtype, tuple(shape)


def _read_into(f, arr, name, path):
    view = memoryview(arr.reshape(-1).view(np.uint8)) if arr.size else memoryview(b'')
    filled = 0
    while filled < len(view):
        n = f.readinto(view[filled:])
        if not n:
            raise FormatError(f"{path}: member {name!r} is truncated")
        filled += n
    if f.read(1):
        raise FormatError(f"{path}: member {name!r} has trailing bytes")

