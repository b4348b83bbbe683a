"""torchnet's argument forms. torchnet declares its functions with argcheck, which takes the arguments by
position or as one table of named values (``tnt.ListDataset{list=l, load=f}``); ``named_table`` lets a Python
function take them as keywords or as that one dict. ``lua_call`` calls a user's closure as Lua does, dropping
the trailing arguments it does not take (a hook written ``function() ... end`` ignores the state it is given)."""
import functools
import inspect
import numbers

from ..tensor.indexing import is_whole


def named_table(func):
    """``func`` also callable with one dict of its parameters' names (argcheck's named table): ``f({'a': 1})``
    is ``f(a=1)`` and ``f({})`` is ``f()``. A dict whose keys are not all parameter names is an ordinary first
    argument."""
    params = list(inspect.signature(func).parameters.values())
    lead = 1 if params and params[0].name == 'self' else 0
    names = {p.name for p in params[lead:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if (len(args) == lead + 1 and not kwargs and isinstance(args[lead], dict)
                and all(isinstance(key, str) and key in names for key in args[lead])):
            return func(*args[:lead], **args[lead])
        return func(*args, **kwargs)
    return wrapper


def lua_call(func, *args):
    """``func(*args)`` with the trailing arguments ``func`` cannot take left off, as a Lua call drops them."""
    try:
        inspect.signature(func).bind(*args)
    except TypeError:
        for n in range(len(args) - 1, -1, -1):
            try:
                inspect.signature(func).bind(*args[:n])
            except TypeError:
                continue
            return func(*args[:n])
    except ValueError:      # a builtin without a signature: give it everything
        pass
    return func(*args)


def check_callable(owner, what, value):
    """``value`` when callable, else a TypeError naming ``owner`` and the argument ``what``."""
    if not callable(value):
        raise TypeError(f"{owner}: expected {what} to be a function, got {type(value).__name__}")
    return value


def whole(owner, what, value, minimum=0):
    """``value`` as an int when it is a whole number >= ``minimum`` (any whole number when it is None; a float
    such as 3.0 counts, as Lua's numbers do), else a ValueError (TypeError for a non-number) naming ``owner`` and
    ``what``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: expected {what} to be a number, got {type(value).__name__}")
    if not is_whole(value) or (minimum is not None and value < minimum):
        bound = '' if minimum is None else f' >= {minimum}'
        raise ValueError(f"{owner}: expected {what} to be a whole number{bound}, got {value!r}")
    return int(value)


def check_index(owner, idx, size):
    """The 0-based index ``idx`` as an int, or a ValueError naming ``owner`` when it is outside [0, size)."""
    if isinstance(idx, bool) or not isinstance(idx, numbers.Real):
        raise TypeError(f"{owner}: expected the index to be a number, got {type(idx).__name__}")
    if not is_whole(idx):
        raise ValueError(f"{owner}: index must be an integer, got {idx!r}")
    idx = int(idx)
    if not 0 <= idx < size:
        raise ValueError(f"{owner}: index out of bound: expected 0 <= idx < {size} (0-based), got {idx}")
    return idx
