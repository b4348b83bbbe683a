"""Reading Torch7 ``.t7`` files (binary or ascii): ``load_lua`` (docs/t7.md)."""
from .load import is_t7, load_lua

__all__ = ['load_lua', 'is_t7']
