"""autograd.optim: legonn.optim's optimisers driven by a gradient function (torch-autograd's optim/init.lua).

``optimfn, states = autograd.optim.sgd(df, state, params)``: ``optimfn(*args)`` calls ``df(params, *args)``
and steps every parameter tensor of ``params`` (a tensor or nested dicts/lists of them) with its gradient,
each with its own copy of ``state`` (the list ``states``, in ``util.sortedFlatten``'s order); it returns what
``df`` returned, ``(grads, loss, ...)``. One per optimiser of legonn.optim taking ``(opfunc, x, config, state)``
(sgd, adam, adagrad, ..., lbfgs, cg); the line searches' function is the gradient just computed, whatever
point they ask at, as in the Lua.
"""
import copy
import inspect

from .. import optim as _optim
from .util import sortedFlatten


def _wrap(optimfn):
    def wrapped(fn, state, params):
        flat_params = sortedFlatten(params)
        states = [copy.deepcopy(state) for _ in flat_params]

        def step(*args):
            out = fn(params, *args)
            grads, loss = out[0], out[1]
            for param, grad, param_state in zip(flat_params, sortedFlatten(grads), states):
                optimfn(lambda _x, grad=grad: (loss, grad), param, param_state)
            return out
        return step, states
    wrapped.__name__ = wrapped.__qualname__ = optimfn.__name__
    wrapped.__doc__ = (f"{optimfn.__name__}(df, state, params) -> (optimfn, states): legonn.optim."
                       f"{optimfn.__name__} on every parameter tensor of ``params`` (see the module docstring).")
    return wrapped


def _closure_optimisers():
    found = {}
    for name in _optim.__all__:
        fn = getattr(_optim, name)
        if inspect.isfunction(fn) and list(inspect.signature(fn).parameters) == ['opfunc', 'x', 'config', 'state']:
            found[name] = _wrap(fn)
    return found


_found = _closure_optimisers()
globals().update(_found)
__all__ = sorted(_found)
