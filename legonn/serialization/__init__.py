"""legonn.serialization: ``save``, ``load``, ``serialize``, ``deserialize`` and ``register`` (docs/format.md
describes the file).

``save(target, obj)`` writes tensors (views keep sharing their storage), whole
module trees (containers, gModules, shared parameters), criterions, optim
state tables, ConfusionMatrix and nested plain Python values to a zip of a
JSON manifest and ``.npy`` arrays: to a path atomically, or to a binary file
object. ``load(source)`` rebuilds them without executing anything from the
file: classes come only from legonn's own registry and ``register()``; CUDA
tensors come back on the CPU unless ``device='cuda'``. ``serialize`` and
``deserialize`` do the same with ``bytes`` (Torch7's ``torch.serialize``).
"""
import io
import os

from .archive import ArchiveReader, FormatError, is_file_object, write_archive
from .classes import ClassTable, register
from .decode import Decoder
from .encode import Encoder
from .t7 import is_t7, load_lua
from .transient import cleared

__all__ = ['save', 'load', 'load_lua', 'serialize', 'deserialize', 'register', 'FormatError']


def save(target, obj, buffers=False):
    """Write ``obj`` to ``target``: a path (str, bytes or path-like; replaced only once the new file is
    complete; through a symlink, its target is replaced) or a writable binary file object (written at its
    position and left open). Returns ``target`` (a path as given, through ``os.fspath``).

    Modules and criterions are saved as ``clearState()`` would leave them:
    ``output``, ``gradInput`` and the buffers their ``clearState`` empties are
    left out (the objects in memory are untouched). ``buffers=True`` keeps them.
    """
    classes = ClassTable()
    encoder = Encoder(classes)
    if buffers:
        manifest = encoder.encode(obj)
    else:
        with cleared(obj):
            manifest = encoder.encode(obj)
    write_archive(target, manifest, encoder.arrays)
    return target if is_file_object(target) else os.fspath(target)


def load(source, device='cpu'):
    """The object saved in ``source``: a path (str, bytes or path-like; a regular file) or a readable binary
    file object holding the archive from its current position to its end. ``device``: ``'cpu'``
    (default; CUDA tensors come back as their CPU twins, no CuPy needed) or ``'cuda'`` (every tensor on
    the GPU). A file Torch7's ``torch.save`` wrote is read by ``load_lua`` (docs/t7.md). Raises
    ``FormatError`` (a ValueError) for anything but a well-formed legonn archive naming known classes, or a
    well-formed Torch7 file."""
    if device not in ('cpu', 'cuda'):
        raise ValueError(f"legonn.load: device must be 'cpu' or 'cuda', got {device!r}")
    if is_t7(source):
        return load_lua(source, device=device)
    reader = ArchiveReader(source)
    try:
        decoder = Decoder(reader.manifest(), reader, ClassTable(), device == 'cuda')
        try:
            return decoder.decode()
        except RecursionError:
            raise FormatError(f"{reader.path}: the manifest nests too deeply") from None
    finally:
        reader.close()


def serialize(obj, buffers=False):
    """``obj`` as ``bytes`` in the file format (what ``save`` would write), like Torch7's ``torch.serialize``."""
    out = io.BytesIO()
    save(out, obj, buffers=buffers)
    return out.getvalue()


def deserialize(data, device='cpu'):
    """The object ``serialize`` turned into ``data`` (bytes, bytearray or memoryview), with every check
    ``load`` makes."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"legonn.deserialize: expected bytes, got {type(data).__name__}")
    return load(io.BytesIO(data), device=device)
