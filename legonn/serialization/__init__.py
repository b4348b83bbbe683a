"""legonn.serialization: ``save``, ``load`` and ``register`` (docs/format.md describes the file).

``save(path, obj)`` writes tensors (views keep sharing their storage), whole
module trees (containers, gModules, shared parameters), criterions, optim
state tables, ConfusionMatrix and nested plain Python values to a zip of a
JSON manifest and ``.npy`` arrays, atomically. ``load(path)`` rebuilds them
without executing anything from the file: classes come only from legonn's own
registry and ``register()``; CUDA tensors come back on the CPU unless
``device='cuda'``.
"""
import os

from .archive import ArchiveReader, FormatError, write_archive
from .classes import ClassTable, register
from .decode import Decoder
from .encode import Encoder
from .t7 import is_t7, load_lua
from .transient import cleared

__all__ = ['save', 'load', 'load_lua', 'register', 'FormatError']


def save(path, obj, buffers=False):
    """Write ``obj`` to ``path`` (replacing it only once the new file is complete).

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
    write_archive(path, manifest, encoder.arrays)
    return os.fspath(path)


def load(path, device='cpu'):
    """The object saved in ``path``. ``device``: ``'cpu'`` (default; CUDA tensors come back as their CPU
    twins, no CuPy needed) or ``'cuda'`` (every tensor on the GPU). Raises ``FormatError`` (a ValueError)
    for anything but a well-formed legonn archive naming known classes, or a Torch7 file (``load_lua``)."""
    if device not in ('cpu', 'cuda'):
        raise ValueError(f"legonn.load: device must be 'cpu' or 'cuda', got {device!r}")
    if is_t7(path):   # a file Torch7's torch.save wrote (docs/t7.md)
        return load_lua(path, device=device)
    reader = ArchiveReader(path)
    try:
        decoder = Decoder(reader.manifest(), reader, ClassTable(), device == 'cuda')
        try:
            return decoder.decode()
        except RecursionError:
            raise FormatError(f"{reader.path}: the manifest nests too deeply") from None
    finally:
        reader.close()
