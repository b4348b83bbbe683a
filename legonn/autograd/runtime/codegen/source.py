"""Where a traced value comes from (torch-autograd's runtime/codegen/Source.lua): a parameter of the function,
a constant, an output of a graph node, or an entry of one of those (a table's key). The code generator writes a
source as the Python expression that reads it in the generated function (the Lua's ``symbolPath``, here the
backend's ``path``)."""


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

    def differentiable(self, differentiableMap):
        """Whether a gradient flows to this source from the differentiated argument (memoised in the map)."""
        isDiff = differentiableMap.get(self)
        if isDiff is not None:
            return isDiff
        if self.type == Source.TABLE:
            isDiff = self.parent.differentiable(differentiableMap)
        elif self.type == Source.COMPUTED:
            # only a node's first output has a gradient (lg.max(x, d)'s values): its others (the indices) are
            # plain answers, as the direct runtime gives them, and a function may take them where it has none
            isDiff = self.index == 0 and self.node.differentiable(differentiableMap)
        elif self.type == Source.CONSTANT and isinstance(self.val, (list, tuple, dict)):
            from .value import Value
            values = self.val.values() if isinstance(self.val, dict) else self.val
            isDiff = any(isinstance(v, Value) and v.source.differentiable(differentiableMap) for v in values)
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

    def changeNodeTargetIndex(self, target, currentIdx, newIdx):
        if self.type == Source.COMPUTED:
            self.node.changeTargetIndex(self.index, target, currentIdx, newIdx)
