"""Gradients of legonn's functions that reshape, copy, join or retype a tensor (gradfuns.lua's ``view``,
``viewAs``, ``expand``, ``expandAs``, ``reshape``, ``contiguous``, ``clone``, ``copy``, ``cat``, ``transpose``,
``t``, ``squeeze``, ``repeatTensor``, ``long``, ``typeAs``).

Dimensions are 0-based, as legonn's functions take them. ``VIEW``, ``VIEW_AS``, ``EXPAND``, ``EXPAND_AS`` and ``CAT``
are shared with the Tensor class's methods (``x.view(3, 3)`` as ``lg.view(x, 3, 3)``).
"""
import legonn as lg

from .. import support, util
from .broadcast import as_shape_of, no_gradient, unbroadcast


def _view_gradient(g, ans, x, *sizes):
    """``g`` viewed with ``x``'s sizes (made contiguous first: a view needs it)."""
    return lg.view(lg.contiguous(g), support.size(x))


def _expand_gradient(g, ans, x, *sizes):
    """``g`` summed over the dimensions ``x`` was expanded along: its size-1 dimensions, and the leading ones
    ``expand`` added (gradfuns.lua sums the first; ``unbroadcast`` does both)."""
    return unbroadcast(g, ans, x)


def _cat_dim(tensors, dim):
    """The 0-based dimension ``lg.cat`` joins ``tensors`` along: ``dim`` (None or -1: the last dimension of the
    input with the most dimensions; another negative one counts from there)."""
    n_dims = max(support.nDimension(t) for t in tensors if lg.isTensor(t))
    if dim is None or dim == -1:
        return n_dims - 1
    return dim + n_dims if dim < 0 else dim


def _cat_piece(g, dim, start, x):
    """The part of ``g`` that ``x`` filled when joined along ``dim`` from ``start``, in ``x``'s shape (``x`` may
    lack ``dim``: two vectors joined along dimension 1 are the columns of a matrix), and where the next one starts."""
    length = support.size(x, dim) if dim < support.nDimension(x) else 1
    piece = lg.narrow(g, dim, start, length)
    if support.nDimension(piece) != support.nDimension(x):
        piece = lg.view(lg.contiguous(piece), support.size(x))
    return piece, start + length


def _cat_first(g, ans, x, y=None, dim=None):
    """The gradient of the first argument of ``lg.cat(x, y [, dim])`` (its part of ``g``), or of the list of
    ``lg.cat([x1, x2, ...] [, dim])`` (a list of parts; the dimension is then the second argument). A list of
    numbers (``autograd.util.cat``) gets its elements of ``g``."""
    if lg.isTensor(x):
        return _cat_piece(g, _cat_dim([x, y], dim), 0, x)[0]
    if not lg.isTensor(x[0]):
        return util.catNumberGradient(g, x, y)
    dim, start, parts = _cat_dim(x, y), 0, []
    for t in x:
        part, start = _cat_piece(g, dim, start, t)
        parts.append(part)
    return parts


def _cat_second(g, ans, x, y=None, dim=None):
    """The gradient of ``y`` in ``lg.cat(x, y [, dim])``: the part of ``g`` after ``x``'s; None when ``y`` is the
    dimension of the list form."""
    if not lg.isTensor(y):
        return None
    d = _cat_dim([x, y], dim)
    return _cat_piece(g, d, support.size(x, d) if d < support.nDimension(x) else 1, y)[0]


def _repeat_tensor_gradient(g, ans, x, *repeats):
    """The sum of the tiles ``repeatTensor`` made of ``x``: ``g`` viewed with each dimension split in (tile, x's
    size), summed over the tiles. (gradfuns.lua splits, joins and squeezes, which also drops ``x``'s own size-1
    dimensions; the sum of the tiles is the same.)"""
    g_size = support.size(g)
    x_size = (1,) * (len(g_size) - support.nDimension(x)) + tuple(support.size(x))
    tiles = [n // m for n, m in zip(g_size, x_size)]
    out = lg.view(lg.contiguous(g), tuple(n for pair in zip(tiles, x_size) for n in pair))
    for d, n in enumerate(tiles):
        if n != 1:
            out = lg.sum(out, 2 * d)
    return lg.view(out, support.size(x))


VIEW = [_view_gradient]
VIEW_AS = [lambda g, ans, x, template: lg.clone(lg.viewAs(lg.contiguous(g), x)), no_gradient]
EXPAND = [_expand_gradient]
EXPAND_AS = [lambda g, ans, x, template: unbroadcast(g, ans, x), no_gradient]
CAT = [_cat_first, _cat_second]

GRADIENTS = {
    'view': VIEW,
    'viewAs': VIEW_AS,
    'expand': EXPAND,
    'expandAs': EXPAND_AS,
    'cat': CAT,
    # the sizes are numbers; the Lua's list stops at four of them ("4D is enough"), legonn's at eight
    'reshape': [lambda g, ans, x, *sizes: as_shape_of(g, x)] + [no_gradient] * 8,
    'contiguous': [lambda g, ans, x: g],
    'clone': [lambda g, ans, x: g],
    'transpose': [lambda g, ans, x, d1, d2: lg.transpose(g, d1, d2), no_gradient, no_gradient],
    't': [lambda g, ans, x: lg.t(g)],
    'squeeze': [lambda g, ans, x, *dim: as_shape_of(g, x), no_gradient],
    'repeatTensor': [_repeat_tensor_gradient] + [no_gradient] * 8,
}

# support.lua's additions to torch (autograd.support here): the gradient goes back in x's type
SUPPORT_GRADIENTS = {
    'long': [lambda g, ans, x: support.typeAs(g, x)],
    'typeAs': [lambda g, ans, x, y: support.typeAs(g, x), no_gradient],
    # copy(dst, src) overwrites dst: nothing of dst reaches the answer (the Lua gave g to both)
    'copy': [no_gradient, lambda g, ans, dst, src: as_shape_of(g, src)],
}
