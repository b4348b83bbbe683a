"""Torch7 ``.t7`` files: reading them (binary or ascii) with ``load_lua``, writing plain values, tensors, tds's
containers and common ``nn`` modules with ``save_lua`` (docs/t7.md); ``DiskFile`` for a file of several objects
written and read one after another."""
from .disk_file import DiskFile
from .load import is_t7, load_lua
from .writer import save_lua

__all__ = ['load_lua', 'save_lua', 'is_t7', 'DiskFile']
