"""Torch7's categorical draws, 0-based: ``torch.multinomial([res,] [gen,] prob, n, replacement)`` and the alias
method's ``torch.multinomialAliasSetup(probs [, state])`` / ``torch.multinomialAlias(output, state)``."""
import numpy as np

from . import backend
from .functions import as_tensor
from .indexing import lua_number
from .random import generator, with_generator
from .reductions import reducer
from .tensor import TENSOR_CLASSES, Tensor


@with_generator
def multinomial(*args):
    """``multinomial([res,] [gen,] prob, n, replacement=False)``: ``n`` category indices (0-based) drawn from the
    weights ``prob``: ``(k,)`` gives a LongTensor ``(n,)``, ``(rows, k)`` one row of ``n`` draws per row of
    weights. Weights need not sum to one. Without ``replacement`` each index appears at most once per row
    (weighted sampling without replacement), so ``n`` must not exceed the count of positive weights. A leading
    ``res`` (a LongTensor) is resized and filled, as TensorMath.lua's result argument."""
    if len(args) >= 2 and all(isinstance(a, Tensor) for a in args[:2]):
        res = args[0]
        drawn = _multinomial(*args[1:])
        return res.resize(tuple(drawn.size())).copy(drawn)
    return _multinomial(*args)


def _multinomial(prob, n, replacement=False):
    prob = as_tensor(prob)
    if prob.dim() not in (1, 2) or prob.dtype.kind != 'f':
        raise ValueError(f"legonn.multinomial: expected a 1-D or 2-D floating tensor of weights, got "
                         f"{prob.type()} of size {tuple(prob.size())}")
    xp = prob.xp
    w = prob.array.reshape(-1, prob.size(-1)).astype(np.float64)
    # a row whose sum passes the largest double would make its last cumulative weight inf, and a draw of inf
    # would then pick the category past the last (refused below, so NumPy need not warn of the overflow)
    with np.errstate(over='ignore'):
        total = reducer(xp, 'sum')(w, axis=1)
    if not bool(xp.isfinite(w).all()) or bool((w < 0).any()) or not bool(((total > 0) & xp.isfinite(total)).all()):
        raise ValueError("legonn.multinomial: expected finite non-negative weights with a positive, finite sum per "
                         "row")
    n = lua_number(n)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"legonn.multinomial: n must be a positive integer, got {n!r}")
    positive = int((w > 0).sum(axis=1).min())
    if not replacement and n > positive:
        raise ValueError(f"legonn.multinomial: cannot draw {n} distinct categories without replacement from "
                         f"{positive} with positive weight")
    gen = generator(prob.is_cuda)
    if replacement:
        cdf = reducer(xp, 'cumsum')(w, axis=1)
        u = gen.uniform(size=(w.shape[0], n)) * cdf[:, -1:]
        # the first category whose cdf exceeds u, found by a binary search per draw as THTensor_(multinomial)
        # does: comparing every draw with every category took n x k memory (torch7's test_Multinomial.lua draws
        # a million times from a million categories)
        picked = xp.stack([_first_above(xp, cdf[r], u[r]) for r in range(w.shape[0])])
    else:
        # Gumbel top-n: keys log(w) + Gumbel noise, sorted, give weighted sampling without replacement
        with np.errstate(divide='ignore'):
            keys = xp.log(w) - xp.log(-xp.log(gen.uniform(size=w.shape)))
        picked = _largest_first(xp, -keys, n)
    picked = picked.astype(np.int64, copy=False)   # already an array of xp: both draws run on prob's device
    # int64 on prob's device: a LongTensor or CudaLongTensor
    return Tensor._from_array(picked.reshape(n) if prob.dim() == 1 else picked)


def _largest_first(xp, negated, n):
    """Per row, the indices of the ``n`` smallest values of ``negated`` in increasing order of value: the ``n``
    selected first (a partition, linear in the row's length), then only those sorted: for 10 draws from 10^6
    categories, sorting every key took 46 ms (of the draw's 91), selecting then sorting takes 6 ms. The keys
    are continuous draws, so no two tie and the order is a full argsort's: a seed gives the draws it gave."""
    if n == negated.shape[1]:
        return xp.argsort(negated, axis=1)
    chosen = xp.argpartition(negated, n - 1, axis=1)[:, :n]
    order = xp.argsort(xp.take_along_axis(negated, chosen, axis=1), axis=1)
    return xp.take_along_axis(chosen, order, axis=1)


# below these sizes the plain search is as fast as sorting first (measured: 1000 draws from 1000 categories
# take 0.05 ms either way; 10^6 draws from 10 categories 19 ms plain, 45 ms sorted)
_SORTED_SEARCH_MIN = 1000


def _first_above(xp, cdf, u):
    """For each draw in ``u`` (in the order drawn), the index of the first cumulative weight of ``cdf`` above it.
    On the CPU, with many draws over many categories, the draws are searched in increasing order and put back:
    NumPy's search then starts each one where the last ended and reads the cdf in order, not at random (a
    million draws from a million categories: 4x faster); the indices are the same, so a seed gives the draws
    it gave before."""
    if xp is not np or u.size < _SORTED_SEARCH_MIN or cdf.size < _SORTED_SEARCH_MIN:
        return xp.searchsorted(cdf, u, side='right')
    order = np.argsort(u)
    picked = np.empty(u.size, dtype=np.int64)
    picked[order] = np.searchsorted(cdf, u[order], side='right')
    return picked


def multinomialAliasSetup(probs, state=None):
    """Torch7's ``torch.multinomialAliasSetup(probs [, state])``: the alias method's tables for the 1-D
    distribution ``probs`` (summing to one), as the list ``[J, q]``: J a LongTensor of alias categories (0-based),
    q the probability of keeping the drawn bin, of probs' type. A given ``state`` list has its two tensors resized
    and refilled. The tables are built as THTensor_(multinomialAliasSetup) builds them (Vose's method, the small
    and large stacks taken from the top, q scaled down when its largest value passes 1); a bin that got no alias
    has J = 0 and q = 1, as in TH, whose 0-based test ``J <= 0`` also set q = 1 for a bin whose alias is category
    0 (making that category rarer than ``probs`` says): here such a bin keeps its q."""
    probs = as_tensor(probs)
    if probs.dim() != 1 or probs.dtype.kind != 'f':
        raise ValueError(f"legonn.multinomialAliasSetup: expected a 1-D floating tensor of probabilities, got "
                         f"{probs.type()} of size {tuple(probs.size())}")
    p = np.asarray(backend.to_module(probs.array, np), dtype=probs.dtype)
    k = p.shape[0]
    q = (k * p).astype(probs.dtype)
    alias = np.full(k, -1, dtype=np.int64)
    smaller = [i for i in range(k) if q[i] < 1.0]
    larger = [i for i in range(k) if not q[i] < 1.0]
    while smaller and larger:
        large, small = larger[-1], smaller[-1]
        alias[small] = large
        q[large] -= 1.0 - q[small]
        if q[large] < 1.0:
            smaller[-1] = large
            larger.pop()
        else:
            smaller.pop()
    if not q.min() > 0:
        raise ValueError("legonn.multinomialAliasSetup: a probability is 0 or less (THTensor_(multinomialAliasSetup)"
                         "'s q_min check)")
    if q.max() > 1:
        q /= q.max()
    q[alias < 0] = 1.0
    alias[alias < 0] = 0   # never read (q is 1), as TH leaves it
    xp = probs.xp
    J = TENSOR_CLASSES['CudaLongTensor' if probs.is_cuda else 'LongTensor']._from_array(backend.to_module(alias, xp))
    q = type(probs)._from_array(backend.to_module(q, xp))
    if isinstance(state, list) and len(state) == 2:
        state[0] = as_tensor(state[0]).resize(k).copy(J)
        state[1] = as_tensor(state[1]).resize(k).copy(q)
        return state
    return [J, q]


@with_generator
def multinomialAlias(output, state):
    """Torch7's ``torch.multinomialAlias(output, state)``: fill the 1-D LongTensor ``output`` (any strides) with
    categories (0-based) drawn by the alias method from ``state = multinomialAliasSetup(probs)``, as
    THTensor_(multinomialAliasDraw): a bin uniform over the categories, kept with probability ``q[bin]``, else
    its alias ``J[bin]``; returns ``output``. Draws with replacement only."""
    J, q = (as_tensor(t) for t in state)
    if output.dim() != 1:
        raise ValueError(f"legonn.multinomialAlias: the output must be 1-D (a view such as output.view(-1) of a "
                         f"larger one), got sizes {tuple(output.size())}")
    xp, n, k = J.xp, output.size(0), J.size(0)
    gen = generator(J.is_cuda)
    bins = xp.minimum((gen.uniform(size=n) * k).astype(np.int64), k - 1)
    keep = gen.uniform(size=n) < q.array[bins]
    output.array[...] = xp.where(keep, bins, J.array[bins])
    return output
