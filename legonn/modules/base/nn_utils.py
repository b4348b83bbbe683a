"""``nn.utils``: the helpers of Torch7's nn/utils.lua that ported code calls directly.

Tables are Python lists (or dicts): the recursive helpers walk them and, as the Lua ones, write their results
into the first table in place (a list too short grows, keys absent from the second table go).
"""
import numpy as np

from ...tensor import Tensor
from ...tensor.conversion import convert_tree
from . import text_metrics
from .typed import kind_class
from .zero_rows import first_tensor, zero_norm


def _not_nested(name, *values):
    kinds = ' and '.join(type(v).__name__ for v in values)
    return TypeError(f"nn.utils.{name}: expected nested tensors or tables, got {kinds}")


def _keys(table):
    return table.keys() if isinstance(table, dict) else range(len(table))


def _pairwise(t1, t2, each):
    """``each(t1[k], t2[k])`` for every key of the table ``t2``, written into ``t1`` (made a table like ``t2``
    when it is not one); ``t1``'s keys missing from ``t2`` are dropped. Returns the table."""
    if not isinstance(t1, type(t2)):
        t1 = {} if isinstance(t2, dict) else [t1]
    if isinstance(t2, dict):
        for key in list(t1):
            if key not in t2:
                del t1[key]
        for key in t2:
            t1[key] = each(t1.get(key), t2[key])
    else:
        del t1[len(t2):]
        t1.extend([None] * (len(t2) - len(t1)))
        for key in range(len(t2)):
            t1[key] = each(t1[key], t2[key])
    return t1


def _zero_mask(name, x, leading, zeroMask):
    """``utils.getZeroMask*``'s work: the mask over the first ``leading`` dimensions of ``x``."""
    if not isinstance(x, Tensor) or x.dim() < leading:
        got = f"{x.dim()}-D" if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"nn.utils.{name}: expected a tensor of {leading} or more dimensions, got {got}")
    sizes = tuple(x.size())[:leading]
    rows = x.xp.ascontiguousarray(x.array).reshape(int(np.prod(sizes)), -1)
    mask = kind_class(x, 'Byte')() if zeroMask is None else zeroMask
    mask.resize(sizes)
    mask.array[...] = zero_norm(rows).reshape(sizes)
    return mask


class utils:
    """Torch7's ``nn.utils`` namespace."""

    # torch/rnn's n-gram helpers of its text metrics (text_metrics.py)
    get_ngrams = staticmethod(text_metrics.get_ngrams)
    get_skip_bigrams = staticmethod(text_metrics.get_skip_bigrams)
    get_ngram_prec = staticmethod(text_metrics.get_ngram_prec)
    get_ngram_recall = staticmethod(text_metrics.get_ngram_recall)

    @staticmethod
    def recursiveType(param, typename, tensorCache=None):
        """``param`` (a tensor, module, or nested lists/dicts of them) converted to ``typename``
        ('legonn.DoubleTensor', 'torch.CudaTensor', ...): tensors are converted (views of one storage stay
        views of one converted storage, and one tensor met twice becomes one tensor, through ``tensorCache``),
        modules convert themselves, the entries of a list or dict are replaced in place, other values are
        returned unchanged."""
        cache = {} if tensorCache is None else tensorCache
        if isinstance(param, (list, dict)):
            for key in _keys(param):
                param[key] = utils.recursiveType(param[key], typename, cache)
            return param
        return convert_tree(param, typename, cache)

    @staticmethod
    def recursiveResizeAs(t1, t2):
        """(t1, t2) with ``t1`` resized like ``t2`` through the nesting (a tensor of t2's type where t1 has none)."""
        if isinstance(t2, (list, dict)):
            return _pairwise(t1, t2, lambda a, b: utils.recursiveResizeAs(a, b)[0]), t2
        if not isinstance(t2, Tensor):
            raise _not_nested('recursiveResizeAs', t1, t2)
        t1 = t1 if isinstance(t1, Tensor) else t2.new()
        t1.resize(tuple(t2.size()))
        return t1, t2

    @staticmethod
    def recursiveFill(t2, val):
        """Fill every tensor of ``t2`` with ``val``; returns ``t2``."""
        if isinstance(t2, (list, dict)):
            for key in _keys(t2):
                t2[key] = utils.recursiveFill(t2[key], val)
        elif isinstance(t2, Tensor):
            t2.fill(val)
        else:
            raise _not_nested('recursiveFill', t2)
        return t2

    @staticmethod
    def recursiveAdd(t1, val, t2=None):
        """``t1 += val * t2`` through the nesting (``recursiveAdd(t1, t2)``: val 1); returns (t1, t2)."""
        if t2 is None:
            val, t2 = 1, val
        if isinstance(t2, (list, dict)):
            return _pairwise(t1, t2, lambda a, b: utils.recursiveAdd(a, val, b)[0]), t2
        if not (isinstance(t1, Tensor) and isinstance(t2, Tensor)):
            raise _not_nested('recursiveAdd', t1, t2)
        t1.add(val, t2)
        return t1, t2

    @staticmethod
    def recursiveCopy(t1, t2, async_=False):
        """(t1, t2) with ``t2`` copied into ``t1`` through the nesting (t1 resized, or made of t2's type where it
        has no tensor). ``async_`` is accepted for cutorch's copyAsync; copies are ordered on the stream anyway."""
        if isinstance(t2, (list, dict)):
            return _pairwise(t1, t2, lambda a, b: utils.recursiveCopy(a, b)[0]), t2
        if not isinstance(t2, Tensor):
            raise _not_nested('recursiveCopy', t1, t2)
        t1 = t1 if isinstance(t1, Tensor) else t2.new()
        t1.resize(tuple(t2.size())).copy(t2)
        return t1, t2

    @staticmethod
    def addSingletonDimension(*args):
        """``addSingletonDimension([view,] t [, dim])``: a view of ``t`` with a size-1 dimension inserted at
        ``dim`` (0-based, default 0), set into ``view`` when given; no copy."""
        view = args[0] if len(args) == 3 else None
        t, dim = (args[1:] if len(args) == 3 else args + (0,))[:2]
        if not isinstance(t, Tensor) or (view is not None and not isinstance(view, Tensor)) or \
                isinstance(dim, bool) or not isinstance(dim, int):
            raise TypeError(f"nn.utils.addSingletonDimension: expected ([view,] tensor [, dim]) with an integer "
                            f"dim, got {', '.join(type(a).__name__ for a in args)}")
        if not 0 <= dim <= t.dim():
            raise ValueError(f"nn.utils.addSingletonDimension: dimension {dim} out of range for a {t.dim()}-D "
                             f"tensor (0-based, 0..{t.dim()})")
        sizes, strides = list(t.size()), list(t.stride())
        sizes.insert(dim, 1)
        strides.insert(dim, 1)
        view = t.new() if view is None else view
        return view.set(t.storage(), t.storageOffset(), tuple(sizes), tuple(strides))

    @staticmethod
    def getZeroMaskSequence(sequence, zeroMask=None):
        """torch/rnn's utils.lua: a ByteTensor ``(seqlen, batch)`` (``zeroMask`` when given, resized), on the
        sequence's device, 1 where the step's row of ``sequence`` ``(seqlen, batch, ...)`` has L2 norm 0."""
        return _zero_mask('getZeroMaskSequence', sequence, 2, zeroMask)

    @staticmethod
    def getZeroMaskBatch(batch, zeroMask=None):
        """torch/rnn's utils.lua: a ByteTensor ``(batch,)``, 1 where the row of ``batch`` (its first tensor,
        depth first) has L2 norm 0."""
        return _zero_mask('getZeroMaskBatch', first_tensor(batch), 1, zeroMask)

    @staticmethod
    def contiguousView(output, input, *sizes):
        """``input`` seen with ``sizes``, set into ``output`` (a new tensor when None): a view when ``input`` is
        contiguous, else a view of a contiguous copy held in ``output``."""
        output = input.new() if output is None else output
        if not input.isContiguous():
            output.resize(tuple(input.size())).copy(input)
            input = output
        return output.set(input.view(*sizes))

    @staticmethod
    def clear(module, *names):
        """Empty the named fields of ``module`` (names, or one list of them): a tensor is emptied in place
        (``set()``), a table becomes an empty one, anything else None; returns ``module``."""
        if len(names) == 1 and isinstance(names[0], (list, tuple)):
            names = names[0]
        for name in names:
            value = getattr(module, name, None)
            if isinstance(value, Tensor):
                value.set()
            elif isinstance(value, (list, dict)):
                setattr(module, name, type(value)())
            elif value is not None:
                setattr(module, name, None)
        return module


def _each_tensor(name, t2, fn):
    """``fn`` applied to every tensor of the nesting ``t2``, the results in ``t2``'s shape."""
    if isinstance(t2, dict):
        return {k: _each_tensor(name, v, fn) for k, v in t2.items()}
    if isinstance(t2, list):
        return [_each_tensor(name, v, fn) for v in t2]
    if not isinstance(t2, Tensor):
        raise TypeError(f"nn.rnn.{name}: expected a tensor or a table of them, got {type(t2).__name__}")
    return fn(t2)


class rnn:
    """The rnn package's ``nn.rnn`` namespace (its recursiveUtils.lua): the recursive helpers that nn.utils
    also has are nn.utils' (they return ``(t1, t2)`` as the Lua ones: ``nn.rnn.recursiveCopy(a, b)[0]`` where
    Lua code keeps the first value), plus rnn's own."""
    recursiveResizeAs = staticmethod(utils.recursiveResizeAs)
    recursiveCopy = staticmethod(utils.recursiveCopy)
    recursiveAdd = staticmethod(utils.recursiveAdd)
    recursiveFill = staticmethod(utils.recursiveFill)
    recursiveType = staticmethod(utils.recursiveType)

    @staticmethod
    def recursiveSet(t1, t2):
        """(t1, t2) with each tensor of ``t1`` made to view the storage of ``t2``'s (``set``)."""
        if isinstance(t2, (list, dict)):
            return _pairwise(t1, t2, lambda a, b: rnn.recursiveSet(a, b)[0]), t2
        if not isinstance(t2, Tensor):
            raise TypeError(f"nn.rnn.recursiveSet: expected nested tensors or tables, got {type(t2).__name__}")
        t1 = t1 if isinstance(t1, Tensor) else t2.new()
        return t1.set(t2), t2

    @staticmethod
    def recursiveNormal(t2):
        """Fill every tensor of ``t2`` with standard normal draws; returns ``t2``."""
        _each_tensor('recursiveNormal', t2, lambda t: t.normal())
        return t2

    @staticmethod
    def recursiveSum(t2):
        """The sum of every element of every tensor of ``t2``."""
        if isinstance(t2, (list, dict)):
            return sum(rnn.recursiveSum(t2[k]) for k in _keys(t2))
        return _each_tensor('recursiveSum', t2, lambda t: t.sum())

    @staticmethod
    def recursiveNew(t2):
        """A nesting shaped as ``t2`` of new empty tensors of each tensor's type."""
        return _each_tensor('recursiveNew', t2, lambda t: t.new())

    @staticmethod
    def recursiveTensorEq(t1, t2):
        """True when every tensor of ``t1`` is within 1e-5 (largest absolute difference) of ``t2``'s."""
        if isinstance(t2, (list, dict)):
            return isinstance(t1, type(t2)) and all(rnn.recursiveTensorEq(t1[k] if isinstance(t1, dict) or
                                                                          k < len(t1) else None, t2[k])
                                                    for k in _keys(t2))
        if not (isinstance(t1, Tensor) and isinstance(t2, Tensor)):
            raise TypeError(f"nn.rnn.recursiveTensorEq: expected nested tensors or tables, got "
                            f"{type(t1).__name__} and {type(t2).__name__}")
        return float((t1 - t2).abs().max()) < 1e-5
