"""Module-level tensor functions: factories (``zeros``, ``rand``, ``cat`` ...),
zero-copy wrapping (``from_numpy``, ``as_tensor``) and the functional forms
of the methods (``legonn.add(x, y)`` returns a new tensor, ``x.add(y)`` writes
into x).
"""
import functools
import numbers
import re

import numpy as np

from . import backend
from .indexing import lua_number
from .pointwise import UNARY, is_operand
from .random import generator, with_generator
from .tensor import TENSOR_CLASSES, Tensor, _parse_sizes, default_class, tensor_class


def _cls(tensortype):
    return default_class() if tensortype is None else tensor_class(tensortype)


def _filled(sizes, tensortype, make):
    cls = _cls(tensortype)
    sizes = _parse_sizes(sizes, 'legonn')
    xp = backend.cupy() if cls._cuda else np
    return cls._from_array(xp.ascontiguousarray(make(xp, sizes).astype(cls._dtype, copy=False)))


def _given_result(args, tensortype):
    """Torch7's factory forms: ``torch.zeros(r, ...)`` gives (r, the other arguments, r's type) when the first
    argument is a tensor; ``torch.zeros(n, m, 'torch.CudaTensor')`` gives (None, the sizes, that type): a type
    name as the last argument picks the type, as TensorMath.lua's dispatch does when no tensor comes first
    (gtsrb.torch's trainer.lua builds its CUDA batches so); else (None, args, tensortype)."""
    if args and isinstance(args[0], Tensor):
        return args[0], args[1:], args[0].type()
    if args and isinstance(args[-1], str):
        tensor_class(args[-1])      # an unknown name: the TypeError listing the known types
        return None, args[:-1], args[-1]
    return None, args, tensortype


def _written(result, made, keep_shape=False):
    """``made`` copied into the result tensor, when one was given: resized to ``made``'s sizes, or only when its
    element count differs with ``keep_shape`` (THTensor_(range)/(linspace) keep a view of as many elements)."""
    if result is None:
        return made
    if not (keep_shape and result.nElement() == made.nElement()):
        result.resize(tuple(made.size()))
    return result.copy(made)


def zeros(*sizes, tensortype=None):
    """A new tensor of ``sizes`` filled with 0 (the default type, or ``tensortype``); ``zeros(r, sizes)``
    resizes and fills ``r`` (Torch7's result form)."""
    result, sizes, tensortype = _given_result(sizes, tensortype)
    return _written(result, _filled(sizes, tensortype, lambda xp, s: xp.zeros(s)))


def ones(*sizes, tensortype=None):
    """A new tensor of ``sizes`` filled with 1 (the default type, or ``tensortype``); ``ones(r, sizes)``
    resizes and fills ``r``."""
    result, sizes, tensortype = _given_result(sizes, tensortype)
    return _written(result, _filled(sizes, tensortype, lambda xp, s: xp.ones(s)))


@with_generator
def rand(*sizes, tensortype=None):
    """Uniform samples in [0, 1) from legonn's seeded generator; ``rand(r, sizes)`` resizes and fills ``r``;
    ``rand([r,] gen, sizes)`` draws from the ``legonn.Generator`` gen."""
    result, sizes, tensortype = _given_result(sizes, tensortype)
    if result is not None:
        return result.resize(*_parse_sizes(sizes, 'rand')).uniform()
    return _cls(tensortype)(*_parse_sizes(sizes, 'rand')).uniform()


@with_generator
def randn(*sizes, tensortype=None):
    """Standard normal samples from legonn's seeded generator; ``randn(r, sizes)`` resizes and fills ``r``;
    ``randn([r,] gen, sizes)`` draws from the ``legonn.Generator`` gen."""
    result, sizes, tensortype = _given_result(sizes, tensortype)
    if result is not None:
        return result.resize(*_parse_sizes(sizes, 'randn')).normal()
    return _cls(tensortype)(*_parse_sizes(sizes, 'randn')).normal()


@with_generator
def randperm(*args, tensortype='legonn.LongTensor'):
    """``randperm(n)``: a random permutation of 0..n-1 (0-based); ``randperm(r, n)`` writes it into ``r``;
    ``randperm([r,] gen, n)`` draws from the ``legonn.Generator`` gen."""
    result, args, tensortype = _given_result(args, tensortype)
    if len(args) != 1:
        raise TypeError(f"legonn.randperm: expected ([result,] n), got {len(args)} arguments besides the result")
    n = int(args[0])   # TensorMath.lua reads n as a C long: 2.5 is 2
    if n < 1:   # THTensor_(randperm)'s check
        raise ValueError(f"legonn.randperm: n must be strictly positive, got {args[0]!r}")
    cls = tensor_class(tensortype)
    perm = generator(False).permutation(n)
    return _written(result, cls._from_array(
        backend.to_module(perm, backend.cupy() if cls._cuda else np).astype(cls._dtype)))


def range(*args, tensortype=None):
    """Torch7's range: ``range([r,] start, end [, step])``, start .. end inclusive, by ``step``; a given ``r``
    keeps its shape when it holds as many elements (THTensor_(range))."""
    result, args, tensortype = _given_result(args, tensortype)
    return _written(result, _range(*args, tensortype=tensortype), keep_shape=True)


def _range(start, end, step=1, tensortype=None):
    if np.dtype(_cls(tensortype)._dtype).kind in 'iu':
        # TensorMath.lua reads an integer tensor's bounds and step as its accreal, a C long: 4.9 is 4, 0.5 is 0
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise ValueError('legonn.range: step must be non-zero')
    if (end - start) * step < 0:   # THTensor_(range) refuses it rather than return nothing
        raise ValueError(f"legonn.range: the bounds {start} .. {end} disagree with the sign of step {step}")
    # THTensor_(range)'s (ptrdiff_t)((xmax - xmin) / step + 1) (torch7 lib/TH/generic/THTensorMath.c:2027): the 1
    # is added before the cast, so a quotient just below a whole number may round up to count that point
    # (0.1 .. 0.3 by 0.1 has three); integer bounds divide as C longs (truncated, the quotient being >= 0)
    n = (end - start) // step + 1 if isinstance(end - start, int) and isinstance(step, int) \
        else int((end - start) / step + 1)
    return _filled((n,), tensortype, lambda xp, s: start + step * xp.arange(s[0]))


def arange(start, end=None, step=1, tensortype=None):
    """NumPy's arange: start .. end exclusive."""
    if end is None:
        start, end = 0, start
    n = int(np.ceil((end - start) / step))
    return _filled((max(n, 0),), tensortype, lambda xp, s: start + step * xp.arange(s[0]))


def _check_points(name, start, end, n):
    """THTensor_(linspace)'s rule: at least two points, or one when the ends are equal; ``n`` as an int (a
    whole-number float is one)."""
    n = lua_number(n)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or not (n > 1 or n == 1 and start == end):
        raise ValueError(f"legonn.{name}: {n!r} points from {start} to {end} (expected at least 2, or 1 when the "
                         f"ends are equal)")
    return n


def linspace(*args, tensortype=None):
    """``linspace([r,] start, end, n=100)``: a 1-D tensor of ``n`` points evenly spaced from ``start`` to ``end``,
    both included (written into ``r`` when given, as ``range``)."""
    result, args, tensortype = _given_result(args, tensortype)
    return _written(result, _spaced('linspace', *args, tensortype=tensortype), keep_shape=True)


def logspace(*args, tensortype=None):
    """``logspace([r,] start, end, n=100)``: ``n`` points from 10**start to 10**end, evenly spaced on a log
    scale (written into ``r`` when given, as ``range``)."""
    result, args, tensortype = _given_result(args, tensortype)
    return _written(result, _spaced('logspace', *args, tensortype=tensortype), keep_shape=True)


def _spaced(name, start, end, n=100, tensortype=None):
    """THTensor_(linspace)/(logspace): a + i * (b - a) / (n - 1) (and 10 to that power) in the tensor's own
    floating precision, in that order of operations; NumPy's linspace rounds differently (about one point in
    ten of a double linspace, half of a float logspace, differed in the last bit)."""
    n = _check_points(name, start, end, n)
    dtype = np.dtype(_cls(tensortype)._dtype)
    real = dtype.type if dtype.kind == 'f' and dtype.itemsize >= 4 else np.float64

    def make(xp, sizes):
        a, b = real(start), real(end)
        if n == 1:
            points = xp.full(1, a, dtype=real)
        else:
            points = a + xp.arange(n, dtype=real) * (b - a) / real(n - 1)
        return xp.power(real(10), points) if name == 'logspace' else points
    return _filled((n,), tensortype, make)


def eye(*args, tensortype=None):
    """``eye([r,] n, m=n)``: an ``n`` x ``m`` tensor with ones on the diagonal (written into ``r`` when given); an
    ``m`` of 0 or less is ``n``, and ``n`` must be positive, as THTensor_(eye)."""
    result, args, tensortype = _given_result(args, tensortype)
    if not 1 <= len(args) <= 2:
        raise TypeError(f"legonn.eye: expected ([result,] n [, m]), got {len(args)} arguments besides the result")
    n, m = args[0], (args[0] if args[-1] is None else args[-1])
    if not n > 0:
        raise ValueError(f"legonn.eye: expected a size n > 0, got {n!r}")
    if m <= 0:   # THTensor_(eye): a non-positive m means a square n x n
        m = n
    return _written(result, _filled((n, m), tensortype, lambda xp, s: xp.eye(*s)))


def from_numpy(array):
    """Wrap a NumPy (or CuPy) array as a tensor of the matching type; no copy, shared memory."""
    if not (isinstance(array, np.ndarray) or backend.is_cupy_array(array)):
        raise TypeError(f"from_numpy: expected a numpy.ndarray or cupy.ndarray, got {type(array).__name__}")
    return Tensor._from_array(array)


def is_tensor(obj):
    """True when ``obj`` is a legonn tensor (of any type)."""
    return isinstance(obj, Tensor)


def is_tensor_like(obj):
    """True for a legonn tensor or a NumPy/CuPy array: what ``as_tensor`` takes without copying (Lua's
    ``torch.isTensor`` for ported code that is handed arrays)."""
    return isinstance(obj, (Tensor, np.ndarray)) or backend.is_cupy_array(obj)


def tensor_argument(where, what, obj):
    """``obj`` as a tensor (an array wrapped without copying), or a TypeError naming the function ``where`` and
    its argument ``what``."""
    if not is_tensor_like(obj):
        raise TypeError(f"{where}: expected {what} as a legonn.Tensor, numpy.ndarray or cupy.ndarray, "
                        f"got {type(obj).__name__}")
    return as_tensor(obj)


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
        # a table of tensors or arrays (every forward's and backward's table input) is told apart from one of
        # numbers by its first entry, before the scan of the entries (a generator and ABC checks)
        if obj and not isinstance(obj[0], (Tensor, np.ndarray)) and \
                all(isinstance(v, numbers.Number) and not isinstance(v, bool) for v in obj):
            return as_tensor(obj)
        return [as_tensor_tree(v) for v in obj]
    return as_tensor(obj)


def cat(*args, dim=-1):
    """Concatenate along ``dim``: ``cat([x1, x2, ...], dim)`` or ``cat(x1, x2, dim)``, and Torch7's result forms
    ``cat(r, x1, x2, dim)`` and ``cat(r, [x1, ...], dim)`` that write into ``r``. As THTensor_(catArray): the
    default ``dim`` is the last dimension of the input with the most dimensions, a ``dim`` past an input's last
    dimension sees it with trailing dimensions of size 1 (two vectors of n along dim 1 make an n x 2 matrix),
    and empty tensors are skipped. The result has the first tensor's type and device."""
    args = list(args)
    if args and isinstance(args[-1], numbers.Integral) and not isinstance(args[-1], bool):
        dim = args.pop()
    result = None
    if len(args) >= 2 and isinstance(args[0], Tensor) and (isinstance(args[1], (list, tuple)) or len(args) == 3):
        result = args.pop(0)
    tensors = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
    if not tensors:
        raise ValueError('legonn.cat: expected at least one tensor')
    tensors = [as_tensor(t) for t in tensors]
    kept = [t for t in tensors if t.nElement() > 0]
    if not kept:
        return _written(result, type(tensors[0])())
    first = kept[0]
    n_dims = max(t.dim() for t in kept)
    d = dim if dim >= 0 else n_dims + dim
    if d < 0:
        raise IndexError(f"legonn.cat: dimension {dim} out of range for {n_dims}-D inputs")
    n_dims = max(n_dims, d + 1)
    xp = first.xp
    parts = [backend.to_module(t.array, xp) for t in kept]
    parts = [p.reshape(p.shape + (1,) * (n_dims - p.ndim)) for p in parts]
    if any(p.shape[:d] + p.shape[d + 1:] != parts[0].shape[:d] + parts[0].shape[d + 1:] for p in parts):
        raise ValueError(f"legonn.cat: sizes {[tuple(x.size()) for x in kept]} differ outside dimension {d}")
    return _written(result, type(first)._from_result(xp.concatenate(parts, axis=d).astype(first.dtype, copy=False)))


def concat(*args):
    """torchx's ``torch.concat([res], tensors, [dim])`` (concat.lua): the list ``tensors`` joined along ``dim``
    (default 0, where ``cat``'s default is the last dimension), written into ``res`` when it is given.
    Kaixhin/Atari's CircularQueue reads its ``histLen`` frames ``c x h x w`` as one ``histLen*c x h x w`` state
    so. Every size but ``dim``'s must agree, as torchx checks; the result has the first tensor's type."""
    args = list(args)
    result = args.pop(0) if args and isinstance(args[0], Tensor) else None
    if not args or not isinstance(args[0], (list, tuple)) or len(args) > 2:
        raise TypeError(f"legonn.concat: expected ([res,] tensors, [dim]) with tensors a list, got "
                        f"{[type(a).__name__ for a in args]}")
    tensors, dim = list(args[0]), (args[1] if len(args) == 2 and args[1] is not None else 0)
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"legonn.concat: expected a list of tensors, got {[type(t).__name__ for t in tensors]}")
    sizes = [list(t.size()) for t in tensors]
    if not 0 <= dim < len(sizes[0]):
        raise IndexError(f"legonn.concat: dimension {dim} out of range for {len(sizes[0])}-D tensors")
    for i, size in enumerate(sizes):
        if len(size) != len(sizes[0]) or size[:dim] + size[dim + 1:] != sizes[0][:dim] + sizes[0][dim + 1:]:
            raise ValueError(f"legonn.concat: tensor {i} of size {tuple(size)} differs from tensor 0's "
                             f"{tuple(sizes[0])} outside dimension {dim}")
    joined = cat(tensors, dim)
    return _written(result, joined)



def find(tensor, val, dim=None):
    """torchx's ``torch.find(tensor, val, [dim])`` (find.lua): a list of the 0-based positions, in the order
    ``apply`` visits them (row-major), of the entries equal to ``val``; torchx's are 1-based. With ``dim`` 1 (the
    Lua's 2) on a matrix, one such list per row, of the positions within the row. openface's train.lua draws a
    negative from ``torch.find(in_margin, 1)`` so."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"legonn.find: expected a tensor, got {type(tensor).__name__}")
    hits = backend.to_module(tensor.array, np) == val      # a CUDA tensor's positions come to the host
    if dim is None:
        return [int(i) for i in np.flatnonzero(hits)]
    if tensor.dim() != 2 or dim != 1:
        raise ValueError(f"legonn.find: dim must be 1 (the rows of a matrix), as torchx's; got dim {dim} of a "
                         f"{tensor.dim()}-D tensor")
    return [[int(i) for i in np.flatnonzero(row)] for row in hits]


def stack(tensors, dim=0):
    """A new tensor joining ``tensors`` (of equal sizes) along a new dimension ``dim``."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors or any(tuple(t.size()) != tuple(tensors[0].size()) for t in tensors):
        raise ValueError(f"legonn.stack: expected one or more tensors of equal sizes, got sizes "
                         f"{[tuple(t.size()) for t in tensors]}")
    if not -tensors[0].dim() - 1 <= dim <= tensors[0].dim():
        raise IndexError(f"legonn.stack: dimension {dim} out of range for a result of {tensors[0].dim() + 1} "
                         f"dimensions")
    xp = tensors[0].xp
    return type(tensors[0])._from_result(xp.stack([t.array for t in tensors], axis=dim))


# Torch7's functional forms take optional result tensors first (TensorMath.lua's first argument
# ``{name=Tensor, default=true, returned=true}``): ``torch.add(r, a, b)`` is ``r:add(a, b)`` and
# ``torch.max(values, indices, x, d)`` fills both. What follows the results has a fixed shape per function,
# written here as a pattern over the arguments' kinds: T a tensor or array, n a number, b a boolean, L a list.
# A call whose arguments match the pattern allocates its result; one that matches it after one leading tensor
# (two for the (values, indices) functions) writes into those tensors, as in Torch7.
_UNARY = ('abs', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'sign', 'floor', 'ceil',
          'trunc', 'round', 'frac', 'neg', 'cinv', 'square', 'cos', 'sin', 'tan', 'acos', 'asin', 'atan', 'cosh',
          'sinh')
# Methods with Torch7's "result" form r.f(x, ...): the functional form allocates r, or is given it.
INTO_RESULT = dict.fromkeys(_UNARY, 'T')
INTO_RESULT.update({
    'add': 'T(n|T|nT)', 'csub': 'T(n|T|nT)', 'mul': 'Tn', 'div': 'Tn', 'fmod': 'Tn', 'remainder': 'Tn', 'clamp': 'Tnn',
    'cmul': 'TT', 'cdiv': 'TT', 'cpow': 'TT', 'atan2': 'TT', 'cmax': 'T[Tn]', 'cmin': 'T[Tn]', 'pow': 'Tn|nT',
    'addcmul': 'Tn?TT', 'addcdiv': 'Tn?TT', 'lerp': 'TTn', 'addmm': 'n?Tn?TT', 'addmv': 'n?Tn?TT',
    'addr': 'n?Tn?TT', 'addbmm': 'n?Tn?TT', 'baddbmm': 'n?Tn?TT', 'mm': 'TT', 'mv': 'TT', 'bmm': 'TT', 'ger': 'TT',
    'renorm': 'Tnnn', 'cross': 'TTn?', 'diag': 'Tn?', 'tril': 'Tn?', 'triu': 'Tn?', 'mod': 'Tn', 'cfmod': 'TT',
    'cmod': 'TT', 'cremainder': 'TT', 'lshift': 'Tn', 'rshift': 'Tn', 'bitand': 'Tn', 'bitor': 'Tn', 'bitxor': 'Tn',
    'clshift': 'TT', 'crshift': 'TT', 'cbitand': 'TT', 'cbitor': 'TT', 'cbitxor': 'TT', 'match': 'TTn?',
    # torch.fill(x, v) and torch.zero(x) fill x (TensorMath.lua wraps them for torch.*)
    'fill': 'n', 'zero': ''})
# The element-wise ones among them: their result takes the sizes of their first argument, when that is a tensor
# (``r.add(x, y)`` resizes r like x), so a new result is allocated at those sizes at once.
_SHAPED_AS_FIRST = frozenset(_UNARY + ('add', 'csub', 'mul', 'div', 'fmod', 'remainder', 'clamp', 'cmul', 'cdiv',
                                       'cpow', 'atan2', 'cmax', 'cmin', 'pow', 'addcmul', 'addcdiv', 'lerp'))
# The two commonest calls, legonn.add(x, y) and legonn.cmul(x, y), with tensors of one type and sizes: for any
# element type their method comes down to this NumPy/CuPy ufunc into the result, so it is called at once.
_ONE_UFUNC = {'add': 'add', 'cmul': 'multiply'}
# Methods that return something new: the functional form calls them, then copies into given result tensors.
# (pattern, number of result tensors); None: Torch7 has no result form.
RETURNS_NEW = {
    'sum': ('Tn', 1), 'prod': ('Tn', 1), 'mean': ('Tn', 1), 'var': ('Tnb?', 1), 'std': ('Tnb?', 1),
    'norm': ('Tnn', 1), 'cumsum': ('Tn?', 1), 'cumprod': ('Tn?', 1), 'histc': ('Tn?n?n?', 1),
    'bhistc': ('Tn?n?n?', 1),
    'max': ('Tn', 2), 'min': ('Tn', 2), 'median': ('Tn?', 2), 'mode': ('Tn?', 2), 'kthvalue': ('Tnn?', 2),
    'sort': ('Tn?b?', 2), 'topk': ('Tn?n?b?b?', 2), 'gather': ('TnT', 1), 'index': ('TnT', 1),
    'indexSelect': ('TnT', 1), 'maskedSelect': ('TT', 1), 'nonzero': ('T', 1), 'reshape': ('Tn+', 1),
    'eq': ('T[Tn]', 1), 'ne': ('T[Tn]', 1), 'gt': ('T[Tn]', 1), 'lt': ('T[Tn]', 1), 'ge': ('T[Tn]', 1),
    'le': ('T[Tn]', 1)}
RETURNS_NEW.update(dict.fromkeys(
    ('dist', 'trace', 'dot', 'squeeze', 'unsqueeze', 'transpose', 't', 'permute', 'view', 'viewAs', 'expand',
     'expandAs', 'narrow', 'select', 'unfold', 'clone', 'all', 'any', 'equal', 'split', 'chunk', 'repeatTensor',
     'contiguous', 'numel', 'scatter'), None))


def _kind(a):
    """One argument's letter in the patterns above."""
    if isinstance(a, Tensor) or is_operand(a):   # a tensor, the common case, without is_operand's tests
        return 'T'
    if isinstance(a, bool):
        return 'b'
    if isinstance(a, numbers.Number):
        return 'n'
    return 'L' if isinstance(a, (list, tuple)) else '?'


def argument_kinds(args):
    """The kinds of ``args`` as a string matched against the patterns above."""
    return ''.join([_kind(a) for a in args])


def _n_results(pattern, n_results, args):
    """How many leading arguments of a call ``args`` of a function of ``pattern`` are Torch7 result tensors: 0,
    ``n_results``, or 1 for the values alone of a two-result reduction."""
    return _n_results_of_kinds(pattern, n_results, argument_kinds(args))


@functools.lru_cache(maxsize=4096)
def _fits(pattern, kinds):
    """Whether arguments of ``kinds`` are a call of ``pattern``. Cached, since a program calls each function with
    a few kinds of arguments over and over, and the regular expression costs more than the rest of a small
    tensor's call."""
    return re.fullmatch(f'(?:{pattern})', kinds) is not None


@functools.lru_cache(maxsize=4096)
def _n_results_of_kinds(pattern, n_results, kinds):
    """``_n_results`` for arguments of ``kinds`` (cached as ``_fits``)."""
    if _fits(pattern, kinds):
        return 0
    if kinds.startswith('T' * n_results) and _fits(pattern, kinds[n_results:]):
        return n_results
    # TensorMath.lua:632-742 default the indices result of max, min, sort, ...: ``values:min(x, 2)``
    if n_results == 2 and kinds.startswith('T') and _fits(pattern, kinds[1:]):
        return 1
    return 0   # let the method report the bad arguments


def _first_tensor(args):
    for a in args:
        if is_operand(a):
            return as_tensor(a)
    raise TypeError('expected at least one tensor argument')


# TensorMath.lua's number variants: torch.floor(2.5), torch.pow(2, 10), torch.lerp(a, b, w) of numbers return
# a number, computed in the default type's precision (the C function on its ``real``).
_NUMBER_FORMS = dict.fromkeys(('log', 'log1p', 'exp', 'cos', 'acos', 'cosh', 'sin', 'asin', 'sinh', 'tan', 'atan',
                               'tanh', 'sqrt', 'round', 'ceil', 'floor', 'trunc', 'abs', 'frac', 'rsqrt',
                               'sigmoid'), 1)
_NUMBER_FORMS.update(atan2=2, pow=2, lerp=3)
# whole-valued results are Python ints, as math.floor's are, so they serve as sizes, indices and range() bounds
_WHOLE_RESULTS = ('round', 'ceil', 'floor', 'trunc')


def _number_form(name, args):
    """``legonn.name(*args)`` of plain numbers, as a Python float (an int for the whole-valued results)."""
    if len(args) != _NUMBER_FORMS[name]:
        raise TypeError(f"legonn.{name}: expected {_NUMBER_FORMS[name]} numbers, got {len(args)} arguments")
    a = [np.asarray(v, dtype=default_class()._dtype) for v in args]
    if name == 'lerp':
        return (a[0] + a[2] * (a[1] - a[0])).item()
    if name in ('atan2', 'pow'):
        return getattr(np, 'arctan2' if name == 'atan2' else 'power')(*a).item()
    out = np.empty_like(a[0])
    UNARY[name](np, a[0], out)
    value = out.item()
    if name in _WHOLE_RESULTS and np.isfinite(value):
        return int(value)
    return value


def _into_result(name, pattern):
    ufunc = _ONE_UFUNC.get(name)

    def fn(*args):
        if ufunc is not None and len(args) == 2:
            x, y = args
            if type(x) is type(y) and isinstance(x, Tensor) and x._size == y._size:
                res = type(x)._empty(x._size)
                getattr(res.xp, ufunc)(x.array, y.array, out=res.array, casting='unsafe')
                return res
        kinds = argument_kinds(args)
        if name in _NUMBER_FORMS and args and set(kinds) == {'n'}:
            return _number_form(name, args)
        if _n_results_of_kinds(pattern, 1, kinds):
            return getattr(as_tensor(args[0]), name)(*args[1:])
        first = args[0] if args else None
        if name in _SHAPED_AS_FIRST and isinstance(first, Tensor) and _fits(pattern, kinds):
            # (arguments that fit no form go to an empty result, whose method reports them as before)
            res = type(first)._empty(first._size)
        else:
            res = type(_first_tensor(args))()
        return getattr(res, name)(*args)
    fn.__name__ = name
    fn.__doc__ = (f"``legonn.{name}(...)``: a new tensor holding ``r.{name}(...)``; ``legonn.{name}(r, ...)`` "
                  f"writes into ``r`` (Torch7's result form) and returns it.")
    return fn


def _copied_into(result, value, name):
    """Torch7's result tensor: resized to ``value``'s sizes and holding its values. It must be of ``value``'s type,
    as cwrap picks a function by the types of all its tensors (a FloatTensor result for a DoubleTensor sum is
    Torch7's "invalid arguments")."""
    result = as_tensor(result)
    if type(result) is not type(value):
        # name what the function computes: for an indices result (topk, max, min, sort) that is a LongTensor,
        # not x's type (BSO's `torch.LongTensor():cuda()` indices for topk read "where the result is")
        raise TypeError(f"legonn.{name}: the result and what it computes must be of one type: a "
                        f"{result._typename} result given where legonn.{name} computes a {value._typename}")
    return result.resize(tuple(value.size())).copy(value)


# TensorMath.lua wraps each comparison twice: into a ByteTensor (ltValue, ltTensor) and into a tensor of the
# operands' type (ltValueT, ltTensorT): torch.gt(r, x, 0) with a DoubleTensor r fills r with 0s and 1s, as the
# method form r.gt(x, 0) does.
_COMPARISONS = ('eq', 'ne', 'gt', 'lt', 'ge', 'le')


def _returns_new(name, signature):
    def fn(*args, **kwargs):
        n = 0 if signature is None else _n_results(signature[0], signature[1], args)
        if n == 1 and name in _COMPARISONS:
            return getattr(as_tensor(args[0]), name)(*args[1:], **kwargs)
        out = getattr(as_tensor(args[n]), name)(*args[n + 1:], **kwargs)
        if n == 0:
            return out
        if not isinstance(out, (Tensor, tuple)):
            raise TypeError(f"legonn.{name}: result tensors were given but the call returns a number")
        if n == 1 and isinstance(out, tuple):   # values given, indices defaulted: both returned, as cwrap's
            return (_copied_into(args[0], out[0], name),) + out[1:]
        if n == 1:
            return _copied_into(args[0], out, name)
        return tuple(_copied_into(r, v, name) for r, v in zip(args[:n], out))
    fn.__name__ = name
    fn.__doc__ = (f"``legonn.{name}(x, ...)`` is ``x.{name}(...)``" +
                  ("" if signature is None else
                   f"; Torch7's result form ``legonn.{name}({', '.join(['r'] * signature[1])}, x, ...)`` "
                   f"copies the answer into the leading result tensor(s) and returns them") + ".")
    return fn


def _into_list(name):
    def fn(*args):
        if args and isinstance(args[0], list):   # Tensor.lua's torch.split(result, x, n, d): the list is refilled
            result, pieces = args[0], getattr(as_tensor(args[1]), name)(*args[2:])
            result[:] = pieces
            return result
        return getattr(as_tensor(args[0]), name)(*args[1:])
    fn.__name__ = name
    fn.__doc__ = (f"``legonn.{name}(x, ...)`` is ``x.{name}(...)``; ``legonn.{name}(lst, x, ...)`` puts the "
                  f"pieces in the list ``lst`` (emptied first) and returns it, as Tensor.lua's.")
    return fn


def totable(obj):
    """Torch7's ``torch.totable``: a tensor's or storage's values as (nested) Python lists."""
    return obj.tolist()


FUNCTIONAL = {name: _into_result(name, pattern) for name, pattern in INTO_RESULT.items()}
FUNCTIONAL.update({name: _returns_new(name, signature) for name, signature in RETURNS_NEW.items()})
FUNCTIONAL.update(split=_into_list('split'), chunk=_into_list('chunk'), totable=totable)

__all__ = ['zeros', 'ones', 'rand', 'randn', 'randperm', 'range', 'arange', 'linspace', 'logspace', 'eye',
           'from_numpy', 'is_tensor', 'as_tensor', 'as_tensor_tree', 'cat', 'stack', 'TENSOR_CLASSES']
