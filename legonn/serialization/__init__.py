"""legonn.serialization: ``save``, ``load``, ``serialize``, ``deserialize`` and ``register`` (docs/format.md
describes the file).

``save(target, obj)`` writes tensors (views keep sharing their storage), whole
module trees (containers, gModules, shared parameters), criterions, optim
state tables, ConfusionMatrix and nested plain Python values to a zip of a
JSON manifest and ``.npy`` arrays: to a path atomically, or to a binary file
object. ``load(source)`` rebuilds them without executing anything from the
file: classes come only from legonn's own registry and ``register()``; CUDA
tensors come back on the GPU where legonn can use CUDA, as Torch7's ``torch.load``
gives them, else on the CPU (``device`` picks otherwise). ``serialize`` and
``deserialize`` do the same with ``bytes`` (Torch7's ``torch.serialize``), ``serializeToStorage`` and
``deserializeFromStorage`` with a CharStorage of them.
"""
import io
import os

import numpy as np

from .archive import ArchiveReader, FormatError, is_file_object, write_archive
from .classes import ClassTable, register
from .decode import Decoder, cuda_flag
from .encode import Encoder
from .t7 import DiskFile, is_t7, load_lua, save_lua
from .transient import cleared
from ..tensor import backend
from ..tensor.storage import CharStorage, Storage

__all__ = ['save', 'load', 'load_lua', 'save_lua', 'DiskFile', 'serialize', 'deserialize', 'serializeToStorage',
           'deserializeFromStorage', 'register', 'FormatError']


# Torch7's torch.save/load/serialize/deserialize take an encoding, 'binary' or 'ascii' (and for load 'b32'/'b64',
# a file written where a C long has 4 or 8 bytes), and torch.save/load a 'referenced' flag, positionally.
_SAVE_MODES = (None, 'binary', 'ascii')
_LOAD_MODES = _SAVE_MODES + ('b32', 'b64')


def _check_mode(where, mode, modes, referenced=None):
    if isinstance(mode, bool) or mode not in modes:
        raise ValueError(f"legonn.{where}: mode must be one of {modes[1:]} (or None), as Torch7's, got {mode!r}")
    if referenced not in (None, True, False):
        raise ValueError(f"legonn.{where}: referenced must be True or False (or None), got {referenced!r}")


def save(target, obj, mode=None, referenced=None, *, buffers=False, hook=None):
    """Write ``obj`` to ``target``: a path (str, bytes or path-like; replaced only once the new file is
    complete; through a symlink, its target is replaced) or a writable binary file object (written at its
    position and left open). Returns ``target`` (a path as given, through ``os.fspath``).

    Modules and criterions are saved as ``clearState()`` would leave them:
    ``output``, ``gradInput`` and the buffers their ``clearState`` empties are
    left out (the objects in memory are untouched). ``buffers=True`` keeps them.
    ``mode`` ('binary' or 'ascii') is Torch7's argument, taken so ported calls run: the file is legonn's
    archive whichever. ``referenced=False`` (Torch7's copies of shared objects) is refused: shared objects
    stay shared. ``hook`` is Torch7's ``File:writeObject(object, debugname, hook)`` argument: every value met,
    the saved object first, is written as ``hook(value)`` (whose own contents pass through the hook too), and
    a value met twice is written once, as Torch7 keeps references to the object met.
    """
    _check_mode('save', mode, _SAVE_MODES, referenced)
    if referenced is False:
        raise ValueError("legonn.save: referenced=False (shared objects written as copies) is not supported; "
                         "legonn keeps shared objects shared")
    classes = ClassTable()
    encoder = Encoder(classes, hook)
    if buffers:
        manifest = encoder.encode(obj)
    else:
        with cleared(obj):
            manifest = encoder.encode(obj)
    write_archive(target, manifest, encoder.arrays)
    return target if is_file_object(target) else os.fspath(target)


def load(source, mode=None, referenced=None, *, device=None):
    """The object saved in ``source``: a path (str, bytes or path-like; a regular file) or a readable binary
    file object holding the archive from its current position to its end. ``device``: None (default; as
    Torch7's ``torch.load``, each tensor on the device it was saved from where legonn can use CUDA, and on
    the CPU where it cannot, so a GPU checkpoint loads anywhere), ``'cpu'`` (CUDA tensors come back as their
    CPU twins, no CuPy needed), ``'cuda'`` (every tensor on the GPU) or ``'saved'`` (each tensor on the
    device it was saved from; a CUDA one needs CuPy and a GPU). A file
    Torch7's ``torch.save`` wrote is read by ``load_lua`` (docs/t7.md). Raises
    ``FormatError`` (a ValueError) for anything but a well-formed legonn archive naming known classes, or a
    well-formed Torch7 file. ``mode`` and ``referenced`` are Torch7's arguments: ``'b32'`` reads a Torch7 file
    written where a C long has 4 bytes; the encoding is otherwise read from the file itself."""
    cuda = cuda_flag('legonn.load', device)
    _check_mode('load', mode, _LOAD_MODES, referenced)
    if is_t7(source):
        return load_lua(source, device=device, long_size=4 if mode == 'b32' else 8)
    reader = ArchiveReader(source)
    try:
        decoder = Decoder(reader.manifest(), reader, ClassTable(), cuda)
        try:
            return decoder.decode()
        except RecursionError:
            raise FormatError(f"{reader.path}: the manifest nests too deeply") from None
    finally:
        reader.close()


def serialize(obj, mode=None, *, buffers=False, hook=None):
    """``obj`` as ``bytes`` in the file format (what ``save`` would write), like Torch7's ``torch.serialize``
    (whose ``mode``, 'binary' or 'ascii', is taken and changes nothing); ``hook`` as ``save``'s."""
    _check_mode('serialize', mode, _SAVE_MODES)
    out = io.BytesIO()
    save(out, obj, buffers=buffers, hook=hook)
    return out.getvalue()


def deserialize(data, mode=None, *, device='saved'):
    """The object ``serialize`` turned into ``data`` (bytes, bytearray or memoryview), with every check
    ``load`` makes (``mode`` is Torch7's ``torch.deserialize`` argument, and changes nothing). By default each
    tensor comes back on the device it was on, as Torch7's in-memory copies (``torch.deserialize``, a
    ``MemoryFile``'s ``readObject``) keep a CudaTensor a CudaTensor: char-rnn's clone_many_times of a CUDA
    model gives CUDA clones; ``device`` as ``load``'s."""
    _check_mode('deserialize', mode, _SAVE_MODES)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"legonn.deserialize: expected bytes, got {type(data).__name__}")
    return load(io.BytesIO(data), device=device)


def serializeToStorage(obj, mode=None, *, buffers=False, hook=None):
    """Torch7's ``torch.serializeToStorage``: the bytes ``serialize`` gives, in a CharStorage."""
    return CharStorage().string(serialize(obj, mode, buffers=buffers, hook=hook))


def deserializeFromStorage(storage, mode=None, *, device='saved'):
    """Torch7's ``torch.deserializeFromStorage``: the object ``serializeToStorage`` put in ``storage`` (a
    CharStorage or ByteStorage of the bytes), with ``deserialize``'s checks and ``device``."""
    if not isinstance(storage, Storage) or storage.dtype not in (np.int8, np.uint8):
        raise TypeError(f"legonn.deserializeFromStorage: expected a CharStorage or ByteStorage, got "
                        f"{type(storage).__name__}")
    return deserialize(np.asarray(backend.to_module(storage.data, np)).tobytes(), mode, device=device)
