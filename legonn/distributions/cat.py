"""distributions.cat (categorical.lua): sampling categories from a vector of (unnormalised) probabilities.

Categories are 0-based (Torch7's are 1-based): ``cat.rnd(p)`` draws from {0, ..., K - 1}. Draws come from
legonn's generator (``lg.manualSeed``), on ``p``'s device.
"""
import numpy as np

from ..tensor.random import generator
from ..tensor.tensor import Tensor
from .values import floating, is_number, is_tensor

_SAMPLERS = ('iid', 'dichotomy', 'stratified')


def pdf(*args):
    """Not implemented in torch-distributions (categorical.lua raises too)."""
    raise NotImplementedError("distributions.cat.pdf: not implemented (as in torch-distributions)")


def logpdf(*args):
    """Not implemented in torch-distributions (categorical.lua raises too)."""
    raise NotImplementedError("distributions.cat.logpdf: not implemented (as in torch-distributions)")


def _index_result(x, p, categories=None):
    """The tensor the indices go in: a new LongTensor of ``x`` elements, or the tensor ``x`` itself."""
    if is_number(x):
        xp = p.xp
        return Tensor._from_array(xp.zeros(int(x), dtype=np.int64))
    if is_tensor(x):
        if categories is not None:
            # categorical.lua prints the same warning: index() takes no result tensor
            print('WARNING: cannot use result tensors and categories at the same time. Ignoring result tensor.')
        return x
    raise TypeError(f"distributions.cat.rnd: expected a number of samples or a result tensor, got "
                    f"{type(x).__name__}")


def arguments(where, args):
    """``(N or result, p, options)`` of categorical.lua's and mvcat.lua's calls ``([N | result,] p [, options])``:
    a table (dict) second is the options, else the first is the number of samples or the result."""
    if len(args) == 1:
        return 1, args[0], {}
    if len(args) == 2 and isinstance(args[1], dict):
        return 1, args[0], args[1]
    if len(args) == 2:
        return args[0], args[1], {}
    if len(args) == 3:
        return args[0], args[1], args[2] or {}
    raise TypeError(f"distributions.{where}: expected ([N], p, [options]), got {len(args)} arguments")


def rnd(*args):
    """``rnd([N | result,] p [, options])``: N (default 1) category indices drawn with probabilities
    proportional to the vector ``p``, as a LongTensor (or written into the tensor ``result``, which is
    returned). ``options['type']`` is ``'iid'`` (the default), ``'dichotomy'`` (the same law, a binary search)
    or ``'stratified'`` (one uniform per N-th of [0, 1): sorted indices, lower variance);
    ``options['categories']``, a tensor of K rows, makes the result its rows for the drawn indices."""
    n, p, options = arguments('cat.rnd', args)
    if not is_tensor(p):
        raise TypeError(f"distributions.cat.rnd: expected p as a tensor, got {type(p).__name__}")
    if not isinstance(options, dict):
        raise TypeError(f"distributions.cat.rnd: expected options as a table (dict), got {type(options).__name__}")
    categories = options.get('categories')
    I = _index_result(n, p, categories)
    if categories is not None and categories.size(0) != p.numel():
        raise ValueError(f"distributions.cat.rnd: the number of categories ({categories.size(0)}) does not match "
                         f"the length of the probability vector ({p.numel()})")
    xp = p.xp
    cdf = xp.cumsum(floating('cat.rnd', p, 'p').astype(np.float64).reshape(-1))
    total = float(cdf[-1])
    if not total > 0:
        raise ValueError('distributions.cat.rnd: cannot resample with total probability mass 0')
    cdf /= total
    kind = options.get('type') or 'iid'
    if kind not in _SAMPLERS:
        raise ValueError(f"distributions.cat.rnd: unknown categorical sampling type {kind!r} (expected one of "
                         f"{', '.join(_SAMPLERS)})")
    N = I.numel()
    u = generator(p._cuda).uniform(size=N)
    if kind == 'stratified':
        u = (u + xp.arange(N)) / N
    # the first category whose cumulated mass reaches u: what the Lua's walks along the sorted draws find (its
    # 'dichotomy' walk searches the same first index by halving; the draws and the law are the same)
    index = xp.minimum(xp.searchsorted(cdf, u, side='left'), cdf.shape[0] - 1)
    I.array[...] = index.reshape(I.array.shape).astype(I.array.dtype)
    if categories is not None:
        return categories.index(0, Tensor._from_array(index.astype(np.int64)))
    return I
