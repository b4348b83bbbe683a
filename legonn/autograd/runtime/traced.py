"""What both runtimes share: the operator bodies and the comparisons of their traced values (DirectNode.lua's and
Value.lua's metatables), and the check of the arguments ``df`` differentiates."""
import numbers

from legonn.tensor import Tensor

from .. import overload


class TracedOperators:
    """Mixed into DirectNode and Value. gradfuns declares the operators on each of them, so that while a trace
    runs they are the runtime's entries; the runtime calls these bodies on raw values (the Lua's "exist only to be
    overloaded"), which is Python's arithmetic of them. ``_plain(v)`` is the class's plain value of ``v``."""
    __slots__ = ()
    # legonn's Tensor operators defer to a traced value (legonn.tensor.pointwise.DEFER_ATTRIBUTE): ``tensor + value``
    # is this class's __radd__, with no swap of the Tensor class
    __legonn_defer__ = True

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

    # a traced number answers comparisons and bool() with its traced value: control flow, not traced (the code
    # the optimized mode generates is the branch this trace took; the Lua wrote util.lt(s, 3), which Lua could not
    # overload). No float(): math.exp(v) would quietly make the gradient a constant, so it fails as the Lua's did
    def __lt__(self, other):
        return self._plain(self) < self._plain(other)

    def __le__(self, other):
        return self._plain(self) <= self._plain(other)

    def __gt__(self, other):
        return self._plain(self) > self._plain(other)

    def __ge__(self, other):
        return self._plain(self) >= self._plain(other)

    def __bool__(self):
        return bool(self._plain(self))

    # int() and float() of a traced number would hand on its value of this trace: the gradient through it lost,
    # and in the optimized mode the value kept as a constant of the generated code. Python's own message would
    # not say why, so these say it
    def __float__(self):
        raise TypeError(f"autograd: float() of a traced number ({self!r}) would drop its gradient (and be a "
                        "constant of the optimized mode's code): compute with legonn's functions and operators")

    def __int__(self):
        raise TypeError(f"autograd: int() of a traced number ({self!r}) would drop its gradient (and be a "
                        "constant of the optimized mode's code): hand the number to legonn's functions as it is "
                        "(lg.narrow(x, 0, y, 1))")


def tensor_method(value, tensor_class, name):
    """The tensor method ``name`` of ``tensor_class`` bound to the traced ``value`` (the class's traced entry
    while a trace runs, as Lua's metatable look-up finds it): a method the autograd does not support is an error
    naming it, and so is a data attribute (``x.array``), which would bypass the trace."""
    desc = overload.unsupported_method(tensor_class, name)
    if desc is not None:
        raise RuntimeError(f"function {desc.name} not currently supported by autograd")
    method = getattr(tensor_class, name, None)
    if not callable(method):
        # read off this trace's tensor, its value would be a constant (of the optimized code) and its gradient lost
        raise AttributeError(f"{name!r} of the tensor is not available on a traced value (a {type(value).__name__})")
    return lambda *args, **kwargs: method(value, *args, **kwargs)


def _untraced(v):
    """``v``, a raw value: a traced value here was kept past its trace (its operators are not the runtime's any
    more), or met an operator no gradient is declared for."""
    if isinstance(v, TracedOperators):
        raise RuntimeError(f"autograd: a traced value ({v!r}) met an operator no gradient is declared for, or was "
                           "used after its trace ended (return what you need from the function instead)")
    return v


def checkParams(args, argnum):
    """Raises unless ``args[argnum]`` exists and is what a gradient can be taken of: a tensor, a number (not a
    bool), a traced value of an outer trace, or dicts/lists/tuples of them, nested."""
    if not 0 <= argnum < len(args):
        raise ValueError(f"autograd: gradArg {argnum} is not one of the {len(args)} arguments given (0-based)")
    _checkParam(args[argnum])


def _checkParam(val):
    if isinstance(val, dict):
        for v in val.values():
            _checkParam(v)
    elif isinstance(val, (list, tuple)):
        for v in val:
            _checkParam(v)
    elif not (isinstance(val, (Tensor, TracedOperators))
              or (isinstance(val, numbers.Number) and not isinstance(val, bool))):
        raise TypeError("autograd: parameters must be tensors, numbers, or dicts/lists of them; got "
                        f"{type(val).__name__}")
