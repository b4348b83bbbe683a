"""Gradients of legonn's functions that pick elements (gradfuns.lua's ``select``, ``index``, ``narrow``,
``gather``, ``scatter``), of their adjoints in ``autograd.util`` (``selectSliceCopy``, ``narrowSliceCopy``,
``indexAdd``, ``fill``), and of a traced value's ``x[k]`` and ``x[k] = v`` (the Lua's ``get`` and ``set``).

Dimensions and indices are 0-based, as legonn's functions take them. ``GRADIENTS`` is for the ``legonn``
namespace, ``UTIL_GRADIENTS`` for ``autograd.util``, ``GET`` and ``SET`` for a traced value's indexing.
"""
import numbers

import legonn as lg
from legonn.tensor import Tensor

from .. import support, util
from .broadcast import as_shape_of, no_gradient, unbroadcast


def _select_gradient(g, ans, x, dim, index):
    """``g`` in slice ``index`` of dimension ``dim`` of a zero tensor of ``x``'s sizes. The select of a vector
    answers a number (Torch7's generic/Tensor.c:372-382): its gradient ``g``, a number, goes into element
    ``index`` as ``x[index]``'s does (gradfuns.lua:395-398's ``util.selectSliceCopy`` takes a tensor ``g``: the
    Lua failed there)."""
    if not lg.isTensor(g):
        return _get_gradient(g, ans, x, index)
    return util.selectSliceCopy(g, x, dim, index)


def _index_gradient(g, ans, x, dim, index):
    """The rows of ``g`` added into the rows ``index`` names of a zero tensor of ``x``'s sizes (a row picked
    twice gets both)."""
    return util.indexAdd(g, x, dim, index)


def _narrow_gradient(g, ans, x, dim, start, length):
    """``g`` in ``length`` slices from ``start`` along ``dim`` of a zero tensor of ``x``'s sizes."""
    return util.narrowSliceCopy(g, x, dim, start, length)


def _gather_gradient(g, ans, x, dim, index):
    """``g`` added into a zero tensor of ``x``'s sizes where ``gather`` read it. An element read twice gets both
    gradients: the Lua's ``scatter`` kept only the last one."""
    return util.zerosLike(x).scatterAdd(dim, index, g)


def _scattered_source_gradient(g, ans, x, dim, index, src):
    """``g`` where ``src`` was written: ``gather``, in ``src``'s shape (``src`` may be larger than ``index``: its
    elements past ``index``'s sizes, never read, get zeros); a number written everywhere gets their sum."""
    picked = lg.gather(g, dim, index)
    if not lg.isTensor(src):
        return lg.sum(picked)
    if support.isSameSizeAs(picked, src):
        return picked
    out = util.zerosLike(src)
    out[tuple(slice(0, n) for n in support.size(index))] = picked
    return out


def _scatter_target_gradient(g, ans, x, dim, index, src):
    """``g`` where ``x`` kept its elements, 0 where ``scatter`` overwrote them (the Lua gave ``x`` none)."""
    return lg.scatter(lg.clone(g), dim, index, 0)


def _set_target_gradient(g, ans, x, key, value):
    """``g`` with the element (or slice) ``x[key] = value`` overwrote at 0 (on a copy: ``g`` may be shared)."""
    out = lg.clone(g)
    out[key] = 0
    return out


def _set_value_gradient(g, ans, x, key, value):
    """``g[key]`` in ``value``'s shape: a copy of the slice (summed where ``value`` was broadcast into it, viewed
    as ``value`` where it was paired by count, as ``x[key] = value`` wrote it), or the number; a number ``value``
    that filled a slice gets the slice's sum (the Lua gave either the slice's shape)."""
    part = g[key]
    if not lg.isTensor(part):
        return part
    return unbroadcast(lg.clone(part), ans, value) if lg.isTensor(value) else lg.sum(part)


def _picks(k):
    """True for a key (or a part of a tuple key) of indices: a list or an integer tensor (legonn's NumPy indexing),
    which may pick the same row or element twice; a mask (a ByteTensor) picks each element once."""
    return isinstance(k, list) or (lg.isTensor(k) and not lg.type(k).endswith('ByteTensor'))


def _plain(k):
    """True for a part of a key that is not a traced value (the optimized mode traces a number argument): the
    positions a tuple key picks are read with it off a plain tensor."""
    return isinstance(k, (numbers.Integral, slice, type(None), type(Ellipsis), list, Tensor))


def _get_gradient(g, ans, x, key):
    """``g`` at ``key`` of a zero tensor of ``x``'s sizes. A key of indices may pick a row or an element twice:
    each pick adds its gradient (``indexAdd``), where writing ``g`` at ``key`` would keep the last one. A key of
    row indices (of any shape) adds ``g``'s rows at them in order; a tuple key with indices (``x[[0, 0], [1, 1]]``)
    adds ``g``'s elements at the flat positions it picked, read off a tensor of positions (when no part of it is
    traced: otherwise ``g`` is written at ``key``)."""
    if isinstance(x, (list, tuple)):
        # an entry, or a slice, of a list answer (a table module's output; split's, whose own gradient the runtime
        # then finds missing, naming it): g there (a list of gradients for a slice), zeros elsewhere
        out = [util.zerosLike(t) for t in x]
        picked = range(len(x))[key]
        for i, gi in zip(picked, g) if isinstance(picked, range) else [(picked, g)]:
            out[i] = gi
        return out
    if _picks(key):
        index = lg.LongTensor(key) if isinstance(key, list) else key
        if support.nDimension(index) != 1:
            # g is one row per index, shaped as the key: its rows and the indices in order
            g = lg.view(lg.contiguous(g), support.nElement(index), *support.size(x)[1:])
            index = lg.view(lg.contiguous(index), support.nElement(index))
        return util.indexAdd(g, x, 0, index)
    if isinstance(key, tuple) and any(_picks(k) for k in key) and all(_plain(k) for k in key):
        n = support.nElement(x)
        positions = lg.LongTensor(list(range(n))).view(*support.size(x))[key]
        flat = util.indexAdd(lg.view(lg.contiguous(g), support.nElement(positions)), positions.new(n), 0,
                             positions.contiguous().view(-1))
        return lg.view(flat, support.size(x))
    out = util.zerosLike(x)
    out[key] = g
    return out


GRADIENTS = {
    'select': [_select_gradient],
    'index': [_index_gradient],
    'narrow': [_narrow_gradient],
    'gather': [_gather_gradient],
    'scatter': [_scatter_target_gradient, no_gradient, no_gradient, _scattered_source_gradient],
}
# Tensor methods (x.scatterAdd(dim, index, src) adds into x and returns it; legonn has no functional form)
METHOD_GRADIENTS = {
    'scatterAdd': [lambda g, ans, x, dim, index, src: g, no_gradient, no_gradient, _scattered_source_gradient],
}

# the slice an adjoint wrote ``x`` into may hold its elements in another shape (copy pairs them by count)
UTIL_GRADIENTS = {
    'fill': [no_gradient, lambda g, ans, template, x: lg.sum(g)],
    'selectSliceCopy': [lambda g, ans, x, template, dim, index: as_shape_of(lg.select(g, dim, index), x)]
    + [no_gradient] * 3,
    'narrowSliceCopy': [lambda g, ans, x, template, dim, start, length:
                        as_shape_of(lg.narrow(g, dim, start, length), x)] + [no_gradient] * 4,
    'indexAdd': [lambda g, ans, x, template, dim, index: as_shape_of(lg.index(g, dim, index), x)] + [no_gradient] * 3,
}

GET = [_get_gradient, no_gradient]
SET = [_set_target_gradient, no_gradient, _set_value_gradient]
