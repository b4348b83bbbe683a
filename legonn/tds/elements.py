"""What a tds container may hold (tds's elem.lua) and how it prints (hash.lua / vec.lua ``__tostring``).

tds stores C values only: numbers, strings, booleans, tds containers and torch tensors. A value of another
kind is refused when stored, as elem.set's "unsupported key/value type" error does, so a container always
holds what ``lg.save`` can write. Lua tables passed to a constructor become containers (list/tuple:
``tds.Vec``, dict: ``tds.Hash``), recursively, as the constructors' ``fill`` does.
"""
import numbers
import threading

import numpy as np

from ..tensor import Tensor, as_tensor
from ..tensor.functions import is_tensor_like
from ..tensor.tester import tostring

# hash.lua and vec.lua show at most this many entries, then '...'
SHOWN = 20
# per thread, the ids of the containers whose text is being made (so that one holding itself is caught)
_PRINTING = threading.local()


class Container:
    """What tds.Hash and tds.Vec share: Lua's typename (``typename``) and their text (``__tostring__``, also
    their ``repr``), from the subclass's ``_labelled(n)``, the (label, value) pairs of its first ``n`` entries."""
    typename = None

    def __tostring__(self):
        """hash.lua / vec.lua's text: ``tds.Hash[n]{`` (or ``tds.Vec[n]{``), one entry per line with the labels
        padded to the widest, at most 20 entries then ``...``, and ``}``. A container met again inside its own
        text (it holds itself, directly or deeper) is shown as ``tds.Hash[n] (cycle)``: tds's Lua recurses
        there until the C stack overflows."""
        printing = _PRINTING.__dict__.setdefault('ids', set())
        if id(self) in printing:
            return f'{self.typename}[{len(self)}] (cycle)'
        printing.add(id(self))
        try:
            labelled = self._labelled(SHOWN)
            width = max((len(label) for label, _ in labelled), default=0)
            lines = [f'{self.typename}[{len(self)}]{{'] + [entry_lines(label, v, width) for label, v in labelled]
        finally:
            printing.discard(id(self))
        if len(self) >= SHOWN:   # hash.lua / vec.lua write '...' on reaching the 20th entry, even the last
            lines.append('...')
        return '\n'.join(lines + ['}'])

    def __repr__(self):
        return self.__tostring__()

    __str__ = __repr__


def element(value, where):
    """``value`` as tds stores it: a Python number (NumPy scalars unwrapped, as tds keeps doubles), a
    string, a boolean, a tds container or a tensor (a NumPy/CuPy array is wrapped without copying).
    None (Lua's nil) is the caller's business. Anything else is a TypeError naming ``where``."""
    if isinstance(value, (bool, str, bytes, Container, Tensor)):
        return value
    if isinstance(value, np.generic) and isinstance(value.item(), (bool, int, float)):
        return value.item()
    if isinstance(value, numbers.Real):
        return value
    if is_tensor_like(value):
        return as_tensor(value)
    hint = ("; convert a table with tds.Vec(...) or tds.Hash(...)" if isinstance(value, (list, tuple, dict))
            else '')
    raise TypeError(f"{where}: expected a number, string, boolean, tds.Hash, tds.Vec or tensor (what tds "
                    f"stores), got {type(value).__name__}{hint}")


def converted(value, where):
    """``element(value)``, except that a list or tuple becomes a ``tds.Vec`` and a dict a ``tds.Hash``
    (recursively): the constructors' conversion of nested Lua tables."""
    from .hash import Hash
    from .vec import Vec
    if isinstance(value, (list, tuple)):
        return Vec(value)
    if isinstance(value, dict):
        return Hash(value)
    return element(value, where)


def key_text(key):
    """hash.lua's key2str: numbers, strings and booleans as Lua's tostring, other keys by their type."""
    if isinstance(key, (numbers.Real, str, bytes)):
        return tostring(key)
    return key.typename if isinstance(key, Container) else key.type().replace('legonn.', 'torch.')


def entry_lines(label, value, width):
    """One entry as hash.lua/vec.lua print it: ``label`` (padded to ``width``) and ' : ' before the first
    non-empty line of the value's text, the following non-empty lines indented as far."""
    text = tostring(value)
    lead, indent = f"{label}{' ' * (width - len(label))} : ", ' ' * (width + 3)
    lines, first = [], True
    for line in text.split('\n'):
        if line:
            line = (lead if first else indent) + line
            first = False
        lines.append(line)
    return '\n'.join(lines)
