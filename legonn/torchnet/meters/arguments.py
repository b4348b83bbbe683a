"""torchnet's argcheck calls in Python: a named table ``tnt.ClassErrorMeter{topk={1, 5}}`` is one dict,
``tnt.ClassErrorMeter({'topk': [1, 5]})``, or keyword arguments, ``tnt.ClassErrorMeter(topk=[1, 5])``."""
import functools
import inspect
from collections.abc import Mapping


def named_table(function):
    """``function`` (a method, or a plain function) also called with one dict of its named arguments."""
    positional = 2 if next(iter(inspect.signature(function).parameters), None) == 'self' else 1

    @functools.wraps(function)
    def call(*args, **kwargs):
        if not kwargs and len(args) == positional and isinstance(args[-1], Mapping):
            return function(*args[:-1], **args[-1])
        return function(*args, **kwargs)
    return call
