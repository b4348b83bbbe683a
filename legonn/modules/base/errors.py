"""Errors that say where: the module's path in the tree, what it expected, what came.

A leaf module raises ``input_error(self, expected, got)``; each container the
error passes through prepends its own step (``Sequential[2]``) with
``add_path``. The exception keeps its class (ValueError / TypeError / IndexError)
so callers can catch it the usual way.
"""
import numbers

from ...tensor.introspection import typename

# the exception classes a module, container or criterion catches to add its step to the path, then re-raises
CAUGHT = (ValueError, TypeError, IndexError)


def _render(err):
    return f"{' '.join(err.legonn_path)}: {err.legonn_detail}"


def _detail(err, name=None):
    """The message of a foreign exception; NumPy's UFuncTypeError keeps its text only in str(). Without a
    leading ``name: ``: a module that words its own error with its name first ("SeqLSTM(3 -> 4): ...") is
    then named once, when the path is rendered."""
    message = err.args[0] if err.args and isinstance(err.args[0], str) else str(err)
    prefix = f"{name}: "
    return message[len(prefix):] if name is not None and message.startswith(prefix) else message


def input_error(module, expected, got, kind=ValueError):
    """An exception naming ``module``, the expectation and what arrived."""
    err = kind(f"{module.shortName()}: expected {expected}, got {got}")
    err.legonn_path = [module.shortName()]
    err.legonn_detail = f"expected {expected}, got {got}"
    return err


def add_path(err, step, child=None):
    """Prefix ``err``'s module path with a container step; name ``child`` if the error did not."""
    if not hasattr(err, 'legonn_path'):
        name = child.shortName() if child is not None else None
        err.legonn_path = [name] if child is not None else []
        err.legonn_detail = _detail(err, name)
    elif child is not None and not err.legonn_path:
        err.legonn_path = [child.shortName()]
    err.legonn_path.insert(0, step)
    err.args = (_render(err),) + tuple(err.args[1:])
    return err


def name_error(module, err):
    """Give an exception raised inside ``module`` (e.g. by NumPy) the module's name, once."""
    if not hasattr(err, 'legonn_path'):
        err.legonn_path = [module.shortName()]
        err.legonn_detail = _detail(err, err.legonn_path[0])
        err.args = (_render(err),) + tuple(err.args[1:])
    return err


def name_outer(module, err):
    """Prefix ``module``'s name to an error a wrapped object (a criterion's inner criterion) raised."""
    path = getattr(err, 'legonn_path', None)
    # a class of another Lua package names itself with its package: 'cudnn.ReLU'; one whose package holds an 'nn.'
    # (torch-autograd's 'autograd.nn.module.AutoLinear') by its short name, 'autograd.module.AutoLinear'
    if path and not path[0].startswith((type(module).__name__, typename(module), module.shortName())):
        add_path(err, module.shortName())
    return name_error(module, err)


def check_hyper(owner, positive=None, nonnegative=None):
    """Raise ValueError at construction unless each named value is a (positive / non-negative) integer."""
    for rule, values, low in (('a positive', positive or {}, 1), ('a non-negative', nonnegative or {}, 0)):
        for name, v in values.items():
            if not isinstance(v, int) or isinstance(v, bool) or v < low:
                raise ValueError(f"{owner}: {name} must be {rule} integer, got {v!r}")


def check_number(owner, name, x):
    """``x``, raising ValueError unless it is a real number. A boolean is refused: Torch7 reads these arguments
    as ``x or default`` and hands them to C or arithmetic, where ``true`` fails (``false`` silently means the
    default), so Python's True == 1 must not build a module Torch7 would not."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{owner}: {name} must be a number, got {x!r}")
    return x


def check_inplace(owner, flag):
    """``flag`` (Torch7's ``ip``/``inplace`` argument), raising ValueError at construction unless it is a bool."""
    if not isinstance(flag, bool):
        raise ValueError(f"{owner}: the in-place flag must be a boolean, got {flag!r}")
    return flag


def check_probability(owner, p):
    """``p`` (a dropout's drop probability), raising ValueError unless it is a number in [0, 1)."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
        raise ValueError(f"{owner}: the drop probability p must be a number in [0, 1), got {p!r}")
    return p
