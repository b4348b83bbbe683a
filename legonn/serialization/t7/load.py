"""``load_lua``: a Torch7 file's object, with its ``nn`` modules turned into legonn's."""
import contextlib
import os
import sys

from ..archive import FormatError
from ..decode import cuda_flag
from .modules import ModuleConverter
from .reader import ObjectReader
from .streams import open_stream

# Torch7 reads nested objects recursively, and so does this reader; deep but legal files need more room
RECURSION_LIMIT = 20000


@contextlib.contextmanager
def deep_recursion():
    """Python's recursion limit raised to ``RECURSION_LIMIT`` within the block (the t7 reader and writers recurse
    as Torch7's File.lua does), put back after it."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def is_t7(source):
    """Whether ``source`` (a path or a binary file object) looks like a Torch7 file: a type tag 0-8 first,
    in binary or as ascii text. Only regular files and seekable streams are looked at (a FIFO or a device
    is left to the archive reader, which refuses it without reading); a stream is put back where it was."""
    if hasattr(source, 'read'):
        try:
            if not getattr(source, 'seekable', lambda: False)():   # a bare reader: only read() is promised
                return False
            start = source.tell()
            head = source.read(4)
            source.seek(start)
        except (OSError, ValueError):
            return False
    else:
        try:
            if not os.path.isfile(source):
                return False
            with open(source, 'rb') as f:
                head = f.read(4)
        except (OSError, TypeError, ValueError):
            return False
    if not isinstance(head, bytes):
        return False
    if len(head) == 4 and head[1:] == b'\0\0\0':
        return head[0] <= 8
    return len(head) >= 2 and head[:1] in b'012345678' and head[1:2] in b'\n \r'


def load_lua(source, convert=True, device=None, long_size=8, converters=None):
    """The object a Torch7 ``torch.save`` wrote to ``source`` (a path or a binary file object).

    Tensors and storages come back as legonn's (views share their storage; storage
    offsets become 0-based); CUDA ones as ``lg.load``'s ``device`` says: by default on the device their class
    names where legonn can use CUDA (as Torch7 reads them), else on the CPU; ``'cpu'``, ``'cuda'`` (every one
    on the GPU) or ``'saved'`` (each on the device its class names) choose outright. Tables
    with keys 1..n become lists, other tables ``LuaTable`` dicts. With ``convert``
    (default) every ``nn.*``/``nngraph`` object becomes the legonn module with its
    parameters and 0-based index fields, refusing what has no clear counterpart;
    ``convert=False`` leaves them as ``TorchObject``s of raw fields. ``converters``
    maps a class name (a Torch7 user class such as char-rnn's ``'OneHot'``, or an
    ``'nn.*'`` one to override) to a function from its ``TorchObject`` of fields to
    the module to use. ``long_size``: 4 for files written where a C long has 4
    bytes (Windows). Nothing from the file is ever run: Lua functions are refused.
    Raises ``FormatError`` for a malformed, truncated or unsupported file.
    """
    cuda = cuda_flag('legonn.load_lua', device)
    if hasattr(source, 'read'):
        data, name = source.read(), getattr(source, 'name', 'a file object')
    else:
        name = os.fspath(source)
        with open(name, 'rb') as f:
            data = f.read()
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"legonn.load_lua: expected a binary file, read {type(data).__name__}")
    if not data:
        raise FormatError(f"{name}: empty file, not a Torch7 file")
    reader = ObjectReader(open_stream(bytes(data), name, long_size), cuda=cuda)
    try:
        with deep_recursion():
            value = reader.plain(reader.read())
            return ModuleConverter(name, cuda, converters).convert(value) if convert else value
    except RecursionError:
        raise FormatError(f"{name}: objects nest too deeply") from None
