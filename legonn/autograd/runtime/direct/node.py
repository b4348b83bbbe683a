"""DirectNode: a value (a tensor or a number) the direct runtime traces (torch-autograd's DirectNode.lua).

A node records the function that made it, its arguments (nodes or plain values), their raw values, and, during
the backward pass, ``outgrad``: the gradient of the loss with respect to its value. User code handles nodes as it
would tensors: ``x.size(0)``, ``x.dim()``, ``x.view(...)``, ``x + y``, ``x[k]``, ``x[k] = v``; a method of the tensor
class is the class's traced entry (``x.view(2, 3)`` is ``Tensor.view(x, 2, 3)``), as Lua's ``node:view(...)``.
"""
import numbers

import legonn
from legonn.tensor import Tensor

from ... import overload


class DirectNode:
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
        desc = overload.unsupported_method(type(value), name)
        if desc is not None:
            raise RuntimeError(f"function {desc.name} not currently supported by autograd")
        method = getattr(type(value), name, None)
        if not callable(method):
            raise AttributeError(f"{name!r} of the tensor is not available on a traced value (a DirectNode)")
        return lambda *args, **kwargs: method(self, *args, **kwargs)

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

    # --- operators: gradfuns declares them, so that while a trace runs they are the runtime's entries; the runtime
    # calls these bodies on raw values (overload.lua's DirectNode.__add), which is Python's arithmetic of them
    def __add__(self, other):
        return _untraced(self) + other

    def __radd__(self, other):
        return other + _untraced(self)

    def __sub__(self, other):
        return _untraced(self) - other

    def __rsub__(self, other):
        return other - _untraced(self)

    def __mul__(self, other):
        return _untraced(self) * other

    def __rmul__(self, other):
        return other * _untraced(self)

    def __truediv__(self, other):
        return _untraced(self) / other

    def __rtruediv__(self, other):
        return other / _untraced(self)

    def __pow__(self, other):
        return _untraced(self) ** other

    def __rpow__(self, other):
        return other ** _untraced(self)

    def __matmul__(self, other):
        return _untraced(self) @ other

    def __rmatmul__(self, other):
        return other @ _untraced(self)

    def __neg__(self):
        return -_untraced(self)

    # --- a number's value answers comparisons and bool() (control flow, not traced: autograd.util.lt's answer;
    # Lua code wrote util.lt(s, 3) for `s < 3`, which Lua could not overload). No float(): math.exp(node) would
    # quietly drop the gradient, so it fails as the Lua's did
    def __lt__(self, other):
        return raw(self) < raw(other)

    def __le__(self, other):
        return raw(self) <= raw(other)

    def __gt__(self, other):
        return raw(self) > raw(other)

    def __ge__(self, other):
        return raw(self) >= raw(other)

    def __bool__(self):
        return bool(raw(self))

    def __repr__(self):
        return f"DirectNode({self.value!r})"


def _untraced(v):
    """``v``, a raw value; a node here was kept past its trace (the operators are not the runtime's any more)."""
    if isinstance(v, DirectNode):
        raise RuntimeError(f"autograd: a traced value ({v!r}) met an operator no gradient is declared for, or was "
                           f"used after its trace ended (return what you need from the function instead)")
    return v


def isNode(n):
    return isinstance(n, DirectNode)


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
    """Nodes for the parameters: a tensor or a number becomes a node; a dict, list or tuple is copied with its
    members made nodes (nested ones too)."""
    if isinstance(val, (Tensor, DirectNode)) or (isinstance(val, numbers.Number) and not isinstance(val, bool)):
        return DirectNode(val, None, None, [], [], tape)
    if isinstance(val, dict):
        return {k: newStartNode(v, tape) for k, v in val.items()}
    if isinstance(val, (list, tuple)):
        return type(val)(newStartNode(v, tape) for v in val)
    raise TypeError(f"autograd: parameters must be tensors, numbers, or dicts/lists of them; got {type(val).__name__}")
