"""DirectNode: a value (a tensor or a number) the direct runtime traces (torch-autograd's DirectNode.lua).

A node records the function that made it, its arguments (nodes or plain values), their raw values, and, during
the backward pass, ``outgrad``: the gradient of the loss with respect to its value. User code handles nodes as it
would tensors: ``x.size(0)``, ``x.dim()``, ``x.view(...)``, ``x + y``, ``x[k]``, ``x[k] = v``; a method of the tensor
class is the class's traced entry (``x.view(2, 3)`` is ``Tensor.view(x, 2, 3)``), as Lua's ``node:view(...)``.
"""
import legonn
from legonn.tensor import Tensor

from ..traced import TracedOperators, tensor_method


class DirectNode(TracedOperators):
    """One traced value on a tape; ``tape`` is the DirectTape that recorded it."""
    __slots__ = ('value', 'fun', 'gradFun', 'args', 'argValues', 'outgrad', 'profileId', 'tape', '__weakref__')

    def __init__(self, value, fun, gradFun, args, values, tape):
        self.value, self.fun, self.gradFun, self.args, self.argValues = value, fun, gradFun, args, values
        self.outgrad = None
        self.profileId = None
        self.tape = tape
        tape.nodes.append(self)

    # --- what the Lua gives a node outright: sizes and dimensions of the value, new tensors like it
    def size(self, *args):
        return self.value.size(*args)

    def dim(self):
        return self.value.dim()

    def nDimension(self):
        return self.value.nDimension()

    def nElement(self):
        return self.value.nElement()

    def new(self, *args):
        return self.value.new(*args)

    # as the Lua's node: the torch functions of the same name (their traced entries while a trace runs)
    def view(self, *sizes):
        return legonn.view(self, *sizes)

    def viewAs(self, template):
        return legonn.viewAs(self, template)

    def expand(self, *sizes):
        return legonn.expand(self, *sizes)

    def expandAs(self, template):
        return legonn.expandAs(self, template)

    def __len__(self):
        return len(self.value)

    def __getattr__(self, name):
        """A tensor method of the value, called with the node as ``self``: the class's traced entry while a trace
        runs; a method the autograd does not support is an error naming it, as the Lua's."""
        value = raw(object.__getattribute__(self, 'value'))   # in a nested trace the value is an outer node
        if not isinstance(value, Tensor) or name.startswith('__'):
            raise AttributeError(f"{type(value).__name__} value of a traced node has no attribute {name!r}")
        return tensor_method(self, type(value), name)

    # --- indexing: x[k] and x[k] = v are traced functions (their gradients are gradfuns' get and set)
    def __getitem__(self, key):
        return self._internal_get(key)

    def __setitem__(self, key, value):
        self._internal_set(key, value)

    def _internal_get(self, key):
        return self[key]

    def _internal_set(self, key, value):
        self[key] = value
        return self

    @staticmethod
    def _plain(v):
        """The plain value under any nested traces' nodes (what comparisons and bool() read)."""
        return raw(v)

    def __repr__(self):
        return f"DirectNode({self.value!r})"


def getValue(v):
    """A node's value (one level: a node of an outer trace stays a node), else ``v``."""
    return v.value if isinstance(v, DirectNode) else v


def raw(v):
    """The plain value under any number of nested traces' nodes."""
    while isinstance(v, DirectNode):
        v = v.value
    return v


def getOutgrad(arg):
    """The gradients of a start node, or of a dict/list/tuple of them, in the same structure: a tensor's or a
    number's gradient, zeros of its size when the loss did not depend on it (the optimized mode's answer)."""
    if isinstance(arg, DirectNode):
        if arg.outgrad is not None:
            return arg.outgrad
        value = raw(arg)
        return value.new(value.size()).zero() if isinstance(value, Tensor) else 0.0
    if isinstance(arg, dict):
        return {k: getOutgrad(v) for k, v in arg.items()}
    if isinstance(arg, (list, tuple)):
        return type(arg)(getOutgrad(v) for v in arg)
    return None


def newStartNode(val, tape):
    """Nodes for the parameters (``checkParams`` has checked them): a tensor or a number becomes a node; a dict,
    list or tuple is copied with its members made nodes (nested ones too)."""
    if isinstance(val, dict):
        return {k: newStartNode(v, tape) for k, v in val.items()}
    if isinstance(val, (list, tuple)):
        return type(val)(newStartNode(v, tape) for v in val)
    return DirectNode(val, None, None, [], [], tape)
