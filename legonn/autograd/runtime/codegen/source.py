"""Where a traced value comes from (torch-autograd's runtime/codegen/Source.lua): a parameter of the function,
a constant, an output of a graph node, or an entry of one of those (a table's key). The code generator asks a
source for its symbol path, the Python expression that reads it inside the generated function."""
import math
import numbers

from legonn.tensor import Tensor


class Source:
    """One origin: ``type`` is COMPUTED (``node``, ``index``: the node's output), PARAM (``name``: the
    argument's position), CONSTANT (``val``) or TABLE (``parent``, ``key``: an entry of the parent's value)."""
    COMPUTED = 'computed'
    PARAM = 'param'
    CONSTANT = 'constant'
    TABLE = 'table'

    __slots__ = ('type', 'node', 'index', 'name', 'val', 'parent', 'key')

    def __init__(self, type_):
        self.type = type_

    @classmethod
    def computed(cls, node, index):
        s = cls(cls.COMPUTED)
        s.node, s.index = node, index
        return s

    @classmethod
    def param(cls, name):
        s = cls(cls.PARAM)
        s.name = name
        return s

    @classmethod
    def constant(cls, value):
        s = cls(cls.CONSTANT)
        s.val = value
        return s

    @classmethod
    def table(cls, parent, key):
        s = cls(cls.TABLE)
        s.parent, s.key = parent, key
        return s

    def symbolPath(self, rootSymbols):
        """The Python expression reading this source in the generated code: a root's symbol from
        ``rootSymbols`` (a dict keyed by Source), then ``[key]`` per table level, or a constant's literal."""
        if self.type == Source.TABLE:
            return f'{self.parent.symbolPath(rootSymbols)}[{self.key!r}]'
        if self.type == Source.CONSTANT:
            return self._constant_literal(rootSymbols)
        if self not in rootSymbols:
            raise RuntimeError('unknown symbol for node')
        return rootSymbols[self]

    def _constant_literal(self, rootSymbols):
        from .value import Value
        val = self.val
        if isinstance(val, Tensor):
            # the generated code binds the constant tensor itself to a name (the Lua writes its values out)
            return rootSymbols[self]
        if isinstance(val, (list, tuple, dict)):
            items = val.items() if isinstance(val, dict) else enumerate(val)
            elements = [v.source.symbolPath(rootSymbols) if Value.isValue(v) else repr(v) for _, v in items]
            if isinstance(val, dict):
                return '{' + ', '.join(f'{k!r}: {e}' for k, e in zip(val, elements)) + '}'
            return '[' + ', '.join(elements) + ']'
        if isinstance(val, numbers.Real) and not isinstance(val, bool) and math.isinf(val):
            return 'math.inf' if val > 0 else '-math.inf'
        return repr(val)

    def differentiable(self, differentiableMap):
        """Whether a gradient flows to this source from the differentiated argument (memoised in the map)."""
        isDiff = differentiableMap.get(self)
        if isDiff is not None:
            return isDiff
        if self.type == Source.TABLE:
            isDiff = self.parent.differentiable(differentiableMap)
        elif self.type == Source.COMPUTED:
            isDiff = self.node.differentiable(differentiableMap)
        elif self.type == Source.CONSTANT and isinstance(self.val, (list, tuple, dict)):
            from .value import Value
            values = self.val.values() if isinstance(self.val, dict) else self.val
            isDiff = any(Value.isValue(v) and v.source.differentiable(differentiableMap) for v in values)
        else:
            isDiff = False
        differentiableMap[self] = isDiff
        return isDiff

    def getRoot(self):
        """The source that is not a table entry: a parameter, constant or node output."""
        s = self
        while s.type == Source.TABLE:
            s = s.parent
        return s

    def changeRoot(self, newRoot):
        """Re-points the entry chain's top at ``newRoot`` (a replaced node's output)."""
        if self.type != Source.TABLE:
            return newRoot
        s = self
        while s.parent.type == Source.TABLE:
            s = s.parent
        s.parent = newRoot
        return None

    def getParentsArray(self):
        """The chain from the root down to this source."""
        chain = []
        s = self
        while True:
            chain.append(s)
            if s.type != Source.TABLE:
                return chain[::-1]
            s = s.parent

    def changeNodeTargetIndex(self, target, currentIdx, newIdx):
        if self.type == Source.COMPUTED:
            self.node.changeTargetIndex(self.index, target, currentIdx, newIdx)
