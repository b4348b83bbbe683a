"""How torch-ipc's channels, shared tables and marshals hand a value over (src/serialize.c's rb_save and
rb_load): every write stores a copy and every read makes a fresh one, so what a reader changes is its own.

A dict, list, tuple or set (a Lua table) is copied item by item; anything else passes by reference: numbers,
strings, tensors and storages (torch-ipc writes a userdata's pointer and ``retain``s it, so threads share a
tensor's memory), ipc handles (channels, mutexes, shared tables) and objects of other classes. A function
whose ``__closure__`` holds variables of an enclosing function is a Lua closure with upvalues: refused unless
``upval`` (marshal.c's flag), then rebuilt with copies of those variables as rb_load rebuilds the upvalues.
A function reading only module globals is Lua's function whose sole upvalue is ``_ENV``: always allowed.
"""
import types

_CONTAINERS = (dict, list, tuple, set, frozenset)


def copy_value(value, upval, who, memo=None):
    """A copy of ``value`` by torch-ipc's rules (see the module's docstring); ``who`` names the call in
    errors. A value reached twice is copied once (where torch-ipc copies it twice, and loops on a cycle)."""
    memo = {} if memo is None else memo
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, dict):
        out = memo[id(value)] = {}
        for k, v in value.items():
            out[copy_value(k, upval, who, memo)] = copy_value(v, upval, who, memo)
        return out
    if isinstance(value, list):
        out = memo[id(value)] = []
        out.extend(copy_value(v, upval, who, memo) for v in value)
        return out
    if isinstance(value, _CONTAINERS):   # tuple, set, frozenset: immutable shells, rebuilt from copies
        out = memo[id(value)] = type(value)(copy_value(v, upval, who, memo) for v in value)
        return out
    if isinstance(value, types.FunctionType) and value.__closure__:
        if not upval:
            names = ', '.join(value.__code__.co_freevars)
            raise ValueError(f"{who}: attempt to serialize closure '{value.__qualname__}' with "
                             f"{len(value.__closure__)} upvalues ({names}); pass upval=True to copy them")
        cells = tuple(types.CellType() for _ in value.__closure__)
        out = memo[id(value)] = types.FunctionType(value.__code__, value.__globals__, value.__name__,
                                                   value.__defaults__, cells)
        out.__kwdefaults__, out.__qualname__ = value.__kwdefaults__, value.__qualname__
        for cell, old in zip(cells, value.__closure__):
            try:
                contents = old.cell_contents
            except ValueError:      # a variable not bound yet stays unbound
                continue
            cell.cell_contents = copy_value(contents, upval, who, memo)
        return out
    return value


class ProcessLocal:
    """A torch-ipc handle that lives in one process's memory (a pthread mutex, a ring buffer, a Lua state):
    threads share it, pickling it for another process is refused by name."""
    __slots__ = ()

    def __reduce__(self):
        raise TypeError(f"legonn.ipc.{type(self).__name__.lower()}: cannot be sent to another process (torch-ipc's "
                        f"lives in one process's memory): share it between threads (ipc.map, a threads.Threads "
                        f"pool of threads)")
