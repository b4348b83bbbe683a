"""autograd.util (torch-autograd's util.lua): helpers traced code and gradient functions call, with the Lua's names.

Indices and dimensions are 0-based (DESIGN.md decision 1): ``selectSliceCopy(g, x, dim, index)`` takes legonn's
``select`` arguments, ``oneHot`` takes labels from 0. Tables are Python dicts (string keys) and lists (1..n).
``lt le gt ge eq`` compare traced values by their values (the Lua needed them: it could not overload ``<``
between a number and a table; in Python a traced value compares with ``<`` too).
"""
import sys

import legonn as torch
from legonn.tensor import Tensor

from . import support

# util's functions call each other through the module, as the Lua's util.fill(...): a trace sees util.fill
_this = sys.modules[__name__]

_ALIASES = {'float': 'torch.FloatTensor', 'double': 'torch.DoubleTensor', 'cuda': 'torch.CudaTensor'}


def cast(tableOfParams, typeName):
    """The tensors of a (nested) dict/list of parameters converted to ``typeName`` (``'float'``, ``'double'``,
    ``'cuda'`` or a type name); other values are kept."""
    typeName = _ALIASES.get(typeName, typeName)
    if isinstance(tableOfParams, Tensor):
        return tableOfParams.type(typeName)
    if not isinstance(tableOfParams, (dict, list, tuple)):
        raise TypeError("autograd.util.cast: expected a tensor or a dict/list of parameters, got "
                        f"{type(tableOfParams).__name__}")
    items = tableOfParams.items() if isinstance(tableOfParams, dict) else enumerate(tableOfParams)
    out = {} if isinstance(tableOfParams, dict) else [None] * len(tableOfParams)
    for key, value in items:
        if isinstance(value, Tensor):
            out[key] = value.type(typeName)
        elif isinstance(value, (dict, list, tuple)):
            out[key] = cast(value, typeName)
        else:
            out[key] = value
    return out


def _value(v):
    """A traced value's plain value (either runtime's), else ``v``."""
    from .runtime.direct.node import raw
    v = raw(v)
    get = getattr(v, 'get', None)   # a codegen Value
    return get() if get is not None and not isinstance(v, (Tensor, dict)) else v


def lt(a, b):
    return _value(a) < _value(b)


def le(a, b):
    return _value(a) <= _value(b)


def gt(a, b):
    return _value(a) > _value(b)


def ge(a, b):
    return _value(a) >= _value(b)


def eq(a, b):
    return _value(a) == _value(b)


def oneHot(labels, n=None):
    """A ``labels.size(0)`` x ``n`` tensor of labels' type: row i is 1 at column ``labels[i]`` (labels from 0,
    ``n`` defaulting to the largest label + 1), 0 elsewhere."""
    n = int(labels.max()) + 1 if n is None else n
    nLabels = labels.size(0)
    out = labels.new(nLabels, n).fill(0)
    for i in range(nLabels):
        out[i][int(labels[i])] = 1.0
    return out


def logSumExp(array):
    """log(sum(exp(array))), computed after taking the largest element out."""
    m = torch.max(array)
    return torch.log(torch.sum(torch.exp(array - m))) + m


def logSoftMax(array):
    return array - _this.logSumExp(array)


def sigmoid(array):
    return torch.sigmoid(array)


def sigmoidInPlace(output, input):
    output.resizeAs(input).copy(input)
    output.mul(-1).exp().add(1).pow(-1)
    return output


def lookup(tble, indexes):
    """The rows of ``tble`` the (0-based) ``indexes`` name, shaped as ``indexes`` with a last dimension of a row's
    size (a lookup table)."""
    indexSize = list(support.size(indexes))
    rows = torch.index(tble, 0, support.long(torch.view(indexes, -1)))
    indexSize.append(support.size(rows, 1))
    return torch.view(rows, *indexSize)


def dropout(state, dropout=0):
    """``state`` with each element kept with probability ``1 - dropout`` and scaled by its inverse, else 0."""
    keep = 1 - dropout
    s = _this.newTensorLike(state)
    keep = torch.mul(torch.bernoulli(s, keep), 1 / keep)
    return torch.cmul(state, keep)


# NOTE (the Lua's): made inefficient for grads of grads
def setNotEqual(a, b, c, v):
    """``v`` where ``a == b``, 0 elsewhere (``c``, the Lua's fill value, is 0 in every use)."""
    mask = torch.eq(a, b)
    return torch.cmul(v, support.typeAs(mask, v))


def setNotEqualInPlace(o, a, b, c, v):
    mask = torch.ne(a, b)
    copy = o.copy(v)
    copy[mask] = 0
    return copy


def newTensorLike(a):
    return a.new(support.size(a))


def newTensorLikeInPlace(o, a):
    return o


def fillSameSizeAs(a, b):
    return _this.fill(a, b)


def fillSameSizeAsInPlace(o, a, b):
    return o.fill(b)


def zerosLike(a, b=None):
    """Zeros of ``b``'s sizes (``a``'s when ``b`` is None), of ``a``'s type."""
    b = a if b is None else b
    return a.new(support.size(b)).fill(0)


def zerosLikeInPlace(o, a, b=None):
    return o.zero()


def selectSliceCopy(g, x, dim, index):
    """Zeros of ``x``'s sizes with ``g`` in the slice ``select(dim, index)``: the gradient of ``select``."""
    out = g.new(x.size()).zero()
    out.select(dim, index).copy(g)
    return out


def selectSliceCopyInPlace(o, g, x, dim, index):
    out = o.zero()
    out.select(dim, index).copy(g)
    return out


def narrowSliceCopy(g, x, dim, index, size):
    """Zeros of ``x``'s sizes with ``g`` in ``narrow(dim, index, size)``: the gradient of ``narrow``."""
    out = g.new(x.size()).zero()
    out.narrow(dim, index, size).copy(g)
    return out


def narrowSliceCopyInPlace(o, g, x, dim, index, size):
    out = o.zero()
    out.narrow(dim, index, size).copy(g)
    return out


def indexAdd(g, x, dim, index):
    """Zeros of ``x``'s sizes with slice ``i`` of ``g`` added at ``index[i]`` along ``dim``: the gradient of
    ``index`` (repeated indices add up)."""
    out = _this.zerosLike(g, x)
    for i in range(support.size(index, 0)):
        torch.narrow(out, dim, int(index[i]), 1).add(torch.narrow(g, dim, i, 1))
    return out


def indexAddInPlace(o, g, x, dim, index):
    out = o.zero()
    for i in range(support.size(index, 0)):
        torch.narrow(out, dim, int(index[i]), 1).add(torch.narrow(g, dim, i, 1))
    return out


def catTableGradient(g, x, dim=None):
    """The gradient of ``cat(x, dim)`` for a list ``x`` of tensors: ``g`` cut back into their sizes along ``dim``
    (the last dimension of ``x[0]`` by default, as Torch7's cat)."""
    dim = support.nDimension(x[0]) - 1 if dim is None else dim
    out = []
    currentIndex = 0
    for xi in x:
        thisSize = support.size(xi, dim)
        out.append(torch.narrow(g, dim, currentIndex, thisSize))
        currentIndex += thisSize
    return out


def catNumberGradient(g, x, dim=None):
    """The gradient of a tensor made of the numbers in ``x``: one element of ``g`` each."""
    # g[i], a number as Torch7's select of a vector gave (legonn's lg.select of one is a 0-dim tensor)
    return [g[i] for i in range(len(x))]


def cat(x, y=None, dim=None):
    """``torch.cat(x, y, dim)`` for two tensors; for a list ``x`` of tensors ``cat(x, dim)`` (``y`` is then the
    dimension); for a list of numbers, a tensor of the default type holding them."""
    if isinstance(x, Tensor):
        dim = support.nDimension(x) - 1 if dim is None else dim
        return torch.cat(x, y, dim)
    if isinstance(x[0], Tensor):
        dim = support.nDimension(x[0]) - 1 if y is None else y   # the second argument is the dimension
        return torch.cat(x, dim)
    return torch.Tensor(list(x))


def defaultBool(b, db):
    return db if b is None else b


def _sorted_keys(tbl):
    keys = list(tbl.keys()) if isinstance(tbl, dict) else list(range(len(tbl)))
    try:
        return sorted(keys)
    except TypeError:       # keys of several types: by their text, as the Lua's fallback
        return sorted(keys, key=str)


def sortedFlatten(tbl, flat=None, noRecurse=False):
    """The leaves of a nested dict/list in sorted-key order (list positions in order)."""
    flat = [] if flat is None else flat
    if isinstance(tbl, (dict, list, tuple)):
        for key in _sorted_keys(tbl):
            val = tbl[key]
            if isinstance(val, (dict, list, tuple)) and not noRecurse:
                sortedFlatten(val, flat)
            else:
                flat.append(val)
    else:
        flat.append(tbl)
    return flat


def sortedFlattenKeys(tbl, flat=None, flatKeys=None, parentKey=None, noRecurse=False):
    """``(leaves, keys)``: the leaves as sortedFlatten's, and for each the list of keys that reaches it."""
    flat = [] if flat is None else flat
    flatKeys = [] if flatKeys is None else flatKeys
    parentKey = [] if parentKey is None else parentKey
    if isinstance(tbl, (dict, list, tuple)):
        for key in _sorted_keys(tbl):
            val = tbl[key]
            parentKey.append(key)
            if isinstance(val, (dict, list, tuple)) and not noRecurse:
                sortedFlattenKeys(val, flat, flatKeys, parentKey)
            else:
                flat.append(val)
                flatKeys.append(list(parentKey))
            parentKey.pop()
    else:
        flat.append(tbl)
        flatKeys.append(list(parentKey))
    return flat, flatKeys


def nestedGet(tbl, nestedKey=None, startInd=0):
    """``tbl[k0][k1]...`` for ``nestedKey = [k0, k1, ...]`` from position ``startInd``."""
    for key in (nestedKey or [])[startInd:]:
        tbl = tbl[key]
    return tbl


def nestedSet(tbl, nestedKey, val, startInd=0):
    """``tbl[k0][k1]...[kn] = val``."""
    for key in nestedKey[startInd:-1]:
        tbl = tbl[key]
    tbl[nestedKey[-1]] = val


def shallowCopy(tbl):
    if isinstance(tbl, dict):
        return dict(tbl)
    if isinstance(tbl, list):
        return list(tbl)
    return tbl


def deepCopy(tbl):
    """Nested dicts and lists copied; their tensors and other values shared, as the Lua's."""
    if isinstance(tbl, dict):
        return {k: deepCopy(v) for k, v in tbl.items()}
    if isinstance(tbl, list):
        return [deepCopy(v) for v in tbl]
    return tbl


def fill(A, b):
    """A new tensor of ``A``'s type and sizes filled with ``b``."""
    return A.new(support.size(A)).fill(b)


def fillInPlace(o, A, b):
    return o.fill(b)


def cloneInPlace(o, A):
    return o.copy(A)


def newInPlace(o, s):
    return o


def typeAsIfNeeded(A, B):
    if torch.type(A) != torch.type(B):
        return support.typeAs(A, B)
    return A


def typeAsInPlace(o, A, B):
    o.copy(A)
    return o
