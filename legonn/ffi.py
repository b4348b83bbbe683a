"""``local ffi = require 'ffi'``: the few LuaJIT FFI calls Torch7 data loaders make on tensor memory.

fb.resnet.torch and imagenet-multiGPU.torch keep their image paths in a ``CharTensor``, one NUL-terminated path
per row, written with ``ffi.copy(imagePath[i]:data(), path)`` and read with ``ffi.string(imagePath[i]:data())``,
and test ``ffi.os`` to pick the GNU tools. A pointer here is what ``x.data()`` returns: a 1-D NumPy view of the
storage from the tensor's first element (docs/porting.md), so these calls port unchanged. Unlike LuaJIT they
check bounds: a copy that would run past the end of the storage is an error, never a write into other memory.
Pointer arithmetic does not port as written: ``p + n`` of a NumPy view adds ``n`` to every element; write
``p[n:]`` (the view ``n`` elements on).
"""
import builtins
import platform

import numpy as np

__all__ = ['copy', 'string', 'os']

os = {'Linux': 'Linux', 'Darwin': 'OSX', 'Windows': 'Windows'}.get(platform.system(), 'Other')
"""LuaJIT's ``ffi.os``: 'Linux', 'OSX', 'Windows' or 'Other'."""


def _bytes(where, name, ptr):
    """The bytes under ``ptr`` (a host array such as ``x.data()``), as a writable uint8 view."""
    if not isinstance(ptr, np.ndarray):
        kind = 'a CUDA array (device memory)' if hasattr(ptr, '__cuda_array_interface__') else type(ptr).__name__
        raise TypeError(f"ffi.{where}: {name} must be a host pointer, x.data() of a CPU tensor or storage "
                        f"(a NumPy array), got {kind}")
    if ptr.ndim != 1 or not ptr.flags.c_contiguous:
        raise ValueError(f"ffi.{where}: {name} must be a contiguous 1-D view as x.data() returns, "
                         f"got shape {ptr.shape} with strides {ptr.strides}")
    return ptr.view(np.uint8)


def _source(src):
    """``src`` as bytes: a str (UTF-8, undecodable bytes kept through surrogateescape), bytes, or a host array."""
    if isinstance(src, str):
        return src.encode('utf-8', 'surrogateescape'), True
    if isinstance(src, (bytes, bytearray, memoryview)):
        return bytes(src), True
    return _bytes('copy', 'src', src).tobytes(), False


def _length(where, len_):
    if isinstance(len_, bool) or not isinstance(len_, (int, np.integer)) or len_ < 0:
        raise ValueError(f"ffi.{where}: len must be a non-negative integer (bytes), got {len_!r}")
    return int(len_)


def copy(dst, src, len=None):
    """Copy ``len`` bytes of ``src`` to ``dst``; without ``len``, ``src`` must be a string and its bytes and a
    terminating NUL are copied, as LuaJIT copies ``#src + 1`` bytes. ``src`` may be a str, bytes or a host array
    (``x.data()``); ``dst`` a host array. Raises ValueError when ``dst`` (or ``src``) holds fewer bytes."""
    out = _bytes('copy', 'dst', dst)
    data, is_string = _source(src)
    if len is None:
        if not is_string:
            raise ValueError("ffi.copy: len is needed when src is not a string")
        data += b'\0'
        len = builtins.len(data)
    len_ = _length('copy', len)
    if len_ > builtins.len(data):
        raise ValueError(f"ffi.copy: len {len_} exceeds the {builtins.len(data)} bytes of src")
    if len_ > out.size:
        raise ValueError(f"ffi.copy: {len_} bytes do not fit in dst, which holds {out.size} bytes to the end "
                         "of its storage")
    out[:len_] = np.frombuffer(data, np.uint8, len_)


def string(ptr, len=None):
    """The text at ``ptr``: its first ``len`` bytes, or without ``len`` the bytes before the first NUL (LuaJIT
    reads a C string so). Decoded as UTF-8, undecodable bytes kept through surrogateescape, so
    ``s.encode('utf-8', 'surrogateescape')`` gives the bytes back. Raises ValueError when no NUL ends the
    string before the storage does (LuaJIT would read on into other memory)."""
    data = _bytes('string', 'ptr', ptr)
    if len is None:
        ends = np.flatnonzero(data == 0)
        if not ends.size:
            raise ValueError(f"ffi.string: no NUL byte ends the string in the {data.size} bytes to the end of the "
                             "storage; give len")
        len = int(ends[0])
    len_ = _length('string', len)
    if len_ > data.size:
        raise ValueError(f"ffi.string: len {len_} exceeds the {data.size} bytes to the end of the storage")
    return data[:len_].tobytes().decode('utf-8', 'surrogateescape')
