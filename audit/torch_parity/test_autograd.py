"""legonn.autograd (torch-autograd) against torch.autograd, in float64.

Each case is a scalar function of seeded random float64 parameters, written once with the legonn functions
legonn.autograd differentiates (its gradfuns: the legonn namespace, the Tensor methods, the operators, ``x[k]``
and ``x[k] = v``, util, support, loss, the models and modules, wrapped nn modules) and once with PyTorch. A tensor
answer is reduced to a scalar by fixed weights in [0.5, 1.5) (``sum(out * w)``), so that a gradient with the right
total in the wrong places fails. legonn's value and gradients are compared with PyTorch's to rtol 1e-10 in the
direct runtime and in the optimized one, whose generated code answers (its first call, the trace, is made on
other values); every function case also on strided parameters; ``test_optimized_equals_direct`` compares the
two runtimes with each other.

torch-autograd's gradfuns.lua is the contract. Where its gradient is not PyTorch's (ties of an extremum, a clamp
bound, pow at a zero base), legonn follows the Lua and the case asserts the difference exactly. legonn's indices
and dimensions are 0-based, as PyTorch's; its reductions along a dimension keep it (size 1), as Torch7's
(``keepdim=True``). Not compared: the functions a trace does not support (``lg.cumsum``, ``lg.norm``, ``lg.prod``:
gradfuns.lua has no gradient for them), the random ones (``util.dropout``, the initializers), those without a
gradient (``util.oneHot``, the static functions), AlexNet (SpatialNetwork and NeuralNetwork, which it joins, are
here), and the options that change no number (profile, showCode, dotFile, debugHook).

Skipped where torch is not installed (CI): this file is the project's audit, run where it is.
"""
import zlib

import numpy as np
import pytest

torch = pytest.importorskip('torch')

import legonn as lg  # noqa: E402
from legonn import autograd  # noqa: E402
from legonn.autograd import loss as agloss, model, module as lgmodule, support, util  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12
MODES = ['direct', 'optimized']


@pytest.fixture(autouse=True)
def double():
    before_type, before_opt = lg.getdefaulttensortype(), autograd.optimizing()
    lg.setdefaulttensortype('torch.DoubleTensor')
    yield
    lg.setdefaulttensortype(before_type)
    autograd.optimize(before_opt)


def rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def strided(a):
    """A non-contiguous float64 view holding ``a``'s values, NaN between them (a read of the wrong element shows)."""
    big = np.full(a.shape + (2,), np.nan)
    big[..., 0] = a
    return big[..., 0]


def weights(shape):
    return np.random.default_rng(len(shape) * 1000 + int(np.prod(shape))).uniform(0.5, 1.5, shape)


def ours_weighted(out):
    """``sum(out * w)`` in a trace; a number (a reduction over the whole tensor) times 0.7."""
    if not lg.isTensor(out):
        return out * 0.7
    if support.nDimension(out) == 0:
        return lg.sum(out) * 0.7
    return lg.sum(lg.cmul(out, lg.from_numpy(weights(tuple(support.size(out))))))


def theirs_weighted(out):
    if out.dim() == 0:
        return out * 0.7
    return (out * torch.from_numpy(weights(tuple(out.shape)))).sum()


def tree_map(fn, v):
    """``fn`` applied to every leaf of nested dicts and lists (a model's parameters), in the same structure."""
    if isinstance(v, dict):
        return {k: tree_map(fn, x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [tree_map(fn, x) for x in v]
    return fn(v)


def leaves(v):
    """The leaves of nested dicts (in key order) and lists, in one list."""
    if isinstance(v, dict):
        return [a for k in sorted(v) for a in leaves(v[k])]
    if isinstance(v, (list, tuple)):
        return [a for x in v for a in leaves(x)]
    return [v]


def to_legonn(v, noncontig=False):
    return tree_map(lambda a: lg.from_numpy(strided(a) if noncontig else a.copy()) if isinstance(a, np.ndarray)
                    else a, v)


def to_torch(v):
    return tree_map(lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True), v)


def flat_legonn(g):
    return [np.array(a.array) if lg.isTensor(a) else np.float64(a) for a in leaves(g)]


def flat_torch(t):
    return [np.zeros(tuple(a.shape)) if a.grad is None else a.grad.numpy().copy() for a in leaves(t)]


def run_ours(f, params, mode, *args, noncontig=False):
    """(value, [gradients]) of ``f(params, *args)`` by legonn.autograd in ``mode``. The optimized mode's first call
    traces ``f`` (and answers from the trace): it is made on other values (0.9 times these), so that the answer
    compared is the generated code's."""
    df = autograd(f, optimize=(mode == 'optimized'))
    if mode == 'optimized':
        df(to_legonn(tree_map(lambda a: a * 0.9, params), noncontig), *args)
    grads, value = df(to_legonn(params, noncontig), *args)[:2]
    assert isinstance(value, float), f"the value is a {type(value).__name__}"
    return value, flat_legonn(grads)


def run_theirs(f, params, *args):
    tp = to_torch(params)
    value = f(tp, *args)
    value.backward()
    return value.item(), flat_torch(tp)


def assert_close(ours, theirs, rtol=RTOL, atol=ATOL):
    (v, gs), (tv, tgs) = ours, theirs
    np.testing.assert_allclose(v, tv, rtol=rtol, atol=atol)
    assert len(gs) == len(tgs)
    for g, tg in zip(gs, tgs):
        assert np.shape(g) == np.shape(tg), (np.shape(g), np.shape(tg))
        np.testing.assert_allclose(g, tg, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------------------------------------------
# element-wise functions, reductions, shapes, indexing, matrices: (legonn fn, torch fn, parameter maker)
# a maker takes a NumPy generator and returns the parameters: a dict of arrays (and numbers)

def normal(*shape):
    return lambda r: {'x': r.standard_normal(shape)}


def positive(*shape):
    return lambda r: {'x': r.uniform(0.3, 2.0, shape)}


def two(sx, sy, low=None):
    if low is None:
        return lambda r: {'x': r.standard_normal(sx), 'y': r.standard_normal(sy)}
    return lambda r: {'x': r.uniform(low, 2.0, sx), 'y': r.uniform(low, 2.0, sy)}


def distinct(*shape):
    """No two elements equal (min/max away from ties)."""
    return lambda r: {'x': (r.permutation(int(np.prod(shape))) * 0.37 - 1.0).reshape(shape)}


IDX = [2, 0, 2, 1]
GATHER = [[0, 1, 2, 0], [2, 2, 0, 1], [0, 0, 1, 1]]
SCATTER = [[0, 1, 2, 0], [2, 0, 1, 1]]
T = torch

def _set(x, key, v):
    y = lg.clone(x)
    y[key] = v
    return y


def _tset(x, key, v):
    y = x.clone()
    y[key] = v
    return y


def _same_name(names, make):
    """Cases of legonn's and torch's functions of one name (legonn's looked up at the call: while a trace runs,
    ``lg.exp`` is the traced entry)."""
    return {n: (lambda x, n=n: getattr(lg, n)(x), getattr(T, n), make) for n in names}


UNARY = {
    **_same_name(('exp', 'tanh', 'sinh', 'cosh', 'abs', 'sin', 'cos', 'tan', 'sigmoid'), normal(3, 4)),
    **_same_name(('sqrt', 'log', 'log1p'), positive(3, 4)),
    'util.sigmoid': (lambda x: util.sigmoid(x), T.sigmoid, normal(5)),
    'clamp': (lambda x: lg.clamp(x, -0.5, 0.7), lambda x: T.clamp(x, -0.5, 0.7), normal(4, 5)),
    'floor': (lambda x: lg.floor(x) + x, lambda x: T.floor(x) + x, normal(3, 4)),
    'ceil': (lambda x: lg.ceil(x) * x, lambda x: T.ceil(x) * x, normal(3, 4)),
    'round': (lambda x: lg.round(x) * x, lambda x: T.round(x) * x, normal(3, 4)),
    'sign': (lambda x: lg.sign(x) * x, lambda x: T.sign(x) * x, normal(3, 4)),
    'unm': (lambda x: -x, lambda x: -x, normal(3, 4)),
    'pow-number': (lambda x: lg.pow(x, 2.5), lambda x: T.pow(x, 2.5), positive(3, 4)),
    'number-pow': (lambda x: lg.pow(1.7, x), lambda x: T.pow(1.7, x), normal(3, 4)),
    'pow-op-number': (lambda x: x ** 3, lambda x: x ** 3, normal(3, 4)),
    'number-pow-op': (lambda x: 1.7 ** x, lambda x: 1.7 ** x, normal(3, 4)),
    'mul-number': (lambda x: lg.mul(x, -1.5), lambda x: x * -1.5, normal(3, 4)),
    'div-number': (lambda x: lg.div(x, 4.0), lambda x: x / 4.0, normal(3, 4)),
    'number-ops': (lambda x: 2 - x * 3 + 1 / (x + 5) - (x / 2) + (4 + x),
                   lambda x: 2 - x * 3 + 1 / (x + 5) - (x / 2) + (4 + x), positive(3, 4)),
    'cmax-number': (lambda x: lg.cmax(x, 0.1), lambda x: T.clamp(x, min=0.1), normal(3, 4)),
    'cmin-number': (lambda x: lg.cmin(x, 0.1), lambda x: T.clamp(x, max=0.1), normal(3, 4)),
    # reductions (legonn's along a dimension keep it, as Torch7's)
    'sum': (lambda x: lg.sum(x), T.sum, normal(3, 4)),
    'sum-dim0': (lambda x: lg.sum(x, 0), lambda x: T.sum(x, 0, keepdim=True), normal(3, 4)),
    'sum-dim1': (lambda x: lg.sum(x, 1), lambda x: T.sum(x, 1, keepdim=True), normal(3, 4, 2)),
    'sum-method': (lambda x: x.sum(2), lambda x: x.sum(2, keepdim=True), normal(3, 4, 2)),
    'sum-vector': (lambda x: lg.sum(x, 0), lambda x: T.sum(x, 0, keepdim=True), normal(7)),
    'mean': (lambda x: lg.mean(x), T.mean, normal(3, 4)),
    'mean-dim': (lambda x: lg.mean(x, 1), lambda x: T.mean(x, 1, keepdim=True), normal(3, 5)),
    'max': (lambda x: lg.max(x), T.max, distinct(3, 4)),
    'min': (lambda x: lg.min(x), T.min, distinct(3, 4)),
    'max-dim0': (lambda x: lg.max(x, 0)[0], lambda x: T.max(x, 0, keepdim=True)[0], distinct(3, 4)),
    'max-dim1': (lambda x: lg.max(x, 1)[0], lambda x: T.max(x, 1, keepdim=True)[0], distinct(3, 4, 2)),
    'min-dim1': (lambda x: lg.min(x, 1)[0], lambda x: T.min(x, 1, keepdim=True)[0], distinct(3, 4)),
    'max-method': (lambda x: x.max(1)[0], lambda x: x.max(1, keepdim=True)[0], distinct(4, 3)),
    # shapes
    'view': (lambda x: lg.view(x, 4, 3), lambda x: x.reshape(4, 3), normal(3, 4)),
    'view-method': (lambda x: x.view(2, 6), lambda x: x.reshape(2, 6), normal(3, 4)),
    'view-1': (lambda x: lg.view(x, -1), lambda x: x.reshape(-1), normal(3, 4)),
    'reshape': (lambda x: lg.reshape(x, 6, 2), lambda x: x.reshape(6, 2), normal(3, 4)),
    'expand': (lambda x: lg.expand(x, 3, 4), lambda x: x.expand(3, 4), normal(1, 4)),
    'expand-method': (lambda x: x.expand(4, 3), lambda x: x.expand(4, 3), normal(4, 1)),
    'transpose': (lambda x: lg.transpose(x, 0, 2), lambda x: x.transpose(0, 2), normal(2, 3, 4)),
    't': (lambda x: lg.t(x), lambda x: x.t(), normal(3, 4)),
    't-method': (lambda x: x.t(), lambda x: x.t(), normal(3, 4)),
    'contiguous': (lambda x: lg.contiguous(lg.t(x)), lambda x: x.t().contiguous(), normal(3, 4)),
    'clone': (lambda x: lg.clone(x) * x, lambda x: x.clone() * x, normal(3, 4)),
    'squeeze': (lambda x: lg.squeeze(x), lambda x: x.squeeze(), normal(3, 1, 4)),
    'squeeze-dim': (lambda x: lg.squeeze(x, 1), lambda x: x.squeeze(1), normal(3, 1, 4)),
    'repeatTensor': (lambda x: lg.repeatTensor(x, 2, 3), lambda x: x.repeat(2, 3), normal(3, 4)),
    'repeatTensor-new-dim': (lambda x: lg.repeatTensor(x, 2, 1, 3), lambda x: x.repeat(2, 1, 3), normal(3, 4)),
    'repeatTensor-size1': (lambda x: lg.repeatTensor(x, 3, 2), lambda x: x.repeat(3, 2), normal(1, 4)),
    # indexing (0-based)
    'narrow': (lambda x: lg.narrow(x, 1, 1, 2), lambda x: x.narrow(1, 1, 2), normal(3, 4)),
    'narrow-method': (lambda x: x.narrow(0, 2, 1), lambda x: x.narrow(0, 2, 1), normal(3, 4)),
    'select': (lambda x: lg.select(x, 1, 2), lambda x: x.select(1, 2), normal(3, 4)),
    'select-method': (lambda x: x.select(0, 1), lambda x: x.select(0, 1), normal(3, 4)),
    'get': (lambda x: x[1], lambda x: x[1], normal(3, 4)),
    'get-get': (lambda x: x[2][1] * x[0], lambda x: x[2][1] * x[0], normal(3, 4)),
    'index-repeated': (lambda x: lg.index(x, 0, lg.LongTensor(IDX)),
                       lambda x: T.index_select(x, 0, T.tensor(IDX)), normal(3, 4)),
    'index-dim1': (lambda x: lg.index(x, 1, lg.LongTensor(IDX)),
                   lambda x: T.index_select(x, 1, T.tensor(IDX)), normal(2, 3)),
    'gather-repeated': (lambda x: lg.gather(x, 0, lg.LongTensor(GATHER)),
                        lambda x: T.gather(x, 0, T.tensor(GATHER)), normal(3, 4)),
    'gather-dim1': (lambda x: lg.gather(x, 1, lg.LongTensor(GATHER).t()),
                    lambda x: T.gather(x, 1, T.tensor(GATHER).t()), normal(4, 3)),
    'expand-more-dims': (lambda x: lg.expand(x, 2, 3, 4), lambda x: x.expand(2, 3, 4), normal(3, 1)),
    'squeeze-to-number': (lambda x: lg.squeeze(x) * 2, lambda x: x.squeeze() * 2, normal(1, 1)),
    'select-of-vector': (lambda x: lg.select(x, 0, 3) * x, lambda x: x.select(0, 3) * x, normal(5)),
    'sum-dim-size1': (lambda x: lg.sum(x, 1), lambda x: T.sum(x, 1, keepdim=True), normal(3, 1)),
    'mean-dim-3d': (lambda x: lg.mean(x, 0), lambda x: T.mean(x, 0, keepdim=True), normal(3, 2, 4)),
    'max-vector-dim0': (lambda x: lg.max(x, 0)[0], lambda x: T.max(x, 0, keepdim=True)[0], distinct(6)),
    'one-element': (lambda x: lg.sum(lg.exp(x)) * lg.max(x), lambda x: T.exp(x).sum() * x.max(), normal(1)),
    'index-3d-dim1': (lambda x: lg.index(x, 1, lg.LongTensor([1, 1, 0])),
                      lambda x: T.index_select(x, 1, T.tensor([1, 1, 0])), normal(2, 3, 2)),
    'gather-3d': (lambda x: lg.gather(x, 2, lg.LongTensor(np.array(GATHER * 2).reshape(2, 3, 4) % 3)),
                  lambda x: T.gather(x, 2, T.tensor(np.array(GATHER * 2).reshape(2, 3, 4) % 3)), normal(2, 3, 3)),
    'sigmoid-large': (lambda x: lg.sigmoid(x * 40), lambda x: T.sigmoid(x * 40), normal(3, 4)),
    'tanh-large': (lambda x: lg.tanh(x * 40), lambda x: T.tanh(x * 40), normal(3, 4)),
    'util.cat-numbers': (lambda x: util.cat([lg.sum(x), lg.max(x), 3.0]) * lg.narrow(x, 0, 0, 3),
                         lambda x: T.stack([x.sum(), x.max(), x.new_tensor(3.0)]) * x[:3], distinct(4)),
    # negative dimensions (legonn takes them as NumPy does; Torch7's were 1-based and positive)
    'sum-negative-dim': (lambda x: lg.sum(x, -1), lambda x: x.sum(-1, keepdim=True), normal(3, 4)),
    'max-negative-dim': (lambda x: lg.max(x, -2)[0], lambda x: x.max(-2, keepdim=True)[0], distinct(3, 4)),
    'narrow-negative-dim': (lambda x: lg.narrow(x, -1, 1, 2), lambda x: x.narrow(-1, 1, 2), normal(3, 4)),
    'select-negative-dim': (lambda x: lg.select(x, -1, 1), lambda x: x.select(-1, 1), normal(3, 4)),
    'transpose-negative-dim': (lambda x: lg.transpose(x, -1, 0), lambda x: x.transpose(-1, 0), normal(2, 3, 4)),
    'index-negative-dim': (lambda x: lg.index(x, -1, lg.LongTensor([1, 1])),
                           lambda x: x.index_select(-1, T.tensor([1, 1])), normal(3, 4)),
    'repeatTensor-vector': (lambda x: lg.repeatTensor(x, 2), lambda x: x.repeat(2), normal(5)),
    'util.lookup': (lambda x: util.lookup(x, lg.LongTensor([[2, 0], [2, 1], [3, 3]])),
                    lambda x: x[T.tensor([[2, 0], [2, 1], [3, 3]])], normal(4, 5)),
    # util's compositions (one sample: over the whole tensor)
    'util.logSumExp': (lambda x: util.logSumExp(x), lambda x: T.logsumexp(x.reshape(-1), 0), normal(3, 4)),
    'util.logSumExp-large': (lambda x: util.logSumExp(x * 300), lambda x: T.logsumexp(x.reshape(-1) * 300, 0),
                             normal(6)),
    'util.logSoftMax': (lambda x: util.logSoftMax(x), lambda x: T.log_softmax(x, 0), normal(6)),
    'util.logSoftMax-2d': (lambda x: util.logSoftMax(x),
                           lambda x: T.log_softmax(x.reshape(-1), 0).reshape(x.shape), normal(2, 3)),
}

BINARY = {
    # functions of two tensors (and broadcasting, which legonn's operators take from NumPy)
    'add': (lambda x, y: lg.add(x, y), T.add, two((3, 4), (3, 4))),
    'add-value': (lambda x, y: lg.add(x, 0.3, y), lambda x, y: x + 0.3 * y, two((3, 4), (3, 4))),
    'cmul': (lambda x, y: lg.cmul(x, y), T.mul, two((3, 4), (3, 4))),
    'cdiv': (lambda x, y: lg.cdiv(x, y), T.div, two((3, 4), (3, 4), low=0.3)),
    'cmax': (lambda x, y: lg.cmax(x, y), T.maximum, two((3, 4), (3, 4))),
    'cmin': (lambda x, y: lg.cmin(x, y), T.minimum, two((3, 4), (3, 4))),
    'op-add-bcast-row': (lambda x, y: x + y, lambda x, y: x + y, two((3, 4), (4,))),
    'op-sub-bcast-col': (lambda x, y: x - y, lambda x, y: x - y, two((3, 4), (3, 1))),
    'op-mul-bcast': (lambda x, y: x * y, lambda x, y: x * y, two((2, 1, 4), (3, 1))),
    'op-div-bcast': (lambda x, y: x / y, lambda x, y: x / y, two((3, 4), (1, 4), low=0.3)),
    'op-pow-tensors': (lambda x, y: x ** y, lambda x, y: x ** y, two((3, 4), (3, 4), low=0.3)),
    'op-sub-reversed': (lambda x, y: y - x, lambda x, y: y - x, two((4,), (3, 4))),
    # matrix products
    'mm': (lambda x, y: lg.mm(x, y), T.mm, two((3, 4), (4, 5))),
    'mv': (lambda x, y: lg.mv(x, y), T.mv, two((3, 4), (4,))),
    'dot': (lambda x, y: lg.dot(x, y), T.dot, two((5,), (5,))),
    'dot-method': (lambda x, y: x.dot(y), lambda x, y: x.dot(y), two((5,), (5,))),
    'ger': (lambda x, y: lg.ger(x, y), T.outer, two((3,), (4,))),
    'bmm': (lambda x, y: lg.bmm(x, y), T.bmm, two((2, 3, 4), (2, 4, 5))),
    'matmul-mm': (lambda x, y: x @ y, lambda x, y: x @ y, two((3, 4), (4, 2))),
    'matmul-mv': (lambda x, y: x @ y, lambda x, y: x @ y, two((3, 4), (4,))),
    'matmul-vm': (lambda x, y: x @ y, lambda x, y: x @ y, two((3,), (3, 4))),
    'matmul-vv': (lambda x, y: x @ y, lambda x, y: x @ y, two((4,), (4,))),
    'matmul-batched': (lambda x, y: x @ y, lambda x, y: x @ y, two((2, 3, 4), (4, 5))),
    'matmul-batched-bcast': (lambda x, y: x @ y, lambda x, y: x @ y, two((2, 1, 3, 4), (3, 4, 2))),
    'matmul-batched-vector': (lambda x, y: x @ y, lambda x, y: x @ y, two((2, 3, 4), (4,))),
    # joins and views of two
    'cat-dim0': (lambda x, y: lg.cat(x, y, 0), lambda x, y: T.cat([x, y], 0), two((2, 4), (3, 4))),
    'cat-dim1': (lambda x, y: lg.cat(x, y, 1), lambda x, y: T.cat([x, y], 1), two((3, 2), (3, 4))),
    'cat-last': (lambda x, y: lg.cat(x, y), lambda x, y: T.cat([x, y], -1), two((3, 2), (3, 4))),
    'cat-list': (lambda x, y: lg.cat([x, y, x], 0), lambda x, y: T.cat([x, y, x], 0), two((2, 3), (1, 3))),
    'cat-method': (lambda x, y: x.cat(y, 0), lambda x, y: T.cat([x, y], 0), two((2, 3), (4, 3))),
    'cat-vectors-dim1': (lambda x, y: lg.cat(x, y, 1), lambda x, y: T.stack([x, y], 1), two((3,), (3,))),
    'viewAs': (lambda x, y: lg.viewAs(x, y) * y, lambda x, y: x.reshape(y.shape) * y, two((3, 4), (6, 2))),
    'expandAs': (lambda x, y: lg.expandAs(x, y) * y, lambda x, y: x.expand_as(y) * y, two((3, 1), (3, 4))),
    'scatter': (lambda x, y: lg.scatter(x, 0, lg.LongTensor(SCATTER), y),
                lambda x, y: T.scatter(x, 0, T.tensor(SCATTER), y), two((3, 4), (2, 4))),
    'scatterAdd-method': (lambda x, y: (x * 1).scatterAdd(1, lg.LongTensor(SCATTER), y),
                          lambda x, y: T.scatter_add(x, 1, T.tensor(SCATTER), y), two((2, 4), (2, 4))),
    # a source larger than the index: only its first rows and columns are read (PyTorch's scatter backward
    # refuses that source, so it is given the part read)
    'scatter-larger-source': (lambda x, y: lg.scatter(x, 0, lg.LongTensor(SCATTER), y),
                              lambda x, y: T.scatter(x, 0, T.tensor(SCATTER), y[:2, :4]), two((3, 4), (3, 5))),
    # Torch7 pairs the elements of tensors of one count (the answer in the first one's shape): PyTorch is given
    # the second viewed in the first's shape
    'cmul-by-count': (lambda x, y: lg.cmul(x, y), lambda x, y: x * y.reshape(x.shape), two((3, 4), (12,))),
    'cdiv-by-count': (lambda x, y: lg.cdiv(x, y), lambda x, y: x / y.reshape(x.shape), two((2, 6), (3, 4), low=0.3)),
    'add-by-count': (lambda x, y: lg.add(x, y), lambda x, y: x + y.reshape(x.shape), two((12,), (3, 4))),
    'cmax-by-count': (lambda x, y: lg.cmax(x, y), lambda x, y: T.maximum(x, y.reshape(x.shape)),
                      two((3, 4), (12,))),
    'dot-by-count': (lambda x, y: lg.dot(x, y), lambda x, y: (x.reshape(-1) * y.reshape(-1)).sum(),
                     two((3, 4), (12,))),
    # x[k] = v in a trace (the Lua's set): a row, an element, a slice filled by a broadcast row
    'set-row': (lambda x, y: _set(x, 1, y), lambda x, y: _tset(x, 1, y), two((3, 4), (4,))),
    'set-element': (lambda x, y: _set(x, (2, 1), y[0] * 2), lambda x, y: _tset(x, (2, 1), y[0] * 2),
                    two((3, 4), (2,))),
    'set-slice-number': (lambda x, y: _set(x, slice(1, 3), lg.sum(y)), lambda x, y: _tset(x, slice(1, 3), y.sum()),
                         two((4, 3), (2,))),
    'set-slice-broadcast': (lambda x, y: _set(x, slice(1, 3), y), lambda x, y: _tset(x, slice(1, 3), y),
                            two((4, 3), (3,))),
    # x[k] in a trace: a slice, an element, rows picked twice, a mask
    'get-slice': (lambda x, y: x[1:3] * y, lambda x, y: x[1:3] * y, two((4, 3), (2, 3))),
    'get-tuple': (lambda x, y: x[1, 2] * y, lambda x, y: x[1, 2] * y, two((4, 3), (2, 3))),
    'get-list': (lambda x, y: x[[2, 0, 2]] * y, lambda x, y: x[[2, 0, 2]] * y, two((4, 3), (3, 3))),
    'get-mask': (lambda x, y: x[lg.gt(y, 0)], lambda x, y: x[y > 0], two((4, 3), (4, 3))),
    # transposed (strided) operands of the matrix products, nested views
    'mv-transposed': (lambda x, y: lg.mv(lg.t(x), y), lambda x, y: x.t() @ y, two((4, 3), (4,))),
    'mm-transposed': (lambda x, y: lg.mm(lg.t(x), lg.t(y)), lambda x, y: x.t() @ y.t(), two((4, 3), (5, 4))),
    'bmm-transposed': (lambda x, y: lg.bmm(lg.transpose(x, 1, 2), y), lambda x, y: x.transpose(1, 2) @ y,
                       two((2, 4, 3), (2, 4, 5))),
    'narrow-narrow': (lambda x, y: lg.narrow(lg.narrow(x, 0, 1, 2), 1, 1, 2) * y, lambda x, y: x[1:3, 1:3] * y,
                      two((3, 4), (2, 2))),
    'repeatTensor-3d': (lambda x, y: lg.repeatTensor(x, 2, 1, 2) * y, lambda x, y: x.repeat(2, 1, 2) * y,
                        two((1, 3, 2), (2, 3, 4))),
    'cat-negative-dim': (lambda x, y: lg.cat(x, y, -2), lambda x, y: T.cat([x, y], -2), two((2, 3), (1, 3))),
    'number-div-tensor': (lambda x, y: 2.0 / x * y, lambda x, y: 2 / x * y, two((3, 4), (3, 4), low=0.3)),
    'util.logSumExp-shifted': (lambda x, y: util.logSumExp(x - 1000) * y,
                               lambda x, y: T.logsumexp((x - 1000).reshape(-1), 0) * y, two((3,), (2,))),
    # autograd.util's adjoints, differentiated (gradients of gradients)
    'util.selectSliceCopy': (lambda x, y: util.selectSliceCopy(x, y, 1, 2),
                             lambda x, y: T.zeros_like(y).select_scatter(x, 1, 2), two((3,), (3, 4))),
    'util.narrowSliceCopy': (lambda x, y: util.narrowSliceCopy(x, y, 0, 1, 2),
                             lambda x, y: T.zeros_like(y).slice_scatter(x, 0, 1, 3), two((2, 4), (3, 4))),
    'util.indexAdd': (lambda x, y: util.indexAdd(x, y, 0, lg.LongTensor(IDX)),
                      lambda x, y: T.zeros_like(y).index_add(0, T.tensor(IDX), x), two((4, 3), (3, 3))),
    'support.copy': (lambda x, y: support.copy(x * 1, y) * x, lambda x, y: y.reshape(x.shape) * x,
                     two((2, 3), (3, 2))),
    'support.typeAs': (lambda x, y: support.typeAs(x, y) * y, lambda x, y: x * y, two((3, 4), (3, 4))),
}


def _unary_case(name):
    ours, theirs, make = UNARY[name]
    return (lambda p: ours_weighted(ours(p['x'])), lambda p: theirs_weighted(theirs(p['x'])), make)


def _binary_case(name):
    ours, theirs, make = BINARY[name]
    return (lambda p: ours_weighted(ours(p['x'], p['y'])), lambda p: theirs_weighted(theirs(p['x'], p['y'])),
            make)


CASES = {**{n: _unary_case(n) for n in UNARY}, **{n: _binary_case(n) for n in BINARY}}


@pytest.mark.parametrize('layout', ['contiguous', 'strided'])
@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('name', sorted(CASES))
def test_function(name, mode, layout):
    """A function's value and gradients; ``strided``: its parameters as non-contiguous views (NaN between their
    elements)."""
    ours, theirs, make = CASES[name]
    params = make(rng(name))
    assert_close(run_ours(ours, params, mode, noncontig=(layout == 'strided')), run_theirs(theirs, params))


# ---------------------------------------------------------------------------------------------------------------
# number parameters, and functions of three and more arguments

def test_number_parameters():
    """``add(x, v, y)``, a number times a tensor, a number in a power: the gradient of a number parameter."""
    def ours(p):
        return ours_weighted(lg.add(p['x'], p['v'], p['y']) * p['a'] + p['a'] ** 2 * p['v'])

    def theirs(p):
        return theirs_weighted((p['x'] + p['v'] * p['y']) * p['a'] + p['a'] ** 2 * p['v'])
    r = rng('numbers')
    params = {'x': r.standard_normal((3, 4)), 'y': r.standard_normal((3, 4)), 'v': 0.3, 'a': -1.2}
    for mode in MODES:
        assert_close(run_ours(ours, params, mode), run_theirs(theirs, params))


BADDBMM = {
    'M,X,Y': (lambda p: lg.baddbmm(p['m'], p['x'], p['y']), lambda p: p['m'] + p['x'] @ p['y']),
    'v1,M,X,Y': (lambda p: lg.baddbmm(p['v1'], p['m'], p['x'], p['y']),
                 lambda p: p['v1'] * p['m'] + p['x'] @ p['y']),
    'v1,M,v2,X,Y': (lambda p: lg.baddbmm(p['v1'], p['m'], p['v2'], p['x'], p['y']),
                    lambda p: p['v1'] * p['m'] + p['v2'] * (p['x'] @ p['y'])),
}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('form', sorted(BADDBMM))
def test_baddbmm(form, mode):
    """baddbmm's three argument patterns (gradfuns.lua's comments), the numbers among the parameters."""
    ours, theirs = BADDBMM[form]
    r = rng('baddbmm' + form)
    params = {'m': r.standard_normal((2, 3, 5)), 'x': r.standard_normal((2, 3, 4)), 'y': r.standard_normal((2, 4, 5))}
    params.update({k: v for k, v in (('v1', 0.7), ('v2', -1.3)) if k in form.lower()})
    assert_close(run_ours(lambda p: ours_weighted(ours(p)), params, mode),
                 run_theirs(lambda p: theirs_weighted(theirs(p)), params))


@pytest.mark.parametrize('mode', MODES)
def test_inverse(mode):
    r = rng('inverse')
    params = {'x': r.standard_normal((4, 4)) + 4 * np.eye(4)}
    assert_close(run_ours(lambda p: ours_weighted(lg.inverse(p['x'])), params, mode),
                 run_theirs(lambda p: theirs_weighted(T.linalg.inv(p['x'])), params), rtol=1e-9)


@pytest.mark.parametrize('mode', MODES)
def test_gradient_of_gradient(mode):
    """A gradient of a gradient (autograd inside autograd; torch's create_graph): d/dx sum(w * d/dx f(x)), both
    in ``mode``."""
    inner = autograd(lambda p: lg.sum(lg.cmul(lg.tanh(p['x']), lg.sin(p['x']))) + lg.sum(p['x'] @ p['x']),
                     optimize=(mode == 'optimized'))

    def ours(p):
        return ours_weighted(inner(p)[0]['x'])

    def theirs(p):
        x = p['x']
        f = (T.tanh(x) * T.sin(x)).sum() + (x @ x).sum()
        (g,) = T.autograd.grad(f, x, create_graph=True)
        return theirs_weighted(g)
    params = {'x': rng('grad-of-grad').standard_normal((3, 3))}
    assert_close(run_ours(ours, params, mode), run_theirs(theirs, params))


# ---------------------------------------------------------------------------------------------------------------
# where torch-autograd's gradient is not PyTorch's: legonn follows gradfuns.lua, the case asserts the difference

def test_abs_at_zero():
    """abs's gradient at 0: gradfuns.lua's ``g * sign(x)``, 0; PyTorch's is 0 too."""
    params = {'x': np.array([-1.5, 0.0, 2.0, 0.0])}
    for mode in MODES:
        assert_close(run_ours(lambda p: ours_weighted(lg.abs(p['x'])), params, mode),
                     run_theirs(lambda p: theirs_weighted(T.abs(p['x'])), params))


@pytest.mark.parametrize('mode', MODES)
def test_clamp_at_its_bounds(mode):
    """An element equal to a bound: gradfuns.lua:365-370 masks the gradient with ``ne(ans, min) == ne(ans, max)``,
    0 where the answer is a bound; PyTorch's clamp passes it where ``min <= x <= max`` (1 at a bound)."""
    x = np.array([-2.0, -0.5, 0.0, 0.7, 3.0, 0.2])
    ours = run_ours(lambda p: ours_weighted(lg.clamp(p['x'], -0.5, 0.7)), {'x': x}, mode)
    theirs = run_theirs(lambda p: theirs_weighted(T.clamp(p['x'], -0.5, 0.7)), {'x': x})
    w = weights(x.shape)
    at_bound = (x == -0.5) | (x == 0.7)
    inside = (x > -0.5) & (x < 0.7)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL)
    np.testing.assert_array_equal(ours[1][0], np.where(inside, w, 0.0))
    np.testing.assert_array_equal(theirs[1][0], np.where(inside | at_bound, w, 0.0))


@pytest.mark.parametrize('mode', MODES)
def test_clamp_with_equal_bounds(mode):
    """min == max: every answer is the bound, both ``ne`` are false, their ``eq`` true: gradfuns.lua passes the
    whole gradient; PyTorch passes it only where x equals the bound."""
    x = np.array([-1.0, 0.25, 2.0])
    ours = run_ours(lambda p: ours_weighted(lg.clamp(p['x'], 0.25, 0.25)), {'x': x}, mode)
    theirs = run_theirs(lambda p: theirs_weighted(T.clamp(p['x'], 0.25, 0.25)), {'x': x})
    w = weights(x.shape)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL)
    np.testing.assert_array_equal(ours[1][0], w)
    np.testing.assert_array_equal(theirs[1][0], np.where(x == 0.25, w, 0.0))


TIES = np.array([[1.0, 3.0, 3.0, -2.0],
                 [0.5, 0.5, -1.0, 0.5],
                 [3.0, 0.0, 2.0, 2.0]])


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('which', ['max', 'min'])
def test_extremum_ties_whole_tensor(which, mode):
    """Ties of max/min over the whole tensor: gradfuns.lua:457-462 (``setNotEqual(x, repeater(ans), 0,
    repeater(g))``) gives every tied element the whole gradient; PyTorch's max() splits it evenly among them."""
    x = TIES if which == 'max' else -TIES
    ours = run_ours(lambda p: getattr(lg, which)(p['x']) * 0.7, {'x': x}, mode)
    theirs = run_theirs(lambda p: getattr(T, which)(p['x']) * 0.7, {'x': x})
    tied = x == (x.max() if which == 'max' else x.min())
    assert tied.sum() == 3
    np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL)
    np.testing.assert_array_equal(ours[1][0], np.where(tied, 0.7, 0.0))
    np.testing.assert_allclose(theirs[1][0], np.where(tied, 0.7 / 3, 0.0), rtol=RTOL)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('which', ['max', 'min'])
def test_extremum_ties_along_dim(which, mode):
    """Ties of max/min along a dimension: every tied element of a row gets the row's gradient (gradfuns.lua);
    PyTorch's max(x, dim) gives it to the one element whose index it returns."""
    x = TIES if which == 'max' else -TIES
    ours = run_ours(lambda p: ours_weighted(getattr(lg, which)(p['x'], 1)[0]), {'x': x}, mode)
    theirs = run_theirs(lambda p: theirs_weighted(getattr(T, which)(p['x'], 1, keepdim=True)[0]), {'x': x})
    w = weights((3, 1))
    ext = x.max(1, keepdims=True) if which == 'max' else x.min(1, keepdims=True)
    tied = x == ext
    np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL)
    np.testing.assert_array_equal(ours[1][0], np.where(tied, w, 0.0))
    # PyTorch: one element of each row has the row's weight, the others of the tie none
    g = theirs[1][0]
    np.testing.assert_array_equal((g != 0).sum(1), [1, 1, 1])
    np.testing.assert_allclose(g.sum(1, keepdims=True), w, rtol=RTOL)
    assert np.all(tied[g != 0])


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('which', ['cmax', 'cmin'])
def test_elementwise_extremum_ties(which, mode):
    """cmax/cmin where x == y: gradfuns.lua:465-480 gives both arguments the whole gradient (``setNotEqual(x, ans,
    0, g)`` and the same for y); PyTorch's maximum/minimum give each half."""
    x = np.array([[1.0, 2.0, -3.0], [0.5, 4.0, 0.0]])
    y = np.array([[1.0, 1.0, -2.0], [0.5, 5.0, 0.0]])
    fn = {'cmax': T.maximum, 'cmin': T.minimum}[which]
    ours = run_ours(lambda p: ours_weighted(getattr(lg, which)(p['x'], p['y'])), {'x': x, 'y': y}, mode)
    theirs = run_theirs(lambda p: theirs_weighted(fn(p['x'], p['y'])), {'x': x, 'y': y})
    w = weights(x.shape)
    tie = x == y
    x_wins = (x > y) if which == 'cmax' else (x < y)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL)
    np.testing.assert_array_equal(ours[1][0], np.where(tie | x_wins, w, 0.0))
    np.testing.assert_array_equal(ours[1][1], np.where(tie | ~x_wins, w, 0.0))
    np.testing.assert_allclose(theirs[1][0], np.where(tie, w / 2, np.where(x_wins, w, 0.0)), rtol=RTOL)
    np.testing.assert_allclose(theirs[1][1], np.where(tie, w / 2, np.where(x_wins, 0.0, w)), rtol=RTOL)


# ---------------------------------------------------------------------------------------------------------------
# autograd.loss (loss/init.lua) against the same maths in PyTorch; the target is an argument, not a parameter

def _probs(r, shape):
    return r.uniform(0.05, 0.95, shape)


def _onehot(r, shape):
    t = np.zeros(shape)
    t[np.arange(shape[0]), r.integers(0, shape[1], shape[0])] = 1.0
    return t


LOSSES = {
    'leastSquares': (lambda out, t: agloss.leastSquares(out, t),
                     lambda out, t: ((out - t) ** 2).sum(), lambda r: r.standard_normal((4, 3)), np.zeros),
    'crossEntropy': (lambda out, t: agloss.crossEntropy(out, t),
                     lambda out, t: -(T.log_softmax(out.reshape(-1), 0).reshape(out.shape) * t).sum(),
                     lambda r: r.standard_normal((1, 5)), 'onehot'),
    'crossEntropy-vector': (lambda out, t: agloss.crossEntropy(out, t),
                            lambda out, t: -(T.log_softmax(out, 0) * t).sum(),
                            lambda r: r.standard_normal(6), 'probs'),
    'binaryCrossEntropy': (lambda out, t: agloss.binaryCrossEntropy(out, t),
                           lambda out, t: -(t * T.log(T.sigmoid(out) * (1 - 2e-6) + 1e-6)
                                            + (1 - t) * T.log(1 - (T.sigmoid(out) * (1 - 2e-6) + 1e-6))).sum(),
                           lambda r: r.standard_normal((3, 4)), 'binary'),
    'logMultinomialLoss': (lambda out, t: agloss.logMultinomialLoss(out, t), lambda out, t: -(out * t).sum(),
                           lambda r: r.standard_normal((3, 4)), 'onehot'),
    'logBCELoss': (lambda out, t: agloss.logBCELoss(out, t),
                   lambda out, t: -(t * T.log(out) + (1 - t) * T.log(1 - out)).sum(),
                   lambda r: _probs(r, (3, 4)), 'binary'),
    'logBCELoss-p': (lambda out, t: agloss.logBCELoss(out, t, 0.01),
                     lambda out, t: -(t * T.log(out + 0.01) + (1 - t) * T.log(1 - (out + 0.01))).sum(),
                     lambda r: _probs(r, (3, 4)), 'binary'),
    'margin': (lambda out, t: agloss.margin(out, t),
               lambda out, t: T.clamp(1 - (out[t == 1].reshape(-1, 1) - out[t == 0].reshape(1, -1)), min=0).sum(),
               lambda r: r.standard_normal(8) * 0.8, 'binary'),
    'margin-2': (lambda out, t: agloss.margin(out, t, 2.5),
                 lambda out, t: T.clamp(2.5 - (out[t == 1].reshape(-1, 1) - out[t == 0].reshape(1, -1)),
                                        min=0).sum(),
                 lambda r: r.standard_normal(7), 'binary'),
}


def _target(kind, r, shape):
    if kind == 'onehot':
        return _onehot(r, shape)
    if kind == 'probs':
        p = r.uniform(0.1, 1.0, shape)
        return p / p.sum()
    if kind == 'binary':
        t = (r.uniform(size=shape) > 0.5).astype(np.float64)
        t.flat[:2] = [0.0, 1.0]          # both classes present (margin pairs them)
        return t
    return r.standard_normal(shape)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('name', sorted(LOSSES))
def test_loss(name, mode):
    ours, theirs, make, kind = LOSSES[name]
    r = rng('loss' + name)
    out = make(r)
    target = _target(kind, r, out.shape)
    got = run_ours(lambda p, t: ours(p['out'], t), {'out': out}, mode, lg.from_numpy(target.copy()))
    want = run_theirs(lambda p, t: theirs(p['out'], t), {'out': out}, torch.from_numpy(target))
    assert_close(got, want)


# ---------------------------------------------------------------------------------------------------------------
# autograd.model's networks (wrapped nn modules, and LSTM/RNN written with legonn functions) against the same
# network in PyTorch, their parameters set to seeded random values

def _random_like(tree, r):
    """NumPy arrays of random values in the structure of a model's parameters (lists and dicts of tensors)."""
    return tree_map(lambda t: r.uniform(-0.6, 0.6, tuple(t.size())), tree)


TORCH_ACTIVATION = {'Tanh': T.tanh, 'ReLU': T.relu, 'Sigmoid': T.sigmoid, None: lambda x: x}


def _torch_mlp(opt):
    """NeuralNetwork: x reshaped to inputFeatures (a batch when it holds more), then per layer x W^T + b and the
    activation (none after the last with ``classifier``)."""
    hidden, n = opt['hiddenFeatures'], opt['inputFeatures']

    def f(params, x):
        x = x.reshape(-1, n) if x.numel() != n else x.reshape(n)
        for i, (w, b) in enumerate(params):
            x = x @ w.t() + b
            if not (opt.get('classifier') and i == len(hidden) - 1):
                x = TORCH_ACTIVATION[opt['activations']](x)
        return x
    return f


MLPS = {
    'relu': dict(inputFeatures=4, hiddenFeatures=[5, 3], activations='ReLU'),
    'tanh-classifier': dict(inputFeatures=4, hiddenFeatures=[6, 5, 3], activations='Tanh', classifier=True),
    'sigmoid-one-sample': dict(inputFeatures=6, hiddenFeatures=[4, 2], activations='Sigmoid', one=True),
    'batchnorm': dict(inputFeatures=4, hiddenFeatures=[5, 3], activations='Tanh', batchNormalization=True,
                      classifier=True),
}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('name', sorted(MLPS))
def test_neural_network(name, mode):
    """model.NeuralNetwork: Reshape, then Linear (+ BatchNormalization) + activation per layer (nnwrapper)."""
    opt = dict(MLPS[name])
    one = opt.pop('one', False)
    f, params, _ = model.NeuralNetwork(dict(opt))
    r = rng('mlp' + name)
    values = _random_like(params, r)
    x = r.standard_normal((opt['inputFeatures'],) if one else (6, 2, opt['inputFeatures'] // 2))
    ours = run_ours(lambda p, x: ours_weighted(f(p, x)), values, mode, lg.from_numpy(x.copy()))
    tf = (_torch_bn_mlp if opt.get('batchNormalization') else _torch_mlp)(opt)
    theirs = run_theirs(lambda p, x: theirs_weighted(tf(p, x)), values, torch.from_numpy(x))
    assert_close(ours, theirs)


def _torch_bn_mlp(opt):
    """NeuralNetwork with batchNormalization: params [W, b], [gamma, beta] per hidden layer, the last [W, b]."""
    hidden, n = opt['hiddenFeatures'], opt['inputFeatures']

    def f(params, x):
        x = x.reshape(-1, n)
        k = 0
        for i in range(len(hidden)):
            w, b = params[k]
            x = x @ w.t() + b
            k += 1
            if i < len(hidden) - 1:
                gamma, beta = params[k]
                k += 1
                x = T.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5)
                x = TORCH_ACTIVATION[opt['activations']](x)
        return x
    return f


def _torch_recurrence(cell):
    """The network of a step function ``cell(p, x_t, h, c) -> (h, c)`` over the steps of ``x`` (steps x
    features, or batch x steps x features) from zero state: the last h, or every step's."""
    def f(params, x, hidden, output_all):
        x = x.reshape(1, *x.shape) if x.dim() == 2 else x
        h = c = x.new_zeros(x.shape[0], hidden)
        hs = []
        for t in range(x.shape[1]):
            h, c = cell(params[0], x[:, t], h, c)
            hs.append(h)
        return T.stack(hs, 1) if output_all else h
    return f


def _rnn_cell(p, xt, h, c):
    return T.tanh(T.cat([xt, h], 1) @ p['W'] + p['b']), c


def _lstm_cell(p, xt, h, c):
    i, f, o, v = (T.cat([xt, h], 1) @ p['W'] + p['b']).split(h.shape[1], 1)
    c = T.sigmoid(f) * c + T.sigmoid(i) * T.tanh(v)
    return T.sigmoid(o) * T.tanh(c), c


def _gru_cell(p, xt, h, c):
    r, z = T.sigmoid(T.cat([xt, h], 1) @ p['W'] + p['b']).split(h.shape[1], 1)
    v = T.tanh(T.cat([xt, h * r], 1) @ p['V'] + p['c'])
    return (1 - z) * h + z * v, c


def _torch_fast_weights(S, layer_norm, lam=0.9, eta=0.5):
    """RecurrentFWNetwork.lua: A = lambda A + eta h h^T; S + 1 inner steps h = relu(LN(x W + b + A h))."""
    def f(params, x, hidden, output_all):
        p = params[0]
        x = x.reshape(1, *x.shape) if x.dim() == 2 else x
        batch = x.shape[0]
        hp = x.new_zeros(batch, hidden)
        A = x.new_zeros(batch, hidden, hidden)
        hs = []
        for t in range(x.shape[1]):
            A = lam * A + eta * (hp.unsqueeze(2) @ hp.unsqueeze(1))
            dot = T.cat([x[:, t], hp], 1) @ p['W'] + p['b']
            h = x.new_zeros(batch, hidden)
            for _ in range(S + 1):
                h = dot + (A @ h.unsqueeze(2)).squeeze(2)
                if layer_norm:
                    h = T.nn.functional.layer_norm(h, (hidden,), eps=1e-5)
                h = T.relu(h)
            hs.append(h)
            hp = h
        return T.stack(hs, 1) if output_all else h
    return f


RECURRENT = {
    'rnn': (model.RecurrentNetwork, {}, _torch_recurrence(_rnn_cell)),
    'lstm': (model.RecurrentLSTMNetwork, {}, _torch_recurrence(_lstm_cell)),
    'gru': (model.RecurrentGRUNetwork, {}, _torch_recurrence(_gru_cell)),
    'fw': (model.RecurrentFWNetwork, {}, _torch_fast_weights(1, True)),
    # RecurrentFWNetwork.lua:14, ``opt.LayerNorm or true``: true whatever is given, so LayerNorm=False still
    # normalizes (legonn keeps the Lua's reading, docs/autograd.md)
    'fw-S2-LayerNorm-false': (model.RecurrentFWNetwork, {'S': 2, 'LayerNorm': False, 'lambda': 0.8, 'eta': 0.3},
                              _torch_fast_weights(2, True, 0.8, 0.3)),
}


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('output', ['last', 'all'])
@pytest.mark.parametrize('batch', [False, True])
@pytest.mark.parametrize('name', sorted(RECURRENT))
def test_recurrent_network(name, batch, output, mode):
    """model.RecurrentNetwork (h = tanh([x, h] W + b)), RecurrentLSTMNetwork (gates input, forget, output, then
    the input value), RecurrentGRUNetwork and RecurrentFWNetwork (fast weights, with and without layer
    normalization), over 4 steps from zero state."""
    build, opt, torch_fn = RECURRENT[name]
    made = build({'inputFeatures': 3, 'hiddenFeatures': 5, 'outputType': output, **opt})
    f, params = made[0], made[1]
    r = rng(f'{name}{batch}{output}')
    values = _random_like(params, r)
    x = r.standard_normal((2, 4, 3) if batch else (4, 3))
    ours = run_ours(lambda p, x: ours_weighted(f(p, x)[0]), values, mode, lg.from_numpy(x.copy()))
    theirs = run_theirs(lambda p, x: theirs_weighted(torch_fn(p, x, 5, output == 'all')), values,
                        torch.from_numpy(x))
    assert_close(ours, theirs)


def test_optimized_equals_direct():
    """The optimized (generated-code) runtime gives the direct runtime's value and gradients, to rounding, on
    every function case (each also compared with PyTorch above)."""
    for name, (ours, _, make) in sorted(CASES.items()):
        params = make(rng(name))
        (v, gs), (ov, ogs) = run_ours(ours, params, 'direct'), run_ours(ours, params, 'optimized')
        np.testing.assert_allclose(ov, v, rtol=1e-14, atol=1e-15, err_msg=name)
        for g, og in zip(gs, ogs):
            np.testing.assert_allclose(og, g, rtol=1e-14, atol=1e-15, err_msg=name)


# ---------------------------------------------------------------------------------------------------------------
# autograd.module's layers written with legonn functions

@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('shape', [(4, 6), (7,), (1, 3)])
def test_layer_normalization(shape, mode):
    """module.LayerNormalization: (x - mean) / sqrt(biased var + 1e-5) * gain + bias per row, PyTorch's
    layer_norm."""
    f, params = lgmodule.LayerNormalization({'nOutputs': shape[-1]})
    r = rng(f'ln{shape}')
    values = _random_like(params, r)
    x = r.standard_normal(shape)

    def theirs(p, x):
        p = p[0]
        y = T.nn.functional.layer_norm(x, (shape[-1],), eps=1e-5) * p['gain'][0] + p['bias'][0]
        return theirs_weighted(y)
    ours = run_ours(lambda p, x: ours_weighted(f(p, x)), values, mode, lg.from_numpy(x.copy()))
    assert_close(ours, run_theirs(theirs, values, torch.from_numpy(x)))


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('layer_norm', [False, True])
@pytest.mark.parametrize('batch', [False, True])
def test_soft_attention(batch, layer_norm, mode):
    """module.SoftAttention: focus = softmax(W_s . subject + h W_h + b), attention = subject . focus; both
    answers weighted into the loss."""
    f, params = lgmodule.SoftAttention({'hiddenFeatures': 3, 'subjectFeatures': 4, 'subjectChoices': 5,
                                        'layerNormalization': layer_norm})
    r = rng(f'att{batch}{layer_norm}')
    values = _random_like(params, r)
    subject = r.standard_normal((2, 4, 5) if batch else (4, 5))
    h = r.standard_normal((2, 3) if batch else (3,))

    def theirs(p, subject, h):
        p = p[0]
        s3 = subject if batch else subject.unsqueeze(0)
        h2 = h if batch else h.unsqueeze(0)
        logit = (p['W_att_subject'] @ s3).squeeze(1) + h2 @ p['W_att_h']
        if layer_norm:
            logit = (T.nn.functional.layer_norm(logit, (5,), eps=1e-5) * p['focus_ln_gain'][0]
                     + p['focus_ln_bias'][0])
        else:
            logit = logit + p['b_att']
        focus = T.softmax(logit, 1)
        attention = (s3 * focus.unsqueeze(1)).sum(2)
        if not batch:
            attention, focus = attention[0], focus[0]
        return theirs_weighted(attention) + theirs_weighted(focus * 3)

    def ours(p, subject, h):
        attention, focus = f(p, subject, h)
        return ours_weighted(attention) + ours_weighted(focus * 3)
    got = run_ours(ours, values, mode, lg.from_numpy(subject.copy()), lg.from_numpy(h.copy()))
    assert_close(got, run_theirs(theirs, values, torch.from_numpy(subject), torch.from_numpy(h)))


# ---------------------------------------------------------------------------------------------------------------
# nn modules and criterions wrapped as functions (nnwrapper), AutoModule and AutoCriterion, autograd.optim

@pytest.mark.parametrize('mode', MODES)
def test_wrapped_modules_and_criterions(mode):
    """autograd.nn's Linear, SpatialConvolution, Tanh, LookupTable, MSECriterion and ClassNLLCriterion in one
    function, the criterions' losses scaled (a criterion's gradient follows its loss's gradient)."""
    conv, conv_p = autograd.nn.SpatialConvolution(2, 3, 3, 2, 1, 1, 1, 0)
    linear, lin_p = autograd.nn.Linear(3 * 4 * 5, 4)
    lookup, look_p = autograd.nn.LookupTable(6, 4)
    tanh, logsoftmax = autograd.nn.Tanh(), autograd.nn.LogSoftMax()
    mse, nll = autograd.nn.MSECriterion(), autograd.nn.ClassNLLCriterion()
    r = rng('wrapped')
    values = {'conv': _random_like(conv_p, r), 'lin': _random_like(lin_p, r), 'look': _random_like(look_p, r)}
    x = r.standard_normal((2, 2, 5, 5))
    target = r.standard_normal((2, 4))
    labels = np.array([3, 0])
    rows = np.array([[1, 5], [1, 2]])

    def ours(p, x, target, labels, rows):
        h = tanh(conv(p['conv'], x))
        out = linear(p['lin'], lg.view(h, 2, 3 * 4 * 5)) + lg.sum(lookup(p['look'], rows), 1).view(2, 4)
        return 2.5 * mse(out, target) + 0.5 * nll(logsoftmax(out), labels)

    def theirs(p, x, target, labels, rows):
        h = T.tanh(T.nn.functional.conv2d(x, p['conv'][0], p['conv'][1], stride=(1, 1), padding=(0, 1)))
        out = h.reshape(2, -1) @ p['lin'][0].t() + p['lin'][1] + p['look'][0][rows].sum(1)
        return (2.5 * T.nn.functional.mse_loss(out, target)
                + 0.5 * T.nn.functional.nll_loss(T.log_softmax(out, 1), labels))
    got = run_ours(ours, values, mode, lg.from_numpy(x.copy()), lg.from_numpy(target.copy()),
                   lg.LongTensor(labels), lg.LongTensor(rows))
    want = run_theirs(theirs, values, torch.from_numpy(x), torch.from_numpy(target), torch.from_numpy(labels),
                      torch.from_numpy(rows))
    assert_close(got, want)


def test_auto_module_and_criterion():
    """AutoModule(fn)'s forward, backward (gradInput, and gradWeight/gradBias accumulated with ``scale``) and
    AutoCriterion(fn)'s loss and gradInput, against PyTorch's autograd of the same functions."""
    def fn(input, weight, bias):
        return lg.tanh(lg.mm(input, weight) + lg.expand(bias, support.size(input, 0), support.size(bias, 1)))

    def crit_fn(input, target):
        d = input - target
        return lg.sum(lg.cmul(lg.cmul(d, d), d)) / 3
    r = rng('auto')
    w, b = r.standard_normal((4, 3)), r.standard_normal((1, 3))
    x, gout, target = r.standard_normal((5, 4)), r.standard_normal((5, 3)), r.standard_normal((5, 3))
    module = autograd.nn.AutoModule('ParityAffineTanh')(fn, lg.from_numpy(w.copy()), lg.from_numpy(b.copy()))
    module.zeroGradParameters()
    out = np.array(module.forward(lg.from_numpy(x.copy())).array)
    gin = np.array(module.backward(lg.from_numpy(x.copy()), lg.from_numpy(gout.copy()), 0.5).array)
    module.backward(lg.from_numpy(x.copy()), lg.from_numpy(gout.copy()), 2.0)

    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tout = T.tanh(tx @ tw + tb)
    tout.backward(torch.from_numpy(gout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(gin, tx.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(module.gradWeight.array, 2.5 * tw.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(module.gradBias.array, 2.5 * tb.grad.numpy(), rtol=RTOL, atol=ATOL)

    crit = autograd.nn.AutoCriterion('ParityCubedError')(crit_fn)
    loss = crit.forward(lg.from_numpy(out.copy()), lg.from_numpy(target.copy()))
    grad = np.array(crit.backward(lg.from_numpy(out.copy()), lg.from_numpy(target.copy())).array)
    tin = torch.tensor(out, requires_grad=True)
    tloss = ((tin - torch.from_numpy(target)) ** 3).sum() / 3
    tloss.backward()
    np.testing.assert_allclose(loss, tloss.item(), rtol=RTOL)
    np.testing.assert_allclose(grad, tin.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_optim_sgd_steps_every_parameter():
    """autograd.optim.sgd: each parameter tensor stepped by legonn.optim.sgd with its own state (momentum,
    dampening 0, weight decay, Nesterov), three steps, against torch.optim.SGD over the same gradients."""
    r = rng('optim')
    values = {'W': r.standard_normal((3, 4)), 'b': r.standard_normal(3)}
    x = r.standard_normal((5, 4))

    def f(p, x):
        return lg.sum(lg.tanh(lg.mm(x, lg.t(p['W'])) + lg.expand(lg.view(p['b'], 1, 3), 5, 3)) ** 2)
    params = to_legonn(values)
    config = {'learningRate': 0.1, 'momentum': 0.9, 'dampening': 0, 'weightDecay': 0.01, 'nesterov': True}
    step, states = autograd.optim.sgd(autograd(f), config, params)
    tp = to_torch(values)
    opt = torch.optim.SGD([tp['W'], tp['b']], lr=0.1, momentum=0.9, dampening=0, weight_decay=0.01, nesterov=True)
    for _ in range(3):
        loss = step(lg.from_numpy(x.copy()))[1]
        opt.zero_grad()
        tloss = (T.tanh(torch.from_numpy(x) @ tp['W'].t() + tp['b']) ** 2).sum()
        tloss.backward()
        opt.step()
        np.testing.assert_allclose(loss, tloss.item(), rtol=RTOL)
    assert len(states) == 2
    np.testing.assert_allclose(params['W'].array, tp['W'].detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(params['b'].array, tp['b'].detach().numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('shape', [(6, 4), (2, 3, 4)])
def test_masked_batch_normalization(shape, mode):
    """module.MaskedBatchNormalization as MaskedBatchNormalization.lua computes it (the mean over the batch of the
    masked x divided by the count of the whole mask; legonn centres on the running mean where the Lua subtracted
    the running std, docs/autograd.md), its value, gradients and (direct mode) the running mean and std it
    leaves."""
    f, params, state = lgmodule.MaskedBatchNormalization({'nOutputs': 4, 'momentum': 0.3})
    r = rng(f'mbn{shape}')
    values = _random_like(params, r)
    x = r.standard_normal(shape)
    mask = (r.uniform(size=shape) > 0.3).astype(np.float64)
    mean0, std0 = r.standard_normal((1, 4)) * 0.1, r.uniform(0.5, 1.5, (1, 4))
    state['running_mean'], state['running_std'] = lg.from_numpy(mean0.copy()), lg.from_numpy(std0.copy())
    got = run_ours(lambda p, x, m: ours_weighted(f(p, x, m, state)), values, mode, lg.from_numpy(x.copy()),
                   lg.from_numpy(mask.copy()))
    kept = {}

    def theirs(p, x, mask):
        p = p[0]
        x2, m2 = x.reshape(-1, 4), mask.reshape(-1, 4)
        n = mask.sum()
        xm = x2 * m2
        running_mean = 0.3 * (xm / n).sum(0, keepdim=True) + 0.7 * torch.from_numpy(mean0)
        xc = (xm - running_mean) * m2
        std = T.sqrt((xc * xc / n).sum(0, keepdim=True) + 1e-5)
        running_std = 0.3 * std + 0.7 * torch.from_numpy(std0)
        kept.update(mean=running_mean.detach().numpy(), std=running_std.detach().numpy())
        return theirs_weighted(((xc / running_std) * p['gain'] + p['bias']).reshape(x.shape))
    assert_close(got, run_theirs(theirs, values, torch.from_numpy(x), torch.from_numpy(mask)))
    if mode == 'optimized':
        return   # the state written while the optimized mode traced is the trace's (its code writes no state)
    np.testing.assert_allclose(state['running_mean'].array, kept['mean'], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(state['running_std'].array, kept['std'], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize('mode', MODES)
def test_lstm_with_batch_normalization(mode):
    """RecurrentLSTMNetwork with batchNormalization: the gate products and the cell through BatchNormalization
    (training: the batch's mean and biased variance, eps 1e-5; one layer per step, the scale and shift shared)."""
    f, params, layers = model.RecurrentLSTMNetwork({'inputFeatures': 3, 'hiddenFeatures': 4, 'outputType': 'all',
                                                    'batchNormalization': True, 'maxBatchNormalizationLayers': 2})
    r = rng('lstm-bn')
    values = _random_like(params, r)
    x = r.standard_normal((5, 3, 3))

    def theirs(params, x):
        p = params[0]
        bn = T.nn.functional.batch_norm
        h = x.new_zeros(5, 4)
        c = x.new_zeros(5, 4)
        hs = []
        for t in range(3):
            dots = bn(T.cat([x[:, t], h], 1) @ p['W'], None, None, p['lstm_bn_1'], p['lstm_bn_2'], training=True,
                      eps=1e-5)
            i, fg, o, v = dots.split(4, 1)
            c = bn(T.sigmoid(fg) * c + T.sigmoid(i) * T.tanh(v), None, None, p['cell_bn_1'], p['cell_bn_2'],
                   training=True, eps=1e-5)
            h = T.sigmoid(o) * T.tanh(c)
            hs.append(h)
        return theirs_weighted(T.stack(hs, 1))
    got = run_ours(lambda p, x: ours_weighted(f(p, x, None, layers)[0]), values, mode, lg.from_numpy(x.copy()))
    want = run_theirs(theirs, values, torch.from_numpy(x))
    # b is not used with batch normalization (the shift stands for it): its gradient is zero in both
    assert_close(got, want)


@pytest.mark.filterwarnings('ignore::RuntimeWarning')   # log(0), 0 * inf: the formula's own
@pytest.mark.parametrize('mode', MODES)
def test_pow_at_a_zero_base(mode):
    """x ^ y where x is 0: gradfuns.lua:316-324 (and the ``pow`` operator's) computes ``g y x^(y-1)`` and
    ``g log(x) x^y`` as written: NaN where the formula is 0 * inf (y = 0 for x's, y > 0 for y's), -inf where
    ``log(0) 0^0``; PyTorch's pow backward makes both 0 where the base is 0 (and the exponent 0 or more). Elsewhere
    they agree."""
    x, y = np.array([0.0, 0.5, 2.0, 0.0]), np.array([1.5, 2.0, 0.0, 0.0])
    w = weights(x.shape)
    with np.errstate(divide='ignore', invalid='ignore'):
        lua_dx = w * y * x ** (y - 1)
        lua_dy = w * np.log(x) * x ** y
    cases = {
        'operator': (lambda p: p['x'] ** p['y'], lambda p: p['x'] ** p['y'], {'x': x, 'y': y}, [lua_dx, lua_dy]),
        'pow-number-exponent': (lambda p: lg.pow(p['x'], 0), lambda p: T.pow(p['x'], 0), {'x': x},
                                [np.where(x == 0, np.nan, 0.0)]),
        'pow-number-base': (lambda p: lg.pow(0.0, p['y']), lambda p: T.pow(0.0, p['y']), {'y': y},
                            [np.where(y == 0, -np.inf, np.nan) * w]),
    }
    for name, (ours, theirs, params, lua) in cases.items():
        (v, gs) = run_ours(lambda p: ours_weighted(ours(p)), params, mode)
        (tv, tgs) = run_theirs(lambda p: theirs_weighted(theirs(p)), params)
        np.testing.assert_allclose(v, tv, rtol=RTOL, err_msg=name)
        for g, tg, want in zip(gs, tgs, lua):
            np.testing.assert_allclose(g, want, rtol=RTOL, atol=ATOL, err_msg=name)   # NaN and inf where lua has
            finite = np.isfinite(want)
            np.testing.assert_allclose(tg[finite], want[finite], rtol=RTOL, atol=ATOL, err_msg=name)
            np.testing.assert_array_equal(tg[~finite], 0.0, err_msg=name)
            assert not finite.all(), name


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('opt', [
    {'kernelSize': 3, 'hiddenFeatures': [3, 4], 'poolings': [2, 1], 'activations': 'Tanh'},
    {'kernelSize': 5, 'hiddenFeatures': [2, 3], 'poolings': [1, 2], 'batchNormalization': True, 'inputStride': 2},
    {'kernelSize': 4, 'hiddenFeatures': [3], 'poolings': [2]},
], ids=['tanh-pool', 'batchnorm-stride', 'even-kernel'])
def test_spatial_network(opt, mode):
    """model.SpatialNetwork: per layer a SpatialConvolutionMM (padding (kernelSize - 1) / 2, the first with
    ``inputStride``), SpatialBatchNormalization (training), the activation (ReLU by default) and a max pooling."""
    f, params, _ = model.SpatialNetwork(dict(opt, inputFeatures=2))
    r = rng(f'spatial{sorted(opt.items())}')
    values = _random_like(params, r)
    x = r.standard_normal((3, 2, 9, 9))
    k = opt['kernelSize']
    # SpatialNetwork.lua:15, math.ceil(kernelSize-1)/2, is 1.5 for a kernel of 4, which Torch7's
    # SpatialConvolutionMM hands to THNN's C as an int (LuaJIT's FFI truncates it): 1
    pad = (k - 1) // 2

    def theirs(params, x):
        i = 0
        for n, hidden in enumerate(opt['hiddenFeatures']):
            w, b = params[i]
            i += 1
            stride = opt.get('inputStride', 1) if n == 0 else 1
            x = T.nn.functional.conv2d(x, w.reshape(hidden, -1, k, k), b, stride=stride, padding=pad)
            if opt.get('batchNormalization'):
                g, s = params[i]
                i += 1
                x = T.nn.functional.batch_norm(x, None, None, g, s, training=True, eps=1e-5)
            x = TORCH_ACTIVATION[opt.get('activations', 'ReLU')](x)
            if opt['poolings'][n] > 1:
                x = T.nn.functional.max_pool2d(x, opt['poolings'][n])
        return theirs_weighted(x)
    got = run_ours(lambda p, x: ours_weighted(f(p, x)), values, mode, lg.from_numpy(x.copy()))
    assert_close(got, run_theirs(theirs, values, torch.from_numpy(x)))


@pytest.mark.parametrize('mode', MODES)
def test_grad_arg_and_gradient_of_a_tensor_answer(mode):
    """``gradArg`` (0-based): the gradient with respect to another argument; ``withForward=False``: the answer's
    gradient given as the last argument (a vector-Jacobian product, AutoModule's backward)."""
    r = rng('options')
    a, b, gout = r.standard_normal((3, 4)), r.standard_normal((4, 2)), r.standard_normal((3, 2))
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    (T.tanh(ta @ tb) ** 2).sum().backward()
    grads, value = autograd(lambda x, y: lg.sum(lg.tanh(lg.mm(x, y)) ** 2), optimize=(mode == 'optimized'),
                            gradArg=1)(lg.from_numpy(a.copy()), lg.from_numpy(b.copy()))[:2]
    np.testing.assert_allclose(value, (np.tanh(a @ b) ** 2).sum(), rtol=RTOL)
    np.testing.assert_allclose(grads.array, tb.grad.numpy(), rtol=RTOL, atol=ATOL)

    ta.grad = None
    T.sin(ta @ torch.from_numpy(b)).backward(torch.from_numpy(gout))
    df = autograd(lambda x, y: lg.sin(lg.mm(x, y)), optimize=(mode == 'optimized'), withForward=False)
    grads = df(lg.from_numpy(a.copy()), lg.from_numpy(b.copy()), lg.from_numpy(gout.copy()))[0]
    np.testing.assert_allclose(grads.array, ta.grad.numpy(), rtol=RTOL, atol=ATOL)
