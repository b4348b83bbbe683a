"""How torch-distributions' functions take their arguments and give their results in legonn: a tensor argument is
worked on as its array (NumPy or CuPy, its own dtype), numbers and Lua-style lists become arrays of the default
tensor type (``torch.Tensor{...}`` in the Lua), and an array result comes back as a tensor of the input's type."""
import numbers

import numpy as np

from ..tensor import backend
from ..tensor.functions import is_tensor   # also distributions._isTensor (init.lua tests a "Tensor" suffix)
from ..tensor.tensor import Tensor, default_class


def is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def tensor_of(where, v, what):
    """``torch.Tensor(v)`` as the Lua's functions call it: a tensor is kept (the same storage), a number or a
    (nested) list of numbers becomes a new tensor of the default type. Anything else is a TypeError naming
    ``where`` and ``what`` the argument is."""
    if is_tensor(v):
        return v
    if is_number(v):
        return default_class()(np.asarray([v], dtype=np.float64))
    if isinstance(v, (list, tuple)):
        return default_class()(np.asarray(v, dtype=np.float64))
    raise TypeError(f"distributions.{where}: expected {what} as a tensor, a number or a list of numbers, "
                    f"got {type(v).__name__}")


def floating(where, t, what):
    """The array of tensor ``t``, which must be of a floating type (Float, Double; Cuda ones too)."""
    if t.array.dtype.kind != 'f':
        raise TypeError(f"distributions.{where}: expected {what} as a floating-point tensor, got {t.type()}")
    return t.array


def module_of(*values):
    """The array module (NumPy or CuPy) of the tensors among ``values``; NumPy when there are none. Tensors on
    both devices are an error, as Torch7 refuses to mix CUDA and CPU tensors."""
    cuda = {v._cuda for v in values if is_tensor(v)}
    if len(cuda) > 1:
        raise TypeError("distributions: tensors on the CPU and on the GPU mixed in one call")
    return backend.cupy() if cuda == {True} else np


def result(arr, like):
    """``arr`` as a new contiguous tensor of ``like``'s type (a tensor or a tensor class)."""
    t = Tensor._from_result(arr)
    typename = like.type() if is_tensor(like) else like().type()
    return t if t.type() == typename else t.type(typename)


def elementwise(where, names):
    """Decorate ``fn(xp, *arrays)``, a formula of torch-distributions on float64 arrays, as the function
    ``distributions.<where>`` of the arguments ``names``: numbers give a number, as the Lua's (which compute on
    Lua numbers); tensors (any mix with numbers, of sizes that broadcast, a size-1 one expanding as
    poisson.lua's ``vectorise1param`` expands it) give a new tensor of the first floating tensor's type,
    computed in float64 on the tensors' device."""
    def decorate(fn):
        def wrapper(*args):
            if len(args) != len(names):
                raise TypeError(f"distributions.{where}: expected ({', '.join(names)}), got {len(args)} "
                                f"argument{'s' * (len(args) != 1)}")
            for name, a in zip(names, args):
                if not (is_tensor(a) or is_number(a)):
                    raise TypeError(f"distributions.{where}: expected {name} as a number or a tensor, got "
                                    f"{type(a).__name__}")
            tensors = [a for a in args if is_tensor(a)]
            xp = module_of(*tensors)
            arrays = [a.array.astype(np.float64) if is_tensor(a) else np.float64(a) for a in args]
            if not tensors:
                with np.errstate(all='ignore'):   # Lua's numbers: 0^-0.5 is inf, log(0) -inf, no error
                    return float(fn(np, *arrays))
            try:
                shape = np.broadcast_shapes(*(a.shape for a in arrays))
            except ValueError:
                raise ValueError(f"distributions.{where}: the sizes of " + ', '.join(
                    f"{n} {tuple(a.shape)}" for n, a in zip(names, arrays)) + " do not match") from None
            like = next((t for t in tensors if t.array.dtype.kind == 'f'), default_class())
            with np.errstate(all='ignore'):
                out = fn(xp, *arrays)
            return result(xp.broadcast_to(xp.asarray(out, dtype=np.float64), shape), like)
        wrapper.__name__ = where.rsplit('.', 1)[-1]
        wrapper.__qualname__ = where
        wrapper.__doc__ = fn.__doc__
        return wrapper
    return decorate
