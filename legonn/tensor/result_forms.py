"""Torch7's method result forms: ``r:sum(x, 2)`` (nn/Sum.lua's ``self.output:sum(input, dim)``),
``values:max(indices, x, 2)``, ``r:gather(src, dim, index)``. cwrap gives every method the argument list of its
function, so a method whose first argument is a tensor, where it would otherwise take a number, is the function
called with ``self`` as the result: ``r.sum(x, 2)`` is ``legonn.sum(r, x, 2)``.
"""
import functools

from .pointwise import is_operand


def result_form(method):
    """Decorate a method that returns something new: a call whose arguments, after ``self``, match the
    function's result-form pattern (functions.RETURNS_NEW) is answered by ``legonn.<name>(self, *args)``."""
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if args and type(args[0]) is not int and is_operand(args[0]):   # a dimension first: the plain form
            from .functions import FUNCTIONAL, RETURNS_NEW, _n_results
            pattern, n_results = RETURNS_NEW[name]
            if _n_results(pattern, n_results, (self,) + args):
                return FUNCTIONAL[name](self, *args, **kwargs)
        return method(self, *args, **kwargs)
    return wrapper
