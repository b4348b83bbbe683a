"""A traced value of the optimized mode (torch-autograd's runtime/codegen/Value.lua): the raw tensor, number,
table, size, boolean or string the trace computed, with the Source it came from. Inside ``f`` the user's
tensors are Values; legonn's functions, the Tensor methods and the operators reach the graph through the
overloads installed while the trace runs."""
import numbers

from legonn.tensor import Storage, Tensor
from legonn.tensor.tensor import Size

from ..traced import TracedOperators, tensor_method
from .source import Source


class Value(TracedOperators):
    """``kind``: TABLE, TENSOR, NUMBER, LONG_STORAGE (a ``Size`` or a Storage), BOOLEAN, STRING or OTHER (None,
    a slice, ...); ``raw``: the traced value (a TABLE's raw is a dict, list or tuple of Values); ``source``:
    where it comes from. Identity is equality (dicts of the graph key Values as Lua keys tables)."""
    TABLE = 'table'
    TENSOR = 'tensor'
    NUMBER = 'number'
    LONG_STORAGE = 'long_storage'
    BOOLEAN = 'boolean'
    STRING = 'string'
    OTHER = 'other'

    __slots__ = ('kind', 'raw', 'source', 'debug')

    def __init__(self, kind, raw, source):
        self.kind = kind
        self.raw = raw
        self.source = source
        self.debug = None

    @staticmethod
    def from_(v, source, skipWrapTables=False, mutationFlow=None):
        """``v`` as a Value of ``source`` (a Value stays itself, remapped through ``mutationFlow``'s aliases);
        a dict, list or tuple wraps its entries as table sources, and with ``skipWrapTables`` stays a plain
        container of Values (the traced function's arguments, so that ``len`` and ``[k]`` stay Python's)."""
        if isinstance(v, Value):
            return mutationFlow.remap(v) if mutationFlow is not None else v
        if isinstance(v, (dict, list)) or (isinstance(v, tuple) and not isinstance(v, Size)):
            items = v.items() if isinstance(v, dict) else enumerate(v)
            wrapped = {k: Value.from_(e, Source.table(source, k), skipWrapTables, mutationFlow) for k, e in items}
            copy = wrapped if isinstance(v, dict) else type(v)(wrapped.values())
            return copy if skipWrapTables else Value(Value.TABLE, copy, source)
        if isinstance(v, Tensor):
            return Value(Value.TENSOR, v, source)
        if isinstance(v, bool):
            return Value(Value.BOOLEAN, v, source)
        if isinstance(v, numbers.Number):
            return Value(Value.NUMBER, v, source)
        if isinstance(v, str):
            return Value(Value.STRING, v, source)
        if isinstance(v, (Size, Storage)):
            return Value(Value.LONG_STORAGE, v, source)
        # None, a slice, Ellipsis, an array, a module: Python's arguments beyond Lua's types (the Lua refused
        # anything else), constants of the generated code
        return Value(Value.OTHER, v, source)

    def get(self):
        return self.raw

    @staticmethod
    def flatten(v):
        """The raw values under ``v``: Values unwrapped, containers rebuilt with their raw entries."""
        if isinstance(v, Value):
            return Value.flatten(v.raw) if v.kind == Value.TABLE else v.raw
        if isinstance(v, dict):
            return {k: Value.flatten(e) for k, e in v.items()}
        if isinstance(v, (list, tuple)) and not isinstance(v, Size):
            return type(v)(Value.flatten(e) for e in v)
        return v

    _plain = flatten    # what comparisons and bool() read (TracedOperators)

    @staticmethod
    def flattenGrads(v, intermediateGrads):
        """The raw gradients of the Values under ``v`` (None where none was computed), in ``v``'s layout."""
        return Value.flatten(Value.collectGrads(v, intermediateGrads))

    @staticmethod
    def collectGrads(v, intermediateGrads):
        """The gradient Values of the Values under ``v``, in ``v``'s layout."""
        if isinstance(v, Value):
            if v.kind == Value.TABLE:
                return Value.collectGrads(v.raw, intermediateGrads)
            return intermediateGrads.get(v.source)
        if isinstance(v, dict):
            return {k: Value.collectGrads(e, intermediateGrads) for k, e in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(Value.collectGrads(e, intermediateGrads) for e in v)
        return None

    # x[k] and x[k] = v of a traced tensor are graph nodes: gradfuns declares these two, so while a trace runs
    # they are the runtime's entries, which call these bodies on raw values (the nodes are named GET and SET)
    GET = 'Value._internal_get'
    SET = 'Value._internal_set'

    def _internal_get(self, k):
        return self[k]

    def _internal_set(self, k, v):
        self[k] = v
        return self

    def __getitem__(self, k):
        if self.kind == Value.TENSOR:
            return self._internal_get(k)
        return self.raw[k]

    def __setitem__(self, k, v):
        if self.kind == Value.TENSOR:
            self._internal_set(k, v)
        else:
            self.raw[k] = v

    def __len__(self):
        return len(self.raw)

    def __iter__(self):
        if self.kind == Value.TABLE:
            return iter(self.raw.values() if isinstance(self.raw, dict) else self.raw)
        raise TypeError(f'a traced {self.kind} cannot be iterated')

    def __getattr__(self, name):
        """A tensor method called on a traced tensor: the Tensor class's entry (the runtime's while a trace runs)
        with the Value as self, as Lua's metatable look-up finds it; a method the autograd does not support is
        an error naming it, and so is a data attribute (``x.array``). A table's attributes are its container's."""
        if name.startswith('__'):
            raise AttributeError(name)
        raw = object.__getattribute__(self, 'raw')
        if object.__getattribute__(self, 'kind') != Value.TENSOR:
            return getattr(raw, name)
        return tensor_method(self, type(raw), name)

    def __repr__(self):
        return f'Value({self.kind}, {self.source.type})'

    __hash__ = object.__hash__

