"""Torch7's type queries: ``torch.typename``, ``torch.type``, ``torch.isTensor``, ``torch.isStorage``,
``torch.isTypeOf``, ``torch.pointer`` and ``torch.data``, and Lua's ``pairs`` over the tables that ``type`` names
and ``tostring`` of any value.

Ported code branches on them (``if torch.type(x) == 'table'``), so ``type`` answers
Lua's type names for plain values: a list, tuple or dict is a ``'table'``.
"""
import math
import numbers
import re

import numpy as np

from .backend import address
from .functions import is_tensor
from .storage import Storage
from .tensor import Size, Tensor
from .timer import Timer


def typename(obj):
    """The legonn class name of a tensor, storage ('legonn.FloatTensor') or module ('nn.Linear', or
    'cudnn.SpatialConvolution' for a class whose ``lua_package`` is another Lua package), the name torch.class
    registered a class of another Torch7 package under, its ``lua_package`` and class name
    ('tnt.AverageValueMeter', 'optim.ConfusionMatrix') or the Lua name it declares as its ``typename``
    ('tds.Hash'); None for anything else, as Torch7 returns nil.

    A class itself has no typename: Torch7's ``nn.Linear`` is luaT's constructor table, whose metatable luaT never
    registers (luaT.c:675-841 registers the instances' metatable; luaT_typename, luaT.c:281, finds nothing)."""
    if isinstance(obj, type):
        return None
    if isinstance(obj, (Tensor, Storage)):
        return obj.type()
    if _is_nn(obj):
        return lua_class_name(obj.__class__)
    if isinstance(obj, Timer):
        return 'legonn.Timer'
    if isinstance(getattr(type(obj), 'lua_package', None), str):   # torchnet's and optim's classes
        return lua_class_name(type(obj))
    declared = getattr(type(obj), 'typename', None)
    return declared if isinstance(declared, str) else None


# luaT gives every registered metatable the field __typename (luaT.c:726-728) and a tensor or storage reads its
# metatable's fields, so Torch7 code tests ``x.__typename == 'torch.DoubleTensor'`` of a tensor (facebookarchive/
# MemNN's KVmemnn vector_array.lua); modules have it in modules/base/typed.py. Set after the class bodies because
# Python mangles a ``__typename`` written inside one (write ``getattr(x, '__typename')`` inside a class too).
for _cls in (Tensor, Storage):
    setattr(_cls, '__typename', property(typename, doc="The type name, as ``legonn.typename(self)``: "
                                                       "'legonn.FloatTensor' (equal to 'torch.FloatTensor')."))
del _cls


def lua_class_name(cls):
    """'nn.Linear': the Lua package the class belongs to (``lua_package``, 'nn' unless it says) and its name;
    the bare name for ``lua_package = None``, a class torch.class made global (``torch.class('Embedding',
    'nn.Module')`` names it 'Embedding')."""
    package = getattr(cls, 'lua_package', 'nn')
    return cls.__name__ if package is None else f"{package}.{cls.__name__}"


def _is_nn(obj):
    """A module or criterion (what Torch7 names nn.*)."""
    return hasattr(obj, 'shortName') and hasattr(obj, 'updateOutput')


def isTypeOf(obj, typespec):
    """Torch7's ``torch.isTypeOf``: whether ``obj`` is of the class ``typespec`` (a class, or a name such as
    'nn.Module', 'nn.Linear', 'torch.FloatTensor', or the ``typename`` a plain class declares), or of one derived
    from it. A name is a Lua pattern, as in torch7's init.lua: it matches anywhere in a class name
    ('torch.*Tensor', '.*Long' match 'torch.LongTensor'), but a pattern that matches only itself must be the
    whole name ('torch.Long' does not). An object (a tensor, a module) stands for its class's name, as init.lua
    reads ``getmetatable(typeSpec).__typename``: fairseq's ZipAlong.lua tests ``torch.isTypeOf(dest, src)`` of
    two tensors."""
    if isinstance(typespec, type):
        return isinstance(obj, typespec)
    if not isinstance(typespec, str):
        name = typename(typespec)
        if not isinstance(name, str):
            raise TypeError(f"torch.isTypeOf: type must be provided as [regexp] string, class or object of a "
                            f"class, got {type(typespec).__name__}")
        typespec = name
    if _is_nn(obj):
        names = [lua_class_name(cls) for cls in obj.__class__.__mro__]
    else:   # a class of another Torch7 package, and its parents, by the Lua names they have
        names = [typename(obj)] + [lua_class_name(cls) if isinstance(getattr(cls, 'lua_package', None), str)
                                   else cls.__dict__.get('typename') for cls in type(obj).__mro__[1:]
                                   if not cls.__name__.startswith('_')]   # not a private base (_Confusion)
    # a tensor's or storage's name has two spellings, 'legonn.LongTensor' and Torch7's 'torch.LongTensor'
    names += ['torch.' + n[len('legonn.'):] for n in names if n is not None and n.startswith('legonn.')]
    pattern = re.compile(_lua_pattern(typespec))
    for name in names:
        found = name is not None and pattern.search(name)
        if found and (found.group() != typespec or found.group() == name):
            return True
    return False


# Lua's white space (%s, and what tonumber skips): C's isspace, ASCII only, where Python's \s and
# str.strip take Unicode's too
LUA_SPACE = ' \t\n\r\f\v'

# Lua's character classes %a, %d, ... as the contents of a regular-expression set
_LUA_CLASSES = {'a': 'a-zA-Z', 'd': '0-9', 'l': 'a-z', 'u': 'A-Z', 's': LUA_SPACE, 'w': '0-9a-zA-Z',
                'p': r'!-/:-@\[-`{-~', 'c': r'\x00-\x1f\x7f', 'x': '0-9A-Fa-f'}


def _lua_pattern(pattern):
    """A Python regular expression for the Lua pattern ``pattern``: ``%`` escapes and classes (``%a``, ``%d``,
    ..., their complements ``%A``, ``%D``, ...), ``-`` after an item as the lazy ``*``; ``.``, ``*``, ``+``,
    ``?``, sets, ``^`` at the start and ``$`` at the end mean what they mean in both."""
    out, i, in_set = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == '%' and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            cls = _LUA_CLASSES.get(nxt.lower())
            if cls is None:
                out.append(re.escape(nxt))
            elif in_set and nxt.isupper():
                raise ValueError(f"torch.isTypeOf: the complement class %{nxt} inside a set is not supported "
                                 f"(pattern {pattern!r})")
            else:
                out.append(cls if in_set else f"[{'^' if nxt.isupper() else ''}{cls}]")
            i += 2
            continue
        if in_set:
            first = out[-1] in ('[', '[^')
            out.append('\\]' if c == ']' and first else '^' if c == '^' and out[-1] == '[' else
                       c if c in '-]' or c.isalnum() else re.escape(c))
            in_set = c != ']' or first
        elif c == '[':
            out.append('[^' if pattern[i + 1:i + 2] == '^' else '[')
            i += 1 if out[-1] == '[^' else 0
            in_set = True
        elif c == '-' and out:
            out.append('*?')
        elif c in '.*+?' or (c == '^' and i == 0) or (c == '$' and i == len(pattern) - 1):
            out.append(c)
        else:
            out.append(re.escape(c))
        i += 1
    return ''.join(out)


def pointer(obj):
    """Torch7's ``torch.pointer``: a number identifying the object (its ``id``; the same object, the same number)."""
    return id(obj)


def data(obj, asnumber=False):
    """Torch7's ``torch.data(x)``: the pointer to a tensor's first element (``x.data()``, a 1-D NumPy/CuPy view of
    the storage from there) or to a storage's first (``s.data``; a size ``x.size()``, a LongStorage in Torch7,
    gives its sizes as a fresh int64 array); with ``asnumber``, that address as an int."""
    if isinstance(obj, Tensor):
        ptr = obj.data()
    elif isinstance(obj, Storage):
        ptr = obj.data
    elif isinstance(obj, Size):
        # Torch7's x:size() is a fresh LongStorage (generic/Tensor.c:24), so torch.data(x:size()) is the
        # pointer to its longs (FFInterface.lua:200 calls its :data()); KVmemnn's WeightedLookupTableSkinny.lua
        # hands torch.data(self.gradWeight:size()) to C. A fresh int64 array of the sizes is that storage.
        ptr = np.array(obj, dtype=np.int64)
    else:
        raise TypeError(f"torch.data: expected a tensor or a storage, got {type(obj).__name__}")
    if not asnumber:
        return ptr
    return address(ptr)


def torch_type(obj):
    """``typename(obj)``, or Lua's name for a plain value: 'nil', 'boolean', 'number', 'string',
    'table' (list, tuple, dict, or a class: Torch7's is a constructor table, init.lua:120), 'function', else the
    Python class name."""
    name = typename(obj)
    if name is not None:
        return name
    if obj is None:
        return 'nil'
    if isinstance(obj, (bool, np.bool_)):   # a NumPy comparison's answer is Lua's boolean too
        return 'boolean'
    if isinstance(obj, numbers.Number):
        return 'number'
    if isinstance(obj, str):
        return 'string'
    if isinstance(obj, (list, tuple, dict, type)):
        return 'table'
    if callable(obj):
        return 'function'
    return obj.__class__.__name__


LUA_PLAIN_TYPES = ('nil', 'boolean', 'number', 'string', 'table', 'function')


def lua_type(obj):
    """Lua's own ``type(obj)``: torch_type's name for a plain value (LUA_PLAIN_TYPES), 'userdata' for tensors,
    storages, arrays and every other object."""
    name = torch_type(obj)
    return name if name in LUA_PLAIN_TYPES else 'userdata'


isTensor = is_tensor   # Torch7's name for the test legonn already has


def isStorage(obj):
    """Torch7's ``torch.isStorage``: True for a storage of any type (a tensor is not one)."""
    return isinstance(obj, Storage)


def pairs(table):
    """Lua's ``pairs`` over a table held as a list, tuple or dict: a dict's (key, value) items, a list's
    (0-based position, value) pairs."""
    return table.items() if isinstance(table, dict) else enumerate(table)


def tostring(value):
    """Lua's ``tostring(value)``: ``'nil'``, ``'true'``/``'false'``, a number as LuaJIT writes it (``%.14g``: 3.0
    is ``'3'``, 1e-5 ``'1e-05'``; ``'nan'``, ``'inf'``), a string as it is; an object's ``__tostring__`` (a
    module's or criterion's text, a user class's own, as luaT's metatable calls it); a tensor's or storage's
    printed text; a Torch7 class instance without ``__tostring__`` its typename (luaT's answer); a table (list,
    tuple, dict) or function as Lua's ``'table: 0x...'``/``'function: 0x...'`` with the Python object's id in
    place of its address; anything else Python's ``str``."""
    if value is None:
        return 'nil'
    if isinstance(value, (bool, np.bool_)):
        return 'true' if value else 'false'
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return 'nan'
        if math.isinf(value):
            return 'inf' if value > 0 else '-inf'
        return '%.14g' % value
    if isinstance(value, str):
        return value
    own = getattr(value, '__tostring__', None)
    if callable(own) and not isinstance(value, type):
        return own()
    if isinstance(value, (Tensor, Storage)):
        return str(value)
    name = typename(value)
    if name is not None:
        return name
    kind = lua_type(value)
    if kind in ('table', 'function'):
        return f'{kind}: 0x{id(value):08x}'
    return str(value)
