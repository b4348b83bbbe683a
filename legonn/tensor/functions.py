"""Module-level tensor functions: factories (``zeros``, ``rand``, ``cat`` ...),
zero-copy wrapping (``from_numpy``, ``as_tensor``) and the functional forms
of the methods (``legonn.add(x, y)`` returns a new tensor, ``x.add(y)`` writes
into x).
"""
import numbers

import numpy as np

from . import backend
from .random import generator
from .tensor import TENSOR_CLASSES, Tensor, _parse_sizes, default_class, tensor_class


def _cls(tensortype):
    return default_class() if tensortype is None else tensor_class(tensortype)


def _filled(sizes, tensortype, make):
    cls = _cls(tensortype)
    sizes = _parse_sizes(sizes, 'legonn')
    xp = backend.cupy() if cls._cuda else np
    return cls._from_array(xp.ascontiguousarray(make(xp, sizes).astype(cls._dtype, copy=False)))


def zeros(*sizes, tensortype=None):
    """A new tensor of ``sizes`` filled with 0 (the default type, or ``tensortype``)."""
    return _filled(sizes, tensortype, lambda xp, s: xp.zeros(s))


def ones(*sizes, tensortype=None):
    """A new tensor of ``sizes`` filled with 1 (the default type, or ``tensortype``)."""
    return _filled(sizes, tensortype, lambda xp, s: xp.ones(s))


def rand(*sizes, tensortype=None):
    """Uniform samples in [0, 1) from legonn's seeded generator."""
    return _cls(tensortype)(*_parse_sizes(sizes, 'rand')).uniform()


def randn(*sizes, tensortype=None):
    """Standard normal samples from legonn's seeded generator."""
    return _cls(tensortype)(*_parse_sizes(sizes, 'randn')).normal()


def randperm(n, tensortype='legonn.LongTensor'):
    """A random permutation of 0..n-1 (0-based)."""
    cls = tensor_class(tensortype)
    perm = generator(False).permutation(int(n))
    return cls._from_array(backend.to_module(perm, backend.cupy() if cls._cuda else np).astype(cls._dtype))


def range(start, end, step=1, tensortype=None):
    """Torch7's range: start .. end inclusive, by ``step``."""
    if step == 0:
        raise ValueError('legonn.range: step must be non-zero')
    if (end - start) * step < 0:   # THTensor_(range) refuses it rather than return nothing
        raise ValueError(f"legonn.range: the bounds {start} .. {end} disagree with the sign of step {step}")
    n = int(np.floor((end - start) / step)) + 1
    return _filled((max(n, 0),), tensortype, lambda xp, s: start + step * xp.arange(s[0]))


def arange(start, end=None, step=1, tensortype=None):
    """NumPy's arange: start .. end exclusive."""
    if end is None:
        start, end = 0, start
    n = int(np.ceil((end - start) / step))
    return _filled((max(n, 0),), tensortype, lambda xp, s: start + step * xp.arange(s[0]))


def _check_points(name, start, end, n):
    """THTensor_(linspace)'s rule: at least two points, or one when the ends are equal."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or not (n > 1 or n == 1 and start == end):
        raise ValueError(f"legonn.{name}: {n!r} points from {start} to {end} (expected at least 2, or 1 when the "
                         f"ends are equal)")


def linspace(start, end, n=100, tensortype=None):
    """A 1-D tensor of ``n`` points evenly spaced from ``start`` to ``end``, both included."""
    _check_points('linspace', start, end, n)
    return _filled((n,), tensortype, lambda xp, s: xp.linspace(start, end, s[0]))


def logspace(start, end, n=100, tensortype=None):
    """A 1-D tensor of ``n`` points from 10**start to 10**end, evenly spaced on a log scale."""
    _check_points('logspace', start, end, n)
    return _filled((n,), tensortype, lambda xp, s: xp.logspace(start, end, s[0]))


def eye(n, m=None, tensortype=None):
    """An ``n`` x ``m`` (default ``n`` x ``n``) tensor with ones on the diagonal."""
    return _filled((n, n if m is None else m), tensortype, lambda xp, s: xp.eye(*s))


def from_numpy(array):
    """Wrap a NumPy (or CuPy) array as a tensor of the matching type; no copy, shared memory."""
    if not (isinstance(array, np.ndarray) or backend.is_cupy_array(array)):
        raise TypeError(f"from_numpy: expected a numpy.ndarray or cupy.ndarray, got {type(array).__name__}")
    return Tensor._from_array(array)


def is_tensor(obj):
    """True when ``obj`` is a legonn tensor (of any type)."""
    return isinstance(obj, Tensor)


def as_tensor(obj):
    """A tensor for ``obj``: tensors pass through, arrays are wrapped without copying, numbers and
    lists of numbers become new tensors of the default type."""
    if isinstance(obj, Tensor):
        return obj
    if isinstance(obj, np.ndarray) or backend.is_cupy_array(obj):
        return Tensor._from_array(obj)
    if isinstance(obj, (numbers.Number, list, tuple)):
        return default_class()(np.atleast_1d(np.asarray(obj)))
    raise TypeError(f"expected a legonn.Tensor, numpy.ndarray or cupy.ndarray, got {type(obj).__name__}")


def as_tensor_tree(obj):
    """``as_tensor`` applied through nested lists/tuples and dicts (Lua tables); lists stay lists, dicts dicts."""
    if isinstance(obj, dict):
        return {key: as_tensor_tree(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        if obj and all(isinstance(v, numbers.Number) and not isinstance(v, bool) for v in obj):
            return as_tensor(obj)
        return [as_tensor_tree(v) for v in obj]
    return as_tensor(obj)


def cat(*args, dim=-1):
    """Concatenate along ``dim`` (default: the last dimension, as Torch7): ``cat([x1, x2, ...], dim)`` or
    ``cat(x1, x2, dim)``. Empty tensors are skipped; the result has the first tensor's type and device."""
    if args and isinstance(args[-1], numbers.Integral) and not isinstance(args[-1], bool):
        args, dim = args[:-1], args[-1]
    tensors = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
    if not tensors:
        raise ValueError('legonn.cat: expected at least one tensor')
    tensors = [as_tensor(t) for t in tensors]
    kept = [t for t in tensors if t.nElement() > 0] or tensors[:1]
    first = kept[0]
    d = first._dim_index(dim)
    for t in kept[1:]:
        if t.dim() != first.dim() or any(a != b for k, (a, b) in enumerate(zip(t.size(), first.size())) if k != d):
            raise ValueError(f"legonn.cat: sizes {[tuple(x.size()) for x in kept]} differ outside dimension {d}")
    xp = first.xp
    parts = [backend.to_module(t.array, xp) for t in kept]
    return type(first)._from_result(xp.concatenate(parts, axis=d).astype(first.dtype, copy=False))


def stack(tensors, dim=0):
    """A new tensor joining ``tensors`` (of equal sizes) along a new dimension ``dim``."""
    tensors = [as_tensor(t) for t in tensors]
    xp = tensors[0].xp
    return type(tensors[0])._from_result(xp.stack([t.array for t in tensors], axis=dim))


# Methods with Torch7's "result" form r.f(x, ...): the functional form allocates r.
INTO_RESULT = ('add', 'mul', 'div', 'cmul', 'cdiv', 'cmax', 'cmin', 'cpow', 'pow', 'clamp', 'fmod', 'remainder',
               'addcmul', 'addcdiv', 'lerp', 'addmm', 'addmv', 'addr', 'addbmm', 'baddbmm', 'mm', 'mv', 'bmm', 'ger',
               'abs', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'sign', 'floor', 'ceil',
               'trunc', 'round', 'frac', 'neg', 'cinv', 'square', 'cos', 'sin', 'tan', 'acos', 'asin', 'atan',
               'cosh', 'sinh', 'renorm', 'cross', 'atan2', 'diag', 'tril', 'triu')
# Methods that already return something new: the functional form just calls them.
RETURNS_NEW = ('sum', 'prod', 'mean', 'var', 'std', 'max', 'min', 'norm', 'dist', 'cumsum', 'cumprod', 'median', 'mode',
               'kthvalue', 'trace', 'sort', 'topk', 'gather', 'index', 'indexSelect', 'maskedSelect', 'nonzero',
               'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'dot', 'squeeze', 'unsqueeze', 'transpose', 't', 'permute',
               'view', 'viewAs', 'reshape', 'expand', 'expandAs', 'narrow', 'select', 'unfold', 'clone', 'all', 'any',
               'equal', 'split', 'chunk', 'repeatTensor', 'histc', 'contiguous')


def _first_tensor(args):
    for a in args:
        if isinstance(a, Tensor) or isinstance(a, np.ndarray) or backend.is_cupy_array(a):
            return as_tensor(a)
    raise TypeError('expected at least one tensor argument')


# How many tensors each of them takes besides the result (TensorMath.lua's signatures): one tensor more, given
# first, is the result, as in torch.mm(res, a, b) or torch.tanh(res, x). add, cmax and cmin take one tensor
# when their last argument is a number (torch.add(res, x, 5)), two otherwise.
_OPERANDS = dict.fromkeys(INTO_RESULT, 1)
_OPERANDS.update(dict.fromkeys(('add', 'cmax', 'cmin', 'cmul', 'cdiv', 'cpow', 'lerp', 'mm', 'mv', 'bmm', 'ger',
                                'cross', 'atan2'), 2))
_OPERANDS.update(dict.fromkeys(('addcmul', 'addcdiv', 'addmm', 'addmv', 'addr', 'addbmm', 'baddbmm'), 3))


def _is_operand(a):
    return isinstance(a, (Tensor, np.ndarray)) or backend.is_cupy_array(a)


def _result_given(name, args):
    """True when ``args`` is Torch7's ``torch.name(res, ...)``: a tensor first, and one tensor more than
    ``name`` takes."""
    operands = _OPERANDS[name]
    if name in ('add', 'cmax', 'cmin') and args and isinstance(args[-1], numbers.Number):
        operands = 1
    return bool(args) and isinstance(args[0], Tensor) and sum(map(_is_operand, args)) == operands + 1


# Torch7's number forms (TensorMath.lua wraps these with real arguments): torch.floor(n / b), torch.exp(perp)
# take and return numbers, computed in the default type's precision; the value is how many leading numbers
# stand where the tensor form takes tensors.
NUMBER_FORMS = dict.fromkeys(('log', 'log1p', 'exp', 'cos', 'acos', 'cosh', 'sin', 'asin', 'sinh', 'tan', 'atan',
                              'tanh', 'sqrt', 'round', 'ceil', 'floor', 'trunc', 'abs', 'frac', 'rsqrt', 'sigmoid',
                              'pow'), 1)
NUMBER_FORMS.update(lerp=2, atan2=2)
# whole-valued results are Python ints, as math.floor's are, so they serve as sizes, indices and range() bounds
WHOLE_RESULTS = ('round', 'ceil', 'floor', 'trunc')


def _is_real(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _number_form(name, args):
    """``legonn.floor(7.5)``: the number Torch7's ``torch.floor(7.5)`` returns, from a one-element tensor of
    the default type (so rounding is half away from zero, and float32 precision under the float default)."""
    cls = default_class()
    n = NUMBER_FORMS[name]
    operands = [cls([a]) for a in args[:n]] + list(args[n:])
    value = getattr(cls(), name)(*operands)[0]
    if name in WHOLE_RESULTS and np.isfinite(value):
        return int(value)
    return value


def _into_result(name):
    def fn(*args):
        if name in NUMBER_FORMS and args and all(_is_real(a) for a in args):
            return _number_form(name, args)
        if _result_given(name, args):
            return getattr(args[0], name)(*args[1:])
        res = type(_first_tensor(args))()
        return getattr(res, name)(*args)
    fn.__name__ = name
    fn.__doc__ = (f"``legonn.{name}(...)``: a new tensor holding ``r.{name}(...)``; ``legonn.{name}(res, ...)`` "
                  f"writes into ``res`` and returns it, as Torch7's ``torch.{name}([res,] ...)``.")
    if name in NUMBER_FORMS:
        fn.__doc__ += " Given only numbers, the number Torch7's ``torch.{name}`` returns for them."
    return fn


def _returns_new(name):
    def fn(x, *args, **kwargs):
        return getattr(as_tensor(x), name)(*args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = f"``legonn.{name}(x, ...)`` is ``x.{name}(...)``."
    return fn


FUNCTIONAL = {name: _into_result(name) for name in INTO_RESULT}
FUNCTIONAL.update({name: _returns_new(name) for name in RETURNS_NEW})

__all__ = ['zeros', 'ones', 'rand', 'randn', 'randperm', 'range', 'arange', 'linspace', 'logspace', 'eye',
           'from_numpy', 'is_tensor', 'as_tensor', 'as_tensor_tree', 'cat', 'stack', 'TENSOR_CLASSES']
